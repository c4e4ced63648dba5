// Transactions under load through a planned failover and a slot migration.
// Each thread runs a check-and-set on a counter of its own: WATCH, read
// under the watch, then SET the next value in MULTI ... EXEC. A transaction
// whose watch could not follow the slot returns "not executed" and is
// retried by the thread, as an application would; nothing else may reach
// the caller, and every counter must end at the last value acknowledged,
// neither lost nor applied twice.

#include <gtest/gtest.h>

#include "fault_support.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

constexpr int kThreads = 8;

struct CheckAndSetLoad {
    RedisCluster& rc;
    // The hash tag of each thread's counter.
    std::vector<std::string> tags;
    std::vector<std::int64_t> acknowledged = std::vector<std::int64_t>(kThreads, 0);
    std::atomic<std::size_t> not_executed{0};

    [[nodiscard]] std::string counter(int thread) const { return tags[static_cast<std::size_t>(thread)] + ":counter"; }

    bool operator()(int thread, std::size_t /*iteration*/) {
        const auto key = counter(thread);
        auto tx = rc.transaction(key);
        tx.watch(key);
        const auto read = tx.now().get(key);
        const std::int64_t value = read ? std::stoll(*read) : 0;
        auto& last = acknowledged[static_cast<std::size_t>(thread)];
        if (value != last) return false;  // a lost or doubled write
        tx.set(key, std::to_string(value + 1));
        const auto replies = tx.exec();
        if (!replies) {
            not_executed.fetch_add(1, std::memory_order_relaxed);
            return true;
        }
        if (replies->size() != 1 || (*replies)[0].str() != "OK") return false;
        last = value + 1;
        return true;
    }

    // Counters whose value is not the last one acknowledged.
    std::size_t wrong(RedisCluster& reader) const {
        std::size_t count = 0;
        for (int thread = 0; thread < kThreads; ++thread) {
            const auto value = reader.get(counter(thread));
            if (std::stoll(value.value_or("0")) != acknowledged[static_cast<std::size_t>(thread)]) ++count;
        }
        return count;
    }
};

std::string tag_of_slot(std::uint16_t slot) {
    const auto key = key_in_slot(slot, "");
    return key.substr(0, key.find('}') + 1);
}

TEST(FaultTransaction, PlannedFailoverUnderLoadLosesNothingAndAppliesNothingTwice) {
    FaultCluster cluster;
    RedisCluster rc(fault_client_options(cluster, 2s));
    const auto master = cluster.port(0);
    const auto replicas = cluster.replicas_of(master, cluster.port(1));
    ASSERT_FALSE(replicas.empty());
    const auto replica = replicas.front();
    std::uint16_t first_slot = 0;
    while (rc.connection_pool->get_master_node_by_slot(first_slot).port != master) ++first_slot;

    CheckAndSetLoad work{rc, {}};
    for (int t = 0; t < kThreads; ++t) work.tags.push_back(tag_of_slot(static_cast<std::uint16_t>(first_slot + t)));
    for (int t = 0; t < kThreads; ++t) (void)rc.del(work.counter(t));
    BackgroundLoad load(kThreads, 1'000'000, 60s, [&](int t, std::size_t i) { return work(t, i); });
    ASSERT_TRUE(eventually([&] { return load.completed() > 200 / kLoadScale; }, 20s));

    const auto failover_at = Clock::now();
    ASSERT_TRUE(fail_over_to(replica, 30s)) << "the replica did not take over";
    const auto promoted_at = Clock::now();
    std::this_thread::sleep_for(2s);  // the load goes on after the promotion
    const auto records = load.stop();

    const auto summary = summarize(records);
    EXPECT_EQ(summary.errors, 0u) << summary.first_error_text;
    EXPECT_EQ(summary.wrong_answers, 0u) << "a counter read back a value other than the last acknowledged";
    const auto wrong = work.wrong(rc);
    EXPECT_EQ(wrong, 0u);
    EXPECT_GT(command_calls(replica, "exec"), 0) << "no transaction reached the promoted replica";

    report("planned failover (CLUSTER FAILOVER), transactions",
           std::to_string(kThreads) + " threads, WATCH + GET + MULTI/SET/EXEC on the failing master's slots, " +
               std::to_string(summary.operations) + " transactions",
           std::to_string(summary.errors) + " errors, " + std::to_string(wrong) + " counters wrong, " +
               std::to_string(work.not_executed.load()) + " not executed (retried)",
           "promoted after " + millis(promoted_at - failover_at) + "; max transaction " + millis(summary.max_duration),
           "-");
}

TEST(FaultTransaction, SlotsMigratedUnderLoadLoseNothingAndApplyNothingTwice) {
    constexpr std::uint16_t kFirstSlot = 300;
    FaultCluster cluster;
    RedisCluster rc(fault_client_options(cluster, 2s));
    const auto source = cluster.master_of(kFirstSlot, cluster.port(0));
    const auto target = cluster.master_of(static_cast<std::uint16_t>(kFirstSlot + 8192), cluster.port(0));
    ASSERT_NE(source, target);

    CheckAndSetLoad work{rc, {}};
    for (int t = 0; t < kThreads; ++t) work.tags.push_back(tag_of_slot(static_cast<std::uint16_t>(kFirstSlot + t)));
    for (int t = 0; t < kThreads; ++t) (void)rc.del(work.counter(t));
    BackgroundLoad load(kThreads, 1'000'000, 90s, [&](int t, std::size_t i) { return work(t, i); });
    ASSERT_TRUE(eventually([&] { return load.completed() > 200 / kLoadScale; }, 20s));

    const auto started = Clock::now();
    for (int t = 0; t < kThreads; ++t) cluster.migrate_slot(static_cast<std::uint16_t>(kFirstSlot + t), source, target);
    const auto finished = Clock::now();
    std::this_thread::sleep_for(1s);  // the load goes on after the move
    const auto records = load.stop();

    const auto summary = summarize(records);
    EXPECT_EQ(summary.errors, 0u) << summary.first_error_text;
    EXPECT_EQ(summary.wrong_answers, 0u) << "a counter read back a value other than the last acknowledged";
    const auto wrong = work.wrong(rc);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(kFirstSlot).port, target);
    EXPECT_GT(command_calls(target, "exec"), 0);

    report("slot migration (" + std::to_string(kThreads) + " slots), transactions",
           std::to_string(kThreads) + " threads, WATCH + GET + MULTI/SET/EXEC, each on a moving slot, " +
               std::to_string(summary.operations) + " transactions",
           std::to_string(summary.errors) + " errors, " + std::to_string(wrong) + " counters wrong, " +
               std::to_string(work.not_executed.load()) + " not executed (retried)",
           "migration took " + millis(finished - started) + "; max transaction " + millis(summary.max_duration), "-");
}

}  // namespace
}  // namespace rediscluster::test
