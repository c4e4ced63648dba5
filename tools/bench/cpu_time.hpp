#pragma once

// CPU time from getrusage(): ours (every thread of the process) and that of
// children already waited for (redis-benchmark, with --compare).

#include <chrono>

namespace rediscluster_bench {

struct CpuTime {
    std::chrono::microseconds user{0};
    std::chrono::microseconds system{0};

    [[nodiscard]] std::chrono::microseconds total() const noexcept { return user + system; }
    friend CpuTime operator-(const CpuTime& later, const CpuTime& earlier) noexcept {
        return {later.user - earlier.user, later.system - earlier.system};
    }
};

/// getrusage(RUSAGE_SELF): all threads of this process so far.
[[nodiscard]] CpuTime process_cpu_time() noexcept;
/// getrusage(RUSAGE_CHILDREN): children that have ended and been waited for.
[[nodiscard]] CpuTime waited_children_cpu_time() noexcept;

}  // namespace rediscluster_bench
