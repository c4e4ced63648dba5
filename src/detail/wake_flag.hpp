#pragma once

// A word one thread sleeps on until another changes it: a futex, without
// the spinning and yielding of std::atomic::wait, and safe to signal right
// as its owner returns. Changing the value is the signaller's last access
// to the object; the wake-up that follows passes only its address to the
// kernel, which wakes whoever sleeps there (nobody, if the owner has gone;
// a later sleeper at the same address re-checks its own value and sleeps
// again).

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace rediscluster::detail {

class WakeFlag {
public:
    explicit WakeFlag(std::uint32_t value) noexcept : value_(value) {}

    [[nodiscard]] std::uint32_t load() const noexcept { return value_.load(std::memory_order_acquire); }

    /// Sleeps while the value is `value`.
    void wait_while(std::uint32_t value) noexcept {
        while (value_.load(std::memory_order_acquire) == value) {
            ::syscall(SYS_futex, address(), FUTEX_WAIT_PRIVATE, value, nullptr, nullptr, 0);
        }
    }

    /// Sets the value and wakes its sleeper. The object may be gone as soon
    /// as the value is stored.
    void set_and_wake(std::uint32_t value) noexcept {
        std::uint32_t* const where = address();
        value_.store(value, std::memory_order_release);
        ::syscall(SYS_futex, where, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    }

    /// Changes `expected` to `desired` and wakes the sleeper; false (and no
    /// change) when the value was not `expected`.
    bool exchange_and_wake(std::uint32_t expected, std::uint32_t desired) noexcept {
        std::uint32_t* const where = address();
        if (!value_.compare_exchange_strong(expected, desired, std::memory_order_acq_rel)) return false;
        ::syscall(SYS_futex, where, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
        return true;
    }

    /// Changes `expected` to `desired` without waking anyone.
    bool exchange(std::uint32_t expected, std::uint32_t desired) noexcept {
        return value_.compare_exchange_strong(expected, desired, std::memory_order_acq_rel);
    }

private:
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free);
    // The kernel sees the atomic's storage as the plain word it is.
    std::uint32_t* address() noexcept { return reinterpret_cast<std::uint32_t*>(&value_); }

    std::atomic<std::uint32_t> value_;
};

}  // namespace rediscluster::detail
