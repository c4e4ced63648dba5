// Pipelines against the real plain cluster.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "cluster_env.hpp"
#include "rediscluster/client.hpp"
#include "support/peak.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;

RedisClusterOptions plain_options() {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", test::plain_port()}};
    options.connection_kwargs.socket_timeout = 5s;
    return options;
}

// One key for every slot: "pipe:<n>" for the first n that lands there.
const std::vector<std::string>& key_per_slot() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> found(kSlotCount);
        std::size_t missing = kSlotCount;
        for (std::uint64_t n = 0; missing > 0; ++n) {
            std::string key = "pipe:" + std::to_string(n);
            auto& place = found[key_slot(key)];
            if (place.empty()) {
                place = std::move(key);
                --missing;
            }
        }
        return found;
    }();
    return keys;
}

std::string mode_name(bool multiplexed) { return multiplexed ? "multiplexed" : "pooled"; }

TEST(Pipeline, WritesAndReadsEverySlotWithRepliesInOrder) {
    for (const bool multiplexed : {false, true}) {
        SCOPED_TRACE(mode_name(multiplexed));
        auto options = plain_options();
        options.multiplexed_connections = multiplexed;
        RedisCluster rc(options);
        const auto& keys = key_per_slot();
        auto pipe = rc.pipeline();
        for (std::size_t slot = 0; slot < keys.size(); ++slot) {
            pipe.set(keys[slot], mode_name(multiplexed) + std::to_string(slot));
        }
        EXPECT_EQ(pipe.size(), kSlotCount);
        auto replies = pipe.execute();
        ASSERT_EQ(replies.size(), kSlotCount);
        for (const auto& reply : replies) ASSERT_EQ(reply.str(), "OK");
        EXPECT_TRUE(pipe.empty()) << "execute() empties the queue";
        // Read back through the same pipeline, reversed, so that the order
        // of the replies cannot come from the order of the slots.
        for (std::size_t i = keys.size(); i-- > 0;) pipe.get(keys[i]);
        replies = pipe.execute();
        ASSERT_EQ(replies.size(), kSlotCount);
        for (std::size_t i = 0; i < replies.size(); ++i) {
            const auto slot = keys.size() - 1 - i;
            ASSERT_EQ(replies[i].str(), mode_name(multiplexed) + std::to_string(slot)) << "reply " << i;
        }
        // And each value is where a single command finds it.
        EXPECT_EQ(rc.get(keys[12345]), mode_name(multiplexed) + "12345");
    }
}

TEST(Pipeline, MixesTypedMethodsAndAnyCommand) {
    RedisCluster rc(plain_options());
    (void)rc.del("pipe:mix:list");
    (void)rc.del("pipe:mix:n");
    auto pipe = rc.pipeline();
    pipe.rpush("pipe:mix:list", "a").rpush("pipe:mix:list", "b").incrby("pipe:mix:n", 5);
    pipe.execute_command("LRANGE", "pipe:mix:list", 0, -1);
    pipe.execute_command_range(std::vector<std::string>{"HSET", "pipe:mix:h", "f", "v"});
    pipe.hget("pipe:mix:h", "f");
    const auto replies = pipe.execute();
    ASSERT_EQ(replies.size(), 6U);
    EXPECT_EQ(replies[0].integer(), 1);
    EXPECT_EQ(replies[1].integer(), 2);
    EXPECT_EQ(replies[2].integer(), 5);
    ASSERT_EQ(replies[3].size(), 2U);
    EXPECT_EQ(replies[3][1].str(), "b");
    EXPECT_EQ(replies[5].str(), "v");
}

TEST(Pipeline, AnErrorReplyIsThrownAfterEveryCommandRanOrReturnedInItsPlace) {
    RedisCluster rc(plain_options());
    (void)rc.del("pipe:err:after");
    rc.set("pipe:err:string", "x");
    auto pipe = rc.pipeline();
    pipe.set("pipe:err:before", "1").lpush("pipe:err:string", "wrong type").set("pipe:err:after", "2");
    EXPECT_THROW((void)pipe.execute(), ResponseError);
    // The command after the failing one ran, and every reply is kept.
    EXPECT_EQ(rc.get("pipe:err:after"), "2");
    ASSERT_EQ(pipe.replies().size(), 3U);
    EXPECT_EQ(pipe.replies()[0].str(), "OK");
    EXPECT_TRUE(pipe.replies()[1].is_error());
    EXPECT_EQ(pipe.replies()[1].str().rfind("WRONGTYPE", 0), 0U);
    EXPECT_EQ(pipe.replies()[2].str(), "OK");

    pipe.incr("pipe:err:string").get("pipe:err:before");
    const auto replies = pipe.execute(false);
    ASSERT_EQ(replies.size(), 2U);
    EXPECT_TRUE(replies[0].is_error());
    EXPECT_EQ(replies[1].str(), "1");
}

TEST(Pipeline, AnEmptyPipelineReturnsNothing) {
    RedisCluster rc(plain_options());
    auto pipe = rc.pipeline();
    EXPECT_TRUE(pipe.execute().empty());
    pipe.set("pipe:reset", "never sent");
    pipe.reset();
    EXPECT_TRUE(pipe.execute().empty());
    EXPECT_EQ(rc.get("pipe:reset"), std::nullopt);
}

TEST(Pipeline, CommandsThatCannotBePipelinedAreRefusedWhenAdded) {
    RedisCluster rc(plain_options());
    auto pipe = rc.pipeline();
    const auto refused = [&](auto&& add, std::string_view name) {
        try {
            add();
            ADD_FAILURE() << name << " was accepted";
        } catch (const RedisClusterException& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    };
    refused([&] { pipe.execute_command("BLPOP", "q", 1); }, "BLPOP");
    refused([&] { pipe.execute_command("SELECT", 1); }, "SELECT");
    refused([&] { pipe.execute_command("MULTI"); }, "MULTI");
    refused([&] { pipe.execute_command("SUBSCRIBE", "news"); }, "SUBSCRIBE");
    refused([&] { pipe.execute_command("DBSIZE"); }, "DBSIZE");
    EXPECT_THROW(pipe.execute_command("MGET", "a", "b"), ClusterCrossSlotError);
    EXPECT_TRUE(pipe.empty());
}

TEST(Pipeline, ReadsGoToReplicasWithReadFromReplicas) {
    auto options = plain_options();
    options.read_from_replicas = true;
    RedisCluster rc(options);
    const auto& keys = key_per_slot();
    auto writes = rc.pipeline();
    for (std::size_t slot = 0; slot < keys.size(); slot += 64) writes.set(keys[slot], "replicated");
    (void)writes.execute();
    // WAIT on every master, so the replicas have the writes.
    for (int i = 0; i < 3; ++i) (void)test::node_command(test::plain_node(i), {"WAIT", "1", "2000"});
    std::vector<std::int64_t> before;
    for (int i = 0; i < 6; ++i) before.push_back(test::info_field(test::plain_node(i), "commandstats", "cmdstat_get", "calls"));
    auto reads = rc.pipeline();
    for (std::size_t slot = 0; slot < keys.size(); slot += 64) reads.get(keys[slot]);
    for (const auto& reply : reads.execute()) EXPECT_EQ(reply.str(), "replicated");
    std::int64_t on_masters = 0;
    std::int64_t on_replicas = 0;
    for (int i = 0; i < 6; ++i) {
        const auto calls = test::info_field(test::plain_node(i), "commandstats", "cmdstat_get", "calls") -
                           before[static_cast<std::size_t>(i)];
        (i < 3 ? on_masters : on_replicas) += calls;
    }
    EXPECT_EQ(on_replicas, 256);
    EXPECT_EQ(on_masters, 0);
}

// A blocking pool of 2 connections serving pipelines that span 3 masters
// from 8 threads: a pipeline never waits for a connection while holding
// another, so none deadlocks, and the cap holds.
TEST(Pipeline, PipelinesOverAPoolSmallerThanTheClusterDoNotDeadlock) {
    ClusterConnectionPoolOptions pool_options;
    pool_options.startup_nodes = {{"127.0.0.1", test::plain_port()}};
    pool_options.max_connections = 2;
    pool_options.timeout = 10s;
    pool_options.connection_kwargs.socket_timeout = 5s;
    auto options = plain_options();
    options.periodic_refresh_interval = 0ms;
    options.connection_pool = std::make_shared<ClusterBlockingConnectionPool>(pool_options);
    RedisCluster rc(options);
    const auto& keys = key_per_slot();
    std::atomic<int> wrong{0};
    std::atomic<int> failures{0};
    std::atomic<std::size_t> most_connections{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            auto pipe = rc.pipeline();
            for (int round = 0; round < 40; ++round) {
                // 12 keys spread over the slot space: every master.
                for (std::size_t k = 0; k < 12; ++k) {
                    const auto& key = keys[(k * 1367 + static_cast<std::size_t>(t * 97 + round)) % kSlotCount];
                    pipe.set(key, std::to_string(t)).get(key);
                }
                try {
                    const auto replies = pipe.execute();
                    for (std::size_t i = 1; i < replies.size(); i += 2) {
                        // Another thread may have written the key between
                        // the SET and the GET; the value is still a thread number.
                        if (replies[i].str().size() != 1) ++wrong;
                    }
                } catch (const Error&) {
                    ++failures;
                }
                test::record_peak(most_connections, rc.connection_pool->created_connections());
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_LE(most_connections.load(), 2U);
}

}  // namespace
}  // namespace rediscluster
