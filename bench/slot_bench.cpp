#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "rediscluster/slot.hpp"

namespace {

void BM_KeySlot(benchmark::State& state) {
    // Typical short keys, like the benchmark tool's "key:<n>".
    std::vector<std::string> keys;
    for (int i = 0; i < 1024; ++i) keys.push_back(std::string("key:").append(std::to_string(100000 + i)));
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(rediscluster::key_slot(keys[i++ & 1023]));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_KeySlot);

void BM_KeySlotHashTag(benchmark::State& state) {
    const std::string key = "{user:1000}.followers";
    for (auto _ : state) {
        benchmark::DoNotOptimize(rediscluster::key_slot(key));
    }
}
BENCHMARK(BM_KeySlotHashTag);

void BM_KeySlotLongKey(benchmark::State& state) {
    const std::string key(static_cast<std::size_t>(state.range(0)), 'k');
    for (auto _ : state) {
        benchmark::DoNotOptimize(rediscluster::key_slot(key));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * state.range(0)));
}
BENCHMARK(BM_KeySlotLongKey)->Arg(1024);

}  // namespace
