#pragma once

// The highest value seen by several threads, without a lock.

#include <atomic>
#include <cstddef>

namespace rediscluster::test {

/// Raises `peak` to `now` if `now` is higher.
inline void record_peak(std::atomic<std::size_t>& peak, std::size_t now) {
    auto seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
}

}  // namespace rediscluster::test
