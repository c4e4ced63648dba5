// Pipelines under load through a planned failover and a slot migration:
// every command of a pipeline that is redirected or whose connection fails
// is sent again on its own, so nothing may reach the caller, nothing may be
// lost, and the replies stay in the order the commands were added.

#include <gtest/gtest.h>

#include <map>

#include "fault_support.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

constexpr int kThreads = 8;
// Per pipeline: a SET then a GET of each of this many keys.
constexpr std::size_t kKeysPerPipeline = 16;

// One pipeline of SETs and GETs of the thread's own keys, drawn from
// `key_of(thread, i)`; checks every reply in place and remembers what was
// acknowledged.
struct PipelineLoad {
    RedisCluster& rc;
    std::function<std::string(int thread, std::size_t i)> key_of;
    std::vector<std::map<std::string, std::string>> acknowledged =
        std::vector<std::map<std::string, std::string>>(kThreads);

    bool operator()(int thread, std::size_t iteration) {
        auto pipe = rc.pipeline();
        std::vector<std::pair<std::string, std::string>> written;
        for (std::size_t k = 0; k < kKeysPerPipeline; ++k) {
            auto key = key_of(thread, iteration * kKeysPerPipeline + k);
            auto value = "v" + std::to_string(iteration) + "." + std::to_string(k);
            pipe.set(key, value).get(key);
            written.emplace_back(std::move(key), std::move(value));
        }
        const auto replies = pipe.execute();
        bool right = replies.size() == 2 * kKeysPerPipeline;
        for (std::size_t k = 0; right && k < kKeysPerPipeline; ++k) {
            right = replies[2 * k].str() == "OK" && replies[2 * k + 1].str() == written[k].second;
            acknowledged[static_cast<std::size_t>(thread)][written[k].first] = written[k].second;
        }
        return right;
    }

    // Keys whose acknowledged value cannot be read back.
    std::size_t lost(RedisCluster& reader) const {
        std::size_t missing = 0;
        for (const auto& keys : acknowledged) {
            for (const auto& [key, value] : keys) {
                if (reader.get(key) != value) ++missing;
            }
        }
        return missing;
    }
};

TEST(FaultPipeline, PlannedFailoverUnderLoadReachesNoCallerAndLosesNothing) {
    FaultCluster cluster;
    RedisCluster rc(fault_client_options(cluster, 2s));
    const auto master = cluster.port(0);
    const auto replicas = cluster.replicas_of(master, cluster.port(1));
    ASSERT_FALSE(replicas.empty());
    const auto replica = replicas.front();

    // Keys over the whole slot space: every pipeline reaches every master.
    PipelineLoad work{rc, [](int thread, std::size_t i) {
                          return "p" + std::to_string(thread) + ":" + std::to_string(i % 600);
                      }};
    BackgroundLoad load(kThreads, 1'000'000, 60s, [&](int t, std::size_t i) { return work(t, i); });
    ASSERT_TRUE(eventually([&] { return load.completed() > 200 / kLoadScale; }, 20s));

    const auto failover_at = Clock::now();
    ASSERT_TRUE(fail_over_to(replica, 30s)) << "the replica did not take over";
    const auto promoted_at = Clock::now();
    std::this_thread::sleep_for(2s);  // the load goes on after the promotion
    const auto records = load.stop();

    const auto summary = summarize(records);
    EXPECT_EQ(summary.errors, 0u) << summary.first_error_text;
    EXPECT_EQ(summary.wrong_answers, 0u) << "a reply out of place or a GET that missed its SET";
    const auto lost = work.lost(rc);
    EXPECT_EQ(lost, 0u);
    EXPECT_GT(command_calls(replica, "set"), 0);

    const auto created = rc.connection_pool->created_connections();
    const auto seen = expect_pool_matches_servers(*rc.connection_pool, cluster.ports());
    report("planned failover (CLUSTER FAILOVER), pipelines",
           std::to_string(kThreads) + " threads, pipelines of " + std::to_string(2 * kKeysPerPipeline) +
               " SET/GET over all slots, " + std::to_string(summary.operations) + " pipelines",
           std::to_string(summary.errors) + " errors, " + std::to_string(summary.wrong_answers) +
               " replies out of place, " + std::to_string(lost) + " writes lost",
           "promoted after " + millis(promoted_at - failover_at) + "; max pipeline " + millis(summary.max_duration),
           std::to_string(created) + " in pool = " + std::to_string(seen) + " on servers");
}

TEST(FaultPipeline, SlotsMigratedUnderLoadReachNoCallerAndLoseNothing) {
    constexpr std::uint16_t kFirstSlot = 300;
    constexpr std::uint16_t kSlots = 10;
    FaultCluster cluster;
    RedisCluster rc(fault_client_options(cluster, 2s));
    const auto source = cluster.master_of(kFirstSlot, cluster.port(0));
    const auto target = cluster.master_of(static_cast<std::uint16_t>(kFirstSlot + 8192), cluster.port(0));
    ASSERT_NE(source, target);
    std::vector<std::string> tags;
    for (std::uint16_t i = 0; i < kSlots; ++i) {
        const auto key = key_in_slot(static_cast<std::uint16_t>(kFirstSlot + i), "");
        tags.push_back(key.substr(0, key.find('}') + 1));
    }

    // Half the keys in the moving slots, half anywhere: a pipeline mixes
    // commands that are redirected (ASK, MOVED) with commands that are not.
    PipelineLoad work{rc, [&](int thread, std::size_t i) {
                          const auto base = "t" + std::to_string(thread) + ":" + std::to_string(i % 200);
                          return i % 2 == 0 ? tags[(i / 2) % kSlots] + base : base;
                      }};
    BackgroundLoad load(kThreads, 1'000'000, 90s, [&](int t, std::size_t i) { return work(t, i); });
    ASSERT_TRUE(eventually([&] { return load.completed() > 200 / kLoadScale; }, 20s));

    const auto started = Clock::now();
    for (std::uint16_t i = 0; i < kSlots; ++i) cluster.migrate_slot(static_cast<std::uint16_t>(kFirstSlot + i), source, target);
    const auto finished = Clock::now();
    std::this_thread::sleep_for(1s);  // the load goes on after the move
    const auto records = load.stop();

    const auto summary = summarize(records);
    EXPECT_EQ(summary.errors, 0u) << summary.first_error_text;
    EXPECT_EQ(summary.wrong_answers, 0u) << "a reply out of place or a GET that missed its SET";
    const auto lost = work.lost(rc);
    EXPECT_EQ(lost, 0u);
    EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(kFirstSlot).port, target);
    EXPECT_GT(command_calls(target, "asking"), 0) << "the migration was not seen by any pipeline";

    const auto created = rc.connection_pool->created_connections();
    const auto seen = expect_pool_matches_servers(*rc.connection_pool, cluster.ports());
    report("slot migration (" + std::to_string(kSlots) + " slots), pipelines",
           std::to_string(kThreads) + " threads, pipelines of " + std::to_string(2 * kKeysPerPipeline) +
               " SET/GET, half on the moving slots, " + std::to_string(summary.operations) + " pipelines",
           std::to_string(summary.errors) + " errors, " + std::to_string(summary.wrong_answers) +
               " replies out of place, " + std::to_string(lost) + " writes lost",
           "migration took " + millis(finished - started) + "; max pipeline " + millis(summary.max_duration),
           std::to_string(created) + " in pool = " + std::to_string(seen) + " on servers");
}

}  // namespace
}  // namespace rediscluster::test
