// The asynchronous client's typed commands, pipelines and transactions
// against the real plain cluster.

#include <gtest/gtest.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <atomic>
#include <cstdint>
#include <thread>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cluster/async_env.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using asio_error = rediscluster::asio::error;
using rediscluster::asio::AsyncRedisCluster;
using test::async_plain_options;
using test::run_coroutine;
using test::run_until;

// Keys spread over every master: one per slot band.
std::vector<std::string> keys_over_all_slots(std::string_view prefix, int count) {
    std::vector<std::string> keys;
    for (int i = 0; i < count; ++i) keys.push_back(std::string(prefix) + ":" + std::to_string(i));
    return keys;
}

// --- typed commands ------------------------------------------------------------------

TEST(AsyncCommands, TypedCommandsCompleteWithTheBlockingMethodsTypes) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        auto redis = rc.commands(::asio::use_awaitable);
        (void)co_await redis.del("async:typed:n");
        const bool set = co_await redis.set("async:typed:name", "alice");
        EXPECT_TRUE(set);
        const std::optional<std::string> name = co_await redis.get("async:typed:name");
        EXPECT_EQ(name, "alice");
        const std::optional<std::string> missing = co_await redis.get("async:typed:missing");
        EXPECT_EQ(missing, std::nullopt);
        const std::int64_t one = co_await redis.incr("async:typed:n");
        const std::int64_t six = co_await redis.incrby("async:typed:n", 5);
        EXPECT_EQ(one, 1);
        EXPECT_EQ(six, 6);
        (void)co_await redis.hset("async:typed:h", "f", "v");
        const std::vector<std::pair<std::string, std::string>> fields = co_await redis.hgetall("async:typed:h");
        EXPECT_EQ(fields, (std::vector<std::pair<std::string, std::string>>{{"f", "v"}}));
        // MGET over several slots is split, as on the blocking client.
        const std::vector<std::string_view> keys{"async:typed:name", "async:typed:n", "async:typed:missing"};
        const auto values = co_await redis.mget(keys);
        EXPECT_EQ(values, (std::vector<std::optional<std::string>>{"alice", "6", std::nullopt}));
    }));
}

TEST(AsyncCommands, ADiagnosticsIsToldTheMessageOfEachFailure) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    rediscluster::asio::Diagnostics diagnostics;
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        auto redis = rc.commands(::asio::experimental::as_tuple(::asio::use_awaitable), diagnostics);
        (void)co_await redis.set("async:diag:text", "text");
        const auto [not_a_number, none] = co_await redis.incr("async:diag:text");
        EXPECT_EQ(not_a_number, asio_error::response);
        EXPECT_EQ(diagnostics.server_message(), "ERR value is not an integer or out of range");
        EXPECT_TRUE(diagnostics.client_message().empty());
        const auto [wrong_type, fields] = co_await redis.hgetall("async:diag:text");
        EXPECT_EQ(wrong_type, asio_error::response);
        EXPECT_TRUE(diagnostics.server_message().starts_with("WRONGTYPE")) << diagnostics.server_message();
        // A success clears it.
        const auto [fine, length] = co_await redis.strlen("async:diag:text");
        EXPECT_FALSE(fine);
        EXPECT_EQ(length, 4);
        EXPECT_TRUE(diagnostics.server_message().empty());
        EXPECT_TRUE(diagnostics.client_message().empty());
        // With use_awaitable it is filled before the exception is thrown.
        try {
            (void)co_await rc.commands(::asio::use_awaitable, diagnostics).incr("async:diag:text");
            ADD_FAILURE() << "INCR of a text did not fail";
        } catch (const std::system_error& failure) {
            EXPECT_EQ(failure.code(), asio_error::response);
            EXPECT_EQ(diagnostics.server_message(), "ERR value is not an integer or out of range");
        }
    }));
    // A failure of the client's own: its message, as the exception's.
    rc.cancel();
    std::optional<std::error_code> aborted;
    rc.commands([&](std::error_code code, const auto&) { aborted = code; }, diagnostics).get("async:diag:text");
    ASSERT_TRUE(run_until(io, [&] { return aborted.has_value(); }));
    EXPECT_EQ(*aborted, ::asio::error::operation_aborted);
    EXPECT_TRUE(diagnostics.server_message().empty());
    EXPECT_FALSE(diagnostics.client_message().empty());
}

TEST(AsyncCommands, EveryTokenWorksAndErrorsArriveAsCodes) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    std::optional<std::int64_t> by_callback;
    rc.commands([&](std::error_code code, std::int64_t value) {
          EXPECT_FALSE(code);
          by_callback = value;
      }).incr("async:typed:callback");
    ASSERT_TRUE(run_until(io, [&] { return by_callback.has_value(); }));

    // The command's own error reply: error::response and a default value.
    std::optional<Reply> stored;
    rc.async_execute("SET", "async:typed:text", "text", [&](std::error_code, Reply reply) { stored = std::move(reply); });
    ASSERT_TRUE(run_until(io, [&] { return stored.has_value(); }));
    std::optional<std::error_code> wrong_type;
    rc.commands([&](std::error_code code, std::int64_t value) {
          EXPECT_EQ(value, 0);
          wrong_type = code;
      }).incr("async:typed:text");
    ASSERT_TRUE(run_until(io, [&] { return wrong_type.has_value(); }));
    EXPECT_EQ(*wrong_type, asio_error::response);

    // A future of what a function makes of the completion: the code beside
    // the value. (A plain use_future hands the code over as a
    // std::system_error, as the AsyncClient tests check; an exception handed
    // across threads inside libstdc++ is beyond what ThreadSanitizer can
    // follow.)
    auto future = rc.commands(::asio::use_future([](std::error_code code, std::int64_t value) {
                        return std::make_pair(code, value);
                    })).incr("async:typed:text");
    std::atomic<bool> stop = false;
    std::thread runner([&] {
        while (!stop) io.run_for(10ms);
    });
    const auto [code, value] = future.get();
    EXPECT_EQ(code, asio_error::response);
    EXPECT_EQ(value, 0);
    stop = true;
    runner.join();
}

TEST(AsyncCommands, ArgumentsTheBlockingMethodRefusesAreRefusedByTheCall) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    auto redis = rc.commands([](std::error_code, bool) {});
    EXPECT_THROW(redis.mset(std::vector<std::pair<std::string_view, std::string_view>>{}), DataError);
}

// --- pipelines -----------------------------------------------------------------------

TEST(AsyncPipeline, CommandsForEverySlotComeBackInOrder) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    const auto keys = keys_over_all_slots("async:pipe", 300);
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        auto pipe = rc.pipeline();
        for (std::size_t i = 0; i < keys.size(); ++i) pipe.set(keys[i], "v" + std::to_string(i));
        for (const auto& key : keys) pipe.get(key);
        EXPECT_EQ(pipe.size(), 2 * keys.size());
        const auto replies = co_await pipe.async_execute(::asio::use_awaitable);
        EXPECT_TRUE(pipe.empty());
        EXPECT_EQ(replies.size(), 2 * keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i) {
            EXPECT_EQ(replies[i], Reply::simple_string("OK")) << i;
            EXPECT_EQ(replies[keys.size() + i].str(), "v" + std::to_string(i)) << i;
        }
        // Used again after a launch.
        pipe.incr("async:pipe:again").incr("async:pipe:again");
        const auto again = co_await pipe.async_execute(::asio::use_awaitable);
        EXPECT_EQ(again.size(), 2u);
        EXPECT_EQ(again[1].integer(), again[0].integer() + 1);
    }));
}

TEST(AsyncPipeline, AFailedCommandHasItsErrorInPlaceAndTheOthersRan) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await rc.async_execute("SET", "async:pipe:text", "text", ::asio::use_awaitable);
        co_await rc.async_execute("DEL", "async:pipe:count", ::asio::use_awaitable);
        auto pipe = rc.pipeline();
        pipe.incr("async:pipe:count").incr("async:pipe:text").incr("async:pipe:count");
        const auto [code, replies] =
            co_await pipe.async_execute(::asio::experimental::as_tuple(::asio::use_awaitable));
        EXPECT_EQ(code, asio_error::response);
        EXPECT_EQ(replies.size(), 3u);
        if (replies.size() != 3u) co_return;
        EXPECT_EQ(replies[0], Reply::integer(1));
        EXPECT_TRUE(replies[1].is_error());
        EXPECT_NE(replies[1].str().find("not an integer"), std::string_view::npos);
        EXPECT_EQ(replies[2], Reply::integer(2));
    }));
}

TEST(AsyncPipeline, CommandsAPipelineCannotCarryAreRefusedWhenAdded) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    auto pipe = rc.pipeline();
    EXPECT_THROW(pipe.execute_command("BLPOP", "async:pipe:list", 1), RedisClusterException);
    EXPECT_THROW(pipe.execute_command("PING"), RedisClusterException);
    EXPECT_THROW(pipe.execute_command("MGET", "async:pipe:a", "async:pipe:b"), ClusterCrossSlotError);
    EXPECT_THROW(pipe.execute_command("MULTI"), RedisClusterException);
    EXPECT_TRUE(pipe.empty());
}

TEST(AsyncPipeline, AnEmptyPipelineCompletesAtOnceAndALateOneIsAborted) {
    ::asio::io_context io(1);
    std::optional<std::pair<std::error_code, std::size_t>> empty_outcome;
    std::optional<std::error_code> late_outcome;
    {
        AsyncRedisCluster rc(io, async_plain_options());
        rc.pipeline().async_execute([&](std::error_code code, std::vector<Reply> replies) {
            empty_outcome.emplace(code, replies.size());
        });
        ASSERT_TRUE(run_until(io, [&] { return empty_outcome.has_value(); }));
        auto pipe = rc.pipeline();
        pipe.get("async:pipe:late");
        auto deferred = pipe.async_execute(::asio::experimental::deferred);
        rc.cancel();
        std::move(deferred)([&](std::error_code code, std::vector<Reply>) { late_outcome = code; });
        ASSERT_TRUE(run_until(io, [&] { return late_outcome.has_value(); }));
    }
    EXPECT_EQ(empty_outcome->first, std::error_code());
    EXPECT_EQ(empty_outcome->second, 0u);
    EXPECT_EQ(*late_outcome, ::asio::error::operation_aborted);
}

TEST(AsyncPipeline, CancellingItCancelsTheCommandsNotFinished) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    ::asio::cancellation_signal signal;
    auto pipe = rc.pipeline();
    for (int i = 0; i < 100; ++i) pipe.get("async:pipe:cancel:" + std::to_string(i));
    std::optional<std::error_code> outcome;
    pipe.async_execute(::asio::bind_cancellation_slot(
        signal.slot(), [&](std::error_code code, std::vector<Reply> replies) {
            EXPECT_EQ(replies.size(), 100u);
            outcome = code;
        }));
    signal.emit(::asio::cancellation_type::terminal);  // before any reply could come
    ASSERT_TRUE(run_until(io, [&] { return outcome.has_value(); }));
    EXPECT_EQ(*outcome, ::asio::error::operation_aborted);
    // The connections stay in step: the next commands get their own replies.
    std::optional<Reply> after;
    rc.async_execute("ECHO", "in step", [&](std::error_code, Reply reply) { after = std::move(reply); });
    ASSERT_TRUE(run_until(io, [&] { return after.has_value(); }));
    EXPECT_EQ(after->str(), "in step");
}

// --- transactions --------------------------------------------------------------------

TEST(AsyncTransaction, QueuedCommandsRunTogetherAndReturnTheirReplies) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await rc.async_execute("DEL", "{async:tx}:n", ::asio::use_awaitable);
        auto tx = rc.transaction("{async:tx}");
        tx.incr("{async:tx}:n").incrby("{async:tx}:n", 10).get("{async:tx}:n");
        const auto replies = co_await tx.async_exec(::asio::use_awaitable);
        EXPECT_EQ(replies, (std::vector<Reply>{Reply::integer(1), Reply::integer(11), Reply::bulk_string("11")}));
        EXPECT_TRUE(tx.empty());
    }));
}

TEST(AsyncTransaction, ConcurrentTransactionsOnOneConnectionDoNotInterleave) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    constexpr int kTransactions = 200;
    int done = 0;
    int wrong = 0;
    rc.async_execute("DEL", "{async:tx}:a", "{async:tx}:b", [](std::error_code, const Reply&) {});
    for (int i = 0; i < kTransactions; ++i) {
        auto tx = rc.transaction("{async:tx}");
        // Each adds 1 to both and reads both: inside MULTI they are equal.
        tx.incr("{async:tx}:a").incr("{async:tx}:b");
        tx.async_exec([&](std::error_code code, std::vector<Reply> replies) {
            ++done;
            if (code || replies.size() != 2 || replies[0] != replies[1]) ++wrong;
        });
    }
    ASSERT_TRUE(run_until(io, [&] { return done == kTransactions; }));
    EXPECT_EQ(wrong, 0);
}

TEST(AsyncTransaction, ACommandRefusedWhileQueuedAbortsItAndNothingRuns) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await rc.async_execute("DEL", "{async:tx}:abort", ::asio::use_awaitable);
        auto tx = rc.transaction("{async:tx}");
        tx.incr("{async:tx}:abort").execute_command("SET", "{async:tx}:abort");  // wrong arity
        const auto [code, replies] = co_await tx.async_exec(::asio::experimental::as_tuple(::asio::use_awaitable));
        EXPECT_EQ(code, asio_error::response);
        EXPECT_EQ(replies.size(), 2u);
        if (replies.size() != 2u) co_return;
        EXPECT_EQ(replies[0], Reply::simple_string("QUEUED"));
        EXPECT_TRUE(replies[1].is_error());
        const Reply value = co_await rc.async_execute("GET", "{async:tx}:abort", ::asio::use_awaitable);
        EXPECT_TRUE(value.is_null());  // the INCR did not run
    }));
}

TEST(AsyncTransaction, AnErrorInsideExecIsReportedAndTheOtherCommandsRan) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await rc.async_execute("SET", "{async:tx}:text", "text", ::asio::use_awaitable);
        co_await rc.async_execute("DEL", "{async:tx}:m", ::asio::use_awaitable);
        auto tx = rc.transaction("{async:tx}");
        tx.incr("{async:tx}:text").incr("{async:tx}:m");
        const auto [code, replies] = co_await tx.async_exec(::asio::experimental::as_tuple(::asio::use_awaitable));
        EXPECT_EQ(code, asio_error::response);
        EXPECT_EQ(replies.size(), 2u);
        if (replies.size() != 2u) co_return;
        EXPECT_TRUE(replies[0].is_error());
        EXPECT_EQ(replies[1], Reply::integer(1));
    }));
}

TEST(AsyncTransaction, AMovedBeforeExecSendsTheWholeBlockToTheOwner) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    const auto slot = key_slot("async:tx:moved");
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await rc.async_execute("DEL", "{async:tx:moved}:n", ::asio::use_awaitable);
        const auto owner = rc.connection_pool()->get_master_node_by_slot(slot);
        (void)test::point_slot_elsewhere(*rc.connection_pool(), slot);
        auto tx = rc.transaction("{async:tx:moved}");
        tx.incr("{async:tx:moved}:n").incr("{async:tx:moved}:n");
        const auto replies = co_await tx.async_exec(::asio::use_awaitable);
        EXPECT_EQ(replies, (std::vector<Reply>{Reply::integer(1), Reply::integer(2)}));
        const Reply value = co_await rc.async_execute("GET", "{async:tx:moved}:n", ::asio::use_awaitable);
        EXPECT_EQ(value.str(), "2");  // ran once
        EXPECT_EQ(rc.connection_pool()->get_master_node_by_slot(slot).name, owner.name);
    }));
}

TEST(AsyncTransaction, CommandsItCannotCarryAreRefusedWhenAdded) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    auto tx = rc.transaction("{async:tx}");
    EXPECT_THROW(tx.get("async:tx:elsewhere"), ClusterCrossSlotError);
    EXPECT_THROW(tx.execute_command("WATCH", "{async:tx}:n"), RedisClusterException);
    EXPECT_THROW(tx.execute_command("EXEC"), RedisClusterException);
    EXPECT_THROW(tx.execute_command("KEYS", "*"), RedisClusterException);
    EXPECT_TRUE(tx.empty());
    tx.execute_command("BLPOP", "{async:tx}:list", 1);  // does not block inside MULTI
    EXPECT_EQ(tx.size(), 1u);
}

// --- a deadline of one's own ---------------------------------------------------------

TEST(AsyncCommands, APerOperationDeadlineIsATimerRacedAgainstTheCommand) {
    using namespace ::asio::experimental::awaitable_operators;
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        // A script that keeps its master busy for 300 ms, against a 50 ms deadline.
        constexpr std::string_view kBusy =
            "local t = redis.call('TIME'); local until_us = (t[1] * 1000000 + t[2]) + 300000; "
            "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= until_us; return 1";
        ::asio::steady_timer deadline(io, 50ms);
        const auto started = std::chrono::steady_clock::now();
        auto outcome = co_await (rc.async_execute("EVAL", kBusy, 1, "{async:deadline}", ::asio::use_awaitable) ||
                                 deadline.async_wait(::asio::use_awaitable));
        EXPECT_EQ(outcome.index(), 1u) << "the deadline came first";
        EXPECT_LT(std::chrono::steady_clock::now() - started, 250ms);
        // The script's reply is read and dropped when it comes: the next
        // commands on that connection (same slot) get their own.
        co_await rc.async_execute("SET", "{async:deadline}:k", "after", ::asio::use_awaitable);
        const Reply after = co_await rc.async_execute("GET", "{async:deadline}:k", ::asio::use_awaitable);
        EXPECT_EQ(after.str(), "after");
    }));
}

// --- threads -------------------------------------------------------------------------

TEST(AsyncPipeline, PipelinesAndTransactionsWatchingOrNotRunFromManyCoroutinesOnAThreadPool) {
    ::asio::thread_pool threads(3);
    AsyncRedisCluster rc(threads.get_executor(), async_plain_options());
    constexpr int kCoroutines = 60;
    std::atomic<int> right = 0;
    std::atomic<int> finished = 0;
    for (int i = 0; i < kCoroutines; ++i) {
        ::asio::co_spawn(
            threads,
            [&, i]() -> ::asio::awaitable<void> {
                const std::string tag = "{async:pool:" + std::to_string(i) + "}";
                auto tx = rc.transaction(tag);
                // Every other one watches, so its steps run on threads of
                // their own and complete on the pool.
                if (i % 2 == 0) {
                    co_await tx.async_watch(tag + ":n", ::asio::use_awaitable);
                    (void)co_await tx.now(::asio::use_awaitable).get(tag + ":n");
                }
                tx.set(tag + ":a", std::to_string(i)).incr(tag + ":n");
                const auto ran = co_await tx.async_exec(::asio::use_awaitable);
                auto pipe = rc.pipeline();
                for (int k = 0; k < 20; ++k) pipe.get(tag + ":a");
                const auto replies = co_await pipe.async_execute(::asio::use_awaitable);
                const auto typed = co_await rc.commands(::asio::use_awaitable).get(tag + ":a");
                bool all = ran.size() == 2 && replies.size() == 20 && typed == std::to_string(i);
                for (const auto& reply : replies) all = all && reply.str() == std::to_string(i);
                if (all) ++right;
                ++finished;
            },
            [&](const std::exception_ptr& error) {
                if (error) ++finished;
            });
    }
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (finished < kCoroutines && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    EXPECT_EQ(finished, kCoroutines);
    EXPECT_EQ(right, kCoroutines);
    rc.cancel();
    threads.join();
}

}  // namespace
}  // namespace rediscluster
