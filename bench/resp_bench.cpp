#include <benchmark/benchmark.h>

#include <string>

#include "bench_inputs.hpp"
#include "rediscluster/resp.hpp"

namespace {

using rediscluster::Reply;
using rediscluster::ReplyParser;

// Parses `wire` (one reply) over and over, reusing one Reply as a
// connection would, and reports bytes and replies per second.
void parse_repeatedly(benchmark::State& state, const std::string& wire) {
    ReplyParser parser;
    Reply reply;
    for (auto _ : state) {
        parser.feed(wire);
        if (!parser.next(reply)) {
            state.SkipWithError("reply did not parse");
            break;
        }
        benchmark::DoNotOptimize(reply);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

using namespace rediscluster::bench;

void BM_ParseBulk1KiB(benchmark::State& state) { parse_repeatedly(state, bulk_reply(1024)); }
BENCHMARK(BM_ParseBulk1KiB);

void BM_ParseArray100(benchmark::State& state) { parse_repeatedly(state, array100_reply()); }
BENCHMARK(BM_ParseArray100);

void BM_ParseSimpleOk(benchmark::State& state) { parse_repeatedly(state, ok_reply()); }
BENCHMARK(BM_ParseSimpleOk);

void BM_ParseBulk32(benchmark::State& state) { parse_repeatedly(state, bulk_reply(32)); }
BENCHMARK(BM_ParseBulk32);

void BM_EncodeSet32(benchmark::State& state) {
    std::string out;
    const std::string key = "key:000123456";
    const std::string value(32, 'v');
    for (auto _ : state) {
        out.clear();
        rediscluster::encode_command(out, "SET", key, value);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodeSet32);

}  // namespace
