// A frozen node (SIGSTOP, then SIGCONT) under load: commands for its slots
// fail with TimeoutError within the socket timeout; commands for the other
// slots go on unharmed; after SIGCONT everything recovers.

#include <gtest/gtest.h>

#include <csignal>

#include "fault_support.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

constexpr int kThreadsPerSide = 8;
constexpr auto kSocketTimeout = 250ms;
// Shorter than cluster-node-timeout (2 s): the cluster must not fail the
// node over, so what is measured is the client alone.
constexpr auto kFrozenFor = 1200ms;
// The stated bound for commands of the other slots while a node is frozen.
constexpr auto kUnaffectedBound = 100ms;

TEST(FaultFrozenNode, OnlyTheFrozenNodesSlotsTimeOutAndEverythingRecovers) {
    FaultCluster cluster;
    RedisCluster rc(fault_client_options(cluster, kSocketTimeout));
    const auto frozen = cluster.port(0);
    const auto frozen_tags = tags_of(*rc.connection_pool, frozen, true, 64);
    const auto other_tags = tags_of(*rc.connection_pool, frozen, false, 64);

    // Threads 0..7 use the frozen node's keys, 8..15 the others'.
    BackgroundLoad load(2 * kThreadsPerSide, 1'000'000, 60s, [&](int thread, std::size_t i) {
        const auto& tags = thread < kThreadsPerSide ? frozen_tags : other_tags;
        const auto key = tags[(static_cast<std::size_t>(thread) * 7 + i) % tags.size()] + ":" + std::to_string(thread);
        const std::string value = std::to_string(i);
        rc.set(key, value);
        return rc.get(key) == value;
    });
    std::this_thread::sleep_for(1s);
    const auto created_before = rc.connection_pool->created_connections();

    const auto frozen_at = Clock::now();
    cluster.signal(frozen, SIGSTOP);
    std::this_thread::sleep_for(kFrozenFor);
    cluster.signal(frozen, SIGCONT);
    const auto resumed_at = Clock::now();
    std::this_thread::sleep_for(2s);
    const auto records = load.stop();

    const auto [frozen_side, other_side] = split_by_thread(records, kThreadsPerSide);

    // The other slots: no error, latency within the stated bound, even
    // while the node was frozen.
    const auto others_during = expect_unharmed(other_side, frozen_at, resumed_at, kUnaffectedBound);

    // The frozen node's slots: only TimeoutError, each within the socket
    // timeout (plus scheduling slack), and only while it was frozen.
    const auto mine = summarize(frozen_side);
    std::size_t timeouts = 0;
    for (const auto& record : frozen_side) {
        if (record.error.empty()) continue;
        EXPECT_EQ(record.error.rfind("TimeoutError", 0), 0u) << record.error;
        EXPECT_LE(record.duration, kSocketTimeout + 250ms) << record.error;
        EXPECT_GE(record.start + record.duration, frozen_at);
        ++timeouts;
    }
    EXPECT_GT(timeouts, 0u);
    // Recovered within 1 s of SIGCONT: nothing fails after that.
    const auto after = summarize(started_between(frozen_side, resumed_at + 1s, Clock::time_point::max()));
    EXPECT_EQ(after.errors, 0u) << after.first_error_text;
    EXPECT_GT(after.operations, 0u);
    const auto recovered_in = mine.last_error_end > resumed_at ? mine.last_error_end - resumed_at : Clock::duration{};

    const auto created = rc.connection_pool->created_connections();
    const auto seen = expect_pool_matches_servers(*rc.connection_pool, cluster.ports());
    report("frozen master (SIGSTOP " + millis(kFrozenFor) + ", socket_timeout " + millis(kSocketTimeout) + ")",
           "8 threads on its slots + 8 on the others, SET+GET, " + std::to_string(records.size()) + " ops",
           std::to_string(timeouts) + " TimeoutError on its slots (max " + millis(mine.max_duration) +
               "), 0 on the others (max " + millis(others_during.max_duration) + " while frozen)",
           "last error " + millis(recovered_in) + " after SIGCONT",
           std::to_string(created_before) + " before, " + std::to_string(created) + " after = " + std::to_string(seen) +
               " on servers");
}

}  // namespace
}  // namespace rediscluster::test
