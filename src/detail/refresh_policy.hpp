#pragma once

// How soon another discovery may start: a pure rule, tested without a
// cluster. However many commands ask for a refresh, discoveries are spaced
// out; while they keep failing (every node down, a network cut) the space
// doubles up to a cap, so a client cannot storm the nodes it is trying to
// reach. The wait counts from the end of the last attempt, failed or not.

#include <algorithm>
#include <chrono>

namespace rediscluster::detail {

struct RefreshPolicy {
    /// The wait after a discovery that succeeded.
    std::chrono::milliseconds min_interval{100};
    /// The longest wait, however many discoveries failed in a row.
    std::chrono::milliseconds max_interval{3000};

    /// The wait before the next discovery after `failures` failed ones in a
    /// row (0 after a success). `jitter` in [-1, 1] spreads it by up to
    /// ±20 %, so clients that failed together do not retry together.
    [[nodiscard]] std::chrono::milliseconds wait_after(int failures, double jitter) const {
        auto wait = min_interval;
        for (int i = 0; i < failures && wait < max_interval; ++i) wait *= 2;
        wait = std::min(wait, max_interval);
        const double spread = std::clamp(jitter, -1.0, 1.0) * 0.2;
        return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(wait.count()) * (1.0 + spread)));
    }
};

}  // namespace rediscluster::detail
