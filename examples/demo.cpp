// The demo run by the README's first command, against the local cluster:
//  1. discovers the cluster and prints its topology;
//  2. writes and reads keys spread over all slots, showing the node that
//     served each;
//  3. fails a master over to its replica (CLUSTER FAILOVER) while a loop
//     keeps writing and reading, and shows the client following the new
//     topology without an error reaching the caller.
//
// Usage: demo [host] [port]      (default 127.0.0.1 7000)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "rediscluster/rediscluster.hpp"

namespace {

using namespace std::chrono_literals;
using rediscluster::RedisCluster;

void print_topology(const RedisCluster& rc) {
    const auto table = rc.connection_pool->nodes.slots();
    for (const auto& range : table->ranges()) {
        std::string replicas;
        for (const auto& replica : range.replicas) replicas += " " + replica.name;
        std::printf("  slots %5u-%5u  master %s  replicas%s\n", range.first, range.last, range.master.name.c_str(),
                    replicas.empty() ? " (none)" : replicas.c_str());
    }
}

std::string role_of(std::uint16_t port) {
    rediscluster::ClusterConnection connection({.host = "127.0.0.1", .port = port});
    return std::string(connection.execute("ROLE")[0].str());
}

}  // namespace

int main(int argc, char** argv) {
    const std::string host = argc > 1 ? argv[1] : "127.0.0.1";
    const auto port = static_cast<std::uint16_t>(argc > 2 ? std::atoi(argv[2]) : 7000);
    try {
        RedisCluster rc({.startup_nodes = {{host, port}}, .connection_kwargs = {.socket_timeout = 2s}});
        std::printf("Discovered from %s:%u:\n", host.c_str(), port);
        print_topology(rc);

        std::printf("\nKeys routed by slot (key_slot) to the master that owns them:\n");
        for (const char* key : {"foo", "{foo}bar", "user:1000", "user:1001", "session:42", "cart:7", "1337",
                                "order:2024:17", "page:/index.html"}) {
            rc.set(key, std::string("value-of-") + key);
            const auto slot = rediscluster::key_slot(key);
            std::printf("  %-18s slot %5u  %-16s GET -> %s\n", key, slot,
                        rc.connection_pool->get_master_node_by_slot(slot).name.c_str(), rc.get(key)->c_str());
        }

        // Fail over the shard that serves "foo" while traffic runs.
        const auto slot = rediscluster::key_slot("foo");
        const auto table = rc.connection_pool->nodes.slots();  // keep the snapshot alive while we look at it
        const auto shard = (*table)[slot];
        if (shard.size() < 2) {
            std::printf("\nThe shard of \"foo\" has no replica: no failover to show.\n");
            return 0;
        }
        const auto old_master = shard[0];
        const auto replica = shard[1];
        std::printf("\nFailing %s over to its replica %s (CLUSTER FAILOVER) while writing and reading...\n",
                    old_master.name.c_str(), replica.name.c_str());
        rediscluster::ClusterConnection replica_connection({.host = replica.host, .port = replica.port});
        (void)replica_connection.execute("CLUSTER", "FAILOVER");

        int operations = 0;
        int errors = 0;
        const auto started = std::chrono::steady_clock::now();
        std::optional<std::chrono::steady_clock::time_point> switched;
        // Run until half a second after the client routes to the new master
        // (at most 10 s).
        while (std::chrono::steady_clock::now() - started < 10s &&
               (!switched || std::chrono::steady_clock::now() - *switched < 500ms)) {
            const auto value = std::to_string(operations);
            try {
                rc.set("foo", value);
                if (rc.get("foo") != value) ++errors;
            } catch (const rediscluster::Error& e) {
                ++errors;
                std::printf("  error: %s\n", e.what());
            }
            ++operations;
            if (!switched && rc.connection_pool->get_master_node_by_slot(slot).name == replica.name) {
                switched = std::chrono::steady_clock::now();
                std::printf("  after %d pairs, the client routes slot %u to %s\n", operations, slot, replica.name.c_str());
            }
            std::this_thread::sleep_for(10ms);
        }
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        std::printf("  %d SET+GET pairs in %lld ms, %d errors reached the caller\n", operations,
                    static_cast<long long>(elapsed.count()), errors);
        std::printf("  slot %u is now served by %s (role: %s)\n", slot,
                    rc.connection_pool->get_master_node_by_slot(slot).name.c_str(), role_of(replica.port).c_str());
        std::printf("\nTopology after the failover:\n");
        rc.connection_pool->nodes.initialize();
        print_topology(rc);
        std::printf("\nActive connections: %zu\n", rc.connection_pool->created_connections());
        return errors == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "demo: %s\n", e.what());
        return 1;
    }
}
