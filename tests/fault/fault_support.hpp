#pragma once

// What the fault scenarios share: client options for a fault cluster, the
// connection accounting that proves nothing leaked, and the report line
// each scenario prints (collected into the project's fault table).

#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
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

/// Expects no error and no wrong answer in `records`; returns their summary.
inline LoadSummary expect_no_error(const std::vector<OpRecord>& records) {
    auto summary = summarize(records);
    EXPECT_EQ(summary.errors, 0u) << summary.first_error_text;
    EXPECT_EQ(summary.wrong_answers, 0u);
    return summary;
}

/// The records of threads (or coroutines) below `first_of_second`, then the others.
inline std::pair<std::vector<OpRecord>, std::vector<OpRecord>> split_by_thread(const std::vector<OpRecord>& records,
                                                                             int first_of_second) {
    std::pair<std::vector<OpRecord>, std::vector<OpRecord>> sides;
    for (const auto& record : records) {
        (record.thread < first_of_second ? sides.first : sides.second).push_back(record);
    }
    return sides;
}

/// For the side a fault must not touch: expects no error and no wrong
/// answer at all, and operations in [from, to) (while the fault lasted),
/// each within `bound`. Returns the summary of [from, to).
inline LoadSummary expect_unharmed(const std::vector<OpRecord>& side, Clock::time_point from, Clock::time_point to,
                                   Clock::duration bound) {
    (void)expect_no_error(side);
    const auto during = summarize(started_between(side, from, to));
    EXPECT_GT(during.operations, 100u / kLoadScale);
    EXPECT_LE(during.max_duration, bound) << millis(during.max_duration);
    return during;
}

/// How a load went through a node's failure (see expect_failure_window()).
struct FailureWindow {
    LoadSummary summary;
    /// From the failure to the end of the last failed call.
    Clock::duration unavailable{};
    /// From the recovery to the end of the last failed call (0 if before).
    Clock::duration after_recovery{};
};

/// Errors only inside the failure window: expects none in the operations
/// that started more than `socket_timeout` before `failed_at` or more than
/// 1 s after `recovered_at` (and some of the latter), the last error ended
/// within 1 s of the recovery, and no call longer than `socket_timeout`
/// (plus scheduling slack).
inline FailureWindow expect_failure_window(const std::vector<OpRecord>& records, Clock::time_point failed_at,
                                           Clock::time_point recovered_at, Clock::duration socket_timeout) {
    using namespace std::chrono_literals;
    FailureWindow window{.summary = summarize(records)};
    const auto& summary = window.summary;
    const auto before = summarize(started_between(records, Clock::time_point{}, failed_at - socket_timeout));
    const auto after = summarize(started_between(records, recovered_at + 1s, Clock::time_point::max()));
    EXPECT_EQ(before.errors, 0u) << before.first_error_text;
    EXPECT_EQ(after.errors, 0u) << after.first_error_text;
    EXPECT_GT(after.operations, 0u);
    EXPECT_LE(summary.max_duration, socket_timeout + 500ms) << millis(summary.max_duration);
    if (summary.errors > 0) {
        window.unavailable = summary.last_error_end - failed_at;
        if (summary.last_error_end > recovered_at) window.after_recovery = summary.last_error_end - recovered_at;
    }
    EXPECT_LE(window.after_recovery, 1s);
    return window;
}

/// Waits until `replica` reports itself a master and the `survivors`
/// serve every slot again (a node may still answer CLUSTERDOWN for a
/// while after the promotion).
inline ::testing::AssertionResult wait_for_takeover(const FaultCluster& cluster, std::uint16_t replica,
                                                    const std::vector<std::uint16_t>& survivors) {
    using namespace std::chrono_literals;
    if (!eventually([&] { return cluster.role(replica) == "master"; }, 30s)) {
        return ::testing::AssertionFailure() << "no replica took over";
    }
    if (!eventually([&] { return cluster.serving(survivors); }, 30s)) {
        return ::testing::AssertionFailure() << "the cluster stayed down";
    }
    return ::testing::AssertionSuccess();
}

/// The failures inject_node_failures() caused.
struct InjectedFailures {
    std::size_t kills = 0;
    std::size_t freezes = 0;
};

/// Nodes failing at random while `go_on()` holds: every 20 ms the client
/// connections of a random master are killed (CLIENT KILL TYPE normal);
/// every second a random master freezes for 400 ms.
inline InjectedFailures inject_node_failures(FaultCluster& cluster, const std::vector<std::uint16_t>& masters,
                                             const std::function<bool()>& go_on) {
    using namespace std::chrono_literals;
    std::mt19937 random(12345);
    InjectedFailures injected;
    auto next_freeze = Clock::now() + 1s;
    while (go_on()) {
        const auto victim = masters[random() % masters.size()];
        try {
            (void)node_command(victim, {"CLIENT", "KILL", "TYPE", "normal"});
            ++injected.kills;
        } catch (const Error&) {
        }
        if (Clock::now() >= next_freeze) {
            const auto frozen = masters[random() % masters.size()];
            cluster.signal(frozen, SIGSTOP);
            std::this_thread::sleep_for(400ms);
            cluster.signal(frozen, SIGCONT);
            ++injected.freezes;
            next_freeze = Clock::now() + 1s;
        }
        std::this_thread::sleep_for(20ms);
    }
    return injected;
}

/// One row of the fault table, on stdout and as a test property.
inline void report(const std::string& scenario, const std::string& load, const std::string& errors,
                   const std::string& recovery, const std::string& connections) {
    const std::string row = "| " + scenario + " | " + load + " | " + errors + " | " + recovery + " | " + connections + " |";
    std::cout << "FAULT-REPORT " << row << std::endl;
    ::testing::Test::RecordProperty("fault_report", row);
}

}  // namespace rediscluster::test
