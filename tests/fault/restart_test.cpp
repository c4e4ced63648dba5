// Nodes that go away and come back under load: a replica restarted on the
// same port (reads return to it), and a killed master that comes back as a
// replica of its successor and then takes over again (the client follows
// both role changes).

#include <gtest/gtest.h>

#include <csignal>

#include "fault_support.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

bool replica_in_sync(std::uint16_t port) {
    try {
        const std::string info(node_command(port, {"INFO", "replication"}).str());
        return info.find("role:slave") != std::string::npos && info.find("master_link_status:up") != std::string::npos;
    } catch (const Error&) {
        return false;
    }
}

TEST(FaultRestart, AReplicaRestartedOnItsPortGetsItsReadsBack) {
    FaultCluster cluster;
    auto options = fault_client_options(cluster, 1s);
    options.read_from_replicas = true;
    RedisCluster rc(options);
    const auto master = cluster.port(0);
    const auto replicas = cluster.replicas_of(master, cluster.port(1));
    ASSERT_FALSE(replicas.empty());
    const auto replica = replicas.front();

    // Replica reads may lag the write before them: only errors are judged.
    BackgroundLoad load(8, 1'000'000, 60s, [&](int thread, std::size_t i) {
        const std::string key = "restart:" + std::to_string(thread) + ":" + std::to_string(i % 100);
        rc.set(key, std::to_string(i));
        (void)rc.get(key);
        return true;
    });
    ASSERT_TRUE(eventually([&] { return command_calls(replica, "get") > 100; }, 10s)) << "no read reached the replica";

    const auto stopped_at = Clock::now();
    cluster.signal(replica, SIGTERM);
    ASSERT_TRUE(eventually([&] { return cluster.role(replica).empty(); }, 10s));
    std::this_thread::sleep_for(500ms);
    cluster.restart(replica);
    ASSERT_TRUE(eventually([&] { return replica_in_sync(replica); }, 20s)) << "the replica did not sync again";
    const auto back_at = Clock::now();
    // Its statistics restarted from zero: reads that reach it now are new.
    const bool reads_back = eventually([&] { return command_calls(replica, "get") > 100; }, 15s);
    const auto reads_back_at = Clock::now();
    const auto records = load.stop();

    EXPECT_TRUE(reads_back) << "reads did not return to the restarted replica";
    const auto summary = summarize(records);
    EXPECT_EQ(summary.errors, 0u) << summary.first_error_text;
    EXPECT_LE(summary.max_duration, 1500ms) << millis(summary.max_duration);
    const auto created = rc.connection_pool->created_connections();
    const auto seen = expect_pool_matches_servers(*rc.connection_pool, cluster.ports());
    report("replica restarted on its port (read_from_replicas)",
           "8 threads SET + replica GET, " + std::to_string(summary.operations) + " ops",
           std::to_string(summary.errors) + " errors (reads went to the master meanwhile)",
           "down " + millis(back_at - stopped_at) + " until in sync; reads back on it " +
               millis(reads_back_at - back_at) + " later",
           std::to_string(created) + " in pool = " + std::to_string(seen) + " on servers");
}

TEST(FaultRestart, AKilledMasterComesBackAsReplicaAndTakesOverAgain) {
    constexpr auto kSocketTimeout = 1s;
    FaultCluster cluster;
    RedisCluster rc(fault_client_options(cluster, kSocketTimeout));
    const auto master = cluster.port(0);
    const auto replicas = cluster.replicas_of(master, cluster.port(1));
    ASSERT_FALSE(replicas.empty());
    const auto successor = replicas.front();

    BackgroundLoad load(16, 1'000'000, 90s, [&](int thread, std::size_t i) {
        const std::string key = "comeback:" + std::to_string(thread) + ":" + std::to_string(i % 100);
        const std::string value = std::to_string(i);
        rc.set(key, value);
        return rc.get(key) == value;
    });
    ASSERT_TRUE(eventually([&] { return load.completed() > 2000 / kLoadScale; }, 20s));

    const auto killed_at = Clock::now();
    cluster.kill(master);
    ASSERT_TRUE(eventually([&] { return cluster.role(successor) == "master"; }, 30s)) << "no replica took over";
    // Promoted, and the cluster serves every slot again (a node may still
    // answer CLUSTERDOWN for a while after the promotion).
    auto survivors = cluster.ports();
    std::erase(survivors, master);
    ASSERT_TRUE(eventually([&] { return cluster.serving(survivors); }, 30s)) << "the cluster stayed down";
    const auto promoted_at = Clock::now();
    cluster.restart(master);
    ASSERT_TRUE(eventually([&] { return replica_in_sync(master); }, 30s)) << "the old master did not rejoin as replica";
    const auto rejoined_at = Clock::now();
    std::this_thread::sleep_for(500ms);
    ASSERT_TRUE(fail_over_to(master, 30s)) << "the old master did not take over";
    const auto retaken_at = Clock::now();
    const auto sets_at_takeover = command_calls(master, "set");
    std::this_thread::sleep_for(2s);
    const auto records = load.stop();

    // Errors only between the kill and 1 s after the promotion; none across
    // the restart and the planned failover back.
    const auto summary = summarize(records);
    const auto later = summarize(started_between(records, promoted_at + 1s, Clock::time_point::max()));
    EXPECT_EQ(later.errors, 0u) << later.first_error_text;
    EXPECT_EQ(later.wrong_answers, 0u);
    EXPECT_GE(summary.first_error + kSocketTimeout, killed_at);
    EXPECT_LE(summary.max_duration, kSocketTimeout + 500ms) << millis(summary.max_duration);
    // The client followed the role change back: writes land on the node
    // that took over again, and its map says so.
    EXPECT_GT(command_calls(master, "set"), sets_at_takeover + 100);
    // A slot the load did not touch may still be on the node a discovery
    // heard last (a node that had not yet heard of the failover back); a
    // write to it moves it, as MOVED teaches.
    rc.set(key_in_slot(0, "after-takeover"), "v");
    EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(0).port, master);

    const auto created = rc.connection_pool->created_connections();
    const auto seen = expect_pool_matches_servers(*rc.connection_pool, cluster.ports());
    report("master killed, back as replica, takes over again",
           "16 threads SET+GET, " + std::to_string(summary.operations) + " ops",
           std::to_string(summary.errors) + " errors, all in the kill's window; 0 across the restart and the failover back",
           "promoted " + millis(promoted_at - killed_at) + " after the kill; rejoined " + millis(rejoined_at - promoted_at) +
               " later; took over again in " + millis(retaken_at - rejoined_at),
           std::to_string(created) + " in pool = " + std::to_string(seen) + " on servers");
}

}  // namespace
}  // namespace rediscluster::test
