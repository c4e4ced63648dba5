// The cluster-wide scan's decisions (which master, which cursor, when to
// start a shard again) over slot tables, and ScanRange over scripted pages:
// no server.

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <ranges>
#include <stdexcept>

#include "detail/cluster_scan.hpp"
#include "rediscluster/scan.hpp"

namespace rediscluster::detail {
namespace {

NodeInfo master(std::uint16_t port) { return make_node("127.0.0.1", port, "master"); }
NodeInfo replica(std::uint16_t port) { return make_node("127.0.0.1", port, "slave"); }

SlotRange range(std::uint16_t first, std::uint16_t last, std::uint16_t master_port,
                std::optional<std::uint16_t> replica_port = std::nullopt) {
    SlotRange r{.first = first, .last = last, .master = master(master_port), .replicas = {}, .config_epoch = 0};
    if (replica_port) r.replicas.push_back(replica(*replica_port));
    return r;
}

// Three masters 7000..7002 with replicas 7003..7005.
SlotTable three_masters() {
    return SlotTable({range(0, 5460, 7000, 7003), range(5461, 10922, 7001, 7004), range(10923, 16383, 7002, 7005)});
}

// The same after 7003 took over from 7000.
SlotTable after_failover_of_7000() {
    return SlotTable({range(0, 5460, 7003), range(5461, 10922, 7001, 7004), range(10923, 16383, 7002, 7005)});
}

std::string name(std::uint16_t port) { return node_name("127.0.0.1", port); }

TEST(PlanScanShards, OneShardPerMasterInSlotOrder) {
    const auto shards = plan_scan_shards(three_masters());
    ASSERT_EQ(shards.size(), 3u);
    EXPECT_EQ(shards[0], (ScanShard{{{0, 5460}}}));
    EXPECT_EQ(shards[1], (ScanShard{{{5461, 10922}}}));
    EXPECT_EQ(shards[2], (ScanShard{{{10923, 16383}}}));
}

TEST(PlanScanShards, InterleavedRangesOfOneMasterMakeOneShard) {
    const SlotTable table({range(0, 99, 7000), range(100, 199, 7001), range(200, 299, 7000), range(300, 16383, 7002)});
    const auto shards = plan_scan_shards(table);
    ASSERT_EQ(shards.size(), 3u);
    EXPECT_EQ(shards[0], (ScanShard{{{0, 99}, {200, 299}}}));
    EXPECT_EQ(shards[1], (ScanShard{{{100, 199}}}));
    EXPECT_EQ(shards[2], (ScanShard{{{300, 16383}}}));
}

TEST(PlanScanShards, AnEmptyTableHasNothingToScan) {
    EXPECT_TRUE(plan_scan_shards(SlotTable()).empty());
    EXPECT_TRUE(ClusterScan(plan_scan_shards(SlotTable())).done());
    EXPECT_TRUE(ClusterScan({ScanShard{}}).done());
}

TEST(ClusterScan, WalksEachShardFromZeroToZeroInTurn) {
    const auto table = three_masters();
    ClusterScan scan(plan_scan_shards(table));
    EXPECT_EQ(scan.shard_count(), 3u);

    EXPECT_EQ(scan.next_call(table), (ScanCall{0, 0}));
    EXPECT_EQ(scan.node(), name(7000));
    scan.record_reply(table, 17);
    EXPECT_EQ(scan.next_call(table), (ScanCall{0, 17}));
    scan.record_reply(table, 0);
    EXPECT_EQ(scan.shards_done(), 1u);

    EXPECT_EQ(scan.next_call(table), (ScanCall{5461, 0}));
    EXPECT_EQ(scan.node(), name(7001));
    scan.record_reply(table, 0);  // a small node: done in one call

    EXPECT_EQ(scan.next_call(table), (ScanCall{10923, 0}));
    scan.record_reply(table, 99);
    EXPECT_FALSE(scan.done());
    EXPECT_EQ(scan.next_call(table), (ScanCall{10923, 99}));
    scan.record_reply(table, 0);
    EXPECT_TRUE(scan.done());
    EXPECT_EQ(scan.shards_done(), 3u);
    EXPECT_EQ(scan.restarts(), 0u);
}

TEST(ClusterScan, AFailoverSeenBeforeACallStartsTheShardAgainOnTheNewMaster) {
    const auto before = three_masters();
    const auto after = after_failover_of_7000();
    ClusterScan scan(plan_scan_shards(before));
    (void)scan.next_call(before);
    scan.record_reply(before, 42);

    EXPECT_EQ(scan.next_call(after), (ScanCall{0, 0}));  // 7000's cursor means nothing on 7003
    EXPECT_EQ(scan.node(), name(7003));
    EXPECT_EQ(scan.restarts(), 1u);
    scan.record_reply(after, 5);
    EXPECT_EQ(scan.next_call(after), (ScanCall{0, 5}));
    scan.record_reply(after, 0);
    EXPECT_EQ(scan.shards_done(), 1u);
    EXPECT_EQ(scan.restarts(), 1u);
}

TEST(ClusterScan, AFailoverDuringACallDiscardsItsCursor) {
    const auto before = three_masters();
    const auto after = after_failover_of_7000();
    ClusterScan scan(plan_scan_shards(before));
    (void)scan.next_call(before);
    scan.record_reply(before, 42);
    EXPECT_EQ(scan.next_call(before), (ScanCall{0, 42}));
    // The call was routed while the map changed: whichever node answered,
    // its cursor cannot be used on the other.
    scan.record_reply(after, 77);
    EXPECT_EQ(scan.restarts(), 1u);
    EXPECT_EQ(scan.shards_done(), 0u);
    EXPECT_EQ(scan.next_call(after), (ScanCall{0, 0}));
    EXPECT_EQ(scan.node(), name(7003));
}

TEST(ClusterScan, ACursorZeroFromAFailedOverCallDoesNotEndTheShard) {
    const auto before = three_masters();
    ClusterScan scan(plan_scan_shards(before));
    (void)scan.next_call(before);
    scan.record_reply(after_failover_of_7000(), 0);
    EXPECT_EQ(scan.shards_done(), 0u);
    EXPECT_EQ(scan.restarts(), 1u);
}

TEST(ClusterScan, ATableNotYetAwareOfAFailoverKeepsTheCursorOnTheOldNode) {
    // The old master, demoted, still answers SCAN over the same data; the
    // walk goes on there until the client's map changes.
    const auto table = three_masters();
    ClusterScan scan(plan_scan_shards(table));
    (void)scan.next_call(table);
    scan.record_reply(table, 42);
    EXPECT_EQ(scan.next_call(table), (ScanCall{0, 42}));
    EXPECT_EQ(scan.restarts(), 0u);
}

TEST(ClusterScan, TheRoutingSlotMovingAwayKeepsTheCursorOnANodeThatStillServesTheShard) {
    const auto before = three_masters();
    // Slots 0..9 migrated from 7000 to 7001; 7000 still serves 10..5460.
    const SlotTable after({range(0, 9, 7001, 7004), range(10, 5460, 7000, 7003), range(5461, 10922, 7001, 7004),
                           range(10923, 16383, 7002, 7005)});
    ClusterScan scan(plan_scan_shards(before));
    (void)scan.next_call(before);
    scan.record_reply(before, 42);
    EXPECT_EQ(scan.next_call(after), (ScanCall{10, 42}));
    EXPECT_EQ(scan.node(), name(7000));
    EXPECT_EQ(scan.restarts(), 0u);
    scan.record_reply(after, 0);
    EXPECT_EQ(scan.shards_done(), 1u);
}

TEST(ClusterScan, AShardStartsOnTheNodeServingMostOfItsSlots) {
    const auto before = three_masters();
    // Before 7000's walk began, 7001 took slots 0..9; most are still 7000's.
    const SlotTable after({range(0, 9, 7001, 7004), range(10, 5460, 7000, 7003), range(5461, 10922, 7001, 7004),
                           range(10923, 16383, 7002, 7005)});
    ClusterScan scan(plan_scan_shards(before));
    EXPECT_EQ(scan.next_call(after), (ScanCall{10, 0}));
    EXPECT_EQ(scan.node(), name(7000));
}

TEST(ClusterScan, AShardWhoseSlotsAllMovedToAnotherMasterIsWalkedThere) {
    const auto before = three_masters();
    const SlotTable after({range(0, 10922, 7001, 7004), range(10923, 16383, 7002, 7005)});
    ClusterScan scan(plan_scan_shards(before));
    (void)scan.next_call(before);
    scan.record_reply(before, 42);
    EXPECT_EQ(scan.next_call(after), (ScanCall{0, 0}));
    EXPECT_EQ(scan.node(), name(7001));
    EXPECT_EQ(scan.restarts(), 1u);
}

TEST(ClusterScan, AnUncoveredShardIsRoutedByItsFirstSlotAndItsReplyIsNotTrusted) {
    const auto before = three_masters();
    const SlotTable partial({range(5461, 10922, 7001, 7004), range(10923, 16383, 7002, 7005)});
    ClusterScan scan(plan_scan_shards(before));
    EXPECT_EQ(scan.next_call(partial), (ScanCall{0, 0}));
    EXPECT_EQ(scan.node(), "");
    scan.record_reply(before, 0);  // whoever answered, it was not planned
    EXPECT_EQ(scan.shards_done(), 0u);
    EXPECT_EQ(scan.next_call(before), (ScanCall{0, 0}));
    EXPECT_EQ(scan.node(), name(7000));
}

TEST(ClusterScan, ACollectionScanIsOneShardOfItsKeysSlot) {
    const auto before = three_masters();
    ClusterScan scan({single_slot_shard(1234)});
    EXPECT_EQ(scan.next_call(before), (ScanCall{1234, 0}));
    scan.record_reply(before, 8);
    EXPECT_EQ(scan.next_call(before), (ScanCall{1234, 8}));
    // The key's master failed over: the members are walked again.
    EXPECT_EQ(scan.next_call(after_failover_of_7000()), (ScanCall{1234, 0}));
    EXPECT_EQ(scan.node(), name(7003));
    scan.record_reply(after_failover_of_7000(), 0);
    EXPECT_TRUE(scan.done());
}

TEST(ClusterScan, CopiesAreIndependent) {
    const auto table = three_masters();
    ClusterScan scan(plan_scan_shards(table));
    (void)scan.next_call(table);
    scan.record_reply(table, 42);
    ClusterScan copy = scan;
    (void)scan.next_call(table);
    scan.record_reply(table, 0);
    EXPECT_EQ(scan.shards_done(), 1u);
    EXPECT_EQ(copy.shards_done(), 0u);
    EXPECT_EQ(copy.next_call(table), (ScanCall{0, 42}));
}

// --- ScanRange ------------------------------------------------------------

static_assert(std::ranges::input_range<ScanRange<std::string>>);
static_assert(std::input_iterator<ScanRange<std::string>::iterator>);
static_assert(std::ranges::viewable_range<ScanRange<std::string>>);

// A page source that returns `pages` in turn, then the end; counts calls.
struct ScriptedPages {
    std::vector<std::vector<std::string>> pages;
    std::size_t* calls;
    std::size_t at = 0;
    std::optional<std::vector<std::string>> operator()() {
        ++*calls;
        if (at == pages.size()) return std::nullopt;
        return pages[at++];
    }
};

TEST(ScanRange, WalksEveryItemSkippingEmptyPages) {
    std::size_t calls = 0;
    ScanRange<std::string> range(ScriptedPages{{{}, {"a", "b"}, {}, {}, {"c"}, {}}, &calls});
    std::vector<std::string> seen;
    for (auto& key : range) seen.push_back(key);
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(calls, 7u);
}

TEST(ScanRange, FetchesLazily) {
    std::size_t calls = 0;
    ScanRange<std::string> range(ScriptedPages{{{"a", "b"}, {"c"}}, &calls});
    EXPECT_EQ(calls, 0u);
    auto it = range.begin();
    EXPECT_EQ(calls, 1u);
    EXPECT_EQ(*it, "a");
    ++it;
    EXPECT_EQ(calls, 1u);
    ++it;
    EXPECT_EQ(calls, 2u);
    EXPECT_EQ(*it, "c");
}

TEST(ScanRange, AnEmptyScanEndsAtOnce) {
    std::size_t calls = 0;
    ScanRange<std::string> range(ScriptedPages{{{}, {}}, &calls});
    EXPECT_TRUE(range.begin() == range.end());
    EXPECT_EQ(calls, 3u);
}

TEST(ScanRange, WorksWithRangeAlgorithmsAndViews) {
    std::size_t calls = 0;
    std::vector<std::string> all;
    std::ranges::copy(ScanRange<std::string>(ScriptedPages{{{"a"}, {"b", "c"}}, &calls}), std::back_inserter(all));
    EXPECT_EQ(all, (std::vector<std::string>{"a", "b", "c"}));

    calls = 0;
    std::vector<std::string> first;
    for (auto& key : ScanRange<std::string>(ScriptedPages{{{"a"}, {"b", "c"}, {"d"}}, &calls}) | std::views::take(2)) {
        first.push_back(std::move(key));
    }
    EXPECT_EQ(first, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(calls, 2u);  // the last pages were never fetched
}

TEST(ScanRange, ACommonViewFillsAContainer) {
    std::size_t calls = 0;
    auto common = ScanRange<std::string>(ScriptedPages{{{"a"}, {}, {"b"}}, &calls}) | std::views::common;
    const std::vector<std::string> all(common.begin(), common.end());
    EXPECT_EQ(all, (std::vector<std::string>{"a", "b"}));
}

TEST(ScanRange, AFailedFetchThrowsAndIncrementingAgainRetriesIt) {
    int attempt = 0;
    ScanRange<std::string> range([&]() -> std::optional<std::vector<std::string>> {
        ++attempt;
        if (attempt == 1) return std::vector<std::string>{"a"};
        if (attempt == 2) throw std::runtime_error("connection lost");
        if (attempt == 3) return std::vector<std::string>{"b"};
        return std::nullopt;
    });
    auto it = range.begin();
    EXPECT_EQ(*it, "a");
    EXPECT_THROW(++it, std::runtime_error);
    ++it;
    ASSERT_FALSE(it == range.end());
    EXPECT_EQ(*it, "b");
    ++it;
    EXPECT_TRUE(it == range.end());
}

}  // namespace
}  // namespace rediscluster::detail
