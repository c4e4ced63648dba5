#pragma once

// What a command is, for routing: the built-in table first, then the
// server's own COMMAND table (fetched once, and again at most every 5 s
// while it cannot be had) for commands the built-in table does not know,
// with COMMAND GETKEYS for commands whose keys move. Commands without keys
// go where that table's request policy tips say (every master, every node,
// one node) and combine by its response policy; without the table, or
// without tips (before Redis 7), the built-in table's whole-cluster list
// decides. Turns the arguments of a command into the facts a Request keeps.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>

#include "detail/command_table.hpp"
#include "detail/request.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::detail {

class CommandCatalog {
public:
    /// Runs a command without keys through the client (COMMAND, COMMAND
    /// GETKEYS): error replies come back as values, other failures throw.
    using Runner = std::function<Reply(std::span<const std::string_view> args)>;

    explicit CommandCatalog(Runner run) : run_(std::move(run)) {}

    /// The facts of the command `args`. Throws RedisClusterException for a
    /// command a cluster client refuses (naming it and why),
    /// ClusterCrossSlotError when its keys span slots, DataError when its
    /// arguments cannot be the command's.
    [[nodiscard]] CommandFacts analyse(std::span<const std::string_view> args);

private:
    // The server's COMMAND table; nullptr while unavailable.
    std::shared_ptr<const CommandTable> server_commands();

    Runner run_;
    std::mutex mutex_;
    std::shared_ptr<const CommandTable> server_commands_;
    std::chrono::steady_clock::time_point last_attempt_{};
};

}  // namespace rediscluster::detail
