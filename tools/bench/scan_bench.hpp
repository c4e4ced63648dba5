#pragma once

// rediscluster-bench -t scan: every key of the cluster through
// RedisCluster::scan_iter, timed, round after round; with --compare, the
// same keys through `redis-cli --scan` run against each master in turn,
// alternating with our rounds so both see the same machine. Medians of
// keys per second, and the client CPU per key, are printed.

#include <cstdio>

#include "bench/options.hpp"

namespace rediscluster {
class RedisCluster;
}

namespace rediscluster_bench {

/// Runs the scan benchmark (keys written first unless --no-fill) and
/// prints its report to `out`. Returns the exit status (1 when redis-cli
/// failed or the two sides counted different keys).
int run_scan_bench(rediscluster::RedisCluster& client, const BenchOptions& options, std::FILE* out);

}  // namespace rediscluster_bench
