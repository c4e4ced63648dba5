// rediscluster-bench: throughput, latency percentiles and client CPU per
// operation of SET, GET or a mix of both through RedisCluster, optionally
// side by side with redis-benchmark --cluster run with the same settings;
// or (-t scan) the keys per second of a whole-cluster SCAN, optionally
// side by side with redis-cli --scan on each master (bench/scan_bench.hpp).
//
//   rediscluster-bench -p 7000 -t get --threads 4 --ops 100000
//   rediscluster-bench -p 7000 -t mix --read-ratio 0.9 --duration 10 --json
//   rediscluster-bench -p 7000 -t set --threads 50 --ops 20000 --compare
//   rediscluster-bench -p 7000 -t scan --keys 1000000 --compare
//
// `rediscluster-bench --help` lists the options (see bench/options.cpp).
// Exit status: 0 done, 1 cluster unreachable or redis-benchmark failed,
// 2 bad arguments.

#include <algorithm>
#include <cstdio>
#include <exception>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench/options.hpp"
#include "bench/pubsub_bench.hpp"
#include "bench/redis_benchmark.hpp"
#include "bench/report.hpp"
#include "bench/scan_bench.hpp"
#include "bench/workload.hpp"
#include "rediscluster/rediscluster.hpp"

namespace {

using namespace rediscluster_bench;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

rediscluster::ClusterConnectionPoolOptions pool_options(const BenchOptions& options) {
    rediscluster::ClusterConnectionPoolOptions result;
    result.startup_nodes = {{options.host, options.port}};
    result.max_connections = options.max_connections;
    result.connection_kwargs.busy_poll = options.busy_poll;
    return result;
}

rediscluster::RedisClusterOptions client_options(const BenchOptions& options) {
    rediscluster::RedisClusterOptions result;
    result.startup_nodes = {{options.host, options.port}};
    result.max_connections = options.max_connections;
    result.connection_kwargs.busy_poll = options.busy_poll;
    switch (options.pool) {
        case PoolChoice::default_pool: break;
        case PoolChoice::blocking:
            result.connection_pool = std::make_shared<rediscluster::ClusterBlockingConnectionPool>(pool_options(options));
            break;
        case PoolChoice::readonly: result.readonly_mode = true; break;
        case PoolChoice::replicas: result.read_from_replicas = true; break;
        case PoolChoice::multiplexed: result.multiplexed_connections = true; break;
    }
    return result;
}

// The client, or nullptr after telling the user why the cluster could not be reached.
std::unique_ptr<rediscluster::RedisCluster> connect(const BenchOptions& options) {
    try {
        return std::make_unique<rediscluster::RedisCluster>(client_options(options));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "rediscluster-bench: cannot use the cluster at %s:%u: %s\n", options.host.c_str(),
                     options.port, error.what());
        return nullptr;
    }
}

bool needs_fill(const BenchOptions& options) { return options.fill && options.workload != Workload::set; }

FillResult fill(rediscluster::RedisCluster& client, const BenchOptions& options) {
    if (!options.quiet) {
        std::fprintf(stderr, "rediscluster-bench: writing %llu keys before the run (not measured)...\n",
                     static_cast<unsigned long long>(options.keys));
    }
    auto result = fill_keys(client, options);
    if (result.errors.count > 0) {
        std::fprintf(stderr, "rediscluster-bench: warning: %llu SETs of the fill failed, the first with: %s\n",
                     static_cast<unsigned long long>(result.errors.count), result.errors.first_message->c_str());
    }
    return result;
}

// ---------------------------------------------------------------------------
// --compare

// redis-benchmark's -P: --peer-pipeline, or our pipeline shared among the
// masters (redis-benchmark keeps -P requests in flight per master).
unsigned peer_pipeline(const BenchOptions& options, std::size_t masters) {
    if (options.peer_pipeline) return *options.peer_pipeline;
    if (options.pipeline == 0) return 1;
    const auto per_master = (options.pipeline + std::max<std::size_t>(masters, 1) - 1) / std::max<std::size_t>(masters, 1);
    return static_cast<unsigned>(per_master);
}

RedisBenchmarkSettings peer_settings(const BenchOptions& options, std::uint64_t requests, std::string test,
                                     unsigned pipeline) {
    return {options.redis_benchmark_path, options.host, options.port, options.threads, requests, options.value_size,
            options.keys, std::move(test), pipeline};
}

PeerLine to_line(const PeerResult& result) {
    const double cpu_us = static_cast<double>(result.cpu.total().count());
    return {result.test, result.requests, result.row.ops_per_sec, result.row.p50_us, result.row.p99_us,
            result.requests == 0 ? 0.0 : cpu_us / static_cast<double>(result.requests)};
}

// What a mix at `read_ratio` would give if it cost what SET and GET cost
// alone: time per operation (and so ops/s) and CPU per operation weigh in
// by their share.
PeerLine mix_estimate(const PeerLine& set, const PeerLine& get, double read_ratio) {
    const double seconds_per_op = read_ratio / get.ops_per_sec + (1 - read_ratio) / set.ops_per_sec;
    PeerLine line;
    line.test = "SET+GET";
    line.requests = set.requests + get.requests;
    line.ops_per_sec = seconds_per_op > 0 ? 1 / seconds_per_op : 0;
    line.cpu_us_per_op = read_ratio * get.cpu_us_per_op + (1 - read_ratio) * set.cpu_us_per_op;
    return line;
}

// redis-benchmark's threads notice the end of a run only on their 250 ms
// timer, and until then poll a writable socket in a loop (epoll_wait returns
// at once). A short run therefore shows fewer ops/s and more CPU per
// operation than it should: up to 250 ms of CPU per thread with a client.
void note_short_peer_runs(Report& report, const BenchOptions& options, std::size_t masters) {
    constexpr double kTimerSeconds = 0.25;
    constexpr double kLongEnoughSeconds = 10;
    bool short_run = false;
    for (const auto& peer : report.peers) {
        if (peer.ops_per_sec > 0 && static_cast<double>(peer.requests) / peer.ops_per_sec < kLongEnoughSeconds) {
            short_run = true;
        }
    }
    if (!short_run || report.peers.empty()) return;
    const auto spinning_threads = static_cast<double>(std::min<std::size_t>(options.threads, std::max<std::size_t>(masters, 1)));
    const double requests = static_cast<double>(report.peers.front().requests);
    const double cpu_bound_us = kTimerSeconds * spinning_threads / requests * 1e6;
    char text[512];
    std::snprintf(text, sizeof text,
                  "redis-benchmark ran for less than %.0f s: its threads stop on a 250 ms timer and busy-poll until "
                  "then, so its ops/s reads low and its CPU per op high, by up to %.1f µs/op here; more --ops "
                  "shrink this",
                  kLongEnoughSeconds, cpu_bound_us);
    report.notes.emplace_back(text);
}

void add_peer_runs(Report& report, const BenchOptions& options, std::size_t masters) {
    const unsigned pipeline = peer_pipeline(options, masters);
    // A timed run has no -n of its own: redis-benchmark gets as many
    // requests as we managed.
    // (redis-benchmark reads -n as a C int.)
    constexpr auto kMostRequests = static_cast<std::uint64_t>(std::numeric_limits<int>::max());
    const std::uint64_t requests = options.duration ? std::min(report.run.ops, kMostRequests) : options.ops;
    if (!options.quiet) std::fprintf(stderr, "rediscluster-bench: running redis-benchmark --cluster...\n");
    report.notes.emplace_back(
        "redis-benchmark --cluster binds each of its -c clients to one master (one event-loop thread per master) "
        "and uses keys key:{tag}:<n> with one hash tag per master; with -c 1 it talks to a single master");
    switch (options.workload) {
        case Workload::set:
            report.peers.push_back(to_line(run_redis_benchmark(peer_settings(options, requests, "set", pipeline))));
            break;
        case Workload::get:
            if (options.fill) {
                // Its GETs read only keys its own SETs wrote (they carry its hash tags).
                (void)run_redis_benchmark(peer_settings(options, requests, "set", pipeline));
                report.notes.emplace_back("redis-benchmark's GET run follows an unmeasured SET run of as many requests "
                                          "on random keys, so some of its GETs answer nil");
            }
            report.peers.push_back(to_line(run_redis_benchmark(peer_settings(options, requests, "get", pipeline))));
            break;
        case Workload::mix: {
            // redis-benchmark has no mix: SET and GET run apart, and an
            // estimate weighted by the read ratio stands for the mix.
            const auto set = to_line(run_redis_benchmark(peer_settings(options, requests, "set", pipeline)));
            const auto get = to_line(run_redis_benchmark(peer_settings(options, requests, "get", pipeline)));
            report.peers = {set, get, mix_estimate(set, get, options.read_ratio)};
            report.notes.emplace_back("redis-benchmark has no mixed workload: SET and GET ran apart; the SET+GET "
                                      "line weighs their time and CPU per operation by the read ratio");
            break;
        }
        case Workload::scan:
        case Workload::pubsub: break;  // compared in scan_bench.cpp and pubsub_bench.cpp
    }
    if (pipeline > 1) {
        report.notes.emplace_back("redis-benchmark ran with -P " + std::to_string(pipeline) +
                                  ": each client keeps that many requests in flight per master");
    }
    report.notes.emplace_back("redis-benchmark's CSV gives no p99.9");
}

int run(const BenchOptions& options) {
    if (options.workload == Workload::scan) {
        const auto client = connect(options);
        return client ? run_scan_bench(*client, options, stdout) : kExitFailure;
    }
    if (options.workload == Workload::pubsub) {
        const auto client = connect(options);
        return client ? run_pubsub_bench(*client, options, stdout) : kExitFailure;
    }
    if (options.compare) check_redis_benchmark(options.redis_benchmark_path);
    const auto client = connect(options);
    if (!client) return kExitFailure;

    std::optional<FillResult> fill_result;
    if (needs_fill(options)) fill_result = fill(*client, options);
    const RunResult result = options.async ? run_async_measured(client_options(options), options)
                                           : run_measured(*client, options);

    Report report{options, result, fill_result};
    int status = 0;
    if (options.compare) {
        try {
            const auto masters = client->connection_pool->get_nodes_by_server_type("master").size();
            add_peer_runs(report, options, masters);
            note_short_peer_runs(report, options, masters);
        } catch (const PeerError& error) {
            // Our figures still stand; print them, then fail.
            std::fprintf(stderr, "rediscluster-bench: redis-benchmark: %s\n", error.what());
            report.peers.clear();
            report.notes.clear();
            status = kExitFailure;
        }
    }
    print_report(report, stdout);
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    BenchOptions options;
    try {
        options = parse_options(std::span<const char* const>(argv + 1, static_cast<std::size_t>(argc - 1)));
    } catch (const UsageError& error) {
        std::fprintf(stderr, "rediscluster-bench: %s\n", error.what());
        return kExitUsage;
    }
    if (options.help) {
        std::fputs(std::string(usage_text()).c_str(), stdout);
        return 0;
    }
    try {
        return run(options);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "rediscluster-bench: %s\n", error.what());
        return kExitFailure;
    }
}
