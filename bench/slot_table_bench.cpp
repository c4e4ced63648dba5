// Slot routing: from a slot (or a key) to the node that serves it, on the
// three-master, three-replica layout of a typical cluster. SlotTable is what
// every command consults; NodeManager adds the locking and copying the
// pools pay on each borrow.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rediscluster/nodes.hpp"
#include "topology_inputs.hpp"

namespace {

using namespace rediscluster::bench;
using rediscluster::NodeInfo;
using rediscluster::SlotTable;

void BM_SlotTableMaster(benchmark::State& state) {
    const SlotTable table(three_by_one_ranges());
    const auto slots = random_slots();
    std::size_t i = 0;
    for (auto _ : state) {
        const NodeInfo* master = table.master(slots[i++ & 4095]);
        benchmark::DoNotOptimize(master);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SlotTableMaster);

// The whole shard (master then replicas), as the read pools ask for it to
// pick a replica.
void BM_SlotTableShard(benchmark::State& state) {
    const SlotTable table(three_by_one_ranges());
    const auto slots = random_slots();
    std::size_t i = 0;
    for (auto _ : state) {
        const auto shard = table[slots[i++ & 4095]];
        benchmark::DoNotOptimize(shard.data());
        benchmark::DoNotOptimize(shard.size());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SlotTableShard);

// What routing a single-key command costs before any I/O: hash the key,
// then find its master.
void BM_KeySlotThenMaster(benchmark::State& state) {
    const SlotTable table(three_by_one_ranges());
    const auto keys = numbered_keys();
    std::size_t i = 0;
    for (auto _ : state) {
        const NodeInfo* master = table.master(rediscluster::key_slot(keys[i++ & 4095]));
        benchmark::DoNotOptimize(master);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_KeySlotThenMaster);

// NodeManager::get_master_node_by_slot, the lookup the pools make on every
// get_connection_by_slot: a mutex, a shared_ptr copy of the table and a
// NodeInfo copy on top of the table lookup. The manager discovers the same
// layout from a canned CLUSTER SLOTS reply instead of a live node.
void BM_NodeManagerMasterBySlot(benchmark::State& state) {
    const auto reply = cluster_slots_reply(three_by_one_ranges());
    rediscluster::NodeManagerOptions options;
    options.startup_nodes = {{"127.0.0.1", 7000}};
    // CLUSTER SHARDS refused (as by a server before 7.0), then the canned
    // CLUSTER SLOTS; CLUSTER NODES refused too (no epochs).
    rediscluster::NodeManager manager(
        std::move(options),
        [&](const rediscluster::HostPort&, const std::vector<std::vector<std::string>>& commands) {
            std::vector<rediscluster::Reply> replies;
            for (const auto& command : commands) {
                replies.push_back(command[1] == "SLOTS" ? reply : rediscluster::Reply::error("ERR unknown subcommand"));
            }
            return replies;
        });
    manager.initialize();
    const auto slots = random_slots();
    std::size_t i = 0;
    for (auto _ : state) {
        const NodeInfo master = manager.get_master_node_by_slot(slots[i++ & 4095]);
        benchmark::DoNotOptimize(master.port);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_NodeManagerMasterBySlot)->Threads(1)->Threads(8)->UseRealTime();

// Building the table, as every discovery and every MOVED does.
void BM_SlotTableBuild(benchmark::State& state) {
    const auto ranges = three_by_one_ranges();
    for (auto _ : state) {
        const SlotTable table(ranges);
        benchmark::DoNotOptimize(table.size());
    }
}
BENCHMARK(BM_SlotTableBuild);

}  // namespace
