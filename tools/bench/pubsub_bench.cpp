#include "bench/pubsub_bench.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "bench/cpu_time.hpp"
#include "bench/redis_benchmark.hpp"
#include "rediscluster/rediscluster.hpp"

namespace rediscluster_bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t kDefaultBatch = 100;
// redis-benchmark's settings for the server's own rate: enough clients and
// pipelining that the server, not the benchmark, is the limit.
constexpr unsigned kPeerClients = 8;
constexpr unsigned kPeerPipeline = 16;

struct Side {
    double messages_per_sec = 0;
    double cpu_us_per_message = 0;
    std::uint64_t received = 0;
};

// Receives until `expected` messages came or nothing came for a second.
std::uint64_t drain(rediscluster::PubSub& pubsub, std::uint64_t expected, Clock::time_point& last) {
    std::uint64_t received = 0;
    while (received < expected) {
        auto message = pubsub.get_message(1s);
        if (!message) break;
        if (message->kind == rediscluster::PubSubMessage::Kind::message) ++received;
        last = Clock::now();
    }
    return received;
}

Side run_ours(rediscluster::RedisCluster& client, const std::vector<std::string>& channels, const BenchOptions& options) {
    rediscluster::PubSubOptions pubsub_options;
    pubsub_options.max_queued_messages = options.ops + 16;
    auto pubsub = client.pubsub(pubsub_options);
    pubsub.subscribe(channels);
    const std::string payload(options.value_size, 'x');
    const std::size_t batch = options.pipeline > 0 ? options.pipeline : kDefaultBatch;

    const auto cpu_before = process_cpu_time();
    const auto start = Clock::now();
    auto last = start;
    std::uint64_t received = 0;
    std::thread subscriber([&] { received = drain(pubsub, options.ops, last); });
    for (std::uint64_t sent = 0; sent < options.ops;) {
        auto pipeline = client.pipeline();
        for (std::size_t i = 0; i < batch && sent < options.ops; ++i, ++sent) {
            pipeline.publish(channels[sent % channels.size()], payload);
        }
        (void)pipeline.execute();
    }
    subscriber.join();
    const auto cpu = process_cpu_time() - cpu_before;
    Side side;
    side.received = received;
    const double seconds = std::chrono::duration<double>(last - start).count();
    side.messages_per_sec = seconds > 0 ? static_cast<double>(received) / seconds : 0;
    side.cpu_us_per_message =
        received > 0 ? static_cast<double>(cpu.total().count()) / static_cast<double>(received) : 0;
    return side;
}

Side run_peer(rediscluster::RedisCluster& client, const std::string& channel, const BenchOptions& options) {
    rediscluster::PubSubOptions pubsub_options;
    pubsub_options.max_queued_messages = options.ops + 16;
    auto pubsub = client.pubsub(pubsub_options);
    pubsub.subscribe({channel});
    std::uint64_t received = 0;
    auto last = Clock::now();
    std::thread subscriber([&] { received = drain(pubsub, options.ops, last); });
    const auto master = client.connection_pool->get_master_node_by_slot(rediscluster::key_slot(channel));
    RedisBenchmarkSettings settings;
    settings.path = options.redis_benchmark_path;
    settings.host = master.host;
    settings.port = master.port;
    settings.clients = kPeerClients;
    settings.requests = options.ops;
    settings.pipeline = kPeerPipeline;
    const auto result = run_redis_benchmark_command(settings, {"PUBLISH", channel, std::string(options.value_size, 'x')});
    subscriber.join();
    Side side;
    side.received = received;
    side.messages_per_sec = result.row.ops_per_sec;
    side.cpu_us_per_message = static_cast<double>(result.cpu.total().count()) / static_cast<double>(options.ops);
    return side;
}

}  // namespace

int run_pubsub_bench(rediscluster::RedisCluster& client, const BenchOptions& options, std::FILE* out) {
    std::vector<std::string> channels;
    for (unsigned i = 0; i < options.channels; ++i) channels.push_back("bench:channel:" + std::to_string(i));
    if (options.compare) check_redis_benchmark(options.redis_benchmark_path);

    const auto ours = run_ours(client, channels, options);
    std::fprintf(out, "pubsub: %llu messages of %zu bytes on %u channel(s), pipelines of %zu PUBLISH\n",
                 static_cast<unsigned long long>(options.ops), options.value_size, options.channels,
                 options.pipeline > 0 ? options.pipeline : kDefaultBatch);
    std::fprintf(out, "%-44s %12.0f msg/s  %6.2f us CPU/msg  (%llu received)\n", "rediscluster PubSub (end to end)",
                 ours.messages_per_sec, ours.cpu_us_per_message, static_cast<unsigned long long>(ours.received));
    int status = ours.received == options.ops ? 0 : 1;
    if (options.compare) {
        try {
            const auto peer = run_peer(client, channels.front(), options);
            std::fprintf(out, "%-44s %12.0f msg/s  %6.2f us CPU/msg  (%llu received by our PubSub)\n",
                         "redis-benchmark PUBLISH -c 8 -P 16 (1 channel)", peer.messages_per_sec,
                         peer.cpu_us_per_message, static_cast<unsigned long long>(peer.received));
            if (peer.messages_per_sec > 0) {
                std::fprintf(out, "ratio: %.2fx redis-benchmark PUBLISH\n", ours.messages_per_sec / peer.messages_per_sec);
            }
            if (peer.received != options.ops) status = 1;
        } catch (const PeerError& error) {
            std::fprintf(stderr, "rediscluster-bench: redis-benchmark: %s\n", error.what());
            status = 1;
        }
    }
    if (ours.received != options.ops) {
        std::fprintf(stderr, "rediscluster-bench: %llu of %llu messages received\n",
                     static_cast<unsigned long long>(ours.received), static_cast<unsigned long long>(options.ops));
    }
    return status;
}

}  // namespace rediscluster_bench
