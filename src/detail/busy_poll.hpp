#pragma once

// When a read polls the socket before it sleeps (ConnectionOptions::busy_poll),
// decided from how the last polls went: a poll that saw the reply arrive is
// kept up; one that ran out its budget makes the next reads sleep at once,
// for twice as many reads after each miss in a row (up to kMaxSkipped), so a
// connection whose replies come slowly (a busy server, more threads than
// cores) soon spends almost nothing on polling.

#include <algorithm>
#include <cstdint>

namespace rediscluster::detail {

class BusyPollPolicy {
public:
    static constexpr std::uint32_t kMaxSkipped = 256;

    /// Whether the next read polls first.
    [[nodiscard]] bool poll_next() noexcept {
        if (skipped_left_ == 0) return true;
        --skipped_left_;
        return false;
    }

    /// The outcome of a poll: whether the bytes came within the budget.
    void record(bool arrived) noexcept {
        if (arrived) {
            skip_after_miss_ = 0;
            return;
        }
        skip_after_miss_ = std::min<std::uint32_t>(skip_after_miss_ == 0 ? 1 : skip_after_miss_ * 2, kMaxSkipped);
        skipped_left_ = skip_after_miss_;
    }

private:
    std::uint32_t skip_after_miss_ = 0;
    std::uint32_t skipped_left_ = 0;
};

}  // namespace rediscluster::detail
