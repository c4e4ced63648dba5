#include <gtest/gtest.h>

#include "detail/retry_policy.hpp"

namespace rediscluster::detail {
namespace {

using namespace std::chrono_literals;
using Action = RetryDecision::Action;
using Refresh = RetryDecision::Refresh;

TEST(RetryPolicy, MovedRetriesOnTheTargetUpdatesTheMapAndRefreshes) {
    const auto d = decide_retry(Failure::Moved, 1, 0, {});
    EXPECT_EQ(d.action, Action::RetryMoved);
    EXPECT_TRUE(d.update_slot_map);
    EXPECT_EQ(d.refresh, Refresh::InBackground);  // never delays the retry
    EXPECT_EQ(d.delay, 0ms);
    EXPECT_FALSE(d.close_connection);
}

TEST(RetryPolicy, AskRetriesWithAskingAndLeavesTheMapAlone) {
    const auto d = decide_retry(Failure::Ask, 1, 0, {});
    EXPECT_EQ(d.action, Action::RetryAsking);
    EXPECT_FALSE(d.update_slot_map);
    EXPECT_EQ(d.refresh, Refresh::None);
}

TEST(RetryPolicy, TryAgainBacksOffAndGrowsToACap) {
    EXPECT_EQ(decide_retry(Failure::TryAgain, 1, 0, {}).delay, 5ms);
    EXPECT_EQ(decide_retry(Failure::TryAgain, 2, 0, {}).delay, 10ms);
    EXPECT_EQ(decide_retry(Failure::TryAgain, 3, 0, {}).delay, 20ms);
    EXPECT_EQ(decide_retry(Failure::TryAgain, 15, 0, {}).delay, 100ms);
    EXPECT_EQ(decide_retry(Failure::TryAgain, 1, 0, {}).refresh, Refresh::None);
}

TEST(RetryPolicy, ClusterDownIsRetriedUpToItsOwnBudgetWithRefresh) {
    RetryLimits limits;
    limits.cluster_down_retry_attempts = 3;
    for (int seen = 1; seen <= 3; ++seen) {
        const auto d = decide_retry(Failure::ClusterDown, seen, seen, limits);
        EXPECT_EQ(d.action, Action::Retry) << seen;
        EXPECT_EQ(d.refresh, Refresh::BeforeRetry);
        EXPECT_GT(d.delay, 0ms);
    }
    EXPECT_EQ(decide_retry(Failure::ClusterDown, 4, 4, limits).action, Action::Fail);
}

TEST(RetryPolicy, ConnectionErrorsCloseMarkRefreshAndRetry) {
    const auto first = decide_retry(Failure::Connection, 1, 0, {});
    EXPECT_EQ(first.action, Action::Retry);
    EXPECT_TRUE(first.close_connection);
    EXPECT_TRUE(first.mark_node_failed);
    EXPECT_EQ(first.refresh, Refresh::BeforeRetry);
    EXPECT_EQ(first.delay, 0ms);  // the map may already know a better node
    EXPECT_GT(decide_retry(Failure::Connection, 2, 0, {}).delay, 0ms);
}

TEST(RetryPolicy, TimeoutsAreRetriedOnlyWhenAllowed) {
    const auto plain = decide_retry(Failure::Timeout, 1, 0, {});
    EXPECT_EQ(plain.action, Action::Fail);
    EXPECT_TRUE(plain.close_connection);
    EXPECT_TRUE(plain.mark_node_failed);
    // The caller already waited a socket timeout: never make it wait for a
    // discovery that may ask the same frozen node.
    EXPECT_EQ(plain.refresh, Refresh::InBackground);
    RetryLimits limits;
    limits.retry_on_timeout = true;
    const auto d = decide_retry(Failure::Timeout, 1, 0, limits);
    EXPECT_EQ(d.action, Action::Retry);
    EXPECT_TRUE(d.close_connection);
    EXPECT_EQ(d.refresh, Refresh::InBackground);
}

TEST(RetryPolicy, AnInterruptedReplyIsHandledLikeATimeout) {
    RetryLimits retrying;
    retrying.retry_on_timeout = true;
    for (const auto& limits : {RetryLimits{}, retrying}) {
        const auto interrupted = decide_retry(Failure::Interrupted, 1, 0, limits);
        const auto timeout = decide_retry(Failure::Timeout, 1, 0, limits);
        EXPECT_EQ(interrupted.action, timeout.action);
        EXPECT_EQ(interrupted.refresh, timeout.refresh);
        EXPECT_EQ(interrupted.close_connection, timeout.close_connection);
        EXPECT_EQ(interrupted.mark_node_failed, timeout.mark_node_failed);
    }
    EXPECT_EQ(decide_retry(Failure::Interrupted, 1, 0, {}).action, Action::Fail);
}

TEST(RetryPolicy, NoRetryStartsWhoseBackoffOutlastsTheTimeBudget) {
    // Second connection failure: 50 ms backoff.
    const auto in_time = decide_retry(Failure::Connection, 2, 0, {}, 51ms);
    EXPECT_EQ(in_time.action, Action::Retry);
    EXPECT_FALSE(in_time.out_of_time);
    const auto late = decide_retry(Failure::Connection, 2, 0, {}, 50ms);
    EXPECT_EQ(late.action, Action::Fail);
    EXPECT_TRUE(late.out_of_time);
    EXPECT_EQ(late.delay, 0ms);
    EXPECT_TRUE(late.close_connection);                 // still cleans up
    EXPECT_EQ(late.refresh, Refresh::InBackground);     // without waiting for it
    // A budget already spent stops even an immediate retry.
    EXPECT_EQ(decide_retry(Failure::Moved, 1, 0, {}, 0ms).action, Action::Fail);
    EXPECT_EQ(decide_retry(Failure::Moved, 1, 0, {}, -5ms).action, Action::Fail);
    EXPECT_EQ(decide_retry(Failure::Moved, 1, 0, {}, 1ms).action, Action::RetryMoved);
    // Failures that fail anyway are not reported as out of time.
    EXPECT_FALSE(decide_retry(Failure::NoConnection, 1, 0, {}, 0ms).out_of_time);
}

TEST(RetryPolicy, ReadOnlyAndUncoveredSlotsAreTopologySignals) {
    for (const auto failure : {Failure::ReadOnly, Failure::SlotNotCovered}) {
        const auto d = decide_retry(failure, 1, 0, {});
        EXPECT_EQ(d.action, Action::Retry);
        EXPECT_EQ(d.refresh, Refresh::BeforeRetry);
    }
}

TEST(RetryPolicy, PoolExhaustionIsNotRetried) {
    EXPECT_EQ(decide_retry(Failure::NoConnection, 1, 0, {}).action, Action::Fail);
}

TEST(RetryPolicy, EveryFailureStopsAtTheAttemptBudget) {
    RetryLimits limits;
    limits.retry_on_timeout = true;
    for (const auto failure : {Failure::Moved, Failure::Ask, Failure::TryAgain, Failure::ClusterDown, Failure::ReadOnly,
                               Failure::Loading, Failure::SlotNotCovered, Failure::Connection, Failure::Timeout,
                               Failure::Interrupted}) {
        EXPECT_EQ(decide_retry(failure, limits.max_attempts, 0, limits).action, Action::Fail);
        EXPECT_NE(decide_retry(failure, limits.max_attempts - 1, 1, limits).action, Action::Fail);
    }
}

}  // namespace
}  // namespace rediscluster::detail
