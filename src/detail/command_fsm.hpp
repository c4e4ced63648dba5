#pragma once

// The life of one command as a state machine: the driver reports what
// happened (an event), the machine answers what to do next (an action).
// Every retry, redirect, refresh and backoff of a command is decided here,
// by the pure decide_retry(); the machine does no I/O, reads no clock and
// sleeps nowhere, so each transition is tested without sockets.
//
//   Start ──► Send ──Replied──► Done
//               │
//             Failed ──► UpdateTopology ──TopologyUpdated──► Backoff ──BackoffOver──► Send
//               │        (when there is        (when there is a delay)
//               │         something to update)
//               └──► Fail  (not retryable, or the budget / redirects ran out)
//
// The same machine carries a single command, each command of a pipeline,
// and (in time) the asynchronous client: drivers differ only in how they
// carry bytes and wait.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/retry_policy.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster::detail {

using Clock = std::chrono::steady_clock;

/// What the driver reports.
struct CommandEvent {
    enum class Kind {
        Start,            // the command is ready to go
        Replied,          // its reply arrived (an error reply that is not a cluster failure included)
        Failed,           // the attempt failed: see `failure`
        TopologyUpdated,  // the UpdateTopology action was carried out
        BackoffOver,      // the Backoff action's delay has passed
    };
    Kind kind = Kind::Start;
    /// When it happened (the machine reads no clock).
    Clock::time_point now{};
    /// Failed only.
    Failure failure = Failure::Fatal;
    /// Failed only: what happened, for the message when the command gives
    /// up ("MOVED 3999 127.0.0.1:7002", "Connection refused ...").
    std::string_view description{};
    /// Failed only: the node the attempt went to; nullptr when it got no
    /// connection. Read during resume() only.
    const NodeInfo* node = nullptr;
    /// Failed with MOVED or ASK only: the target, already remapped.
    std::optional<HostPort> redirect{};
};

/// What the driver does next. A small value: what it points to belongs to
/// the machine and stays valid until its next resume().
struct CommandAction {
    enum class Kind {
        Send,            // send the command (with ASKING first when `asking`)
        UpdateTopology,  // record a MOVED, mark a node failed, refresh
        Backoff,         // wait `delay`
        Done,            // the reply is final
        Fail,            // give up: see `exhausted` and `message`
    };
    Kind kind = Kind::Done;

    /// Send: the node to send to; nullptr means "route by the slot map"
    /// (the command's slot, or any master for a command without one).
    const HostPort* node = nullptr;
    /// Send: ASKING goes first, in the same write.
    bool asking = false;

    /// UpdateTopology: the slot's new owner, from a MOVED (sent by
    /// `moved_sender` when known); nullptr when none.
    const HostPort* moved_to = nullptr;
    const HostPort* moved_sender = nullptr;
    /// UpdateTopology: the node that failed, to be avoided for a while.
    const NodeInfo* failed_node = nullptr;
    /// UpdateTopology: whether and how to re-discover the topology.
    RetryDecision::Refresh refresh = RetryDecision::Refresh::None;

    /// Backoff: how long.
    std::chrono::milliseconds delay{0};

    /// Fail: true when the command ran out of time or redirects, and then
    /// `message` says so and lists its last attempts (ClusterError); false
    /// when the last failure itself is the answer (surfaced as it came).
    bool exhausted = false;
    /// Fail: the message when `exhausted` (or when the machine was driven
    /// wrongly); empty otherwise.
    std::string_view message{};
};

/// The retry state of one command.
class CommandMachine {
public:
    /// Attempts listed when the command gives up: a command that waited
    /// out a failover may have made dozens.
    static constexpr std::size_t kAttemptsShown = 8;

    /// `slot`: the command's slot, unset for a command without keys (a
    /// MOVED then sends it where it was told rather than updating the map).
    /// `budget`: the command_timeout, counted from `started`; unset means
    /// the attempts are counted instead. `name` is kept for messages and
    /// must outlive the machine.
    CommandMachine(std::optional<std::uint16_t> slot, std::string_view name, const RetryLimits& limits,
                   std::optional<std::chrono::milliseconds> budget, Clock::time_point started) noexcept
        : slot_(slot), name_(name), limits_(limits), budget_(budget), started_(started) {}

    /// The next action after `event`. An event the current state does not
    /// expect is a driver bug: the machine fails the command with a message
    /// naming both rather than guessing.
    CommandAction resume(const CommandEvent& event);

    [[nodiscard]] const RetryCounts& counts() const noexcept { return counts_; }
    [[nodiscard]] bool finished() const noexcept { return state_ == State::Finished; }

private:
    enum class State { Ready, Sending, UpdatingTopology, BackingOff, Finished };

    CommandAction on_failure(const CommandEvent& event);
    CommandAction after_topology(const CommandEvent& event);
    CommandAction send();
    CommandAction finish(CommandAction action);
    CommandAction fail(std::string message);
    [[nodiscard]] std::string exhausted_message(const RetryDecision& decision) const;

    std::optional<std::uint16_t> slot_;
    std::string_view name_;
    RetryLimits limits_;
    std::optional<std::chrono::milliseconds> budget_;
    Clock::time_point started_;

    State state_ = State::Ready;
    RetryCounts counts_;
    // Where the next attempt goes (a redirect), and how long it waits first.
    std::optional<HostPort> next_node_;
    bool next_asking_ = false;
    std::chrono::milliseconds next_delay_{0};
    // What the last UpdateTopology and Send actions point to.
    std::optional<HostPort> target_;
    std::optional<HostPort> moved_to_;
    std::optional<HostPort> moved_sender_;
    std::optional<NodeInfo> failed_node_;
    // A failure that waits for its topology update to be carried out, and
    // the message of the Fail action.
    std::optional<CommandAction> pending_failure_;
    std::string message_;
    // The last attempts, for the message when the command gives up. Only a
    // failure allocates.
    std::vector<std::string> history_;
};

}  // namespace rediscluster::detail
