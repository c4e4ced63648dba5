// Heap allocations per command in steady state: GET and SET of a 32-byte
// value, through RedisCluster and through a bare ClusterConnection. The
// target is none at all; the counters say how far from it we are.
//
// Every global operator new of this binary is replaced by a counting one,
// which is why this is an executable of its own: the counters would
// disturb the timings of micro_bench.
//
// Needs a live cluster: RC_BENCH_PORT is the port of one of its nodes on
// 127.0.0.1, e.g.
//   scripts/local-cluster start --base-port 7700 --dir /tmp/bench-cluster
//   RC_BENCH_PORT=7700 build/bench/alloc_bench
//
// RC_ALLOC_TRACE=N prints, for N commands of each benchmark after the
// warm-up, every allocation they make with its call stack, as
// "module+0xoffset symbol" lines; resolve them with
// `addr2line -Cfie <module> <offset - 1>` on a build with debug info.

#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "rediscluster/client.hpp"
#include "rediscluster/connection.hpp"

namespace {

// Relaxed: the counts are read only after the commands they count have
// completed on the same thread; the order between counters does not matter.
std::atomic<std::uint64_t> allocation_count{0};
std::atomic<std::uint64_t> allocated_bytes{0};

// Allocations still to trace; only the thread that armed it traces.
std::atomic<int> trace_budget{0};
thread_local bool tracing_thread = false;
thread_local bool inside_trace = false;

// Writes one line without allocating (stdio may allocate its buffers).
void write_line(const char* text) {
    const auto length = std::strlen(text);
    if (::write(STDERR_FILENO, text, length) < 0) {
        // Nothing better to do with a failed diagnostic.
    }
}

void trace_allocation(std::size_t size) {
    if (!tracing_thread || inside_trace || trace_budget.load(std::memory_order_relaxed) <= 0) return;
    inside_trace = true;
    trace_budget.fetch_sub(1, std::memory_order_relaxed);
    std::array<void*, 24> frames{};
    const int depth = ::backtrace(frames.data(), static_cast<int>(frames.size()));
    char line[512];
    std::snprintf(line, sizeof line, "  allocation of %zu bytes:\n", size);
    write_line(line);
    // Frame 0 is this function and 1 the allocator: start at the caller.
    for (int i = 2; i < depth; ++i) {
        Dl_info info{};
        if (::dladdr(frames[static_cast<std::size_t>(i)], &info) == 0 || info.dli_fname == nullptr) continue;
        const auto offset = reinterpret_cast<std::uintptr_t>(frames[static_cast<std::size_t>(i)]) -
                            reinterpret_cast<std::uintptr_t>(info.dli_fbase);
        std::snprintf(line, sizeof line, "    %s+0x%jx %s\n", info.dli_fname, static_cast<std::uintmax_t>(offset),
                      info.dli_sname != nullptr ? info.dli_sname : "?");
        write_line(line);
    }
    inside_trace = false;
}

void* counted_allocation(std::size_t size, std::size_t alignment) {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    allocated_bytes.fetch_add(size, std::memory_order_relaxed);
    trace_allocation(size);
    if (size == 0) size = 1;  // new must return a distinct pointer even for 0 bytes
    if (alignment <= alignof(std::max_align_t)) return std::malloc(size);
    // aligned_alloc wants a size that is a multiple of the alignment.
    return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}

void* allocate_or_throw(std::size_t size, std::size_t alignment) {
    if (void* pointer = counted_allocation(size, alignment)) return pointer;
    throw std::bad_alloc();
}

}  // namespace

// The replaceable global allocation functions, every form. Memory from
// aligned_alloc may be given to free(), so all deletes are one.
void* operator new(std::size_t size) { return allocate_or_throw(size, 0); }
void* operator new[](std::size_t size) { return allocate_or_throw(size, 0); }
void* operator new(std::size_t size, std::align_val_t alignment) {
    return allocate_or_throw(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
    return allocate_or_throw(size, static_cast<std::size_t>(alignment));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_allocation(size, 0); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_allocation(size, 0); }
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return counted_allocation(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return counted_allocation(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* pointer) noexcept { std::free(pointer); }
void operator delete[](void* pointer) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::size_t) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::align_val_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::align_val_t) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept { std::free(pointer); }
void operator delete(void* pointer, const std::nothrow_t&) noexcept { std::free(pointer); }
void operator delete[](void* pointer, const std::nothrow_t&) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::align_val_t, const std::nothrow_t&) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::align_val_t, const std::nothrow_t&) noexcept { std::free(pointer); }

namespace {

constexpr int kWarmupCommands = 1000;
const std::string kKey = "alloc_bench:key";
const std::string kValue(32, 'v');

std::optional<std::uint16_t> bench_port() {
    const char* text = std::getenv("RC_BENCH_PORT");
    if (text == nullptr) return std::nullopt;
    const long port = std::strtol(text, nullptr, 10);
    if (port <= 0 || port > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(port);
}

// One client for the whole run: discovery and the first connections are
// start-up costs, not per-command ones.
rediscluster::RedisCluster& cluster(std::uint16_t port) {
    static rediscluster::RedisCluster instance({.startup_nodes = {{"127.0.0.1", port}}});
    return instance;
}

// A bare connection to the master of kKey's slot, so GET and SET are
// answered there and never redirected.
rediscluster::ClusterConnection& connection(std::uint16_t port) {
    static rediscluster::ClusterConnection instance([&] {
        const auto master =
            cluster(port).connection_pool->get_master_node_by_slot(rediscluster::key_slot(kKey));
        return rediscluster::ConnectionOptions{.host = master.host, .port = master.port};
    }());
    return instance;
}

// Runs `command` kWarmupCommands times, traces RC_ALLOC_TRACE more of them,
// then counts what the timed loop allocates.
template <class Command>
void count_allocations(benchmark::State& state, const char* label, Command&& command) {
    for (int i = 0; i < kWarmupCommands; ++i) command();

    // Google Benchmark calls a benchmark several times while it sizes the
    // run; one trace per benchmark is enough. Each lambda makes its own
    // instantiation of this template, hence its own flag.
    static bool traced = false;
    const char* trace = std::getenv("RC_ALLOC_TRACE");
    if (trace != nullptr && !traced) {
        traced = true;
        const int commands = std::atoi(trace);
        for (int i = 0; i < commands; ++i) {
            char header[160];
            std::snprintf(header, sizeof header, "=== %s, command %d after warm-up ===\n", label, i + 1);
            write_line(header);
            tracing_thread = true;
            trace_budget.store(1000, std::memory_order_relaxed);
            command();
            trace_budget.store(0, std::memory_order_relaxed);
            tracing_thread = false;
        }
    }

    const auto count_before = allocation_count.load(std::memory_order_relaxed);
    const auto bytes_before = allocated_bytes.load(std::memory_order_relaxed);
    for (auto _ : state) command();
    const auto count = allocation_count.load(std::memory_order_relaxed) - count_before;
    const auto bytes = allocated_bytes.load(std::memory_order_relaxed) - bytes_before;
    const auto iterations = static_cast<double>(state.iterations());
    state.counters["allocs_per_op"] = static_cast<double>(count) / iterations;
    state.counters["bytes_per_op"] = static_cast<double>(bytes) / iterations;
}

// The node port from RC_BENCH_PORT; without it the benchmark is skipped.
std::optional<std::uint16_t> require_port(benchmark::State& state) {
    const auto port = bench_port();
    if (!port) state.SkipWithError("set RC_BENCH_PORT to the port of a cluster node on 127.0.0.1");
    return port;
}

void BM_ClusterExecuteGet(benchmark::State& state) {
    const auto port = require_port(state);
    if (!port) return;
    auto& rc = cluster(*port);
    (void)rc.execute_command("SET", kKey, kValue);
    count_allocations(state, "RedisCluster::execute_command GET", [&] {
        auto reply = rc.execute_command("GET", kKey);
        benchmark::DoNotOptimize(reply);
    });
}
BENCHMARK(BM_ClusterExecuteGet);

void BM_ClusterExecuteSet(benchmark::State& state) {
    const auto port = require_port(state);
    if (!port) return;
    auto& rc = cluster(*port);
    count_allocations(state, "RedisCluster::execute_command SET", [&] {
        auto reply = rc.execute_command("SET", kKey, kValue);
        benchmark::DoNotOptimize(reply);
    });
}
BENCHMARK(BM_ClusterExecuteSet);

// The allocation-free entry point: one Reply reused by every command.
void BM_ClusterExecuteIntoGet(benchmark::State& state) {
    const auto port = require_port(state);
    if (!port) return;
    auto& rc = cluster(*port);
    (void)rc.execute_command("SET", kKey, kValue);
    rediscluster::Reply reply;
    count_allocations(state, "RedisCluster::execute_command_into GET", [&] {
        rc.execute_command_into(reply, "GET", kKey);
        benchmark::DoNotOptimize(reply);
    });
}
BENCHMARK(BM_ClusterExecuteIntoGet);

void BM_ClusterExecuteIntoSet(benchmark::State& state) {
    const auto port = require_port(state);
    if (!port) return;
    auto& rc = cluster(*port);
    rediscluster::Reply reply;
    count_allocations(state, "RedisCluster::execute_command_into SET", [&] {
        rc.execute_command_into(reply, "SET", kKey, kValue);
        benchmark::DoNotOptimize(reply);
    });
}
BENCHMARK(BM_ClusterExecuteIntoSet);

// The typed methods, which users reach for first.
void BM_ClusterTypedGet(benchmark::State& state) {
    const auto port = require_port(state);
    if (!port) return;
    auto& rc = cluster(*port);
    (void)rc.execute_command("SET", kKey, kValue);
    count_allocations(state, "RedisCluster::get", [&] {
        auto value = rc.get(kKey);
        benchmark::DoNotOptimize(value);
    });
}
BENCHMARK(BM_ClusterTypedGet);

void BM_ClusterTypedSet(benchmark::State& state) {
    const auto port = require_port(state);
    if (!port) return;
    auto& rc = cluster(*port);
    count_allocations(state, "RedisCluster::set", [&] {
        const bool stored = rc.set(kKey, kValue);
        benchmark::DoNotOptimize(stored);
    });
}
BENCHMARK(BM_ClusterTypedSet);

// A reused pipeline of 48 commands over keys of every master, executed
// into a reused vector of replies; the counters are per command.
void pipeline_allocations(benchmark::State& state, const char* label, bool reads) {
    const auto port = require_port(state);
    if (!port) return;
    auto& rc = cluster(*port);
    constexpr int kCommands = 48;
    std::array<std::string, kCommands> keys;
    for (int i = 0; i < kCommands; ++i) keys[static_cast<std::size_t>(i)] = "alloc_bench:" + std::to_string(i);
    for (const auto& key : keys) (void)rc.execute_command("SET", key, kValue);
    auto pipeline = rc.pipeline();
    std::vector<rediscluster::Reply> replies;
    count_allocations(state, label, [&] {
        for (const auto& key : keys) {
            if (reads) {
                pipeline.execute_command("GET", key);
            } else {
                pipeline.execute_command("SET", key, kValue);
            }
        }
        pipeline.execute_into(replies);
        benchmark::DoNotOptimize(replies);
    });
    state.counters["allocs_per_op"] = state.counters["allocs_per_op"] / kCommands;
    state.counters["bytes_per_op"] = state.counters["bytes_per_op"] / kCommands;
}

void BM_PipelineGet(benchmark::State& state) { pipeline_allocations(state, "Pipeline of 48 GETs", true); }
BENCHMARK(BM_PipelineGet);

void BM_PipelineSet(benchmark::State& state) { pipeline_allocations(state, "Pipeline of 48 SETs", false); }
BENCHMARK(BM_PipelineSet);

// The floor: one connection, its own command buffer, one reused Reply.
void BM_ConnectionGet(benchmark::State& state) {
    const auto port = require_port(state);
    if (!port) return;
    auto& conn = connection(*port);
    (void)cluster(*port).execute_command("SET", kKey, kValue);
    rediscluster::Reply reply;
    count_allocations(state, "ClusterConnection GET", [&] {
        conn.send_command("GET", kKey);
        conn.read_response(reply);
        benchmark::DoNotOptimize(reply);
    });
}
BENCHMARK(BM_ConnectionGet);

void BM_ConnectionSet(benchmark::State& state) {
    const auto port = require_port(state);
    if (!port) return;
    auto& conn = connection(*port);
    rediscluster::Reply reply;
    count_allocations(state, "ClusterConnection SET", [&] {
        conn.send_command("SET", kKey, kValue);
        conn.read_response(reply);
        benchmark::DoNotOptimize(reply);
    });
}
BENCHMARK(BM_ConnectionSet);

}  // namespace
