// AsyncPubSub against the real plain cluster: subscriptions confirmed,
// messages handed to waiting receives in order, cancellation and close.

#include <gtest/gtest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "cluster/async_env.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using asio_error = rediscluster::asio::error;
using rediscluster::asio::AsyncRedisCluster;
using test::async_plain_options;
using test::run_coroutine;
using test::run_until;
using Kind = PubSubMessage::Kind;

// A channel name of this process's own: a run that follows another on the
// same node meets none of its channels.
std::string named(std::string_view suffix) {
    return "async:ps:" + std::to_string(::getpid()) + ":" + std::string(suffix);
}

// Subscribes to `channel` and runs `io` until it is confirmed.
void subscribe_and_wait(::asio::io_context& io, rediscluster::asio::AsyncPubSub& pubsub, std::string_view channel) {
    std::optional<std::error_code> subscribed;
    pubsub.async_subscribe(channel, [&](std::error_code code) { subscribed = code; });
    ASSERT_TRUE(run_until(io, [&] { return subscribed.has_value(); }));
    ASSERT_FALSE(*subscribed) << subscribed->message();
}

TEST(AsyncPubSub, MessagesOfEveryKindReachTheReceivesInOrder) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    auto pubsub = rc.pubsub();
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await pubsub.async_subscribe(named("news"), named("alerts"), ::asio::use_awaitable);
        co_await pubsub.async_psubscribe(named("p.*"), ::asio::use_awaitable);
        co_await pubsub.async_ssubscribe(named("{eu}"), ::asio::use_awaitable);
        EXPECT_EQ(pubsub.channels().size(), 2u);
        constexpr int kMessages = 50;
        for (int i = 0; i < kMessages; ++i) {
            co_await rc.async_execute("PUBLISH", named("news"), std::to_string(i), ::asio::use_awaitable);
        }
        for (int i = 0; i < kMessages; ++i) {
            const PubSubMessage message = co_await pubsub.async_receive(::asio::use_awaitable);
            EXPECT_EQ(message.kind, Kind::message);
            EXPECT_EQ(message.channel, named("news"));
            EXPECT_EQ(message.payload, std::to_string(i));
        }
        co_await rc.async_execute("PUBLISH", named("p.one"), "by pattern", ::asio::use_awaitable);
        const PubSubMessage by_pattern = co_await pubsub.async_receive(::asio::use_awaitable);
        EXPECT_EQ(by_pattern.kind, Kind::pmessage);
        EXPECT_EQ(by_pattern.pattern, named("p.*"));
        EXPECT_EQ(by_pattern.payload, "by pattern");
        co_await rc.async_execute("SPUBLISH", named("{eu}"), "sharded", ::asio::use_awaitable);
        const PubSubMessage sharded = co_await pubsub.async_receive(::asio::use_awaitable);
        EXPECT_EQ(sharded.kind, Kind::smessage);
        EXPECT_EQ(sharded.channel, named("{eu}"));
        EXPECT_EQ(sharded.payload, "sharded");
    }));
}

TEST(AsyncPubSub, WaitingReceivesEachGetOneMessageInTheOrderTheyBeganWaiting) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    auto pubsub = rc.pubsub();
    ASSERT_NO_FATAL_FAILURE(subscribe_and_wait(io, pubsub, named("queue")));
    std::vector<std::string> got(3);
    int done = 0;
    for (int i = 0; i < 3; ++i) {
        pubsub.async_receive([&, i](std::error_code code, PubSubMessage message) {
            EXPECT_FALSE(code) << code.message();
            got[static_cast<std::size_t>(i)] = message.payload;
            ++done;
        });
    }
    for (const auto* payload : {"first", "second", "third"}) {
        rc.async_execute("PUBLISH", named("queue"), payload, [](std::error_code, const Reply&) {});
    }
    ASSERT_TRUE(run_until(io, [&] { return done == 3; }));
    EXPECT_EQ(got, (std::vector<std::string>{"first", "second", "third"}));
}

TEST(AsyncPubSub, ACancelledReceiveEndsAndLosesNoMessage) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    auto pubsub = rc.pubsub();
    ASSERT_NO_FATAL_FAILURE(subscribe_and_wait(io, pubsub, named("cancel")));
    ::asio::cancellation_signal signal;
    std::optional<std::error_code> cancelled;
    pubsub.async_receive(::asio::bind_cancellation_slot(
        signal.slot(), [&](std::error_code code, const PubSubMessage&) { cancelled = code; }));
    signal.emit(::asio::cancellation_type::terminal);
    ASSERT_TRUE(run_until(io, [&] { return cancelled.has_value(); }));
    EXPECT_EQ(*cancelled, ::asio::error::operation_aborted);
    // The message published next goes to the next receive.
    rc.async_execute("PUBLISH", named("cancel"), "kept", [](std::error_code, const Reply&) {});
    std::optional<PubSubMessage> next;
    pubsub.async_receive([&](std::error_code code, PubSubMessage message) {
        EXPECT_FALSE(code);
        next = std::move(message);
    });
    ASSERT_TRUE(run_until(io, [&] { return next.has_value(); }));
    EXPECT_EQ(next->payload, "kept");
}

TEST(AsyncPubSub, CloseEndsTheWaitingReceivesAndTheLaterOnes) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    auto pubsub = rc.pubsub();
    ASSERT_NO_FATAL_FAILURE(subscribe_and_wait(io, pubsub, named("close")));
    std::optional<std::error_code> waiting;
    pubsub.async_receive([&](std::error_code code, const PubSubMessage&) { waiting = code; });
    pubsub.close();
    std::optional<std::error_code> later;
    pubsub.async_receive([&](std::error_code code, const PubSubMessage&) { later = code; });
    ASSERT_TRUE(run_until(io, [&] { return waiting.has_value() && later.has_value(); }));
    EXPECT_EQ(*waiting, ::asio::error::operation_aborted);
    EXPECT_EQ(*later, ::asio::error::operation_aborted);
    // A subscription after close() is refused, with a message.
    std::optional<std::error_code> refused;
    pubsub.async_subscribe(named("close"), [&](std::error_code code) { refused = code; });
    ASSERT_TRUE(run_until(io, [&] { return refused.has_value(); }));
    EXPECT_TRUE(*refused);
}

TEST(AsyncPubSub, AnUnsubscribedChannelsMessagesNoLongerArrive) {
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, async_plain_options());
    auto pubsub = rc.pubsub();
    ASSERT_TRUE(run_coroutine(io, [&]() -> ::asio::awaitable<void> {
        co_await pubsub.async_subscribe(named("gone"), named("stays"), ::asio::use_awaitable);
        pubsub.unsubscribe({named("gone")});
        EXPECT_EQ(pubsub.channels(), std::vector<std::string>{named("stays")});
        co_await rc.async_execute("PUBLISH", named("gone"), "dropped", ::asio::use_awaitable);
        co_await rc.async_execute("PUBLISH", named("stays"), "kept", ::asio::use_awaitable);
        const PubSubMessage message = co_await pubsub.async_receive(::asio::use_awaitable);
        EXPECT_EQ(message.channel, named("stays"));
        EXPECT_EQ(message.payload, "kept");
    }));
}

TEST(AsyncPubSub, AChannelTheServerRefusesIsAResponseErrorAndTheOthersStay) {
    // A user that may use channels "async-allowed:*" only, on every node.
    for (int node = 0; node < 6; ++node) {
        (void)test::node_command(test::plain_node(node), {"ACL", "SETUSER", "async-pubsub-limited", "on", "nopass",
                                                          "~*", "resetchannels", "&async-allowed:*", "+@all"});
    }
    auto options = async_plain_options();
    options.connection_kwargs.username = "async-pubsub-limited";
    options.connection_kwargs.password = "any";
    {
        ::asio::io_context io(1);
        AsyncRedisCluster rc(io, options);
        auto pubsub = rc.pubsub();
        ASSERT_NO_FATAL_FAILURE(subscribe_and_wait(io, pubsub, "async-allowed:1"));
        std::optional<std::error_code> refused;
        pubsub.async_subscribe("async-forbidden", [&](std::error_code code) { refused = code; });
        ASSERT_TRUE(run_until(io, [&] { return refused.has_value(); }));
        EXPECT_EQ(*refused, asio_error::response) << refused->message();
        EXPECT_EQ(pubsub.channels(), std::vector<std::string>{"async-allowed:1"});
    }
    for (int node = 0; node < 6; ++node) {
        (void)test::node_command(test::plain_node(node), {"ACL", "DELUSER", "async-pubsub-limited"});
    }
}

TEST(AsyncPubSub, ReceivesFromManyThreadsOfAPoolGetEveryMessageOnce) {
    ::asio::thread_pool threads(3);
    AsyncRedisCluster rc(threads.get_executor(), async_plain_options());
    auto pubsub = rc.pubsub();
    std::promise<std::error_code> subscribed;
    pubsub.async_subscribe(named("pool"), [&](std::error_code code) { subscribed.set_value(code); });
    ASSERT_FALSE(subscribed.get_future().get());
    constexpr int kMessages = 200;
    std::atomic<int> received = 0;
    std::atomic<long> sum = 0;
    std::atomic<int> errors = 0;
    for (int receiver = 0; receiver < 4; ++receiver) {
        ::asio::co_spawn(
            threads,
            [&]() -> ::asio::awaitable<void> {
                while (received < kMessages) {
                    auto [code, message] = co_await pubsub.async_receive(
                        ::asio::experimental::as_tuple(::asio::use_awaitable));
                    if (code) {
                        if (code != ::asio::error::operation_aborted) ++errors;
                        co_return;
                    }
                    sum += std::stol(message.payload);
                    ++received;
                }
            },
            [](const std::exception_ptr&) {});
    }
    for (int i = 1; i <= kMessages; ++i) {
        rc.async_execute("PUBLISH", named("pool"), std::to_string(i), [](std::error_code, const Reply&) {});
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (received < kMessages && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    EXPECT_EQ(received, kMessages);
    EXPECT_EQ(sum, static_cast<long>(kMessages) * (kMessages + 1) / 2);
    EXPECT_EQ(errors, 0);
    pubsub.close();  // the receives still waiting end
    rc.cancel();
    threads.join();
}

}  // namespace
}  // namespace rediscluster
