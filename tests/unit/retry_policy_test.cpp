#include <gtest/gtest.h>

#include "detail/retry_policy.hpp"

namespace rediscluster::detail {
namespace {

using namespace std::chrono_literals;
using Action = RetryDecision::Action;

TEST(RetryPolicy, MovedRetriesOnTheTargetUpdatesTheMapAndRefreshes) {
    const auto d = decide_retry(Failure::Moved, 1, 0, {});
    EXPECT_EQ(d.action, Action::RetryMoved);
    EXPECT_TRUE(d.update_slot_map);
    EXPECT_TRUE(d.refresh_topology);
    EXPECT_EQ(d.delay, 0ms);
    EXPECT_FALSE(d.close_connection);
}

TEST(RetryPolicy, AskRetriesWithAskingAndLeavesTheMapAlone) {
    const auto d = decide_retry(Failure::Ask, 1, 0, {});
    EXPECT_EQ(d.action, Action::RetryAsking);
    EXPECT_FALSE(d.update_slot_map);
    EXPECT_FALSE(d.refresh_topology);
}

TEST(RetryPolicy, TryAgainBacksOffAndGrowsToACap) {
    EXPECT_EQ(decide_retry(Failure::TryAgain, 1, 0, {}).delay, 5ms);
    EXPECT_EQ(decide_retry(Failure::TryAgain, 2, 0, {}).delay, 10ms);
    EXPECT_EQ(decide_retry(Failure::TryAgain, 3, 0, {}).delay, 20ms);
    EXPECT_EQ(decide_retry(Failure::TryAgain, 15, 0, {}).delay, 100ms);
    EXPECT_FALSE(decide_retry(Failure::TryAgain, 1, 0, {}).refresh_topology);
}

TEST(RetryPolicy, ClusterDownIsRetriedUpToItsOwnBudgetWithRefresh) {
    RetryLimits limits;
    limits.cluster_down_retry_attempts = 3;
    for (int seen = 1; seen <= 3; ++seen) {
        const auto d = decide_retry(Failure::ClusterDown, seen, seen, limits);
        EXPECT_EQ(d.action, Action::Retry) << seen;
        EXPECT_TRUE(d.refresh_topology);
        EXPECT_GT(d.delay, 0ms);
    }
    EXPECT_EQ(decide_retry(Failure::ClusterDown, 4, 4, limits).action, Action::Fail);
}

TEST(RetryPolicy, ConnectionErrorsCloseMarkRefreshAndRetry) {
    const auto first = decide_retry(Failure::Connection, 1, 0, {});
    EXPECT_EQ(first.action, Action::Retry);
    EXPECT_TRUE(first.close_connection);
    EXPECT_TRUE(first.mark_node_failed);
    EXPECT_TRUE(first.refresh_topology);
    EXPECT_EQ(first.delay, 0ms);  // the map may already know a better node
    EXPECT_GT(decide_retry(Failure::Connection, 2, 0, {}).delay, 0ms);
}

TEST(RetryPolicy, TimeoutsAreRetriedOnlyWhenAllowed) {
    EXPECT_EQ(decide_retry(Failure::Timeout, 1, 0, {}).action, Action::Fail);
    RetryLimits limits;
    limits.retry_on_timeout = true;
    const auto d = decide_retry(Failure::Timeout, 1, 0, limits);
    EXPECT_EQ(d.action, Action::Retry);
    EXPECT_TRUE(d.close_connection);
    EXPECT_TRUE(d.refresh_topology);
}

TEST(RetryPolicy, ReadOnlyAndUncoveredSlotsAreTopologySignals) {
    for (const auto failure : {Failure::ReadOnly, Failure::SlotNotCovered}) {
        const auto d = decide_retry(failure, 1, 0, {});
        EXPECT_EQ(d.action, Action::Retry);
        EXPECT_TRUE(d.refresh_topology);
    }
}

TEST(RetryPolicy, PoolExhaustionIsNotRetried) {
    EXPECT_EQ(decide_retry(Failure::NoConnection, 1, 0, {}).action, Action::Fail);
}

TEST(RetryPolicy, EveryFailureStopsAtTheAttemptBudget) {
    RetryLimits limits;
    limits.retry_on_timeout = true;
    for (const auto failure : {Failure::Moved, Failure::Ask, Failure::TryAgain, Failure::ClusterDown, Failure::ReadOnly,
                               Failure::Loading, Failure::SlotNotCovered, Failure::Connection, Failure::Timeout}) {
        EXPECT_EQ(decide_retry(failure, limits.max_attempts, 0, limits).action, Action::Fail);
        EXPECT_NE(decide_retry(failure, limits.max_attempts - 1, 1, limits).action, Action::Fail);
    }
}

}  // namespace
}  // namespace rediscluster::detail
