// Pool stress: 64 threads share a blocking pool of 8 connections for a few
// hundred thousand commands while nodes fail at random (their client
// connections killed, a master frozen for a moment). No deadlock, no leak,
// never more than 8 connections, every wait bounded, only typed errors.

#include <gtest/gtest.h>

#include "fault_support.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

constexpr int kThreads = 64;
constexpr std::size_t kConnections = 8;
constexpr std::size_t kOpsPerThread = 4000 / kLoadScale;
constexpr auto kPoolWait = 2s;
constexpr auto kSocketTimeout = 300ms;

TEST(FaultPoolStress, SixtyFourThreadsOverEightConnectionsWithFailingNodes) {
    FaultCluster cluster;
    const auto options = fault_client_options(cluster, kSocketTimeout);
    ClusterConnectionPoolOptions pool_options;
    pool_options.startup_nodes = options.startup_nodes;
    pool_options.max_connections = kConnections;
    pool_options.timeout = kPoolWait;
    pool_options.connection_kwargs = options.connection_kwargs;
    auto pool = std::make_shared<ClusterBlockingConnectionPool>(pool_options);
    auto client_options = options;
    client_options.connection_pool = pool;
    RedisCluster rc(client_options);
    const std::vector<std::uint16_t> masters{cluster.port(0), cluster.port(1), cluster.port(2)};

    // Watches the cap while everything runs.
    std::atomic<bool> done{false};
    std::atomic<std::size_t> most_connections{0};
    std::thread watcher([&] {
        while (!done) {
            const auto now = pool->created_connections();
            if (now > most_connections) most_connections = now;
            std::this_thread::sleep_for(1ms);
        }
    });

    const auto started = Clock::now();
    BackgroundLoad load(kThreads, kOpsPerThread, 120s, [&](int thread, std::size_t i) {
        const std::string key = "stress:" + std::to_string((static_cast<std::size_t>(thread) * 7919 + i * 31) % 10000);
        if (i % 2 == 0) {
            rc.set(key, "value");
        } else {
            (void)rc.get(key);
        }
        return true;
    });

    // Failures at random until the load ends (see inject_node_failures()).
    // They stop before the last tenth of the load, which then finds every
    // connection a kill left dead in the pool: the connection check at the
    // end compares the pool with the servers, and a connection killed while
    // idle after the last command would be in the one, not the other.
    constexpr auto kOps = kThreads * kOpsPerThread;
    const auto injected = inject_node_failures(cluster, masters, [&] {
        return load.completed() < kOps - kOps / 10 && Clock::now() - started < 100s;
    });
    (void)eventually([&] { return load.completed() >= kOps; },
                     std::chrono::duration_cast<std::chrono::milliseconds>(110s - (Clock::now() - started)));
    const auto records = load.stop();
    const auto elapsed = Clock::now() - started;
    done = true;
    watcher.join();

    // No deadlock: every thread did all its operations, within the limit.
    const auto summary = summarize(records);
    EXPECT_EQ(summary.operations, kThreads * kOpsPerThread);
    EXPECT_LE(most_connections.load(), kConnections);
    // Every call ends within the pool's wait plus one command's budget.
    EXPECT_LE(summary.max_duration, kPoolWait + kSocketTimeout + 500ms) << millis(summary.max_duration);
    std::size_t pool_timeouts = 0;
    for (const auto& record : records) {
        if (record.error.empty()) continue;
        const bool typed = record.error.starts_with("TimeoutError") || record.error.starts_with("ConnectionError") ||
                           record.error.starts_with("IncompleteReplyError") || record.error.starts_with("ClusterError");
        EXPECT_TRUE(typed) << record.error;
        if (record.error.find("No connection available") != std::string::npos) ++pool_timeouts;
    }

    const auto created = pool->created_connections();
    EXPECT_LE(created, kConnections);
    const auto seen = expect_pool_matches_servers(*pool, cluster.ports());
    report("pool stress (blocking pool of " + std::to_string(kConnections) + ", " + std::to_string(injected.kills) +
               " CLIENT KILLs, " + std::to_string(injected.freezes) + " 400 ms freezes)",
           std::to_string(kThreads) + " threads, " + std::to_string(summary.operations) + " SET/GET in " + millis(elapsed),
           std::to_string(summary.errors) + " typed errors (" + std::to_string(pool_timeouts) +
               " pool waits over " + millis(kPoolWait) + "), no deadlock",
           "max call " + millis(summary.max_duration) + ", p99 " + millis(summary.p99_duration),
           "at most " + std::to_string(most_connections.load()) + " alive; " + std::to_string(created) +
               " after = " + std::to_string(seen) + " on servers");
}

}  // namespace
}  // namespace rediscluster::test
