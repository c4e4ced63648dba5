// The spec's "Read Replica Configuration" example: reads served by replicas,
// writes by masters; and read-only mode.
//
// Usage: read_replicas [port]     (default 7000)

#include <cstdio>
#include <cstdlib>

#include "rediscluster/rediscluster.hpp"

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
    try {
        // Allow writes to masters, reads from replicas.
        rediscluster::RedisCluster rc({
            .startup_nodes = {{"127.0.0.1", port}},
            .readonly_mode = false,
            .read_from_replicas = true,
        });
        rc.set("replica:key", "value");
        (void)rc.execute_command("WAIT", 1, 1000);  // let the replica catch up
        auto reader = rc.connection_pool->get_connection("GET", "replica:key");
        std::printf("GET replica:key -> %s, served by %s (%s)\n",
                    reader->execute("GET", "replica:key").to_debug_string().c_str(), reader.node().name.c_str(),
                    reader.node().server_type.c_str());
        const bool replica_served = !reader.node().is_master();
        reader.release();

        // Read-only mode: every connection READONLY, reads to replicas when possible.
        rediscluster::RedisCluster rc_readonly({
            .startup_nodes = {{"127.0.0.1", port}},
            .readonly_mode = true,
            .read_from_replicas = true,
        });
        std::printf("read-only client: GET replica:key -> %s\n", rc_readonly.get("replica:key").value_or("(nil)").c_str());
        return replica_served ? 0 : 1;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "read_replicas: %s\n", e.what());
        return 1;
    }
}
