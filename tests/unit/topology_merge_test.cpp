#include <gtest/gtest.h>

#include "detail/refresh_policy.hpp"
#include "detail/topology_merge.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {
namespace {

using namespace std::chrono_literals;

SlotRange claim(int first, int last, std::uint16_t master, std::uint64_t epoch) {
    return SlotRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last),
                     make_node("127.0.0.1", master, "master"), {}, epoch};
}

std::string owner(const MergedTopology& merged, std::uint16_t slot) {
    for (const auto& range : merged.ranges) {
        if (range.first <= slot && slot <= range.last) return range.master.name;
    }
    return "(none)";
}

TEST(TopologyMerge, OneViewIsTakenAsItIs) {
    const std::vector<std::vector<SlotRange>> views{{claim(0, 8000, 7000, 1), claim(8001, 16383, 7001, 2)}};
    const auto merged = merge_topology(views, {});
    EXPECT_EQ(merged.ranges, views[0]);
    EXPECT_EQ(merged.covered, 16384u);
    EXPECT_TRUE(merged.pins.empty());
}

TEST(TopologyMerge, AStaleViewLosesToANewerEpochWhereverItComes) {
    const std::vector<SlotRange> stale{claim(0, 16383, 7000, 3)};
    const std::vector<SlotRange> fresh{claim(0, 99, 7003, 8), claim(100, 16383, 7000, 3)};
    for (const auto& views : {std::vector<std::vector<SlotRange>>{stale, fresh},
                              std::vector<std::vector<SlotRange>>{fresh, stale}}) {
        const auto merged = merge_topology(views, {});
        EXPECT_EQ(owner(merged, 0), "127.0.0.1:7003");
        EXPECT_EQ(owner(merged, 99), "127.0.0.1:7003");
        EXPECT_EQ(owner(merged, 100), "127.0.0.1:7000");
        EXPECT_EQ(merged.ranges.size(), 2u);
        EXPECT_EQ(merged.ranges[0].config_epoch, 8u);
    }
}

TEST(TopologyMerge, SplitAndPartialViewsAddUp) {
    const std::vector<std::vector<SlotRange>> views{{claim(0, 5000, 7000, 1)}, {claim(5001, 9000, 7001, 2)}, {}};
    const auto merged = merge_topology(views, {});
    EXPECT_EQ(merged.covered, 9001u);
    EXPECT_EQ(owner(merged, 9001), "(none)");
    EXPECT_EQ(owner(merged, 5001), "127.0.0.1:7001");
}

TEST(TopologyMerge, OnEqualEpochsTheEarlierViewWins) {
    const std::vector<std::vector<SlotRange>> views{{claim(0, 16383, 7001, 0)}, {claim(0, 16383, 7002, 0)}};
    EXPECT_EQ(owner(merge_topology(views, {}), 500), "127.0.0.1:7001");
    const std::vector<std::vector<SlotRange>> reversed{views[1], views[0]};
    EXPECT_EQ(owner(merge_topology(reversed, {}), 500), "127.0.0.1:7002");
}

TEST(TopologyMerge, APinHoldsAgainstViewsFromBeforeTheMove) {
    const std::vector<MovedPin> pins{MovedPin{10, 20, make_node("127.0.0.1", 7003, "master"), {}, 5}};
    const std::vector<std::vector<SlotRange>> stale{{claim(0, 16383, 7000, 5)}};
    const auto merged = merge_topology(stale, pins);
    EXPECT_EQ(owner(merged, 9), "127.0.0.1:7000");
    EXPECT_EQ(owner(merged, 10), "127.0.0.1:7003");
    EXPECT_EQ(owner(merged, 20), "127.0.0.1:7003");
    EXPECT_EQ(owner(merged, 21), "127.0.0.1:7000");
    EXPECT_EQ(merged.ranges.size(), 3u);
    EXPECT_EQ(merged.ranges[1].config_epoch, 6u);  // above the displaced owner's
    EXPECT_EQ(merged.pins, pins);                  // still ahead of every view
    EXPECT_EQ(merged.covered, 16384u);
}

TEST(TopologyMerge, APinIsDroppedOnlyByANewerChange) {
    const std::vector<MovedPin> pins{MovedPin{10, 20, make_node("127.0.0.1", 7003, "master"), {}, 5}};
    // 7003 named for slots 10..15 with its epoch (confirmed: the view's
    // range is used, the pin stays); 16..20 given to 7001 with a newer
    // epoch (a later change: the pin goes).
    const std::vector<std::vector<SlotRange>> views{
        {claim(0, 9, 7000, 5), claim(10, 15, 7003, 6), claim(16, 20, 7001, 9), claim(21, 16383, 7000, 5)}};
    const auto merged = merge_topology(views, pins);
    EXPECT_EQ(owner(merged, 12), "127.0.0.1:7003");
    EXPECT_EQ(owner(merged, 18), "127.0.0.1:7001");
    ASSERT_EQ(merged.pins.size(), 1u);
    EXPECT_EQ(merged.pins[0].first, 10);
    EXPECT_EQ(merged.pins[0].last, 15);
    // A view from before the move, asked later, is still refused.
    const std::vector<std::vector<SlotRange>> stale{{claim(0, 16383, 7000, 5)}};
    const auto again = merge_topology(stale, merged.pins);
    EXPECT_EQ(owner(again, 12), "127.0.0.1:7003");
    EXPECT_EQ(owner(again, 18), "127.0.0.1:7000");  // its pin was dropped by the newer change
}

TEST(TopologyMerge, AConfirmingViewSuppliesTheOwnersReplicasAndEpoch) {
    const std::vector<MovedPin> pins{MovedPin{10, 20, make_node("127.0.0.1", 7003, "master"), {}, 5}};
    SlotRange confirming = claim(0, 16383, 7003, 8);
    confirming.replicas = {make_node("127.0.0.1", 7000, "slave")};
    const auto merged = merge_topology(std::vector<std::vector<SlotRange>>{{confirming}}, pins);
    ASSERT_EQ(merged.ranges.size(), 3u);  // before the pinned slots, them, after
    EXPECT_EQ(merged.ranges[1].first, 10);
    EXPECT_EQ(merged.ranges[1].config_epoch, 8u);
    EXPECT_EQ(merged.ranges[1].replicas.size(), 1u);
    EXPECT_EQ(merged.covered, 16384u);
    ASSERT_EQ(merged.pins.size(), 1u);
    EXPECT_EQ(merged.pins[0].confirmed_epoch, 8u);
    // Another node's claim must now beat the owner's own epoch, not just
    // the displaced one's.
    const auto older = merge_topology(std::vector<std::vector<SlotRange>>{{claim(0, 16383, 7001, 7)}}, merged.pins);
    EXPECT_EQ(owner(older, 15), "127.0.0.1:7003");
    EXPECT_EQ(older.ranges[1].config_epoch, 8u);
    const auto newer = merge_topology(std::vector<std::vector<SlotRange>>{{claim(0, 16383, 7001, 9)}}, merged.pins);
    EXPECT_EQ(owner(newer, 15), "127.0.0.1:7001");
    EXPECT_TRUE(newer.pins.empty());
}

TEST(TopologyMerge, APartlyConfirmedPinKeepsItsOwnerEverywhere) {
    const std::vector<MovedPin> pins{MovedPin{10, 20, make_node("127.0.0.1", 7003, "master"), {}, 5}};
    const std::vector<std::vector<SlotRange>> views{{claim(0, 14, 7003, 5), claim(15, 16383, 7000, 5)}};
    const auto merged = merge_topology(views, pins);
    EXPECT_EQ(owner(merged, 12), "127.0.0.1:7003");
    EXPECT_EQ(owner(merged, 17), "127.0.0.1:7003");
    EXPECT_EQ(owner(merged, 21), "127.0.0.1:7000");
    ASSERT_EQ(merged.pins.size(), 2u);  // 10..14 (confirmed) and 15..20
    EXPECT_EQ(merged.pins[0].first, 10);
    EXPECT_EQ(merged.pins[0].last, 14);
    EXPECT_EQ(merged.pins[1].first, 15);
    EXPECT_EQ(merged.pins[1].last, 20);
}

TEST(TopologyMerge, APinCoversASlotNoViewCovers) {
    const std::vector<MovedPin> pins{MovedPin{100, 100, make_node("127.0.0.1", 7001, "master"), {}, 0}};
    const auto merged = merge_topology(std::vector<std::vector<SlotRange>>{{claim(0, 50, 7000, 1)}}, pins);
    EXPECT_EQ(merged.covered, 52u);
    EXPECT_EQ(owner(merged, 100), "127.0.0.1:7001");
}

Reply nodes_reply(std::string_view text) { return Reply::bulk_string(text); }

TEST(ConfigEpochs, ReadFromEachLineOfClusterNodes) {
    const auto epochs = parse_config_epochs(
        nodes_reply("e7d1 127.0.0.1:30001@31001 myself,master - 0 1426238316232 3 connected 0-5460\n"
                    "07c3 127.0.0.1:30004@31004,cache-4.example.com slave e7d1 0 1426238317239 3 connected\n"
                    "67ed :30002@31002 master - 0 1426238316232 12 connected 5461-10922\n"
                    "2929 :0@0 master,noaddr - 0 0 14 disconnected\n"),
        "10.0.0.9");
    EXPECT_EQ(epochs.at("127.0.0.1:30001"), 3u);
    EXPECT_EQ(epochs.at("cache-4.example.com:30004"), 3u);
    EXPECT_EQ(epochs.at("127.0.0.1:30004"), 3u);
    EXPECT_EQ(epochs.at("10.0.0.9:30002"), 12u);  // no address: the responder's
    EXPECT_EQ(epochs.size(), 4u);                 // the node without an address is left out
}

TEST(ConfigEpochs, IPv6AddressesAndRemapping) {
    const HostPortRemap remap(std::map<HostPort, HostPort>{{{"::1", 7000}, {"127.0.0.1", 17000}}});
    const auto epochs = parse_config_epochs(nodes_reply("a ::1:7000@17000 master - 0 0 5 connected 0-16383\r\n"), "::1", remap);
    EXPECT_EQ(epochs.at("127.0.0.1:17000"), 5u);
}

TEST(ConfigEpochs, AReplyOfTheWrongShapeIsAProtocolError) {
    EXPECT_THROW((void)parse_config_epochs(Reply::integer(3), "h"), ProtocolError);
    EXPECT_THROW((void)parse_config_epochs(nodes_reply("a 127.0.0.1:7000@17000 master - 0 0\n"), "h"), ProtocolError);
    EXPECT_THROW((void)parse_config_epochs(nodes_reply("a 127.0.0.1:7000@17000 master - 0 0 x connected\n"), "h"),
                 ProtocolError);
    EXPECT_THROW((void)parse_config_epochs(nodes_reply("a 127.0.0.1:99999@1 master - 0 0 1 connected\n"), "h"),
                 ProtocolError);
    EXPECT_THROW((void)parse_config_epochs(nodes_reply("a 127.0.0.1 master - 0 0 1 connected\n"), "h"), ProtocolError);
}

TEST(RefreshPolicy, WaitsDoubleWhileDiscoveriesFailUpToTheCap) {
    const RefreshPolicy policy;
    EXPECT_EQ(policy.wait_after(0, 0.0), 100ms);
    EXPECT_EQ(policy.wait_after(1, 0.0), 200ms);
    EXPECT_EQ(policy.wait_after(2, 0.0), 400ms);
    EXPECT_EQ(policy.wait_after(5, 0.0), 3000ms);
    EXPECT_EQ(policy.wait_after(1000, 0.0), 3000ms);
    EXPECT_EQ(policy.wait_after(0, 1.0), 120ms);
    EXPECT_EQ(policy.wait_after(0, -1.0), 80ms);
    EXPECT_EQ(policy.wait_after(9, 5.0), 3600ms);  // jitter is clamped to ±20 %
}

}  // namespace
}  // namespace rediscluster::detail
