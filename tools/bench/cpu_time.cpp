#include "bench/cpu_time.hpp"

#include <sys/resource.h>
#include <sys/time.h>

namespace rediscluster_bench {
namespace {

std::chrono::microseconds to_duration(const timeval& value) noexcept {
    return std::chrono::seconds(value.tv_sec) + std::chrono::microseconds(value.tv_usec);
}

CpuTime cpu_time_of(int who) noexcept {
    rusage usage{};
    // getrusage only fails for an invalid `who`; zeros are then reported.
    if (getrusage(who, &usage) != 0) return {};
    return {to_duration(usage.ru_utime), to_duration(usage.ru_stime)};
}

}  // namespace

CpuTime process_cpu_time() noexcept { return cpu_time_of(RUSAGE_SELF); }
CpuTime waited_children_cpu_time() noexcept { return cpu_time_of(RUSAGE_CHILDREN); }

}  // namespace rediscluster_bench
