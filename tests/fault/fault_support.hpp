#pragma once

// What the fault scenarios share: client options for a fault cluster, the
// connection accounting that proves nothing leaked, and the report line
// each scenario prints (collected into the project's fault table).

#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "fault_cluster.hpp"
#include "load.hpp"
#include "rediscluster/client.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::test {

/// Scales the operation counts down under ThreadSanitizer, which runs the
/// client about ten times slower (the servers are not instrumented).
#if defined(__SANITIZE_THREAD__)
inline constexpr std::size_t kLoadScale = 10;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr std::size_t kLoadScale = 10;
#else
inline constexpr std::size_t kLoadScale = 1;
#endif
#else
inline constexpr std::size_t kLoadScale = 1;
#endif

/// The name every client under test gives its connections (CLIENT
/// SETNAME), so the servers' CLIENT LIST shows exactly its connections:
/// not replication links, MIGRATE's cached sockets or the test's probes.
inline constexpr const char* kClientName = "rc-under-test";

inline RedisClusterOptions fault_client_options(const FaultCluster& cluster, std::chrono::milliseconds socket_timeout) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", cluster.port(0)}};
    options.connection_kwargs.socket_timeout = socket_timeout;
    options.connection_kwargs.socket_connect_timeout = socket_timeout;
    options.connection_kwargs.client_name = kClientName;
    return options;
}

/// How many times a node ran `command` (lower case), from INFO commandstats.
inline std::int64_t command_calls(std::uint16_t port, const std::string& command) {
    const std::string info(node_command(port, {"INFO", "commandstats"}).str());
    const auto line = info.find("cmdstat_" + command + ":calls=");
    if (line == std::string::npos) return 0;
    return std::stoll(info.substr(line + 8 + command.size() + 7));
}

/// Connections named kClientName on one node; -1 when it does not answer.
inline std::int64_t named_connections(std::uint16_t port) {
    try {
        const std::string list(node_command(port, {"CLIENT", "LIST"}).str());
        std::int64_t count = 0;
        for (std::size_t at = list.find(std::string(" name=") + kClientName + " "); at != std::string::npos;
             at = list.find(std::string(" name=") + kClientName + " ", at + 1)) {
            ++count;
        }
        return count;
    } catch (const Error&) {
        return -1;
    }
}

/// Connections of the client under test that the nodes in `live` see.
inline std::int64_t connections_seen(const std::vector<std::uint16_t>& live) {
    std::int64_t total = 0;
    for (const auto port : live) total += std::max<std::int64_t>(named_connections(port), 0);
    return total;
}

/// Per node: connections in the pool, and as the server sees them.
inline std::string connection_breakdown(const ClusterConnectionPool& pool, const std::vector<std::uint16_t>& ports) {
    std::string text;
    for (const auto port : ports) {
        text += " " + std::to_string(port) + ": pool " +
                std::to_string(pool.created_connections(make_node("127.0.0.1", port, "master"))) + ", server " +
                std::to_string(named_connections(port)) + ";";
    }
    return text;
}

/// Expects the pool's count of live connections to match what the live
/// servers list, within a few seconds (closed sockets take a moment to be
/// noticed, and a background discovery may hold one for a moment); returns
/// the servers' count.
inline std::int64_t expect_pool_matches_servers(const ClusterConnectionPool& pool,
                                                const std::vector<std::uint16_t>& live) {
    std::int64_t seen = 0;
    const bool matched = eventually(
        [&] {
            seen = connections_seen(live);
            return seen == static_cast<std::int64_t>(pool.created_connections());
        },
        std::chrono::seconds(5));
    EXPECT_TRUE(matched) << "pool " << pool.created_connections() << ", servers " << seen
                         << connection_breakdown(pool, live);
    return seen;
}

/// What each thread (or coroutine) of a load had acknowledged last, per key.
using AcknowledgedWrites = std::vector<std::map<std::string, std::string>>;

/// Keys whose acknowledged value `reader` cannot read back.
inline std::vector<std::string> lost_writes(RedisCluster& reader, const AcknowledgedWrites& acknowledged) {
    std::vector<std::string> missing;
    for (const auto& keys : acknowledged) {
        for (const auto& [key, value] : keys) {
            if (reader.get(key) != value) missing.push_back(key);
        }
    }
    return missing;
}

/// `ports` without `gone` (the survivors of a killed node).
inline std::vector<std::uint16_t> without(std::vector<std::uint16_t> ports, std::uint16_t gone) {
    std::erase(ports, gone);
    return ports;
}

/// "{tag}": a hash tag whose slot is `slot`.
inline std::string hash_tag_in_slot(std::uint16_t slot) {
    const auto key = key_in_slot(slot, "");
    return key.substr(0, key.find('}') + 1);
}

/// `count` hash tags ("{frozen:N}") whose slots `master` serves (or, with
/// `served` false, another master does), by the pool's slot map.
inline std::vector<std::string> tags_of(const ClusterConnectionPool& pool, std::uint16_t master, bool served,
                                        std::size_t count) {
    std::vector<std::string> tags;
    for (std::size_t i = 0; tags.size() < count; ++i) {
        const std::string tag = "frozen:" + std::to_string(i);
        const bool on_master = pool.get_master_node_by_slot(key_slot(tag)).port == master;
        if (on_master == served) tags.push_back("{" + tag + "}");
    }
    return tags;
}

/// One row of the fault table, on stdout and as a test property.
inline void report(const std::string& scenario, const std::string& load, const std::string& errors,
                   const std::string& recovery, const std::string& connections) {
    const std::string row = "| " + scenario + " | " + load + " | " + errors + " | " + recovery + " | " + connections + " |";
    std::cout << "FAULT-REPORT " << row << std::endl;
    ::testing::Test::RecordProperty("fault_report", row);
}

}  // namespace rediscluster::test
