#pragma once

// A fixed-size latency histogram: recording never allocates, so it can sit
// in the measured loop; per-thread histograms are merged at the end.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace rediscluster_bench {

/// Latencies in nanoseconds, in log-linear buckets: below 128 ns one bucket
/// per nanosecond, above that 128 buckets per power of two, so a reported
/// value is within 0.4 % of the true one. Latencies of 2^40 ns (about 18
/// minutes) or more land in the last bucket. About 35 KB: allocate it once,
/// on the heap, per thread.
class LatencyHistogram {
public:
    void record(std::chrono::nanoseconds latency) noexcept;
    /// Adds the other histogram's counts to this one.
    void merge(const LatencyHistogram& other) noexcept;

    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
    /// The latency at or below which `fraction` (0..1) of the recorded ones
    /// fall, e.g. 0.99 for p99. Zero when nothing was recorded.
    [[nodiscard]] std::chrono::nanoseconds percentile(double fraction) const noexcept;
    [[nodiscard]] std::chrono::nanoseconds max() const noexcept { return std::chrono::nanoseconds(max_ns_); }
    [[nodiscard]] std::chrono::nanoseconds mean() const noexcept;

private:
    static constexpr unsigned kSubBucketBits = 7;
    static constexpr std::size_t kSubBuckets = std::size_t{1} << kSubBucketBits;
    static constexpr unsigned kRangeBits = 40;
    static constexpr std::size_t kBucketCount = (kRangeBits - kSubBucketBits + 1) * kSubBuckets;

    [[nodiscard]] static std::size_t bucket_of(std::uint64_t nanoseconds) noexcept;
    /// The middle of a bucket's range.
    [[nodiscard]] static std::uint64_t value_of(std::size_t bucket) noexcept;

    std::array<std::uint64_t, kBucketCount> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ns_ = 0;
    std::uint64_t max_ns_ = 0;
};

}  // namespace rediscluster_bench
