// Scans against the real plain cluster: SCAN over every master with MATCH,
// COUNT and TYPE, the scan ranges, and SSCAN/HSCAN/ZSCAN checked against
// SMEMBERS/HGETALL/ZRANGE. Every key the tests make starts with "scantest:"
// and is deleted at the end (other tests share the cluster).

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <ranges>
#include <set>
#include <string>
#include <vector>

#include "cluster_env.hpp"
#include "rediscluster/client.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;

constexpr int kStrings = 3000;
constexpr int kHashes = 200;
constexpr int kMembers = 3000;

RedisClusterOptions plain_options() {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", test::plain_port()}};
    options.connection_kwargs.socket_timeout = 5s;
    return options;
}

std::string string_key(int i) { return "scantest:s:" + std::to_string(i); }
std::string hash_key(int i) { return "scantest:h:" + std::to_string(i); }
const std::string kSet = "scantest:set";
const std::string kHash = "scantest:hash";
const std::string kSortedSet = "scantest:zset";

// Keys spread over every slot (no hash tags), strings and hashes, and one
// big collection of each kind; all deleted again afterwards.
class Scan : public ::testing::Test {
protected:
    void SetUp() override {
        delete_all();
        auto pipe = rc.pipeline();
        for (int i = 0; i < kStrings; ++i) pipe.set(string_key(i), "v");
        for (int i = 0; i < kHashes; ++i) pipe.hset(hash_key(i), "f", "v");
        for (int i = 0; i < kMembers; ++i) {
            const auto n = std::to_string(i);
            pipe.sadd(kSet, "m" + n);
            pipe.hset(kHash, "f" + n, "v" + n);
            pipe.zadd(kSortedSet, i * 0.5, "m" + n);
        }
        for (const auto& reply : pipe.execute()) ASSERT_FALSE(reply.is_error()) << reply.str();
    }
    void TearDown() override { delete_all(); }

    void delete_all() {
        auto pipe = rc.pipeline();
        for (int i = 0; i < kStrings; ++i) pipe.del(string_key(i));
        for (int i = 0; i < kHashes; ++i) pipe.del(hash_key(i));
        pipe.del(kSet).del(kHash).del(kSortedSet);
        (void)pipe.execute();
    }

    static std::set<std::string> expected_keys() {
        std::set<std::string> keys{kSet, kHash, kSortedSet};
        for (int i = 0; i < kStrings; ++i) keys.insert(string_key(i));
        for (int i = 0; i < kHashes; ++i) keys.insert(hash_key(i));
        return keys;
    }

    RedisCluster rc{plain_options()};
};

TEST_F(Scan, EveryKeyOfEveryMasterIsSeenWithMatchAndCount) {
    std::multiset<std::string> seen;
    for (auto& key : rc.scan_iter({.match = "scantest:*", .count = 500})) seen.insert(std::move(key));
    const auto expected = expected_keys();
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
    // A stable cluster returns each key once (SCAN may repeat a key only
    // while a node's table is resized).
    EXPECT_LE(seen.size(), expected.size() + 10);
}

TEST_F(Scan, OneStepAtATimeVisitsEachMasterOnce) {
    ClusterScanCursor cursor;
    EXPECT_FALSE(cursor.done());
    EXPECT_EQ(cursor.shards(), 0u);
    std::set<std::string> seen;
    std::size_t calls = 0;
    do {
        for (auto& key : rc.scan(cursor, {.match = "scantest:s:*", .count = 1000})) seen.insert(std::move(key));
        ++calls;
        EXPECT_EQ(cursor.shards(), 3u);
    } while (!cursor.done());
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kStrings));
    EXPECT_EQ(cursor.shards_done(), 3u);
    EXPECT_EQ(cursor.restarts(), 0u);
    EXPECT_GE(calls, 3u);
    // A finished cursor stays finished.
    EXPECT_TRUE(rc.scan(cursor).empty());
    EXPECT_TRUE(cursor.done());
}

TEST_F(Scan, TypeKeepsOnlyKeysOfThatType) {
    std::set<std::string> hashes;
    for (auto& key : rc.scan_iter({.match = "scantest:*", .count = 1000, .type = "hash"})) hashes.insert(key);
    std::set<std::string> expected{kHash};
    for (int i = 0; i < kHashes; ++i) expected.insert(hash_key(i));
    EXPECT_EQ(hashes, expected);

    std::size_t zsets = 0;
    for ([[maybe_unused]] auto& key : rc.scan_iter({.match = "scantest:*", .type = "zset"})) ++zsets;
    EXPECT_EQ(zsets, 1u);
}

TEST_F(Scan, AScanMatchingNothingEnds) {
    ClusterScanCursor cursor;
    std::size_t keys = 0;
    while (!cursor.done()) keys += rc.scan(cursor, {.match = "scantest:nothing:*", .count = 1000}).size();
    EXPECT_EQ(keys, 0u);
    EXPECT_EQ(cursor.shards_done(), 3u);
    auto range = rc.scan_iter({.match = "scantest:nothing:*", .count = 1000});
    EXPECT_TRUE(range.begin() == range.end());
}

TEST_F(Scan, RangesComposeWithViewsAndAlgorithms) {
    auto numbered = rc.scan_iter({.match = "scantest:s:*", .count = 1000}) |
                    std::views::filter([](const std::string& key) { return key.ends_with("7"); });
    std::set<std::string> sevens;
    std::ranges::copy(numbered, std::inserter(sevens, sevens.end()));
    EXPECT_EQ(sevens.size(), static_cast<std::size_t>(kStrings / 10));

    std::vector<std::string> first;
    std::ranges::copy(rc.scan_iter({.match = "scantest:*"}) | std::views::take(25), std::back_inserter(first));
    EXPECT_EQ(first.size(), 25u);
}

TEST_F(Scan, ScanGoesToMastersEvenWhenReadsGoToReplicas) {
    auto options = plain_options();
    options.read_from_replicas = true;
    RedisCluster reader(options);
    const auto scans_on = [](int node) {
        return test::info_field(test::plain_node(node), "commandstats", "cmdstat_scan", "calls");
    };
    std::vector<std::int64_t> before;
    for (int node = 0; node < 6; ++node) before.push_back(scans_on(node));
    std::size_t keys = 0;
    for ([[maybe_unused]] auto& key : reader.scan_iter({.match = "scantest:s:*", .count = 1000})) ++keys;
    EXPECT_EQ(keys, static_cast<std::size_t>(kStrings));
    // Nodes 0..2 started as the masters; a failover test elsewhere may have
    // swapped roles, so judge by each node's role now.
    for (int node = 0; node < 6; ++node) {
        const std::string role(test::node_command(test::plain_node(node), {"ROLE"})[0].str());
        if (role == "master") {
            EXPECT_GT(scans_on(node), before[static_cast<std::size_t>(node)]) << "node " << node;
        } else {
            EXPECT_EQ(scans_on(node), before[static_cast<std::size_t>(node)]) << "replica " << node;
        }
    }
}

TEST_F(Scan, MultiplexedConnectionsScanEveryKeyToo) {
    auto options = plain_options();
    options.multiplexed_connections = true;
    RedisCluster shared(options);
    std::set<std::string> seen;
    for (auto& key : shared.scan_iter({.match = "scantest:*", .count = 700})) seen.insert(std::move(key));
    EXPECT_EQ(seen, expected_keys());
    std::size_t members = 0;
    for ([[maybe_unused]] auto& member : shared.zscan_iter(kSortedSet)) ++members;
    EXPECT_EQ(members, static_cast<std::size_t>(kMembers));
}

TEST_F(Scan, ExecuteCommandStillRefusesScanAndPointsToTheScanApi) {
    try {
        (void)rc.execute_command("SCAN", "0");
        FAIL() << "SCAN through execute_command was not refused";
    } catch (const RedisClusterException& e) {
        EXPECT_NE(std::string(e.what()).find("scan_iter"), std::string::npos) << e.what();
    }
}

TEST_F(Scan, SscanSeesEveryMemberOfTheSet) {
    const auto members = rc.smembers(kSet);
    const std::set<std::string> expected(members.begin(), members.end());
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(kMembers));

    std::set<std::string> by_range;
    for (auto& member : rc.sscan_iter(kSet, {.count = 200})) by_range.insert(member);
    EXPECT_EQ(by_range, expected);

    std::set<std::string> by_steps;
    std::uint64_t cursor = 0;
    do {
        auto page = rc.sscan(kSet, cursor, {.count = 500});
        by_steps.insert(page.items.begin(), page.items.end());
        cursor = page.cursor;
    } while (cursor != 0);
    EXPECT_EQ(by_steps, expected);

    std::set<std::string> matched;
    for (auto& member : rc.sscan_iter(kSet, {.match = "m1*"})) matched.insert(member);
    EXPECT_EQ(matched.size(), 1u + 10u + 100u + 1000u);  // m1, m10..m19, m100..m199, m1000..m1999
}

TEST_F(Scan, HscanSeesEveryFieldAndValueOfTheHash) {
    const auto all = rc.hgetall(kHash);
    const std::map<std::string, std::string> expected(all.begin(), all.end());
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(kMembers));

    std::map<std::string, std::string> by_range;
    for (auto& [field, value] : rc.hscan_iter(kHash, {.count = 300})) by_range[field] = value;
    EXPECT_EQ(by_range, expected);

    std::map<std::string, std::string> by_steps;
    std::uint64_t cursor = 0;
    do {
        auto page = rc.hscan(kHash, cursor);
        by_steps.insert(page.items.begin(), page.items.end());
        cursor = page.cursor;
    } while (cursor != 0);
    EXPECT_EQ(by_steps, expected);
}

TEST_F(Scan, ZscanSeesEveryMemberAndScoreOfTheSortedSet) {
    const auto listed = rc.execute_command("ZRANGE", kSortedSet, 0, -1, "WITHSCORES");
    std::map<std::string, double> expected;
    for (std::size_t i = 0; i + 1 < listed.size(); i += 2) {
        expected[std::string(listed[i].str())] = std::stod(std::string(listed[i + 1].str()));
    }
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(kMembers));

    std::map<std::string, double> by_range;
    for (auto& [member, score] : rc.zscan_iter(kSortedSet, {.count = 250})) by_range[member] = score;
    EXPECT_EQ(by_range, expected);
    EXPECT_EQ(by_range["m7"], 3.5);

    std::map<std::string, double> by_steps;
    std::uint64_t cursor = 0;
    do {
        auto page = rc.zscan(kSortedSet, cursor, {.count = 1000});
        by_steps.insert(page.items.begin(), page.items.end());
        cursor = page.cursor;
    } while (cursor != 0);
    EXPECT_EQ(by_steps, expected);
}

TEST_F(Scan, CollectionScansRefuseTypeAndScanMissingKeysAsEmpty) {
    EXPECT_THROW((void)rc.sscan(kSet, 0, {.type = "set"}), DataError);
    EXPECT_THROW((void)rc.zscan_iter(kSortedSet, {.type = "zset"}), DataError);
    auto missing = rc.hscan_iter("scantest:missing");
    EXPECT_TRUE(missing.begin() == missing.end());
    // A key of another type is the server's refusal, as a typed error.
    EXPECT_THROW((void)rc.sscan(kHash, 0), ResponseError);
}

}  // namespace
}  // namespace rediscluster
