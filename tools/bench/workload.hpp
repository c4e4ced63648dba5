#pragma once

// The two phases of a run against the cluster: the fill (every key written
// once, not measured) and the measured phase (SET/GET/mix from N threads).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bench/cpu_time.hpp"
#include "bench/latency_histogram.hpp"
#include "bench/options.hpp"

namespace rediscluster {
class RedisCluster;
struct RedisClusterOptions;
}

namespace rediscluster_bench {

/// Commands that failed: how many, and the first one's message.
struct ErrorTally {
    std::uint64_t count = 0;
    std::optional<std::string> first_message = std::nullopt;

    void add(const ErrorTally& other);
};

struct FillResult {
    std::uint64_t keys_written = 0;
    ErrorTally errors;
    std::chrono::duration<double> elapsed{0};
};

struct RunResult {
    /// Commands sent, failed ones included.
    std::uint64_t ops = 0;
    std::uint64_t reads = 0;
    /// GETs answered with nil (the key did not exist).
    std::uint64_t misses = 0;
    ErrorTally errors;
    /// Wall time from the moment every thread was connected until the last finished.
    std::chrono::duration<double> elapsed{0};
    /// CPU of the whole process over that time.
    CpuTime cpu;
    std::unique_ptr<LatencyHistogram> latency = std::make_unique<LatencyHistogram>();
};

/// Writes key:0 .. key:<keys-1> with SET, from at least as many threads as
/// the measured phase will use.
[[nodiscard]] FillResult fill_keys(rediscluster::RedisCluster& client, const BenchOptions& options);

/// The measured phase. Each thread first opens its connections (not
/// measured), then runs its share of `ops` (or until `duration` is over),
/// timing each command. Prints a progress line on stderr every second
/// unless `quiet`.
[[nodiscard]] RunResult run_measured(rediscluster::RedisCluster& client, const BenchOptions& options);

/// --async: the measured phase through AsyncRedisCluster (built with the
/// same options as `client`) on this thread, options.inflight commands in
/// flight. Connections are opened before the clock starts. Throws
/// std::runtime_error when the tool was built without rediscluster::asio.
[[nodiscard]] RunResult run_async_measured(const rediscluster::RedisClusterOptions& client_options,
                                           const BenchOptions& options);

}  // namespace rediscluster_bench
