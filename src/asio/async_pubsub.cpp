// AsyncPubSub: a blocking PubSub, its messages handed to waiting receives
// on the client's executor.
//
// The PubSub's reader thread rings a doorbell after each batch it queued;
// when receives are waiting, one pump is posted to the executor, which
// takes messages with get_message(0) and completes the receives in order.
// The reader thread never holds the state (it could be the last owner,
// and destroying the state joins that very thread): the doorbell holds a
// plain pointer, cleared under its lock before the state goes.

#include "rediscluster/asio/async_pubsub.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>

#include "client_impl.hpp"

namespace rediscluster::asio {

struct AsyncPubSub::State : std::enable_shared_from_this<State> {
    struct Doorbell {
        std::mutex mutex;
        State* state = nullptr;  // guarded by mutex
    };

    State(std::shared_ptr<ClusterConnectionPool> pool, PubSubOptions options, AsyncRedisCluster::executor_type io)
        : pubsub(std::move(pool), options), executor(std::move(io)), doorbell(std::make_shared<Doorbell>()) {
        doorbell->state = this;
        pubsub.on_messages_queued([bell = doorbell] {
            std::lock_guard lock(bell->mutex);
            if (bell->state != nullptr) bell->state->messages_queued();
        });
    }
    ~State() {
        {
            std::lock_guard lock(doorbell->mutex);
            doorbell->state = nullptr;
        }
        close();
    }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    // On the reader thread: a pump, when receives wait and none is posted.
    void messages_queued() {
        {
            std::lock_guard lock(mutex);
            if (closed || waiters.empty() || pump_posted) return;
            pump_posted = true;
        }
        ::asio::post(executor, [weak = weak_from_this()] {
            if (auto self = weak.lock()) self->pump();
        });
    }

    // Hands queued messages to the waiting receives, in order.
    void pump() {
        for (;;) {
            std::unique_ptr<detail::MessageWaiter> waiter;
            std::optional<PubSubMessage> message;
            {
                std::lock_guard lock(mutex);
                pump_posted = false;
                if (closed || waiters.empty()) return;
                message = pubsub.get_message(std::chrono::milliseconds(0));
                if (!message) return;
                waiter = std::move(waiters.front());
                waiters.pop_front();
            }
            hand_over(*waiter, {}, std::move(*message));
        }
    }

    void receive(std::unique_ptr<detail::MessageWaiter> waiter) {
        std::unique_lock lock(mutex);
        if (closed) {
            lock.unlock();
            waiter->complete(::asio::error::operation_aborted, {});
            return;
        }
        // One already queued goes at once, unless others wait first.
        if (waiters.empty()) {
            if (auto message = pubsub.get_message(std::chrono::milliseconds(0))) {
                lock.unlock();
                waiter->complete({}, std::move(*message));
                return;
            }
        }
        if (auto slot = waiter->cancellation_slot(); slot.is_connected()) {
            slot.assign([weak = weak_from_this(), raw = waiter.get()](::asio::cancellation_type) {
                if (auto self = weak.lock()) self->cancel(raw);
            });
        }
        waiters.push_back(std::move(waiter));
    }

    // From the receive's cancellation slot: it ends, and no message is lost.
    void cancel(detail::MessageWaiter* raw) {
        std::unique_ptr<detail::MessageWaiter> cancelled;
        {
            std::lock_guard lock(mutex);
            const auto found = std::find_if(waiters.begin(), waiters.end(),
                                            [raw](const auto& waiter) { return waiter.get() == raw; });
            if (found == waiters.end()) return;
            cancelled = std::move(*found);
            waiters.erase(found);
        }
        // Not cleared: this runs inside the slot's own handler.
        cancelled->complete(::asio::error::operation_aborted, {});
    }

    void close() {
        std::deque<std::unique_ptr<detail::MessageWaiter>> ended;
        {
            std::lock_guard lock(mutex);
            closed = true;
            ended.swap(waiters);
        }
        pubsub.close();
        for (auto& waiter : ended) hand_over(*waiter, ::asio::error::operation_aborted, {});
    }

    // Completes a receive taken out of the queue, its cancellation slot
    // cleared first (the slot's handler names it by address).
    static void hand_over(detail::MessageWaiter& waiter, std::error_code code, PubSubMessage message) {
        if (auto slot = waiter.cancellation_slot(); slot.is_connected()) slot.clear();
        waiter.complete(code, std::move(message));
    }

    PubSub pubsub;
    AsyncRedisCluster::executor_type executor;
    std::shared_ptr<Doorbell> doorbell;
    std::mutex mutex;
    std::deque<std::unique_ptr<detail::MessageWaiter>> waiters;  // guarded by mutex
    bool closed = false;                                         // guarded by mutex
    bool pump_posted = false;                                    // guarded by mutex
};

AsyncPubSub::AsyncPubSub(std::shared_ptr<State> state, AsyncRedisCluster::executor_type executor,
                         std::weak_ptr<AsyncRedisCluster::Impl> client)
    : state_(std::move(state)), executor_(std::move(executor)), client_(std::move(client)) {}
AsyncPubSub::AsyncPubSub(AsyncPubSub&&) noexcept = default;
AsyncPubSub& AsyncPubSub::operator=(AsyncPubSub&& other) noexcept {
    if (this != &other) {
        if (state_) state_->close();
        state_ = std::move(other.state_);
        executor_ = std::move(other.executor_);
        client_ = std::move(other.client_);
    }
    return *this;
}
AsyncPubSub::~AsyncPubSub() {
    if (state_) state_->close();
}

void AsyncPubSub::close() { state_->close(); }

namespace {

std::vector<std::string> to_strings(std::initializer_list<std::string_view> names) {
    return {names.begin(), names.end()};
}

}  // namespace

void AsyncPubSub::unsubscribe(Channels channels) { state_->pubsub.unsubscribe(to_strings(channels)); }
void AsyncPubSub::punsubscribe(Channels patterns) { state_->pubsub.punsubscribe(to_strings(patterns)); }
void AsyncPubSub::sunsubscribe(Channels channels) { state_->pubsub.sunsubscribe(to_strings(channels)); }
std::uint64_t AsyncPubSub::dropped() const { return state_->pubsub.dropped(); }
std::vector<std::string> AsyncPubSub::channels() const { return state_->pubsub.channels(); }
std::vector<std::string> AsyncPubSub::patterns() const { return state_->pubsub.patterns(); }
std::vector<std::string> AsyncPubSub::shard_channels() const { return state_->pubsub.shard_channels(); }

void AsyncPubSub::receive(const std::shared_ptr<State>& state, std::unique_ptr<detail::MessageWaiter> waiter) {
    state->receive(std::move(waiter));
}

std::shared_ptr<detail::PreparedCommand> AsyncPubSub::subscribe_step(Subscription kind,
                                                                     std::span<const std::string_view> names) {
    static constexpr std::string_view kNames[] = {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"};
    std::vector<std::string_view> command{kNames[static_cast<int>(kind)]};
    command.insert(command.end(), names.begin(), names.end());
    auto step = new_operation();
    step->packed.encode(command);
    step->pinned = [state = state_, kind, names = std::vector<std::string>(names.begin(), names.end())]()
        -> StepOutcome {
        try {
            switch (kind) {
                case Subscription::channels: state->pubsub.subscribe(names); break;
                case Subscription::patterns: state->pubsub.psubscribe(names); break;
                case Subscription::shard_channels: state->pubsub.ssubscribe(names); break;
            }
        } catch (...) {
            return outcome_of(std::current_exception());
        }
        return {};
    };
    return step;
}

AsyncPubSub AsyncRedisCluster::pubsub(PubSubOptions options) const {
    auto state = std::make_shared<AsyncPubSub::State>(connection_pool(), options, executor_);
    return AsyncPubSub(std::move(state), executor_, impl_);
}

}  // namespace rediscluster::asio
