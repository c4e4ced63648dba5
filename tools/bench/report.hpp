#pragma once

// Printing a run's results: a readable summary, JSON or CSV.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bench/options.hpp"
#include "bench/workload.hpp"

namespace rediscluster_bench {

/// One redis-benchmark figure to set ours against (a run, or an estimate
/// combined from two runs).
struct PeerLine {
    /// "SET", "GET", or "SET+GET" for the estimate of a mix.
    std::string test;
    std::uint64_t requests = 0;
    double ops_per_sec = 0;
    std::optional<double> p50_us = std::nullopt;
    std::optional<double> p99_us = std::nullopt;
    double cpu_us_per_op = 0;
};

struct Report {
    const BenchOptions& options;
    const RunResult& run;
    std::optional<FillResult> fill = std::nullopt;
    std::vector<PeerLine> peers = {};
    /// Caveats worth reading next to the figures.
    std::vector<std::string> notes = {};
};

/// Prints `report` on `out` in options.format.
void print_report(const Report& report, std::FILE* out);

/// Our throughput and CPU per operation, as the report computes them.
[[nodiscard]] double ops_per_second(const RunResult& run) noexcept;
[[nodiscard]] double cpu_microseconds_per_op(const RunResult& run) noexcept;

}  // namespace rediscluster_bench
