// PubSub: the facade, and the reader thread that carries the subscription
// book's commands and the nodes' frames. Every decision about where a
// subscription goes, and what an answer means for it, is the book's
// (detail/subscription_book.hpp); this file only moves bytes, keeps time
// and hands messages over.

#include "rediscluster/pubsub.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <thread>

#include "detail/ascii.hpp"
#include "detail/classify.hpp"
#include "detail/pubsub_frame.hpp"
#include "detail/subscription_book.hpp"
#include "rediscluster/error_reply.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/pool.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {

using detail::SubscriptionKind;
using Clock = std::chrono::steady_clock;

namespace {

// Retries of subscriptions that could not be made start this soon and
// double up to the cap: soon enough to follow a failover closely, slow
// enough not to hammer a node that is down.
constexpr std::chrono::milliseconds kFirstRetry{50};
constexpr std::chrono::milliseconds kLongestRetry{1000};

std::vector<std::string> to_strings(PubSub::Channels names) { return {names.begin(), names.end()}; }

std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) {
        if (!text.empty()) text += ", ";
        text += name;
    }
    return text;
}

PubSubMessage::Kind message_kind(SubscriptionKind kind) {
    switch (kind) {
        case SubscriptionKind::pattern: return PubSubMessage::Kind::pmessage;
        case SubscriptionKind::shard_channel: return PubSubMessage::Kind::smessage;
        case SubscriptionKind::channel: break;
    }
    return PubSubMessage::Kind::message;
}

// An eventfd that wakes the reader thread out of poll().
class Wakeup {
public:
    Wakeup() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        if (fd_ < 0) throw ConnectionError("PubSub: eventfd failed");
    }
    ~Wakeup() { ::close(fd_); }
    Wakeup(const Wakeup&) = delete;
    Wakeup& operator=(const Wakeup&) = delete;
    void notify() noexcept {
        const std::uint64_t one = 1;
        (void)!::write(fd_, &one, sizeof one);
    }
    void clear() noexcept {
        std::uint64_t count = 0;
        (void)!::read(fd_, &count, sizeof count);
    }
    [[nodiscard]] int fd() const noexcept { return fd_; }

private:
    int fd_;
};

}  // namespace

class PubSub::State {
public:
    State(std::shared_ptr<ClusterConnectionPool> pool, PubSubOptions options)
        : pool_(std::move(pool)), options_(options) {
        if (options_.max_queued_messages == 0) {
            throw RedisClusterConfigError("invalid max_queued_messages 0: at least one message must fit");
        }
        if (options_.health_check_interval.count() < 0) {
            throw RedisClusterConfigError("invalid health_check_interval " +
                                          std::to_string(options_.health_check_interval.count()) +
                                          " ms: must not be negative (zero: never)");
        }
        if (options_.confirm_timeout.count() <= 0) {
            throw RedisClusterConfigError("invalid confirm_timeout " +
                                          std::to_string(options_.confirm_timeout.count()) + " ms: must be positive");
        }
        const auto& socket_timeout = pool_->options().connection_kwargs.socket_timeout;
        ping_timeout_ = socket_timeout ? *socket_timeout : std::chrono::milliseconds(10'000);
    }
    ~State() { close(); }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    void subscribe(SubscriptionKind kind, std::vector<std::string> names);
    void unsubscribe(SubscriptionKind kind, const std::vector<std::string>& names);
    // The next message, unless stop() is called after the caller read
    // `generation` from stop_generation().
    std::optional<PubSubMessage> next_message(std::optional<std::chrono::milliseconds> timeout,
                                              std::uint64_t generation);
    std::uint64_t stop_generation() const;
    void stop();
    void close();

    std::uint64_t dropped() const {
        std::lock_guard lock(mutex_);
        return dropped_total_;
    }
    std::vector<std::string> wanted(SubscriptionKind kind) const {
        std::lock_guard lock(mutex_);
        return book_.wanted_names(kind);
    }
    void on_messages_queued(std::function<void()> ready) {
        std::lock_guard lock(mutex_);
        on_queued_ = std::move(ready);
    }

private:
    // A subscribe() call waiting for its confirmation, told of a refusal.
    struct Waiter {
        SubscriptionKind kind;
        const std::vector<std::string>* names;
        std::exception_ptr error;
    };
    // The reader thread's own: one connection per node in use.
    struct NodeLink {
        NodeInfo node;
        std::unique_ptr<ClusterConnection> connection;
        Clock::time_point last_heard;
        std::optional<Clock::time_point> ping_sent;
    };

    void read_loop();
    void send_planned(Clock::time_point now);
    void check_health(Clock::time_point now);
    void close_unused_links();
    void wait_for_frames(Clock::time_point now);
    void read_all_links();
    void read_frames(NodeLink& link);
    void handle_frame(NodeLink& link, const Reply& reply);
    void handle_refusal(const std::string& node, std::string_view text);
    void link_failed(std::string node, std::exception_ptr error);
    void retry_later(bool refresh);
    NodeLink& link_to(const std::string& endpoint);
    std::optional<std::string> place(SubscriptionKind kind, std::string_view name);
    // Lock held.
    void enqueue(PubSubMessage message);
    // Calls on_queued_, without the lock, when something was queued since
    // the last call.
    void tell_queued();

    const std::shared_ptr<ClusterConnectionPool> pool_;
    const PubSubOptions options_;
    std::chrono::milliseconds ping_timeout_{};

    mutable std::mutex mutex_;
    std::function<void()> on_queued_;  // guarded by mutex_
    bool queued_untold_ = false;       // guarded by mutex_
    std::condition_variable messages_ready_;
    std::condition_variable subscriptions_changed_;
    detail::SubscriptionBook book_;
    std::list<Waiter*> waiters_;
    std::deque<PubSubMessage> queue_;
    std::uint64_t dropped_total_ = 0;
    std::uint64_t dropped_unreported_ = 0;
    std::uint64_t stop_generation_ = 0;
    bool closed_ = false;
    bool shutting_down_ = false;
    std::thread reader_;
    Wakeup wakeup_;

    // Reader thread only.
    std::map<std::string, NodeLink, std::less<>> links_;
    std::map<std::string, NodeInfo, std::less<>> known_nodes_;  // what place() named
    std::optional<std::string> classic_node_;                    // where channels and patterns go
    Clock::time_point retry_at_{};
    std::chrono::milliseconds retry_delay_ = kFirstRetry;
    bool refresh_wanted_ = false;
};

// --- the user's side --------------------------------------------------

void PubSub::State::subscribe(SubscriptionKind kind, std::vector<std::string> names) {
    const auto command = detail::subscription_command(kind, true);
    if (names.empty()) {
        throw DataError(std::string(command) + " needs at least one " +
                        (kind == SubscriptionKind::pattern ? "pattern" : "channel"));
    }
    std::unique_lock lock(mutex_);
    if (closed_) throw RedisClusterException(std::string(command) + ": this PubSub was closed");
    book_.want(kind, names);
    if (!reader_.joinable()) reader_ = std::thread([this] { read_loop(); });
    Waiter waiter{kind, &names, nullptr};
    waiters_.push_back(&waiter);
    wakeup_.notify();
    const bool settled = subscriptions_changed_.wait_for(lock, options_.confirm_timeout, [&] {
        return waiter.error || closed_ || book_.all_active(kind, names);
    });
    waiters_.remove(&waiter);
    if (waiter.error) std::rethrow_exception(waiter.error);
    if (closed_) throw RedisClusterException(std::string(command) + ": this PubSub was closed");
    if (!settled) {
        throw TimeoutError(std::string(command) + " " + joined(names) + ": not confirmed within " +
                           std::to_string(options_.confirm_timeout.count()) +
                           " ms (confirm_timeout); the subscription stays wanted and is retried");
    }
}

void PubSub::State::unsubscribe(SubscriptionKind kind, const std::vector<std::string>& names) {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    // Messages of names no longer wanted are not queued from now on; the
    // nodes are told in the background.
    (void)book_.unwant(kind, names);
    wakeup_.notify();
}

std::uint64_t PubSub::State::stop_generation() const {
    std::lock_guard lock(mutex_);
    return stop_generation_;
}

std::optional<PubSubMessage> PubSub::State::next_message(std::optional<std::chrono::milliseconds> timeout,
                                                         std::uint64_t generation) {
    std::unique_lock lock(mutex_);
    const auto ready = [&] { return !queue_.empty() || stop_generation_ != generation || closed_; };
    if (timeout) {
        messages_ready_.wait_for(lock, *timeout, ready);
    } else {
        messages_ready_.wait(lock, ready);
    }
    if (queue_.empty() || stop_generation_ != generation) return std::nullopt;
    auto message = std::move(queue_.front());
    queue_.pop_front();
    return message;
}

void PubSub::State::stop() {
    std::lock_guard lock(mutex_);
    ++stop_generation_;
    messages_ready_.notify_all();
}

void PubSub::State::close() {
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        closed_ = true;
        shutting_down_ = true;
        messages_ready_.notify_all();
        subscriptions_changed_.notify_all();
    }
    wakeup_.notify();
    // Closing the connections ends every subscription on the servers.
    if (reader_.joinable()) reader_.join();
}

void PubSub::State::enqueue(PubSubMessage message) {
    if (queue_.size() >= options_.max_queued_messages) {
        ++dropped_total_;
        ++dropped_unreported_;
        return;
    }
    if (dropped_unreported_ > 0) {
        PubSubMessage gap;
        gap.kind = PubSubMessage::Kind::dropped;
        gap.dropped = dropped_unreported_;
        dropped_unreported_ = 0;
        queue_.push_back(std::move(gap));
    }
    queue_.push_back(std::move(message));
    queued_untold_ = true;
    messages_ready_.notify_one();
}

void PubSub::State::tell_queued() {
    std::function<void()> ready;
    {
        std::lock_guard lock(mutex_);
        if (!queued_untold_ || !on_queued_) return;
        queued_untold_ = false;
        ready = on_queued_;
    }
    try {
        ready();
    } catch (...) {
        // Its caller's to handle; this thread goes on reading.
    }
}

// --- the reader thread ------------------------------------------------

void PubSub::State::read_loop() {
    while (true) {
        {
            std::lock_guard lock(mutex_);
            if (shutting_down_) break;
        }
        try {
            if (Clock::now() >= retry_at_) send_planned(Clock::now());
            // Everything that has arrived is read before any PING is judged
            // late: a connect or a refresh above may have held this thread
            // for a while, with the answers waiting in the sockets.
            read_all_links();
            check_health(Clock::now());
            close_unused_links();
            tell_queued();
            wait_for_frames(Clock::now());
        } catch (const std::exception&) {
            // Not a failure of one connection (those are handled where they
            // happen) but of this thread's own work, such as memory running
            // out: start every subscription afresh rather than end the thread.
            const auto error = std::current_exception();
            while (!links_.empty()) link_failed(links_.begin()->first, error);
            retry_later(true);
            tell_queued();
        }
    }
    links_.clear();
}

void PubSub::State::read_all_links() {
    for (auto it = links_.begin(); it != links_.end();) {
        auto& link = (it++)->second;  // read_frames may erase the link
        read_frames(link);
    }
}

std::optional<std::string> PubSub::State::place(SubscriptionKind kind, std::string_view name) {
    try {
        NodeInfo node;
        if (kind == SubscriptionKind::shard_channel) {
            node = pool_->nodes.get_master_node_by_slot(key_slot(name));
        } else {
            if (classic_node_) return classic_node_;
            node = pool_->nodes.random_node();
            classic_node_ = node.name;
        }
        known_nodes_[node.name] = node;
        return node.name;
    } catch (const Error&) {
        return std::nullopt;  // no owner known now: tried again after a refresh
    }
}

void PubSub::State::send_planned(Clock::time_point now) {
    if (refresh_wanted_) {
        refresh_wanted_ = false;
        try {
            (void)pool_->nodes.refresh_if_due();
        } catch (const Error&) {
            // The old map stays; the retry after this one refreshes again.
        }
    }
    std::vector<detail::SubscriptionCommand> commands;
    {
        std::lock_guard lock(mutex_);
        commands = book_.plan([this](SubscriptionKind kind, std::string_view name) { return place(kind, name); });
        if (book_.has_unplaced()) retry_later(true);
    }
    std::string packed;
    std::vector<std::string_view> arguments;
    for (const auto& command : commands) {
        packed.clear();
        arguments.assign(1, detail::subscription_command(command.kind, command.subscribe));
        arguments.insert(arguments.end(), command.names.begin(), command.names.end());
        encode_command_range(packed, arguments);
        try {
            auto& link = link_to(command.node);
            link.connection->send_packed_command(packed, 0);
            link.last_heard = std::max(link.last_heard, now);
        } catch (const Error&) {
            link_failed(command.node, std::current_exception());
        }
    }
}

PubSub::State::NodeLink& PubSub::State::link_to(const std::string& endpoint) {
    const auto it = links_.find(endpoint);
    if (it != links_.end()) return it->second;
    const auto& node = known_nodes_.at(endpoint);
    NodeLink link{node, pool_->make_connection(node), Clock::now(), std::nullopt};
    try {
        link.connection->connect();
    } catch (const Error&) {
        pool_->mark_node_failed(node);
        throw;
    }
    return links_.emplace(endpoint, std::move(link)).first->second;
}

void PubSub::State::check_health(Clock::time_point now) {
    if (options_.health_check_interval.count() == 0) return;
    static constexpr std::string_view kPing = "*1\r\n$4\r\nPING\r\n";
    for (auto it = links_.begin(); it != links_.end();) {
        auto& [endpoint, link] = *it++;  // link_failed() erases the link: it takes a copy of the name
        if (link.ping_sent) {
            if (now - *link.ping_sent > ping_timeout_) {
                link_failed(endpoint, std::make_exception_ptr(TimeoutError(
                                          "Timeout reading from " + endpoint + ": no answer to PING within " +
                                          std::to_string(ping_timeout_.count()) + " ms (socket_timeout)")));
            }
            continue;
        }
        if (now - link.last_heard < options_.health_check_interval) continue;
        try {
            link.connection->send_packed_command(kPing, 0);
            link.ping_sent = now;
        } catch (const Error&) {
            link_failed(endpoint, std::current_exception());
        }
    }
}

void PubSub::State::close_unused_links() {
    std::vector<std::string> in_use;
    {
        std::lock_guard lock(mutex_);
        in_use = book_.nodes_in_use();
    }
    for (auto it = links_.begin(); it != links_.end();) {
        if (std::binary_search(in_use.begin(), in_use.end(), it->first)) {
            ++it;
        } else {
            it = links_.erase(it);
        }
    }
}

void PubSub::State::wait_for_frames(Clock::time_point now) {
    std::vector<pollfd> fds;
    fds.push_back({wakeup_.fd(), POLLIN, 0});
    for (const auto& [endpoint, link] : links_) fds.push_back({link.connection->native_handle(), POLLIN, 0});
    // Wake for the next retry and the next health check at the latest.
    auto wait = std::chrono::milliseconds(1000);
    if (retry_at_ > now) {
        wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(retry_at_ - now));
    } else if (refresh_wanted_) {
        wait = std::chrono::milliseconds(0);
    }
    if (options_.health_check_interval.count() > 0 && !links_.empty()) {
        wait = std::min(wait, std::max(options_.health_check_interval / 4, std::chrono::milliseconds(1)));
    }
    (void)::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    if (fds[0].revents != 0) wakeup_.clear();
}

void PubSub::State::read_frames(NodeLink& link) {
    const std::string endpoint = link.node.name;
    Reply frame;
    try {
        while (link.connection->read_available_frame(frame)) {
            link.last_heard = Clock::now();
            link.ping_sent.reset();
            handle_frame(link, frame);
        }
    } catch (const Error&) {
        link_failed(endpoint, std::current_exception());
    }
}

void PubSub::State::handle_frame(NodeLink& link, const Reply& reply) {
    const auto& endpoint = link.node.name;
    const auto frame = detail::read_pubsub_frame(reply, endpoint);
    std::lock_guard lock(mutex_);
    switch (frame.type) {
        case detail::PubSubFrame::Type::message: {
            const auto subscribed_name = frame.kind == SubscriptionKind::pattern ? frame.pattern : frame.channel;
            if (!book_.wanted(frame.kind, subscribed_name)) return;  // unsubscribed since
            PubSubMessage message;
            message.kind = message_kind(frame.kind);
            message.channel = frame.channel;
            message.pattern = frame.pattern;
            message.payload = frame.payload;
            message.node = endpoint;
            enqueue(std::move(message));
            return;
        }
        case detail::PubSubFrame::Type::subscribed:
            if (auto again = book_.on_subscribed(endpoint, frame.kind, frame.channel)) {
                PubSubMessage event;
                event.kind = PubSubMessage::Kind::resubscribed;
                (again->kind == SubscriptionKind::pattern ? event.pattern : event.channel) = again->name;
                event.node = again->node;
                enqueue(std::move(event));
            }
            retry_delay_ = kFirstRetry;
            subscriptions_changed_.notify_all();
            return;
        case detail::PubSubFrame::Type::unsubscribed:
            // Asked or not: a slot that moved away (failover, migration)
            // makes the node drop its shard channels unasked.
            if (book_.on_unsubscribed(endpoint, frame.kind, frame.channel)) {
                refresh_wanted_ = true;
                retry_at_ = Clock::now();
            }
            subscriptions_changed_.notify_all();
            return;
        case detail::PubSubFrame::Type::pong:
            return;
        case detail::PubSubFrame::Type::error:
            handle_refusal(endpoint, frame.payload);
            subscriptions_changed_.notify_all();
            return;
    }
}

void PubSub::State::handle_refusal(const std::string& node, std::string_view text) {
    auto command = book_.on_error(node);
    if (!command) return;  // an answer to a PING, say: nothing to undo
    if (detail::classify_error_reply_text(text)) {
        // MOVED, CLUSTERDOWN...: the cluster is changing; placed again on
        // the newest map.
        retry_later(true);
        return;
    }
    // A refusal that will not change (NOPERM, a syntax error): the names
    // are given up and the callers waiting for them told.
    std::exception_ptr error;
    try {
        throw_error_reply(text, pool_->options().connection_kwargs.host);
    } catch (...) {
        error = std::current_exception();
    }
    book_.give_up(*command);
    for (auto* waiter : waiters_) {
        if (waiter->kind != command->kind) continue;
        for (const auto& name : *waiter->names) {
            if (std::find(command->names.begin(), command->names.end(), name) != command->names.end()) {
                waiter->error = error;
            }
        }
    }
}

void PubSub::State::link_failed(std::string node, std::exception_ptr error) {  // NOLINT: a copy, the link dies here
    links_.erase(node);
    if (classic_node_ == node) classic_node_.reset();
    std::lock_guard lock(mutex_);
    if (book_.on_connection_lost(node)) {
        PubSubMessage event;
        event.kind = PubSubMessage::Kind::connection_error;
        event.node = node;
        event.error = std::move(error);
        enqueue(std::move(event));
    }
    retry_later(true);
    subscriptions_changed_.notify_all();
}

void PubSub::State::retry_later(bool refresh) {
    refresh_wanted_ = refresh_wanted_ || refresh;
    const auto at = Clock::now() + retry_delay_;
    if (retry_at_ <= Clock::now() || at < retry_at_) retry_at_ = at;
    retry_delay_ = std::min(retry_delay_ * 2, kLongestRetry);
}

// --- PubSub -------------------------------------------------------------

PubSub::PubSub(std::shared_ptr<ClusterConnectionPool> pool, PubSubOptions options)
    : state_(std::make_shared<State>(std::move(pool), options)) {}
PubSub::PubSub(PubSub&&) noexcept = default;
PubSub& PubSub::operator=(PubSub&&) noexcept = default;
PubSub::~PubSub() = default;

void PubSub::subscribe(Channels channels) { state_->subscribe(SubscriptionKind::channel, to_strings(channels)); }
void PubSub::subscribe(const std::vector<std::string>& channels) {
    state_->subscribe(SubscriptionKind::channel, channels);
}
void PubSub::unsubscribe(Channels channels) { state_->unsubscribe(SubscriptionKind::channel, to_strings(channels)); }
void PubSub::unsubscribe(const std::vector<std::string>& channels) {
    state_->unsubscribe(SubscriptionKind::channel, channels);
}
void PubSub::psubscribe(Channels patterns) { state_->subscribe(SubscriptionKind::pattern, to_strings(patterns)); }
void PubSub::psubscribe(const std::vector<std::string>& patterns) {
    state_->subscribe(SubscriptionKind::pattern, patterns);
}
void PubSub::punsubscribe(Channels patterns) {
    state_->unsubscribe(SubscriptionKind::pattern, to_strings(patterns));
}
void PubSub::punsubscribe(const std::vector<std::string>& patterns) {
    state_->unsubscribe(SubscriptionKind::pattern, patterns);
}
void PubSub::ssubscribe(Channels channels) {
    state_->subscribe(SubscriptionKind::shard_channel, to_strings(channels));
}
void PubSub::ssubscribe(const std::vector<std::string>& channels) {
    state_->subscribe(SubscriptionKind::shard_channel, channels);
}
void PubSub::sunsubscribe(Channels channels) {
    state_->unsubscribe(SubscriptionKind::shard_channel, to_strings(channels));
}
void PubSub::sunsubscribe(const std::vector<std::string>& channels) {
    state_->unsubscribe(SubscriptionKind::shard_channel, channels);
}

std::optional<PubSubMessage> PubSub::get_message(std::chrono::milliseconds timeout) {
    return state_->next_message(timeout, state_->stop_generation());
}

void PubSub::run(const std::function<void(const PubSubMessage&)>& handler) {
    // A stop() from the handler ends the loop too: the generation is read
    // once, before the first message.
    const auto generation = state_->stop_generation();
    while (auto message = state_->next_message(std::nullopt, generation)) handler(*message);
}

void PubSub::on_messages_queued(std::function<void()> ready) { state_->on_messages_queued(std::move(ready)); }
void PubSub::stop() { state_->stop(); }
void PubSub::close() { state_->close(); }
std::uint64_t PubSub::dropped() const { return state_->dropped(); }
std::vector<std::string> PubSub::channels() const { return state_->wanted(SubscriptionKind::channel); }
std::vector<std::string> PubSub::patterns() const { return state_->wanted(SubscriptionKind::pattern); }
std::vector<std::string> PubSub::shard_channels() const { return state_->wanted(SubscriptionKind::shard_channel); }

void PubSub::check_command(std::string_view command_name) {
    static constexpr std::string_view kAllowed[] = {"SUBSCRIBE",    "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE",
                                                    "PUNSUBSCRIBE", "SUNSUBSCRIBE", "PING",     "QUIT"};
    for (const auto allowed : kAllowed) {
        if (detail::equal_ignoring_case(allowed, command_name)) return;
    }
    throw RedisClusterException(std::string(command_name) +
                                " is not allowed on a subscribed connection: only (P|S)SUBSCRIBE, "
                                "(P|S)UNSUBSCRIBE, PING and QUIT are");
}

}  // namespace rediscluster
