#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <set>
#include <mutex>
#include <thread>

#include "support/error_of.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster {
namespace {

using test::error_of;

Reply endpoint(std::string_view host, std::int64_t port) {
    return Reply::array({Reply::bulk_string(host), Reply::integer(port)});
}

Reply slots_reply(std::vector<std::tuple<int, int, int, int>> ranges) {  // first, last, master port, replica port
    std::vector<Reply> entries;
    for (auto [first, last, master, replica] : ranges) {
        std::vector<Reply> entry{Reply::integer(first), Reply::integer(last), endpoint("127.0.0.1", master)};
        if (replica != 0) entry.push_back(endpoint("127.0.0.1", replica));
        entries.push_back(Reply::array(std::move(entry)));
    }
    return Reply::array(std::move(entries));
}

Reply full_cluster() {
    return slots_reply({{0, 5460, 7000, 7003}, {5461, 10922, 7001, 7004}, {10923, 16383, 7002, 7005}});
}

// A scripted runner: per node port, what CLUSTER SLOTS and CONFIG GET answer
// (a Reply, or an exception to throw). Records every call.
struct FakeCluster {
    std::map<std::uint16_t, std::function<Reply()>> cluster_slots;
    std::map<std::uint16_t, std::string> require_full_coverage;  // "yes" / "no"
    std::vector<std::string> calls;
    std::mutex mutex;

    NodeCommandRunner runner() {
        return [this](const HostPort& node, const std::vector<std::string>& command) -> Reply {
            {
                std::lock_guard lock(mutex);
                calls.push_back(node_name(node.host, node.port) + " " + command[0] + " " + command[1]);
            }
            if (command[0] == "CLUSTER") {
                auto it = cluster_slots.find(node.port);
                if (it == cluster_slots.end()) throw ConnectionError("Connection refused");
                return it->second();
            }
            const auto answer = require_full_coverage.count(node.port) ? require_full_coverage[node.port] : "yes";
            return Reply::array({Reply::bulk_string("cluster-require-full-coverage"), Reply::bulk_string(answer)});
        };
    }
};

NodeManagerOptions seeds(std::initializer_list<std::uint16_t> ports) {
    NodeManagerOptions options;
    for (auto port : ports) options.startup_nodes.push_back({"127.0.0.1", port});
    return options;
}

TEST(NodeManager, DiscoversFromTheFirstSeedWithoutAnExtraRoundTrip) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    NodeManager manager(seeds({7000, 7001}), fake.runner());
    manager.initialize();
    EXPECT_EQ(fake.calls, std::vector<std::string>{"127.0.0.1:7000 CLUSTER SLOTS"});  // no CONFIG GET at full coverage
    EXPECT_EQ(manager.slots()->size(), 16384u);
    EXPECT_EQ(manager.all_nodes().size(), 6u);
    EXPECT_EQ(manager.get_nodes_by_server_type("master").size(), 3u);
    EXPECT_EQ(manager.get_nodes_by_server_type("slave").size(), 3u);
    EXPECT_EQ(manager.get_master_node_by_slot(12182).name, "127.0.0.1:7002");
    EXPECT_EQ(manager.generation(), 1u);
}

TEST(NodeManager, UnreachableSeedsAreSkipped) {
    FakeCluster fake;
    fake.cluster_slots[7001] = full_cluster;
    fake.cluster_slots[7002] = [] () -> Reply { throw TimeoutError("Timeout reading from 127.0.0.1:7002"); };
    NodeManager manager(seeds({7002, 7000, 7001}), fake.runner());
    manager.initialize();
    EXPECT_EQ(fake.calls.size(), 3u);
    EXPECT_EQ(manager.slots()->size(), 16384u);
}

TEST(NodeManager, NoReachableSeedNamesEachFailure) {
    FakeCluster fake;
    fake.cluster_slots[7001] = [] () -> Reply { throw ProtocolError("garbage"); };
    NodeManager manager(seeds({7000, 7001}), fake.runner());
    EXPECT_EQ(error_of<RedisClusterException>([&] { manager.initialize(); }),
              "Redis Cluster cannot be connected. Please provide at least one reachable node: "
              "127.0.0.1:7000: Connection refused; 127.0.0.1:7001: garbage");
    EXPECT_EQ(manager.slots()->size(), 0u);
}

TEST(NodeManager, ClusterDownSeedIsSkipped) {
    FakeCluster fake;
    fake.cluster_slots[7000] = [] () -> Reply { throw ClusterDownError("CLUSTERDOWN The cluster is down"); };
    fake.cluster_slots[7001] = full_cluster;
    NodeManager manager(seeds({7000, 7001}), fake.runner());
    manager.initialize();
    EXPECT_EQ(manager.slots()->size(), 16384u);
}

TEST(NodeManager, AuthenticationFailureStopsDiscoveryAtOnce) {
    FakeCluster fake;
    fake.cluster_slots[7000] = [] () -> Reply { throw AuthenticationError("WRONGPASS invalid username-password pair"); };
    fake.cluster_slots[7001] = full_cluster;
    NodeManager manager(seeds({7000, 7001}), fake.runner());
    EXPECT_EQ(error_of<RedisClusterException>([&] { manager.initialize(); }),
              "ERROR sending 'cluster slots' command to redis server: 127.0.0.1:7000: WRONGPASS invalid "
              "username-password pair");
    EXPECT_EQ(fake.calls.size(), 1u);
}

TEST(NodeManager, PartialCoverageTriesTheNextSeedWhenFullCoverageIsRequired) {
    FakeCluster fake;
    fake.cluster_slots[7000] = [] { return slots_reply({{0, 5460, 7000, 0}}); };
    fake.cluster_slots[7001] = [] { return slots_reply({{5461, 16383, 7001, 0}}); };
    NodeManager manager(seeds({7000, 7001}), fake.runner());
    manager.initialize();  // the two partial answers merge into full coverage
    EXPECT_EQ(manager.slots()->size(), 16384u);
    EXPECT_EQ(fake.calls, (std::vector<std::string>{"127.0.0.1:7000 CLUSTER SLOTS", "127.0.0.1:7000 CONFIG GET",
                                                    "127.0.0.1:7001 CLUSTER SLOTS"}));
}

TEST(NodeManager, PartialCoverageEverywhereIsAnError) {
    FakeCluster fake;
    fake.cluster_slots[7000] = [] { return slots_reply({{0, 5460, 7000, 0}}); };
    NodeManager manager(seeds({7000}), fake.runner());
    EXPECT_EQ(error_of<RedisClusterException>([&] { manager.initialize(); }),
              "All slots are not covered after query all startup_nodes. 5461 of 16384 covered: "
              "127.0.0.1:7000: covers 5461 of 16384 slots");
}

TEST(NodeManager, PartialCoverageIsAcceptedWhenTheClusterDoesNotRequireFull) {
    FakeCluster fake;
    fake.cluster_slots[7000] = [] { return slots_reply({{0, 5460, 7000, 0}}); };
    fake.require_full_coverage[7000] = "no";
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize();
    EXPECT_EQ(manager.slots()->size(), 5461u);
    EXPECT_EQ(error_of<SlotNotCoveredError>([&] { (void)manager.get_master_node_by_slot(9000); }),
              "Slot \"9000\" not covered by the cluster. \"skip_full_coverage_check=false\"");
}

TEST(NodeManager, SkipFullCoverageCheckAcceptsPartialWithoutAsking) {
    FakeCluster fake;
    fake.cluster_slots[7000] = [] { return slots_reply({{0, 5460, 7000, 0}}); };
    auto options = seeds({7000});
    options.skip_full_coverage_check = true;
    NodeManager manager(options, fake.runner());
    manager.initialize();
    EXPECT_EQ(manager.slots()->size(), 5461u);
    EXPECT_EQ(fake.calls.size(), 1u);
}

TEST(NodeManager, SeedsThatDisagreeAreAClearError) {
    FakeCluster fake;
    fake.cluster_slots[7000] = [] { return slots_reply({{0, 100, 7000, 0}}); };
    fake.cluster_slots[7001] = [] { return slots_reply({{50, 16383, 7001, 0}}); };
    NodeManager manager(seeds({7000, 7001}), fake.runner());
    EXPECT_EQ(error_of<ClusterError>([&] { manager.initialize(); }),
              "startup nodes could not agree on a valid slots cache: 127.0.0.1:7000 vs 127.0.0.1:7001 on slot: 50");
}

TEST(NodeManager, FollowClusterAsksTheKnownNodesFirst) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    fake.cluster_slots[7001] = full_cluster;
    auto options = seeds({7001});
    options.nodemanager_follow_cluster = true;
    NodeManager manager(options, fake.runner());
    manager.initialize();
    fake.cluster_slots.erase(7001);  // the only startup node is gone
    fake.calls.clear();
    manager.initialize();
    EXPECT_EQ(fake.calls, std::vector<std::string>{"127.0.0.1:7000 CLUSTER SLOTS"});
    EXPECT_EQ(manager.generation(), 2u);
}

TEST(NodeManager, WithoutFollowClusterTheStartupNodesComeFirstThenTheKnownNodes) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    fake.cluster_slots[7001] = full_cluster;
    NodeManager manager(seeds({7001}), fake.runner());
    manager.initialize();
    fake.calls.clear();
    manager.initialize();
    EXPECT_EQ(fake.calls, std::vector<std::string>{"127.0.0.1:7001 CLUSTER SLOTS"});
    // The only startup node died: the client still follows the cluster
    // through the nodes it knows, in slot order.
    fake.cluster_slots.erase(7001);
    fake.calls.clear();
    manager.initialize();
    EXPECT_EQ(fake.calls, (std::vector<std::string>{"127.0.0.1:7001 CLUSTER SLOTS", "127.0.0.1:7000 CLUSTER SLOTS"}));
    EXPECT_EQ(manager.generation(), 3u);
}

TEST(NodeManager, WhenNoNodeAnswersTheOldTableIsKept) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize();
    fake.cluster_slots.clear();
    EXPECT_THROW(manager.initialize(), RedisClusterException);
    EXPECT_EQ(manager.slots()->size(), 16384u);
    EXPECT_EQ(manager.generation(), 1u);
}

TEST(NodeManager, InitializeIfOlderThanSkipsAFreshTable) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize_if_older_than(std::chrono::hours(1));  // never discovered: discovers
    EXPECT_EQ(manager.generation(), 1u);
    manager.initialize_if_older_than(std::chrono::hours(1));
    EXPECT_EQ(manager.generation(), 1u);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    manager.initialize_if_older_than(std::chrono::milliseconds(1));
    EXPECT_EQ(manager.generation(), 2u);
}

TEST(NodeManager, TheListenerHearsOfEveryNewTable) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    std::vector<std::size_t> heard;
    NodeManager manager(seeds({7000}), fake.runner(), [&](const SlotTable& table) { heard.push_back(table.nodes().size()); });
    manager.initialize();
    fake.cluster_slots[7000] = [] { return slots_reply({{0, 16383, 7000, 0}}); };
    manager.initialize();
    fake.cluster_slots.clear();
    EXPECT_THROW(manager.initialize(), RedisClusterException);  // no new table: not heard
    EXPECT_EQ(heard, (std::vector<std::size_t>{6, 1}));
}

TEST(NodeManager, RemapAppliesToDiscoveredNodes) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    auto options = seeds({7000});
    options.host_port_remap = HostPortRemap(std::vector<HostPortRemapRule>{{.from_host = "127.0.0.1", .to_host = "localhost"}});
    NodeManager manager(options, fake.runner());
    manager.initialize();
    EXPECT_EQ(manager.get_master_node_by_slot(0).name, "localhost:7000");
}

TEST(NodeManager, InvalidConstructionArguments) {
    FakeCluster fake;
    EXPECT_EQ(error_of<RedisClusterException>([&] { NodeManager(NodeManagerOptions{}, fake.runner()); }),
              "No startup nodes provided");
    EXPECT_THROW(NodeManager(seeds({0}), fake.runner()), RedisClusterConfigError);
    auto options = seeds({7000});
    options.reinitialize_steps = 0;
    EXPECT_THROW(NodeManager(options, fake.runner()), RedisClusterConfigError);
    NodeManager manager(seeds({7000}), fake.runner());
    EXPECT_EQ(error_of<RedisClusterConfigError>([&] { (void)manager.get_nodes_by_server_type("replica"); }),
              "server_type must be 'master' or 'slave', got 'replica'");
}

TEST(NodeManager, RandomNodeIsAStartupNodeBeforeDiscoveryAndAnyNodeAfter) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    NodeManager manager(seeds({7000}), fake.runner());
    EXPECT_EQ(manager.random_node().name, "127.0.0.1:7000");
    manager.initialize();
    std::set<std::string> seen;
    for (int i = 0; i < 500; ++i) seen.insert(manager.random_node().name);
    EXPECT_EQ(seen.size(), 6u);
}

TEST(NodeManager, MovedToAnotherMasterMovesOneSlot) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize();
    EXPECT_TRUE(manager.apply_moved(100, {"127.0.0.1", 7001}));
    const auto table = manager.slots();
    EXPECT_EQ(table->master(100)->name, "127.0.0.1:7001");
    EXPECT_EQ((*table)[100].size(), 2u);  // with 7001's replica
    EXPECT_EQ(table->master(99)->name, "127.0.0.1:7000");
    EXPECT_EQ(table->master(101)->name, "127.0.0.1:7000");
    EXPECT_EQ(table->size(), 16384u);
    EXPECT_FALSE(manager.apply_moved(100, {"127.0.0.1", 7001}));  // already there
}

TEST(NodeManager, MovedToTheReplicaIsAFailoverOfTheWholeShard) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize();
    EXPECT_TRUE(manager.apply_moved(42, {"127.0.0.1", 7003}));
    const auto table = manager.slots();
    for (const std::uint16_t slot : {std::uint16_t{0}, std::uint16_t{42}, std::uint16_t{5460}}) {
        ASSERT_NE(table->master(slot), nullptr);
        EXPECT_EQ(table->master(slot)->name, "127.0.0.1:7003");
        EXPECT_TRUE(table->master(slot)->is_master());
        EXPECT_EQ((*table)[slot].size(), 1u);
    }
    EXPECT_EQ(table->master(5461)->name, "127.0.0.1:7001");
}

TEST(NodeManager, MovedForAnUncoveredSlotCoversIt) {
    FakeCluster fake;
    fake.cluster_slots[7000] = [] { return slots_reply({{0, 5460, 7000, 0}}); };
    auto options = seeds({7000});
    options.skip_full_coverage_check = true;
    NodeManager manager(options, fake.runner());
    manager.initialize();
    EXPECT_TRUE(manager.apply_moved(9000, {"127.0.0.1", 7001}));
    EXPECT_EQ(manager.get_master_node_by_slot(9000).name, "127.0.0.1:7001");
    EXPECT_EQ(manager.slots()->size(), 5462u);
}

TEST(NodeManager, ReinitializeCounterFiresAtEveryThreshold) {
    FakeCluster fake;
    auto options = seeds({7000});
    options.reinitialize_steps = 3;
    NodeManager manager(options, fake.runner());
    EXPECT_FALSE(manager.increment_reinitialize_counter());
    EXPECT_FALSE(manager.increment_reinitialize_counter());
    EXPECT_TRUE(manager.increment_reinitialize_counter());
    EXPECT_FALSE(manager.increment_reinitialize_counter());
    // A jump past the threshold still fires (the original's modulo test did not).
    EXPECT_TRUE(manager.increment_reinitialize_counter(5));
}

TEST(NodeManager, ConcurrentInitializeCallsShareOneDiscovery) {
    FakeCluster fake;
    std::mutex gate_mutex;
    std::condition_variable gate;
    bool open = false;
    std::atomic<int> discoveries{0};
    fake.cluster_slots[7000] = [&] {
        ++discoveries;
        std::unique_lock lock(gate_mutex);
        gate.wait(lock, [&] { return open; });
        return full_cluster();
    };
    NodeManager manager(seeds({7000}), fake.runner());
    std::thread first([&] { manager.initialize(); });
    while (discoveries.load() == 0) std::this_thread::yield();
    std::vector<std::thread> followers;
    for (int i = 0; i < 4; ++i) followers.emplace_back([&] { manager.initialize(); });
    // Give the followers time to find the discovery in flight.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    {
        std::lock_guard lock(gate_mutex);
        open = true;
    }
    gate.notify_all();
    first.join();
    for (auto& t : followers) t.join();
    EXPECT_EQ(discoveries.load(), 1);
    EXPECT_EQ(manager.generation(), 1u);
}

TEST(NodeManager, FollowersOfAFailedDiscoveryGetItsError) {
    FakeCluster fake;
    std::atomic<bool> entered{false};
    std::atomic<bool> release{false};
    fake.cluster_slots[7000] = [&]() -> Reply {
        entered = true;
        while (!release) std::this_thread::yield();
        throw ConnectionError("Connection refused");
    };
    NodeManager manager(seeds({7000}), fake.runner());
    std::exception_ptr first_error;
    std::exception_ptr follower_error;
    std::thread first([&] {
        try { manager.initialize(); } catch (...) { first_error = std::current_exception(); }
    });
    while (!entered) std::this_thread::yield();
    std::thread follower([&] {
        try { manager.initialize(); } catch (...) { follower_error = std::current_exception(); }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    release = true;
    first.join();
    follower.join();
    EXPECT_TRUE(first_error);
    EXPECT_TRUE(follower_error);
}

TEST(NodeManager, TopologyListenersHearOfNewTablesForAsLongAsTheyLive) {
    FakeCluster fake;
    fake.cluster_slots[7000] = [] { return full_cluster(); };
    NodeManager manager(seeds({7000}), fake.runner());
    int heard = 0;
    std::size_t nodes_heard = 0;
    auto listener = std::make_shared<const TopologyListener>([&](const SlotTable& table) {
        ++heard;
        nodes_heard = table.nodes().size();
    });
    int heard_by_the_other = 0;
    auto other = std::make_shared<const TopologyListener>([&](const SlotTable&) { ++heard_by_the_other; });
    manager.add_topology_listener(listener);
    manager.add_topology_listener(other);
    manager.initialize();
    EXPECT_EQ(heard, 1);
    EXPECT_EQ(nodes_heard, 6u);
    // Only a weak reference is kept: once its owner lets go, it is not called.
    listener.reset();
    manager.initialize();
    EXPECT_EQ(heard, 1);
    EXPECT_EQ(heard_by_the_other, 2);
}

}  // namespace
}  // namespace rediscluster
