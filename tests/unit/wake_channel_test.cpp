// The futex channel the waiters of a multiplexed connection sleep on: a
// sleeper wakes for its own bit only, and no wake-up is lost, even when
// more sleepers than bits share the channel.

#include "detail/wake_channel.hpp"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using rediscluster::detail::WakeChannel;
using namespace std::chrono_literals;

constexpr std::uint32_t kAllBits = 0xffffffffU;

// Whether thread `tid` of this process is asleep (state S in its stat).
bool asleep(pid_t tid) {
    std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto after_name = line.rfind(')');
    return after_name != std::string::npos && after_name + 2 < line.size() && line[after_name + 2] == 'S';
}

TEST(WakeChannel, ThirtyTwoSequencesInARowGetThirtyTwoDifferentBits) {
    std::uint32_t seen = 0;
    for (std::uint64_t sequence = 100; sequence < 132; ++sequence) {
        const auto bit = WakeChannel::bit_for(sequence);
        EXPECT_EQ(bit & (bit - 1), 0U) << "one bit per sleeper";
        EXPECT_EQ(seen & bit, 0U) << "sequence " << sequence << " shares a bit with one of the 31 before it";
        seen |= bit;
    }
    EXPECT_EQ(seen, kAllBits);
    EXPECT_EQ(WakeChannel::bit_for(7), WakeChannel::bit_for(7 + 32));
}

TEST(WakeChannel, AWakeUpBeforeTheSleepIsNotLost) {
    WakeChannel channel;
    const std::uint32_t seen = channel.generation();
    channel.advance_and_wake(WakeChannel::bit_for(3));  // nobody asleep yet
    auto sleeper = std::async(std::launch::async, [&] { channel.wait(seen, WakeChannel::bit_for(3)); });
    const bool returned = sleeper.wait_for(5s) == std::future_status::ready;
    if (!returned) channel.advance_and_wake(kAllBits);  // free it, so the test ends
    EXPECT_TRUE(returned) << "wait() slept although the generation had moved";
}

TEST(WakeChannel, ASleeperWakesForItsOwnBitOnly) {
    WakeChannel channel;
    const std::uint32_t mine = WakeChannel::bit_for(0);
    const std::uint32_t others = kAllBits & ~mine;
    std::atomic<pid_t> tid{0};
    std::atomic<bool> returned{false};
    std::thread sleeper([&] {
        tid = static_cast<pid_t>(::syscall(SYS_gettid));
        channel.wait(channel.generation(), mine);
        returned = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while ((tid == 0 || !asleep(tid)) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    ASSERT_TRUE(asleep(tid)) << "the sleeper never went to sleep";

    channel.advance_and_wake(others);
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(returned) << "woken by a wake-up for every bit but its own";

    channel.advance_and_wake(mine);
    while (!returned && std::chrono::steady_clock::now() < deadline + 5s) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(returned) << "not woken by a wake-up for its own bit";
    if (!returned) channel.advance_and_wake(kAllBits);
    sleeper.join();
}

// More sleepers than bits, woken in batches of random make-up and order:
// every round reaches every sleeper, or the test fails at its deadline
// instead of hanging.
TEST(WakeChannel, FortySleepersSharingThirtyTwoBitsMissNoWakeUp) {
    constexpr int kSleepers = 40;
    constexpr std::uint32_t kRounds = 300;
    WakeChannel channel;
    std::array<std::atomic<std::uint32_t>, kSleepers> round{};
    std::atomic<int> acknowledged{0};
    std::atomic<bool> abandon{false};
    std::vector<std::thread> sleepers;
    for (int i = 0; i < kSleepers; ++i) {
        sleepers.emplace_back([&, i] {
            const std::uint32_t bit = WakeChannel::bit_for(static_cast<std::uint64_t>(i));
            const auto& my_round = round[static_cast<std::size_t>(i)];
            for (std::uint32_t r = 1; r <= kRounds && !abandon; ++r) {
                channel.sleep_until([&] { return my_round.load(std::memory_order_acquire) != r - 1; }, bit);
                acknowledged.fetch_add(1);
            }
        });
    }
    std::mt19937 rng(12345);
    std::vector<int> order(kSleepers);
    for (int i = 0; i < kSleepers; ++i) order[static_cast<std::size_t>(i)] = i;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    bool complete = true;
    for (std::uint32_t r = 1; r <= kRounds && complete; ++r) {
        std::shuffle(order.begin(), order.end(), rng);
        std::size_t next = 0;
        while (next < order.size()) {
            const std::size_t batch = std::min<std::size_t>(1 + rng() % 12, order.size() - next);
            std::uint32_t bits = 0;
            for (std::size_t k = next; k < next + batch; ++k) {
                const auto who = static_cast<std::size_t>(order[k]);
                bits |= WakeChannel::bit_for(who);
                round[who].store(r, std::memory_order_release);
            }
            channel.advance_and_wake(bits);
            next += batch;
        }
        while (acknowledged.load() < kSleepers * static_cast<int>(r)) {
            if (std::chrono::steady_clock::now() > deadline) {
                complete = false;
                break;
            }
            std::this_thread::yield();
        }
        if (!complete) {
            ADD_FAILURE() << "round " << r << ": " << kSleepers * static_cast<int>(r) - acknowledged.load()
                          << " sleepers never woke";
        }
    }
    abandon = true;
    for (auto& r : round) r.store(kRounds + 1, std::memory_order_release);
    channel.advance_and_wake(kAllBits);
    for (auto& thread : sleepers) thread.join();
    EXPECT_EQ(acknowledged.load(), kSleepers * static_cast<int>(kRounds));
}

}  // namespace
