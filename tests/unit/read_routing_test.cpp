#include <gtest/gtest.h>

#include <set>

#include "detail/read_routing.hpp"

namespace rediscluster::detail {
namespace {

std::vector<NodeInfo> shard_with(int replicas) {
    std::vector<NodeInfo> shard{make_node("127.0.0.1", 7000, "master")};
    for (int i = 1; i <= replicas; ++i) {
        shard.push_back(make_node("127.0.0.1", static_cast<std::uint16_t>(7000 + i), "slave"));
    }
    return shard;
}

auto all_healthy = [](const NodeInfo&) { return true; };

TEST(ReadCandidates, RoundRobinOverReplicasThenTheMaster) {
    const auto shard = shard_with(3);
    EXPECT_EQ(read_candidates(shard, 0, all_healthy), (std::vector<std::size_t>{1, 2, 3, 0}));
    EXPECT_EQ(read_candidates(shard, 1, all_healthy), (std::vector<std::size_t>{2, 3, 1, 0}));
    EXPECT_EQ(read_candidates(shard, 5, all_healthy), (std::vector<std::size_t>{3, 1, 2, 0}));
    std::multiset<std::size_t> firsts;
    for (std::uint64_t r = 0; r < 300; ++r) firsts.insert(read_candidates(shard, r, all_healthy).front());
    EXPECT_EQ(firsts.count(1), 100u);
    EXPECT_EQ(firsts.count(2), 100u);
    EXPECT_EQ(firsts.count(3), 100u);
    EXPECT_EQ(firsts.count(0), 0u);
}

TEST(ReadCandidates, FailedReplicasGoAfterTheMaster) {
    const auto shard = shard_with(2);
    auto only_7002_healthy = [](const NodeInfo& n) { return n.port != 7001; };
    EXPECT_EQ(read_candidates(shard, 0, only_7002_healthy), (std::vector<std::size_t>{2, 0, 1}));
    auto none_healthy = [](const NodeInfo& n) { return n.is_master(); };
    EXPECT_EQ(read_candidates(shard, 0, none_healthy), (std::vector<std::size_t>{0, 1, 2}));
}

TEST(ReadCandidates, NoReplicaMeansTheMaster) {
    EXPECT_EQ(read_candidates(shard_with(0), 7, all_healthy), (std::vector<std::size_t>{0}));
    EXPECT_TRUE(read_candidates(std::span<const NodeInfo>{}, 0, all_healthy).empty());
}

TEST(FailedNodes, SkippedForTheCoolDownOnly) {
    FailedNodes failed(std::chrono::milliseconds(500));
    const auto now = FailedNodes::Clock::now();
    EXPECT_TRUE(failed.healthy("a", now));
    failed.mark("a", now);
    EXPECT_FALSE(failed.healthy("a", now + std::chrono::milliseconds(499)));
    EXPECT_TRUE(failed.healthy("a", now + std::chrono::milliseconds(500)));
    failed.mark("b", now);
    failed.clear("b");
    EXPECT_TRUE(failed.healthy("b", now));
}

}  // namespace
}  // namespace rediscluster::detail
