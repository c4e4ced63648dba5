// The slot map against a real cluster whose topology changes under the
// client: a killed master waited out with the default budget, a node
// whose view lags behind a failover, every node down at once, and the
// MOVED replies that reinitialize_steps counts.

#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "fake/fake_node.hpp"
#include "fault_support.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

// A reply encoded back into RESP, for a fake node to replay what a real
// one said.
std::string encode(const Reply& reply) {
    switch (reply.type()) {
        case ReplyType::Integer: return resp_integer(reply.integer());
        case ReplyType::Array: {
            std::vector<std::string> elements;
            for (const auto& element : reply.elements()) elements.push_back(encode(element));
            return resp_array(elements);
        }
        case ReplyType::Null: return "$-1\r\n";
        default: return resp_bulk(reply.str());
    }
}

// SET then GET of keys all over the slots; remembers what was acknowledged.
struct AcknowledgedWrites {
    RedisCluster& rc;
    std::vector<std::map<std::string, std::string>> acknowledged;
    AcknowledgedWrites(RedisCluster& client, int threads) : rc(client), acknowledged(static_cast<std::size_t>(threads)) {}

    bool operator()(int thread, std::size_t i) {
        const std::string key = "w" + std::to_string(thread) + ":" + std::to_string(i % 300);
        const std::string value = "v" + std::to_string(i);
        rc.set(key, value);
        acknowledged[static_cast<std::size_t>(thread)][key] = value;
        return rc.get(key) == value;
    }
    std::size_t lost() const {
        std::size_t missing = 0;
        for (const auto& keys : acknowledged) {
            for (const auto& [key, value] : keys) missing += rc.get(key) != value ? 1U : 0U;
        }
        return missing;
    }
};

class FaultTopology : public ::testing::TestWithParam<bool> {
protected:
    std::string mode() const { return GetParam() ? ", multiplexed" : ""; }
};

INSTANTIATE_TEST_SUITE_P(Connections, FaultTopology, ::testing::Bool(),
                         [](const auto& parameter) { return parameter.param ? "Multiplexed" : "Pooled"; });

TEST_P(FaultTopology, AKilledMasterSurfacesNoErrorWithTheDefaultBudget) {
    // Default timeouts: socket_timeout 10 s, and so command_timeout 10 s.
    // The promotion comes within it (cluster-node-timeout 2 s), so calls
    // wait for it instead of failing.
    constexpr int kThreads = 8;
    FaultCluster cluster;
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", cluster.port(0)}};
    options.connection_kwargs.client_name = kClientName;
    options.multiplexed_connections = GetParam();
    RedisCluster rc(options);
    const auto master = cluster.port(0);
    const auto replica = cluster.replicas_of(master, cluster.port(1)).at(0);

    AcknowledgedWrites work(rc, kThreads);
    BackgroundLoad load(kThreads, 1'000'000, 60s, [&](int t, std::size_t i) { return work(t, i); });
    ASSERT_TRUE(eventually([&] { return load.completed() > 2000 / kLoadScale; }, 20s));
    const auto killed_at = Clock::now();
    cluster.kill(master);
    ASSERT_TRUE(eventually([&] { return cluster.role(replica) == "master"; }, 30s)) << "no replica took over";
    const auto promoted_at = Clock::now();
    std::this_thread::sleep_for(2s);
    const auto records = load.stop();

    const auto summary = summarize(records);
    EXPECT_EQ(summary.errors, 0u) << summary.first_error_text;
    // A GET that does not return what its SET just wrote means the killed
    // master acknowledged the SET and died before its replica had it
    // (replication is asynchronous): the cluster's loss, reported below.
    // After the promotion there is none.
    EXPECT_EQ(summarize(started_between(records, promoted_at, Clock::time_point::max())).wrong_answers, 0u);
    // Calls waited for the promotion (the longest about as long as the
    // failover took), and not much past it.
    const auto failover = promoted_at - killed_at;
    EXPECT_GE(summary.max_duration, failover / 2) << millis(summary.max_duration);
    EXPECT_LE(summary.max_duration, failover + 1500ms) << millis(summary.max_duration);
    // Writes the killed master acknowledged but had not yet replicated are
    // the cluster's to lose (replication is asynchronous): reported.
    const auto lost = work.lost();
    auto survivors = cluster.ports();
    std::erase(survivors, master);
    const auto created = rc.connection_pool->created_connections();
    const auto seen = expect_pool_matches_servers(*rc.connection_pool, survivors);
    report("master killed, default budget" + mode(),
           std::to_string(kThreads) + " threads SET+GET, " + std::to_string(summary.operations) + " ops",
           std::to_string(summary.errors) + " errors; " + std::to_string(summary.wrong_answers + lost) +
               " acknowledged writes lost by the cluster",
           "failover " + millis(failover) + "; longest call " + millis(summary.max_duration) + ", p99 " +
               millis(summary.p99_duration),
           std::to_string(created) + " in pool = " + std::to_string(seen) + " on the surviving servers");
}

TEST(FaultTopologyMap, ANodeThatLagsBehindAFailoverCannotMoveTheMapBack) {
    // The lagging node replays, after the failover, what a real node said
    // before it: the layout and CLUSTER NODES with their config epochs. (A
    // real node thawed after a failover catches up within milliseconds,
    // too fast to be asked reliably; the replay keeps it behind.)
    FaultCluster cluster;
    const auto master = cluster.port(0);
    const auto replica = cluster.replicas_of(master, cluster.port(1)).at(0);
    const std::string slots_before = encode(node_command(master, {"CLUSTER", "SLOTS"}));
    const std::string nodes_before = resp_bulk(node_command(master, {"CLUSTER", "NODES"}).str());
    FakeNode lagging(FakeNode::Responding{}, [&](std::uint16_t) {
        return [&](const ReceivedCommand& command) {
            const auto& args = command.args;
            const auto answer = [](std::string bytes) { return FakeStep{FakeStep::Action::expect, std::nullopt, std::move(bytes)}; };
            if (args.size() == 2 && args[0] == "CLUSTER" && args[1] == "SLOTS") return answer(slots_before);
            if (args.size() == 2 && args[0] == "CLUSTER" && args[1] == "NODES") return answer(nodes_before);
            if (args.at(0) == "CLIENT") return answer("+OK\r\n");  // SETNAME on connect
            return answer("-ERR unknown subcommand\r\n");  // CLUSTER SHARDS: a server before 7.0
        };
    }, 120s);

    auto options = fault_client_options(cluster, 2s);
    options.startup_nodes = {{"127.0.0.1", lagging.port()}, {"127.0.0.1", master}};
    options.periodic_refresh_interval = 0ms;
    RedisCluster rc(options);
    ASSERT_EQ(rc.connection_pool->get_master_node_by_slot(0).port, master);

    ASSERT_TRUE(fail_over_to(replica, 30s)) << "the replica did not take over";
    // Every real node agrees on the new layout before the client looks.
    ASSERT_TRUE(eventually([&] {
        for (const auto port : cluster.ports()) {
            if (port != master && cluster.master_of(0, port) != replica) return false;
        }
        return cluster.master_of(0, master) == replica;
    }, 20s));

    const auto slots_asked_by = [&] {
        const auto commands = lagging.commands();
        return std::count_if(commands.begin(), commands.end(), [](const ReceivedCommand& c) {
            return c.args == std::vector<std::string>{"CLUSTER", "SLOTS"};
        });
    };
    const auto asked_before = slots_asked_by();
    // Candidates: the 2 startup nodes and 5 more known ones; each discovery
    // asks 3, one place further each time, so 7 discoveries ask the lagging
    // node 3 times.
    for (int i = 0; i < 7; ++i) {
        rc.connection_pool->nodes.initialize();
        EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(0).port, replica) << "discovery " << i;
    }
    const auto slots_asked = slots_asked_by() - asked_before;
    EXPECT_EQ(slots_asked, 3) << to_string(lagging.commands());
    EXPECT_TRUE(rc.set("after:failover", "written"));
    report("a node lagging behind a failover answers discovery", "7 discoveries",
           "0 maps moved back; the lagging node asked " + std::to_string(slots_asked) + " times", "-", "-");
}

TEST(FaultTopologyMap, DiscoveriesBackOffWhileEveryNodeIsDown) {
    constexpr int kThreads = 64;
    FaultCluster cluster;
    RedisCluster rc(fault_client_options(cluster, 1s));
    for (const auto port : cluster.ports()) cluster.kill(port);
    const auto attempts_before = rc.connection_pool->nodes.discovery_attempts();
    BackgroundLoad load(kThreads, 1'000'000, 10s, [&](int thread, std::size_t i) {
        const std::string key = "down:" + std::to_string(thread) + ":" + std::to_string(i);
        return rc.get(key).has_value();
    });
    std::this_thread::sleep_for(10s);
    const auto records = load.stop();
    const auto discoveries = rc.connection_pool->nodes.discovery_attempts() - attempts_before;
    const auto summary = summarize(records);
    EXPECT_EQ(summary.errors, summary.operations);  // nothing can succeed
    // 100 ms after a success, doubling after each failure up to 3 s: about
    // 8 in 10 s, however many commands ask.
    EXPECT_LE(discoveries, 24u);
    EXPECT_GE(discoveries, 3u);
    report("every node down", std::to_string(kThreads) + " threads GET for 10 s, " + std::to_string(summary.operations) + " calls",
           std::to_string(summary.errors) + " errors (all)", std::to_string(discoveries) + " discoveries in 10 s", "-");
}

}  // namespace
}  // namespace rediscluster::test
