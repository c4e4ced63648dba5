#pragma once

// The blocking driver: the only code of the client that touches sockets or
// sleeps. It carries out what the commands' state machines (command_fsm.hpp)
// ask for, on the caller's thread, over pooled or multiplexed connections:
//
//   action = machine.resume(Start);
//   while (action is not Done or Fail) action = machine.resume(perform(action));
//
// run() drives one command; run_all() drives a batch (a pipeline, or the
// parts of a command sent to every master or node), each command by its
// own machine: the commands to send are grouped by node, written to every
// node before any reply is read, and a command that fails is sent again on
// its own by its machine, with the same budget and rules as a single
// command.
//
// Failures come back as values (CommandFailure); the public edge turns
// them into exceptions with raise().

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "detail/command_fsm.hpp"
#include "detail/request.hpp"
#include "rediscluster/pool.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::detail {

class Multiplexer;

/// How a command failed.
struct CommandFailure {
    enum class Kind {
        ErrorReply,  // a cluster error the command gave up on: its error reply is its Reply
        Raised,      // the connection or pool failed: `cause` as it was thrown there
        Exhausted,   // out of time or redirects: ClusterError(`message`)
    };
    Kind kind = Kind::Raised;
    std::exception_ptr cause{};
    std::string message{};
    /// ErrorReply: the node that answered (a redirect without a host means it).
    std::string host{};
};

/// Throws the exception `failure` stands for, with today's types and
/// messages; `reply` is the command's reply (for ErrorReply).
[[noreturn]] void raise(const CommandFailure& failure, const Reply& reply);
/// The text of that exception, as an error reply.
[[nodiscard]] Reply as_error_reply(const CommandFailure& failure, const Reply& reply);

struct DriverOptions {
    RetryLimits limits{};
    /// A command's budget (RedisClusterOptions::command_timeout resolved).
    std::optional<std::chrono::milliseconds> command_timeout{};
    /// Reads go to replicas when the pool allows.
    bool read_from_replicas = false;
};

/// Storage run_all() reuses from one batch to the next, so that a reused
/// pipeline does not allocate in steady state.
class BatchScratch {
public:
    BatchScratch();
    ~BatchScratch();
    BatchScratch(const BatchScratch&) = delete;
    BatchScratch& operator=(const BatchScratch&) = delete;

private:
    friend class BlockingDriver;
    struct State;
    std::unique_ptr<State> state_;
};

class BlockingDriver {
public:
    /// `pool` and `multiplexer` (nullptr: none) must outlive the driver.
    /// `request_refresh` asks for a discovery in the background.
    BlockingDriver(ClusterConnectionPool& pool, Multiplexer* multiplexer, DriverOptions options,
                   std::function<void()> request_refresh);

    /// Runs command `index` of `request` (a Slot or Random one), its reply
    /// into `reply` (an error reply that is the command's own answer
    /// included). Returns how it failed, if it did.
    std::optional<CommandFailure> run(const Request& request, std::size_t index, Reply& reply);

    /// Runs every command of `request` (Slot or Random ones; none
    /// blocking), their replies into `replies` (same size), and how each
    /// failed, if it did, into `failures` (resized to match).
    void run_all(const Request& request, std::span<Reply> replies, std::vector<std::optional<CommandFailure>>& failures,
                 BatchScratch& scratch);

    /// Runs command `index` (an AllMasters or AllNodes one) on every
    /// master or every node, as parts that run_all() drives each by its own
    /// machine (see fan_out.hpp): a part that fails is retried on its own
    /// shard or node, with the command's budget. The replies are combined
    /// by the command's response policy into `reply`. A part that failed
    /// fails the command (but for OneSucceeded, while another succeeded).
    std::optional<CommandFailure> run_fanned_out(const Request& request, std::size_t index, Reply& reply);

    /// What one attempt produced (defined in the .cpp).
    struct Attempt;

private:
    CommandEvent send_one(const CommandFacts& facts, std::string_view packed, const CommandAction& action, Reply& reply,
                          Attempt& attempt);
    // The event for a reply from `node`: Replied, or Failed for a cluster
    // error (the node is then kept in `attempt`).
    CommandEvent judge_reply(const Reply& reply, Attempt& attempt, const NodeInfo& node) const;
    // Records a MOVED and marks a failed node; a refresh it asks for is
    // left to the caller (run() does it at once, run_all() once per round).
    void update_topology(const CommandAction& action, std::optional<std::uint16_t> slot);
    void refresh(RetryDecision::Refresh refresh);
    // Where a Send goes: a redirect's node, the slot's master in `table`,
    // a replica for a read when reads go there, or any master. Throws
    // SlotNotCoveredError.
    [[nodiscard]] const NodeInfo& target_node(const CommandFacts& facts, const CommandAction& action,
                                              const SlotTable& table, NodeInfo& storage);

    ClusterConnectionPool& pool_;
    Multiplexer* multiplexer_;
    DriverOptions options_;
    std::function<void()> request_refresh_;
};

}  // namespace rediscluster::detail
