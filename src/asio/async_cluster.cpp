// The asynchronous driver: carries out what each command's state machine
// (command_fsm.hpp) asks for, on the client's strand, over one pipelined
// connection per node (node_connection.hpp). Decisions are the blocking
// driver's own: the same routing facts, the same machine, the same
// NodeManager calls for MOVED, failed nodes and refreshes; only waiting
// differs (a timer instead of a sleep, a callback instead of a read).

#include "rediscluster/asio/async_cluster.hpp"

#include <asio/bind_executor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <typeinfo>
#include <unordered_map>

#include "node_connection.hpp"
#include "detail/classify.hpp"
#include "detail/client_core.hpp"
#include "detail/multi_key.hpp"
#include "detail/random.hpp"
#include "rediscluster/error_reply.hpp"

namespace rediscluster::asio {

namespace core = rediscluster::detail;
using core::CommandAction;
using core::CommandEvent;
using core::Failure;
using ActionKind = CommandAction::Kind;
using EventKind = CommandEvent::Kind;

namespace {

// The code a command that gave up on `failure` completes with.
error error_of(Failure failure) {
    switch (failure) {
        case Failure::ClusterDown: return error::cluster_down;
        case Failure::Moved:
        case Failure::Ask:
        case Failure::TryAgain:
        case Failure::ReadOnly: return error::redirect;
        case Failure::SlotNotCovered: return error::slot_not_covered;
        case Failure::Timeout: return error::timeout;
        case Failure::Interrupted: return error::interrupted;
        case Failure::Fatal: return error::connection_setup;
        case Failure::Loading:
        case Failure::Connection:
        case Failure::NoConnection: break;
    }
    return error::connection;
}

// The code for an exception of the blocking layer, with its message.
std::pair<error, std::string> error_of(const std::exception_ptr& thrown) {
    try {
        std::rethrow_exception(thrown);
    } catch (const SlotNotCoveredError& e) {
        return {error::slot_not_covered, e.what()};
    } catch (const ClusterDownError& e) {
        return {error::cluster_down, e.what()};
    } catch (const ClusterError& e) {
        const std::string_view text = e.what();
        return {text.find("redirect") != std::string_view::npos ? error::moved_exhausted : error::budget_exhausted,
                e.what()};
    } catch (const TimeoutError& e) {
        return {error::timeout, e.what()};
    } catch (const IncompleteReplyError& e) {
        return {error::interrupted, e.what()};
    } catch (const AuthenticationError& e) {
        return {error::connection_setup, e.what()};
    } catch (const ConnectionError& e) {
        return {error::connection, e.what()};
    } catch (const ProtocolError& e) {
        return {error::interrupted, e.what()};
    } catch (const RedisClusterConfigError& e) {
        return {error::connection_setup, e.what()};
    } catch (const std::exception& e) {
        return {error::invalid_command, e.what()};
    }
}

// The TLS context of the client's connections when its connection_class
// makes SSLClusterConnection (the blocking client's switch to TLS), built
// before the discovery so that an unusable file is reported as such; null
// for ClusterConnection. The client makes its own connections, so a factory
// of any other class is refused rather than silently not used.
std::shared_ptr<TlsClientContext> tls_context_for(const RedisClusterOptions& options) {
    const bool own_pool = !options.connection_pool;
    const ConnectionFactory& factory =
        own_pool ? options.connection_class : options.connection_pool->options().connection_class;
    const ConnectionOptions& kwargs =
        own_pool ? options.connection_kwargs : options.connection_pool->options().connection_kwargs;
    if (!factory) return nullptr;
    // Built, not connected: only its class is of interest.
    const auto probe = factory(kwargs);
    if (probe) {
        const ClusterConnection& connection = *probe;
        if (typeid(connection) == typeid(SSLClusterConnection)) return std::make_shared<TlsClientContext>(kwargs);
        if (typeid(connection) == typeid(ClusterConnection)) return nullptr;
    }
    throw RedisClusterConfigError(
        "AsyncRedisCluster makes its own connections: its connection_class must make ClusterConnection or "
        "SSLClusterConnection");
}

// Threads that do blocking work for the client: a discovery before a
// retry, a command the blocking driver carries. Each posts its result to
// the client's executor, which must still exist when it does, so the
// client's destructor waits for them (close_and_wait) before its executor
// may go.
class BlockingWork : public std::enable_shared_from_this<BlockingWork> {
public:
    /// Runs `work` on a thread of its own; false, and nothing run, once
    /// closed. `work` must release what it holds before it returns.
    bool run(std::function<void()> work) {
        {
            std::lock_guard lock(mutex_);
            if (closed_) return false;
            ++running_;
        }
        std::thread([self = shared_from_this(), work = std::move(work)]() mutable {
            work();
            work = nullptr;  // what it captured goes before the count says it is over
            {
                std::lock_guard lock(self->mutex_);
                --self->running_;
            }
            self->idle_.notify_all();
        }).detach();
        return true;
    }
    void close_and_wait() {
        std::unique_lock lock(mutex_);
        closed_ = true;
        idle_.wait(lock, [this] { return running_ == 0; });
    }

private:
    std::mutex mutex_;
    std::condition_variable idle_;
    std::size_t running_ = 0;
    bool closed_ = false;
};

}  // namespace

// --- one command -----------------------------------------------------------------

// One command, from async_execute() to its completion.
struct detail::PreparedCommand {
    std::uint64_t id = 0;
    std::string packed;
    std::string name;
    core::CommandFacts facts;
    // Refused before anything was sent (bad arguments): why. Empty otherwise.
    std::string refusal;
    // A multi-key command whose keys span slots: run as one part per slot.
    bool split = false;
    // The slot a MOVED is recorded against: the keys' slot; none for a
    // slot that only picks a shard (see the blocking driver's recorded_slot()).
    std::optional<std::uint16_t> recorded_slot;
    std::optional<core::CommandMachine> machine;
    CommandAction action;
    std::unique_ptr<detail::Completion> completion;
    Reply reply;
    bool done = false;

    // What the last failed attempt was, for the event and the final error.
    NodeInfo node;
    bool has_node = false;
    bool by_reply = false;
    Failure failure = Failure::Fatal;
    std::string description;
    std::optional<HostPort> redirect;

    // Where it waits now: a connection's queue or backlog, or the timer.
    std::shared_ptr<NodeConnection> connection;
    std::optional<::asio::steady_timer> timer;

    void reset_attempt() {
        has_node = false;
        by_reply = false;
        description.clear();
        redirect.reset();
    }
    CommandEvent failed_event() const {
        return {.kind = EventKind::Failed,
                .now = core::Clock::now(),
                .failure = failure,
                .description = description,
                .node = has_node ? &node : nullptr,
                .redirect = redirect};
    }
};

using AsyncOperation = detail::PreparedCommand;

// --- the client --------------------------------------------------------------------

struct AsyncRedisCluster::Impl : std::enable_shared_from_this<Impl>, NodeConnection::Owner {
    Impl(const executor_type& executor, RedisClusterOptions& options, AsyncOptions async,
         std::shared_ptr<TlsClientContext> tls_context)
        : strand(::asio::make_strand(executor)),
          tls(std::move(tls_context)),
          pool(core::make_client_pool(options)),
          client(std::make_unique<core::ClientCore>(pool, options)),
          read_from_replicas(options.read_from_replicas),
          async_options(async) {
        limits.cluster_down_retry_attempts = options.cluster_down_retry_attempts;
        limits.retry_on_timeout = pool->options().connection_kwargs.retry_on_timeout;
        command_timeout =
            options.command_timeout ? options.command_timeout : pool->options().connection_kwargs.socket_timeout;
    }

    ::asio::strand<executor_type> strand;
    // Every connection's TLS settings (one context for the client); null
    // for plain TCP.
    std::shared_ptr<TlsClientContext> tls;
    std::shared_ptr<ClusterConnectionPool> pool;
    // The blocking client's core: its catalog routes commands, its
    // background refresher re-discovers the topology, and its driver runs
    // the commands the async driver does not carry yet.
    std::unique_ptr<core::ClientCore> client;
    std::shared_ptr<BlockingWork> blocking_work = std::make_shared<BlockingWork>();
    core::RetryLimits limits;
    std::optional<std::chrono::milliseconds> command_timeout;
    bool read_from_replicas = false;
    AsyncOptions async_options;

    // Strand only, from here on.
    bool closed = false;
    std::uint64_t next_id = 1;
    std::unordered_map<std::uint64_t, std::shared_ptr<AsyncOperation>> operations;
    std::unordered_map<std::string, std::shared_ptr<NodeConnection>> connections;  // by "host:port"
    // Commands waiting for the discovery under way (a node that fails
    // fails many commands at once: they share one discovery, one thread).
    std::vector<std::shared_ptr<AsyncOperation>> awaiting_refresh;

    // --- NodeConnection::Owner ---
    std::uint64_t new_id() override { return next_id++; }
    void on_reply(std::uint64_t id, Reply&& reply) override {
        auto found = operations.find(id);
        if (found == operations.end()) return;  // cancelled meanwhile
        auto op = found->second;
        op->connection.reset();
        op->reply = std::move(reply);
        resume(op, judge_reply(*op));
    }
    void on_failure(std::uint64_t id, Failure failure, const NodeInfo& node, std::string_view description) override {
        auto found = operations.find(id);
        if (found == operations.end()) return;
        auto op = found->second;
        op->connection.reset();
        op->failure = failure;
        op->node = node;
        op->has_node = true;
        op->description = description;
        resume(op, op->failed_event());
    }

    void start(std::shared_ptr<AsyncOperation> op);
    void resume(const std::shared_ptr<AsyncOperation>& op, const CommandEvent& event) {
        if (op->done) return;
        op->action = op->machine->resume(event);
        perform(op);
    }
    void perform(const std::shared_ptr<AsyncOperation>& op);
    void send(const std::shared_ptr<AsyncOperation>& op);
    CommandEvent judge_reply(AsyncOperation& op);
    void run_elsewhere(const std::shared_ptr<AsyncOperation>& op);
    void refresh_then_resume(const std::shared_ptr<AsyncOperation>& op);
    void cancel(const std::shared_ptr<AsyncOperation>& op);
    void finish(const std::shared_ptr<AsyncOperation>& op, std::error_code code, Reply reply);
    void shutdown();
    [[nodiscard]] NodeInfo target_node(const AsyncOperation& op);
    std::shared_ptr<NodeConnection> connection_to(const NodeInfo& node);
    void forget_departed_nodes();
};

void AsyncRedisCluster::Impl::start(std::shared_ptr<AsyncOperation> op) {
    if (closed) {
        op->completion->complete(::asio::error::operation_aborted, Reply());
        return;
    }
    op->id = next_id++;
    operations.emplace(op->id, op);
    if (!op->refusal.empty()) {
        finish(op, error::invalid_command, Reply::error(op->refusal));
        return;
    }
    const auto target = op->facts.target;
    if (op->split || op->facts.blocking || target == core::CommandRoute::Target::AllMasters ||
        target == core::CommandRoute::Target::AllNodes) {
        run_elsewhere(op);
        return;
    }
    if (!op->facts.slot_picks_shard) op->recorded_slot = op->facts.slot;
    op->machine.emplace(op->recorded_slot, op->name, limits, command_timeout, core::Clock::now());
    resume(op, {.kind = EventKind::Start});
}

void AsyncRedisCluster::Impl::perform(const std::shared_ptr<AsyncOperation>& op) {
    auto& action = op->action;
    switch (action.kind) {
        case ActionKind::Send: send(op); return;
        case ActionKind::UpdateTopology: {
            if (action.failed_node) pool->mark_node_failed(*action.failed_node);
            if (action.moved_to && op->recorded_slot) {
                std::optional<HostPort> sender;
                if (action.moved_sender) sender = *action.moved_sender;
                if (pool->nodes.record_moved(*op->recorded_slot, *action.moved_to, sender)) client->request_refresh();
            }
            switch (action.refresh) {
                case core::RetryDecision::Refresh::None: break;
                case core::RetryDecision::Refresh::InBackground: client->request_refresh(); break;
                case core::RetryDecision::Refresh::BeforeRetry: refresh_then_resume(op); return;
            }
            resume(op, {.kind = EventKind::TopologyUpdated});
            return;
        }
        case ActionKind::Backoff:
            if (!op->timer) op->timer.emplace(strand);
            op->timer->expires_after(action.delay);
            op->timer->async_wait([self = shared_from_this(), op](std::error_code code) {
                if (code) return;  // cancelled: the command was finished by then
                self->resume(op, {.kind = EventKind::BackoffOver});
            });
            return;
        case ActionKind::Done: {
            const bool own_error = op->reply.is_error();
            finish(op, own_error ? make_error_code(error::response) : std::error_code(), std::move(op->reply));
            return;
        }
        case ActionKind::Fail:
            if (!action.message.empty()) {
                const bool redirects = op->machine->counts().redirects >= limits.max_redirects;
                finish(op, redirects ? error::moved_exhausted : error::budget_exhausted, Reply::error(action.message));
            } else if (op->by_reply) {
                finish(op, error_of(op->failure), std::move(op->reply));
            } else {
                finish(op, error_of(op->failure), Reply::error(op->description));
            }
            return;
    }
}

NodeInfo AsyncRedisCluster::Impl::target_node(const AsyncOperation& op) {
    const auto& facts = op.facts;
    if (op.action.node) return make_node(op.action.node->host, op.action.node->port, "master");
    if (facts.node) return make_node(facts.node->host, facts.node->port, "master");
    if (!facts.slot) {
        auto masters = pool->get_nodes_by_server_type("master");
        if (masters.empty()) return pool->nodes.random_node();
        return masters[std::uniform_int_distribution<std::size_t>(0, masters.size() - 1)(core::thread_random())];
    }
    if (facts.read_only && read_from_replicas) return pool->get_node_by_slot(*facts.slot, true);
    return pool->nodes.get_master_node_by_slot(*facts.slot);  // throws SlotNotCoveredError
}

void AsyncRedisCluster::Impl::send(const std::shared_ptr<AsyncOperation>& op) {
    op->reset_attempt();
    NodeInfo node;
    try {
        node = target_node(*op);
    } catch (const Error& e) {
        op->failure = core::classify(e);
        op->description = e.what();
        resume(op, op->failed_event());
        return;
    }
    op->node = node;
    op->connection = connection_to(node);
    op->connection->submit(op->id, op->packed, op->action.asking);
}

void AsyncRedisCluster::Impl::forget_departed_nodes() {
    // Checked when a connection to a new node is wanted (the topology
    // changed, or it is the first command there): the map does not grow
    // with every node a long-lived client has seen. A connection with
    // commands in flight is kept until a later check finds it idle.
    const auto table = pool->nodes.slots();
    if (!table) return;
    for (auto it = connections.begin(); it != connections.end();) {
        const bool known = std::any_of(table->nodes().begin(), table->nodes().end(),
                                       [&](const NodeInfo& known_node) { return known_node.name == it->first; });
        if (known || !it->second->idle()) {
            ++it;
        } else {
            it->second->close();
            it = connections.erase(it);
        }
    }
}

std::shared_ptr<NodeConnection> AsyncRedisCluster::Impl::connection_to(const NodeInfo& node) {
    if (!connections.contains(node.name)) forget_departed_nodes();
    auto& connection = connections[node.name];
    if (!connection) {
        auto options = pool->options().connection_kwargs;
        options.host = node.host;
        options.port = node.port;
        options.readonly = options.readonly || (read_from_replicas && !node.is_master());
        connection = std::make_shared<NodeConnection>(strand, weak_from_this(), node, std::move(options),
                                                      async_options.max_inflight, tls);
    }
    return connection;
}

CommandEvent AsyncRedisCluster::Impl::judge_reply(AsyncOperation& op) {
    const Reply& reply = op.reply;
    if (!reply.is_error()) return {.kind = EventKind::Replied};
    const auto failure = core::classify_error_reply_text(reply.str());
    if (!failure) return {.kind = EventKind::Replied};  // the command's own answer
    op.has_node = true;
    op.failure = *failure;
    op.description = reply.str();
    if (*failure == Failure::Moved || *failure == Failure::Ask) {
        try {
            const auto redirect = parse_redirect(reply.str());
            // An empty host means the node that answered.
            HostPort target{redirect->host.empty() ? op.node.host : redirect->host, redirect->port};
            op.redirect = pool->options().host_port_remap.apply(target);
        } catch (const Error& e) {
            op.failure = core::classify(e);  // a malformed redirect: nothing to follow
            op.description = e.what();
            return op.failed_event();
        }
    }
    op.by_reply = true;
    return op.failed_event();
}

void AsyncRedisCluster::Impl::refresh_then_resume(const std::shared_ptr<AsyncOperation>& op) {
    awaiting_refresh.push_back(op);
    if (awaiting_refresh.size() > 1) return;  // one is under way: this command goes on when it ends
    // A discovery does blocking I/O: it runs on a thread of its own, and
    // the commands resume on the strand after.
    const bool started = blocking_work->run([self = shared_from_this()]() mutable {
        try {
            (void)self->pool->nodes.refresh_if_due();
        } catch (const Error&) {
            // The retries go by the map we have; the next failure asks again.
        }
        auto& strand_of = self->strand;
        ::asio::post(strand_of, [self = std::move(self)] {
            auto waiting = std::move(self->awaiting_refresh);
            self->awaiting_refresh.clear();
            for (const auto& next : waiting) self->resume(next, {.kind = EventKind::TopologyUpdated});
        });
    });
    if (!started) {
        // The client is ending.
        auto waiting = std::move(awaiting_refresh);
        awaiting_refresh.clear();
        for (const auto& next : waiting) finish(next, ::asio::error::operation_aborted, Reply());
    }
}

void AsyncRedisCluster::Impl::run_elsewhere(const std::shared_ptr<AsyncOperation>& op) {
    // The blocking driver, on a thread of its own: it fans out, splits or
    // waits with the blocking client's rules, and the executor is not held.
    const bool started = blocking_work->run([self = shared_from_this(), op]() mutable {
        Reply reply;
        std::error_code code;
        try {
            if (const auto failure = self->client->run_packed(op->packed, reply)) {
                try {
                    core::raise(*failure, reply);
                } catch (const ResponseError&) {
                    code = core::classify_error_reply_text(reply.str()) == Failure::ClusterDown
                               ? make_error_code(error::cluster_down)
                               : make_error_code(error::redirect);
                } catch (...) {
                    auto [kind, message] = error_of(std::current_exception());
                    code = kind;
                    reply = Reply::error(message);
                }
            } else if (reply.is_error()) {
                code = error::response;
            }
        } catch (const Error& e) {
            code = error::invalid_command;
            reply = Reply::error(e.what());
        }
        auto& strand_of = self->strand;
        ::asio::post(strand_of, [self = std::move(self), op = std::move(op), code, reply = std::move(reply)]() mutable {
            if (!op->done) self->finish(op, code, std::move(reply));
        });
    });
    if (!started) finish(op, ::asio::error::operation_aborted, Reply());  // the client is ending
}

void AsyncRedisCluster::Impl::cancel(const std::shared_ptr<AsyncOperation>& op) {
    if (op->done) return;
    if (op->connection) op->connection->cancel(op->id);
    finish(op, ::asio::error::operation_aborted, Reply());
}

void AsyncRedisCluster::Impl::finish(const std::shared_ptr<AsyncOperation>& op, std::error_code code, Reply reply) {
    if (op->done) return;
    op->done = true;
    if (op->timer) op->timer->cancel();
    op->connection.reset();
    operations.erase(op->id);
    if (auto slot = op->completion->cancellation_slot(); slot.is_connected()) slot.clear();
    op->completion->complete(code, std::move(reply));
}

void AsyncRedisCluster::Impl::shutdown() {
    closed = true;
    for (auto& [name, connection] : connections) connection->close();
    connections.clear();
    awaiting_refresh.clear();  // finished below, with every command left
    auto left = std::move(operations);
    operations.clear();
    for (auto& [id, op] : left) finish(op, ::asio::error::operation_aborted, Reply());
}

// --- the public face ----------------------------------------------------------------

AsyncRedisCluster::AsyncRedisCluster(executor_type executor, RedisClusterOptions options, AsyncOptions async_options)
    : executor_(std::move(executor)) {
    if (async_options.max_inflight == 0) {
        throw RedisClusterConfigError("max_inflight must be at least 1 (commands in flight per node)");
    }
    auto tls = tls_context_for(options);
    impl_ = std::make_shared<Impl>(executor_, options, async_options, std::move(tls));
}

AsyncRedisCluster::~AsyncRedisCluster() {
    if (!impl_) return;
    cancel();
    // Its helper threads post to the executor: they must be done before the
    // executor may go, which may be right after this.
    impl_->blocking_work->close_and_wait();
}

void AsyncRedisCluster::cancel() {
    if (!impl_) return;
    ::asio::post(impl_->strand, [impl = impl_] { impl->shutdown(); });
}

std::shared_ptr<ClusterConnectionPool> AsyncRedisCluster::connection_pool() const { return impl_->pool; }

std::shared_ptr<detail::PreparedCommand> AsyncRedisCluster::prepare(std::span<const std::string_view> args) const {
    auto op = std::make_shared<AsyncOperation>();
    try {
        if (args.empty()) throw DataError("cannot run an empty command: a command needs at least its name");
        encode_array_header(op->packed, args.size());
        for (const auto arg : args) encode_bulk(op->packed, arg);
        op->name.assign(args.front());
        try {
            op->facts = impl_->client->catalog().analyse(args);
        } catch (const ClusterCrossSlotError&) {
            // MGET, DEL... whose keys span slots run as one part per slot.
            if (!core::may_split_by_slot(args)) throw;
            op->split = true;
        }
    } catch (const Error& e) {
        op->refusal = e.what();
    }
    return op;
}

void AsyncRedisCluster::start(const std::weak_ptr<Impl>& weak, const executor_type& executor,
                              std::shared_ptr<detail::PreparedCommand> command,
                              std::unique_ptr<detail::Completion> completion) {
    auto op = std::move(command);
    if (op->completion) {
        // The same deferred operation launched again: a fresh copy, since
        // the first may still be running.
        auto again = std::make_shared<AsyncOperation>();
        again->packed = op->packed;
        again->name = op->name;
        again->facts = op->facts;
        again->refusal = op->refusal;
        again->split = op->split;
        op = std::move(again);
    }
    op->completion = std::move(completion);
    auto impl = weak.lock();
    if (!impl) {
        // The client is gone: nothing will ever run this.
        ::asio::post(executor, [op] { op->completion->complete(::asio::error::operation_aborted, Reply()); });
        return;
    }
    // The command's cancellation slot, if it has one, cancels it on the
    // strand, wherever the signal is emitted. Any type of cancellation is
    // honoured as terminal: a command already written may have run.
    if (auto slot = op->completion->cancellation_slot(); slot.is_connected()) {
        slot.assign([weak_op = std::weak_ptr<AsyncOperation>(op), weak_impl = weak,
                     strand = impl->strand](::asio::cancellation_type) {
            ::asio::post(strand, [weak_op, weak_impl] {
                auto client = weak_impl.lock();
                auto target = weak_op.lock();
                if (client && target) client->cancel(target);
            });
        });
    }
    // Posted, never run inline: commands issued in this turn gather on
    // their connections and leave together, and a handler is never called
    // from inside the function that started it.
    ::asio::post(impl->strand, [impl, op] { impl->start(op); });
}

}  // namespace rediscluster::asio
