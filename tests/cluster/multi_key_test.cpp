// Multi-key commands whose keys span slots (MGET, MSET, DEL, EXISTS,
// UNLINK, TOUCH), split by slot and merged, against the plain cluster.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "cluster_env.hpp"
#include "rediscluster/client.hpp"
#include "rediscluster/slot.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using test::error_of;

RedisClusterOptions options_for(std::uint16_t port) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", port}};
    options.connection_kwargs.socket_timeout = 5s;
    // The tests read the servers' statistics: no discovery in between.
    options.periodic_refresh_interval = 0ms;
    return options;
}

std::vector<std::string> numbered_keys(std::string_view prefix, std::size_t count) {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < count; ++i) keys.push_back(std::string(prefix) + std::to_string(i));
    return keys;
}

std::vector<std::string_view> views_of(const std::vector<std::string>& strings) {
    return {strings.begin(), strings.end()};
}

void reset_statistics(RedisCluster& rc) {
    for (const auto& node : rc.connection_pool->nodes.all_nodes()) {
        (void)test::node_command(node.port, {"CONFIG", "RESETSTAT"});
    }
}

std::int64_t calls_on_masters(RedisCluster& rc, std::string_view command, std::string_view field = "calls") {
    std::int64_t total = 0;
    for (const auto& master : rc.connection_pool->get_nodes_by_server_type("master")) {
        total += test::info_field(master.port, "commandstats", "cmdstat_" + std::string(command), field);
    }
    return total;
}

TEST(MultiKeyAcrossSlots, TenThousandKeysAreSetReadAndDeletedAsGetSeesThem) {
    RedisCluster rc(options_for(test::plain_port()));
    const auto keys = numbered_keys("multikey:bulk:", 10000);
    std::vector<std::string> arguments{"MSET"};
    for (std::size_t i = 0; i < keys.size(); ++i) {
        arguments.push_back(keys[i]);
        arguments.push_back("value-" + std::to_string(i * 7));
    }
    EXPECT_EQ(rc.execute_command_range(arguments), Reply::simple_string("OK"));

    // Every key as GET sees it, through a pipeline of GETs.
    auto pipe = rc.pipeline();
    for (const auto& key : keys) pipe.get(key);
    const auto singles = pipe.execute();
    ASSERT_EQ(singles.size(), keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        ASSERT_EQ(singles[i], Reply::bulk_string("value-" + std::to_string(i * 7))) << keys[i];
    }

    // MGET across every slot: the values in key order, a missing key null.
    auto asked = views_of(keys);
    asked.insert(asked.begin() + 5000, "multikey:bulk:missing");
    const auto values = rc.mget(asked);
    std::vector<std::optional<std::string>> expected;
    for (const auto& single : singles) expected.emplace_back(single.str());
    expected.insert(expected.begin() + 5000, std::nullopt);
    ASSERT_EQ(values.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(values[i], expected[i]) << asked[i];

    std::vector<std::string_view> exists{"EXISTS"};
    exists.insert(exists.end(), asked.begin(), asked.end());
    EXPECT_EQ(rc.execute_command_range(exists), Reply::integer(10000));
    EXPECT_EQ(rc.del(asked), 10000);
    EXPECT_EQ(rc.execute_command_range(exists), Reply::integer(0));
    EXPECT_EQ(rc.get(keys[0]), std::nullopt);
}

TEST(MultiKeyAcrossSlots, EachSlotIsOnePartAndEachPartRunsOnce) {
    RedisCluster rc(options_for(test::plain_port()));
    const auto keys = numbered_keys("multikey:parts:", 40);
    std::set<std::uint16_t> slots;
    for (const auto& key : keys) slots.insert(key_slot(key));
    reset_statistics(rc);
    (void)rc.del(views_of(keys));
    EXPECT_EQ(calls_on_masters(rc, "del"), static_cast<std::int64_t>(slots.size()));
    EXPECT_EQ(calls_on_masters(rc, "del", "rejected_calls"), 0);
}

TEST(MultiKeyAcrossSlots, MgetReadsAKeyHoldingNoStringAsNull) {
    // A part of one key goes as a GET, which says WRONGTYPE where MGET
    // answers null: the answer is MGET's.
    RedisCluster rc(options_for(test::plain_port()));
    (void)rc.del("multikey:type:list");
    (void)rc.rpush("multikey:type:list", "x");
    (void)rc.set("multikey:type:string", "s");
    const std::string_view keys[] = {"multikey:type:list", "multikey:type:string"};
    ASSERT_NE(key_slot(keys[0]), key_slot(keys[1]));
    EXPECT_EQ(rc.mget(keys), (std::vector<std::optional<std::string>>{std::nullopt, "s"}));
}

TEST(MultiKeyAcrossSlots, CountsAreSummedOverTheParts) {
    RedisCluster rc(options_for(test::plain_port()));
    const std::vector<std::string> keys{"multikey:count:a", "multikey:count:b", "multikey:count:c", "multikey:count:d"};
    (void)rc.del(views_of(keys));
    for (const auto& key : keys) (void)rc.set(key, "v");
    const auto args = [&](std::string_view name, std::size_t count) {
        std::vector<std::string_view> all{name};
        all.insert(all.end(), keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(count));
        all.push_back("multikey:count:absent");
        return all;
    };
    EXPECT_EQ(rc.execute_command_range(args("EXISTS", 4)), Reply::integer(4));
    EXPECT_EQ(rc.execute_command_range(args("TOUCH", 4)), Reply::integer(4));
    EXPECT_EQ(rc.execute_command_range(args("UNLINK", 2)), Reply::integer(2));
    EXPECT_EQ(rc.execute_command_range(args("DEL", 4)), Reply::integer(2));
    EXPECT_EQ(rc.execute_command_range(args("EXISTS", 4)), Reply::integer(0));
}

TEST(MultiKeyAcrossSlots, EncodedCommandsAreSplitToo) {
    RedisCluster rc(options_for(test::plain_port()));
    const auto encode = [](const auto&... args) {
        std::string packed;
        encode_command(packed, args...);
        return packed;
    };
    EXPECT_EQ(rc.execute_packed(encode("MSET", "multikey:packed:a", "1", "multikey:packed:b", "2")),
              Reply::simple_string("OK"));
    EXPECT_EQ(rc.execute_packed(encode("MGET", "multikey:packed:b", "multikey:packed:a")),
              Reply::array({Reply::bulk_string("2"), Reply::bulk_string("1")}));
    EXPECT_EQ(rc.execute_packed(encode("DEL", "multikey:packed:a", "multikey:packed:b")), Reply::integer(2));
}

TEST(MultiKeyAcrossSlots, APartRedirectedIsSentAgainAloneToTheNewOwner) {
    RedisCluster rc(options_for(test::plain_port()));
    const auto keys = numbered_keys("multikey:moved:", 30);
    std::vector<std::string> arguments{"MSET"};
    for (const auto& key : keys) {
        arguments.push_back(key);
        arguments.push_back(key);
    }
    (void)rc.execute_command_range(arguments);
    // The client believes the first key's slot is on another master: that
    // part gets MOVED there, and only it is sent again.
    const auto slot = key_slot(keys[0]);
    const auto owner = rc.connection_pool->get_master_node_by_slot(slot);
    NodeInfo wrong;
    for (const auto& master : rc.connection_pool->get_nodes_by_server_type("master")) {
        if (master.name != owner.name) wrong = master;
    }
    (void)rc.connection_pool->nodes.record_moved(slot, {wrong.host, wrong.port}, std::nullopt);
    ASSERT_EQ(rc.connection_pool->get_master_node_by_slot(slot).name, wrong.name);

    std::set<std::uint16_t> slots;
    for (const auto& key : keys) slots.insert(key_slot(key));
    reset_statistics(rc);
    EXPECT_EQ(rc.del(views_of(keys)), static_cast<std::int64_t>(keys.size()));
    EXPECT_EQ(calls_on_masters(rc, "del"), static_cast<std::int64_t>(slots.size()));
    EXPECT_EQ(test::info_field(wrong.port, "commandstats", "cmdstat_del", "rejected_calls"), 1);
    EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(slot).name, owner.name);
}

TEST(MultiKeyAcrossSlots, BadInputIsRefusedBeforeAnythingIsSent) {
    RedisCluster rc(options_for(test::plain_port()));
    reset_statistics(rc);
    EXPECT_EQ(error_of<DataError>([&] { (void)rc.execute_command("MSET", "multikey:odd:a", "1", "multikey:odd:b"); }),
              "MSET: keys and values must come in pairs, got 3 arguments");
    // MSETNX sets all or none: that cannot hold across nodes, so it is not split.
    EXPECT_THROW((void)rc.execute_command("MSETNX", "foo", "1", "bar", "2"), ClusterCrossSlotError);
    EXPECT_EQ(calls_on_masters(rc, "mset") + calls_on_masters(rc, "mset", "rejected_calls"), 0);
    EXPECT_EQ(calls_on_masters(rc, "msetnx") + calls_on_masters(rc, "msetnx", "rejected_calls"), 0);
}

TEST(MultiKeyAcrossSlots, APipelineStillRefusesKeysInDifferentSlots) {
    // A pipeline's command is one command: it is not split behind its back.
    RedisCluster rc(options_for(test::plain_port()));
    auto pipe = rc.pipeline();
    EXPECT_THROW(pipe.execute_command("MGET", "foo", "bar"), ClusterCrossSlotError);
}

}  // namespace
}  // namespace rediscluster
