// The same parser benchmarks run through hiredis's reply reader (Debian's
// libhiredis-dev), so our figures can be read as ratios against a peer
// measured in the same run.

#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>

#include <string>

#include "bench_inputs.hpp"

namespace {

using namespace rediscluster::bench;

void hiredis_parse_repeatedly(benchmark::State& state, const std::string& wire) {
    redisReader* reader = redisReaderCreate();
    for (auto _ : state) {
        redisReaderFeed(reader, wire.data(), wire.size());
        void* reply = nullptr;
        if (redisReaderGetReply(reader, &reply) != REDIS_OK || reply == nullptr) {
            state.SkipWithError("reply did not parse");
            break;
        }
        benchmark::DoNotOptimize(reply);
        freeReplyObject(reply);
    }
    redisReaderFree(reader);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_PeerHiredisParseBulk1KiB(benchmark::State& state) { hiredis_parse_repeatedly(state, bulk_reply(1024)); }
BENCHMARK(BM_PeerHiredisParseBulk1KiB);

void BM_PeerHiredisParseArray100(benchmark::State& state) { hiredis_parse_repeatedly(state, array100_reply()); }
BENCHMARK(BM_PeerHiredisParseArray100);

void BM_PeerHiredisParseSimpleOk(benchmark::State& state) { hiredis_parse_repeatedly(state, ok_reply()); }
BENCHMARK(BM_PeerHiredisParseSimpleOk);

void BM_PeerHiredisParseBulk32(benchmark::State& state) { hiredis_parse_repeatedly(state, bulk_reply(32)); }
BENCHMARK(BM_PeerHiredisParseBulk32);

void BM_PeerHiredisFormatSet32(benchmark::State& state) {
    const std::string key = "key:000123456";
    const std::string value(32, 'v');
    const char* argv[] = {"SET", key.c_str(), value.c_str()};
    const std::size_t lengths[] = {3, key.size(), value.size()};
    for (auto _ : state) {
        char* command = nullptr;
        const auto size = redisFormatCommandArgv(&command, 3, argv, lengths);
        benchmark::DoNotOptimize(size);
        redisFreeCommand(command);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PeerHiredisFormatSet32);

}  // namespace
