#include "bench/scan_bench.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/cpu_time.hpp"
#include "rediscluster/rediscluster.hpp"

namespace rediscluster_bench {
namespace {

using Clock = std::chrono::steady_clock;

// Keys written per pipeline while filling: large batches keep the fill of
// a million keys to a few seconds.
constexpr std::uint64_t kFillBatch = 10'000;

struct Round {
    std::uint64_t keys = 0;
    double seconds = 0;
    double cpu_us = 0;  // the process's (ours) or the children's (redis-cli)

    [[nodiscard]] double keys_per_sec() const { return seconds > 0 ? static_cast<double>(keys) / seconds : 0; }
    [[nodiscard]] double cpu_us_per_key() const { return keys > 0 ? cpu_us / static_cast<double>(keys) : 0; }
};

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto middle = values.size() / 2;
    return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

template <class Field>
double median_of(const std::vector<Round>& rounds, Field field) {
    std::vector<double> values;
    for (const auto& round : rounds) values.push_back((round.*field)());
    return median(std::move(values));
}

void fill(rediscluster::RedisCluster& client, const BenchOptions& options) {
    if (!options.quiet) {
        std::fprintf(stderr, "rediscluster-bench: writing %llu keys before the run (not measured)...\n",
                     static_cast<unsigned long long>(options.keys));
    }
    const std::string value(options.value_size, 'x');
    for (std::uint64_t first = 0; first < options.keys; first += kFillBatch) {
        auto pipe = client.pipeline();
        for (std::uint64_t key = first; key < std::min(options.keys, first + kFillBatch); ++key) {
            pipe.set("key:" + std::to_string(key), value);
        }
        (void)pipe.execute();
    }
}

Round scan_with_client(rediscluster::RedisCluster& client, const BenchOptions& options) {
    Round round;
    const auto cpu_before = process_cpu_time();
    const auto start = Clock::now();
    for ([[maybe_unused]] const auto& key : client.scan_iter({.count = options.scan_count})) ++round.keys;
    round.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    round.cpu_us = static_cast<double>((process_cpu_time() - cpu_before).total().count());
    return round;
}

// `redis-cli --scan` against each master in turn, its keys counted as
// they arrive on a pipe.
Round scan_with_redis_cli(const std::vector<rediscluster::NodeInfo>& masters, const BenchOptions& options) {
    Round round;
    const auto cpu_before = waited_children_cpu_time();
    const auto start = Clock::now();
    for (const auto& master : masters) {
        const std::string command = options.redis_cli_path + " -h " + master.host + " -p " +
                                    std::to_string(master.port) + " --scan";
        std::FILE* pipe = ::popen(command.c_str(), "r");
        if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
        char buffer[1 << 16];
        std::size_t read = 0;
        while ((read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
            round.keys += static_cast<std::uint64_t>(std::count(buffer, buffer + read, '\n'));
        }
        const int status = ::pclose(pipe);
        if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            throw std::runtime_error(command + " failed");
        }
    }
    round.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    round.cpu_us = static_cast<double>((waited_children_cpu_time() - cpu_before).total().count());
    return round;
}

void print_side(std::FILE* out, const char* name, const std::vector<Round>& rounds) {
    std::fprintf(out, "%-34s %12.0f keys/s (median of %zu; rounds:", name, median_of(rounds, &Round::keys_per_sec),
                 rounds.size());
    for (const auto& round : rounds) std::fprintf(out, " %.0f", round.keys_per_sec());
    std::fprintf(out, "), %.2f us CPU/key, %llu keys\n", median_of(rounds, &Round::cpu_us_per_key),
                 static_cast<unsigned long long>(rounds.empty() ? 0 : rounds.front().keys));
}

}  // namespace

int run_scan_bench(rediscluster::RedisCluster& client, const BenchOptions& options, std::FILE* out) {
    if (options.fill) fill(client, options);
    const auto masters = client.connection_pool->get_nodes_by_server_type("master");
    std::vector<Round> ours;
    std::vector<Round> peer;
    for (unsigned i = 0; i < options.rounds; ++i) {
        if (!options.quiet) std::fprintf(stderr, "rediscluster-bench: scan round %u of %u...\n", i + 1, options.rounds);
        ours.push_back(scan_with_client(client, options));
        if (options.compare) peer.push_back(scan_with_redis_cli(masters, options));
    }

    int status = 0;
    std::fprintf(out, "SCAN of the whole cluster: %zu masters, COUNT %zu, %u rounds\n", masters.size(),
                 options.scan_count, options.rounds);
    print_side(out, "rediscluster scan_iter", ours);
    if (options.compare) {
        print_side(out, "redis-cli --scan, master by master", peer);
        const double ratio =
            median_of(ours, &Round::keys_per_sec) / std::max(median_of(peer, &Round::keys_per_sec), 1e-9);
        std::fprintf(out, "ratio (rediscluster / redis-cli): %.2f\n", ratio);
        std::fprintf(out, "note: redis-cli --scan sends SCAN with the server's default COUNT (10); before 7.2 it has "
                          "no --count, so compare at --scan-count 10\n");
        if (peer.front().keys != ours.front().keys) {
            std::fprintf(stderr, "rediscluster-bench: the two sides counted different keys (%llu and %llu)\n",
                         static_cast<unsigned long long>(ours.front().keys),
                         static_cast<unsigned long long>(peer.front().keys));
            status = 1;
        }
    }
    return status;
}

}  // namespace rediscluster_bench
