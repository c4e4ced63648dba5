#pragma once

// What the client does after a failed attempt at a command: a pure decision
// over values, tested without sockets. The client feeds it what happened and
// carries out the answer (retry where, after how long, whether to update or
// refresh the topology, or give up).

#include <algorithm>
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
    Fatal,           // anything retrying cannot mend: wrong credentials, a pool at its cap, a bad redirect
};

/// What a command has been through so far.
struct RetryCounts {
    /// Attempts made, the one that just failed included.
    int attempts = 0;
    /// Of those, the ones answered by MOVED or ASK.
    int redirects = 0;
    /// Of those, the ones answered by CLUSTERDOWN or MASTERDOWN.
    int cluster_down_seen = 0;
};

/// The limits a command runs under. Time is the main one: a command waits
/// out a failover (connections refused, CLUSTERDOWN) for as long as its
/// budget lasts. The counts guard what time cannot.
struct RetryLimits {
    /// Redirects per command, the original's request TTL: a guard against
    /// nodes that redirect each other in a loop.
    int max_redirects = 16;
    /// Attempts of any kind per command when it has no time budget.
    int max_attempts_without_budget = 16;
    /// How many CLUSTERDOWN/MASTERDOWN answers are retried; unset: as many
    /// as the budget allows.
    std::optional<int> cluster_down_retry_attempts = std::nullopt;
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
        BeforeRetry,   // the retry needs the new map (as the refresh policy allows)
    };
    Action action = Action::Fail;
    /// Wait this long before the next attempt.
    std::chrono::milliseconds delay{0};
    /// Record the MOVED target in the slot map at once.
    bool update_slot_map = false;
    Refresh refresh = Refresh::None;
    /// The command gave up because its time ran out.
    bool out_of_time = false;
    /// The command gave up because it used up its redirects (or, without a
    /// time budget, its attempts).
    bool out_of_attempts = false;
    /// Close the connection the attempt used (its state is unknown).
    bool close_connection = false;
    /// Avoid the node that failed for a short while (reads move to others).
    bool mark_node_failed = false;
};

/// The decision after an attempt failed with `failure`; `counts` include
/// that attempt. `time_left` is what remains of the command's time budget
/// (unset: no budget, and the attempts are counted instead). A retry whose
/// backoff would not end within the budget is not started.
///
/// Waits grow while the failure lasts: a refused connection is retried at
/// once, then after 25, 50, 100 ... ms up to 500 ms; CLUSTERDOWN and
/// LOADING the same from 25 ms; TRYAGAIN from 5 ms up to 100 ms. A failover
/// thus costs a command a few dozen attempts over the seconds it takes, and
/// no error while the budget lasts.
inline RetryDecision decide_retry(Failure failure, const RetryCounts& counts, const RetryLimits& limits,
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
    const bool redirect = failure == Failure::Moved || failure == Failure::Ask;
    if ((redirect && counts.redirects >= limits.max_redirects) ||
        (!time_left && counts.attempts >= limits.max_attempts_without_budget)) {
        if (failure != Failure::TryAgain && failure != Failure::Ask) decision.refresh = Refresh::InBackground;
        decision.close_connection =
            failure == Failure::Connection || failure == Failure::Timeout || failure == Failure::Interrupted;
        decision.out_of_attempts = true;
        return give_up();
    }
    // The failures other than redirects so far, this one included: the
    // backoff doubles with each, from `base` up to `cap`. Failures that
    // may be over at once (the map may already know better) start at 0.
    const int waits = std::max(counts.attempts - counts.redirects, 1);
    const auto backoff = [&](std::chrono::milliseconds base, std::chrono::milliseconds cap) {
        return std::min(base * (1 << std::min(waits - 1, 8)), cap);
    };
    const auto backoff_after_one_retry = [&](std::chrono::milliseconds base, std::chrono::milliseconds cap) {
        return waits == 1 ? 0ms : std::min(base * (1 << std::min(waits - 2, 8)), cap);
    };
    switch (failure) {
        case Failure::Moved:
            decision.action = Action::RetryMoved;
            decision.update_slot_map = true;  // the client decides whether a discovery follows
            break;
        case Failure::Ask:
            decision.action = Action::RetryAsking;
            break;
        case Failure::TryAgain:
            decision.action = Action::Retry;
            decision.delay = backoff(5ms, 100ms);
            break;
        case Failure::ClusterDown:
            if (limits.cluster_down_retry_attempts && counts.cluster_down_seen > *limits.cluster_down_retry_attempts) {
                decision.action = Action::Fail;
                return decision;
            }
            decision.action = Action::Retry;
            decision.delay = backoff(25ms, 500ms);
            decision.refresh = Refresh::BeforeRetry;
            break;
        case Failure::ReadOnly:
        case Failure::SlotNotCovered:
            decision.action = Action::Retry;
            decision.delay = backoff_after_one_retry(10ms, 500ms);
            decision.refresh = Refresh::BeforeRetry;
            break;
        case Failure::Loading:
            decision.action = Action::Retry;
            decision.delay = backoff(25ms, 500ms);
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
            decision.delay = backoff(10ms, 500ms);
            break;
        case Failure::Connection:
            decision.action = Action::Retry;
            decision.close_connection = true;
            decision.mark_node_failed = true;
            decision.refresh = Refresh::BeforeRetry;
            decision.delay = backoff_after_one_retry(25ms, 500ms);
            break;
        case Failure::NoConnection:
            decision.action = Action::Fail;  // the pool already waited its timeout
            break;
        case Failure::Fatal:
            decision.action = Action::Fail;
            break;
    }
    if (decision.action != Action::Fail && time_left && decision.delay >= *time_left) {
        decision.out_of_time = true;
        return give_up();
    }
    return decision;
}

}  // namespace rediscluster::detail
