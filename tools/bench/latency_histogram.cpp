#include "bench/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace rediscluster_bench {

void LatencyHistogram::record(std::chrono::nanoseconds latency) noexcept {
    const auto nanoseconds = static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0));
    ++counts_[bucket_of(nanoseconds)];
    ++count_;
    sum_ns_ += nanoseconds;
    max_ns_ = std::max(max_ns_, nanoseconds);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
    for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ns_ += other.sum_ns_;
    max_ns_ = std::max(max_ns_, other.max_ns_);
}

std::chrono::nanoseconds LatencyHistogram::percentile(double fraction) const noexcept {
    if (count_ == 0) return std::chrono::nanoseconds(0);
    // The rank of the wanted sample, 1-based: p50 of 2 samples is the first.
    const double wanted = std::ceil(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count_));
    const auto rank = std::max<std::uint64_t>(static_cast<std::uint64_t>(wanted), 1);
    std::uint64_t seen = 0;
    for (std::size_t bucket = 0; bucket < kBucketCount; ++bucket) {
        seen += counts_[bucket];
        if (seen >= rank) {
            // A bucket's middle may lie above the largest sample in it.
            return std::chrono::nanoseconds(static_cast<std::int64_t>(std::min(value_of(bucket), max_ns_)));
        }
    }
    return max();
}

std::chrono::nanoseconds LatencyHistogram::mean() const noexcept {
    if (count_ == 0) return std::chrono::nanoseconds(0);
    return std::chrono::nanoseconds(static_cast<std::int64_t>(sum_ns_ / count_));
}

// Values below 2^kSubBucketBits have a bucket each. Above, the top
// kSubBucketBits + 1 bits of the value pick the bucket: the position of the
// highest bit picks the group, the next kSubBucketBits bits the bucket in it.
std::size_t LatencyHistogram::bucket_of(std::uint64_t nanoseconds) noexcept {
    constexpr std::uint64_t kLargest = (std::uint64_t{1} << kRangeBits) - 1;
    const std::uint64_t value = std::min(nanoseconds, kLargest);
    if (value < kSubBuckets) return static_cast<std::size_t>(value);
    const auto highest_bit = static_cast<unsigned>(std::bit_width(value)) - 1;
    const unsigned shift = highest_bit - kSubBucketBits;
    const auto top_bits = static_cast<std::size_t>(value >> shift);  // kSubBuckets .. 2*kSubBuckets-1
    return (shift + 1) * kSubBuckets + (top_bits - kSubBuckets);
}

std::uint64_t LatencyHistogram::value_of(std::size_t bucket) noexcept {
    if (bucket < kSubBuckets) return bucket;
    const auto shift = static_cast<unsigned>(bucket / kSubBuckets) - 1;
    const std::uint64_t top_bits = bucket % kSubBuckets + kSubBuckets;
    const std::uint64_t lowest = top_bits << shift;
    const std::uint64_t width = std::uint64_t{1} << shift;
    return lowest + width / 2;
}

}  // namespace rediscluster_bench
