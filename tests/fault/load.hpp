#pragma once

// A bounded background load for the fault scenarios: N threads each run an
// operation over and over, up to a number of operations and a time limit,
// and record when each operation started, how long it took, and how it
// failed. The scenario injects its fault meanwhile and judges the records.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace rediscluster::test {

using Clock = std::chrono::steady_clock;

/// One operation as the caller saw it.
struct OpRecord {
    Clock::time_point start;
    Clock::duration duration{};
    int thread = 0;
    /// Empty on success; else "<exception type>: <what>".
    std::string error;
    /// What the operation reported about itself (e.g. a wrong value read).
    bool wrong_answer = false;
};

/// What an operation returns: whether the answer was the expected one.
/// Throwing counts as an error.
using Operation = std::function<bool(int thread, std::size_t iteration)>;

class BackgroundLoad {
public:
    /// Starts `threads` threads running `operation` until each has done
    /// `ops_per_thread` operations, `time_limit` has passed, or stop().
    BackgroundLoad(int threads, std::size_t ops_per_thread, std::chrono::milliseconds time_limit, Operation operation);
    /// Stops and joins.
    ~BackgroundLoad();
    BackgroundLoad(const BackgroundLoad&) = delete;
    BackgroundLoad& operator=(const BackgroundLoad&) = delete;

    /// Asks the threads to stop after their current operation and waits for
    /// them; returns every record, in no particular order.
    std::vector<OpRecord> stop();
    /// Operations finished so far.
    [[nodiscard]] std::size_t completed() const { return completed_.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> completed_{0};
    std::vector<std::vector<OpRecord>> records_;  // one per thread
    std::vector<std::thread> threads_;
};

/// A summary of records.
struct LoadSummary {
    std::size_t operations = 0;
    std::size_t errors = 0;
    std::size_t wrong_answers = 0;
    Clock::time_point first_error{};  // of the errors' start times
    Clock::time_point last_error_end{};
    Clock::duration max_duration{};
    Clock::duration p99_duration{};
    std::string first_error_text;
};
LoadSummary summarize(const std::vector<OpRecord>& records);
/// Only the records that started in [from, to).
std::vector<OpRecord> started_between(const std::vector<OpRecord>& records, Clock::time_point from, Clock::time_point to);
/// "12 ms"
std::string millis(Clock::duration duration);

}  // namespace rediscluster::test
