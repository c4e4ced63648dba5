// RedisCluster with protocol 3 (RESP3) on the plain cluster: discovery, the
// RESP3 types each command gets from a real 7.0 server, typed conversions
// that read the same values as under RESP2, pipelines, transactions,
// cluster SCAN, commands split across slots or sent to every master, the
// multiplexed mode, and pushes from a real server that never take a
// reply's place.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cluster_env.hpp"
#include "rediscluster/client.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using StringMap = std::map<std::string, std::string>;
using ScoredMembers = std::vector<std::pair<std::string, double>>;

RedisClusterOptions options_for(int protocol, bool multiplexed = false) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", test::plain_port()}};
    options.connection_kwargs.socket_timeout = 5s;
    options.connection_kwargs.protocol = protocol;
    options.multiplexed_connections = multiplexed;
    return options;
}

// Keys in many slots, so that split and fan-out commands reach every master.
std::vector<std::string> spread_keys(const std::string& prefix, int count) {
    std::vector<std::string> keys;
    for (int i = 0; i < count; ++i) keys.push_back(prefix + std::to_string(i));
    return keys;
}

// Pooled and multiplexed alike.
class Resp3 : public testing::TestWithParam<bool> {
protected:
    RedisCluster rc{options_for(3, GetParam())};
};

TEST_P(Resp3, DiscoveryFindsEveryMaster) {
    // Every slot is served: a key on each master answers.
    std::set<std::string> masters;
    for (const auto& key : spread_keys("resp3:discovery:", 30)) {
        rc.execute_command("SET", key, "1");
        masters.insert(rc.connection_pool->get_master_node_by_slot(key_slot(key)).name);
    }
    EXPECT_EQ(masters.size(), 3u);
    EXPECT_EQ(rc.execute_command("PING"), Reply::simple_string("PONG"));
}

TEST_P(Resp3, RepliesComeAsResp3Types) {
    const std::string h = "resp3:types:{h}";
    rc.execute_command("DEL", h + ":hash", h + ":set", h + ":zset", h + ":float");
    rc.execute_command("HSET", h + ":hash", "a", "1", "b", "2");
    rc.execute_command("SADD", h + ":set", "x", "y");
    rc.execute_command("ZADD", h + ":zset", "1.5", "m", "2.25", "n");

    const auto hash = rc.execute_command("HGETALL", h + ":hash");
    EXPECT_EQ(hash.type(), ReplyType::Map) << hash.to_debug_string();
    EXPECT_EQ(hash.size(), 4u);
    const auto set = rc.execute_command("SMEMBERS", h + ":set");
    EXPECT_EQ(set.type(), ReplyType::Set) << set.to_debug_string();
    EXPECT_EQ(rc.execute_command("ZSCORE", h + ":zset", "m"), Reply::double_value(1.5));
    const auto range = rc.execute_command("ZRANGE", h + ":zset", 0, -1, "WITHSCORES");
    EXPECT_EQ(range, Reply::array({Reply::array({Reply::bulk_string("m"), Reply::double_value(1.5)}),
                                   Reply::array({Reply::bulk_string("n"), Reply::double_value(2.25)})}));
    EXPECT_EQ(rc.execute_command("GET", h + ":missing"), Reply::null());
    const auto config = rc.execute_command("CONFIG", "GET", "maxmemory-policy");
    EXPECT_EQ(config.type(), ReplyType::Map) << config.to_debug_string();
    // INFO goes to every master: a map from node to its INFO, a verbatim
    // string under RESP3.
    const auto info = rc.execute_command("INFO", "server");
    ASSERT_EQ(info.type(), ReplyType::Map);
    ASSERT_EQ(info.size(), 6u);
    EXPECT_EQ(info[1].type(), ReplyType::VerbatimString);
    EXPECT_EQ(info[1].verbatim_format(), "txt");
    EXPECT_TRUE(info[1].str().starts_with("# Server")) << info[1].to_debug_string();

    // The types a 7.0 server only sends on request (enable-debug-command
    // local, as the test clusters are started).
    EXPECT_EQ(rc.execute_command("DEBUG", "PROTOCOL", "true"), Reply::boolean(true));
    EXPECT_EQ(rc.execute_command("DEBUG", "PROTOCOL", "false"), Reply::boolean(false));
    EXPECT_EQ(rc.execute_command("DEBUG", "PROTOCOL", "double"), Reply::double_value(3.141));
    EXPECT_EQ(rc.execute_command("DEBUG", "PROTOCOL", "null"), Reply::null());
    EXPECT_EQ(rc.execute_command("DEBUG", "PROTOCOL", "bignum"),
              Reply::big_number("1234567999999999999999999999999999999"));
    const auto verbatim = rc.execute_command("DEBUG", "PROTOCOL", "verbatim");
    EXPECT_EQ(verbatim, Reply::verbatim_string("txt", "This is a verbatim\nstring"));
    const auto attributed = rc.execute_command("DEBUG", "PROTOCOL", "attrib");
    EXPECT_EQ(attributed.str(), "Some real reply following the attribute");
    ASSERT_EQ(attributed.attributes().size(), 2u);
    EXPECT_EQ(attributed.attributes()[0].str(), "key-popularity");
    const auto map = rc.execute_command("DEBUG", "PROTOCOL", "map");
    EXPECT_EQ(map.type(), ReplyType::Map);
    const auto set_type = rc.execute_command("DEBUG", "PROTOCOL", "set");
    EXPECT_EQ(set_type.type(), ReplyType::Set);
}

TEST_P(Resp3, APushFromTheServerNeverTakesTheReplysPlace) {
    // DEBUG PROTOCOL push sends a push frame, then the command's reply.
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(rc.execute_command("DEBUG", "PROTOCOL", "push"),
                  Reply::bulk_string("Some real reply following the push reply"));
        // The next command on the same connection gets its own reply.
        EXPECT_EQ(rc.execute_command("PING"), Reply::simple_string("PONG"));
    }
    auto pipe = rc.pipeline();
    pipe.execute_command("SET", "resp3:push:a", "1").execute_command("GET", "resp3:push:a");
    EXPECT_EQ(pipe.execute(), (std::vector<Reply>{Reply::simple_string("OK"), Reply::bulk_string("1")}));
}

TEST_P(Resp3, TypedConversionsReadTheSameValuesAsUnderResp2) {
    RedisCluster resp2(options_for(2, GetParam()));
    const std::string h = "resp3:typed:{h}";
    rc.execute_command("DEL", h + ":hash", h + ":set", h + ":zset", h + ":float");
    rc.execute_command("HSET", h + ":hash", "a", "1", "b", "2");
    rc.execute_command("SADD", h + ":set", "x", "y", "z");
    rc.execute_command("ZADD", h + ":zset", "1.5", "m", "-2", "n", "inf", "o");

    for (RedisCluster* client : {&rc, &resp2}) {
        SCOPED_TRACE(client == &rc ? "RESP3" : "RESP2");
        EXPECT_EQ(client->command<StringMap>("HGETALL", h + ":hash"), (StringMap{{"a", "1"}, {"b", "2"}}));
        auto members = client->command<std::vector<std::string>>("SMEMBERS", h + ":set");
        std::sort(members.begin(), members.end());
        EXPECT_EQ(members, (std::vector<std::string>{"x", "y", "z"}));
        EXPECT_EQ(client->command<double>("ZSCORE", h + ":zset", "m"), 1.5);
        EXPECT_EQ(client->command<std::optional<double>>("ZSCORE", h + ":zset", "none"), std::nullopt);
        EXPECT_EQ(client->command<ScoredMembers>("ZRANGE", h + ":zset", 0, -1, "WITHSCORES"),
                  (ScoredMembers{{"n", -2}, {"m", 1.5}, {"o", std::numeric_limits<double>::infinity()}}));
        EXPECT_EQ(client->command<ScoredMembers>("ZRANGE", h + ":zset", 0, 0, "WITHSCORES"),
                  (ScoredMembers{{"n", -2}}));
        EXPECT_EQ(client->command<bool>("HEXISTS", h + ":hash", "a"), true);
        EXPECT_EQ(client->command<bool>("SISMEMBER", h + ":set", "nope"), false);
        EXPECT_EQ(client->command<StringMap>("CONFIG", "GET", "cluster-require-full-coverage"),
                  (StringMap{{"cluster-require-full-coverage", "yes"}}));
        EXPECT_EQ(client->command<std::vector<std::int64_t>>("SMISMEMBER", h + ":set", "x", "q"),
                  (std::vector<std::int64_t>{1, 0}));
        EXPECT_EQ(client->command<bool>("EVAL", "return true", 0), true);
        // The typed commands too.
        EXPECT_EQ(client->zscore(h + ":zset", "m"), 1.5);
        EXPECT_EQ(client->zrange_withscores(h + ":zset", 0, 0), (std::vector<ScoredMember>{{"n", -2.0}}));
    }
    EXPECT_EQ(rc.incrbyfloat(h + ":float", 1.25), 1.25);
    EXPECT_EQ(resp2.incrbyfloat(h + ":float", 1.25), 2.5);
    // A score is text under RESP2 only (see README, RESP3).
    EXPECT_EQ(resp2.command<std::string>("ZSCORE", h + ":zset", "m"), "1.5");
    EXPECT_THROW((void)rc.command<std::string>("ZSCORE", h + ":zset", "m"), ReplyTypeError);
    EXPECT_EQ(rc.command<bool>("DEBUG", "PROTOCOL", "true"), true);
    EXPECT_EQ(rc.command<std::string>("DEBUG", "PROTOCOL", "bignum"), "1234567999999999999999999999999999999");
    EXPECT_EQ(rc.command<std::string>("DEBUG", "PROTOCOL", "verbatim"), "This is a verbatim\nstring");
}

TEST_P(Resp3, PipelinesAndTransactionsGetResp3Replies) {
    const std::string h = "resp3:batch:{h}";
    rc.execute_command("DEL", h + ":hash", h + ":zset", h + ":n");
    auto pipe = rc.pipeline();
    pipe.execute_command("HSET", h + ":hash", "f", "v")
        .execute_command("HGETALL", h + ":hash")
        .execute_command("ZADD", h + ":zset", "0.5", "m")
        .execute_command("ZSCORE", h + ":zset", "m")
        .execute_command("GET", "resp3:batch:elsewhere");
    const auto replies = pipe.execute();
    ASSERT_EQ(replies.size(), 5u);
    EXPECT_EQ(replies[1], Reply::map({Reply::bulk_string("f"), Reply::bulk_string("v")}));
    EXPECT_EQ(replies[3], Reply::double_value(0.5));
    EXPECT_EQ(replies[4], Reply::null());

    auto tx = rc.transaction(h);
    tx.execute_command("INCR", h + ":n")
        .execute_command("HGETALL", h + ":hash")
        .execute_command("ZSCORE", h + ":zset", "m");
    const auto results = tx.exec();
    ASSERT_TRUE(results);
    const auto hash = Reply::map({Reply::bulk_string("f"), Reply::bulk_string("v")});
    EXPECT_EQ(*results, (std::vector<Reply>{Reply::integer(1), hash, Reply::double_value(0.5)}));

    // A watched key changed: EXEC answers null (RESP3's '_'), nothing ran.
    auto watched = rc.transaction(h);
    watched.watch(h + ":n");
    EXPECT_EQ(watched.now().execute_command("GET", h + ":n"), Reply::bulk_string("1"));
    RedisCluster other(options_for(3));
    other.execute_command("INCR", h + ":n");
    watched.execute_command("INCR", h + ":n");
    EXPECT_EQ(watched.exec(), std::nullopt);
    EXPECT_EQ(rc.execute_command("GET", h + ":n"), Reply::bulk_string("2"));
}

TEST_P(Resp3, ScanSplitAndFanOutCommands) {
    const std::string prefix = std::string("resp3:fan:") + (GetParam() ? "m:" : "p:");
    const auto keys = spread_keys(prefix, 40);
    // MSET / MGET / EXISTS / DEL across slots, merged.
    std::vector<std::string> mset{"MSET"};
    for (const auto& key : keys) mset.insert(mset.end(), {key, "v" + key});
    EXPECT_EQ(rc.execute_command_range(mset), Reply::simple_string("OK"));
    std::vector<std::string> mget{"MGET"};
    mget.insert(mget.end(), keys.begin(), keys.end());
    mget.push_back(prefix + "missing");
    const auto values = rc.execute_command_range(mget);
    ASSERT_EQ(values.size(), keys.size() + 1);
    for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(values[i].str(), "v" + keys[i]);
    EXPECT_EQ(values[keys.size()], Reply::null());
    std::vector<std::string> exists{"EXISTS"};
    exists.insert(exists.end(), keys.begin(), keys.end());
    EXPECT_EQ(rc.execute_command_range(exists), Reply::integer(static_cast<std::int64_t>(keys.size())));

    // Cluster SCAN reads every master's pages.
    std::set<std::string> seen;
    for (auto& key : rc.scan_iter({.match = prefix + "*", .count = 1000})) seen.insert(std::move(key));
    EXPECT_EQ(seen, std::set<std::string>(keys.begin(), keys.end()));

    // Sent to every master and combined.
    const auto found = rc.execute_command("KEYS", prefix + "*");
    EXPECT_EQ(found.type(), ReplyType::Array);
    EXPECT_EQ(found.size(), keys.size());
    EXPECT_GE(rc.execute_command("DBSIZE").integer(), static_cast<std::int64_t>(keys.size()));
    EXPECT_GE(rc.dbsize(), static_cast<std::int64_t>(keys.size()));
    EXPECT_EQ(rc.execute_command("SCRIPT", "EXISTS", "0000000000000000000000000000000000000000"),
              Reply::array({Reply::integer(0)}));

    std::vector<std::string> del{"DEL"};
    del.insert(del.end(), keys.begin(), keys.end());
    EXPECT_EQ(rc.execute_command_range(del), Reply::integer(static_cast<std::int64_t>(keys.size())));
}

TEST_P(Resp3, CollectionScansReadScoresAndFields) {
    const std::string h = "resp3:cscan:{h}";
    rc.execute_command("DEL", h + ":hash", h + ":zset");
    rc.execute_command("HSET", h + ":hash", "a", "1", "b", "2");
    rc.execute_command("ZADD", h + ":zset", "1.5", "m", "-1", "n");
    std::map<std::string, std::string> fields;
    for (auto& [field, value] : rc.hscan_iter(h + ":hash")) fields[field] = value;
    EXPECT_EQ(fields, (StringMap{{"a", "1"}, {"b", "2"}}));
    std::map<std::string, double> scores;
    for (auto& [member, score] : rc.zscan_iter(h + ":zset")) scores[member] = score;
    EXPECT_EQ(scores, (std::map<std::string, double>{{"m", 1.5}, {"n", -1.0}}));
}

INSTANTIATE_TEST_SUITE_P(PooledAndMultiplexed, Resp3, testing::Bool(),
                         [](const auto& parameter) { return parameter.param ? "Multiplexed" : "Pooled"; });

// HELLO 3 carries the credentials and the name for every connection the
// client opens, discovery's included, on the cluster with ACL users.
TEST(Resp3Acl, HelloCarriesCredentialsAndNameOnEveryConnection) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", test::acl_port()}};
    options.connection_kwargs.socket_timeout = 5s;
    options.connection_kwargs.username = "alice";
    options.connection_kwargs.password = "wonderland";
    options.connection_kwargs.client_name = "resp3-acl";
    options.connection_kwargs.protocol = 3;
    RedisCluster rc(options);
    for (const auto& key : spread_keys("resp3:acl:", 12)) {
        EXPECT_EQ(rc.execute_command("SET", key, "1"), Reply::simple_string("OK"));
    }
    EXPECT_EQ(rc.execute_command("ACL", "WHOAMI"), Reply::bulk_string("alice"));
    EXPECT_EQ(rc.execute_command("CLIENT", "GETNAME"), Reply::bulk_string("resp3-acl"));
    rc.execute_command("HSET", "resp3:acl:hash", "f", "v");
    EXPECT_EQ(rc.execute_command("HGETALL", "resp3:acl:hash").type(), ReplyType::Map);
}

// A connection with client tracking gets invalidation pushes from a real
// server; they are handed to the push handler, never read as replies.
TEST(Resp3Connection, TrackingInvalidationsGoToThePushHandler) {
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = test::plain_node(0);
    options.socket_timeout = 5s;
    options.protocol = 3;
    ClusterConnection connection(options);
    std::vector<Reply> pushes;
    connection.set_push_handler([&](Reply& push) { pushes.push_back(std::move(push)); });
    EXPECT_EQ(connection.execute("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "resp3:track:"),
              Reply::simple_string("OK"));
    // A key this node serves (the others answer MOVED).
    std::string key;
    for (int i = 0; key.empty() && i < 100; ++i) {
        const std::string candidate = "resp3:track:" + std::to_string(i);
        try {
            (void)connection.execute("SET", candidate, "1");
            key = candidate;
        } catch (const MovedError&) {
        }
    }
    ASSERT_FALSE(key.empty());
    // Broadcast mode tells this client of its own writes too, after the
    // reply; each later command still gets its own reply.
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(connection.execute("SET", key, std::to_string(i)), Reply::simple_string("OK"));
        EXPECT_EQ(connection.execute("GET", key), Reply::bulk_string(std::to_string(i)));
    }
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
    ASSERT_FALSE(pushes.empty());
    EXPECT_EQ(pushes.front().type(), ReplyType::Push);
    EXPECT_EQ(pushes.front()[0].str(), "invalidate");
    EXPECT_EQ(connection.pending_replies(), 0u);
}

}  // namespace
}  // namespace rediscluster
