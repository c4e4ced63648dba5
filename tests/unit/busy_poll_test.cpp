// When a read polls before it sleeps: polls that see their reply are kept
// up; misses in a row make ever longer runs of reads sleep at once, up to a
// bound; one poll that sees its reply ends the back-off.

#include "detail/busy_poll.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

using rediscluster::detail::BusyPollPolicy;

// How many reads in a row sleep at once before the next one polls.
std::uint32_t reads_skipped(BusyPollPolicy& policy) {
    std::uint32_t skipped = 0;
    while (!policy.poll_next()) {
        ++skipped;
        if (skipped > 10 * BusyPollPolicy::kMaxSkipped) break;  // a bug: never polls again
    }
    return skipped;
}

TEST(BusyPollPolicy, PollsEveryReadWhileRepliesArriveInTime) {
    BusyPollPolicy policy;
    for (int read = 0; read < 1000; ++read) {
        ASSERT_TRUE(policy.poll_next()) << "read " << read;
        policy.record(true);
    }
}

TEST(BusyPollPolicy, MissesInARowDoubleTheReadsThatSleepAtOnceUpToTheBound) {
    BusyPollPolicy policy;
    std::vector<std::uint32_t> skipped;
    ASSERT_TRUE(policy.poll_next());
    for (int miss = 0; miss < 12; ++miss) {
        policy.record(false);
        skipped.push_back(reads_skipped(policy));
    }
    const std::vector<std::uint32_t> expected = {1, 2, 4, 8, 16, 32, 64, 128, 256, 256, 256, 256};
    EXPECT_EQ(skipped, expected);
}

TEST(BusyPollPolicy, OnePollInTimeEndsTheBackOff) {
    BusyPollPolicy policy;
    for (int miss = 0; miss < 5; ++miss) {
        ASSERT_TRUE(policy.poll_next());
        policy.record(false);
        (void)reads_skipped(policy);
    }
    ASSERT_TRUE(policy.poll_next());
    policy.record(true);
    EXPECT_TRUE(policy.poll_next()) << "a hit lets the very next read poll";
    policy.record(false);
    EXPECT_EQ(reads_skipped(policy), 1u) << "and a miss after it starts the back-off from the beginning";
}

}  // namespace
