#pragma once

// AsyncRedisCluster: the cluster client on standalone Asio (Debian's
// libasio-dev, namespace ::asio), in the library rediscluster::asio.
//
// ```
//   asio::io_context io;
//   rediscluster::asio::AsyncRedisCluster rc(io, {.startup_nodes = {{"127.0.0.1", 7000}}});
//   asio::co_spawn(io, [&]() -> asio::awaitable<void> {
//       co_await rc.async_execute("SET", "user:1", "alice", asio::use_awaitable);
//       rediscluster::Reply name = co_await rc.async_execute("GET", "user:1", asio::use_awaitable);
//   }, asio::detached);
//   io.run();
// ```
//
// Every operation takes an Asio completion token and completes with
// `void(std::error_code, Reply)`: a callback, asio::use_awaitable,
// asio::use_future and asio::experimental::deferred all work. With
// use_awaitable and use_future a failure arrives as std::system_error
// holding the code (see error.hpp for the codes and how they map onto the
// blocking client's exceptions).
//
// The same decisions as the blocking RedisCluster: each command is routed
// by the same tables, runs under the same per-command state machine (MOVED
// updates the slot map, ASK is followed with ASKING, TRYAGAIN, CLUSTERDOWN
// and lost connections back off and retry within command_timeout, with at
// most 16 redirects) and updates the topology through the same calls.
//
// Typed commands: rc.commands(token).get(key)... (async_commands.hpp).
// Pipelines and transactions: rc.pipeline(), rc.transaction(key)
// (async_batch.hpp). Pub/sub: rc.pubsub() (async_pubsub.hpp).
//
// Automatic pipelining: one connection per node. Commands issued during
// one turn of the executor are written to each node in one write, and the
// replies are matched to them in order; the handlers of the replies one
// read brings are called together, from one handler posted to their
// executor; or, when the client's executor promises one thread (an
// io_context made with concurrency hint 1: `asio::io_context io(1)`), from
// the handler that read them, a turn of the event loop sooner. At
// most AsyncOptions::max_inflight commands are in flight on a node's
// connection; the ones over it wait (and can be cancelled while they do).
//
// A command sent to every master or node (PING, DBSIZE, KEYS,
// FLUSHALL...), a multi-key command whose keys span slots, and a blocking
// command (BLPOP, XREAD BLOCK, WAIT...) run through the blocking client's
// driver on a thread of their own (a blocking command thus has a
// connection of its own), and complete on the executor like any other.
//
// TLS: as for RedisCluster, `.connection_class =
// connection_class<SSLClusterConnection>()` with the ssl_* options of
// connection_kwargs (ssl_ca_certs, ssl_certfile, ssl_keyfile, ssl_password,
// ssl_cert_reqs, ssl_check_hostname; without SSLClusterConnection they are
// not used, as by RedisCluster). The client's own connections then use
// asio::ssl with one context for the client, set up by the blocking
// client's rules: the server's certificate verified (and its name checked,
// SNI sent for host names), a client certificate for servers that require
// one. The TLS handshake follows the TCP connect, both within
// socket_connect_timeout. A failed handshake fails the connection like a
// refused connect (error::connection, retried within command_timeout, then
// error::budget_exhausted listing the attempts), its message naming the
// node and the reason ("TLS handshake with 127.0.0.1:7100 failed:
// certificate verify failed: ...") with the blocking client's hints (a
// server that asked for a client certificate when none is set...).
//
// Names: this library's namespace is rediscluster::asio. Code that says
// `using namespace rediscluster;` must then name Asio's own as ::asio.
//
// Thread safety: an AsyncRedisCluster may be used from several threads
// at once, on a multi-threaded io_context too: its state lives on a strand
// of its own. Completion handlers run on their associated executor (by
// default the client's). On a one-thread io_context they run while the
// client's strand is held: a handler that blocks holds up every reply.

#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <ranges>
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
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>

#include "rediscluster/asio/diagnostics.hpp"
#include "rediscluster/asio/error.hpp"
#include "rediscluster/client.hpp"
#include "rediscluster/commands/base.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::asio {

/// Options of the asynchronous client beyond RedisClusterOptions.
struct AsyncOptions {
    /// Commands in flight at once on one node's connection (written, or
    /// in the write under way, and waiting for their replies). Commands
    /// over it wait, in order, until replies make room. Default 1024; 0 is
    /// refused with RedisClusterConfigError.
    std::size_t max_inflight = 1024;
};

template <class CompletionToken>
class AsyncCommands;
class AsyncPipeline;
class AsyncPubSub;
class AsyncTransaction;

namespace detail {

class BatchQueue;
// The commands of a pipeline or transaction, prepared as they were added.
struct PreparedBatch;
struct PinnedSession;

// The library's code is not a template: it sees a completion handler of any
// type through this interface, which the templates below implement for
// each handler type (Asio 1.22 has no any_completion_handler).
class Completion {
public:
    virtual ~Completion() = default;
    /// Hands (code, reply) to the handler on its associated executor, as
    /// if by asio::post: only when !on_client_executor(). Called once, or
    /// invoke() is.
    virtual void complete(std::error_code code, Reply reply) = 0;
    /// Calls the handler at once, on the calling thread, which must be
    /// running a handler of the client's executor: only when
    /// on_client_executor(). The client calls the handlers of one turn's
    /// replies from one posted handler this way, instead of posting each.
    virtual void invoke(std::error_code code, Reply reply) = 0;
    /// The handler's associated executor is the client's own (the default
    /// for a plain callback, and a coroutine's on the client's context).
    [[nodiscard]] bool on_client_executor() const noexcept { return on_client_executor_; }
    /// The handler's cancellation slot (not connected when it has none).
    [[nodiscard]] virtual ::asio::cancellation_slot cancellation_slot() const noexcept = 0;

protected:
    bool on_client_executor_ = false;
};

/// Owns a Completion, made either inside its operation's own storage
/// (the common case: no allocation of its own) or on the heap.
class CompletionPtr {
public:
    CompletionPtr() = default;
    CompletionPtr(Completion* completion, bool in_place) noexcept : completion_(completion), in_place_(in_place) {}
    CompletionPtr(CompletionPtr&& other) noexcept
        : completion_(std::exchange(other.completion_, nullptr)), in_place_(other.in_place_) {}
    CompletionPtr& operator=(CompletionPtr&& other) noexcept {
        if (this != &other) {
            reset();
            completion_ = std::exchange(other.completion_, nullptr);
            in_place_ = other.in_place_;
        }
        return *this;
    }
    ~CompletionPtr() { reset(); }

    void reset() noexcept {
        if (completion_ == nullptr) return;
        if (in_place_) {
            completion_->~Completion();
        } else {
            delete completion_;
        }
        completion_ = nullptr;
    }
    Completion* operator->() const noexcept { return completion_; }
    explicit operator bool() const noexcept { return completion_ != nullptr; }

private:
    Completion* completion_ = nullptr;
    bool in_place_ = false;
};

// A command encoded and analysed for routing where async_execute() was
// called (so that it is read once, from its arguments), until it starts.
struct PreparedCommand;

/// How a reply reaches a handler as is.
struct ReplyAsIs {
    using type = Reply;
    static Reply read(Reply&& reply) { return std::move(reply); }
};

/// How a pipeline's or transaction's replies reach its handler, whatever
/// the error code: the array the library completes with as a vector; a
/// single error reply (the whole operation failed) as a vector of it.
struct BatchReplies {
    using type = std::vector<Reply>;
    static constexpr bool read_on_error = true;
    static std::vector<Reply> read(Reply&& reply) {
        if (reply.type() == ReplyType::Array) return std::move(reply).take_elements();
        std::vector<Reply> one;
        if (!reply.is_null()) one.push_back(std::move(reply));
        return one;
    }
};

/// How an operation that has no value completes: `void(std::error_code)`.
struct NoValue {
    using type = void;
};

template <class Reader>
concept ReadsOnError = Reader::read_on_error;

/// Fills a Diagnostics with what an operation ended with.
struct DiagnosticsAccess {
    static void note(Diagnostics* diagnostics, std::error_code code, const Reply& reply) {
        if (diagnostics == nullptr) return;
        diagnostics->clear();
        if (!code) return;
        const bool has_text = reply.is_error();
        if (code == error::response && has_text) {
            diagnostics->server_message_ = reply.str();
        } else {
            diagnostics->client_message_ = has_text ? std::string(reply.str()) : code.message();
        }
    }
};

/// The completion signature of an operation whose Reader gives `T`.
template <class T>
struct SignatureOf {
    using type = void(std::error_code, T);
};
template <>
struct SignatureOf<void> {
    using type = void(std::error_code);
};

/// The completion of one operation: its handler, called on the handler's
/// executor with the Reply read by Reader (a reply_readers:: type, or
/// ReplyAsIs): a reply Reader refuses gives error::reply_type and a
/// default value, as does any failure.
template <class Reader, class Handler>
class CompletionOf final : public Completion {
    using HandlerExecutor = ::asio::associated_executor_t<Handler, ::asio::any_io_executor>;
    using TrackedExecutor = std::decay_t<decltype(::asio::prefer(std::declval<HandlerExecutor>(),
                                                                 ::asio::execution::outstanding_work.tracked))>;

public:
    CompletionOf(Handler handler, const ::asio::any_io_executor& io_executor, Diagnostics* diagnostics = nullptr)
        : handler_(std::move(handler)), diagnostics_(diagnostics) {
        auto executor = ::asio::get_associated_executor(handler_, io_executor);
        if constexpr (std::is_same_v<HandlerExecutor, ::asio::any_io_executor>) {
            on_client_executor_ = executor == io_executor;
        }
        // Another executor is counted as having outstanding work, so its
        // context does not run out of work while the command is in flight
        // (the client's own pending I/O keeps its context running).
        if (!on_client_executor_) {
            work_.emplace(::asio::prefer(std::move(executor), ::asio::execution::outstanding_work.tracked));
        }
    }

    void complete(std::error_code code, Reply reply) override {
        auto executor = std::move(*work_);
        work_.reset();
        ::asio::post(executor, [handler = std::move(handler_), diagnostics = diagnostics_, code,
                                reply = std::move(reply)]() mutable {
            call(handler, diagnostics, code, std::move(reply));
        });
    }
    void invoke(std::error_code code, Reply reply) override { call(handler_, diagnostics_, code, std::move(reply)); }
    [[nodiscard]] ::asio::cancellation_slot cancellation_slot() const noexcept override {
        return ::asio::get_associated_cancellation_slot(handler_);
    }

private:
    static void call(Handler& handler, Diagnostics* diagnostics, std::error_code code, Reply&& reply) {
        if constexpr (std::is_same_v<Reader, ReplyAsIs>) {
            DiagnosticsAccess::note(diagnostics, code, reply);
            std::move(handler)(code, std::move(reply));
        } else if constexpr (std::is_same_v<Reader, NoValue>) {
            DiagnosticsAccess::note(diagnostics, code, reply);
            std::move(handler)(code);
        } else {
            typename Reader::type value{};
            if (!code || ReadsOnError<Reader>) {
                try {
                    value = Reader::read(std::move(reply));
                } catch (const Error& refused) {
                    code = make_error_code(error::reply_type);
                    reply = Reply::error(refused.what());
                }
            }
            DiagnosticsAccess::note(diagnostics, code, reply);
            std::move(handler)(code, std::move(value));
        }
    }

    Handler handler_;
    Diagnostics* diagnostics_;
    std::optional<TrackedExecutor> work_;
};

}  // namespace detail

/// An asynchronous Redis Cluster client.
class AsyncRedisCluster {
public:
    using executor_type = ::asio::any_io_executor;

    /// Checks the options and discovers the cluster, as RedisCluster's
    /// constructor does, and blocking like it (the discovery reuses the
    /// blocking pool and NodeManager). Throws RedisClusterConfigError for
    /// invalid options (`max_inflight` of 0 included), for an unusable TLS
    /// file (naming the option and the file, as SSLClusterConnection does)
    /// and for a connection_class that makes neither ClusterConnection nor
    /// SSLClusterConnection (the client makes its own connections), and
    /// RedisClusterException when no startup node answers.
    AsyncRedisCluster(executor_type executor, RedisClusterOptions options, AsyncOptions async_options = {});
    AsyncRedisCluster(::asio::io_context& context, RedisClusterOptions options, AsyncOptions async_options = {})
        : AsyncRedisCluster(context.get_executor(), std::move(options), async_options) {}

    /// Cancels everything in flight (each completes with
    /// asio::error::operation_aborted) and closes the connections; the
    /// executor need not be running, but must outlive the client. An
    /// operation started afterwards (a deferred one launched late)
    /// completes with operation_aborted too. Waits for the commands that
    /// run on threads of their own (see above) to return: a blocking
    /// command keeps it waiting up to its own timeout.
    ~AsyncRedisCluster();
    AsyncRedisCluster(const AsyncRedisCluster&) = delete;
    AsyncRedisCluster& operator=(const AsyncRedisCluster&) = delete;

    [[nodiscard]] executor_type get_executor() const noexcept { return executor_; }

    /// Runs one command: `async_execute("SET", key, 42, token)`. The
    /// arguments (strings, integers, doubles, as for execute_command) are
    /// encoded and routed at once, so they need not outlive the call (a
    /// command the built-in table does not know fetches the server's
    /// COMMAND table then, blocking, once). Completes with
    /// `void(std::error_code, Reply)`:
    ///  - no error: the command's reply;
    ///  - error::response: the command's own error reply (WRONGTYPE...),
    ///    kept in the Reply;
    ///  - another code of error.hpp: the Reply is an error reply with the
    ///    message the blocking client's exception would carry;
    ///  - asio::error::operation_aborted: cancelled (through the token's
    ///    cancellation slot, cancel(), or the client's end).
    /// Cancelling a command already written drops its reply when it arrives,
    /// so the connection stays in step; one not yet written never leaves.
    /// Every cancellation type (terminal, partial, total) is honoured as
    /// terminal: the command may have run.
    template <class... ArgsAndToken>
    auto async_execute(ArgsAndToken&&... args_and_token) {
        constexpr std::size_t argument_count = sizeof...(ArgsAndToken) - 1;
        static_assert(sizeof...(ArgsAndToken) >= 2, "async_execute(name, args..., token): a command and a token");
        auto all = std::forward_as_tuple(std::forward<ArgsAndToken>(args_and_token)...);
        auto command = prepare_arguments(all, std::make_index_sequence<argument_count>{});
        return initiate<detail::ReplyAsIs>(std::move(command), std::get<argument_count>(std::move(all)));
    }

    /// async_execute() read as a T (see reply_cast.hpp for the types):
    /// `co_await rc.async_command<std::int64_t>("INCR", key, asio::use_awaitable)`.
    /// Completes with `void(std::error_code, T)`: the codes of
    /// async_execute(), and error::reply_type when the reply does not fit T
    /// (the command has run); T is default-constructed when there is an
    /// error. For the server's message of an error reply, use
    /// async_execute(). A T nothing converts to does not compile.
    template <class T, class... ArgsAndToken>
    auto async_command(ArgsAndToken&&... args_and_token) {
        static_assert(ReplyConvertible<T>, "async_command<T>: no conversion from a Reply to T (see reply_cast.hpp)");
        static_assert(std::is_default_constructible_v<T>,
                      "async_command<T>: T must be default-constructible (it is given with an error)");
        constexpr std::size_t argument_count = sizeof...(ArgsAndToken) - 1;
        static_assert(sizeof...(ArgsAndToken) >= 2, "async_command<T>(name, args..., token): a command and a token");
        auto all = std::forward_as_tuple(std::forward<ArgsAndToken>(args_and_token)...);
        auto command = prepare_arguments(all, std::make_index_sequence<argument_count>{});
        return initiate<reply_readers::As<T>>(std::move(command), std::get<argument_count>(std::move(all)));
    }

    /// async_execute() with the arguments in a range. An empty range fails
    /// the operation with error::invalid_command.
    template <std::ranges::forward_range Range, class CompletionToken>
        requires CommandArgument<std::ranges::range_value_t<Range>>
    auto async_execute_range(const Range& args, CompletionToken&& token) {
        auto command = std::ranges::empty(args)
                           ? prepare({})
                           : with_range_views([this](std::span<const std::string_view> views) { return prepare(views); },
                                              args);
        return initiate<detail::ReplyAsIs>(std::move(command), std::forward<CompletionToken>(token));
    }

    /// The typed commands (commands.hpp), each started with a copy of
    /// `token`: `co_await rc.commands(asio::use_awaitable).incr("visits")`
    /// (see async_commands.hpp).
    template <class CompletionToken>
    [[nodiscard]] AsyncCommands<std::decay_t<CompletionToken>> commands(CompletionToken&& token) {
        return AsyncCommands<std::decay_t<CompletionToken>>(*this, std::forward<CompletionToken>(token));
    }
    /// commands(token), each command telling `diagnostics` the message of
    /// its failure (diagnostics.hpp). `diagnostics` must outlive the
    /// commands.
    template <class CompletionToken>
    [[nodiscard]] AsyncCommands<std::decay_t<CompletionToken>> commands(CompletionToken&& token,
                                                                        Diagnostics& diagnostics) {
        return AsyncCommands<std::decay_t<CompletionToken>>(*this, std::forward<CompletionToken>(token),
                                                            &diagnostics);
    }

    /// Commands for any slots, queued and then sent together
    /// (async_batch.hpp).
    [[nodiscard]] AsyncPipeline pipeline() const;
    /// MULTI ... EXEC on the master of the slot of `key_or_hash_tag`
    /// (async_batch.hpp).
    [[nodiscard]] AsyncTransaction transaction(std::string_view key_or_hash_tag) const;
    /// Subscriptions and their messages (async_pubsub.hpp). Throws
    /// RedisClusterConfigError for invalid options.
    [[nodiscard]] AsyncPubSub pubsub(PubSubOptions options = {}) const;

    /// Cancels every operation in flight (operation_aborted) and closes the
    /// connections. The client is finished: later operations complete with
    /// operation_aborted. Thread-safe.
    void cancel();

    /// The pool that discovered the cluster and holds its topology.
    [[nodiscard]] std::shared_ptr<ClusterConnectionPool> connection_pool() const;

private:
    struct Impl;
    template <class CompletionToken>
    friend class AsyncCommands;
    friend class detail::BatchQueue;
    friend class AsyncPubSub;

    template <class Reader, class CompletionToken, class... Args>
    auto run_typed(CompletionToken& token, Diagnostics* diagnostics, const Args&... args) {
        auto command = with_argument_views([this](std::span<const std::string_view> views) { return prepare(views); },
                                           args...);
        return initiate<Reader>(std::move(command), token, diagnostics);
    }
    template <class Reader, class CompletionToken>
    auto run_typed_range(CompletionToken& token, Diagnostics* diagnostics, std::span<const std::string_view> args) {
        return initiate<Reader>(prepare(args), token, diagnostics);
    }

    // Encodes `args` and reads their routing facts; a command refused
    // (bad arguments) carries its refusal, reported when it starts.
    [[nodiscard]] std::shared_ptr<detail::PreparedCommand> prepare(std::span<const std::string_view> args) const;

    template <class Tuple, std::size_t... I>
    std::shared_ptr<detail::PreparedCommand> prepare_arguments(Tuple& all, std::index_sequence<I...>) const {
        static_assert((CommandArgument<std::remove_cvref_t<std::tuple_element_t<I, Tuple>>> && ...),
                      "async_execute: each argument must be a string, an integer or a floating-point number");
        return with_argument_views([this](std::span<const std::string_view> views) { return prepare(views); },
                                   std::get<I>(all)...);
    }

    template <class Reader, class CompletionToken>
    auto initiate(std::shared_ptr<detail::PreparedCommand> command, CompletionToken&& token,
                  Diagnostics* diagnostics = nullptr) {
        return initiate_on<Reader>(impl_, executor_, std::move(command), std::forward<CompletionToken>(token),
                                   diagnostics);
    }
    // Launches `command` on the client `impl` (also for the transactions'
    // and pub/sub's operations), completing as Reader reads the reply. The
    // client is held weakly: an operation launched after the client is
    // gone (a deferred one) completes with operation_aborted.
    template <class Reader, class CompletionToken>
    static auto initiate_on(std::weak_ptr<Impl> impl, const executor_type& executor,
                            std::shared_ptr<detail::PreparedCommand> command, CompletionToken&& token,
                            Diagnostics* diagnostics = nullptr) {
        return ::asio::async_initiate<CompletionToken, typename detail::SignatureOf<typename Reader::type>::type>(
            [impl = std::move(impl), executor, diagnostics](auto handler,
                                                            std::shared_ptr<detail::PreparedCommand> prepared) {
                using HandlerCompletion = detail::CompletionOf<Reader, decltype(handler)>;
                auto op = claim(std::move(prepared));
                void* place = completion_space(*op, sizeof(HandlerCompletion), alignof(HandlerCompletion));
                detail::CompletionPtr completion(
                    place != nullptr ? new (place) HandlerCompletion(std::move(handler), executor, diagnostics)
                                     : new HandlerCompletion(std::move(handler), executor, diagnostics),
                    place != nullptr);
                start(impl, executor, std::move(op), std::move(completion));
            },
            token, std::move(command));
    }
    // The operation to run: `prepared` itself, or a copy when it was
    // launched before (a deferred operation launched again).
    static std::shared_ptr<detail::PreparedCommand> claim(std::shared_ptr<detail::PreparedCommand> prepared);
    // Room for a completion of `size` inside the operation; nullptr when
    // it does not fit.
    static void* completion_space(detail::PreparedCommand& op, std::size_t size, std::size_t alignment) noexcept;
    static void start(const std::weak_ptr<Impl>& impl, const executor_type& executor,
                      std::shared_ptr<detail::PreparedCommand> command, detail::CompletionPtr completion);
    static void start_batch(const std::weak_ptr<Impl>& impl, const executor_type& executor,
                            std::shared_ptr<detail::PreparedBatch> batch, detail::CompletionPtr completion);

    executor_type executor_;
    std::shared_ptr<Impl> impl_;
};

}  // namespace rediscluster::asio

// The typed commands, pipelines and transactions come with the client.
#include "rediscluster/asio/async_batch.hpp"     // IWYU pragma: export
#include "rediscluster/asio/async_commands.hpp"  // IWYU pragma: export
#include "rediscluster/asio/async_pubsub.hpp"    // IWYU pragma: export
