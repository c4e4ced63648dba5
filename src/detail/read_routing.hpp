#pragma once

// Which node of a shard serves a read: a pure decision, tested without
// sockets. The pools feed it the shard (master first, then replicas), a
// rotation counter and what they know about failed nodes.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "rediscluster/nodes.hpp"

namespace rediscluster::detail {

/// Indices into `shard` (0 = master) in the order a read should try them:
/// the replicas in round-robin order starting at `rotation`, healthy ones
/// first, then the master, then the replicas that recently failed (a last
/// resort, when even the master is unreachable).
template <class IsHealthy>
std::vector<std::size_t> read_candidates(std::span<const NodeInfo> shard, std::uint64_t rotation,
                                         IsHealthy&& is_healthy) {
    std::vector<std::size_t> healthy;
    std::vector<std::size_t> failed;
    const std::size_t replicas = shard.size() > 0 ? shard.size() - 1 : 0;
    for (std::size_t i = 0; i < replicas; ++i) {
        const std::size_t index = 1 + (rotation + i) % replicas;
        (is_healthy(shard[index]) ? healthy : failed).push_back(index);
    }
    if (!shard.empty()) healthy.push_back(0);
    healthy.insert(healthy.end(), failed.begin(), failed.end());
    return healthy;
}

/// Nodes that failed recently, each skipped for a cool-down period.
/// Thread-safe.
class FailedNodes {
public:
    using Clock = std::chrono::steady_clock;

    explicit FailedNodes(std::chrono::milliseconds cool_down = std::chrono::seconds(2)) : cool_down_(cool_down) {}

    void mark(const std::string& node, Clock::time_point now = Clock::now()) {
        std::lock_guard lock(mutex_);
        until_[node] = now + cool_down_;
    }
    void clear(const std::string& node) {
        std::lock_guard lock(mutex_);
        until_.erase(node);
    }
    [[nodiscard]] bool healthy(const std::string& node, Clock::time_point now = Clock::now()) const {
        std::lock_guard lock(mutex_);
        const auto it = until_.find(node);
        return it == until_.end() || it->second <= now;
    }

private:
    const std::chrono::milliseconds cool_down_;
    mutable std::mutex mutex_;
    std::map<std::string, Clock::time_point> until_;
};

}  // namespace rediscluster::detail
