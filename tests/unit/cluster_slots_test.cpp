#include <gtest/gtest.h>

#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster {
namespace {

Reply node(std::string_view host, std::int64_t port, std::string_view id = "") {
    std::vector<Reply> fields{Reply::bulk_string(host), Reply::integer(port)};
    if (!id.empty()) fields.push_back(Reply::bulk_string(id));
    return Reply::array(std::move(fields));
}

Reply range(std::int64_t first, std::int64_t last, std::vector<Reply> nodes) {
    std::vector<Reply> fields{Reply::integer(first), Reply::integer(last)};
    for (auto& n : nodes) fields.push_back(std::move(n));
    return Reply::array(std::move(fields));
}

Reply three_masters_with_replicas() {
    return Reply::array({
        range(0, 5460, {node("127.0.0.1", 7000, "id0"), node("127.0.0.1", 7003, "id3")}),
        range(5461, 10922, {node("127.0.0.1", 7001, "id1"), node("127.0.0.1", 7004, "id4")}),
        range(10923, 16383, {node("127.0.0.1", 7002, "id2"), node("127.0.0.1", 7005, "id5")}),
    });
}

TEST(ParseClusterSlots, MastersAndReplicas) {
    const auto ranges = parse_cluster_slots(three_masters_with_replicas(), "127.0.0.1");
    ASSERT_EQ(ranges.size(), 3u);
    EXPECT_EQ(ranges[0].first, 0);
    EXPECT_EQ(ranges[0].last, 5460);
    EXPECT_EQ(ranges[0].master, make_node("127.0.0.1", 7000, "master"));
    ASSERT_EQ(ranges[0].replicas.size(), 1u);
    EXPECT_EQ(ranges[0].replicas[0], make_node("127.0.0.1", 7003, "slave"));
    EXPECT_EQ(ranges[2].master.name, "127.0.0.1:7002");
}

TEST(ParseClusterSlots, EmptyHostMeansTheResponder) {
    const auto reply = Reply::array({
        range(0, 100, {node("", 7000), node("", 7003)}),
        range(101, 200, {node("", 7001)}),
    });
    const auto ranges = parse_cluster_slots(reply, "10.1.1.1");
    EXPECT_EQ(ranges[0].master.host, "10.1.1.1");
    EXPECT_EQ(ranges[0].replicas[0].host, "10.1.1.1");  // the original left replicas as ":7003"
    EXPECT_EQ(ranges[1].master.host, "10.1.1.1");       // and used the previous master's host here
}

TEST(ParseClusterSlots, NullHostMeansTheResponderToo) {
    const auto reply = Reply::array({range(0, 1, {Reply::array({Reply::null(), Reply::integer(7000)})})});
    EXPECT_EQ(parse_cluster_slots(reply, "h").at(0).master.host, "h");
}

TEST(ParseClusterSlots, QuestionMarkIsAnUnknownEndpointAndSkipped) {
    const auto reply = Reply::array({
        range(0, 100, {node("?", 7000), node("127.0.0.1", 7003)}),
        range(101, 200, {node("127.0.0.1", 7001), node("?", 7004), node("127.0.0.1", 7005)}),
    });
    const auto ranges = parse_cluster_slots(reply, "127.0.0.1");
    ASSERT_EQ(ranges.size(), 1u);  // a range whose master is unknown stays uncovered
    EXPECT_EQ(ranges[0].first, 101);
    ASSERT_EQ(ranges[0].replicas.size(), 1u);
    EXPECT_EQ(ranges[0].replicas[0].port, 7005);
}

TEST(ParseClusterSlots, HostNamesAreKeptAndExtraFieldsIgnored) {
    const auto reply = Reply::array({range(0, 16383, {
        Reply::array({Reply::bulk_string("redis-0.example.com"), Reply::integer(6379), Reply::bulk_string("id"),
                      Reply::map({Reply::bulk_string("ip"), Reply::bulk_string("10.0.0.1")})}),
    })});
    const auto ranges = parse_cluster_slots(reply, "10.0.0.1");
    EXPECT_EQ(ranges.at(0).master.host, "redis-0.example.com");
    EXPECT_EQ(ranges.at(0).master.name, "redis-0.example.com:6379");
}

TEST(ParseClusterSlots, RemapIsAppliedToEveryEndpoint) {
    const HostPortRemap remap([](const HostPort& a) { return HostPort{"127.0.0.1", static_cast<std::uint16_t>(a.port + 100)}; });
    const auto ranges = parse_cluster_slots(three_masters_with_replicas(), "10.0.0.9", remap);
    EXPECT_EQ(ranges[1].master.name, "127.0.0.1:7101");
    EXPECT_EQ(ranges[1].replicas[0].name, "127.0.0.1:7104");
}

TEST(ParseClusterSlots, WrongShapesAreProtocolErrorsNamingTheEntry) {
    auto error_of = [](const Reply& reply) -> std::string {
        try {
            (void)parse_cluster_slots(reply, "h");
        } catch (const ProtocolError& e) {
            return e.what();
        }
        return "(no ProtocolError)";
    };
    EXPECT_EQ(error_of(Reply::simple_string("OK")), "CLUSTER SLOTS: expected an array of slot ranges, got \"OK\"");
    EXPECT_EQ(error_of(Reply::array({Reply::integer(1)})),
              "CLUSTER SLOTS entry 0: expected an array of [first slot, last slot, master, replicas...], got 1");
    EXPECT_EQ(error_of(Reply::array({range(0, 16384, {node("h", 1)})})),
              "CLUSTER SLOTS entry 0: expected a slot number in 0..16383, got 16384");
    EXPECT_EQ(error_of(Reply::array({range(10, 5, {node("h", 1)})})).substr(0, 62),
              "CLUSTER SLOTS entry 0: expected a first slot not after the las");
    EXPECT_EQ(error_of(Reply::array({range(0, 5, {Reply::array({Reply::bulk_string("h")})})})),
              "CLUSTER SLOTS entry 0: expected a node as an array of [host, port, ...], got [\"h\"]");
    EXPECT_EQ(error_of(Reply::array({range(0, 5, {node("h", 70000)})})),
              "CLUSTER SLOTS entry 0: expected a port number in 0..65535, got 70000");
    EXPECT_EQ(error_of(Reply::array({range(0, 5, {Reply::array({Reply::integer(1), Reply::integer(2)})})})),
              "CLUSTER SLOTS entry 0: expected a host string, got 1");
}

TEST(SlotTable, LooksUpMasterThenReplicas) {
    const SlotTable table(parse_cluster_slots(three_masters_with_replicas(), "127.0.0.1"));
    EXPECT_EQ(table.size(), 16384u);
    const auto nodes = table[12182];
    ASSERT_EQ(nodes.size(), 2u);
    EXPECT_EQ(nodes[0].name, "127.0.0.1:7002");
    EXPECT_EQ(nodes[1].name, "127.0.0.1:7005");
    EXPECT_EQ(table.master(0)->name, "127.0.0.1:7000");
    ASSERT_EQ(table.nodes().size(), 6u);
    EXPECT_TRUE(table.nodes()[0].is_master());
    EXPECT_FALSE(table.nodes()[5].is_master());
    EXPECT_EQ(table.ranges().size(), 3u);
}

TEST(SlotTable, PartialCoverage) {
    const SlotTable table(std::vector<SlotRange>{{0, 99, make_node("a", 1, "master"), {}}});
    EXPECT_EQ(table.size(), 100u);
    EXPECT_TRUE(table.covered(99));
    EXPECT_FALSE(table.covered(100));
    EXPECT_TRUE(table[100].empty());
    EXPECT_EQ(table.master(100), nullptr);
    EXPECT_EQ(SlotTable().size(), 0u);
}

TEST(SlotTable, OneMasterWithSeveralRangesIsOneShard) {
    const SlotTable table(std::vector<SlotRange>{
        {0, 10, make_node("a", 1, "master"), {make_node("r", 2, "slave")}},
        {20, 30, make_node("a", 1, "master"), {make_node("r", 2, "slave")}},
        {11, 19, make_node("b", 1, "master"), {}},
    });
    EXPECT_EQ(table.shard_count(), 2u);
    EXPECT_EQ(table.shard_of(5), table.shard_of(25));
    EXPECT_EQ(table.nodes().size(), 3u);
    EXPECT_EQ(table.ranges().size(), 3u);
}

TEST(SlotTable, DisagreementOnASlotIsAClearError) {
    try {
        const SlotTable table(std::vector<SlotRange>{
            {0, 10, make_node("127.0.0.1", 7000, "master"), {}},
            {10, 20, make_node("127.0.0.1", 7001, "master"), {}},
        });
        FAIL() << "expected ClusterError";
    } catch (const ClusterError& e) {
        EXPECT_STREQ(e.what(), "startup nodes could not agree on a valid slots cache: 127.0.0.1:7000 vs "
                               "127.0.0.1:7001 on slot: 10");
    }
}

}  // namespace
}  // namespace rediscluster
