// The asynchronous driver: carries out what each command's state machine
// (command_fsm.hpp) asks for, on the client's strand, over one pipelined
// connection per node (node_connection.hpp). Decisions are the blocking
// driver's own: the same routing facts, the same machine, the same
// NodeManager calls for MOVED, failed nodes and refreshes; only waiting
// differs (a timer instead of a sleep, a callback instead of a read).

#include "rediscluster/asio/async_cluster.hpp"

#include <asio/bind_executor.hpp>
#include <asio/detail/concurrency_hint.hpp>
#include <asio/detail/scheduler.hpp>
#include <asio/dispatch.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <typeinfo>
#include <unordered_map>

#include "client_impl.hpp"
#include "node_connection.hpp"
#include "detail/classify.hpp"
#include "detail/client_core.hpp"
#include "detail/multi_key.hpp"
#include "detail/random.hpp"
#include "detail/transaction_block.hpp"
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

}  // namespace

StepOutcome outcome_of(const std::optional<core::CommandFailure>& failure, Reply reply) {
    if (!failure) {
        if (reply.is_error()) return {error::response, std::move(reply)};  // the command's own answer
        return {{}, std::move(reply)};
    }
    return outcome_of(*failure, std::move(reply));
}

StepOutcome outcome_of(const core::CommandFailure& failure, Reply reply) {
    try {
        core::raise(failure, reply);
    } catch (const ResponseError&) {
        // An error reply of the cluster's (MOVED, TRYAGAIN...) given up on.
        const auto code = core::classify_error_reply_text(reply.str()) == Failure::ClusterDown ? error::cluster_down
                                                                                               : error::redirect;
        return {code, std::move(reply)};
    } catch (...) {
        return outcome_of(std::current_exception());
    }
    return {error::connection, Reply::error("the command failed")};  // raise() always throws
}

StepOutcome outcome_of(const std::exception_ptr& thrown) {
    try {
        std::rethrow_exception(thrown);
    } catch (const ResponseError& e) {
        return {error::response, Reply::error(e.what())};  // a server's refusal (NOPERM...)
    } catch (...) {
        auto [code, message] = error_of(std::current_exception());
        return {code, Reply::error(message)};
    }
}

namespace {

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

}  // namespace


namespace {

// The client whose handlers this thread is calling (call_handlers), and
// whether they started commands: those are drained right after the last
// handler, without a post of their own.
thread_local const void* calling_handlers_of = nullptr;
thread_local bool drain_after_handlers = false;

}  // namespace

void AsyncRedisCluster::Impl::enqueue(std::shared_ptr<AsyncOperation> op) {
    {
        std::lock_guard lock(inbox_mutex);
        inbox.push_back(std::move(op));
        if (inbox_drain_posted) return;
        inbox_drain_posted = true;
    }
    request_drain();
}

void AsyncRedisCluster::Impl::request_drain() {
    if (calling_handlers_of == this) {
        drain_after_handlers = true;
        return;
    }
    // Posted, never run inline: commands issued in this turn gather and
    // leave together, and a handler is never called from inside the
    // function that started it.
    ::asio::post(strand, [self = shared_from_this()] { self->drain_inbox(); });
}

void AsyncRedisCluster::Impl::enqueue_all(std::vector<std::shared_ptr<AsyncOperation>>& ops) {
    {
        std::lock_guard lock(inbox_mutex);
        for (auto& op : ops) inbox.push_back(std::move(op));
        if (inbox_drain_posted) return;
        inbox_drain_posted = true;
    }
    request_drain();
}

void AsyncRedisCluster::Impl::drain_inbox() {
    {
        std::lock_guard lock(inbox_mutex);
        std::swap(starting, inbox);
        inbox_drain_posted = false;
    }
    if (!closed) read_table();
    // The commands of one drain start together: one clock read for all,
    // and one write per connection once all are in (not one posted).
    drain_time = core::Clock::now();
    draining = true;
    for (const auto& op : starting) start(op);
    draining = false;
    starting.clear();
    for (auto* connection : owing_flush) connection->flush_now();
    owing_flush.clear();
    flush_outbox();
}

void AsyncRedisCluster::Impl::read_table() {
    auto now = pool->nodes.slots();
    if (now == table) return;
    table = std::move(now);
    std::fill(connection_by_slot.begin(), connection_by_slot.end(), nullptr);
}

void AsyncRedisCluster::Impl::start(const std::shared_ptr<AsyncOperation>& op) {
    if (closed) {
        finish(op, ::asio::error::operation_aborted, Reply());
        return;
    }
    operations.add(op);
    if (!op->refusal.empty()) {
        finish(op, error::invalid_command, Reply::error(op->refusal));
        return;
    }
    if (op->pinned) {
        run_on_thread(op, op->pinned);
        return;
    }
    const auto target = op->facts.target;
    if (op->split || op->facts.blocking || target == core::CommandRoute::Target::AllMasters ||
        target == core::CommandRoute::Target::AllNodes) {
        run_elsewhere(op);
        return;
    }
    if (!op->facts.slot_picks_shard) op->recorded_slot = op->facts.slot;
    op->started = drain_time;
    send_first(op);
}

void AsyncRedisCluster::Impl::send_first(const std::shared_ptr<AsyncOperation>& op) {
    // The machine's first action, always: by the slot map, without ASKING.
    const auto& facts = op->facts;
    NodeConnection* connection = nullptr;
    if (facts.slot && !facts.node && !(facts.read_only && read_from_replicas) && table) {
        auto& cached = connection_by_slot[*facts.slot];
        if (!cached) {
            if (const NodeInfo* master = table->master(*facts.slot)) cached = connection_to(*master);
        }
        connection = cached;
    }
    if (connection == nullptr) {
        send(op);  // the general way, which also reports an uncovered slot
        return;
    }
    op->connection = connection;
    if (connection->submit(op->id, op->packed.view(), false, op->block, draining)) owing_flush.push_back(connection);
}

Retrying& AsyncRedisCluster::Impl::retrying(AsyncOperation& op) {
    if (!op.retrying) {
        op.retrying = std::make_unique<Retrying>(op.recorded_slot, op.name(), limits, command_timeout, op.started);
    }
    return *op.retrying;
}

void AsyncRedisCluster::Impl::on_reply(std::uint64_t id, Reply&& reply, const NodeInfo& node) {
    const auto* found = operations.find(id);
    if (found == nullptr) return;  // cancelled meanwhile
    auto op = *found;
    op->connection = nullptr;
    if (op->block > 0) {
        std::error_code code;
        if (judge_block(*op, reply, node, code)) {
            failed(op);
        } else {
            finish(op, code, std::move(reply));
        }
        return;
    }
    if (!reply.is_error() || !judge_reply(*op, reply, node)) {
        // The command's own answer ends it, whatever attempt it was.
        const bool own_error = reply.is_error();
        finish(op, own_error ? make_error_code(error::response) : std::error_code(), std::move(reply));
        return;
    }
    failed(op);
}

void AsyncRedisCluster::Impl::on_failure(std::uint64_t id, Failure failure, const NodeInfo& node,
                                         std::string_view description) {
    const auto* found = operations.find(id);
    if (found == nullptr) return;
    auto op = *found;
    op->connection = nullptr;
    auto& state = retrying(*op);
    state.by_reply = false;
    state.redirect.reset();
    state.failure = failure;
    state.node = node;
    state.has_node = true;
    state.description = description;
    failed(op);
}

void AsyncRedisCluster::Impl::failed(const std::shared_ptr<AsyncOperation>& op) {
    resume(op, op->retrying->failed_event());
    flush_outbox();
}

bool AsyncRedisCluster::Impl::judge_reply(AsyncOperation& op, Reply& reply, const NodeInfo& node) {
    const auto failure = core::classify_error_reply_text(reply.str());
    if (!failure) return false;  // the command's own answer
    auto& state = retrying(op);
    state.has_node = true;
    state.node = node;
    state.failure = *failure;
    state.description = reply.str();
    state.redirect.reset();
    state.by_reply = true;
    if (*failure == Failure::Moved || *failure == Failure::Ask) {
        try {
            const auto redirect = parse_redirect(reply.str());
            // An empty host means the node that answered.
            HostPort target{redirect->host.empty() ? node.host : redirect->host, redirect->port};
            state.redirect = pool->options().host_port_remap.apply(target);
        } catch (const Error& e) {
            state.failure = core::classify(e);  // a malformed redirect: nothing to follow
            state.description = e.what();
            state.by_reply = false;
        }
    }
    state.reply = std::move(reply);
    return true;
}

bool AsyncRedisCluster::Impl::judge_block(AsyncOperation& op, Reply& reply, const NodeInfo& node,
                                         std::error_code& code) {
    // The replies of MULTI, of each queued command, and of EXEC: judged as
    // the blocking driver's exec() judges them.
    if (reply.type() != ReplyType::Array || reply.elements().size() != op.block) {
        code = error::interrupted;
        reply = Reply::error("a transaction's replies from " + node.name + " do not match its commands");
        return false;
    }
    auto replies = std::move(reply).take_elements();
    const auto verdict = core::decide_block(replies);
    // A redirect or the like in the deciding reply: the block goes again.
    if (auto& deciding = replies[verdict.index]; deciding.is_error() && judge_reply(op, deciding, node)) return true;
    if (verdict.decider == core::BlockVerdict::Decider::Multi) {
        code = error::response;
        reply = std::move(replies.front());
        return false;
    }
    std::vector<Reply> queued(std::make_move_iterator(replies.begin() + 1), std::make_move_iterator(replies.end() - 1));
    auto outcome = exec_outcome(std::move(replies.back()), std::move(queued));
    code = outcome.code;
    reply = std::move(outcome.reply);
    return false;
}

StepOutcome exec_outcome(Reply exec, std::vector<Reply> queued) {
    if (exec.is_null()) return {error::not_executed, Reply::error("EXEC ran nothing: a watched key changed")};
    if (exec.is_error()) {
        if (classify_error_reply(exec.str()) != ErrorReplyKind::exec_abort) return {error::response, std::move(exec)};
        // Refused while queued: nothing ran.
        return {error::response, Reply::array(std::move(queued))};
    }
    if (exec.type() != ReplyType::Array) {
        return {error::response,
                Reply::error("EXEC answered " + exec.to_debug_string() + ": the transaction did not run")};
    }
    const auto& results = exec.elements();
    const bool any_error = std::any_of(results.begin(), results.end(), [](const Reply& r) { return r.is_error(); });
    return {any_error ? make_error_code(error::response) : std::error_code(), std::move(exec)};
}

void AsyncRedisCluster::Impl::perform(const std::shared_ptr<AsyncOperation>& op) {
    auto& state = *op->retrying;
    auto& action = state.action;
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
            resume(op, {.kind = EventKind::TopologyUpdated, .now = core::Clock::now()});
            return;
        }
        case ActionKind::Backoff:
            if (!state.timer) state.timer.emplace(strand);
            state.timer->expires_after(action.delay);
            state.timer->async_wait([self = shared_from_this(), op](std::error_code code) {
                if (code) return;  // cancelled: the command was finished by then
                self->resume(op, {.kind = EventKind::BackoffOver});
                self->flush_outbox();
            });
            return;
        case ActionKind::Done: {
            const bool own_error = state.reply.is_error();
            finish(op, own_error ? make_error_code(error::response) : std::error_code(), std::move(state.reply));
            return;
        }
        case ActionKind::Fail:
            if (!action.message.empty()) {
                const bool redirects = state.machine.counts().redirects >= limits.max_redirects;
                finish(op, redirects ? error::moved_exhausted : error::budget_exhausted, Reply::error(action.message));
            } else if (state.by_reply) {
                finish(op, error_of(state.failure), std::move(state.reply));
            } else {
                finish(op, error_of(state.failure), Reply::error(state.description));
            }
            return;
    }
}

NodeInfo AsyncRedisCluster::Impl::target_node(const AsyncOperation& op, const CommandAction* action) {
    const auto& facts = op.facts;
    if (action && action->node) return make_node(action->node->host, action->node->port, "master");
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
    // A retry reads the map again: the failure may have changed it.
    if (op->retrying) read_table();
    const CommandAction* action = op->retrying ? &op->retrying->action : nullptr;
    NodeInfo node;
    try {
        node = target_node(*op, action);
    } catch (const Error& e) {
        auto& state = retrying(*op);
        state.has_node = false;
        state.by_reply = false;
        state.redirect.reset();
        state.failure = core::classify(e);
        state.description = e.what();
        resume(op, state.failed_event());
        return;
    }
    auto* connection = connection_to(node);
    op->connection = connection;
    if (connection->submit(op->id, op->packed.view(), action != nullptr && action->asking, op->block, draining)) {
        owing_flush.push_back(connection);
    }
}

void AsyncRedisCluster::Impl::forget_departed_nodes() {
    // Checked when a connection to a new node is wanted (the topology
    // changed, or it is the first command there): the map does not grow
    // with every node a long-lived client has seen. A connection with
    // commands in flight is kept until a later check finds it idle.
    const auto known_table = pool->nodes.slots();
    if (!known_table) return;
    bool forgot = false;
    for (auto it = connections.begin(); it != connections.end();) {
        const bool known = std::any_of(known_table->nodes().begin(), known_table->nodes().end(),
                                       [&](const NodeInfo& known_node) { return known_node.name == it->first; });
        if (known || !it->second->idle()) {
            ++it;
        } else {
            it->second->close();
            it = connections.erase(it);
            forgot = true;
        }
    }
    if (forgot) std::fill(connection_by_slot.begin(), connection_by_slot.end(), nullptr);
}

NodeConnection* AsyncRedisCluster::Impl::connection_to(const NodeInfo& node) {
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
    return connection.get();
}

void AsyncRedisCluster::Impl::refresh_then_resume(const std::shared_ptr<AsyncOperation>& op) {
    awaiting_refresh.push_back(op);
    if (awaiting_refresh.size() > 1) return;  // one is under way: this command goes on when it ends
    // A discovery does blocking I/O: it runs on a thread of its own, and
    // the commands resume on the strand after.
    const bool started = blocking_work->run([self = shared_from_this(), work = tracked_work()]() mutable {
        try {
            (void)self->pool->nodes.refresh_if_due();
        } catch (const Error&) {
            // The retries go by the map we have; the next failure asks again.
        }
        auto& strand_of = self->strand;
        ::asio::post(strand_of, [self = std::move(self)] {
            auto waiting = std::move(self->awaiting_refresh);
            self->awaiting_refresh.clear();
            const auto now = core::Clock::now();
            for (const auto& next : waiting) self->resume(next, {.kind = EventKind::TopologyUpdated, .now = now});
            self->flush_outbox();
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
    run_on_thread(op, [client = client, op] {
        Reply reply;
        const auto failure = client->run_packed(op->packed.view(), reply);
        return outcome_of(failure, std::move(reply));
    });
}

void AsyncRedisCluster::Impl::run_on_thread(const std::shared_ptr<AsyncOperation>& op,
                                            std::function<StepOutcome()> work) {
    const bool started =
        blocking_work->run([self = shared_from_this(), op, work = std::move(work), tracked = tracked_work()]() mutable {
            StepOutcome outcome;
            try {
                outcome = work();
            } catch (const Error& e) {
                outcome = {error::invalid_command, Reply::error(e.what())};
            }
            work = nullptr;  // what it holds goes on this thread, before the client may
            auto& strand_of = self->strand;
            ::asio::post(strand_of, [self = std::move(self), op = std::move(op), outcome = std::move(outcome)]() mutable {
                if (op->done) return;
                self->finish(op, outcome.code, std::move(outcome.reply));
                self->flush_outbox();
            });
        });
    if (!started) finish(op, ::asio::error::operation_aborted, Reply());  // the client is ending
}

void AsyncRedisCluster::Impl::cancel(const std::shared_ptr<AsyncOperation>& op) {
    if (op->done) return;
    if (op->connection) op->connection->cancel(op->id);
    finish(op, ::asio::error::operation_aborted, Reply());
    flush_outbox();
}

void AsyncRedisCluster::Impl::finish(const std::shared_ptr<AsyncOperation>& op, std::error_code code, Reply reply) {
    if (op->done) return;
    // The table's reference moves on to the outbox (`op` may be it: only
    // `owned` is used from here on).
    std::shared_ptr<AsyncOperation> owned = operations.take(*op);
    if (!owned) owned = op;
    owned->done = true;
    if (owned->retrying && owned->retrying->timer) owned->retrying->timer->cancel();
    owned->connection = nullptr;
    auto& completion = owned->completion;
    if (auto slot = completion->cancellation_slot(); slot.is_connected()) slot.clear();
    if (!completion->on_client_executor()) {
        completion->complete(code, std::move(reply));
        return;
    }
    owned->code = code;
    owned->outcome = std::move(reply);
    outbox.push_back(std::move(owned));
}

void AsyncRedisCluster::Impl::call_handlers(std::vector<std::shared_ptr<AsyncOperation>>& batch, std::size_t first) {
    auto* const outer = std::exchange(calling_handlers_of, this);
    const bool outer_wanted = std::exchange(drain_after_handlers, false);
    // The commands the handlers started go now, on the strand (inline when
    // it is free): one drain for all of them, and no post.
    const auto end_of_calls = [&](bool unwinding) {
        const bool wanted = std::exchange(drain_after_handlers, outer_wanted);
        calling_handlers_of = outer;
        if (!wanted) return;
        if (!unwinding && strand.running_in_this_thread()) {
            drain_inbox();  // handlers called from a read's handler (one thread)
            return;
        }
        auto drain = [self = shared_from_this()] { self->drain_inbox(); };
        if (unwinding) {
            ::asio::post(strand, std::move(drain));
        } else {
            ::asio::dispatch(strand, std::move(drain));
        }
    };
    for (std::size_t i = first; i < batch.size(); ++i) {
        auto& op = *batch[i];
        try {
            op.completion->invoke(op.code, std::move(op.outcome));
        } catch (...) {
            // A handler threw: it leaves run() as from any handler, and the
            // handlers after it still run, from a handler of their own.
            if (i + 1 < batch.size()) {
                ::asio::post(executor, [self = shared_from_this(), rest = std::move(batch), next = i + 1]() mutable {
                    self->call_handlers(rest, next);
                });
            }
            end_of_calls(true);
            throw;
        }
    }
    end_of_calls(false);
}

bool runs_on_one_thread(const ::asio::any_io_executor& executor) {
    auto& context = ::asio::query(executor, ::asio::execution::context);
    // The scheduler is Asio's own (detail) service behind io_context and
    // thread_pool; it is the one place the hint is kept.
    if (!::asio::has_service<::asio::detail::scheduler>(context)) return false;
    const int hint = ::asio::use_service<::asio::detail::scheduler>(context).concurrency_hint();
    return hint == 1 || !ASIO_CONCURRENCY_HINT_IS_LOCKING(SCHEDULER, hint);
}

void AsyncRedisCluster::Impl::replies_handed_over() {
    if (!one_thread) {
        flush_outbox();
        return;
    }
    // With one thread nothing else could run meanwhile: the handlers are
    // called here, at the end of the read's handler, saving a post and a
    // turn of the event loop (with its epoll_wait) per read.
    if (outbox.empty()) return;
    std::vector<std::shared_ptr<AsyncOperation>> batch;
    batch.swap(outbox);
    call_handlers(batch, 0);
    batch.clear();
    if (outbox.empty()) outbox.swap(batch);  // its storage, for the next read
}

void AsyncRedisCluster::Impl::flush_outbox() {
    // Every strand handler that may finish commands ends here: the
    // handlers of what it finished run from one posted handler, on the
    // client's executor (not the strand, so they do not hold it).
    if (outbox.empty()) return;
    const auto size = outbox.size();
    ::asio::post(executor, [self = shared_from_this(), batch = std::move(outbox)]() mutable {
        self->call_handlers(batch, 0);
    });
    outbox.clear();
    outbox.reserve(size);
}

void AsyncRedisCluster::Impl::shutdown() {
    closed = true;
    for (auto& [name, connection] : connections) connection->close();
    connections.clear();
    std::fill(connection_by_slot.begin(), connection_by_slot.end(), nullptr);
    awaiting_refresh.clear();  // finished below, with every command left
    for (const auto& op : operations.take_all()) finish(op, ::asio::error::operation_aborted, Reply());
    flush_outbox();
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

std::shared_ptr<AsyncOperation> AsyncRedisCluster::Impl::prepare(std::span<const std::string_view> args, Use use) {
    auto op = new_operation();
    try {
        if (args.empty()) throw DataError("cannot run an empty command: a command needs at least its name");
        op->packed.encode(args);
        try {
            op->facts = client->catalog().analyse(args);
        } catch (const ClusterCrossSlotError&) {
            // MGET, DEL... whose keys span slots run as one part per slot.
            if (use == Use::InBatch || !core::may_split_by_slot(args)) throw;
            op->split = true;
        }
    } catch (const Error& e) {
        if (use == Use::InBatch) throw;
        op->refusal = e.what();
    }
    return op;
}

std::shared_ptr<detail::PreparedCommand> AsyncRedisCluster::prepare(std::span<const std::string_view> args) const {
    return impl_->prepare(args, Impl::Use::Alone);
}

std::shared_ptr<detail::PreparedCommand> AsyncRedisCluster::claim(std::shared_ptr<detail::PreparedCommand> prepared) {
    if (!prepared->launched) {
        prepared->launched = true;
        return prepared;
    }
    // The same deferred operation launched again: a fresh copy, since the
    // first may still be running.
    auto again = new_operation();
    again->packed.assign(prepared->packed.view());
    again->facts = prepared->facts;
    again->refusal = prepared->refusal;
    again->split = prepared->split;
    again->block = prepared->block;
    again->recorded_slot = prepared->recorded_slot;
    again->launched = true;
    return again;
}

void* AsyncRedisCluster::completion_space(detail::PreparedCommand& op, std::size_t size, std::size_t alignment) noexcept {
    if (size > op.completion_space.size() || alignment > alignof(std::max_align_t)) return nullptr;
    return op.completion_space.data();
}

void AsyncRedisCluster::start(const std::weak_ptr<Impl>& weak, const executor_type& executor,
                              std::shared_ptr<detail::PreparedCommand> command, detail::CompletionPtr completion) {
    auto op = std::move(command);
    op->completion = std::move(completion);
    auto impl = weak.lock();
    if (!impl) {
        // The client is gone: nothing will ever run this.
        if (op->completion->on_client_executor()) {
            ::asio::post(executor, [op] { op->completion->invoke(::asio::error::operation_aborted, Reply()); });
        } else {
            op->completion->complete(::asio::error::operation_aborted, Reply());
        }
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
    impl->enqueue(std::move(op));
}

}  // namespace rediscluster::asio
