// Multi-key commands across slots and transactions against a live cluster,
// each beside the pipeline of single commands that does the same work, so
// the figures read as ratios measured in the same run:
//
//   BM_MgetAcrossSlots/100   one MGET of 100 keys over ~100 slots (split by slot)
//   BM_PipelinedGets/100     a pipeline of 100 GETs of the same keys
//   BM_Transaction           MULTI, INCR, INCR, EXEC on one slot
//   BM_PipelinedIncrs        a pipeline of the same two INCRs
//   BM_CheckAndSet           WATCH, GET (at once), MULTI, SET, EXEC
//
// Items are keys (MGET, GETs) or transactions; CPU time is the client's.
// Needs a live cluster: RC_BENCH_PORT is the port of one of its nodes on
// 127.0.0.1, e.g.
//   RC_BENCH_PORT=7000 build/release/bench/cluster_ops_bench --benchmark_repetitions=5

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "rediscluster/rediscluster.hpp"

namespace {

std::optional<std::uint16_t> bench_port() {
    const char* text = std::getenv("RC_BENCH_PORT");
    if (text == nullptr) return std::nullopt;
    const long port = std::strtol(text, nullptr, 10);
    if (port <= 0 || port > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(port);
}

// One client for the whole run: discovery and the first connections are
// start-up costs, not per-operation ones.
rediscluster::RedisCluster* cluster(benchmark::State& state) {
    const auto port = bench_port();
    if (!port) {
        state.SkipWithError("set RC_BENCH_PORT to the port of a cluster node");
        return nullptr;
    }
    static rediscluster::RedisCluster instance({.startup_nodes = {{"127.0.0.1", *port}}});
    return &instance;
}

// `count` keys written once, spread over the slots.
const std::vector<std::string>& keys(rediscluster::RedisCluster& rc, std::size_t count) {
    static std::vector<std::string> written;
    if (written.size() < count) {
        auto pipe = rc.pipeline();
        for (std::size_t i = written.size(); i < count; ++i) {
            written.push_back("cluster_ops_bench:" + std::to_string(i));
            pipe.set(written.back(), std::string(32, 'v'));
        }
        (void)pipe.execute();
    }
    return written;
}

void BM_MgetAcrossSlots(benchmark::State& state) {
    auto* rc = cluster(state);
    if (rc == nullptr) return;
    const auto count = static_cast<std::size_t>(state.range(0));
    const auto& all = keys(*rc, count);
    // Replies as Reply on both sides: the typed rc.mget() adds a conversion
    // the pipeline side would not make.
    std::vector<std::string_view> mget{"MGET"};
    mget.insert(mget.end(), all.begin(), all.begin() + static_cast<std::ptrdiff_t>(count));
    rediscluster::Reply reply;
    for (auto _ : state) benchmark::DoNotOptimize(rc->execute_command_range_into(reply, mget));
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_MgetAcrossSlots)->Arg(100)->UseRealTime();

void BM_PipelinedGets(benchmark::State& state) {
    auto* rc = cluster(state);
    if (rc == nullptr) return;
    const auto count = static_cast<std::size_t>(state.range(0));
    const auto& all = keys(*rc, count);
    auto pipe = rc->pipeline();
    std::vector<rediscluster::Reply> replies;
    for (auto _ : state) {
        for (std::size_t i = 0; i < count; ++i) pipe.get(all[i]);
        benchmark::DoNotOptimize(pipe.execute_into(replies));
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PipelinedGets)->Arg(100)->UseRealTime();

void BM_Transaction(benchmark::State& state) {
    auto* rc = cluster(state);
    if (rc == nullptr) return;
    for (auto _ : state) {
        auto tx = rc->transaction("{cluster_ops_bench}");
        tx.incr("{cluster_ops_bench}:a").incr("{cluster_ops_bench}:b");
        benchmark::DoNotOptimize(tx.exec());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Transaction)->UseRealTime();

void BM_PipelinedIncrs(benchmark::State& state) {
    auto* rc = cluster(state);
    if (rc == nullptr) return;
    auto pipe = rc->pipeline();
    std::vector<rediscluster::Reply> replies;
    for (auto _ : state) {
        pipe.incr("{cluster_ops_bench}:a").incr("{cluster_ops_bench}:b");
        benchmark::DoNotOptimize(pipe.execute_into(replies));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PipelinedIncrs)->UseRealTime();

void BM_CheckAndSet(benchmark::State& state) {
    auto* rc = cluster(state);
    if (rc == nullptr) return;
    for (auto _ : state) {
        auto tx = rc->transaction("{cluster_ops_bench}");
        tx.watch("{cluster_ops_bench}:c");
        const auto value = tx.now().get("{cluster_ops_bench}:c");
        tx.set("{cluster_ops_bench}:c", std::to_string(value ? std::stoll(*value) + 1 : 1));
        benchmark::DoNotOptimize(tx.exec());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckAndSet)->UseRealTime();

}  // namespace
