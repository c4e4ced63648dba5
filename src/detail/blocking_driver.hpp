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
#include <cstdint>
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
struct Attempt;

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

/// What a transaction holds between its calls: its slot, the keys it
/// watches and, from its first WATCH (or command run at once) to EXEC,
/// DISCARD or its end, the connection it is pinned to.
struct PinnedTransaction {
    std::uint16_t slot = 0;
    PooledConnection connection;
    /// Keys watched, in order; the first `watched_sent` were watched on
    /// `connection` (all of them are watched again on a new one).
    std::vector<std::string> watched;
    std::size_t watched_sent = 0;
    /// A command ran at once after WATCH: the caller read values under
    /// the watch, from the node the connection goes to.
    bool read_under_watch = false;
    /// The transaction had to move to another connection (a redirect, a
    /// broken connection) after values were read under its watch: a new
    /// WATCH there would not cover what was read, so EXEC will not run.
    bool watch_lost = false;
    /// An ASK sent the transaction to the node importing its slot: the
    /// exchanges that follow go there too, with ASKING first, rather than
    /// bouncing off the node it is leaving.
    bool asking = false;
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

    // --- transactions (blocking_transaction.cpp) ---------------------------
    // Each call is one exchange, with its own machine: a redirect, a
    // TRYAGAIN or a broken connection sends the exchange again, on a
    // connection pinned anew to the slot's (new) owner, watching every
    // watched key again first.

    /// WATCHes the keys of `tx.watched` not yet watched on its connection.
    std::optional<CommandFailure> watch(PinnedTransaction& tx, Reply& reply);
    /// Runs command `index` of `request` at once on the transaction's
    /// connection.
    std::optional<CommandFailure> run_pinned(PinnedTransaction& tx, const Request& request, std::size_t index,
                                             Reply& reply);
    /// MULTI, every command of `queued`, EXEC, in one write. `reply` is
    /// EXEC's reply (an array of the replies; null when a watched key
    /// changed; EXECABORT when a command was refused, its refusal then in
    /// `queued_replies`, which hold the answers to queuing). Nothing is
    /// sent, and `reply` is null, when tx.watch_lost.
    std::optional<CommandFailure> exec(PinnedTransaction& tx, const Request& queued, Reply& reply,
                                       std::vector<Reply>& queued_replies);
    /// Ends the watch (UNWATCH) and gives the connection back; closes it
    /// instead when that fails or `keep` is false.
    void unpin(PinnedTransaction& tx, bool keep) noexcept;

private:
    // One attempt of a transaction's exchange: pins the connection to the
    // action's target (watching again when it is new), writes the WATCH
    // still due and `payload`, reads every reply into `replies` (WATCH's
    // first when there is one, then `payload_replies` more). A `guarded`
    // payload (EXEC) is not sent once tx.watch_lost. Returns the failure's
    // event, or nullopt when every reply was read.
    std::optional<CommandEvent> exchange(PinnedTransaction& tx, const CommandAction& action, Attempt& attempt,
                                         std::string_view payload, std::size_t payload_replies, bool guarded,
                                         std::vector<Reply>& replies, bool& watched_now);
    // The event for a failed reply to the WATCH an exchange sent first;
    // nullopt when it was OK or none was sent.
    std::optional<CommandEvent> judge_watch(const std::vector<Reply>& replies, bool watched_now, Attempt& attempt,
                                            const NodeInfo& node) const;

    // The loop over one command's machine (driver_attempt.hpp).
    template <class Send>
    std::optional<CommandFailure> drive(std::optional<std::uint16_t> slot, std::string_view name,
                                        std::optional<std::chrono::milliseconds> budget, Attempt& attempt, Send&& send);
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
