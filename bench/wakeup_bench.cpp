// What it costs this machine to wake a sleeping thread: two threads hand a
// turn back and forth through the futex word the multiplexed connections
// use (src/detail/wake_flag.hpp), on one CPU, on two CPUs, and wherever
// the scheduler puts them.
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
#include <cstdint>
#include <optional>
#include <thread>

#include "detail/wake_flag.hpp"

namespace {

using rediscluster::detail::WakeFlag;

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

// One round trip: this thread makes the value odd and sleeps; the partner
// wakes, makes it even again and wakes this thread.
void wake_round_trip(benchmark::State& state, std::optional<int> main_cpu, std::optional<int> partner_cpu) {
    if ((main_cpu && *main_cpu >= static_cast<int>(std::thread::hardware_concurrency())) ||
        (partner_cpu && *partner_cpu >= static_cast<int>(std::thread::hardware_concurrency()))) {
        state.SkipWithError("this machine has too few CPUs for this placement");
        return;
    }
    WakeFlag turn(0);
    std::thread partner([&] {
        PinnedTo pin(partner_cpu);
        std::uint32_t mine = 0;
        for (;;) {
            turn.wait_while(mine);
            const std::uint32_t value = turn.load();
            if (value == kStop) return;
            mine = value + 1;
            turn.set_and_wake(mine);
        }
    });
    PinnedTo pin(main_cpu);
    std::uint32_t value = 0;
    for (auto _ : state) {
        ++value;
        turn.set_and_wake(value);
        turn.wait_while(value);
        value = turn.load();
    }
    turn.set_and_wake(kStop);
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
