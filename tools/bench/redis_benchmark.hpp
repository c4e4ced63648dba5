#pragma once

// Running Debian's redis-benchmark --cluster as a child process with settings
// matching ours, and reading its --csv output.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench/cpu_time.hpp"

namespace rediscluster_bench {

/// redis-benchmark could not be run, failed, or printed nothing we understand.
class PeerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct RedisBenchmarkSettings {
    std::string path;
    std::string host;
    std::uint16_t port = 0;
    unsigned clients = 1;
    std::uint64_t requests = 0;
    std::size_t value_size = 0;
    std::uint64_t keyspace = 0;
    /// "set" or "get", as redis-benchmark's -t names them.
    std::string test;
    /// -P: requests each client keeps in flight (per master in cluster mode).
    unsigned pipeline = 1;
};

/// One line of redis-benchmark's CSV, latencies in microseconds.
struct RedisBenchmarkRow {
    double ops_per_sec = 0;
    std::optional<double> p50_us = std::nullopt;
    std::optional<double> p99_us = std::nullopt;
};

struct PeerResult {
    /// "SET" or "GET"
    std::string test;
    std::uint64_t requests = 0;
    RedisBenchmarkRow row;
    /// The child's CPU (getrusage RUSAGE_CHILDREN, before and after waiting for it).
    CpuTime cpu;
};

/// The argument vector, program path first:
/// `redis-benchmark --cluster -h H -p P -c C -n N -d D -r R -t T -P P --csv`.
[[nodiscard]] std::vector<std::string> redis_benchmark_arguments(const RedisBenchmarkSettings& settings);

/// Throws PeerError naming the path when it is not an executable file.
void check_redis_benchmark(const std::string& path);

/// Runs redis-benchmark (posix_spawn, no shell), waits for it and reads its
/// CSV row for `settings.test`. Throws PeerError.
[[nodiscard]] PeerResult run_redis_benchmark(const RedisBenchmarkSettings& settings);

/// Runs redis-benchmark against one node (no --cluster) with a command of
/// our own: `redis-benchmark -h H -p P -c C -n N -P P --csv <command...>`,
/// and reads its row (redis-benchmark names it after the command line).
/// Throws PeerError.
[[nodiscard]] PeerResult run_redis_benchmark_command(const RedisBenchmarkSettings& settings,
                                                     const std::vector<std::string>& command);

/// The row for `test` ("SET", "GET") in what `redis-benchmark --csv` printed:
/// a header line `"test","rps","avg_latency_ms",...,"p50_latency_ms",...` and
/// one quoted line per test; in cluster mode the list of masters comes first.
/// nullopt when there is no such row or no rps column.
[[nodiscard]] std::optional<RedisBenchmarkRow> parse_redis_benchmark_csv(std::string_view output, std::string_view test);

}  // namespace rediscluster_bench
