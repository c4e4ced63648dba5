#pragma once

// The topology the routing benchmarks look things up in: what
// `redis-cli --cluster create` makes of six nodes, three masters each with
// one replica, every master owning a third of the slots. Shared so the slot
// table and the pool benchmarks route over the same layout.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rediscluster/nodes.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::bench {

// The slot ranges redis-cli assigns to three masters.
struct MasterRange {
    std::uint16_t first;
    std::uint16_t last;
};
inline constexpr MasterRange kThreeMasterRanges[] = {{0, 5460}, {5461, 10922}, {10923, 16383}};

// Masters on base_port..base_port+2, their replicas on base_port+3..+5.
inline std::vector<SlotRange> three_by_one_ranges(const std::string& host = "127.0.0.1",
                                                  std::uint16_t base_port = 7000) {
    std::vector<SlotRange> ranges;
    std::uint16_t shard = 0;
    for (const auto& range : kThreeMasterRanges) {
        const auto master_port = static_cast<std::uint16_t>(base_port + shard);
        const auto replica_port = static_cast<std::uint16_t>(base_port + 3 + shard);
        ranges.push_back(SlotRange{range.first, range.last, make_node(host, master_port, "master"),
                                   {make_node(host, replica_port, "slave")}});
        ++shard;
    }
    return ranges;
}

// The same layout as the CLUSTER SLOTS reply a node would send, so a
// NodeManager can discover it through its ordinary parsing path.
inline Reply cluster_slots_reply(const std::vector<SlotRange>& ranges) {
    auto endpoint = [](const NodeInfo& node) {
        return Reply::array({Reply::bulk_string(node.host), Reply::integer(node.port)});
    };
    std::vector<Reply> entries;
    for (const auto& range : ranges) {
        std::vector<Reply> entry{Reply::integer(range.first), Reply::integer(range.last), endpoint(range.master)};
        for (const auto& replica : range.replicas) entry.push_back(endpoint(replica));
        entries.push_back(Reply::array(std::move(entry)));
    }
    return Reply::array(std::move(entries));
}

// Uniformly random slots from a fixed seed: every run looks up the same
// sequence, and the table is large enough (4096) that the branch predictor
// cannot learn which shard comes next.
inline std::vector<std::uint16_t> random_slots(std::size_t count = 4096) {
    std::mt19937 generator(12345);
    std::uniform_int_distribution<unsigned> pick(0, kSlotCount - 1);
    std::vector<std::uint16_t> slots(count);
    for (auto& slot : slots) slot = static_cast<std::uint16_t>(pick(generator));
    return slots;
}

// Keys like the benchmark tool's "key:<n>", spread over every shard.
inline std::vector<std::string> numbered_keys(std::size_t count = 4096) {
    std::vector<std::string> keys;
    keys.reserve(count);
    for (std::size_t i = 0; i < count; ++i) keys.push_back(std::string("key:").append(std::to_string(100000 + i)));
    return keys;
}

}  // namespace rediscluster::bench
