// The spec's "Blocking Connection Pool" example: at most 20 connections; a
// caller waits up to 30 s for one instead of failing. Eight threads share
// the client here.
//
// Usage: blocking_pool [port]     (default 7000)

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "rediscluster/rediscluster.hpp"

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
    try {
        auto pool = std::make_shared<rediscluster::ClusterBlockingConnectionPool>(rediscluster::ClusterConnectionPoolOptions{
            .startup_nodes = {{"127.0.0.1", port}},
            .max_connections = 20,
            .timeout = 30s,  // block up to 30 seconds for a connection
        });
        rediscluster::RedisCluster rc({.connection_pool = pool});
        std::atomic<int> done{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 200; ++i) {
                    rc.incr("blocking:counter:" + std::to_string(t));
                    ++done;
                }
            });
        }
        for (auto& thread : threads) thread.join();
        std::printf("%d INCRs from 8 threads over at most 20 connections (%zu alive)\n", done.load(),
                    pool->created_connections());
        return pool->created_connections() <= 20 ? 0 : 1;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "blocking_pool: %s\n", e.what());
        return 1;
    }
}
