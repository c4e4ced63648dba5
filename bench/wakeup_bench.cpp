// What it costs this machine to wake a sleeping thread: two threads hand a
// turn back and forth through the futex channel the multiplexed connections
// sleep on (src/detail/wake_channel.hpp), on one CPU, on two CPUs, and
// wherever the scheduler puts them.
//
// Every command of a blocking client ends in such a wake-up (the client
// thread sleeps in recv() or on a futex until its reply comes), so this
// figure, more than anything in the library, sets how fast one thread can
// go and how much CPU a command costs at many threads. It differs a lot
// from one machine to the next (a virtual CPU woken by another may cost
// ten times more than a thread switch on one CPU): docs/performance.md
// reads the client's figures against it.

#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>

#include "detail/wake_channel.hpp"

namespace {

using rediscluster::detail::WakeChannel;

constexpr std::uint32_t kStop = 0xffffffffU;

// Pins the calling thread to `cpu`; the previous affinity comes back when
// this object goes.
class PinnedTo {
public:
    explicit PinnedTo(std::optional<int> cpu) {
        pthread_getaffinity_np(pthread_self(), sizeof previous_, &previous_);
        if (!cpu) return;
        cpu_set_t only;
        CPU_ZERO(&only);
        CPU_SET(static_cast<std::size_t>(*cpu), &only);
        pinned_ = pthread_setaffinity_np(pthread_self(), sizeof only, &only) == 0;
    }
    ~PinnedTo() { pthread_setaffinity_np(pthread_self(), sizeof previous_, &previous_); }
    PinnedTo(const PinnedTo&) = delete;
    PinnedTo& operator=(const PinnedTo&) = delete;
    [[nodiscard]] bool pinned() const noexcept { return pinned_; }

private:
    cpu_set_t previous_{};
    bool pinned_ = false;
};

// One round trip: this thread makes the turn odd, wakes the partner and
// sleeps; the partner makes it even again and wakes this thread.
void wake_round_trip(benchmark::State& state, std::optional<int> main_cpu, std::optional<int> partner_cpu) {
    if ((main_cpu && *main_cpu >= static_cast<int>(std::thread::hardware_concurrency())) ||
        (partner_cpu && *partner_cpu >= static_cast<int>(std::thread::hardware_concurrency()))) {
        state.SkipWithError("this machine has too few CPUs for this placement");
        return;
    }
    constexpr std::uint32_t kMainBit = WakeChannel::bit_for(0);
    constexpr std::uint32_t kPartnerBit = WakeChannel::bit_for(1);
    std::atomic<std::uint32_t> turn{0};
    WakeChannel channel;
    std::thread partner([&] {
        PinnedTo pin(partner_cpu);
        std::uint32_t mine = 0;
        for (;;) {
            channel.sleep_until([&] { return turn.load(std::memory_order_acquire) != mine; }, kPartnerBit);
            const std::uint32_t value = turn.load(std::memory_order_acquire);
            if (value == kStop) return;
            mine = value + 1;
            turn.store(mine, std::memory_order_release);
            channel.advance_and_wake(kMainBit);
        }
    });
    PinnedTo pin(main_cpu);
    std::uint32_t value = 0;
    for (auto _ : state) {
        ++value;
        turn.store(value, std::memory_order_release);
        channel.advance_and_wake(kPartnerBit);
        channel.sleep_until([&] { return turn.load(std::memory_order_acquire) != value; }, kMainBit);
        value = turn.load(std::memory_order_acquire);
    }
    turn.store(kStop, std::memory_order_release);
    channel.advance_and_wake(kPartnerBit);
    partner.join();
}

void BM_WakeRoundTrip_OneCpu(benchmark::State& state) { wake_round_trip(state, 0, 0); }
void BM_WakeRoundTrip_TwoCpus(benchmark::State& state) { wake_round_trip(state, 0, 1); }
void BM_WakeRoundTrip_Unpinned(benchmark::State& state) { wake_round_trip(state, std::nullopt, std::nullopt); }

// Real time: the round trip is mostly time asleep, which CPU time misses.
BENCHMARK(BM_WakeRoundTrip_OneCpu)->UseRealTime();
BENCHMARK(BM_WakeRoundTrip_TwoCpus)->UseRealTime();
BENCHMARK(BM_WakeRoundTrip_Unpinned)->UseRealTime();

}  // namespace
