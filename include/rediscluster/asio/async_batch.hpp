#pragma once

// AsyncPipeline and AsyncTransaction: commands queued, then sent together
// by one asynchronous operation.
//
// ```
//   auto pipe = rc.pipeline();
//   pipe.set("user:1", "alice").incr("visits").get("user:2");
//   auto [code, replies] = co_await pipe.async_execute(asio::experimental::as_tuple(asio::use_awaitable));
//
//   auto tx = rc.transaction("{user:1}");               // the slot of this key or hash tag
//   tx.incr("{user:1}:visits").set("{user:1}:seen", "now");
//   std::vector<rediscluster::Reply> results = co_await tx.async_exec(asio::use_awaitable);
// ```
//
// Both complete with `void(std::error_code, std::vector<Reply>)`, and the
// vector is there whatever the code (see error.hpp for the codes).
//
// AsyncPipeline::async_execute(): commands for any slots. They start
// together, so the commands for one node leave in one write (with
// whatever else the client sends in that turn), and each is routed,
// redirected and retried on its own, as a single command of the client.
// The vector holds one reply per command, in the order added; a command
// that failed has an error reply in its place, whose text is the message
// the blocking client's exception would carry. The code is the first
// failure's in command order (error::response for a command's own error
// reply), or none. Refused when added, naming the command, as
// Pipeline::execute_command refuses: blocking commands, commands that run
// on every master or node, keys of several slots in one command.
//
// AsyncTransaction::async_exec(): MULTI, the commands and EXEC, written as
// one block to the master of the transaction's slot over the client's
// connection to it (nothing else can come between them). MOVED, ASK,
// TRYAGAIN and CLUSTERDOWN on MULTI, on a queued command or on EXEC (which
// then ran nothing) send the whole block again, by the client's rules for
// one command ("EXEC" in its messages). The vector holds EXEC's replies;
// the code is error::response when one of them is an error reply (the
// others ran: Redis has no rollback). When EXEC was refused (EXECABORT: a
// command was refused while being queued), nothing ran: the code is
// error::response and the vector holds what each command got when queued
// ("QUEUED", or the error that refused it). When the block itself failed
// (a lost connection, a timeout, the budget or redirects ran out), the
// vector holds one error reply with the message. Every key must be in the
// transaction's slot (ClusterCrossSlotError when added otherwise).
//
// WATCH, for optimistic locking:
//
// ```
//   auto tx = rc.transaction("{user:1}");
//   co_await tx.async_watch("{user:1}:balance", asio::use_awaitable);
//   auto balance = co_await tx.now(asio::use_awaitable).get("{user:1}:balance");
//   tx.set("{user:1}:balance", "90");
//   auto [code, results] = co_await tx.async_exec(asio::experimental::as_tuple(asio::use_awaitable));
//   if (code == rediscluster::asio::error::not_executed) { /* a watched key changed: read again */ }
// ```
//
// From its first async_watch() or now() command to its async_exec(), a
// transaction holds a connection of its own to the slot's master (a watch
// belongs to a connection), as the blocking Transaction does, and its
// steps follow that Transaction's rules, through the blocking driver on a
// thread of their own (as the client's blocking commands do): a MOVED or
// ASK before EXEC takes the watch to the new owner, and when values were
// already read under it there, async_exec() runs nothing and completes
// with error::not_executed, as when a watched key changed. With a watch,
// async_exec() runs even with nothing queued (it then tells whether the
// watch held), and ends the watch and gives the connection up, whatever
// its outcome; so does the transaction's destruction (the connection is
// then closed). Each step must complete before the next is launched.
//
// Both may be used again after a launch: the queue is then empty. An
// empty one completes at once, with no error and no reply. Cancelling the
// operation (its token's cancellation slot) cancels every command not yet
// finished, as a single command's cancellation does.
//
// Thread safety: one thread at a time may queue on a pipeline or
// transaction; its operations may run concurrently with anything else of
// the client. Either may outlive the client: an operation launched after
// the client is gone completes with operation_aborted.

#include <cstddef>
#include <memory>
#include <ranges>
#include <span>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "rediscluster/asio/async_cluster.hpp"
#include "rediscluster/commands.hpp"

namespace rediscluster::asio {

namespace detail {

/// A queue of commands, prepared as they are added, and its launch: what
/// AsyncPipeline and AsyncTransaction share.
class BatchQueue {
public:
    /// Commands queued.
    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    /// Drops the queued commands without sending them.
    void reset() noexcept;

protected:
    BatchQueue(const AsyncRedisCluster& client, std::shared_ptr<PreparedBatch> batch);
    BatchQueue(BatchQueue&&) noexcept;
    BatchQueue& operator=(BatchQueue&&) noexcept;
    ~BatchQueue();

    // Prepares and queues one command; throws what refuses it.
    void add(std::span<const std::string_view> args);

    template <class CompletionToken>
    auto launch(CompletionToken&& token) {
        return ::asio::async_initiate<CompletionToken, void(std::error_code, std::vector<Reply>)>(
            [client = client_, executor = executor_](auto handler, std::shared_ptr<PreparedBatch> batch) {
                using HandlerCompletion = CompletionOf<BatchReplies, decltype(handler)>;
                AsyncRedisCluster::start_batch(client, executor, std::move(batch),
                                               CompletionPtr(new HandlerCompletion(std::move(handler), executor), false));
            },
            token, take());
    }

    // A step of a transaction holding a connection of its own (its watch,
    // a command run at once), launched as one operation.
    template <class Reader, class CompletionToken>
    auto launch_step(std::shared_ptr<PreparedCommand> step, CompletionToken&& token,
                     Diagnostics* diagnostics = nullptr) {
        return AsyncRedisCluster::initiate_on<Reader>(client_, executor_, std::move(step),
                                                      std::forward<CompletionToken>(token), diagnostics);
    }
    // The steps: WATCH `keys`, and a command run at once. Each throws what
    // refuses it (a key of another slot...) before anything is sent.
    std::shared_ptr<PreparedCommand> watch_step(std::span<const std::string_view> keys);
    std::shared_ptr<PreparedCommand> now_step(std::span<const std::string_view> args);

private:
    // The transaction's own connection and its state, made at its first
    // step.
    std::shared_ptr<PinnedSession> pinned_session();
    // The queued commands, the queue starting again empty.
    std::shared_ptr<PreparedBatch> take();

    std::weak_ptr<AsyncRedisCluster::Impl> client_;
    AsyncRedisCluster::executor_type executor_;
    std::shared_ptr<PreparedBatch> batch_;
};

/// The queueing face of a pipeline or transaction: any command, or the
/// typed ones of Commands<Derived>, queued and returning the queue.
template <class Derived>
class QueuedCommands : public BatchQueue {
public:
    /// Queues any command; nothing is sent before the launch. Refused at
    /// once, naming the command (see Derived).
    template <CommandArgument... Args>
    Derived& execute_command(const Args&... args) {
        with_argument_views([&](std::span<const std::string_view> views) { add(views); }, args...);
        return self();
    }
    /// execute_command() with the arguments in a range.
    template <std::ranges::forward_range Range>
        requires CommandArgument<std::ranges::range_value_t<Range>>
    Derived& execute_command_range(const Range& args) {
        with_range_views([&](std::span<const std::string_view> views) { add(views); }, args);
        return self();
    }

protected:
    using BatchQueue::BatchQueue;

private:
    friend class Commands<Derived>;

    // The typed commands (get, set, incr, hset...) of Commands<Derived>
    // queue their command the same way; the reply is in the launch's vector.
    template <class Reader, class... Args>
    Derived& run_command(const Args&... args) {
        return execute_command(args...);
    }
    template <class Reader>
    Derived& run_command_range(std::span<const std::string_view> args) {
        add(args);
        return self();
    }
    Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace detail

/// Commands for any slots, sent together (see above). Made by
/// AsyncRedisCluster::pipeline(). execute_command() and the typed commands
/// refuse, naming the command, what Pipeline::execute_command refuses.
class AsyncPipeline : public detail::QueuedCommands<AsyncPipeline>, public Commands<AsyncPipeline> {
public:
    AsyncPipeline(AsyncPipeline&&) noexcept = default;
    AsyncPipeline& operator=(AsyncPipeline&&) noexcept = default;
    ~AsyncPipeline() = default;

    /// Sends every queued command; completes with
    /// `void(std::error_code, std::vector<Reply>)` (see above).
    template <class CompletionToken>
    auto async_execute(CompletionToken&& token) {
        return launch(std::forward<CompletionToken>(token));
    }

private:
    friend class AsyncRedisCluster;
    using QueuedCommands::QueuedCommands;
};

/// MULTI ... EXEC on one slot's master (see above). Made by
/// AsyncRedisCluster::transaction(). execute_command() and the typed
/// commands refuse keys of another slot (ClusterCrossSlotError), commands
/// that run on every master or node, and MULTI, EXEC, DISCARD, WATCH and
/// UNWATCH themselves; a blocking command is queued (it does not block
/// inside MULTI).
class AsyncTransaction : public detail::QueuedCommands<AsyncTransaction>, public Commands<AsyncTransaction> {
public:
    template <class CompletionToken>
    class Now;

    AsyncTransaction(AsyncTransaction&&) noexcept = default;
    AsyncTransaction& operator=(AsyncTransaction&&) noexcept = default;
    ~AsyncTransaction() = default;

    /// WATCH: `async_watch(key, more_keys..., token)`, sent at once over
    /// the transaction's own connection (see above); completes with
    /// `void(std::error_code)` once the node has the keys, with the codes
    /// of a single command. A key of another slot is refused by the call
    /// (ClusterCrossSlotError), before anything is sent.
    template <class... KeysAndToken>
    auto async_watch(KeysAndToken&&... keys_and_token) {
        constexpr std::size_t key_count = sizeof...(KeysAndToken) - 1;
        static_assert(sizeof...(KeysAndToken) >= 2, "async_watch(keys..., token): at least one key, and a token");
        auto all = std::forward_as_tuple(std::forward<KeysAndToken>(keys_and_token)...);
        auto step = watch_arguments(all, std::make_index_sequence<key_count>{});
        return launch_step<detail::NoValue>(std::move(step), std::get<key_count>(std::move(all)));
    }
    /// async_watch() with the keys in a range.
    template <std::ranges::forward_range Keys, class CompletionToken>
        requires CommandArgument<std::ranges::range_value_t<Keys>>
    auto async_watch_range(const Keys& keys, CompletionToken&& token) {
        auto step = with_range_views([this](std::span<const std::string_view> views) { return watch_step(views); },
                                     keys);
        return launch_step<detail::NoValue>(std::move(step), std::forward<CompletionToken>(token));
    }

    /// Commands run at once over the transaction's own connection, outside
    /// MULTI, to read what the watch guards:
    /// `co_await tx.now(asio::use_awaitable).get("{user:1}:balance")`. Its
    /// typed commands complete as rc.commands(token)'s do, and
    /// execute_command(args...) with `void(std::error_code, Reply)`. Refused
    /// by the call: keys of another slot, commands that run on several
    /// nodes or would block the connection. The Now must not outlive the
    /// transaction.
    template <class CompletionToken>
    [[nodiscard]] Now<std::decay_t<CompletionToken>> now(CompletionToken&& token) {
        return Now<std::decay_t<CompletionToken>>(*this, std::forward<CompletionToken>(token));
    }
    /// now(token), each command telling `diagnostics` the message of its
    /// failure (diagnostics.hpp).
    template <class CompletionToken>
    [[nodiscard]] Now<std::decay_t<CompletionToken>> now(CompletionToken&& token, Diagnostics& diagnostics) {
        return Now<std::decay_t<CompletionToken>>(*this, std::forward<CompletionToken>(token), &diagnostics);
    }

    /// Sends MULTI, the queued commands and EXEC; completes with
    /// `void(std::error_code, std::vector<Reply>)` (see above).
    template <class CompletionToken>
    auto async_exec(CompletionToken&& token) {
        return launch(std::forward<CompletionToken>(token));
    }

private:
    friend class AsyncRedisCluster;
    using QueuedCommands::QueuedCommands;

    template <class Tuple, std::size_t... I>
    std::shared_ptr<detail::PreparedCommand> watch_arguments(Tuple& all, std::index_sequence<I...>) {
        static_assert((CommandArgument<std::remove_cvref_t<std::tuple_element_t<I, Tuple>>> && ...),
                      "async_watch: each key must be a string, an integer or a floating-point number");
        return with_argument_views([this](std::span<const std::string_view> views) { return watch_step(views); },
                                   std::get<I>(all)...);
    }
};

/// The commands of a transaction run at once (AsyncTransaction::now()),
/// each started with a copy of the token.
template <class CompletionToken>
class AsyncTransaction::Now : public Commands<AsyncTransaction::Now<CompletionToken>> {
public:
    Now(AsyncTransaction& transaction, CompletionToken token, Diagnostics* diagnostics = nullptr)
        : transaction_(&transaction), token_(std::move(token)), diagnostics_(diagnostics) {}

    /// Runs any command at once; completes with
    /// `void(std::error_code, Reply)`, as AsyncRedisCluster::async_execute().
    template <CommandArgument... Args>
    auto execute_command(const Args&... args) {
        return run_command<detail::ReplyAsIs>(args...);
    }

private:
    friend class Commands<Now>;

    template <class Reader, class... Args>
    auto run_command(const Args&... args) {
        auto step = with_argument_views(
            [this](std::span<const std::string_view> views) { return transaction_->now_step(views); }, args...);
        return transaction_->template launch_step<Reader>(std::move(step), token_, diagnostics_);
    }
    template <class Reader>
    auto run_command_range(std::span<const std::string_view> args) {
        return transaction_->template launch_step<Reader>(transaction_->now_step(args), token_, diagnostics_);
    }

    AsyncTransaction* transaction_;
    CompletionToken token_;
    Diagnostics* diagnostics_;
};

}  // namespace rediscluster::asio
