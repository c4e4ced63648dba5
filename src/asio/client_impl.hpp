#pragma once

// The asynchronous client's insides, shared by its files: one operation
// (a command, a pipeline's part, a transaction's block) from its start to
// its completion, the table that finds operations by id, and the client's
// state on its strand.

#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "node_connection.hpp"
#include "recycling_allocator.hpp"
#include "detail/client_core.hpp"
#include "detail/command_fsm.hpp"
#include "rediscluster/asio/async_cluster.hpp"

namespace rediscluster::asio {

namespace core = rediscluster::detail;

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

// --- one command -----------------------------------------------------------------

// What a command needs only once an attempt has failed: the state machine
// that decides the retries, and what the failure was. A command that
// succeeds at its first attempt never makes one. The machine is then
// started at the command's start and told of that first attempt, so it
// decides exactly as if it had run from the start (its first action is
// always "send by the slot map", and a reply that is the command's own
// answer always ends it).
// (`name` views the operation's encoding, which outlives this.)
struct Retrying {
    Retrying(std::optional<std::uint16_t> slot, std::string_view name, const core::RetryLimits& limits,
             std::optional<std::chrono::milliseconds> budget, core::Clock::time_point started)
        : machine(slot, name, limits, budget, started) {
        action = machine.resume({.kind = core::CommandEvent::Kind::Start});  // the first attempt, already made
    }

    core::CommandMachine machine;
    core::CommandAction action;

    // What the last failed attempt was, for the event and the final error.
    NodeInfo node;
    bool has_node = false;
    bool by_reply = false;
    core::Failure failure = core::Failure::Fatal;
    std::string description;
    std::optional<HostPort> redirect;
    Reply reply;  // the error reply, when by_reply
    std::optional<::asio::steady_timer> timer;

    core::CommandEvent failed_event() const {
        return {.kind = core::CommandEvent::Kind::Failed,
                .now = core::Clock::now(),
                .failure = failure,
                .description = description,
                .node = has_node ? &node : nullptr,
                .redirect = redirect};
    }
};

// A command's encoding: inside the operation when it is short (most
// are), on the heap otherwise.
class PackedCommand {
public:
    /// Encodes `args` (args[0] is the name) as a RESP array of bulk strings.
    void encode(std::span<const std::string_view> args) {
        std::size_t size = 1 + digits(args.size()) + 2;
        for (const auto arg : args) size += 1 + digits(arg.size()) + 2 + arg.size() + 2;
        if (size > kInline) {
            heap_.clear();
            encode_array_header(heap_, args.size());
            for (const auto arg : args) encode_bulk(heap_, arg);
            size_ = heap_.size();
            return;
        }
        // Short: written in place, no allocation and no copy.
        char* out = inline_.data();
        out = header(out, '*', args.size());
        for (const auto arg : args) {
            out = header(out, '$', arg.size());
            std::memcpy(out, arg.data(), arg.size());
            out += arg.size();
            *out++ = '\r';
            *out++ = '\n';
        }
        size_ = size;
    }
    void assign(std::string_view text) {
        size_ = text.size();
        if (size_ <= kInline) {
            std::memcpy(inline_.data(), text.data(), size_);
        } else {
            heap_.assign(text);
        }
    }
    [[nodiscard]] std::string_view view() const noexcept {
        return size_ <= kInline ? std::string_view(inline_.data(), size_) : std::string_view(heap_);
    }
    /// The first argument (the command's name), read from the encoding.
    [[nodiscard]] std::string_view first_argument() const noexcept {
        const auto text = view();
        const auto dollar = text.find('$');
        if (dollar == std::string_view::npos) return {};
        std::size_t length = 0;
        std::size_t at = dollar + 1;
        for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) length = length * 10 + static_cast<std::size_t>(text[at] - '0');
        return text.substr(std::min(at + 2, text.size()), length);
    }

private:
    static constexpr std::size_t kInline = 80;
    static std::size_t digits(std::size_t value) noexcept {
        std::size_t count = 1;
        while (value >= 10) {
            value /= 10;
            ++count;
        }
        return count;
    }
    static char* header(char* out, char kind, std::size_t value) noexcept {
        *out++ = kind;
        out = std::to_chars(out, out + 20, value).ptr;
        *out++ = '\r';
        *out++ = '\n';
        return out;
    }

    std::array<char, kInline> inline_{};
    std::size_t size_ = 0;
    std::string heap_;
};

// What an operation run by the blocking driver ends with.
struct StepOutcome {
    std::error_code code;
    Reply reply;
};

// One command, from async_execute() to its completion.
struct detail::PreparedCommand {
    std::uint64_t id = 0;
    PackedCommand packed;
    core::CommandFacts facts;
    // Refused before anything was sent (bad arguments): why. Empty otherwise.
    std::string refusal;
    // A multi-key command whose keys span slots: run as one part per slot.
    bool split = false;
    // A transaction's MULTI ... EXEC block: its replies (MULTI's, one per
    // command, EXEC's), which come back as one array. 0 for a command.
    std::size_t block = 0;
    // A step of a transaction that holds a connection of its own (its
    // WATCH, a command run at once, its EXEC): run by the blocking driver
    // on a thread of its own. Empty for anything else.
    std::function<StepOutcome()> pinned;

    /// The command's name, for the messages (a block is named after its
    /// EXEC); a view of its encoding.
    [[nodiscard]] std::string_view name() const noexcept { return block > 0 ? "EXEC" : packed.first_argument(); }
    // Handed to the client once: a deferred operation launched again is
    // run from a copy.
    bool launched = false;
    bool done = false;
    // The slot a MOVED is recorded against: the keys' slot; none for a
    // slot that only picks a shard (see the blocking driver's recorded_slot()).
    std::optional<std::uint16_t> recorded_slot;
    core::Clock::time_point started;
    // The handler's completion, made in completion_space when it fits (it
    // is destroyed first: declared after it).
    static constexpr std::size_t kCompletionSpace = 192;
    alignas(std::max_align_t) std::array<std::byte, kCompletionSpace> completion_space;
    detail::CompletionPtr completion;
    // Where it waits now: a connection's queue or backlog (or nowhere).
    // Not owning: a connection with a command in it is not idle, and only
    // idle connections are let go (or all of them, once every command is
    // finished).
    NodeConnection* connection = nullptr;
    std::unique_ptr<Retrying> retrying;
    // Its outcome, from finish() until its handler is called.
    std::error_code code;
    Reply outcome;
};

using AsyncOperation = detail::PreparedCommand;

/// A new operation, its memory recycled (recycling_allocator.hpp).
inline std::shared_ptr<AsyncOperation> new_operation() {
    return std::allocate_shared<AsyncOperation>(RecyclingAllocator<AsyncOperation>());
}

// The operations on the strand, found by id without hashing: an id's low
// 32 bits are its place in the table, its high bits a sequence number, so
// an id whose command has finished (a late reply, a cancellation) finds
// nothing even when the place is taken again.
class OperationTable {
public:
    /// Gives `op` an id and a place.
    void add(const std::shared_ptr<AsyncOperation>& op) {
        std::uint32_t place = 0;
        if (!free_.empty()) {
            place = free_.back();
            free_.pop_back();
        } else {
            place = static_cast<std::uint32_t>(places_.size());
            places_.emplace_back();
        }
        op->id = (next_sequence() << 32) | place;
        places_[place] = op;
    }
    /// The operation with `id`, or nullptr.
    [[nodiscard]] const std::shared_ptr<AsyncOperation>* find(std::uint64_t id) const {
        const auto place = static_cast<std::uint32_t>(id);
        if (place >= places_.size() || !places_[place] || places_[place]->id != id) return nullptr;
        return &places_[place];
    }
    /// Takes `op` out of the table: the table's reference to it, or
    /// nullptr when it is not there. (`op` may be that very reference.)
    std::shared_ptr<AsyncOperation> take(const AsyncOperation& op) {
        const auto place = static_cast<std::uint32_t>(op.id);
        if (place >= places_.size() || !places_[place] || places_[place]->id != op.id) return nullptr;
        free_.push_back(place);
        return std::move(places_[place]);
    }
    /// An id that is never any operation's (the connections' handshakes).
    std::uint64_t id_of_no_operation() { return (next_sequence() << 32) | kNoPlace; }
    /// Every operation left, the table emptied.
    std::vector<std::shared_ptr<AsyncOperation>> take_all() {
        std::vector<std::shared_ptr<AsyncOperation>> all;
        for (auto& op : places_) {
            if (op) all.push_back(std::move(op));
        }
        places_.clear();
        free_.clear();
        return all;
    }

private:
    static constexpr std::uint32_t kNoPlace = 0xFFFFFFFF;
    std::uint64_t next_sequence() { return sequence_++ & 0xFFFFFFFF; }

    std::vector<std::shared_ptr<AsyncOperation>> places_;
    std::vector<std::uint32_t> free_;
    std::uint64_t sequence_ = 1;
};

// --- the client --------------------------------------------------------------------

// What a command the blocking driver ran completes with: its reply (an
// error reply of its own is error::response), or, when the driver gave up
// (`failure`), the code and message of that failure.
StepOutcome outcome_of(const std::optional<core::CommandFailure>& failure, Reply reply);
StepOutcome outcome_of(const core::CommandFailure& failure, Reply reply);
// The code and message of an exception of the blocking layer.
StepOutcome outcome_of(const std::exception_ptr& thrown);

// What EXEC's reply makes of a transaction (`queued`: what each command
// got when queued): its results (error::response when one is an error
// reply), EXECABORT (nothing ran: error::response and the queued replies),
// or a watch that fired (error::not_executed).
StepOutcome exec_outcome(Reply exec, std::vector<Reply> queued);

// Whether `executor`'s context promises to be run by one thread: an
// io_context made with concurrency hint 1 (or with an unlocked scheduler).
bool runs_on_one_thread(const ::asio::any_io_executor& executor);

struct AsyncRedisCluster::Impl : std::enable_shared_from_this<Impl>, NodeConnection::Owner {
    Impl(const executor_type& client_executor, RedisClusterOptions& options, AsyncOptions async,
         std::shared_ptr<TlsClientContext> tls_context)
        : executor(client_executor),
          strand(::asio::make_strand(client_executor)),
          one_thread(runs_on_one_thread(client_executor)),
          tls(std::move(tls_context)),
          pool(core::make_client_pool(options)),
          client(std::make_shared<core::ClientCore>(pool, options)),
          read_from_replicas(options.read_from_replicas),
          async_options(async) {
        limits.cluster_down_retry_attempts = options.cluster_down_retry_attempts;
        limits.retry_on_timeout = pool->options().connection_kwargs.retry_on_timeout;
        command_timeout =
            options.command_timeout ? options.command_timeout : pool->options().connection_kwargs.socket_timeout;
    }

    executor_type executor;
    ::asio::strand<executor_type> strand;
    // The executor is run by one thread only: then holding the strand
    // while handlers run keeps nothing else from running, and the
    // handlers of a read's replies are called from the read's handler.
    bool one_thread;
    // Every connection's TLS settings (one context for the client); null
    // for plain TCP.
    std::shared_ptr<TlsClientContext> tls;
    std::shared_ptr<ClusterConnectionPool> pool;
    // The blocking client's core: its catalog routes commands, its
    // background refresher re-discovers the topology, and its driver runs
    // the commands the async driver does not carry yet.
    std::shared_ptr<core::ClientCore> client;
    std::shared_ptr<BlockingWork> blocking_work = std::make_shared<BlockingWork>();
    core::RetryLimits limits;
    std::optional<std::chrono::milliseconds> command_timeout;
    bool read_from_replicas = false;
    AsyncOptions async_options;

    // Commands started from any thread, taken onto the strand by one
    // handler for all that came meanwhile (not one post each).
    std::mutex inbox_mutex;
    std::vector<std::shared_ptr<AsyncOperation>> inbox;  // guarded by inbox_mutex
    bool inbox_drain_posted = false;                     // guarded by inbox_mutex

    // Strand only, from here on.
    bool closed = false;
    OperationTable operations;
    std::vector<std::shared_ptr<AsyncOperation>> starting;  // the inbox being drained
    core::Clock::time_point drain_time;
    // While draining, connections are written once at the end: those that
    // owe a write. (Not owning: a connection with queued commands is not
    // let go.)
    bool draining = false;
    std::vector<NodeConnection*> owing_flush;
    std::unordered_map<std::string, std::shared_ptr<NodeConnection>> connections;  // by "host:port"
    // The slot map as last read, and each slot's master's connection under
    // it (nullptr: not looked up yet). Read again at every drain of the
    // inbox and before every retry, so a new map is followed within a turn.
    std::shared_ptr<const SlotTable> table;
    std::vector<NodeConnection*> connection_by_slot = std::vector<NodeConnection*>(kSlotCount, nullptr);
    // Commands waiting for the discovery under way (a node that fails
    // fails many commands at once: they share one discovery, one thread).
    std::vector<std::shared_ptr<AsyncOperation>> awaiting_refresh;
    // Commands finished whose handlers are on the client's executor,
    // called from one handler posted for all of them.
    std::vector<std::shared_ptr<AsyncOperation>> outbox;

    // --- NodeConnection::Owner ---
    std::uint64_t new_id() override { return operations.id_of_no_operation(); }
    void on_reply(std::uint64_t id, Reply&& reply, const NodeInfo& node) override;
    void on_failure(std::uint64_t id, core::Failure failure, const NodeInfo& node, std::string_view description) override;
    void replies_handed_over() override;

    // Where a command is prepared for: alone (a refusal is carried to its
    // start, a command over several slots is split), or in a pipeline or
    // transaction (refused by throwing, never split).
    enum class Use { Alone, InBatch };
    std::shared_ptr<AsyncOperation> prepare(std::span<const std::string_view> args, Use use);
    void enqueue(std::shared_ptr<AsyncOperation> op);
    void enqueue_all(std::vector<std::shared_ptr<AsyncOperation>>& ops);
    // A drain of the inbox, once inbox_drain_posted was set: posted, or
    // after the handlers this thread is calling for this client.
    void request_drain();
    // Calls the handlers of finished commands, in order, on the client's
    // executor (see flush_outbox()).
    void call_handlers(std::vector<std::shared_ptr<AsyncOperation>>& batch, std::size_t first);
    void drain_inbox();
    void start(const std::shared_ptr<AsyncOperation>& op);
    void send_first(const std::shared_ptr<AsyncOperation>& op);
    void failed(const std::shared_ptr<AsyncOperation>& op);
    void resume(const std::shared_ptr<AsyncOperation>& op, const core::CommandEvent& event) {
        if (op->done) return;
        op->retrying->action = op->retrying->machine.resume(event);
        perform(op);
    }
    void perform(const std::shared_ptr<AsyncOperation>& op);
    void send(const std::shared_ptr<AsyncOperation>& op);
    Retrying& retrying(AsyncOperation& op);
    bool judge_reply(AsyncOperation& op, Reply& reply, const NodeInfo& node);
    // A MULTI ... EXEC block's replies: true when it must go again (the
    // failure is in op.retrying); otherwise `reply` and `code` are its
    // outcome.
    bool judge_block(AsyncOperation& op, Reply& reply, const NodeInfo& node, std::error_code& code);
    void run_elsewhere(const std::shared_ptr<AsyncOperation>& op);
    // Runs `work` on a thread of its own, and finishes `op` with its
    // outcome on the strand.
    void run_on_thread(const std::shared_ptr<AsyncOperation>& op, std::function<StepOutcome()> work);
    void refresh_then_resume(const std::shared_ptr<AsyncOperation>& op);
    void cancel(const std::shared_ptr<AsyncOperation>& op);
    void finish(const std::shared_ptr<AsyncOperation>& op, std::error_code code, Reply reply);
    void flush_outbox();
    void shutdown();
    void read_table();
    [[nodiscard]] NodeInfo target_node(const AsyncOperation& op, const core::CommandAction* action);
    NodeConnection* connection_to(const NodeInfo& node);
    void forget_departed_nodes();
    // Keeps the client's context from running out of work while a thread
    // of its own does something the strand waits for.
    [[nodiscard]] auto tracked_work() const {
        return ::asio::prefer(executor, ::asio::execution::outstanding_work.tracked);
    }
};

}  // namespace rediscluster::asio
