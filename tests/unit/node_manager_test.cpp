#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <set>
#include <mutex>
#include <optional>
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

// A scripted runner: per node port, what CLUSTER SLOTS, CLUSTER SHARDS,
// CLUSTER NODES and CONFIG GET answer (a Reply, or an exception to throw).
// A port with neither SLOTS nor SHARDS refuses connections. Without SHARDS
// the node answers it with an error, as a server before 7.0 does; without
// NODES, with an error too (no epochs). Records each call (each batch of
// commands on one connection) by its first command.
struct FakeCluster {
    std::map<std::uint16_t, std::function<Reply()>> cluster_slots;
    std::map<std::uint16_t, std::function<Reply()>> cluster_shards;
    std::map<std::uint16_t, std::string> cluster_nodes;
    std::map<std::uint16_t, std::string> require_full_coverage;  // "yes" / "no"
    // Answer as under RESP3: CONFIG GET a map, CLUSTER NODES a verbatim string.
    bool resp3 = false;
    std::vector<std::string> calls;
    std::mutex mutex;

    NodeCommandRunner runner() {
        return [this](const HostPort& node, const std::vector<std::vector<std::string>>& commands) {
            std::vector<Reply> replies;
            std::function<Reply()> slots;
            std::function<Reply()> shards;
            std::optional<std::string> nodes;
            std::string coverage = "yes";
            {
                std::lock_guard lock(mutex);
                calls.push_back(node_name(node.host, node.port) + " " + commands[0][0] + " " + commands[0][1]);
                if (cluster_slots.count(node.port)) slots = cluster_slots[node.port];
                if (cluster_shards.count(node.port)) shards = cluster_shards[node.port];
                if (cluster_nodes.count(node.port)) nodes = cluster_nodes[node.port];
                if (require_full_coverage.count(node.port)) coverage = require_full_coverage[node.port];
            }
            if (!slots && !shards) throw ConnectionError("Connection refused");
            for (const auto& command : commands) {
                if (command[0] == "CONFIG") {
                    std::vector<Reply> pair{Reply::bulk_string("cluster-require-full-coverage"),
                                            Reply::bulk_string(coverage)};
                    replies.push_back(resp3 ? Reply::map(std::move(pair)) : Reply::array(std::move(pair)));
                } else if (command[1] == "SLOTS") {
                    replies.push_back(slots ? slots() : Reply::error("ERR no SLOTS scripted"));
                } else if (command[1] == "SHARDS") {
                    replies.push_back(shards ? shards() : Reply::error("ERR unknown subcommand 'SHARDS'"));
                } else {
                    if (!nodes) {
                        replies.push_back(Reply::error("ERR unknown subcommand"));
                    } else {
                        replies.push_back(resp3 ? Reply::verbatim_string("txt", *nodes) : Reply::bulk_string(*nodes));
                    }
                }
            }
            return replies;
        };
    }
};

NodeManagerOptions seeds(std::initializer_list<std::uint16_t> ports) {
    NodeManagerOptions options;
    for (auto port : ports) options.startup_nodes.push_back({"127.0.0.1", port});
    return options;
}

// CLUSTER NODES text: one line per (port, config epoch, role).
std::string nodes_text(std::vector<std::tuple<int, int, std::string>> nodes) {
    std::string text;
    for (const auto& [port, epoch, role] : nodes) {
        text += "id" + std::to_string(port) + " 127.0.0.1:" + std::to_string(port) + "@1" + std::to_string(port) + " " +
                role + " - 0 0 " + std::to_string(epoch) + " connected\n";
    }
    return text;
}

TEST(NodeManager, DiscoversFromTheSeedsWithoutAskingForCoverage) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    NodeManager manager(seeds({7000, 7001}), fake.runner());
    manager.initialize();
    // CLUSTER SHARDS is refused (a server before 7.0): CLUSTER SLOTS then.
    // 7001 is asked too (a discovery hears from up to 3 nodes), and no
    // CONFIG GET at full coverage.
    EXPECT_EQ(fake.calls, (std::vector<std::string>{"127.0.0.1:7000 CLUSTER SHARDS", "127.0.0.1:7000 CLUSTER SLOTS",
                                                    "127.0.0.1:7001 CLUSTER SHARDS"}));
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
    EXPECT_EQ(fake.calls, (std::vector<std::string>{"127.0.0.1:7002 CLUSTER SHARDS", "127.0.0.1:7002 CLUSTER SLOTS",
                                                    "127.0.0.1:7000 CLUSTER SHARDS", "127.0.0.1:7001 CLUSTER SHARDS",
                                                    "127.0.0.1:7001 CLUSTER SLOTS"}));
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
    fake.cluster_shards[7000] = [] () -> Reply { throw AuthenticationError("WRONGPASS invalid username-password pair"); };
    fake.cluster_slots[7001] = full_cluster;
    NodeManager manager(seeds({7000, 7001}), fake.runner());
    EXPECT_EQ(error_of<AuthenticationError>([&] { manager.initialize(); }),
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
    EXPECT_EQ(fake.calls, (std::vector<std::string>{"127.0.0.1:7000 CLUSTER SHARDS", "127.0.0.1:7000 CLUSTER SLOTS",
                                                    "127.0.0.1:7001 CLUSTER SHARDS", "127.0.0.1:7001 CLUSTER SLOTS"}));
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

TEST(NodeManager, PartialCoverageIsAcceptedWhenTheClusterDoesNotRequireFullUnderResp3) {
    // Under RESP3, CONFIG GET answers a map: "no" must be read there too.
    FakeCluster fake;
    fake.resp3 = true;
    fake.cluster_slots[7000] = [] { return slots_reply({{0, 5460, 7000, 0}}); };
    fake.require_full_coverage[7000] = "no";
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize();
    EXPECT_EQ(manager.slots()->size(), 5461u);
}

TEST(NodeManager, APartialClusterThatAllowsItIsNotAskedBeyondTheSample) {
    FakeCluster fake;
    for (const std::uint16_t port : {std::uint16_t{7000}, std::uint16_t{7001}, std::uint16_t{7002},
                                     std::uint16_t{7003}, std::uint16_t{7004}}) {
        fake.cluster_slots[port] = [] { return slots_reply({{0, 5460, 7000, 0}}); };
        fake.require_full_coverage[port] = "no";
    }
    NodeManager manager(seeds({7000, 7001, 7002, 7003, 7004}), fake.runner());
    manager.initialize();
    EXPECT_EQ(manager.slots()->size(), 5461u);
    // 3 answers, then one CONFIG GET: not every node of the cluster.
    EXPECT_EQ(fake.calls, (std::vector<std::string>{"127.0.0.1:7000 CLUSTER SHARDS", "127.0.0.1:7000 CLUSTER SLOTS",
                                                    "127.0.0.1:7001 CLUSTER SHARDS", "127.0.0.1:7001 CLUSTER SLOTS",
                                                    "127.0.0.1:7002 CLUSTER SHARDS", "127.0.0.1:7002 CLUSTER SLOTS",
                                                    "127.0.0.1:7000 CONFIG GET"}));
}

TEST(NodeManager, SkipFullCoverageCheckAcceptsPartialWithoutAsking) {
    FakeCluster fake;
    fake.cluster_slots[7000] = [] { return slots_reply({{0, 5460, 7000, 0}}); };
    auto options = seeds({7000});
    options.skip_full_coverage_check = true;
    NodeManager manager(options, fake.runner());
    manager.initialize();
    EXPECT_EQ(manager.slots()->size(), 5461u);
    EXPECT_EQ(std::count(fake.calls.begin(), fake.calls.end(), "127.0.0.1:7000 CONFIG GET"), 0);
}

TEST(NodeManager, AnswersThatDisagreeAreSettledByConfigEpoch) {
    // 7000 has not heard that its replica 7003 took over (epoch 7); the
    // others have. Whichever is asked first, the newer claim wins.
    const auto stale = nodes_text({{7000, 1, "master"}, {7001, 2, "master"}, {7002, 3, "master"}, {7003, 1, "slave"}});
    const auto fresh = nodes_text({{7000, 7, "slave"}, {7001, 2, "master"}, {7002, 3, "master"}, {7003, 7, "master"}});
    const auto after_failover = [] {
        return slots_reply({{0, 5460, 7003, 7000}, {5461, 10922, 7001, 7004}, {10923, 16383, 7002, 7005}});
    };
    // The epochs are read from CLUSTER NODES as RESP2 sends it (a bulk
    // string) and as RESP3 does (a verbatim string).
    for (const int round : {0, 1, 2, 3}) {
        const bool stale_first = round < 2;
        const bool resp3 = round % 2 == 1;
        FakeCluster fake;
        fake.resp3 = resp3;
        fake.cluster_slots[7000] = full_cluster;
        fake.cluster_nodes[7000] = stale;
        fake.cluster_slots[7001] = after_failover;
        fake.cluster_nodes[7001] = fresh;
        fake.cluster_slots[7002] = after_failover;
        fake.cluster_nodes[7002] = fresh;
        NodeManager manager(stale_first ? seeds({7000, 7001, 7002}) : seeds({7001, 7002, 7000}), fake.runner());
        manager.initialize();
        EXPECT_EQ(manager.get_master_node_by_slot(42).name, "127.0.0.1:7003") << stale_first << resp3;
        EXPECT_EQ(manager.slots()->config_epoch(42), 7u);
        EXPECT_EQ(manager.get_master_node_by_slot(6000).name, "127.0.0.1:7001");
        EXPECT_EQ(manager.slots()->size(), 16384u);
    }
}

TEST(NodeManager, ASlotLearnedFromMovedIsNotGivenBackToAStaleAnswer) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    fake.cluster_nodes[7000] = nodes_text({{7000, 1, "master"}, {7001, 2, "master"}, {7002, 3, "master"}});
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize();
    // The replica took over; 7000 itself has not heard of it yet.
    EXPECT_TRUE(manager.record_moved(42, {"127.0.0.1", 7003}, HostPort{"127.0.0.1", 7001}));
    manager.initialize();
    EXPECT_EQ(manager.get_master_node_by_slot(42).name, "127.0.0.1:7003");
    EXPECT_EQ(manager.get_master_node_by_slot(5460).name, "127.0.0.1:7003");
    EXPECT_EQ(manager.get_master_node_by_slot(5461).name, "127.0.0.1:7001");
    // A change newer than the MOVED (epoch above the displaced owner's)
    // does take the slots.
    fake.cluster_slots[7000] = [] {
        return slots_reply({{0, 5460, 7001, 0}, {5461, 10922, 7001, 7004}, {10923, 16383, 7002, 7005}});
    };
    fake.cluster_nodes[7000] = nodes_text({{7001, 9, "master"}, {7002, 3, "master"}});
    manager.initialize();
    EXPECT_EQ(manager.get_master_node_by_slot(42).name, "127.0.0.1:7001");
}

TEST(NodeManager, ASlotLearnedFromMovedStaysWhenAnAnswerConfirmsItAndAStaleOneFollows) {
    // As seen on a real cluster: right after a failover, one discovery
    // hears from nodes that know (confirming the MOVED), the next only from
    // nodes that do not yet. The map must not move back in between.
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    fake.cluster_nodes[7000] = nodes_text({{7000, 1, "master"}, {7001, 2, "master"}, {7002, 3, "master"}});
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize();
    EXPECT_TRUE(manager.record_moved(100, {"127.0.0.1", 7003}, std::nullopt));  // the replica took over
    fake.cluster_slots[7000] = [] {
        return slots_reply({{0, 5460, 7003, 7000}, {5461, 10922, 7001, 7004}, {10923, 16383, 7002, 7005}});
    };
    fake.cluster_nodes[7000] = nodes_text({{7003, 4, "master"}, {7001, 2, "master"}, {7002, 3, "master"}});
    manager.initialize();
    EXPECT_EQ(manager.get_master_node_by_slot(100).name, "127.0.0.1:7003");
    EXPECT_EQ(manager.slots()->config_epoch(100), 4u);  // from the confirming answer
    EXPECT_EQ((*manager.slots())[100].size(), 2u);      // with the replica it named
    fake.cluster_slots[7000] = full_cluster;             // a node from before the failover
    fake.cluster_nodes[7000] = nodes_text({{7000, 1, "master"}, {7001, 2, "master"}, {7002, 3, "master"}});
    manager.initialize();
    EXPECT_EQ(manager.get_master_node_by_slot(100).name, "127.0.0.1:7003");
    EXPECT_EQ(manager.get_master_node_by_slot(0).name, "127.0.0.1:7003");
}

TEST(NodeManager, AnswersWithCLUSTERSHARDSNeedNoCLUSTERSLOTS) {
    FakeCluster fake;
    fake.cluster_shards[7000] = [] {
        const auto node = [](int port, std::string role) {
            return Reply::array({Reply::bulk_string("id"), Reply::bulk_string("n" + std::to_string(port)),
                                 Reply::bulk_string("port"), Reply::integer(port), Reply::bulk_string("endpoint"),
                                 Reply::bulk_string("127.0.0.1"), Reply::bulk_string("role"), Reply::bulk_string(role),
                                 Reply::bulk_string("health"), Reply::bulk_string("online")});
        };
        return Reply::array({Reply::array({Reply::bulk_string("slots"),
                                           Reply::array({Reply::integer(0), Reply::integer(16383)}),
                                           Reply::bulk_string("nodes"),
                                           Reply::array({node(7000, "master"), node(7001, "replica")})})});
    };
    fake.cluster_nodes[7000] = nodes_text({{7000, 4, "master"}, {7001, 4, "slave"}});
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize();
    EXPECT_EQ(fake.calls, std::vector<std::string>{"127.0.0.1:7000 CLUSTER SHARDS"});
    EXPECT_EQ(manager.slots()->size(), 16384u);
    EXPECT_EQ(manager.slots()->config_epoch(0), 4u);
    EXPECT_EQ(manager.get_nodes_by_server_type("slave").size(), 1u);
}

TEST(NodeManager, ADiscoveryHearsFromAFewNodesAndEachStartsOneFurther) {
    FakeCluster fake;
    for (const int port : {7000, 7001, 7002, 7003, 7004, 7005}) fake.cluster_slots[static_cast<std::uint16_t>(port)] = full_cluster;
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize();
    std::set<std::string> first_asked;
    for (int i = 0; i < 6; ++i) {
        fake.calls.clear();
        manager.initialize();
        EXPECT_EQ(std::count_if(fake.calls.begin(), fake.calls.end(),
                                [](const std::string& call) { return call.ends_with("CLUSTER SLOTS"); }),
                  3);
        first_asked.insert(fake.calls.front());
    }
    EXPECT_EQ(first_asked.size(), 6u);  // every node once
}

TEST(NodeManager, TheNodeThatSentMovedIsAskedFirst) {
    FakeCluster fake;
    for (const int port : {7000, 7001, 7002, 7003, 7004, 7005}) fake.cluster_slots[static_cast<std::uint16_t>(port)] = full_cluster;
    NodeManager manager(seeds({7000}), fake.runner());
    manager.initialize();
    for (const std::uint16_t sender : {std::uint16_t{7004}, std::uint16_t{7002}, std::uint16_t{7005}}) {
        EXPECT_FALSE(manager.record_moved(100, {"127.0.0.1", 7001}, HostPort{"127.0.0.1", sender}));
        fake.calls.clear();
        manager.initialize();
        EXPECT_EQ(fake.calls.front(), "127.0.0.1:" + std::to_string(sender) + " CLUSTER SHARDS");
    }
}

TEST(NodeManager, TheStartupNodesStayCandidatesBesideTheKnownNodes) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    fake.cluster_slots[7001] = full_cluster;
    for (const bool follow : {false, true}) {
        auto options = seeds({7001});
        options.nodemanager_follow_cluster = follow;
        NodeManager manager(options, fake.runner());
        manager.initialize();
        fake.cluster_slots.erase(7001);  // the only startup node dies
        manager.initialize();  // the nodes it knows still answer
        EXPECT_EQ(manager.generation(), 2u) << follow;
        fake.cluster_slots[7001] = full_cluster;
    }
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

TEST(NodeManager, RefreshIfDueSpacesDiscoveriesOut) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    NodeManager manager(seeds({7000}), fake.runner());
    EXPECT_TRUE(manager.refresh_if_due());  // never discovered: discovers
    EXPECT_EQ(manager.generation(), 1u);
    EXPECT_FALSE(manager.refresh_if_due());  // just done
    EXPECT_EQ(manager.generation(), 1u);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // past 100 ms + 20 %
    EXPECT_TRUE(manager.refresh_if_due());
    EXPECT_EQ(manager.generation(), 2u);
    // A failed discovery is an attempt too: the next waits for its turn.
    fake.cluster_slots.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    EXPECT_THROW((void)manager.refresh_if_due(), RedisClusterException);
    EXPECT_FALSE(manager.refresh_if_due());
    EXPECT_EQ(manager.discovery_attempts(), 3u);
    EXPECT_THROW(manager.initialize(), RedisClusterException);  // initialize() is never held back
    EXPECT_EQ(manager.discovery_attempts(), 4u);
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
    options.reinitialize_steps = 1;
    options.discovery_nodes = 0;
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

TEST(NodeManager, MovedToAKnownMasterRefreshesEveryReinitializeSteps) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    auto options = seeds({7000});
    options.reinitialize_steps = 3;
    NodeManager manager(options, fake.runner());
    manager.initialize();
    EXPECT_FALSE(manager.record_moved(1, {"127.0.0.1", 7001}, std::nullopt));
    EXPECT_FALSE(manager.record_moved(2, {"127.0.0.1", 7002}, std::nullopt));
    EXPECT_TRUE(manager.record_moved(3, {"127.0.0.1", 7001}, std::nullopt));
    EXPECT_FALSE(manager.record_moved(4, {"127.0.0.1", 7001}, std::nullopt));
    manager.initialize();  // a discovery starts the count again
    EXPECT_FALSE(manager.record_moved(5, {"127.0.0.1", 7001}, std::nullopt));
    EXPECT_FALSE(manager.record_moved(6, {"127.0.0.1", 7001}, std::nullopt));
    EXPECT_TRUE(manager.record_moved(7, {"127.0.0.1", 7001}, std::nullopt));
    EXPECT_EQ(manager.get_master_node_by_slot(7).name, "127.0.0.1:7001");  // patched all the same
}

TEST(NodeManager, MovedToAReplicaOrAnUnknownNodeRefreshesAtOnce) {
    FakeCluster fake;
    fake.cluster_slots[7000] = full_cluster;
    auto options = seeds({7000});
    options.reinitialize_steps = 1000;
    NodeManager manager(options, fake.runner());
    manager.initialize();
    EXPECT_TRUE(manager.record_moved(42, {"127.0.0.1", 7003}, std::nullopt));  // 7000's replica: a failover
    EXPECT_EQ(manager.get_master_node_by_slot(0).name, "127.0.0.1:7003");
    EXPECT_TRUE(manager.record_moved(42, {"127.0.0.1", 7999}, std::nullopt));  // a node never seen
    EXPECT_EQ(manager.get_master_node_by_slot(42).name, "127.0.0.1:7999");
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
