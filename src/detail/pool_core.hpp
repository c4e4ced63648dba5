#pragma once

// The accounting of a connection pool, apart from any socket: which idle
// connections each node has, how many exist per node and in all, who waits
// for one and in which order. The pools in pool.cpp wrap it around real
// connections; the unit tests drive it with fake ones.
//
// Rules:
//  - Idle connections are reused last-in first-out (warm sockets first).
//  - Two caps hold at once: max_total across the cluster and max_per_node.
//  - At the total cap, an idle connection to another node is closed at once
//    to make room (the longest idle first), rather than waiting.
//  - Otherwise a non-blocking pool throws; a blocking one queues the caller.
//    Waiters are served first come, first served: a released connection
//    goes to the first waiter for its node; capacity freed by a closed
//    connection goes to the first waiter that may use it.
//  - Nothing is closed or created while the lock is held: connection
//    objects are built and destroyed outside it.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster::detail {

struct PoolLimits {
    /// Connections alive at once across the cluster; nullopt = no cap.
    std::optional<std::size_t> max_total = std::nullopt;
    /// Connections alive at once per node; nullopt = no cap.
    std::optional<std::size_t> max_per_node = std::nullopt;
    /// Wait for a connection at a cap instead of throwing.
    bool blocking = false;
    /// How long a blocking acquire waits; nullopt = forever.
    std::optional<std::chrono::milliseconds> timeout = std::nullopt;
};

template <class Connection>
class PoolCore {
public:
    using Factory = std::function<std::unique_ptr<Connection>(const NodeInfo&)>;

    /// A connection handed out, with the pool generation it belongs to.
    struct Borrowed {
        std::unique_ptr<Connection> connection;
        std::uint64_t generation = 0;
    };

    PoolCore(PoolLimits limits, Factory factory) : limits_(limits), factory_(std::move(factory)) {}

    PoolCore(const PoolCore&) = delete;
    PoolCore& operator=(const PoolCore&) = delete;

    /// An idle connection to `node`, or a new one. Throws
    /// RedisClusterException at a cap (non-blocking) or ConnectionError
    /// when a blocking wait times out.
    Borrowed acquire(const NodeInfo& node) {
        std::vector<std::unique_ptr<Connection>> to_close;
        std::unique_lock lock(mutex_);
        NodeState& state = nodes_[node.name];
        if (auto at_once = take_at_once(node, state, lock, to_close)) return std::move(*at_once);
        if (!limits_.blocking) {
            throw RedisClusterException(cap_message(node.name, state));
        }
        return wait_for(node, state, lock);
    }

    /// acquire() without waiting or throwing at a cap: nullopt when no
    /// connection to `node` can be had at once. For callers that already
    /// hold connections, which must not wait for another (a pipeline
    /// across nodes would deadlock a blocking pool).
    std::optional<Borrowed> try_acquire(const NodeInfo& node) {
        std::vector<std::unique_ptr<Connection>> to_close;
        std::unique_lock lock(mutex_);
        return take_at_once(node, nodes_[node.name], lock, to_close);
    }

    /// Takes a connection back. `reusable` false (it broke, or has unread
    /// replies) closes it; so does a disconnect() since it was borrowed.
    void release(const NodeInfo& node, Borrowed borrowed, bool reusable) {
        std::unique_ptr<Connection> to_close;
        {
            std::lock_guard lock(mutex_);
            NodeState& state = nodes_[node.name];
            if (!reusable || borrowed.generation != generation_) {
                unreserve(state);
                to_close = std::move(borrowed.connection);
                grant_freed_capacity();
            } else if (Waiter* waiter = first_waiter_for(node.name)) {
                waiter->handed = std::move(borrowed.connection);
                serve(waiter);
            } else if (Waiter* other = first_waiter_blocked_by_total()) {
                // Someone waits for another node only because of the total
                // cap: this connection makes room for theirs.
                unreserve(state);
                to_close = std::move(borrowed.connection);
                reserve(nodes_[other->node]);
                other->may_create = true;
                serve(other);
            } else {
                state.idle.push_back(Idle{std::move(borrowed.connection), Clock::now()});
            }
        }
        // Destroyed here, outside the lock: closing a socket is a syscall.
    }

    /// Closes every idle connection now; connections in use are closed
    /// when they come back.
    void disconnect() {
        std::vector<std::unique_ptr<Connection>> to_close;
        std::lock_guard lock(mutex_);
        ++generation_;
        for (auto& [name, state] : nodes_) {
            for (auto& idle : state.idle) {
                to_close.push_back(std::move(idle.connection));
                unreserve(state);
            }
            state.idle.clear();
        }
        grant_freed_capacity();
    }

    /// Closes the idle connections of every node for which `drop(name)` is
    /// true (a node that failed, or left the cluster): they are most likely
    /// dead, and each would cost a command a failed attempt to find out.
    template <class Predicate>
    void close_idle_if(Predicate&& drop) {
        std::vector<std::unique_ptr<Connection>> to_close;
        std::lock_guard lock(mutex_);
        for (auto& [name, state] : nodes_) {
            if (state.idle.empty() || !drop(name)) continue;
            for (auto& idle : state.idle) {
                to_close.push_back(std::move(idle.connection));
                unreserve(state);
            }
            state.idle.clear();
        }
        if (!to_close.empty()) grant_freed_capacity();
    }

    /// Connections alive now (idle and in use).
    std::size_t created_connections() const {
        std::lock_guard lock(mutex_);
        return total_;
    }
    std::size_t created_connections(const std::string& node_name) const {
        std::lock_guard lock(mutex_);
        const auto it = nodes_.find(node_name);
        return it == nodes_.end() ? 0 : it->second.total;
    }
    std::size_t idle_connections(const std::string& node_name) const {
        std::lock_guard lock(mutex_);
        const auto it = nodes_.find(node_name);
        return it == nodes_.end() ? 0 : it->second.idle.size();
    }
    std::size_t waiting() const {
        std::lock_guard lock(mutex_);
        return waiters_.size();
    }
    const PoolLimits& limits() const noexcept { return limits_; }

private:
    using Clock = std::chrono::steady_clock;

    struct Idle {
        std::unique_ptr<Connection> connection;
        Clock::time_point since;
    };
    struct NodeState {
        std::vector<Idle> idle;  // back = most recently released
        std::size_t total = 0;   // idle + in use
    };
    struct Waiter {
        std::string node;
        std::condition_variable wake;
        std::unique_ptr<Connection> handed;  // a released connection for us
        bool may_create = false;             // capacity reserved for us
    };

    bool per_node_full(const NodeState& state) const {
        return limits_.max_per_node && state.total >= *limits_.max_per_node;
    }
    bool total_full() const { return limits_.max_total && total_ >= *limits_.max_total; }

    void reserve(NodeState& state) {
        ++state.total;
        ++total_;
    }
    void unreserve(NodeState& state) {
        --state.total;
        --total_;
    }

    std::unique_ptr<Connection> create(const NodeInfo& node) {
        try {
            return factory_(node);
        } catch (...) {
            std::lock_guard lock(mutex_);
            unreserve(nodes_[node.name]);
            grant_freed_capacity();
            throw;
        }
    }

    // Closes the idle connection that has waited longest, on any node.
    void evict_longest_idle(std::vector<std::unique_ptr<Connection>>& to_close) {
        NodeState* oldest = nullptr;
        for (auto& [name, state] : nodes_) {
            if (!state.idle.empty() && (oldest == nullptr || state.idle.front().since < oldest->idle.front().since)) {
                oldest = &state;
            }
        }
        if (oldest != nullptr) {
            to_close.push_back(std::move(oldest->idle.front().connection));
            oldest->idle.erase(oldest->idle.begin());
            unreserve(*oldest);
        }
    }

    Waiter* first_waiter_for(const std::string& node) {
        for (Waiter* waiter : waiters_) {
            if (waiter->node == node) return waiter;
        }
        return nullptr;
    }

    Waiter* first_waiter_blocked_by_total() {
        for (Waiter* waiter : waiters_) {
            if (!per_node_full(nodes_[waiter->node])) return waiter;
        }
        return nullptr;
    }

    // One connection was closed: the first waiter that may now create one
    // gets the room.
    void grant_freed_capacity() {
        if (total_full()) return;
        for (Waiter* waiter : waiters_) {
            NodeState& state = nodes_[waiter->node];
            if (!per_node_full(state)) {
                reserve(state);
                waiter->may_create = true;
                serve(waiter);
                return;
            }
        }
    }

    void serve(Waiter* waiter) {
        waiters_.erase(std::find(waiters_.begin(), waiters_.end(), waiter));
        waiter->wake.notify_one();
    }

    // An idle connection, or a new one where the caps allow (closing an
    // idle one to another node at the total cap); nullopt otherwise.
    // Unlocks `lock` before creating, and leaves what it evicted in
    // `to_close` for the caller to destroy outside the lock.
    std::optional<Borrowed> take_at_once(const NodeInfo& node, NodeState& state, std::unique_lock<std::mutex>& lock,
                                         std::vector<std::unique_ptr<Connection>>& to_close) {
        if (!state.idle.empty()) {
            auto connection = std::move(state.idle.back().connection);
            state.idle.pop_back();
            return Borrowed{std::move(connection), generation_};
        }
        if (!per_node_full(state) && total_full()) {
            evict_longest_idle(to_close);
        }
        if (!per_node_full(state) && !total_full()) {
            reserve(state);
            const auto generation = generation_;
            lock.unlock();
            to_close.clear();
            return Borrowed{create(node), generation};
        }
        return std::nullopt;
    }

    Borrowed wait_for(const NodeInfo& node, NodeState& state, std::unique_lock<std::mutex>& lock) {
        Waiter waiter;
        waiter.node = node.name;
        waiters_.push_back(&waiter);
        const auto started = Clock::now();
        auto served = [&] { return waiter.handed != nullptr || waiter.may_create; };
        if (limits_.timeout) {
            waiter.wake.wait_until(lock, started + *limits_.timeout, served);
        } else {
            waiter.wake.wait(lock, served);
        }
        if (waiter.handed) {
            return {std::move(waiter.handed), generation_};
        }
        if (waiter.may_create) {
            const auto generation = generation_;
            lock.unlock();
            return {create(node), generation};
        }
        waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        throw ConnectionError("No connection available for " + node.name + " after waiting " +
                              std::to_string(waited.count()) + " ms (" + cap_message(node.name, state) + ")");
    }

    std::string cap_message(const std::string& node, const NodeState& state) const {
        if (per_node_full(state)) {
            return "Too many connections (" + std::to_string(state.total) + ") for node: " + node +
                   "; max_connections_per_node is " + std::to_string(*limits_.max_per_node);
        }
        return "Too many connections (" + std::to_string(total_) + ") across the cluster for node: " + node +
               "; max_connections is " + std::to_string(*limits_.max_total);
    }

    const PoolLimits limits_;
    const Factory factory_;

    mutable std::mutex mutex_;
    std::map<std::string, NodeState> nodes_;
    std::size_t total_ = 0;
    std::deque<Waiter*> waiters_;
    std::uint64_t generation_ = 0;
};

}  // namespace rediscluster::detail
