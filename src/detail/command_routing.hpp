#pragma once

// Where a command goes in a cluster: by its keys' slot, to every master or
// every node, to any node, or nowhere (commands that cannot work through a
// cluster client). A pure function over the command's arguments, from a
// built-in table of the commands' key positions. It runs on every command,
// so a routed command costs one table lookup and no allocation.
//
// The whole-cluster commands of the built-in table (PING, DBSIZE, KEYS,
// FLUSHALL, FLUSHDB, INFO, SCRIPT LOAD and FLUSH, FUNCTION LOAD, DELETE and
// FLUSH), with the policies Redis 7 gives them, are the fallback for when
// the server's COMMAND table and its policy tips, which cover every
// command, cannot be had (see command_catalog.hpp).

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "detail/command_policy.hpp"
#include "detail/small_vector.hpp"

namespace rediscluster::detail {

/// How long a blocking command may keep its reply back on the server: its
/// own timeout argument (BLPOP's seconds, XREAD BLOCK's or WAIT's
/// milliseconds).
struct BlockTime {
    /// Rounded up to whole milliseconds; zero means forever, as it does for
    /// every one of these commands.
    std::chrono::milliseconds time{0};

    [[nodiscard]] bool forever() const noexcept { return time.count() == 0; }
    bool operator==(const BlockTime&) const = default;
};

struct CommandRoute {
    enum class Target {
        Slot,        // the slot of the keys (all keys must share it)
        AllMasters,  // every master (request_policy:all_shards); replies combined by `response`
        AllNodes,    // every node, replicas included (request_policy:all_nodes); likewise
        Random,      // any node
        Blocked,     // refused with `reason`
    };
    Target target = Target::Random;
    /// How the replies of AllMasters and AllNodes become one.
    ResponsePolicy response = ResponsePolicy::Default;
    /// Indices of the key arguments (Target::Slot). Inline up to 8 keys:
    /// only commands with more go to the heap.
    SmallVector<std::size_t, 8> keys;
    /// Only reads: a replica may serve it.
    bool read_only = false;
    /// Blocks its connection on the server (BLPOP, XREAD BLOCK, WAIT...):
    /// it needs a connection of its own, never a shared one or a pipeline.
    bool blocking = false;
    /// Blocking commands: their own timeout (see command_block_time()).
    std::optional<BlockTime> block_for = std::nullopt;
    /// Why a blocked command is refused.
    std::string reason;
    /// False when no table entry matched: the server's COMMAND table may
    /// know better than the default (any node).
    bool known = true;
};

/// Routes `args` (args[0] is the command name, any case). Throws
/// DataError when the arguments cannot be the command's (e.g. EVAL with a
/// key count larger than its arguments). Allocates only for a refusal's
/// reason, an error message, or more than 8 keys.
CommandRoute route_command(std::span<const std::string_view> args);

/// Whether a command blocks its connection on the server (BLPOP, XREAD
/// BLOCK, WAIT...), by the same table as route_command().
[[nodiscard]] bool command_blocks(std::span<const std::string_view> args) noexcept;

/// How long the blocking command `args` may block on the server, read from
/// its timeout argument: seconds as a decimal for BLPOP, BRPOP, BLMOVE,
/// BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP; milliseconds for
/// XREAD and XREADGROUP with BLOCK, WAIT and WAITAOF. Unset for a command
/// that does not block (XREAD without BLOCK included). Throws DataError
/// naming the command when the timeout is missing, not a number, negative
/// or out of range, so that nothing is sent.
[[nodiscard]] std::optional<BlockTime> command_block_time(std::span<const std::string_view> args);

/// `limit` (a read timeout, a command's budget) lengthened by what a
/// blocking command may wait on the server: unset (no limit) when either
/// is unlimited, `limit` itself for a command that does not block.
[[nodiscard]] std::optional<std::chrono::milliseconds> extended_by(std::optional<std::chrono::milliseconds> limit,
                                                                   const std::optional<BlockTime>& block) noexcept;

/// Whether the command (any case) only reads, by the same table: a replica
/// may serve it. The SCAN family is not: a cursor must stay on one node.
bool command_is_read_only(std::string_view name) noexcept;

}  // namespace rediscluster::detail
