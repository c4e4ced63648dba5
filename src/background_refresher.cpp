#include "detail/background_refresher.hpp"

#include <random>

#include "detail/random.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {

namespace {

// How often the refresher looks again when a refresh was asked for before
// the refresh policy allows the next discovery.
constexpr std::chrono::milliseconds kRefreshPoll{20};

// The wait before the next periodic refresh: `interval` ±10 %.
std::chrono::milliseconds jittered(std::chrono::milliseconds interval) {
    const auto spread = interval.count() / 10;
    std::uniform_int_distribution<std::int64_t> pick(-spread, spread);
    return interval + std::chrono::milliseconds(pick(thread_random()));
}

}  // namespace

BackgroundRefresher::BackgroundRefresher(NodeManager& nodes, std::chrono::milliseconds interval)
    : nodes_(nodes), interval_(interval), thread_([this] { loop(); }) {}

BackgroundRefresher::~BackgroundRefresher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void BackgroundRefresher::request() {
    {
        std::lock_guard lock(mutex_);
        requested_ = true;
    }
    wake_.notify_one();
}

void BackgroundRefresher::loop() {
    std::unique_lock lock(mutex_);
    const bool periodic = interval_.count() > 0;
    auto next_periodic = std::chrono::steady_clock::now() + jittered(interval_);
    while (true) {
        const auto woken = [&] { return requested_ || stopping_; };
        if (periodic) {
            wake_.wait_until(lock, next_periodic, woken);  // false: time for the periodic one
        } else {
            wake_.wait(lock, woken);
        }
        if (stopping_) return;
        next_periodic = std::chrono::steady_clock::now() + jittered(interval_);
        requested_ = false;
        lock.unlock();
        // Requests made meanwhile coalesce into this refresh.
        bool done = false;
        while (!done) {
            try {
                done = nodes_.refresh_if_due();
            } catch (const Error&) {
                done = true;  // the next failure asks again; commands keep their own retries
            }
            lock.lock();
            if (stopping_) return;
            if (!done) wake_.wait_for(lock, kRefreshPoll, [&] { return stopping_; });
            lock.unlock();
        }
        lock.lock();
    }
}

}  // namespace rediscluster::detail
