// The asynchronous client's transactions that watch (async_watch, now())
// against the real plain cluster.

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

#include "cluster/async_env.hpp"
#include "cluster/cluster_env.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {
namespace {

using asio_error = rediscluster::asio::error;
using rediscluster::asio::AsyncRedisCluster;
using test::async_plain_options;
using test::run_coroutine;
using test::run_until;

TEST(AsyncTransaction, AWatchThatHeldLetsTheTransactionRun) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await rc.async_execute("SET", "{async:watch}:balance", "100", ::asio::use_awaitable);
        auto tx = rc.transaction("{async:watch}");
        co_await tx.async_watch("{async:watch}:balance", ::asio::use_awaitable);
        const std::optional<std::string> balance = co_await tx.now(::asio::use_awaitable).get("{async:watch}:balance");
        EXPECT_EQ(balance, "100");
        tx.set("{async:watch}:balance", "90").incr("{async:watch}:version");
        const auto [code, replies] = co_await tx.async_exec(::asio::experimental::as_tuple(::asio::use_awaitable));
        EXPECT_FALSE(code) << code.message();
        EXPECT_EQ(replies.size(), 2u);
        const Reply value = co_await rc.async_execute("GET", "{async:watch}:balance", ::asio::use_awaitable);
        EXPECT_EQ(value.str(), "90");
    }));
}

TEST(AsyncTransaction, AWatchedKeyChangedElsewhereMeansNotExecutedAndNothingRan) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await rc.async_execute("SET", "{async:watch}:stock", "5", ::asio::use_awaitable);
        co_await rc.async_execute("DEL", "{async:watch}:sold", ::asio::use_awaitable);
        auto tx = rc.transaction("{async:watch}");
        co_await tx.async_watch("{async:watch}:stock", ::asio::use_awaitable);
        const Reply stock = co_await tx.now(::asio::use_awaitable).execute_command("GET", "{async:watch}:stock");
        EXPECT_EQ(stock.str(), "5");
        // A command at once that fails tells a Diagnostics, as the client's do.
        rediscluster::asio::Diagnostics diagnostics;
        const auto [wrong_type, fields] =
            co_await tx.now(::asio::experimental::as_tuple(::asio::use_awaitable), diagnostics)
                .hgetall("{async:watch}:stock");
        EXPECT_EQ(wrong_type, asio_error::response);
        EXPECT_TRUE(diagnostics.server_message().starts_with("WRONGTYPE")) << diagnostics.server_message();
        // Someone else buys meanwhile, over the client's shared connection.
        co_await rc.async_execute("DECR", "{async:watch}:stock", ::asio::use_awaitable);
        tx.decr("{async:watch}:stock").incr("{async:watch}:sold");
        const auto [code, replies] = co_await tx.async_exec(::asio::experimental::as_tuple(::asio::use_awaitable));
        EXPECT_EQ(code, asio_error::not_executed) << code.message();
        const Reply after = co_await rc.async_execute("GET", "{async:watch}:stock", ::asio::use_awaitable);
        EXPECT_EQ(after.str(), "4");
        const Reply sold = co_await rc.async_execute("GET", "{async:watch}:sold", ::asio::use_awaitable);
        EXPECT_TRUE(sold.is_null());
        // The transaction can go again: a new watch, on a new connection.
        co_await tx.async_watch("{async:watch}:stock", ::asio::use_awaitable);
        tx.decr("{async:watch}:stock");
        const auto again = co_await tx.async_exec(::asio::use_awaitable);
        EXPECT_EQ(again, std::vector<Reply>{Reply::integer(3)});
    }));
}

TEST(AsyncTransaction, OptimisticIncrementsFromManyCoroutinesAreNeitherLostNorDoubled) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    constexpr int kCoroutines = 8;
    constexpr int kIncrements = 5;
    int finished = 0;
    int retries = 0;
    bool failed = false;
    rc.async_execute("SET", "{async:watch}:counter", "0", [](std::error_code, const Reply&) {});
    const auto increments = [&]() -> ::asio::awaitable<void> {
        for (int i = 0; i < kIncrements; ++i) {
            for (;;) {  // read, then write only if nobody wrote meanwhile
                auto tx = rc.transaction("{async:watch}");
                co_await tx.async_watch("{async:watch}:counter", ::asio::use_awaitable);
                const auto seen = co_await tx.now(::asio::use_awaitable).get("{async:watch}:counter");
                tx.set("{async:watch}:counter", std::to_string(std::stoi(seen.value_or("0")) + 1));
                const auto [code, replies] =
                    co_await tx.async_exec(::asio::experimental::as_tuple(::asio::use_awaitable));
                if (!code) break;
                if (code != asio_error::not_executed) {
                    failed = true;
                    co_return;
                }
                ++retries;
            }
        }
        ++finished;
    };
    for (int c = 0; c < kCoroutines; ++c) ::asio::co_spawn(io, increments, ::asio::detached);
    ASSERT_TRUE(run_until(io, [&] { return finished == kCoroutines || failed; }));
    EXPECT_FALSE(failed);
    std::optional<Reply> counter;
    rc.async_execute("GET", "{async:watch}:counter", [&](std::error_code, Reply reply) { counter = reply; });
    ASSERT_TRUE(run_until(io, [&] { return counter.has_value(); }));
    EXPECT_EQ(counter->str(), std::to_string(kCoroutines * kIncrements)) << retries << " retries";
}

TEST(AsyncTransaction, WithAWatchExecWithNothingQueuedTellsWhetherTheWatchHeld) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        auto tx = rc.transaction("{async:watch}");
        co_await tx.async_watch("{async:watch}:quiet", ::asio::use_awaitable);
        const auto [held, none] = co_await tx.async_exec(::asio::experimental::as_tuple(::asio::use_awaitable));
        EXPECT_FALSE(held) << held.message();
        EXPECT_TRUE(none.empty());
        co_await tx.async_watch("{async:watch}:quiet", ::asio::use_awaitable);
        co_await rc.async_execute("SET", "{async:watch}:quiet", "touched", ::asio::use_awaitable);
        const auto [changed, nothing] = co_await tx.async_exec(::asio::experimental::as_tuple(::asio::use_awaitable));
        EXPECT_EQ(changed, asio_error::not_executed);
    }));
}

TEST(AsyncTransaction, AWatchSentByAStaleMapFollowsTheMovedToTheOwner) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    const auto slot = key_slot("async:watch:moved");
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await rc.async_execute("SET", "{async:watch:moved}:n", "1", ::asio::use_awaitable);
        const auto owner = rc.connection_pool()->get_master_node_by_slot(slot);
        (void)test::point_slot_elsewhere(*rc.connection_pool(), slot);
        auto tx = rc.transaction("{async:watch:moved}");
        co_await tx.async_watch("{async:watch:moved}:n", ::asio::use_awaitable);
        EXPECT_EQ(rc.connection_pool()->get_master_node_by_slot(slot).name, owner.name);
        const auto n = co_await tx.now(::asio::use_awaitable).get("{async:watch:moved}:n");
        EXPECT_EQ(n, "1");
        tx.incr("{async:watch:moved}:n");
        const auto replies = co_await tx.async_exec(::asio::use_awaitable);
        EXPECT_EQ(replies, std::vector<Reply>{Reply::integer(2)});
    }));
}

TEST(AsyncTransaction, AMoveAfterValuesWereReadUnderTheWatchRunsNothing) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    const auto slot = key_slot("async:watch:lost");
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await rc.async_execute("SET", "{async:watch:lost}:n", "1", ::asio::use_awaitable);
        auto tx = rc.transaction("{async:watch:lost}");
        co_await tx.async_watch("{async:watch:lost}:n", ::asio::use_awaitable);
        (void)co_await tx.now(::asio::use_awaitable).get("{async:watch:lost}:n");
        // The map now says another node: the watch cannot follow the value
        // already read, so EXEC must not run on what it read.
        (void)test::point_slot_elsewhere(*rc.connection_pool(), slot);
        tx.incr("{async:watch:lost}:n");
        const auto [code, replies] = co_await tx.async_exec(::asio::experimental::as_tuple(::asio::use_awaitable));
        EXPECT_EQ(code, asio_error::not_executed) << code.message();
        const Reply value = co_await rc.async_execute("GET", "{async:watch:lost}:n", ::asio::use_awaitable);
        EXPECT_EQ(value.str(), "1");
    }));
}

TEST(AsyncTransaction, WatchAndNowRefuseWhatTheBlockingTransactionRefuses) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    auto tx = rc.transaction("{async:watch}");
    EXPECT_THROW(tx.async_watch("async:watch:elsewhere", [](std::error_code) {}), ClusterCrossSlotError);
    EXPECT_THROW(tx.async_watch_range(std::vector<std::string>{}, [](std::error_code) {}), DataError);
    auto now = tx.now([](std::error_code, const auto&) {});
    EXPECT_THROW(now.get("async:watch:elsewhere"), ClusterCrossSlotError);
    EXPECT_THROW(now.execute_command("KEYS", "*"), RedisClusterException);
    EXPECT_THROW(now.execute_command("BLPOP", "{async:watch}:list", 1), RedisClusterException);
}

}  // namespace
}  // namespace rediscluster
