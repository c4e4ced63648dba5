#pragma once

// What the client does after a failed attempt at a command: a pure decision
// over values, tested without sockets. The client feeds it what happened and
// carries out the answer (retry where, after how long, whether to update or
// refresh the topology, or give up).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace rediscluster::detail {

/// What went wrong on one attempt.
enum class Failure {
    Moved,           // MOVED: the slot lives elsewhere for good
    Ask,             // ASK: retry once on the target after ASKING
    TryAgain,        // TRYAGAIN: multi-key command during a migration
    ClusterDown,     // CLUSTERDOWN or MASTERDOWN
    ReadOnly,        // READONLY: a write reached a replica (a failover happened)
    Loading,         // LOADING: the node is loading its data set
    SlotNotCovered,  // the client knows no node for the slot
    Connection,      // connect refused, connection reset, closed mid-reply
    Timeout,         // a read or write timed out
    Interrupted,     // the reply broke off or was malformed: the command ran
    NoConnection,    // the pool had no connection to give within its wait
};

/// The limits a command runs under.
struct RetryLimits {
    /// Attempts per command, the original's request TTL.
    int max_attempts = 16;
    /// How many CLUSTERDOWN/MASTERDOWN answers are retried.
    int cluster_down_retry_attempts = 3;
    /// Whether a command that timed out or whose reply broke off may be sent
    /// again (it may have run, or did).
    bool retry_on_timeout = false;
};

/// What the client should do next.
struct RetryDecision {
    enum class Action {
        Retry,        // try again, routing by the (possibly updated) slot map
        RetryAsking,  // send ASKING then the command to the redirect target
        RetryMoved,   // send the command to the redirect target
        Fail,         // give up: rethrow the failure
    };
    /// When to re-discover the topology.
    enum class Refresh {
        None,
        InBackground,  // the command does not wait for it
        BeforeRetry,   // the retry needs the new map (at most one per 100 ms)
    };
    Action action = Action::Fail;
    /// Wait this long before the next attempt.
    std::chrono::milliseconds delay{0};
    /// Record the MOVED target in the slot map at once.
    bool update_slot_map = false;
    Refresh refresh = Refresh::None;
    /// The command gave up because its time ran out, not its attempts.
    bool out_of_time = false;
    /// Close the connection the attempt used (its state is unknown).
    bool close_connection = false;
    /// Avoid the node that failed for a short while (reads move to others).
    bool mark_node_failed = false;
};

/// The decision after attempt number `attempt` (1-based) failed with
/// `failure`; `cluster_down_seen` counts CLUSTERDOWN answers so far
/// (this one included); `time_left` is what remains of the command's time
/// budget (unset: no budget). A retry whose backoff would not end within
/// the budget is not started.
inline RetryDecision decide_retry(Failure failure, int attempt, int cluster_down_seen, const RetryLimits& limits,
                                  std::optional<std::chrono::milliseconds> time_left = std::nullopt) {
    using namespace std::chrono_literals;
    using Action = RetryDecision::Action;
    using Refresh = RetryDecision::Refresh;
    RetryDecision decision;
    // Giving up: the next command should still find a better map, but this
    // one must not wait for it.
    const auto give_up = [&] {
        decision.action = Action::Fail;
        decision.delay = 0ms;
        if (decision.refresh != Refresh::None) decision.refresh = Refresh::InBackground;
        return decision;
    };
    if (attempt >= limits.max_attempts) {
        if (failure != Failure::TryAgain && failure != Failure::Ask) decision.refresh = Refresh::InBackground;
        decision.close_connection =
            failure == Failure::Connection || failure == Failure::Timeout || failure == Failure::Interrupted;
        return give_up();
    }
    // A short backoff that grows with the attempts: 0, then 5, 10, 20 ... 100 ms.
    const auto backoff = [&](std::chrono::milliseconds base) {
        const int steps = std::min(attempt - 1, 5);
        return std::min(base * (1 << steps), std::chrono::milliseconds(100));
    };
    switch (failure) {
        case Failure::Moved:
            decision.action = Action::RetryMoved;
            decision.update_slot_map = true;
            decision.refresh = Refresh::InBackground;  // the map is patched already
            break;
        case Failure::Ask:
            decision.action = Action::RetryAsking;
            break;
        case Failure::TryAgain:
            decision.action = Action::Retry;
            decision.delay = backoff(5ms);
            break;
        case Failure::ClusterDown:
            if (cluster_down_seen > limits.cluster_down_retry_attempts) {
                decision.action = Action::Fail;
                return decision;
            }
            decision.action = Action::Retry;
            decision.delay = backoff(25ms);
            decision.refresh = Refresh::BeforeRetry;
            break;
        case Failure::ReadOnly:
        case Failure::SlotNotCovered:
            decision.action = Action::Retry;
            decision.delay = attempt == 1 ? 0ms : backoff(10ms);
            decision.refresh = Refresh::BeforeRetry;
            break;
        case Failure::Loading:
            decision.action = Action::Retry;
            decision.delay = backoff(25ms);
            decision.mark_node_failed = true;
            break;
        case Failure::Timeout:
        case Failure::Interrupted:
            decision.close_connection = true;
            decision.mark_node_failed = true;
            // In the background: the node that timed out may be a seed, and
            // the caller has already waited a whole socket timeout.
            decision.refresh = Refresh::InBackground;
            decision.action = limits.retry_on_timeout ? Action::Retry : Action::Fail;
            decision.delay = backoff(10ms);
            break;
        case Failure::Connection:
            decision.action = Action::Retry;
            decision.close_connection = true;
            decision.mark_node_failed = true;
            decision.refresh = Refresh::BeforeRetry;
            decision.delay = attempt == 1 ? 0ms : backoff(25ms);
            break;
        case Failure::NoConnection:
            decision.action = Action::Fail;  // the pool already waited its timeout
            break;
    }
    if (decision.action != Action::Fail && time_left && decision.delay >= *time_left) {
        decision.out_of_time = true;
        return give_up();
    }
    return decision;
}

}  // namespace rediscluster::detail
