#include <gtest/gtest.h>

#include "detail/retry_policy.hpp"

namespace rediscluster::detail {
namespace {

using namespace std::chrono_literals;
using Action = RetryDecision::Action;
using Refresh = RetryDecision::Refresh;

// The counts after `attempts` attempts that all failed with `failure`.
RetryCounts all_failed_with(Failure failure, int attempts) {
    RetryCounts counts;
    counts.attempts = attempts;
    if (failure == Failure::Moved || failure == Failure::Ask) counts.redirects = attempts;
    if (failure == Failure::ClusterDown) counts.cluster_down_seen = attempts;
    return counts;
}

// decide_retry after `attempts` attempts that all failed with `failure`.
RetryDecision decide(Failure failure, int attempts, const RetryLimits& limits = {},
                     std::optional<std::chrono::milliseconds> time_left = std::nullopt) {
    return decide_retry(failure, all_failed_with(failure, attempts), limits, time_left);
}

TEST(RetryPolicy, MovedRetriesOnTheTargetUpdatesTheMapAndRefreshes) {
    const auto d = decide(Failure::Moved, 1);
    EXPECT_EQ(d.action, Action::RetryMoved);
    EXPECT_TRUE(d.update_slot_map);
    // Whether a discovery follows is the node manager's call (a replica or
    // an unknown node that answers, or reinitialize_steps MOVED replies).
    EXPECT_EQ(d.refresh, Refresh::None);
    EXPECT_EQ(d.delay, 0ms);
    EXPECT_FALSE(d.close_connection);
}

TEST(RetryPolicy, AskRetriesWithAskingAndLeavesTheMapAlone) {
    const auto d = decide(Failure::Ask, 1);
    EXPECT_EQ(d.action, Action::RetryAsking);
    EXPECT_FALSE(d.update_slot_map);
    EXPECT_EQ(d.refresh, Refresh::None);
}

TEST(RetryPolicy, TryAgainBacksOffAndGrowsToACap) {
    EXPECT_EQ(decide(Failure::TryAgain, 1).delay, 5ms);
    EXPECT_EQ(decide(Failure::TryAgain, 2).delay, 10ms);
    EXPECT_EQ(decide(Failure::TryAgain, 3).delay, 20ms);
    EXPECT_EQ(decide(Failure::TryAgain, 15).delay, 100ms);
    EXPECT_EQ(decide(Failure::TryAgain, 1).refresh, Refresh::None);
}

TEST(RetryPolicy, ClusterDownIsRetriedUpToItsOwnBudgetWithRefresh) {
    RetryLimits limits;
    limits.cluster_down_retry_attempts = 3;
    for (int seen = 1; seen <= 3; ++seen) {
        const auto d = decide(Failure::ClusterDown, seen, limits);
        EXPECT_EQ(d.action, Action::Retry) << seen;
        EXPECT_EQ(d.refresh, Refresh::BeforeRetry);
        EXPECT_GT(d.delay, 0ms);
    }
    EXPECT_EQ(decide(Failure::ClusterDown, 4, limits).action, Action::Fail);
}

TEST(RetryPolicy, ConnectionErrorsCloseMarkRefreshAndRetry) {
    const auto first = decide(Failure::Connection, 1);
    EXPECT_EQ(first.action, Action::Retry);
    EXPECT_TRUE(first.close_connection);
    EXPECT_TRUE(first.mark_node_failed);
    EXPECT_EQ(first.refresh, Refresh::BeforeRetry);
    EXPECT_EQ(first.delay, 0ms);  // the map may already know a better node
    EXPECT_GT(decide(Failure::Connection, 2).delay, 0ms);
}

TEST(RetryPolicy, TimeoutsAreRetriedOnlyWhenAllowed) {
    const auto plain = decide(Failure::Timeout, 1);
    EXPECT_EQ(plain.action, Action::Fail);
    EXPECT_TRUE(plain.close_connection);
    EXPECT_TRUE(plain.mark_node_failed);
    // The caller already waited a socket timeout: never make it wait for a
    // discovery that may ask the same frozen node.
    EXPECT_EQ(plain.refresh, Refresh::InBackground);
    RetryLimits limits;
    limits.retry_on_timeout = true;
    const auto d = decide(Failure::Timeout, 1, limits);
    EXPECT_EQ(d.action, Action::Retry);
    EXPECT_TRUE(d.close_connection);
    EXPECT_EQ(d.refresh, Refresh::InBackground);
}

TEST(RetryPolicy, AnInterruptedReplyIsHandledLikeATimeout) {
    RetryLimits retrying;
    retrying.retry_on_timeout = true;
    for (const auto& limits : {RetryLimits{}, retrying}) {
        const auto interrupted = decide(Failure::Interrupted, 1, limits);
        const auto timeout = decide(Failure::Timeout, 1, limits);
        EXPECT_EQ(interrupted.action, timeout.action);
        EXPECT_EQ(interrupted.refresh, timeout.refresh);
        EXPECT_EQ(interrupted.close_connection, timeout.close_connection);
        EXPECT_EQ(interrupted.mark_node_failed, timeout.mark_node_failed);
    }
    EXPECT_EQ(decide(Failure::Interrupted, 1).action, Action::Fail);
}

TEST(RetryPolicy, NoRetryStartsWhoseBackoffOutlastsTheTimeBudget) {
    // Second connection failure: 25 ms backoff.
    const auto in_time = decide(Failure::Connection, 2, {}, 26ms);
    EXPECT_EQ(in_time.action, Action::Retry);
    EXPECT_FALSE(in_time.out_of_time);
    const auto late = decide(Failure::Connection, 2, {}, 25ms);
    EXPECT_EQ(late.action, Action::Fail);
    EXPECT_TRUE(late.out_of_time);
    EXPECT_EQ(late.delay, 0ms);
    EXPECT_TRUE(late.close_connection);                 // still cleans up
    EXPECT_EQ(late.refresh, Refresh::InBackground);     // without waiting for it
    // A budget already spent stops even an immediate retry.
    EXPECT_EQ(decide(Failure::Moved, 1, {}, 0ms).action, Action::Fail);
    EXPECT_EQ(decide(Failure::Moved, 1, {}, -5ms).action, Action::Fail);
    EXPECT_EQ(decide(Failure::Moved, 1, {}, 1ms).action, Action::RetryMoved);
    // Failures that fail anyway are not reported as out of time.
    EXPECT_FALSE(decide(Failure::NoConnection, 1, {}, 0ms).out_of_time);
}

TEST(RetryPolicy, ReadOnlyAndUncoveredSlotsAreTopologySignals) {
    for (const auto failure : {Failure::ReadOnly, Failure::SlotNotCovered}) {
        const auto d = decide(failure, 1);
        EXPECT_EQ(d.action, Action::Retry);
        EXPECT_EQ(d.refresh, Refresh::BeforeRetry);
    }
}

TEST(RetryPolicy, PoolExhaustionIsNotRetried) {
    EXPECT_EQ(decide(Failure::NoConnection, 1).action, Action::Fail);
}

TEST(RetryPolicy, WithoutATimeBudgetEveryFailureStopsAtTheAttemptLimit) {
    RetryLimits limits;
    limits.retry_on_timeout = true;
    for (const auto failure : {Failure::Moved, Failure::Ask, Failure::TryAgain, Failure::ClusterDown, Failure::ReadOnly,
                               Failure::Loading, Failure::SlotNotCovered, Failure::Connection, Failure::Timeout,
                               Failure::Interrupted}) {
        const auto last = decide(failure, limits.max_attempts_without_budget, limits);
        EXPECT_EQ(last.action, Action::Fail);
        EXPECT_TRUE(last.out_of_attempts);
        EXPECT_NE(decide(failure, limits.max_attempts_without_budget - 1, limits).action, Action::Fail);
    }
}

TEST(RetryPolicy, WithATimeBudgetAFailoverIsWaitedOutNotCounted) {
    // A master killed: its connections are refused, and the cluster may
    // answer CLUSTERDOWN until a replica is promoted, seconds later. While
    // the budget lasts, neither runs out of attempts.
    for (const auto failure : {Failure::Connection, Failure::ClusterDown, Failure::TryAgain, Failure::Loading,
                               Failure::ReadOnly, Failure::SlotNotCovered}) {
        const auto d = decide(failure, 100, {}, 5000ms);
        EXPECT_NE(d.action, Action::Fail) << static_cast<int>(failure);
        EXPECT_LE(d.delay, 500ms);
        EXPECT_FALSE(d.out_of_attempts);
    }
    // The backoff grows while the node stays unreachable: 0, 25, 50 ... 500 ms.
    EXPECT_EQ(decide(Failure::Connection, 1, {}, 5000ms).delay, 0ms);
    EXPECT_EQ(decide(Failure::Connection, 2, {}, 5000ms).delay, 25ms);
    EXPECT_EQ(decide(Failure::Connection, 3, {}, 5000ms).delay, 50ms);
    EXPECT_EQ(decide(Failure::Connection, 6, {}, 5000ms).delay, 400ms);
    EXPECT_EQ(decide(Failure::Connection, 7, {}, 5000ms).delay, 500ms);
    EXPECT_EQ(decide(Failure::ClusterDown, 1, {}, 5000ms).delay, 25ms);
    EXPECT_EQ(decide(Failure::ClusterDown, 9, {}, 5000ms).delay, 500ms);
    // Until the budget is too short for the next wait.
    const auto late = decide(Failure::Connection, 40, {}, 499ms);
    EXPECT_EQ(late.action, Action::Fail);
    EXPECT_TRUE(late.out_of_time);
    EXPECT_FALSE(late.out_of_attempts);
}

TEST(RetryPolicy, RedirectsAreCountedApartAndStopALoopWhateverTheBudget) {
    RetryLimits limits;
    RetryCounts counts;
    counts.attempts = 40;  // many waits for a dead node
    counts.redirects = limits.max_redirects - 1;
    EXPECT_EQ(decide_retry(Failure::Moved, counts, limits, 5000ms).action, Action::RetryMoved);
    EXPECT_EQ(decide_retry(Failure::Connection, counts, limits, 5000ms).action, Action::Retry);
    counts.redirects = limits.max_redirects;
    const auto loop = decide_retry(Failure::Moved, counts, limits, 5000ms);
    EXPECT_EQ(loop.action, Action::Fail);
    EXPECT_TRUE(loop.out_of_attempts);
    EXPECT_EQ(decide_retry(Failure::Ask, counts, limits, 5000ms).action, Action::Fail);
    // The waits after the redirects back off from their own start.
    counts.attempts = counts.redirects + 1;
    EXPECT_EQ(decide_retry(Failure::Connection, counts, limits, 5000ms).delay, 0ms);
}

TEST(RetryPolicy, ClusterDownHasNoCountOfItsOwnUnlessOneIsSet) {
    EXPECT_EQ(decide(Failure::ClusterDown, 50, {}, 5000ms).action, Action::Retry);
    RetryLimits limits;
    limits.cluster_down_retry_attempts = 0;
    EXPECT_EQ(decide(Failure::ClusterDown, 1, limits, 5000ms).action, Action::Fail);
}

}  // namespace
}  // namespace rediscluster::detail
