// Pipelines and transactions of the asynchronous client. A pipeline's
// commands start as ordinary operations in one drain of the client's
// inbox, so they leave together and each is retried on its own; their
// completions gather the replies. A transaction is one operation whose
// command is the MULTI ... EXEC block (see Impl::judge_block).

#include "rediscluster/asio/async_batch.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>

#include "client_impl.hpp"
#include "detail/batch_rules.hpp"
#include "detail/encoded_commands.hpp"
#include "detail/transaction_state.hpp"

namespace rediscluster::asio {

// A transaction that holds a connection of its own, from its first
// watch or command run at once to its EXEC: the blocking Transaction's
// state, whose steps the blocking driver runs one at a time.
struct detail::PinnedSession {
    PinnedSession(std::shared_ptr<core::ClientCore> client, std::uint16_t slot) : state(std::move(client), slot) {}

    // Runs one step on the transaction's state, alone, while it is open.
    template <class Step>
    StepOutcome run(Step step) {
        std::lock_guard lock(mutex);
        state.check_open();
        return step(state);
    }

    std::mutex mutex;
    core::TransactionState state;
};

struct detail::PreparedBatch {
    enum class Kind { Pipeline, Transaction };
    Kind kind = Kind::Pipeline;
    std::uint16_t slot = 0;  // a transaction's
    std::vector<std::shared_ptr<AsyncOperation>> commands;
    std::shared_ptr<PinnedSession> session;  // a transaction's, once it watches or ran a command at once
};

namespace {

using detail::PinnedSession;
using detail::PreparedBatch;

// A pipeline under way: the replies as they come, and the handler that
// gets them all once the last command is finished.
class PipelineRun {
public:
    PipelineRun(std::size_t size, detail::CompletionPtr completion)
        : replies_(size), codes_(size), remaining_(size), completion_(std::move(completion)) {}

    // Command `index` finished; the last one completes the pipeline. Runs
    // on the client's executor (possibly on several threads at once).
    void finish(std::size_t index, std::error_code code, Reply&& reply) {
        if (code && !reply.is_error()) reply = Reply::error(code.message());  // cancelled: no text of its own
        replies_[index] = std::move(reply);
        codes_[index] = code;
        if (remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
        const auto failed = std::find_if(codes_.begin(), codes_.end(), [](std::error_code c) { return bool(c); });
        const std::error_code first = failed == codes_.end() ? std::error_code() : *failed;
        if (auto slot = completion_->cancellation_slot(); slot.is_connected()) slot.clear();
        auto all = Reply::array(std::move(replies_));
        if (completion_->on_client_executor()) {
            completion_->invoke(first, std::move(all));
        } else {
            completion_->complete(first, std::move(all));
        }
    }

private:
    std::vector<Reply> replies_;
    std::vector<std::error_code> codes_;
    std::atomic<std::size_t> remaining_;
    detail::CompletionPtr completion_;
};

// The completion of one command of a pipeline: hands its reply to the run.
class PipelinePart final : public detail::Completion {
public:
    PipelinePart(std::shared_ptr<PipelineRun> run, std::size_t index) : run_(std::move(run)), index_(index) {
        on_client_executor_ = true;
    }
    void complete(std::error_code code, Reply reply) override { invoke(code, std::move(reply)); }
    void invoke(std::error_code code, Reply reply) override { run_->finish(index_, code, std::move(reply)); }
    [[nodiscard]] ::asio::cancellation_slot cancellation_slot() const noexcept override { return {}; }

private:
    std::shared_ptr<PipelineRun> run_;
    std::size_t index_;
};

// Completes `completion` at once (an empty batch, or a client that is
// gone), never from inside the call that launched it.
void complete_soon(const AsyncRedisCluster::executor_type& executor, detail::CompletionPtr completion,
                   std::error_code code) {
    if (!completion->on_client_executor()) {
        completion->complete(code, Reply::array({}));
        return;
    }
    ::asio::post(executor, [completion = std::make_shared<detail::CompletionPtr>(std::move(completion)), code] {
        (*completion)->invoke(code, Reply::array({}));
    });
}

// A transaction's block: MULTI, the commands and EXEC as one command of
// the client, on the transaction's slot.
std::shared_ptr<AsyncOperation> make_block(const PreparedBatch& batch) {
    using rediscluster::detail::kExec;
    using rediscluster::detail::kMulti;
    std::string text(kMulti);
    for (const auto& command : batch.commands) text.append(command->packed.view());
    text.append(kExec);
    auto block = new_operation();
    block->packed.assign(text);
    block->facts.target = core::CommandRoute::Target::Slot;
    block->facts.slot = batch.slot;
    block->block = batch.commands.size() + 2;
    return block;
}

// A transaction's EXEC over its own connection: the blocking driver's
// exec(), which also takes the watch along redirects, then the connection
// given up whatever the outcome.
std::shared_ptr<AsyncOperation> make_pinned_exec(const PreparedBatch& batch) {
    auto queued = std::make_shared<core::Request>();
    for (const auto& command : batch.commands) {
        queued->add_encoded(command->packed.view(), command->name(), command->facts);
    }
    auto exec = new_operation();
    exec->packed.assign(rediscluster::detail::kExec);
    exec->pinned = [session = batch.session, queued] {
        return session->run([&](core::TransactionState& state) -> StepOutcome {
            Reply reply;
            std::vector<Reply> queued_replies;
            if (const auto failure = state.exec(*queued, reply, queued_replies)) {
                return outcome_of(*failure, std::move(reply));
            }
            return exec_outcome(std::move(reply), std::move(queued_replies));
        });
    };
    return exec;
}

}  // namespace

// --- the queue ---------------------------------------------------------------------

namespace detail {

BatchQueue::BatchQueue(const AsyncRedisCluster& client, std::shared_ptr<PreparedBatch> batch)
    : client_(client.impl_), executor_(client.executor_), batch_(std::move(batch)) {}
BatchQueue::BatchQueue(BatchQueue&&) noexcept = default;
BatchQueue& BatchQueue::operator=(BatchQueue&&) noexcept = default;
BatchQueue::~BatchQueue() = default;

std::size_t BatchQueue::size() const noexcept { return batch_->commands.size(); }
void BatchQueue::reset() noexcept { batch_->commands.clear(); }

void BatchQueue::add(std::span<const std::string_view> args) {
    auto client = client_.lock();
    if (!client) throw RedisClusterException("the AsyncRedisCluster of this pipeline or transaction is gone");
    auto command = client->prepare(args, AsyncRedisCluster::Impl::Use::InBatch);
    if (batch_->kind == PreparedBatch::Kind::Pipeline) {
        rediscluster::detail::check_pipelined(command->facts, args[0]);
    } else {
        // MULTI, EXEC, WATCH... are refused by the routing table already.
        rediscluster::detail::check_in_transaction(command->facts, args[0], batch_->slot, false);
    }
    batch_->commands.push_back(std::move(command));
}

std::shared_ptr<PreparedCommand> BatchQueue::watch_step(std::span<const std::string_view> keys) {
    rediscluster::detail::check_watched_keys(keys, batch_->slot);
    auto session = pinned_session();
    auto step = new_operation();
    std::vector<std::string_view> watch{"WATCH"};
    watch.insert(watch.end(), keys.begin(), keys.end());
    step->packed.encode(watch);
    step->pinned = [session, keys = std::vector<std::string>(keys.begin(), keys.end())] {
        return session->run([&](core::TransactionState& state) -> StepOutcome {
            state.pinned.watched.insert(state.pinned.watched.end(), keys.begin(), keys.end());
            Reply reply;
            if (const auto failure = state.core->driver().watch(state.pinned, reply)) {
                return outcome_of(*failure, std::move(reply));
            }
            return {};
        });
    };
    return step;
}

std::shared_ptr<PreparedCommand> BatchQueue::now_step(std::span<const std::string_view> args) {
    auto session = pinned_session();
    auto command = std::make_shared<core::Request>();
    command->add(args, session->state.analyse(args, true));
    auto step = new_operation();
    step->packed.assign(command->packed(0));
    step->pinned = [session, command] {
        return session->run([&](core::TransactionState& state) {
            Reply reply;
            const auto failure = state.core->driver().run_pinned(state.pinned, *command, 0, reply);
            return outcome_of(failure, std::move(reply));
        });
    };
    return step;
}

std::shared_ptr<PinnedSession> BatchQueue::pinned_session() {
    if (!batch_->session) {
        auto client = client_.lock();
        if (!client) throw RedisClusterException("the AsyncRedisCluster of this transaction is gone");
        batch_->session = std::make_shared<PinnedSession>(client->client, batch_->slot);
    }
    return batch_->session;
}

std::shared_ptr<PreparedBatch> BatchQueue::take() {
    auto next = std::make_shared<PreparedBatch>();
    next->kind = batch_->kind;
    next->slot = batch_->slot;
    return std::exchange(batch_, std::move(next));
}

}  // namespace detail

// --- the client's side ----------------------------------------------------------------

AsyncPipeline AsyncRedisCluster::pipeline() const {
    return AsyncPipeline(*this, std::make_shared<detail::PreparedBatch>());
}

AsyncTransaction AsyncRedisCluster::transaction(std::string_view key_or_hash_tag) const {
    auto batch = std::make_shared<detail::PreparedBatch>();
    batch->kind = detail::PreparedBatch::Kind::Transaction;
    batch->slot = key_slot(key_or_hash_tag);
    return AsyncTransaction(*this, std::move(batch));
}

void AsyncRedisCluster::start_batch(const std::weak_ptr<Impl>& weak, const executor_type& executor,
                                    std::shared_ptr<detail::PreparedBatch> batch, detail::CompletionPtr completion) {
    auto impl = weak.lock();
    if (!impl) {
        complete_soon(executor, std::move(completion), ::asio::error::operation_aborted);
        return;
    }
    if (batch->session) {
        start(weak, executor, make_pinned_exec(*batch), std::move(completion));
        return;
    }
    if (batch->commands.empty()) {
        complete_soon(executor, std::move(completion), {});
        return;
    }
    if (batch->kind == detail::PreparedBatch::Kind::Transaction) {
        start(weak, executor, make_block(*batch), std::move(completion));
        return;
    }
    // A pipeline: its commands, each a fresh operation when the batch is
    // launched again (a deferred operation), complete into one run.
    auto cancellation = completion->cancellation_slot();
    auto run = std::make_shared<PipelineRun>(batch->commands.size(), std::move(completion));
    std::vector<std::shared_ptr<AsyncOperation>> parts;
    parts.reserve(batch->commands.size());
    for (std::size_t i = 0; i < batch->commands.size(); ++i) {
        auto part = claim(batch->commands[i]);
        part->completion = detail::CompletionPtr(new (part->completion_space.data()) PipelinePart(run, i), true);
        parts.push_back(std::move(part));
    }
    if (cancellation.is_connected()) {
        // Cancelling the pipeline cancels each command not yet finished.
        std::vector<std::weak_ptr<AsyncOperation>> targets(parts.begin(), parts.end());
        cancellation.assign([targets = std::move(targets), weak, strand = impl->strand](::asio::cancellation_type) {
            ::asio::post(strand, [targets, weak] {
                auto client = weak.lock();
                if (!client) return;
                for (const auto& target : targets) {
                    if (auto op = target.lock()) client->cancel(op);
                }
            });
        });
    }
    impl->enqueue_all(parts);
}

}  // namespace rediscluster::asio
