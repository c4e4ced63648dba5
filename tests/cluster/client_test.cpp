// RedisCluster against real clusters. Tests that change the topology
// (failover, slot migration) use the "mutable" cluster, so the others can
// rely on the plain cluster's fresh layout.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <thread>

#include "cluster_env.hpp"
#include "rediscluster/client.hpp"
#include "support/peak.hpp"
#include "support/error_of.hpp"
#include "support/failover.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using test::error_of;

RedisClusterOptions options_for(std::uint16_t port) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", port}};
    options.connection_kwargs.socket_timeout = 5s;
    return options;
}

std::uint16_t mutable_port() { return RC_MUTABLE_PORT; }

// The master and one replica of the shard serving `slot`, from the server.
std::pair<std::uint16_t, std::uint16_t> shard_of(std::uint16_t any_port, std::uint16_t slot) {
    const auto slots = test::node_command(any_port, {"CLUSTER", "SLOTS"});
    for (const auto& range : slots.elements()) {
        if (slot >= range[0].integer() && slot <= range[1].integer()) {
            const auto master = static_cast<std::uint16_t>(range[2][1].integer());
            const auto replica = range.size() > 3 ? static_cast<std::uint16_t>(range[3][1].integer()) : std::uint16_t{0};
            return {master, replica};
        }
    }
    return {0, 0};
}

// Waits (bounded) until `check` holds.
template <class Check>
bool eventually(Check&& check, std::chrono::milliseconds limit = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (check()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return check();
}

TEST(RedisCluster, TypedCommandsRouteByKey) {
    RedisCluster rc(options_for(test::plain_port()));
    // What an earlier run left (the test may be repeated).
    for (const std::string_view key : {"client:string", "client:counter:{a}", "client:hash", "client:list", "client:set",
                                       "client:zset"}) {
        (void)rc.del(key);
    }
    EXPECT_TRUE(rc.set("client:string", "value"));
    EXPECT_EQ(rc.get("client:string"), "value");
    EXPECT_EQ(rc.get("client:missing"), std::nullopt);
    EXPECT_FALSE(rc.set("client:string", "other", std::nullopt, /*nx=*/true));
    EXPECT_EQ(rc.incr("client:counter:{a}"), 1);
    EXPECT_EQ(rc.incrby("client:counter:{a}", 41), 42);
    EXPECT_EQ(rc.decr("client:counter:{a}"), 41);
    EXPECT_TRUE(rc.expire("client:string", 100s));
    EXPECT_GT(rc.ttl("client:string"), 90);
    EXPECT_EQ(rc.hset("client:hash", "f", "v"), 1);
    EXPECT_EQ(rc.hget("client:hash", "f"), "v");
    EXPECT_EQ(rc.hincrby("client:hash", "n", 3), 3);
    EXPECT_EQ(rc.hgetall("client:hash").size(), 2u);
    EXPECT_EQ(rc.rpush("client:list", "a"), 1);
    EXPECT_EQ(rc.rpush("client:list", "b"), 2);
    EXPECT_EQ(rc.lrange("client:list", 0, -1), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(rc.lpop("client:list"), "a");
    EXPECT_EQ(rc.sadd("client:set", "m"), 1);
    EXPECT_TRUE(rc.sismember("client:set", "m"));
    EXPECT_EQ(rc.zadd("client:zset", 1.5, "m"), 1);
    EXPECT_EQ(rc.zscore("client:zset", "m"), 1.5);
    EXPECT_EQ(rc.zrange("client:zset", 0, -1), (std::vector<std::string>{"m"}));
    const std::string_view keys[] = {"client:counter:{a}", "client:other:{a}"};
    EXPECT_EQ(rc.mget(keys), (std::vector<std::optional<std::string>>{"41", std::nullopt}));
    EXPECT_EQ(rc.del("client:string"), 1);
}

TEST(RedisCluster, KeysAcrossSlotsAreRefusedBeforeSendingWhenTheCommandCannotBeSplit) {
    // MGET, MSET, DEL... are split by slot (multi_key_test.cpp); others are refused.
    RedisCluster rc(options_for(test::plain_port()));
    EXPECT_EQ(error_of<ClusterCrossSlotError>([&] { (void)rc.execute_command("SUNION", "foo", "bar"); }),
              "SUNION - all keys must map to the same key slot");
    EXPECT_THROW((void)rc.execute_command("EVAL", "return 1", 2, "foo", "bar"), ClusterCrossSlotError);
}

TEST(RedisCluster, WholeClusterCommandsCombineEveryMaster) {
    RedisCluster rc(options_for(test::plain_port()));
    std::int64_t direct = 0;
    for (const auto& master : rc.connection_pool->get_nodes_by_server_type("master")) {
        direct += test::node_command(master.port, {"DBSIZE"}).integer();
    }
    EXPECT_EQ(rc.dbsize(), direct);
    EXPECT_TRUE(rc.ping());
    const auto info = rc.execute_command("INFO", "server");
    EXPECT_EQ(info.type(), ReplyType::Map);
    EXPECT_EQ(info.size(), 6u);  // 3 masters, name and text each
}

TEST(RedisCluster, CommandsOutsideTheBuiltInTableRouteByTheServersCommandTable) {
    RedisCluster rc(options_for(test::plain_port()));
    const std::string stream = "server-table:stream";
    (void)rc.execute_command("XADD", stream, "*", "field", "value");
    for (const auto& node : rc.connection_pool->nodes.all_nodes()) (void)test::node_command(node.port, {"CONFIG", "RESETSTAT"});
    // XINFO STREAM is not in the built-in table; COMMAND says its key is argument 2.
    const auto info = rc.execute_command("XINFO", "STREAM", stream);
    EXPECT_TRUE(info.is_aggregate());
    const auto owner = rc.connection_pool->get_master_node_by_slot(key_slot(stream));
    for (const auto& node : rc.connection_pool->get_nodes_by_server_type("master")) {
        const auto calls = test::info_field(node.port, "commandstats", "cmdstat_xinfo|stream", "calls");
        const auto rejected = test::info_field(node.port, "commandstats", "cmdstat_xinfo|stream", "rejected_calls");
        EXPECT_EQ(calls, node.name == owner.name ? 1 : 0) << node.name;
        EXPECT_EQ(rejected, 0) << node.name << ": the command went to the wrong node first";
    }
}

TEST(RedisCluster, MovableKeysAreFoundWithCommandGetkeys) {
    RedisCluster rc(options_for(test::plain_port()));
    (void)rc.execute_command("GEOADD", "{geo}source", 13.361389, 38.115556, "Palermo");
    // GEORADIUS ... STORE has movable keys: the destination must share the slot.
    EXPECT_EQ(rc.execute_command("GEORADIUS", "{geo}source", 15, 37, 200, "km", "STORE", "{geo}dest"), Reply::integer(1));
    for (const auto& node : rc.connection_pool->nodes.all_nodes()) (void)test::node_command(node.port, {"CONFIG", "RESETSTAT"});
    EXPECT_THROW((void)rc.execute_command("GEORADIUS", "{geo}source", 15, 37, 200, "km", "STORE", "{other}dest"),
                 ClusterCrossSlotError);
    // Refused by the client: no server saw the command (a server-side
    // CROSSSLOT would count as a rejected call).
    for (const auto& node : rc.connection_pool->get_nodes_by_server_type("master")) {
        EXPECT_EQ(test::info_field(node.port, "commandstats", "cmdstat_georadius", "calls"), 0) << node.name;
        EXPECT_EQ(test::info_field(node.port, "commandstats", "cmdstat_georadius", "rejected_calls"), 0) << node.name;
    }
}

TEST(RedisCluster, BlockedCommandsAreRefusedClearly) {
    RedisCluster rc(options_for(test::plain_port()));
    const auto message = error_of<RedisClusterException>([&] { (void)rc.execute_command("SELECT", 1); });
    EXPECT_NE(message.find("Command: SELECT is blocked in redis cluster mode"), std::string::npos) << message;
    EXPECT_THROW((void)rc.execute_command("MULTI"), RedisClusterException);
}

TEST(RedisCluster, DbOtherThanZeroIsRejected) {
    auto options = options_for(test::plain_port());
    options.connection_kwargs.db = 2;
    EXPECT_EQ(error_of<RedisClusterConfigError>([&] { RedisCluster rc(options); }),
              "Argument 'db' is not possible to use in cluster mode");
}

TEST(RedisCluster, ReadFromReplicasSendsReadsToReplicasOnTheServers) {
    auto options = options_for(test::plain_port());
    options.read_from_replicas = true;
    RedisCluster rc(options);
    for (int i = 0; i < 30; ++i) {
        ASSERT_TRUE(rc.set("replica-read:" + std::to_string(i), "v"));
    }
    for (const auto& node : rc.connection_pool->nodes.all_nodes()) (void)test::node_command(node.port, {"CONFIG", "RESETSTAT"});
    for (int i = 0; i < 30; ++i) (void)rc.get("replica-read:" + std::to_string(i));
    std::int64_t replica_gets = 0;
    for (const auto& node : rc.connection_pool->nodes.all_nodes()) {
        const auto gets = test::info_field(node.port, "commandstats", "cmdstat_get", "calls");
        if (node.is_master()) EXPECT_EQ(gets, 0) << node.name;
        else replica_gets += gets;
    }
    EXPECT_EQ(replica_gets, 30);
}

// GETs each node served while `reads` runs.
std::map<std::string, std::int64_t> gets_per_node(RedisCluster& rc, const std::function<void()>& reads) {
    for (const auto& node : rc.connection_pool->nodes.all_nodes()) (void)test::node_command(node.port, {"CONFIG", "RESETSTAT"});
    reads();
    std::map<std::string, std::int64_t> gets;
    for (const auto& node : rc.connection_pool->nodes.all_nodes()) {
        gets[node.server_type] += test::info_field(node.port, "commandstats", "cmdstat_get", "calls");
    }
    return gets;
}

TEST(RedisCluster, ReadonlyModeWithReadFromReplicasReadsFromReplicasOnly) {
    auto options = options_for(test::plain_port());
    options.readonly_mode = true;
    options.read_from_replicas = true;
    RedisCluster rc(options);
    const auto gets = gets_per_node(rc, [&] {
        for (int i = 0; i < 20; ++i) (void)rc.get("readonly-mode:" + std::to_string(i));
    });
    EXPECT_EQ(gets.count("master") ? gets.at("master") : 0, 0);
    EXPECT_EQ(gets.at("slave"), 20);
}

TEST(RedisCluster, ReadonlyModeAloneKeepsReadsOnMasters) {
    auto options = options_for(test::plain_port());
    options.readonly_mode = true;
    RedisCluster rc(options);
    const auto gets = gets_per_node(rc, [&] {
        for (int i = 0; i < 20; ++i) (void)rc.get("readonly-mode:" + std::to_string(i));
    });
    EXPECT_EQ(gets.at("master"), 20);
    EXPECT_EQ(gets.count("slave") ? gets.at("slave") : 0, 0);
}

TEST(RedisCluster, SharedPoolFromTheCaller) {
    ClusterConnectionPoolOptions pool_options;
    pool_options.startup_nodes = {{"127.0.0.1", test::plain_port()}};
    auto pool = std::make_shared<ClusterBlockingConnectionPool>(pool_options);
    RedisClusterOptions options;
    options.connection_pool = pool;
    RedisCluster rc(options);
    EXPECT_EQ(rc.connection_pool, pool);
    EXPECT_TRUE(rc.set("shared-pool", "1"));
    EXPECT_EQ(rc.get("shared-pool"), "1");
}

TEST(RedisCluster, MultiplexedConnectionsShareOneConnectionPerMasterButNotForBlockingCommands) {
    auto options = options_for(test::plain_port());
    options.multiplexed_connections = true;
    RedisCluster rc(options);
    const std::string list = "{mux}:list";
    const std::string key = "{mux}:key";
    (void)rc.del(list);
    ASSERT_TRUE(rc.set(key, "shared"));
    // A BLPOP waiting on the same master must not hold up the others.
    std::thread blocked([&] { (void)rc.execute_command("BLPOP", list, 2); });
    std::this_thread::sleep_for(100ms);
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> readers;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 8; ++t) {
        readers.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                if (rc.get(key) != "shared") ++wrong;
            }
        });
    }
    for (auto& reader : readers) reader.join();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    EXPECT_EQ(wrong.load(), 0);
    (void)rc.rpush(list, "wake");
    blocked.join();
    // One shared connection to the key's master, one pooled for the BLPOP.
    const auto master = rc.connection_pool->get_master_node_by_slot(key_slot(key));
    EXPECT_EQ(rc.connection_pool->created_connections(master), 2u);
}

// --- pool caps, with and without multiplexed connections -------------------

// One key per master, for `count` different masters.
std::vector<std::string> keys_on_different_masters(const ClusterConnectionPool& pool, std::size_t count) {
    std::vector<std::string> keys;
    std::vector<std::string> masters;
    for (int i = 0; keys.size() < count && i < 1000; ++i) {
        std::string key = "caps:" + std::to_string(i);
        const auto master = pool.get_master_node_by_slot(key_slot(key)).name;
        if (std::find(masters.begin(), masters.end(), master) != masters.end()) continue;
        masters.push_back(master);
        keys.push_back(std::move(key));
    }
    return keys;
}

// Connections named `name` on every node of the plain cluster.
std::int64_t named_on_plain_cluster(std::string_view name) {
    std::int64_t total = 0;
    for (int i = 0; i < 6; ++i) total += test::named_connections(test::plain_node(i), name);
    return total;
}

// Options whose connections the servers list under `name`; no periodic
// discovery, whose connection (also named) would blur the counts.
RedisClusterOptions named_options(const std::string& name, bool multiplexed) {
    auto options = options_for(test::plain_port());
    options.connection_kwargs.client_name = name;
    options.periodic_refresh_interval = 0ms;
    options.multiplexed_connections = multiplexed;
    return options;
}

std::string mode_name(bool multiplexed) { return multiplexed ? "multiplexed" : "pooled"; }

TEST(RedisClusterCaps, MaxConnectionsHoldsAcrossMoreMastersThanConnections) {
    for (const bool multiplexed : {false, true}) {
        SCOPED_TRACE(mode_name(multiplexed));
        const std::string name = "rc-caps-total-" + mode_name(multiplexed);
        auto options = named_options(name, multiplexed);
        options.max_connections = 2;
        RedisCluster rc(options);
        const auto keys = keys_on_different_masters(*rc.connection_pool, 3);
        ASSERT_EQ(keys.size(), 3u);
        // Each master in turn: the idle connection (shared or not) to
        // another master is closed to make room for the next.
        for (int round = 0; round < 3; ++round) {
            for (const auto& key : keys) {
                ASSERT_NO_THROW((void)rc.set(key, "v")) << key;
                EXPECT_EQ(rc.get(key), "v");
                EXPECT_LE(rc.connection_pool->created_connections(), 2u);
            }
        }
        EXPECT_EQ(rc.connection_pool->created_connections(), 2u);
        // Closed sockets leave the servers' lists a moment later.
        EXPECT_TRUE(eventually([&] { return named_on_plain_cluster(name) == 2; }))
            << named_on_plain_cluster(name) << " connections named " << name;
    }
}

TEST(RedisClusterCaps, MaxConnectionsPerNodeLeavesRoomForWholeClusterCommands) {
    for (const bool multiplexed : {false, true}) {
        SCOPED_TRACE(mode_name(multiplexed));
        const std::string name = "rc-caps-node-" + mode_name(multiplexed);
        auto options = named_options(name, multiplexed);
        options.max_connections_per_node = 1;
        RedisCluster rc(options);
        const auto keys = keys_on_different_masters(*rc.connection_pool, 3);
        ASSERT_EQ(keys.size(), 3u);
        for (int round = 0; round < 2; ++round) {
            for (const auto& key : keys) ASSERT_NO_THROW((void)rc.set(key, "v")) << key;
            // PING and DBSIZE borrow a pooled connection to every master,
            // each of which may also have served the keys above.
            ASSERT_NO_THROW(EXPECT_TRUE(rc.ping()));
            ASSERT_NO_THROW(EXPECT_GE(rc.dbsize(), 3));
        }
        for (const auto& master : rc.connection_pool->get_nodes_by_server_type("master")) {
            EXPECT_EQ(rc.connection_pool->created_connections(master), 1u) << master.name;
            EXPECT_TRUE(eventually([&] { return test::named_connections(master.port, name) == 1; }))
                << master.name << ": " << test::named_connections(master.port, name);
        }
    }
}

// A client named `name` over a blocking pool of 2 connections that waits
// up to `wait` for one.
RedisClusterOptions over_a_blocking_pool_of_two(const std::string& name, bool multiplexed,
                                                std::chrono::milliseconds wait) {
    ClusterConnectionPoolOptions pool_options;
    pool_options.startup_nodes = {{"127.0.0.1", test::plain_port()}};
    pool_options.max_connections = 2;
    pool_options.timeout = wait;
    pool_options.connection_kwargs.client_name = name;
    pool_options.connection_kwargs.socket_timeout = 5s;
    auto options = named_options(name, multiplexed);
    options.connection_pool = std::make_shared<ClusterBlockingConnectionPool>(pool_options);
    return options;
}

TEST(RedisClusterCaps, ABlockingPoolSmallerThanTheClusterServesEveryMasterWithoutWaiting) {
    for (const bool multiplexed : {false, true}) {
        SCOPED_TRACE(mode_name(multiplexed));
        const std::string name = "rc-caps-blocking-" + mode_name(multiplexed);
        RedisCluster rc(over_a_blocking_pool_of_two(name, multiplexed, 2s));
        const auto keys = keys_on_different_masters(*rc.connection_pool, 3);
        ASSERT_EQ(keys.size(), 3u);
        for (int round = 0; round < 3; ++round) {
            for (const auto& key : keys) {
                const auto started = std::chrono::steady_clock::now();
                ASSERT_NO_THROW((void)rc.set(key, "v")) << key;
                // An idle connection is closed to make room: no wait for the timeout.
                EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << key;
            }
        }
        EXPECT_EQ(rc.connection_pool->created_connections(), 2u);
        EXPECT_TRUE(eventually([&] { return named_on_plain_cluster(name) == 2; }))
            << named_on_plain_cluster(name) << " connections named " << name;
    }
}

TEST(RedisClusterCaps, ThreadsOverABlockingPoolSmallerThanTheClusterAllGetThrough) {
    for (const bool multiplexed : {false, true}) {
        SCOPED_TRACE(mode_name(multiplexed));
        const std::string name = "rc-caps-threads-" + mode_name(multiplexed);
        RedisCluster rc(over_a_blocking_pool_of_two(name, multiplexed, 3s));
        const auto keys = keys_on_different_masters(*rc.connection_pool, 3);
        ASSERT_EQ(keys.size(), 3u);
        std::atomic<int> failures{0};
        std::atomic<std::size_t> most_connections{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 150; ++i) {
                    try {
                        (void)rc.set(keys[static_cast<std::size_t>(t + i) % keys.size()], "v");
                    } catch (const Error&) {
                        ++failures;
                    }
                    test::record_peak(most_connections, rc.connection_pool->created_connections());
                }
            });
        }
        for (auto& thread : threads) thread.join();
        EXPECT_EQ(failures.load(), 0);
        EXPECT_LE(most_connections.load(), 2u);
        EXPECT_TRUE(eventually([&] { return named_on_plain_cluster(name) <= 2; }))
            << named_on_plain_cluster(name) << " connections named " << name;
    }
}

// Whether every node of the mutable cluster names `owner` for each slot,
// within a few seconds.
bool every_node_says(const std::vector<std::uint16_t>& slots, std::uint16_t owner) {
    return eventually([&] {
        for (int i = 0; i < 6; ++i) {
            for (const auto slot : slots) {
                if (shard_of(static_cast<std::uint16_t>(mutable_port() + i), slot).first != owner) return false;
            }
        }
        return true;
    });
}

// The master and a replica of `slot` once the mutable cluster has settled:
// every node names the same master, which calls itself one and has a
// replica. Right after a failover or a move (an earlier test, or an earlier
// run of this one) a node may still describe the layout before it.
std::pair<std::uint16_t, std::uint16_t> settled_shard_of(std::uint16_t slot) {
    std::pair<std::uint16_t, std::uint16_t> shard{0, 0};
    const bool settled = eventually([&] {
        shard = shard_of(mutable_port(), slot);
        if (shard.first == 0 || shard.second == 0) return false;
        if (test::node_command(shard.first, {"ROLE"})[0].str() != "master") return false;
        for (int i = 1; i < 6; ++i) {
            if (shard_of(static_cast<std::uint16_t>(mutable_port() + i), slot).first != shard.first) return false;
        }
        return true;
    });
    EXPECT_TRUE(settled) << "the mutable cluster did not settle for slot " << slot;
    return shard;
}

// Moves empty `slots` from the master `from` to the master `to` as a
// resharding tool does: IMPORTING and MIGRATING first, so that the target
// takes a new config epoch when it is given the slots and every node
// accepts its claim; then NODE on the target, the source and the rest.
void move_empty_slots(const std::vector<std::uint16_t>& slots, std::uint16_t from, std::uint16_t to) {
    const auto id = [](std::uint16_t port) { return std::string(test::node_command(port, {"CLUSTER", "MYID"}).str()); };
    const auto from_id = id(from);
    const auto to_id = id(to);
    for (const auto slot : slots) {
        const auto text = std::to_string(slot);
        (void)test::node_command(to, {"CLUSTER", "SETSLOT", text, "IMPORTING", from_id});
        (void)test::node_command(from, {"CLUSTER", "SETSLOT", text, "MIGRATING", to_id});
        (void)test::node_command(to, {"CLUSTER", "SETSLOT", text, "NODE", to_id});
        (void)test::node_command(from, {"CLUSTER", "SETSLOT", text, "NODE", to_id});
    }
    // The next move starts only once every node has taken the new owner
    // (and so its epoch): moved back too soon, a slot can end up claimed by
    // neither node, each sending the client to the other.
    EXPECT_TRUE(every_node_says(slots, to)) << "the nodes did not agree on the new owner";
}

TEST(RedisClusterTopology, FollowsAManualFailoverWithoutAnError) {
    RedisCluster rc(options_for(mutable_port()));
    const auto slot = key_slot("failover:key");
    const auto [old_master, replica] = settled_shard_of(slot);
    ASSERT_NE(replica, 0);
    ASSERT_TRUE(rc.set("failover:key", "before"));
    (void)test::node_command(old_master, {"WAIT", "1", "2000"});

    ASSERT_TRUE(test::fail_over_to(
        replica, [](std::uint16_t port, std::initializer_list<std::string_view> args) { return test::node_command(port, args); },
        30s))
        << "the replica did not take over";
    // Until the old master hears of it (at once after a plain CLUSTER
    // FAILOVER, a moment later after a TAKEOVER), it still takes writes:
    // wait until every node, the old master included, names the new one.
    ASSERT_TRUE(every_node_says({slot}, replica)) << "the nodes did not agree on the new master";

    // The client still believes the old master owns the slot: the write
    // gets MOVED (or READONLY) and must succeed without an error.
    EXPECT_TRUE(rc.set("failover:key", "after"));
    EXPECT_EQ(rc.get("failover:key"), "after");
    EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(slot).port, replica);
    // The old master is now a replica; the other tests of this cluster
    // look the layout up instead of assuming it.
    EXPECT_NE(old_master, replica);
}

TEST(RedisClusterTopology, FollowsASlotMovedWithSetslot) {
    RedisCluster rc(options_for(mutable_port()));
    const std::string key = "moved-slot:key";
    const auto slot = key_slot(key);
    const auto [source, unused] = settled_shard_of(slot);
    const auto [target, unused2] = settled_shard_of(static_cast<std::uint16_t>((slot + 5461) % 16384));
    ASSERT_NE(source, target);
    (void)rc.del(key);  // an empty slot moves without MIGRATE
    (void)rc.get(key);  // the client has now used the source for this slot

    move_empty_slots({slot}, source, target);
    EXPECT_TRUE(rc.set(key, "moved"));
    EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(slot).port, target);
    EXPECT_EQ(rc.get(key), "moved");

    // Move it back.
    (void)rc.del(key);
    move_empty_slots({slot}, target, source);
}

TEST(RedisClusterTopology, FollowsAskDuringAMigration) {
    RedisCluster rc(options_for(mutable_port()));
    const std::string moved_key = "{ask}:moved";
    const std::string staying_key = "{ask}:staying";
    const auto slot = key_slot(moved_key);
    const auto [source, unused] = settled_shard_of(slot);
    // Another master (an earlier run may have moved the slot next to the
    // one 5461 slots on).
    auto target = settled_shard_of(static_cast<std::uint16_t>((slot + 5461) % 16384)).first;
    if (target == source) target = settled_shard_of(static_cast<std::uint16_t>((slot + 10922) % 16384)).first;
    ASSERT_NE(source, target);
    ASSERT_TRUE(rc.set(moved_key, "1"));
    ASSERT_TRUE(rc.set(staying_key, "2"));
    const auto source_id = std::string(test::node_command(source, {"CLUSTER", "MYID"}).str());
    const auto target_id = std::string(test::node_command(target, {"CLUSTER", "MYID"}).str());
    const auto slot_text = std::to_string(slot);
    (void)test::node_command(target, {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", source_id});
    (void)test::node_command(source, {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", target_id});
    (void)test::node_command(source, {"MIGRATE", "127.0.0.1", std::to_string(target), moved_key, "0", "5000"});

    // The migrated key lives on the target now: the source answers ASK.
    EXPECT_EQ(rc.get(moved_key), "1");
    EXPECT_EQ(rc.get(staying_key), "2");
    // ASK leaves the slot map alone.
    EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(slot).port, source);
    // A multi-key command over both keys hits TRYAGAIN until the migration
    // ends; it is retried and finally fails as the budget runs out.
    const std::string_view both[] = {moved_key, staying_key};
    EXPECT_THROW((void)rc.mget(both), RedisError);

    // Finish the migration and check the client follows.
    (void)test::node_command(source, {"MIGRATE", "127.0.0.1", std::to_string(target), staying_key, "0", "5000"});
    for (const auto port : {target, source}) {
        (void)test::node_command(port, {"CLUSTER", "SETSLOT", slot_text, "NODE", target_id});
    }
    EXPECT_EQ(rc.mget(both), (std::vector<std::optional<std::string>>{"1", "2"}));
    EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(slot).port, target);
    EXPECT_TRUE(every_node_says({slot}, target));  // before another test moves it
}

}  // namespace
}  // namespace rediscluster

namespace rediscluster {
namespace {

TEST(RedisClusterTopology, ReinitializeStepsSetsHowManyMovedRepliesADiscoveryWaitsFor) {
    // Seen on the servers: 12 empty slots moved behind the client's back.
    // With reinitialize_steps 4, the client gets 4 MOVED replies (each
    // patches its map), then one discovery (CLUSTER SHARDS to 3 nodes) puts
    // the other 8 right. With 1000, every slot costs a MOVED and no
    // discovery is made.
    const auto [source, unused] = settled_shard_of(0);
    const auto [target, unused2] = settled_shard_of(8192);
    ASSERT_NE(source, target);
    std::vector<std::string> keys;
    std::vector<std::uint16_t> slots;
    for (int i = 0; keys.size() < 12; ++i) {
        std::string key = "steps:" + std::to_string(i);
        const auto slot = key_slot(key);
        if (shard_of(mutable_port(), slot).first != source) continue;
        if (std::find(slots.begin(), slots.end(), slot) != slots.end()) continue;
        if (test::node_command(source, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}).integer() != 0) continue;
        keys.push_back(std::move(key));
        slots.push_back(slot);
    }
    const auto all_nodes = [] {
        std::vector<std::uint16_t> ports;
        for (int i = 0; i < 6; ++i) ports.push_back(static_cast<std::uint16_t>(mutable_port() + i));
        return ports;
    }();
    const auto discoveries_seen = [&] {
        std::int64_t calls = 0;
        for (const auto port : all_nodes) calls += test::info_field(port, "commandstats", "cmdstat_cluster|shards", "calls");
        return calls;
    };
    const auto moved_sent = [&] { return test::info_field(source, "errorstats", "errorstat_MOVED", "count"); };
    for (const std::size_t steps : {std::size_t{4}, std::size_t{1000}}) {
        auto options = options_for(mutable_port());
        options.reinitialize_steps = steps;
        options.periodic_refresh_interval = 0ms;
        RedisCluster rc(options);
        move_empty_slots(slots, source, target);
        const auto discoveries_before = discoveries_seen();
        const auto moved_before = moved_sent();
        for (const auto& key : keys) {
            EXPECT_EQ(rc.get(key), std::nullopt);
            // Room for a discovery the MOVED started to finish (the refresh
            // policy lets one start 100 ms after the last).
            std::this_thread::sleep_for(150ms);
        }
        const auto discoveries = discoveries_seen() - discoveries_before;
        const auto moved = moved_sent() - moved_before;
        if (steps == 4) {
            EXPECT_EQ(moved, 4);
            EXPECT_EQ(discoveries, 3);  // one discovery, which asks 3 nodes
        } else {
            EXPECT_EQ(moved, 12);
            EXPECT_EQ(discoveries, 0);
        }
        for (const auto slot : slots) EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(slot).port, target);
        move_empty_slots(slots, target, source);
    }
}

}  // namespace
}  // namespace rediscluster
