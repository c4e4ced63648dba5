#pragma once

// Command-line options of rediscluster-bench and their parser.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rediscluster_bench {

enum class Workload { set, get, mix, scan, pubsub };

/// Which pool the client runs on (see RedisClusterOptions).
enum class PoolChoice {
    default_pool,  // ClusterConnectionPool
    blocking,      // ClusterBlockingConnectionPool, given as connection_pool
    readonly,      // readonly_mode: READONLY connections, reads still on masters
    replicas,      // read_from_replicas: reads on replicas, writes on masters
    multiplexed,   // multiplexed_connections: one shared connection per master
};

enum class OutputFormat { text, json, csv };

struct BenchOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 7000;
    Workload workload = Workload::set;
    /// Share of GETs in the mix workload.
    double read_ratio = 0.8;
    /// Keys are key:0 .. key:<keys-1>.
    std::uint64_t keys = 100000;
    std::size_t value_size = 32;
    unsigned threads = 1;
    /// The measured phase ends after this many operations (all threads
    /// together) or after `duration`; never both.
    std::uint64_t ops = 100000;
    std::optional<std::chrono::duration<double>> duration = std::nullopt;
    PoolChoice pool = PoolChoice::default_pool;
    /// Passed to the pool; unset keeps the pool's own default.
    std::optional<std::size_t> max_connections = std::nullopt;
    /// Commands per Pipeline::execute(); 0 runs single commands.
    std::size_t pipeline = 0;
    /// redis-benchmark's -P with --compare; unset: --pipeline divided by
    /// the number of masters, rounded up (redis-benchmark batches per
    /// master), or 1 without --pipeline.
    std::optional<unsigned> peer_pipeline = std::nullopt;
    /// Run through AsyncRedisCluster on one thread, `inflight` commands in
    /// flight at once (each lane issues its next command when the last
    /// completes).
    bool async = false;
    std::size_t inflight = 1;
    /// ConnectionOptions::busy_poll for every connection; 0 is off.
    std::chrono::microseconds busy_poll{0};
    /// Write every key before a get or mix run (not measured).
    bool fill = true;
    /// No progress line on stderr.
    bool quiet = false;
    OutputFormat format = OutputFormat::text;
    /// Also run redis-benchmark --cluster with matching settings.
    bool compare = false;
    std::string redis_benchmark_path = "/usr/bin/redis-benchmark";
    /// -t scan: SCAN's COUNT. 10 is the server's default, which redis-cli
    /// --scan uses (it has no --count before 7.2).
    std::size_t scan_count = 10;
    /// -t scan: whole-cluster scans timed (the median is reported).
    unsigned rounds = 5;
    /// -t pubsub: channels published to, round robin.
    unsigned channels = 1;
    /// -t scan --compare: the redis-cli binary.
    std::string redis_cli_path = "/usr/bin/redis-cli";
    bool help = false;
};

/// Bad command-line input; the message names the flag.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Parses the arguments after the program name. Throws UsageError.
[[nodiscard]] BenchOptions parse_options(std::span<const char* const> arguments);

/// The --help text.
[[nodiscard]] std::string_view usage_text() noexcept;

[[nodiscard]] std::string_view to_string(Workload workload) noexcept;
[[nodiscard]] std::string_view to_string(PoolChoice pool) noexcept;

}  // namespace rediscluster_bench
