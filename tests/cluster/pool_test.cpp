// The pools against a real local cluster (3 masters, 3 replicas). What a pool
// claims to do is checked on the servers (INFO commandstats, CLIENT INFO,
// connected_clients), not only inside the client.

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "cluster_env.hpp"
#include "rediscluster/pool.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using test::plain_port;

ClusterConnectionPoolOptions plain_options() {
    ClusterConnectionPoolOptions options;
    options.startup_nodes = {{"127.0.0.1", plain_port()}};
    options.connection_kwargs.socket_timeout = 5s;
    return options;
}

std::int64_t get_calls(std::uint16_t port) { return test::info_field(port, "commandstats", "cmdstat_get", "calls"); }

// Resets the servers' command statistics so each test reads its own counts.
void reset_stats(const std::vector<NodeInfo>& nodes) {
    for (const auto& node : nodes) (void)test::node_command(node.port, {"CONFIG", "RESETSTAT"});
}

TEST(PoolDiscovery, FindsThreeMastersAndThreeReplicasCoveringEverySlot) {
    ClusterConnectionPool pool(plain_options());
    EXPECT_EQ(pool.nodes.all_nodes().size(), 6u);
    EXPECT_EQ(pool.get_nodes_by_server_type("master").size(), 3u);
    EXPECT_EQ(pool.get_nodes_by_server_type("slave").size(), 3u);
    EXPECT_EQ(pool.nodes.slots()->size(), 16384u);
    for (const auto& node : pool.nodes.all_nodes()) {
        EXPECT_EQ(node.host, "127.0.0.1");
        EXPECT_GE(node.port, plain_port());
        EXPECT_LT(node.port, plain_port() + 6);
    }
    auto connection = pool.get_connection_by_slot(key_slot("foo"));
    EXPECT_EQ(connection->execute("SET", "foo", "bar"), Reply::simple_string("OK"));  // no MOVED: the right master
}

TEST(PoolDiscovery, UnreachableStartupNodesAreSkipped) {
    auto options = plain_options();
    options.startup_nodes = {{"127.0.0.1", 1}, {"127.0.0.1", plain_port()}};
    ClusterConnectionPool pool(options);
    EXPECT_EQ(pool.nodes.slots()->size(), 16384u);
}

TEST(PoolDiscovery, NoReachableStartupNodeIsAClearError) {
    auto options = plain_options();
    options.startup_nodes = {{"127.0.0.1", 1}};
    options.connection_kwargs.socket_connect_timeout = 1s;
    try {
        ClusterConnectionPool pool(options);
        FAIL() << "expected RedisClusterException";
    } catch (const RedisClusterException& e) {
        EXPECT_NE(std::string(e.what()).find("Redis Cluster cannot be connected"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
    }
}

TEST(PoolDiscovery, TlsClusterIsDiscoveredOverTls) {
    ClusterConnectionPoolOptions options;
    options.startup_nodes = {{"127.0.0.1", test::tls_port()}};
    options.connection_class = connection_class<SSLClusterConnection>();
    options.connection_kwargs.ssl_ca_certs = test::tls_dir() + "/ca.crt";
    options.connection_kwargs.ssl_certfile = test::tls_dir() + "/client.crt";
    options.connection_kwargs.ssl_keyfile = test::tls_dir() + "/client.key";
    ClusterConnectionPool pool(options);
    EXPECT_EQ(pool.nodes.slots()->size(), 16384u);
    EXPECT_EQ(pool.get_nodes_by_server_type("master").size(), 3u);
    auto connection = pool.get_connection("SET", "tls:key");
    EXPECT_EQ(connection->execute("SET", "tls:key", "v"), Reply::simple_string("OK"));
}

TEST(PoolDiscovery, AclCredentialsAreUsedForDiscovery) {
    ClusterConnectionPoolOptions options;
    options.startup_nodes = {{"127.0.0.1", test::acl_port()}};
    options.connection_kwargs.username = "alice";
    options.connection_kwargs.password = "wonderland";
    ClusterConnectionPool pool(options);
    EXPECT_EQ(pool.nodes.slots()->size(), 16384u);

    options.connection_kwargs.password = "wrong";
    try {
        ClusterConnectionPool refused(options);
        FAIL() << "expected AuthenticationError";
    } catch (const AuthenticationError& e) {
        EXPECT_NE(std::string(e.what()).find("WRONGPASS"), std::string::npos) << e.what();
    }
}

TEST(PoolDiscovery, EachDiscoveryAsksThreeNodesTakenInTurn) {
    // Seen on the servers: every discovery sends CLUSTER SHARDS to 3 of
    // the 6 nodes, starting one node further each time, so over 6
    // discoveries each node is asked 3 times, whichever list it draws from.
    for (const bool follow : {true, false}) {
        auto options = plain_options();
        options.startup_nodes = {{"127.0.0.1", test::plain_node(4)}};
        options.nodemanager_follow_cluster = follow;
        ClusterConnectionPool pool(options);
        auto shards_calls = [](std::uint16_t port) {
            return test::info_field(port, "commandstats", "cmdstat_cluster|shards", "calls");
        };
        std::vector<std::int64_t> before;
        for (int i = 0; i < 6; ++i) before.push_back(shards_calls(test::plain_node(i)));
        for (int round = 0; round < 6; ++round) pool.initialize();
        for (int i = 0; i < 6; ++i) {
            EXPECT_EQ(shards_calls(test::plain_node(i)), before[static_cast<std::size_t>(i)] + 3)
                << "node " << i << (follow ? " (follow_cluster)" : "");
        }
    }
}

TEST(Pool, WritesAndReadsGoToTheSlotsMasterByDefault) {
    ClusterConnectionPool pool(plain_options());
    reset_stats(pool.nodes.all_nodes());
    for (int i = 0; i < 60; ++i) {
        const auto key = "pool:default:" + std::to_string(i);
        auto connection = pool.get_connection("SET", key);
        ASSERT_EQ(connection->execute("SET", key, i), Reply::simple_string("OK"));
        auto reader = pool.get_connection("GET", key);
        ASSERT_EQ(reader->execute("GET", key), Reply::bulk_string(std::to_string(i)));
        EXPECT_TRUE(reader.node().is_master());
    }
    std::int64_t on_masters = 0;
    for (const auto& node : pool.nodes.all_nodes()) {
        if (node.is_master()) on_masters += get_calls(node.port);
        else EXPECT_EQ(get_calls(node.port), 0) << node.name;
    }
    EXPECT_EQ(on_masters, 60);
}

TEST(Pool, ReadReplicasPoolSendsReadsToReplicasAndWritesToMasters) {
    ClusterWithReadReplicasConnectionPool pool(plain_options());
    for (int i = 0; i < 90; ++i) {
        const auto key = "pool:replicas:" + std::to_string(i);
        auto writer = pool.get_connection("SET", key);
        ASSERT_TRUE(writer.node().is_master());
        ASSERT_EQ(writer->execute("SET", key, i), Reply::simple_string("OK"));
        // WAIT makes the write visible on the replica before we read it there.
        ASSERT_EQ(writer->execute("WAIT", 1, 2000), Reply::integer(1));
    }
    reset_stats(pool.nodes.all_nodes());
    for (int i = 0; i < 90; ++i) {
        const auto key = "pool:replicas:" + std::to_string(i);
        auto reader = pool.get_connection("GET", key);
        EXPECT_FALSE(reader.node().is_master());
        EXPECT_EQ(reader->execute("GET", key), Reply::bulk_string(std::to_string(i)));
    }
    std::int64_t on_replicas = 0;
    for (const auto& node : pool.nodes.all_nodes()) {
        if (node.is_master()) {
            EXPECT_EQ(get_calls(node.port), 0) << "master " << node.name << " served reads";
        } else {
            on_replicas += get_calls(node.port);
        }
    }
    EXPECT_EQ(on_replicas, 90);
}

TEST(Pool, ReplicaConnectionsAreReadOnlyOnceOnConnect) {
    ClusterWithReadReplicasConnectionPool pool(plain_options());
    const auto replica_slot = key_slot("foo");
    auto reader = pool.get_connection_by_slot(replica_slot, true);
    ASSERT_FALSE(reader.node().is_master());
    const auto info = reader->execute("CLIENT", "INFO");
    EXPECT_NE(std::string(info.str()).find("flags=r"), std::string::npos) << info.str();
    auto writer = pool.get_connection_by_slot(replica_slot, false);
    ASSERT_TRUE(writer.node().is_master());
    const auto writer_info = writer->execute("CLIENT", "INFO");
    EXPECT_EQ(std::string(writer_info.str()).find("flags=r"), std::string::npos) << writer_info.str();
}

TEST(Pool, ReadOnlyPoolMakesEveryConnectionReadOnlyAndScansMasters) {
    ClusterReadOnlyConnectionPool pool(plain_options());
    auto master = pool.get_connection_by_slot(0, false);
    ASSERT_TRUE(master.node().is_master());
    EXPECT_NE(std::string(master->execute("CLIENT", "INFO").str()).find("flags=r"), std::string::npos);
    auto reader = pool.get_connection("GET", "foo");
    EXPECT_FALSE(reader.node().is_master());
    auto scanner = pool.get_connection("SSCAN", "foo");
    EXPECT_TRUE(scanner.node().is_master());
}

TEST(Pool, ReplicaReadsFallBackToTheMasterWhenTheReplicaIsUnreachable) {
    // Point the replica of every shard at a closed port: reads must still
    // succeed, served by the master.
    auto options = plain_options();
    const auto base = plain_port();
    options.host_port_remap = HostPortRemap([base](const HostPort& address) {
        return address.port >= base + 3 ? HostPort{address.host, 1} : address;
    });
    options.connection_kwargs.socket_connect_timeout = 1s;
    ClusterWithReadReplicasConnectionPool pool(options);
    auto reader = pool.get_connection("GET", "foo");
    EXPECT_TRUE(reader.node().is_master());
    EXPECT_NO_THROW((void)reader->execute("GET", "foo"));
}

TEST(Pool, BorrowedConnectionsComeBackAndAreReused) {
    ClusterConnectionPool pool(plain_options());
    const auto node = pool.get_master_node_by_slot(0);
    ClusterConnection* first = nullptr;
    {
        auto connection = pool.get_connection_by_node(node);
        (void)connection->execute("PING");
        first = connection.get();
    }
    EXPECT_EQ(pool.created_connections(), 1u);
    auto again = pool.get_connection_by_node(node);
    EXPECT_EQ(again.get(), first);
    pool.release(again);
    pool.release(again);  // twice is harmless
    EXPECT_EQ(pool.created_connections(), 1u);
}

TEST(Pool, AConnectionReleasedBeforeItWasEverUsedIsReused) {
    ClusterConnectionPool pool(plain_options());
    const auto node = pool.get_master_node_by_slot(0);
    ClusterConnection* first = nullptr;
    {
        auto connection = pool.get_connection_by_node(node);
        EXPECT_FALSE(connection->is_connected());  // connections connect lazily
        first = connection.get();
    }
    EXPECT_EQ(pool.created_connections(), 1u);
    auto again = pool.get_connection_by_node(node);
    EXPECT_EQ(again.get(), first);
    EXPECT_EQ(pool.created_connections(), 1u);
    EXPECT_EQ(again->execute("PING"), Reply::simple_string("PONG"));
}

TEST(Pool, AConnectionThatFailedToConnectIsClosedNotReused) {
    ClusterConnectionPool pool(plain_options());
    const auto nobody = make_node("127.0.0.1", 1, "master");  // nothing listens on port 1
    {
        auto connection = pool.get_connection_by_node(nobody);
        EXPECT_THROW(connection->connect(), ConnectionError);
        EXPECT_FALSE(connection->is_connected());
    }
    EXPECT_EQ(pool.created_connections(nobody), 0u);
    EXPECT_EQ(pool.created_connections(), 0u);
}

TEST(Pool, ABrokenConnectionIsClosedNotReused) {
    ClusterConnectionPool pool(plain_options());
    const auto node = pool.get_master_node_by_slot(0);
    {
        auto connection = pool.get_connection_by_node(node);
        (void)connection->execute("PING");
        // The server drops this client: the next command fails on it.
        const auto id = connection->execute("CLIENT", "ID").integer();
        (void)test::node_command(node.port, {"CLIENT", "KILL", "ID", std::to_string(id)});
        EXPECT_THROW((void)connection->execute("PING"), ConnectionError);
    }
    EXPECT_EQ(pool.created_connections(), 0u);
    auto fresh = pool.get_connection_by_node(node);
    EXPECT_EQ(fresh->execute("PING"), Reply::simple_string("PONG"));
}

TEST(Pool, AtTheCapTheNonBlockingPoolNamesNodeAndCap) {
    auto options = plain_options();
    options.max_connections_per_node = 2;
    ClusterConnectionPool pool(options);
    const auto node = pool.get_master_node_by_slot(0);
    auto one = pool.get_connection_by_node(node);
    auto two = pool.get_connection_by_node(node);
    try {
        (void)pool.get_connection_by_node(node);
        FAIL() << "expected RedisClusterException";
    } catch (const RedisClusterException& e) {
        EXPECT_NE(std::string(e.what()).find(node.name), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("max_connections_per_node is 2"), std::string::npos) << e.what();
    }
}

TEST(Pool, BlockingPoolWaitsThenTimesOut) {
    auto options = plain_options();
    options.max_connections = 1;
    options.timeout = 300ms;
    ClusterBlockingConnectionPool pool(options);
    const auto node = pool.get_master_node_by_slot(0);
    auto held = pool.get_connection_by_node(node);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW((void)pool.get_connection_by_node(node), ConnectionError);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
    std::thread releaser([&] {
        std::this_thread::sleep_for(100ms);
        held.release();
    });
    auto got = pool.get_connection_by_node(node);  // served when released, well before the timeout
    releaser.join();
    EXPECT_EQ(got->execute("PING"), Reply::simple_string("PONG"));
}

TEST(Pool, InvalidOptionsAreRejectedBeforeAnyConnection) {
    auto options = plain_options();
    options.max_connections = 0;
    EXPECT_THROW(ClusterConnectionPool{options}, RedisClusterConfigError);
    options = plain_options();
    options.max_connections_per_node = -3;
    EXPECT_THROW(ClusterConnectionPool{options}, RedisClusterConfigError);
    options = plain_options();
    options.connection_kwargs.db = 1;
    EXPECT_THROW(ClusterConnectionPool{options}, RedisClusterConfigError);
    options = plain_options();
    options.startup_nodes.clear();
    EXPECT_THROW(ClusterConnectionPool{options}, RedisClusterException);
}

TEST(Pool, HostPortRemapReachesTheClusterThroughOtherNames) {
    // The cluster announces 127.0.0.1; the client is told to use "localhost".
    auto options = plain_options();
    options.startup_nodes = {{"localhost", plain_port()}};
    options.host_port_remap = HostPortRemap(std::vector<HostPortRemapRule>{{.from_host = "127.0.0.1", .to_host = "localhost"}});
    ClusterConnectionPool pool(options);
    for (const auto& node : pool.nodes.all_nodes()) EXPECT_EQ(node.host, "localhost");
    auto connection = pool.get_connection("SET", "remapped");
    EXPECT_EQ(connection->execute("SET", "remapped", "1"), Reply::simple_string("OK"));
}

TEST(PoolStress, ThirtyTwoThreadsBorrowAndReturnWithoutLeaking) {
    auto options = plain_options();
    options.max_connections = 24;
    options.timeout = 10s;
    ClusterBlockingConnectionPool pool(options);
    std::map<std::uint16_t, std::int64_t> before;
    for (const auto& node : pool.nodes.all_nodes()) before[node.port] = test::connected_clients(node.port);

    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 32; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 150; ++i) {
                const auto key = "stress:" + std::to_string(t) + ":" + std::to_string(i);
                try {
                    auto connection = pool.get_connection("SET", key);
                    if (connection->execute("SET", key, i) != Reply::simple_string("OK")) ++errors;
                } catch (const std::exception&) {
                    ++errors;
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_LE(pool.created_connections(), 24u);

    // What the pool says is alive is what the servers see.
    std::int64_t extra_on_servers = 0;
    for (const auto& node : pool.nodes.all_nodes()) extra_on_servers += test::connected_clients(node.port) - before[node.port];
    EXPECT_EQ(extra_on_servers, static_cast<std::int64_t>(pool.created_connections()));

    pool.disconnect();
    EXPECT_EQ(pool.created_connections(), 0u);
    // The servers notice closed sockets asynchronously: poll, bounded.
    std::int64_t after = -1;
    for (int attempt = 0; attempt < 50 && after != 0; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(20ms);
        after = 0;
        for (const auto& node : pool.nodes.all_nodes()) after += test::connected_clients(node.port) - before[node.port];
    }
    EXPECT_EQ(after, 0);
}

}  // namespace
}  // namespace rediscluster
