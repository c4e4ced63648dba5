#pragma once

// Where the real clusters of the cluster tier are: CTest fixtures start
// them with scripts/local-cluster; their ports and certificate directory
// are compiled in (tests/CMakeLists.txt).

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "rediscluster/connection.hpp"
#include "rediscluster/pool.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::test {

/// First port of the plain 6-node cluster (3 masters, 3 replicas).
inline std::uint16_t plain_port() { return RC_PLAIN_PORT; }
/// Port of node `index` of the plain cluster; 0..2 start as masters,
/// 3..5 as their replicas.
inline std::uint16_t plain_node(int index) { return static_cast<std::uint16_t>(RC_PLAIN_PORT + index); }
/// First port of the TLS-only 3-master cluster (tls-auth-clients yes).
inline std::uint16_t tls_port() { return RC_TLS_PORT; }
/// First port of the 3-master cluster with the ACL user alice:wonderland.
inline std::uint16_t acl_port() { return RC_ACL_PORT; }
/// Directory of the TLS cluster's certificates.
inline std::string tls_dir() { return RC_TLS_DIR; }

/// A fresh, direct connection to one node (not pooled), for looking at the
/// servers independently of the code under test.
inline Reply node_command(std::uint16_t port, std::initializer_list<std::string_view> command) {
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    ClusterConnection connection(options);
    connection.send_command_range(command);
    return connection.read_response();
}

/// A field of an INFO section as a number, e.g. info_number(7000,
/// "commandstats", "cmdstat_get", "calls").
inline std::int64_t info_field(std::uint16_t port, std::string_view section, std::string_view line_prefix,
                               std::string_view field) {
    const auto info = node_command(port, {"INFO", section});
    const std::string text(info.str());
    const auto line_start = text.find(std::string(line_prefix) + ":");
    if (line_start == std::string::npos) return 0;
    const auto line_end = text.find("\r\n", line_start);
    const auto line = text.substr(line_start, line_end - line_start);
    if (field.empty()) {
        return std::stoll(line.substr(line.find(':') + 1));
    }
    const auto at = line.find(std::string(field) + "=");
    if (at == std::string::npos) return 0;
    return std::stoll(line.substr(at + field.size() + 1));
}

/// Connections a node sees under the client name `name` (CLIENT SETNAME):
/// exactly those of the client under test, not replication links or probes.
inline std::int64_t named_connections(std::uint16_t port, std::string_view name) {
    const std::string list(node_command(port, {"CLIENT", "LIST"}).str());
    const std::string field = " name=" + std::string(name) + " ";
    std::int64_t count = 0;
    for (auto at = list.find(field); at != std::string::npos; at = list.find(field, at + 1)) ++count;
    return count;
}

/// connected_clients of a node, minus the connection asking.
inline std::int64_t connected_clients(std::uint16_t port) {
    return info_field(port, "clients", "connected_clients", "") - 1;
}

/// Makes `pool` believe `slot` is served by another master than its
/// owner (as a stale MOVED would); returns that other master. The next
/// command there gets MOVED back to the owner.
inline NodeInfo point_slot_elsewhere(ClusterConnectionPool& pool, std::uint16_t slot) {
    const auto owner = pool.get_master_node_by_slot(slot);
    NodeInfo wrong;
    for (const auto& master : pool.get_nodes_by_server_type("master")) {
        if (master.name != owner.name) wrong = master;
    }
    (void)pool.nodes.record_moved(slot, {wrong.host, wrong.port}, std::nullopt);
    EXPECT_EQ(pool.get_master_node_by_slot(slot).name, wrong.name);
    return wrong;
}

}  // namespace rediscluster::test
