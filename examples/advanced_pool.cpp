// The spec's "Advanced Pool Configuration" example: every pool option set.
//
// Usage: advanced_pool [port]     (default 7000)

#include <cstdio>
#include <cstdlib>

#include "rediscluster/rediscluster.hpp"

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
    try {
        auto pool = std::make_shared<rediscluster::ClusterConnectionPool>(rediscluster::ClusterConnectionPoolOptions{
            .startup_nodes = {{"127.0.0.1", port}},
            .init_slot_cache = true,            // initialize slot mappings on startup
            .max_connections = 64,              // total connections across cluster
            .max_connections_per_node = 16,     // per-node limit
            .reinitialize_steps = 1000,         // re-discover after 1000 redirects
            .skip_full_coverage_check = false,  // ensure all slots covered
            .nodemanager_follow_cluster = true, // follow topology changes
            .connection_kwargs = {.socket_timeout = 5s,          // 5 second socket timeout
                                  .socket_connect_timeout = 5s,  // 5 second connection timeout
                                  .retry_on_timeout = true,      // retry commands on timeout
                                  .decode_responses = true},     // decode responses to strings
        });
        rediscluster::RedisCluster rc({.connection_pool = pool});
        rc.set("advanced:text", "caf\xC3\xA9");
        std::printf("GET advanced:text -> %s (decoded as UTF-8)\n", rc.get("advanced:text")->c_str());
        std::printf("slots mapped: %zu, connections: %zu\n", pool->nodes.slots()->size(), pool->created_connections());
        return 0;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "advanced_pool: %s\n", e.what());
        return 1;
    }
}
