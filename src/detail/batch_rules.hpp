#pragma once

// Which commands may go in a pipeline or a transaction, for the blocking
// and the asynchronous ones alike: checked as each command is added, and
// refused by throwing, naming the command.

#include <cstdint>
#include <span>
#include <string_view>

#include "detail/request.hpp"

namespace rediscluster::detail {

/// Throws RedisClusterException when a command with `facts` cannot be
/// pipelined: it blocks its connection, or runs on every master or node.
void check_pipelined(const CommandFacts& facts, std::string_view name);

/// Throws when a command with `facts` cannot be in a transaction on
/// `slot`, queued or (`at_once`) run at once under its watch:
/// RedisClusterException for a command that runs on several nodes or (at
/// once) blocks, ClusterCrossSlotError for keys of another slot.
void check_in_transaction(const CommandFacts& facts, std::string_view name, std::uint16_t slot, bool at_once);

/// Throws when `keys` cannot be watched by a transaction on `slot`:
/// DataError for none, ClusterCrossSlotError for a key of another slot.
void check_watched_keys(std::span<const std::string_view> keys, std::uint16_t slot);

}  // namespace rediscluster::detail
