// Typed replies and the families of typed commands against the real plain
// cluster (which the client speaks RESP2 to). Keys of one test share a
// hash tag, so multi-key commands stay in one slot.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "cluster_env.hpp"
#include "rediscluster/client.hpp"

namespace rediscluster {

namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

RedisClusterOptions plain_options() {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", test::plain_port()}};
    options.connection_kwargs.socket_timeout = 5s;
    return options;
}

// Deletes what an earlier run left (the tests may be repeated).
void clear(RedisCluster& rc, std::initializer_list<std::string_view> keys) {
    for (const auto key : keys) (void)rc.del(key);
}

// A command's calls summed over every node of the plain cluster, from
// INFO commandstats.
std::int64_t calls_everywhere(std::string_view command) {
    std::int64_t calls = 0;
    for (int node = 0; node < 6; ++node) {
        calls += test::info_field(test::plain_node(node), "commandstats", "cmdstat_" + std::string(command), "calls");
    }
    return calls;
}

TEST(TypedCommands, CommandReadsTheReplyAsAskedInEitherShape) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:cmd:{c}", "typed:cmd:h:{c}", "typed:cmd:z:{c}"});
    (void)rc.execute_command("SET", "typed:cmd:{c}", "41");
    EXPECT_EQ(rc.command<std::int64_t>("INCR", "typed:cmd:{c}"), 42);
    EXPECT_EQ(rc.command<std::uint8_t>("GET", "typed:cmd:{c}"), 42);  // a bulk string of digits
    EXPECT_EQ(rc.command<std::optional<std::string>>("GET", "typed:cmd:missing:{c}"), std::nullopt);
    EXPECT_TRUE(rc.command<bool>("SET", "typed:cmd:{c}", "x"));  // +OK
    (void)rc.execute_command("HSET", "typed:cmd:h:{c}", "a", "1", "b", "2");
    // RESP2 sends HGETALL flat; the map reads it.
    EXPECT_EQ((rc.command<std::map<std::string, std::int64_t>>("HGETALL", "typed:cmd:h:{c}")),
              (std::map<std::string, std::int64_t>{{"a", 1}, {"b", 2}}));
    (void)rc.execute_command("ZADD", "typed:cmd:z:{c}", 1.5, "m", 2, "n");
    EXPECT_EQ((rc.command<std::vector<std::pair<std::string, double>>>("ZRANGE", "typed:cmd:z:{c}", 0, -1,
                                                                       "WITHSCORES")),
              (std::vector<std::pair<std::string, double>>{{"m", 1.5}, {"n", 2.0}}));
    EXPECT_EQ(rc.command<std::chrono::milliseconds>("PTTL", "typed:cmd:{c}"), -1ms);
    EXPECT_EQ(rc.command<Reply>("GET", "typed:cmd:{c}"), Reply::bulk_string("x"));
    const std::vector<std::string> args{"GET", "typed:cmd:{c}"};
    EXPECT_EQ(rc.command_range<std::string>(args), "x");
    EXPECT_EQ(rc.execute_command("GET", "typed:cmd:{c}").as<std::string>(), "x");
}

TEST(TypedCommands, AMismatchOrAnErrorReplyThrowsAfterTheCommandRan) {
    RedisCluster rc(plain_options());
    (void)rc.set("typed:mismatch", "abc");
    try {
        (void)rc.command<std::int64_t>("GET", "typed:mismatch");
        FAIL() << "expected ReplyTypeError";
    } catch (const ReplyTypeError& e) {
        EXPECT_STREQ(e.what(), R"(cannot read the reply as std::int64_t: got a bulk string "abc")");
    }
    EXPECT_THROW((void)rc.command<std::int64_t>("INCR", "typed:mismatch"), ResponseError);
    try {
        (void)rc.command<std::int64_t>("INCR", "typed:mismatch");
    } catch (const ReplyTypeError&) {
        ADD_FAILURE() << "an error reply is the server's, not a type mismatch";
    } catch (const ResponseError& e) {
        EXPECT_STREQ(e.what(), "ERR value is not an integer or out of range");
    }
}

TEST(TypedCommands, Strings) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:s:{s}", "typed:s2:{s}", "typed:s3:{s}", "typed:n:{s}", "typed:f:{s}"});
    EXPECT_TRUE(rc.set("typed:s:{s}", "v1", {.ex = 100s}));
    EXPECT_GT(rc.ttl("typed:s:{s}"), 90);
    EXPECT_FALSE(rc.set("typed:s:{s}", "v2", {.nx = true}));
    EXPECT_TRUE(rc.set("typed:s:{s}", "v2", {.keepttl = true, .xx = true}));
    EXPECT_GT(rc.ttl("typed:s:{s}"), 90);  // KEEPTTL
    EXPECT_TRUE(rc.set("typed:s:{s}", "v3", {.px = 50000ms}));
    EXPECT_GT(rc.pttl("typed:s:{s}"), 40000);
    const auto in_an_hour = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now() + 1h);
    EXPECT_TRUE(rc.set("typed:s:{s}", "v4", {.exat = in_an_hour}));
    EXPECT_GT(rc.ttl("typed:s:{s}"), 3500);
    EXPECT_TRUE(rc.set("typed:s:{s}", "v5",
                       {.pxat = std::chrono::time_point_cast<std::chrono::milliseconds>(in_an_hour)}));
    EXPECT_EQ(rc.set_get("typed:s:{s}", "v6"), "v5");
    EXPECT_EQ(rc.ttl("typed:s:{s}"), -1);
    EXPECT_EQ(rc.set_get("typed:s2:{s}", "new", {.nx = true}), std::nullopt);
    EXPECT_EQ(rc.get("typed:s2:{s}"), "new");
    EXPECT_THROW((void)rc.set("typed:s:{s}", "x", {.ex = 1s, .px = 1ms}), DataError);
    EXPECT_THROW((void)rc.set("typed:s:{s}", "x", {.nx = true, .xx = true}), DataError);

    EXPECT_EQ(rc.getex("typed:s:{s}", {.ex = 100s}), "v6");
    EXPECT_GT(rc.ttl("typed:s:{s}"), 90);
    EXPECT_EQ(rc.getex("typed:s:{s}", {.persist = true}), "v6");
    EXPECT_EQ(rc.ttl("typed:s:{s}"), -1);
    EXPECT_THROW((void)rc.getex("typed:s:{s}", {.px = 1ms, .persist = true}), DataError);
    EXPECT_EQ(rc.getset("typed:s:{s}", "v7"), "v6");
    EXPECT_EQ(rc.append("typed:s:{s}", "89"), 4);
    EXPECT_EQ(rc.strlen("typed:s:{s}"), 4);
    EXPECT_EQ(rc.setrange("typed:s:{s}", 1, "XY"), 4);
    EXPECT_EQ(rc.getrange("typed:s:{s}", 0, 2), "vXY");
    EXPECT_EQ(rc.getdel("typed:s:{s}"), "vXY9");
    EXPECT_EQ(rc.get("typed:s:{s}"), std::nullopt);
    EXPECT_TRUE(rc.setnx("typed:s:{s}", "a"));
    EXPECT_FALSE(rc.setnx("typed:s:{s}", "b"));
    EXPECT_TRUE(rc.setex("typed:s:{s}", 100s, "c"));
    EXPECT_GT(rc.ttl("typed:s:{s}"), 90);

    EXPECT_EQ(rc.incrby("typed:n:{s}", 10), 10);
    EXPECT_EQ(rc.decrby("typed:n:{s}", 3), 7);
    EXPECT_DOUBLE_EQ(rc.incrbyfloat("typed:f:{s}", 1.25), 1.25);
    EXPECT_DOUBLE_EQ(rc.incrbyfloat("typed:f:{s}", -0.5), 0.75);

    const std::pair<std::string_view, std::string_view> pairs[] = {{"typed:s2:{s}", "A"}, {"typed:s3:{s}", "B"}};
    EXPECT_TRUE(rc.mset(pairs));
    const std::string_view keys[] = {"typed:s2:{s}", "typed:s3:{s}", "typed:none:{s}"};
    EXPECT_EQ(rc.mget(keys), (std::vector<std::optional<std::string>>{"A", "B", std::nullopt}));
    const std::string_view flat[] = {"typed:s2:{s}", "C", "typed:s3:{s}", "D"};
    EXPECT_TRUE(rc.mset(flat));
    EXPECT_EQ(rc.get("typed:s3:{s}"), "D");
    EXPECT_FALSE(rc.msetnx(pairs));  // both exist
    (void)rc.del("typed:s2:{s}");
    (void)rc.del("typed:s3:{s}");
    EXPECT_TRUE(rc.msetnx(pairs));
}

TEST(TypedCommands, WrongArgumentCountsAreRefusedBeforeAnythingIsSent) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:odd:{o}", "typed:odd2:{o}"});
    const auto mset_calls = calls_everywhere("mset");
    const auto hset_calls = calls_everywhere("hset");
    const std::string_view odd[] = {"typed:odd:{o}", "1", "typed:odd2:{o}"};
    try {
        (void)rc.mset(odd);
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        EXPECT_EQ(std::string(e.what()), "MSET: keys and values must come in pairs, got 3 arguments");
    }
    EXPECT_THROW((void)rc.msetnx(odd), DataError);
    const std::string_view odd_fields[] = {"f1", "v1", "f2"};
    try {
        (void)rc.hset("typed:odd:{o}", odd_fields);
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        EXPECT_EQ(std::string(e.what()), "HSET: fields and values must come in pairs, got 3 arguments");
    }
    EXPECT_THROW((void)rc.del(std::span<const std::string_view>()), DataError);
    EXPECT_THROW((void)rc.blpop(std::span<const std::string_view>(), 1s), DataError);
    EXPECT_EQ(calls_everywhere("mset"), mset_calls);
    EXPECT_EQ(calls_everywhere("hset"), hset_calls);
    EXPECT_EQ(rc.exists("typed:odd:{o}"), 0);
}

TEST(TypedCommands, Keys) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:k1:{k}", "typed:k2:{k}", "typed:k3:{k}", "typed:k4:{k}"});
    (void)rc.set("typed:k1:{k}", "1");
    (void)rc.set("typed:k2:{k}", "2");
    const std::string_view keys[] = {"typed:k1:{k}", "typed:k2:{k}", "typed:k3:{k}"};
    EXPECT_EQ(rc.exists(keys), 2);
    EXPECT_EQ(rc.touch(keys), 2);
    EXPECT_EQ(rc.type("typed:k1:{k}"), "string");
    EXPECT_EQ(rc.type("typed:k3:{k}"), "none");
    EXPECT_TRUE(rc.pexpire("typed:k1:{k}", 100000ms));
    EXPECT_GT(rc.pttl("typed:k1:{k}"), 90000);
    EXPECT_TRUE(rc.persist("typed:k1:{k}"));
    EXPECT_FALSE(rc.persist("typed:k1:{k}"));
    EXPECT_EQ(rc.ttl("typed:k1:{k}"), -1);
    EXPECT_EQ(rc.pttl("typed:k3:{k}"), -2);
    const auto later = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now() + 1h);
    EXPECT_TRUE(rc.expireat("typed:k1:{k}", later));
    EXPECT_GT(rc.ttl("typed:k1:{k}"), 3500);
    EXPECT_TRUE(rc.pexpireat("typed:k2:{k}", std::chrono::time_point_cast<std::chrono::milliseconds>(later)));
    EXPECT_GT(rc.pttl("typed:k2:{k}"), 3500000);
    EXPECT_FALSE(rc.expire("typed:k3:{k}", 10s));
    EXPECT_TRUE(rc.rename("typed:k1:{k}", "typed:k3:{k}"));
    EXPECT_EQ(rc.get("typed:k3:{k}"), "1");
    EXPECT_THROW((void)rc.rename("typed:k1:{k}", "typed:k4:{k}"), ResponseError);  // no such key
    EXPECT_FALSE(rc.renamenx("typed:k3:{k}", "typed:k2:{k}"));
    EXPECT_TRUE(rc.renamenx("typed:k3:{k}", "typed:k4:{k}"));
    const std::string_view all[] = {"typed:k2:{k}", "typed:k4:{k}", "typed:k1:{k}"};
    EXPECT_EQ(rc.unlink(all), 2);
    EXPECT_EQ(rc.exists(all), 0);
}

TEST(TypedCommands, Hashes) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:h"});
    const std::pair<std::string_view, std::string_view> fields[] = {{"a", "1"}, {"b", "2"}};
    EXPECT_EQ(rc.hset("typed:h", fields), 2);
    const std::string_view flat[] = {"b", "20", "c", "3"};
    EXPECT_EQ(rc.hset("typed:h", flat), 1);
    EXPECT_EQ(rc.hlen("typed:h"), 3);
    const std::string_view wanted[] = {"a", "missing", "c"};
    EXPECT_EQ(rc.hmget("typed:h", wanted), (std::vector<std::optional<std::string>>{"1", std::nullopt, "3"}));
    auto names = rc.hkeys("typed:h");
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (Strings{"a", "b", "c"}));
    auto values = rc.hvals("typed:h");
    std::sort(values.begin(), values.end());
    EXPECT_EQ(values, (Strings{"1", "20", "3"}));
    EXPECT_TRUE(rc.hexists("typed:h", "a"));
    EXPECT_FALSE(rc.hexists("typed:h", "z"));
    EXPECT_DOUBLE_EQ(rc.hincrbyfloat("typed:h", "a", 0.5), 1.5);
    EXPECT_TRUE(rc.hsetnx("typed:h", "d", "4"));
    EXPECT_FALSE(rc.hsetnx("typed:h", "d", "5"));
    const std::string_view gone[] = {"c", "d", "nope"};
    EXPECT_EQ(rc.hdel("typed:h", gone), 2);
    auto all = rc.hgetall("typed:h");
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all, (std::vector<std::pair<std::string, std::string>>{{"a", "1.5"}, {"b", "20"}}));
}

TEST(TypedCommands, Lists) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:l:{l}", "typed:l2:{l}"});
    const std::string_view values[] = {"a", "b", "c"};
    EXPECT_EQ(rc.rpush("typed:l:{l}", values), 3);
    const std::string_view front[] = {"y", "x"};
    EXPECT_EQ(rc.lpush("typed:l:{l}", front), 5);  // x y a b c
    EXPECT_EQ(rc.linsert("typed:l:{l}", InsertPosition::after, "a", "a2"), 6);
    EXPECT_EQ(rc.linsert("typed:l:{l}", InsertPosition::before, "nope", "z"), -1);
    EXPECT_EQ(rc.lindex("typed:l:{l}", 3), "a2");
    EXPECT_EQ(rc.lindex("typed:l:{l}", 100), std::nullopt);
    EXPECT_TRUE(rc.lset("typed:l:{l}", 0, "X"));
    EXPECT_THROW((void)rc.lset("typed:l:{l}", 100, "X"), ResponseError);
    EXPECT_EQ(rc.rpush("typed:l:{l}", "b"), 7);
    EXPECT_EQ(rc.lrem("typed:l:{l}", 0, "b"), 2);
    EXPECT_EQ(rc.lrange("typed:l:{l}", 0, -1), (Strings{"X", "y", "a", "a2", "c"}));
    EXPECT_TRUE(rc.ltrim("typed:l:{l}", 1, -1));
    EXPECT_EQ(rc.lmove("typed:l:{l}", "typed:l2:{l}", ListEnd::right, ListEnd::left), "c");
    EXPECT_EQ(rc.lmove("typed:none:{l}", "typed:l2:{l}", ListEnd::left, ListEnd::left), std::nullopt);
    EXPECT_EQ(rc.lrange("typed:l:{l}", 0, -1), (Strings{"y", "a", "a2"}));
    EXPECT_EQ(rc.lrange("typed:l2:{l}", 0, -1), (Strings{"c"}));
}

TEST(TypedCommands, BlockingPopsReturnWhatCameOrNothingAfterTheTimeout) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:b1:{b}", "typed:b2:{b}", "typed:bz:{b}"});
    const std::string_view keys[] = {"typed:b1:{b}", "typed:b2:{b}"};
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(rc.blpop(keys, 200ms), std::nullopt);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
    (void)rc.rpush("typed:b2:{b}", "v1");
    (void)rc.rpush("typed:b2:{b}", "v2");
    EXPECT_EQ(rc.blpop(keys, 1s), (std::pair<std::string, std::string>{"typed:b2:{b}", "v1"}));
    EXPECT_EQ(rc.brpop("typed:b2:{b}", 1s), (std::pair<std::string, std::string>{"typed:b2:{b}", "v2"}));
    EXPECT_EQ(rc.brpop("typed:b2:{b}", 100ms), std::nullopt);

    // A push from another thread wakes the waiting pop.
    std::thread pusher([] {
        RedisCluster other(plain_options());
        std::this_thread::sleep_for(200ms);
        (void)other.rpush("typed:b1:{b}", "late");
    });
    EXPECT_EQ(rc.blmove("typed:b1:{b}", "typed:b2:{b}", ListEnd::left, ListEnd::right, 3s), "late");
    pusher.join();
    EXPECT_EQ(rc.lrange("typed:b2:{b}", 0, -1), (Strings{"late"}));
    EXPECT_EQ(rc.blmove("typed:b1:{b}", "typed:b2:{b}", ListEnd::left, ListEnd::right, 100ms), std::nullopt);

    (void)rc.zadd("typed:bz:{b}", 1, "low");
    (void)rc.zadd("typed:bz:{b}", 9, "high");
    EXPECT_EQ(rc.bzpopmin("typed:bz:{b}", 1s),
              (std::tuple<std::string, std::string, double>{"typed:bz:{b}", "low", 1.0}));
    const std::string_view zkeys[] = {"typed:b1:{b}", "typed:bz:{b}"};
    EXPECT_EQ(rc.bzpopmax(zkeys, 1s), (std::tuple<std::string, std::string, double>{"typed:bz:{b}", "high", 9.0}));
    EXPECT_EQ(rc.bzpopmin("typed:bz:{b}", 100ms), std::nullopt);
    EXPECT_THROW((void)rc.blpop("typed:b1:{b}", -1s), DataError);
}

TEST(TypedCommands, PipelinesRefuseBlockingPopsWhenAdded) {
    RedisCluster rc(plain_options());
    auto pipe = rc.pipeline();
    EXPECT_THROW(pipe.blpop("typed:p:{p}", 1s), RedisClusterException);
    EXPECT_THROW(pipe.brpop("typed:p:{p}", 1s), RedisClusterException);
    EXPECT_THROW(pipe.blmove("typed:p:{p}", "typed:q:{p}", ListEnd::left, ListEnd::left, 1s), RedisClusterException);
    EXPECT_THROW(pipe.bzpopmin("typed:p:{p}", 1s), RedisClusterException);
    EXPECT_THROW(pipe.bzpopmax("typed:p:{p}", 1s), RedisClusterException);
    EXPECT_TRUE(pipe.empty());
}

TEST(TypedCommands, Sets) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:s1:{t}", "typed:s2:{t}", "typed:s3:{t}"});
    const std::string_view one[] = {"a", "b", "c"};
    const std::string_view two[] = {"b", "c", "d"};
    EXPECT_EQ(rc.sadd("typed:s1:{t}", one), 3);
    EXPECT_EQ(rc.sadd("typed:s2:{t}", two), 3);
    EXPECT_EQ(rc.scard("typed:s1:{t}"), 3);
    const std::string_view keys[] = {"typed:s1:{t}", "typed:s2:{t}"};
    auto sorted = [](Strings members) {
        std::sort(members.begin(), members.end());
        return members;
    };
    EXPECT_EQ(sorted(rc.sinter(keys)), (Strings{"b", "c"}));
    EXPECT_EQ(sorted(rc.sunion(keys)), (Strings{"a", "b", "c", "d"}));
    EXPECT_EQ(sorted(rc.sdiff(keys)), (Strings{"a"}));
    const std::string_view probe[] = {"a", "d", "b"};
    EXPECT_EQ(rc.smismember("typed:s1:{t}", probe), (std::vector<bool>{true, false, true}));
    EXPECT_TRUE(rc.smove("typed:s1:{t}", "typed:s3:{t}", "a"));
    EXPECT_FALSE(rc.smove("typed:s1:{t}", "typed:s3:{t}", "a"));
    EXPECT_EQ(rc.smembers("typed:s3:{t}"), (Strings{"a"}));
    const auto random = rc.srandmember("typed:s1:{t}");
    ASSERT_TRUE(random.has_value());
    EXPECT_TRUE(*random == "b" || *random == "c");
    EXPECT_EQ(rc.srandmember("typed:s1:{t}", 5).size(), 2u);
    EXPECT_EQ(rc.srandmember("typed:none:{t}"), std::nullopt);
    EXPECT_EQ(rc.spop("typed:s3:{t}"), "a");
    EXPECT_EQ(rc.spop("typed:s3:{t}"), std::nullopt);
    EXPECT_EQ(sorted(rc.spop("typed:s2:{t}", 10)), (Strings{"b", "c", "d"}));
    const std::string_view remove[] = {"b", "zz"};
    EXPECT_EQ(rc.srem("typed:s1:{t}", remove), 1);
}

TEST(TypedCommands, SortedSets) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:z"});
    const std::pair<std::string_view, double> members[] = {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}};
    EXPECT_EQ(rc.zadd("typed:z", members), 4);
    const std::pair<std::string_view, double> update[] = {{"a", 10}, {"e", 5}};
    EXPECT_EQ(rc.zadd("typed:z", update, {.xx = true, .ch = true}), 1);  // a changed, e not added
    const std::pair<std::string_view, double> lower[] = {{"a", 0.5}};
    EXPECT_EQ(rc.zadd("typed:z", lower, {.gt = true, .ch = true}), 0);  // 0.5 < 10
    EXPECT_THROW((void)rc.zadd("typed:z", lower, {.nx = true, .gt = true}), DataError);
    EXPECT_THROW((void)rc.zadd("typed:z", lower, {.gt = true, .lt = true}), DataError);
    EXPECT_DOUBLE_EQ(rc.zincrby("typed:z", 0.5, "b"), 2.5);
    EXPECT_EQ(rc.zcard("typed:z"), 4);
    EXPECT_EQ(rc.zcount("typed:z", 2, 4), 3);
    EXPECT_EQ(rc.zcount("typed:z", "(2.5", "+inf"), 3);
    EXPECT_EQ(rc.zrank("typed:z", "c"), 1);
    EXPECT_EQ(rc.zrevrank("typed:z", "c"), 2);
    EXPECT_EQ(rc.zrank("typed:z", "nope"), std::nullopt);
    using Scored = std::vector<ScoredMember>;
    EXPECT_EQ(rc.zrange_withscores("typed:z", 0, 1), (Scored{{"b", 2.5}, {"c", 3}}));
    EXPECT_EQ(rc.zrevrange("typed:z", 0, 0), (Strings{"a"}));
    EXPECT_EQ(rc.zrevrange_withscores("typed:z", 0, 0), (Scored{{"a", 10}}));
    EXPECT_EQ(rc.zrangebyscore("typed:z", 3, "+inf"), (Strings{"c", "d", "a"}));
    EXPECT_EQ(rc.zrangebyscore_withscores("typed:z", "-inf", "(3"), (Scored{{"b", 2.5}}));
    EXPECT_EQ(rc.zpopmin("typed:z"), (Scored{{"b", 2.5}}));
    EXPECT_EQ(rc.zpopmax("typed:z", 2), (Scored{{"a", 10}, {"d", 4}}));
    EXPECT_EQ(rc.zremrangebyscore("typed:z", "-inf", "+inf"), 1);
    EXPECT_TRUE(rc.zpopmin("typed:z").empty());
    EXPECT_EQ(rc.zadd("typed:z", 1, "x"), 1);
    const std::string_view gone[] = {"x", "y"};
    EXPECT_EQ(rc.zrem("typed:z", gone), 1);
}

TEST(TypedCommands, Streams) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:x"});
    const std::pair<std::string_view, std::string_view> first[] = {{"f", "1"}, {"g", "one"}};
    const std::pair<std::string_view, std::string_view> second[] = {{"f", "2"}};
    EXPECT_EQ(rc.xadd("typed:x", "1-1", first), "1-1");
    EXPECT_EQ(rc.xadd("typed:x", "2-1", second), "2-1");
    const auto generated = rc.xadd("typed:x", "*", second);
    EXPECT_NE(generated.find('-'), std::string::npos);
    EXPECT_EQ(rc.xlen("typed:x"), 3);
    const auto entries = rc.xrange("typed:x", "-", "2-1");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0], (StreamEntry{"1-1", {{"f", "1"}, {"g", "one"}}}));
    EXPECT_EQ(entries[1], (StreamEntry{"2-1", {{"f", "2"}}}));
    const auto newest = rc.xrevrange("typed:x", "+", "-", 1);
    ASSERT_EQ(newest.size(), 1u);
    EXPECT_EQ(newest[0].id, generated);

    EXPECT_TRUE(rc.xgroup_create("typed:x", "grp", "0"));
    EXPECT_THROW((void)rc.xgroup_create("typed:x", "grp", "0"), ResponseError);  // BUSYGROUP
    const auto delivered = rc.xreadgroup("grp", "alice", "typed:x", ">", 2);
    ASSERT_EQ(delivered.size(), 2u);
    EXPECT_EQ(delivered[0].id, "1-1");
    const auto pending = rc.xpending("typed:x", "grp");
    EXPECT_EQ(pending.count, 2);
    EXPECT_EQ(pending.smallest_id, "1-1");
    EXPECT_EQ(pending.largest_id, "2-1");
    EXPECT_EQ(pending.consumers, (std::vector<std::pair<std::string, std::int64_t>>{{"alice", 2}}));
    const std::string_view claim[] = {"2-1"};
    const auto claimed = rc.xclaim("typed:x", "grp", "bob", 0ms, claim);
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0], (StreamEntry{"2-1", {{"f", "2"}}}));
    const auto auto_claimed = rc.xautoclaim("typed:x", "grp", "carol", 0ms, "0-0", 10);
    EXPECT_EQ(auto_claimed.next_id, "0-0");
    ASSERT_EQ(auto_claimed.entries.size(), 2u);
    EXPECT_EQ(auto_claimed.entries[0].id, "1-1");
    EXPECT_TRUE(auto_claimed.deleted_ids.empty());
    const std::string_view ack[] = {"1-1", "2-1"};
    EXPECT_EQ(rc.xack("typed:x", "grp", ack), 2);
    EXPECT_EQ(rc.xpending("typed:x", "grp").count, 0);
    EXPECT_EQ(rc.xpending("typed:x", "grp").smallest_id, std::nullopt);
    EXPECT_TRUE(rc.xreadgroup("grp", "alice", "typed:x", "0").empty());  // nothing pending for alice

    const std::string_view remove[] = {"1-1"};
    EXPECT_EQ(rc.xdel("typed:x", remove), 1);
    EXPECT_EQ(rc.xtrim("typed:x", 1), 1);
    EXPECT_EQ(rc.xlen("typed:x"), 1);
    (void)rc.xadd("typed:x", "*", second, {.maxlen = 1});
    EXPECT_EQ(rc.xlen("typed:x"), 1);
}

TEST(TypedCommands, ScriptsAndFunctions) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:e1:{e}", "typed:e2:{e}"});
    const std::string_view keys[] = {"typed:e1:{e}", "typed:e2:{e}"};
    const std::string_view args[] = {"5"};
    const auto reply = rc.eval("redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[2], tonumber(ARGV[1]) * 2}", keys,
                               args);
    EXPECT_EQ((reply.as<std::pair<std::string, std::int64_t>>()),
              (std::pair<std::string, std::int64_t>{"typed:e2:{e}", 10}));
    EXPECT_EQ(rc.get("typed:e1:{e}"), "5");
    EXPECT_EQ(rc.eval("return 7").as<int>(), 7);  // no key: any master
    const std::string_view cross[] = {"foo", "bar"};
    EXPECT_THROW((void)rc.eval("return 1", cross), ClusterCrossSlotError);

    const auto sha = rc.script_load("return KEYS[1]");
    EXPECT_EQ(sha.size(), 40u);
    EXPECT_EQ(rc.evalsha(sha, keys).as<std::string>(), "typed:e1:{e}");
    EXPECT_THROW((void)rc.evalsha("0000000000000000000000000000000000000000", keys), NoScriptError);

    (void)rc.execute_command("FUNCTION", "LOAD", "REPLACE",
                             "#!lua name=typedlib\n"
                             "redis.register_function('typed_incr', function(keys, args) "
                             "return redis.call('INCRBY', keys[1], args[1]) end)");
    EXPECT_EQ(rc.fcall("typed_incr", keys, args).as<std::int64_t>(), 10);
}

TEST(TypedCommands, EvalCachedFallsBackToEvalOnNoscript) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:cached:{e}"});
    const std::string script = "return redis.call('INCR', KEYS[1])";
    (void)rc.execute_command("SCRIPT", "FLUSH");  // on every master
    const std::string_view keys[] = {"typed:cached:{e}"};
    const auto evals = calls_everywhere("eval");
    const auto evalshas = calls_everywhere("evalsha");
    EXPECT_EQ(rc.eval_cached(script, keys).as<std::int64_t>(), 1);
    EXPECT_EQ(calls_everywhere("eval"), evals + 1);  // NOSCRIPT, then the script itself
    EXPECT_EQ(rc.eval_cached(script, keys).as<std::int64_t>(), 2);
    EXPECT_EQ(calls_everywhere("eval"), evals + 1);  // cached now: EVALSHA alone
    EXPECT_GE(calls_everywhere("evalsha"), evalshas + 2);  // one answered NOSCRIPT, one ran
    EXPECT_THROW((void)rc.eval_cached("return redis.call('NOSUCHCOMMAND')", keys), ResponseError);
}

TEST(TypedCommands, HyperLogLogGeoAndBitmaps) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:hll1:{g}", "typed:hll2:{g}", "typed:hll3:{g}", "typed:geo", "typed:bits"});
    const std::string_view first[] = {"a", "b", "c"};
    const std::string_view second[] = {"c", "d"};
    EXPECT_TRUE(rc.pfadd("typed:hll1:{g}", first));
    EXPECT_FALSE(rc.pfadd("typed:hll1:{g}", first));
    EXPECT_TRUE(rc.pfadd("typed:hll2:{g}", second));
    EXPECT_EQ(rc.pfcount("typed:hll1:{g}"), 3);
    const std::string_view both[] = {"typed:hll1:{g}", "typed:hll2:{g}"};
    EXPECT_EQ(rc.pfcount(both), 4);
    EXPECT_TRUE(rc.pfmerge("typed:hll3:{g}", both));
    EXPECT_EQ(rc.pfcount("typed:hll3:{g}"), 4);

    const GeoMember places[] = {{2.3522, 48.8566, "paris"}, {4.8357, 45.7640, "lyon"}, {-0.1276, 51.5072, "london"}};
    EXPECT_EQ(rc.geoadd("typed:geo", places), 3);
    const auto km = rc.geodist("typed:geo", "paris", "lyon", GeoUnit::km);
    ASSERT_TRUE(km.has_value());
    EXPECT_NEAR(*km, 392, 5);
    EXPECT_EQ(rc.geodist("typed:geo", "paris", "nowhere"), std::nullopt);
    const std::string_view wanted[] = {"paris", "nowhere"};
    const auto positions = rc.geopos("typed:geo", wanted);
    ASSERT_EQ(positions.size(), 2u);
    ASSERT_TRUE(positions[0].has_value());
    EXPECT_NEAR(positions[0]->first, 2.3522, 1e-3);
    EXPECT_NEAR(positions[0]->second, 48.8566, 1e-3);
    EXPECT_EQ(positions[1], std::nullopt);
    EXPECT_EQ(rc.geosearch("typed:geo", "paris", 400, GeoUnit::km), (Strings{"paris", "london", "lyon"}));
    EXPECT_EQ(rc.geosearch("typed:geo", "paris", 350, GeoUnit::km), (Strings{"paris", "london"}));
    EXPECT_EQ(rc.geosearch("typed:geo", GeoPosition{4.8, 45.7}, 50, GeoUnit::km), (Strings{"lyon"}));

    EXPECT_FALSE(rc.setbit("typed:bits", 7, true));
    EXPECT_TRUE(rc.setbit("typed:bits", 7, true));
    (void)rc.setbit("typed:bits", 9, true);
    EXPECT_TRUE(rc.getbit("typed:bits", 7));
    EXPECT_FALSE(rc.getbit("typed:bits", 8));
    EXPECT_EQ(rc.bitcount("typed:bits"), 2);
    EXPECT_EQ(rc.bitcount("typed:bits", 1, 1), 1);
    EXPECT_EQ(rc.bitpos("typed:bits", true), 7);
    EXPECT_EQ(rc.bitpos("typed:bits", false), 0);
}

TEST(TypedCommands, PipelinesQueueTheSameFamiliesAndRepliesReadAsTyped) {
    RedisCluster rc(plain_options());
    clear(rc, {"typed:p:s", "typed:p:h", "typed:p:z", "typed:p:x"});
    auto pipe = rc.pipeline();
    const std::pair<std::string_view, std::string_view> fields[] = {{"a", "1"}, {"b", "2"}};
    const std::pair<std::string_view, double> members[] = {{"m", 1.5}, {"n", 2}};
    const std::pair<std::string_view, std::string_view> entry[] = {{"f", "v"}};
    pipe.set("typed:p:s", "v", {.ex = 100s})
        .hset("typed:p:h", fields)
        .zadd("typed:p:z", members)
        .zrange_withscores("typed:p:z", 0, -1)
        .hgetall("typed:p:h")
        .xadd("typed:p:x", "5-5", entry)
        .xrange("typed:p:x")
        .eval("return {1, 2}");
    auto replies = pipe.execute();
    ASSERT_EQ(replies.size(), 8u);
    EXPECT_TRUE(replies[0].as<bool>());
    EXPECT_EQ(replies[1].as<int>(), 2);
    EXPECT_EQ(replies[2].as<int>(), 2);
    EXPECT_EQ(replies[3].as<std::vector<ScoredMember>>(), (std::vector<ScoredMember>{{"m", 1.5}, {"n", 2}}));
    EXPECT_EQ((replies[4].as<std::map<std::string, std::string>>()),
              (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
    EXPECT_EQ(replies[5].as<std::string>(), "5-5");
    EXPECT_EQ(replies[6].as<std::vector<StreamEntry>>(), (std::vector<StreamEntry>{{"5-5", {{"f", "v"}}}}));
    EXPECT_EQ(replies[7].as<std::vector<int>>(), (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace rediscluster
