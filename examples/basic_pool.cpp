// The spec's "Basic Connection Pool Usage" and "Connection Pool Monitoring"
// examples: a pool over the local cluster, a write and a read routed by slot,
// then the topology and the connection count.
//
// Usage: basic_pool [port]      (default 7000; start the cluster first:
//                                scripts/local-cluster start)

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "rediscluster/rediscluster.hpp"

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
    try {
        rediscluster::ClusterConnectionPool pool({
            .startup_nodes = {{"127.0.0.1", port}, {"127.0.0.1", static_cast<std::uint16_t>(port + 1)}},
            .max_connections = 32,
            .max_connections_per_node = 8,
            .connection_kwargs = {.socket_timeout = 5s, .socket_connect_timeout = 5s},
        });

        {
            auto connection = pool.get_connection("SET", "user:1000");  // routed to the key's master
            connection->execute("SET", "user:1000", 42);
            std::printf("SET user:1000 on %s\n", connection.node().name.c_str());
        }  // the connection goes back to the pool here
        auto reader = pool.get_connection("GET", "user:1000");
        std::printf("GET user:1000 -> %s\n", reader->execute("GET", "user:1000").to_debug_string().c_str());
        reader.release();

        for (const auto& node : pool.nodes.all_nodes()) {
            std::printf("Node: %s:%u - %s\n", node.host.c_str(), node.port, node.server_type.c_str());
        }
        std::printf("Total slots mapped: %zu\n", pool.nodes.slots()->size());
        std::printf("Active connections: %zu\n", pool.created_connections());
        return 0;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "basic_pool: %s\n", e.what());
        return 1;
    }
}
