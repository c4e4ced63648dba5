// The spec's "Host/Port Remapping" example: the cluster announces one
// address space, the client reaches it through another. Here the nodes
// announce 127.0.0.1 and the client is told to use "localhost" instead,
// with the spec's map form for every node.
//
// Usage: host_port_remap [port]   (default 7000; a 6-node cluster)

#include <cstdio>
#include <cstdlib>
#include <map>

#include "rediscluster/rediscluster.hpp"

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
    try {
        std::map<rediscluster::HostPort, rediscluster::HostPort> host_port_remap;
        for (std::uint16_t i = 0; i < 6; ++i) {
            const auto node_port = static_cast<std::uint16_t>(port + i);
            host_port_remap[{"127.0.0.1", node_port}] = {"localhost", node_port};
        }
        rediscluster::RedisCluster rc({
            .startup_nodes = {{"localhost", port}},
            .host_port_remap = host_port_remap,
        });
        rc.set("remapped:key", "1");
        for (const auto& node : rc.connection_pool->nodes.all_nodes()) {
            std::printf("Node: %s - %s\n", node.name.c_str(), node.server_type.c_str());
            if (node.host != "localhost") return 1;
        }
        return rc.get("remapped:key") == "1" ? 0 : 1;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "host_port_remap: %s\n", e.what());
        return 1;
    }
}
