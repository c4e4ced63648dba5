#include "load.hpp"

#include <algorithm>
#include <exception>
#include <typeinfo>

#include "rediscluster/errors.hpp"

namespace rediscluster::test {
namespace {

// The most specific name a scenario may want to tell apart.
std::string describe(const std::exception& e) {
    std::string kind = "std::exception";
    if (dynamic_cast<const TimeoutError*>(&e) != nullptr) {
        kind = "TimeoutError";
    } else if (dynamic_cast<const IncompleteReplyError*>(&e) != nullptr) {
        kind = "IncompleteReplyError";
    } else if (dynamic_cast<const ConnectionError*>(&e) != nullptr) {
        kind = "ConnectionError";
    } else if (dynamic_cast<const ClusterError*>(&e) != nullptr) {
        kind = "ClusterError";
    } else if (dynamic_cast<const ResponseError*>(&e) != nullptr) {
        kind = "ResponseError";
    } else if (dynamic_cast<const Error*>(&e) != nullptr) {
        kind = "Error";
    }
    return kind + ": " + e.what();
}

}  // namespace

BackgroundLoad::BackgroundLoad(int threads, std::size_t ops_per_thread, std::chrono::milliseconds time_limit,
                               Operation operation)
    : records_(static_cast<std::size_t>(threads)) {
    const auto deadline = Clock::now() + time_limit;
    for (int t = 0; t < threads; ++t) {
        auto& records = records_[static_cast<std::size_t>(t)];
        records.reserve(std::min<std::size_t>(ops_per_thread, 20000));
        threads_.emplace_back([this, t, ops_per_thread, deadline, operation, &records] {
            for (std::size_t i = 0; i < ops_per_thread && !stopping_.load(std::memory_order_relaxed); ++i) {
                OpRecord record;
                record.thread = t;
                record.start = Clock::now();
                if (record.start >= deadline) break;
                try {
                    record.wrong_answer = !operation(t, i);
                } catch (const std::exception& e) {
                    record.error = describe(e);
                }
                record.duration = Clock::now() - record.start;
                records.push_back(std::move(record));
                completed_.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
}

BackgroundLoad::~BackgroundLoad() { (void)stop(); }

std::vector<OpRecord> BackgroundLoad::stop() {
    stopping_ = true;
    for (auto& thread : threads_) {
        if (thread.joinable()) thread.join();
    }
    std::vector<OpRecord> all;
    for (auto& records : records_) {
        all.insert(all.end(), std::make_move_iterator(records.begin()), std::make_move_iterator(records.end()));
        records.clear();
    }
    return all;
}

LoadSummary summarize(const std::vector<OpRecord>& records) {
    LoadSummary summary;
    summary.operations = records.size();
    std::vector<Clock::duration> durations;
    durations.reserve(records.size());
    for (const auto& record : records) {
        durations.push_back(record.duration);
        summary.max_duration = std::max(summary.max_duration, record.duration);
        if (record.wrong_answer) ++summary.wrong_answers;
        if (record.error.empty()) continue;
        if (summary.errors == 0 || record.start < summary.first_error) {
            summary.first_error = record.start;
            summary.first_error_text = record.error;
        }
        ++summary.errors;
        summary.last_error_end = std::max(summary.last_error_end, record.start + record.duration);
    }
    if (!durations.empty()) {
        const auto at = durations.size() * 99 / 100;
        std::nth_element(durations.begin(), durations.begin() + static_cast<std::ptrdiff_t>(at), durations.end());
        summary.p99_duration = durations[at];
    }
    return summary;
}

std::vector<OpRecord> started_between(const std::vector<OpRecord>& records, Clock::time_point from,
                                      Clock::time_point to) {
    std::vector<OpRecord> selected;
    for (const auto& record : records) {
        if (record.start >= from && record.start < to) selected.push_back(record);
    }
    return selected;
}

std::string millis(Clock::duration duration) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count()) + " ms";
}

}  // namespace rediscluster::test
