#pragma once

// One futex word many threads sleep on, each under a bit of its own (a
// FUTEX_WAIT_BITSET mask), so that one system call wakes exactly the
// sleepers whose bits it names: a batch of replies read together wakes its
// waiters together. Sleepers sharing a bit may be woken for each other;
// they check their own state and sleep again.
//
// The protocol (sleep_until): a sleeper reads generation(), checks its own
// state, and calls wait() with that generation; a waker changes the
// sleepers' states first, then calls advance_and_wake(). A wake-up between
// the read and the sleep is not lost: the generation has moved, so wait()
// returns at once.

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>

namespace rediscluster::detail {

class WakeChannel {
public:
    /// The bit for the sleeper with this sequence number.
    [[nodiscard]] static constexpr std::uint32_t bit_for(std::uint64_t sequence) noexcept {
        return std::uint32_t{1} << (sequence % 32);
    }

    [[nodiscard]] std::uint32_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

    /// Sleeps until a wake-up for one of `bits`, unless the generation is no
    /// longer `seen`. May return early: the caller re-checks its state.
    void wait(std::uint32_t seen, std::uint32_t bits) noexcept {
        ::syscall(SYS_futex, address(), FUTEX_WAIT_BITSET_PRIVATE, seen, nullptr, nullptr, bits);
    }

    /// Sleeps under `bit` until `done()` holds, checking it again after
    /// every return from the kernel.
    template <class Done>
    void sleep_until(Done&& done, std::uint32_t bit) {
        for (;;) {
            const std::uint32_t seen = generation();
            if (done()) return;
            wait(seen, bit);
        }
    }

    /// Wakes every sleeper under one of `bits`.
    void advance_and_wake(std::uint32_t bits) noexcept {
        if (bits == 0) return;
        generation_.fetch_add(1, std::memory_order_acq_rel);
        ::syscall(SYS_futex, address(), FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, nullptr, nullptr, bits);
    }

private:
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free);
    // The kernel sees the atomic's storage as the plain word it is.
    std::uint32_t* address() noexcept { return reinterpret_cast<std::uint32_t*>(&generation_); }

    std::atomic<std::uint32_t> generation_{0};
};

}  // namespace rediscluster::detail
