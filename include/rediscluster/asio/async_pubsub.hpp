#pragma once

// AsyncPubSub: pub/sub for the asynchronous client, made by rc.pubsub().
//
// ```
//   auto pubsub = rc.pubsub();
//   co_await pubsub.async_subscribe("news", "alerts", asio::use_awaitable);  // once confirmed
//   co_await pubsub.async_ssubscribe("orders:{eu}", asio::use_awaitable);    // sharded
//   for (;;) {
//       rediscluster::PubSubMessage message = co_await pubsub.async_receive(asio::use_awaitable);
//       // message.kind, message.channel, message.payload...
//   }
// ```
//
// Behind it is a blocking PubSub (pubsub.hpp), with all its rules: where
// subscriptions live, how they follow failovers and migrations
// (Kind::resubscribed events, Kind::connection_error while one is made
// again), the bounded queue (PubSubOptions::max_queued_messages,
// Kind::dropped), the health check. Its reader thread reads the
// connections; the messages it queues are handed to the waiting receives
// on the client's executor, one post for each batch that thread read.
//
// async_receive(token) completes with
// `void(std::error_code, PubSubMessage)`: the next message or event.
// Several receives may wait at once: each message goes to one of them, in
// the order they began waiting, and messages are handed over in the
// order they were queued. Cancelling a waiting receive (its token's
// cancellation slot) completes it with asio::error::operation_aborted and
// loses no message. A waiting receive keeps the executor's run() going;
// close() or the AsyncPubSub's destruction completes every waiting
// receive, and every later one, with operation_aborted.
//
// async_subscribe(channels..., token), async_psubscribe(patterns...,
// token), async_ssubscribe(channels..., token) complete with
// `void(std::error_code)` once the servers confirmed every name, each
// running the blocking PubSub's subscribe on a thread of its own (as the
// client's blocking commands do): error::timeout when the confirmation did
// not come within PubSubOptions::confirm_timeout (the subscription stays
// wanted and is retried), error::response when a server refused one
// (NOPERM; the others stay subscribed), operation_aborted when the client
// is gone. unsubscribe(), punsubscribe() and
// sunsubscribe() return at once, as PubSub's do: no message of those names
// is queued after they return.
//
// Publishing is a command like any other: rc.async_execute("PUBLISH",
// channel, message, token), or "SPUBLISH" for a shard channel.
//
// Thread safety: an AsyncPubSub may be used from several threads at once;
// a receive's cancellation follows Asio's rules (the slot is emitted from
// the thread that runs its handler's executor). It may outlive its client,
// not the client's executor.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>

#include "rediscluster/asio/async_cluster.hpp"
#include "rediscluster/pubsub.hpp"

namespace rediscluster::asio {

namespace detail {

/// A receive waiting for a message: its handler, seen through this
/// interface by the library's code, which is not a template.
class MessageWaiter {
public:
    virtual ~MessageWaiter() = default;
    /// Hands (code, message) to the handler on its associated executor, as
    /// if by asio::post. Called once.
    virtual void complete(std::error_code code, PubSubMessage message) = 0;
    /// The handler's cancellation slot (not connected when it has none).
    [[nodiscard]] virtual ::asio::cancellation_slot cancellation_slot() const noexcept = 0;
};

template <class Handler>
class MessageWaiterOf final : public MessageWaiter {
    using HandlerExecutor = ::asio::associated_executor_t<Handler, ::asio::any_io_executor>;
    using TrackedExecutor = std::decay_t<decltype(::asio::prefer(std::declval<HandlerExecutor>(),
                                                                 ::asio::execution::outstanding_work.tracked))>;

public:
    MessageWaiterOf(Handler handler, const ::asio::any_io_executor& io_executor)
        : handler_(std::move(handler)),
          // Counted as outstanding work: a waiting receive keeps run() going.
          work_(::asio::prefer(::asio::get_associated_executor(handler_, io_executor),
                               ::asio::execution::outstanding_work.tracked)) {}

    void complete(std::error_code code, PubSubMessage message) override {
        auto executor = std::move(work_);
        ::asio::post(executor, [handler = std::move(handler_), code, message = std::move(message)]() mutable {
            std::move(handler)(code, std::move(message));
        });
    }
    [[nodiscard]] ::asio::cancellation_slot cancellation_slot() const noexcept override {
        return ::asio::get_associated_cancellation_slot(handler_);
    }

private:
    Handler handler_;
    TrackedExecutor work_;
};

}  // namespace detail

/// Subscriptions and the messages they bring, asynchronously (see above).
/// Made by AsyncRedisCluster::pubsub(). Move-only; a moved-from one may
/// only be destroyed or assigned to.
class AsyncPubSub {
public:
    using Channels = std::initializer_list<std::string_view>;

    AsyncPubSub(AsyncPubSub&&) noexcept;
    AsyncPubSub& operator=(AsyncPubSub&&) noexcept;
    AsyncPubSub(const AsyncPubSub&) = delete;
    AsyncPubSub& operator=(const AsyncPubSub&) = delete;
    /// close().
    ~AsyncPubSub();

    /// SUBSCRIBE: `async_subscribe(channel, more..., token)`; completes
    /// with `void(std::error_code)` once confirmed (see above).
    template <class... NamesAndToken>
    auto async_subscribe(NamesAndToken&&... names_and_token) {
        return launch(Subscription::channels, std::forward<NamesAndToken>(names_and_token)...);
    }
    /// PSUBSCRIBE, as async_subscribe().
    template <class... NamesAndToken>
    auto async_psubscribe(NamesAndToken&&... names_and_token) {
        return launch(Subscription::patterns, std::forward<NamesAndToken>(names_and_token)...);
    }
    /// SSUBSCRIBE, each channel on its slot's master, as async_subscribe().
    template <class... NamesAndToken>
    auto async_ssubscribe(NamesAndToken&&... names_and_token) {
        return launch(Subscription::shard_channels, std::forward<NamesAndToken>(names_and_token)...);
    }

    /// UNSUBSCRIBE from these channels (none: every channel), at once.
    void unsubscribe(Channels channels = {});
    /// PUNSUBSCRIBE, as unsubscribe().
    void punsubscribe(Channels patterns = {});
    /// SUNSUBSCRIBE, as unsubscribe().
    void sunsubscribe(Channels channels = {});

    /// The next message or event: `void(std::error_code, PubSubMessage)`
    /// (see above).
    template <class CompletionToken>
    auto async_receive(CompletionToken&& token) {
        return ::asio::async_initiate<CompletionToken, void(std::error_code, PubSubMessage)>(
            [state = state_, executor = executor_](auto handler) {
                using Waiter = detail::MessageWaiterOf<decltype(handler)>;
                receive(state, std::make_unique<Waiter>(std::move(handler), executor));
            },
            token);
    }

    /// Unsubscribes from everything, closes the connections and ends every
    /// waiting receive with operation_aborted. Waits for the reader thread
    /// to end.
    void close();

    /// As PubSub's.
    [[nodiscard]] std::uint64_t dropped() const;
    [[nodiscard]] std::vector<std::string> channels() const;
    [[nodiscard]] std::vector<std::string> patterns() const;
    [[nodiscard]] std::vector<std::string> shard_channels() const;

private:
    friend class AsyncRedisCluster;
    struct State;
    enum class Subscription { channels, patterns, shard_channels };

    AsyncPubSub(std::shared_ptr<State> state, AsyncRedisCluster::executor_type executor,
                std::weak_ptr<AsyncRedisCluster::Impl> client);

    template <class... NamesAndToken>
    auto launch(Subscription kind, NamesAndToken&&... names_and_token) {
        constexpr std::size_t name_count = sizeof...(NamesAndToken) - 1;
        static_assert(sizeof...(NamesAndToken) >= 2, "subscribe(names..., token): at least one name, and a token");
        auto all = std::forward_as_tuple(std::forward<NamesAndToken>(names_and_token)...);
        auto step = subscribe_names(kind, all, std::make_index_sequence<name_count>{});
        return AsyncRedisCluster::initiate_on<detail::NoValue>(client_, executor_, std::move(step),
                                                               std::get<name_count>(std::move(all)));
    }
    template <class Tuple, std::size_t... I>
    std::shared_ptr<detail::PreparedCommand> subscribe_names(Subscription kind, Tuple& all, std::index_sequence<I...>) {
        static_assert((std::is_convertible_v<std::tuple_element_t<I, Tuple>, std::string_view> && ...),
                      "subscribe: each channel or pattern must be a string");
        const std::string_view names[] = {std::string_view(std::get<I>(all))...};
        return subscribe_step(kind, names);
    }
    // The subscription as one operation of the client.
    std::shared_ptr<detail::PreparedCommand> subscribe_step(Subscription kind, std::span<const std::string_view> names);
    static void receive(const std::shared_ptr<State>& state, std::unique_ptr<detail::MessageWaiter> waiter);

    std::shared_ptr<State> state_;
    AsyncRedisCluster::executor_type executor_;
    std::weak_ptr<AsyncRedisCluster::Impl> client_;
};

}  // namespace rediscluster::asio
