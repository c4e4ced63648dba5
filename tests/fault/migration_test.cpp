// Slot migration under load: a range of slots holding keys moves from one
// master to another (IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE) while 16
// threads read and write keys of exactly those slots. The client follows
// ASK and MOVED; nothing may reach the caller and no key may be lost.

#include <gtest/gtest.h>

#include <map>

#include "fault_support.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

constexpr int kThreads = 16;
constexpr std::uint16_t kFirstSlot = 100;
constexpr std::uint16_t kSlots = 20;
constexpr std::size_t kKeysBefore = 50;  // per slot, written before the move

TEST(FaultMigration, SlotsMovedUnderLoadReachNoCallerAndLoseNoKey) {
    FaultCluster cluster;
    RedisCluster rc(fault_client_options(cluster, 2s));
    const auto source = cluster.master_of(kFirstSlot, cluster.port(0));
    const auto target = cluster.master_of(static_cast<std::uint16_t>(kFirstSlot + 8192), cluster.port(0));
    ASSERT_NE(source, target);

    // One hash tag per slot, and keys already there before the move.
    std::vector<std::string> tags;
    std::map<std::string, std::string> expected;
    for (std::uint16_t i = 0; i < kSlots; ++i) {
        tags.push_back(hash_tag_in_slot(static_cast<std::uint16_t>(kFirstSlot + i)));
        for (std::size_t k = 0; k < kKeysBefore; ++k) {
            const auto name = tags.back() + ":before:" + std::to_string(k);
            rc.set(name, "b" + std::to_string(k));
            expected[name] = "b" + std::to_string(k);
        }
    }

    // Every thread writes and reads its own keys in the moving slots.
    std::vector<std::map<std::string, std::string>> acknowledged(kThreads);
    BackgroundLoad load(kThreads, 1'000'000, 90s, [&](int thread, std::size_t i) {
        const auto& tag = tags[i % kSlots];
        const std::string key = tag + ":t" + std::to_string(thread) + ":" + std::to_string(i % 97);
        const std::string value = "v" + std::to_string(i);
        rc.set(key, value);
        acknowledged[static_cast<std::size_t>(thread)][key] = value;
        return rc.get(key) == value;
    });
    ASSERT_TRUE(eventually([&] { return load.completed() > 1000 / kLoadScale; }, 20s));

    const auto started = Clock::now();
    for (std::uint16_t i = 0; i < kSlots; ++i) cluster.migrate_slot(static_cast<std::uint16_t>(kFirstSlot + i), source, target);
    const auto finished = Clock::now();
    std::this_thread::sleep_for(1s);  // the load goes on after the move
    const auto records = load.stop();

    const auto summary = expect_no_error(records);
    for (std::uint16_t i = 0; i < kSlots; ++i) {
        EXPECT_EQ(cluster.master_of(static_cast<std::uint16_t>(kFirstSlot + i), cluster.port(2)), target);
    }
    std::size_t lost = 0;
    for (const auto& keys : acknowledged) {
        for (const auto& [key, value] : keys) expected[key] = value;
    }
    for (const auto& [key, value] : expected) {
        if (rc.get(key) != value) ++lost;
        // Every key lives on the target now, not left behind on the source.
        EXPECT_EQ(cluster.master_of(key_slot(key), cluster.port(1)), target);
    }
    EXPECT_EQ(lost, 0u) << "of " << expected.size() << " keys";
    EXPECT_EQ(node_command(source, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(kFirstSlot)}).integer(), 0);
    // The client followed: its map sends the slots to the target.
    EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(kFirstSlot).port, target);

    const auto created = rc.connection_pool->created_connections();
    const auto seen = expect_pool_matches_servers(*rc.connection_pool, cluster.ports());
    report("slot migration (" + std::to_string(kSlots) + " slots, MIGRATE + SETSLOT NODE)",
           std::to_string(kThreads) + " threads SET+GET on the moving slots, " + std::to_string(summary.operations) + " ops",
           std::to_string(summary.errors) + " errors, " + std::to_string(lost) + " of " + std::to_string(expected.size()) +
               " keys lost",
           "migration took " + millis(finished - started) + "; max call " + millis(summary.max_duration) + ", p99 " +
               millis(summary.p99_duration),
           std::to_string(created) + " in pool = " + std::to_string(seen) + " on servers");
}

}  // namespace
}  // namespace rediscluster::test
