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
// vector holds one error reply with the message. WATCH needs a connection
// of its own, held across awaits: it is the blocking Transaction's
// (RedisCluster::transaction()); this one has none. Every key must be in
// the transaction's slot (ClusterCrossSlotError when added otherwise).
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

private:
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
    AsyncTransaction(AsyncTransaction&&) noexcept = default;
    AsyncTransaction& operator=(AsyncTransaction&&) noexcept = default;
    ~AsyncTransaction() = default;

    /// Sends MULTI, the queued commands and EXEC; completes with
    /// `void(std::error_code, std::vector<Reply>)` (see above).
    template <class CompletionToken>
    auto async_exec(CompletionToken&& token) {
        return launch(std::forward<CompletionToken>(token));
    }

private:
    friend class AsyncRedisCluster;
    using QueuedCommands::QueuedCommands;
};

}  // namespace rediscluster::asio
