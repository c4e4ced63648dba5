#include "bench/workload.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <latch>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "rediscluster/rediscluster.hpp"

#ifdef RC_BENCH_ASYNC
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "rediscluster/asio/async_cluster.hpp"
#endif

namespace rediscluster_bench {
namespace {

using Clock = std::chrono::steady_clock;

// The fill is not measured, so it may use more threads than the run: the
// cluster answers faster than one thread can wait for round trips.
constexpr unsigned kMinFillThreads = 8;

// "key:<n>" written into a fixed buffer, so the measured loop does not
// allocate for keys.
class KeyFormatter {
public:
    std::string_view format(std::uint64_t index) noexcept {
        const auto result = std::to_chars(buffer_.data() + kPrefix.size(), buffer_.data() + buffer_.size(), index);
        return {buffer_.data(), static_cast<std::size_t>(result.ptr - buffer_.data())};
    }

private:
    static constexpr std::string_view kPrefix = "key:";
    // The prefix and the 20 digits of the largest 64-bit number.
    std::array<char, 32> buffer_ = {'k', 'e', 'y', ':'};
};

// xorshift64*: a few instructions per number and no shared state, unlike
// std::random_device or a locked generator. Statistical quality is ample
// for picking keys.
class RandomSource {
public:
    explicit RandomSource(std::uint64_t seed) noexcept : state_(seed | 1) {}

    std::uint64_t next() noexcept {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        return state_ * 0x2545F4914F6CDD1DULL;
    }
    /// Uniform in [0, bound); the modulo bias is negligible for key spaces
    /// far below 2^64.
    std::uint64_t below(std::uint64_t bound) noexcept { return next() % bound; }
    /// Uniform in [0, 1).
    double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    std::uint64_t state_;
};

// One thread's SET and GET, answered into a Reply it keeps, so that a
// command allocates nothing in the tool or the library.
class CommandRunner {
public:
    CommandRunner(rediscluster::RedisCluster& client, std::string_view value) : client_(client), value_(value) {}

    void set(std::string_view key) { (void)client_.execute_command_into(reply_, "SET", key, value_); }
    /// True when the key existed.
    bool get(std::string_view key) { return !client_.execute_command_into(reply_, "GET", key).is_null(); }

private:
    rediscluster::RedisCluster& client_;
    std::string_view value_;
    rediscluster::Reply reply_;
};

void note_error(ErrorTally& tally, const std::exception& error) {
    ++tally.count;
    if (!tally.first_message) tally.first_message = error.what();
}

// What one thread has done. Aligned to a cache line so that the counters
// the progress line reads do not share a line with another thread's.
struct alignas(64) WorkerState {
    std::atomic<std::uint64_t> completed{0};
    std::atomic<std::uint64_t> failed{0};
    std::uint64_t reads = 0;
    std::uint64_t misses = 0;
    ErrorTally errors;
    LatencyHistogram latency;
};

// The number of operations each thread runs, `total` split as evenly as possible.
std::uint64_t share_of(std::uint64_t total, unsigned threads, unsigned thread) {
    return total / threads + (thread < total % threads ? 1 : 0);
}

bool is_read(Workload workload, double read_ratio, RandomSource& random) noexcept {
    switch (workload) {
        case Workload::set: return false;
        case Workload::get: return true;
        case Workload::mix: return random.unit() < read_ratio;
        case Workload::scan:
        case Workload::pubsub: return true;  // never measured here (scan_bench.cpp, pubsub_bench.cpp)
    }
    return false;
}

// ---------------------------------------------------------------------------
// Opening connections before the clock starts

// The nodes a thread will talk to: masters, and replicas when reads go there.
std::vector<rediscluster::NodeInfo> nodes_to_warm(const rediscluster::ClusterConnectionPool& pool, PoolChoice choice) {
    auto nodes = pool.nodes.all_nodes();
    if (choice != PoolChoice::replicas) {
        std::erase_if(nodes, [](const rediscluster::NodeInfo& node) { return !node.is_master(); });
    }
    return nodes;
}

// Whether every thread can hold one connection to each node at the same
// time without reaching a cap of the pool (a blocking pool would wait, the
// others would throw).
bool connections_fit(const rediscluster::ClusterConnectionPoolOptions& pool_options, std::size_t threads,
                     std::size_t nodes) {
    if (pool_options.max_connections && threads * nodes > *pool_options.max_connections) return false;
    const auto per_node = pool_options.max_connections_per_node.limit();
    return !per_node || threads <= *per_node;
}

// Opens this thread's connections so the measured phase does not pay for
// connection setup (redis-benchmark, too, connects before its clock
// starts). When they fit under the pool's caps, all threads hold theirs at
// the same time, so the pool ends up with one per thread and node; else
// each thread opens what it can one at a time. Failures are left for the
// measured phase to count.
void warm_up(rediscluster::ClusterConnectionPool& pool, const std::vector<rediscluster::NodeInfo>& nodes,
             std::barrier<>* all_holding) {
    std::vector<rediscluster::PooledConnection> held;
    for (const auto& node : nodes) {
        try {
            auto connection = pool.get_connection_by_node(node);
            if (!connection->is_connected()) connection->connect();
            if (all_holding != nullptr) held.push_back(std::move(connection));
        } catch (const std::exception&) {
        }
    }
    if (all_holding != nullptr) all_holding->arrive_and_wait();
}

// ---------------------------------------------------------------------------
// Thread coordination

// Threads report when they are done; the main thread waits for all of them
// with a timeout, to print progress in between.
class FinishLine {
public:
    explicit FinishLine(unsigned runners) : running_(runners) {}

    void cross() {
        {
            std::lock_guard lock(mutex_);
            --running_;
        }
        all_done_.notify_all();
    }
    /// True when every runner has finished; returns at `deadline` otherwise.
    bool wait_until(Clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        return all_done_.wait_until(lock, deadline, [this] { return running_ == 0; });
    }

private:
    std::mutex mutex_;
    std::condition_variable all_done_;
    unsigned running_;
};

struct Totals {
    std::uint64_t completed = 0;
    std::uint64_t failed = 0;
};

Totals totals_of(const std::vector<std::unique_ptr<WorkerState>>& workers) {
    Totals totals;
    for (const auto& worker : workers) {
        totals.completed += worker->completed.load(std::memory_order_relaxed);
        totals.failed += worker->failed.load(std::memory_order_relaxed);
    }
    return totals;
}

void print_progress(std::chrono::duration<double> elapsed, const Totals& now, const Totals& second_ago,
                    std::chrono::duration<double> since_last) {
    const double rate = static_cast<double>(now.completed - second_ago.completed) / since_last.count();
    std::fprintf(stderr, "rediscluster-bench: %6.1f s  %12llu ops  %10.0f ops/s  %llu errors\n", elapsed.count(),
                 static_cast<unsigned long long>(now.completed), rate, static_cast<unsigned long long>(now.failed));
}

// Waits for the workers, prints progress every second and, for a timed run,
// raises `stop` when the time is up.
void supervise(FinishLine& finish_line, const std::vector<std::unique_ptr<WorkerState>>& workers,
               const BenchOptions& options, Clock::time_point start, std::atomic<bool>& stop) {
    constexpr auto kTick = std::chrono::seconds(1);
    const auto deadline = options.duration ? start + std::chrono::duration_cast<Clock::duration>(*options.duration)
                                           : Clock::time_point::max();
    auto next_tick = start + kTick;
    auto last_tick = start;
    Totals last_totals;
    while (!finish_line.wait_until(std::min(next_tick, deadline))) {
        const auto now = Clock::now();
        if (now >= deadline) stop.store(true, std::memory_order_relaxed);
        if (now >= next_tick) {
            const auto totals = totals_of(workers);
            if (!options.quiet) print_progress(now - start, totals, last_totals, now - last_tick);
            last_totals = totals;
            last_tick = now;
            next_tick += kTick;
        }
    }
}

// ---------------------------------------------------------------------------
// The measured loop

struct WorkerPlan {
    unsigned index = 0;
    /// Operations to run; unused for a timed run.
    std::uint64_t ops = 0;
    bool timed = false;
};

// --pipeline: batches of options.pipeline commands, each batch one
// execute() into replies kept from one batch to the next. Latency is per
// batch; an error reply counts as an error of its command.
void run_pipelined_worker(rediscluster::RedisCluster& client, const BenchOptions& options, const WorkerPlan& plan,
                          std::string_view value, WorkerState& state, const std::atomic<bool>& stop) {
    RandomSource random(0x9E3779B97F4A7C15ULL * (plan.index + 1));
    KeyFormatter keys;
    auto pipeline = client.pipeline();
    std::vector<rediscluster::Reply> replies;
    std::vector<bool> reads(options.pipeline);
    std::uint64_t done = 0;
    while (plan.timed ? !stop.load(std::memory_order_relaxed) : done < plan.ops) {
        const auto batch = plan.timed ? options.pipeline : std::min<std::uint64_t>(options.pipeline, plan.ops - done);
        for (std::size_t i = 0; i < batch; ++i) {
            const std::string_view key = keys.format(random.below(options.keys));
            reads[i] = is_read(options.workload, options.read_ratio, random);
            if (reads[i]) {
                pipeline.execute_command("GET", key);
            } else {
                pipeline.execute_command("SET", key, value);
            }
        }
        const auto begin = Clock::now();
        try {
            (void)pipeline.execute_into(replies, false);
            for (std::size_t i = 0; i < batch; ++i) {
                if (replies[i].is_error()) {
                    ++state.errors.count;
                    if (!state.errors.first_message) state.errors.first_message = std::string(replies[i].str());
                } else if (reads[i]) {
                    ++state.reads;
                    if (replies[i].is_null()) ++state.misses;
                }
            }
        } catch (const std::exception& error) {
            state.errors.count += batch - 1;
            note_error(state.errors, error);
        }
        state.latency.record(Clock::now() - begin);
        state.failed.store(state.errors.count, std::memory_order_relaxed);
        done += batch;
        state.completed.store(done, std::memory_order_relaxed);
    }
}

void run_worker(rediscluster::RedisCluster& client, const BenchOptions& options, const WorkerPlan& plan,
                std::string_view value, WorkerState& state, const std::atomic<bool>& stop) {
    if (options.pipeline > 0) {
        run_pipelined_worker(client, options, plan, value, state, stop);
        return;
    }
    RandomSource random(0x9E3779B97F4A7C15ULL * (plan.index + 1));
    KeyFormatter keys;
    CommandRunner runner(client, value);
    std::uint64_t done = 0;
    while (plan.timed ? !stop.load(std::memory_order_relaxed) : done < plan.ops) {
        const std::string_view key = keys.format(random.below(options.keys));
        const bool read = is_read(options.workload, options.read_ratio, random);
        const auto begin = Clock::now();
        try {
            if (!read) {
                runner.set(key);
            } else if (!runner.get(key)) {
                ++state.misses;
            }
        } catch (const std::exception& error) {
            note_error(state.errors, error);
            state.failed.store(state.errors.count, std::memory_order_relaxed);
        }
        state.latency.record(Clock::now() - begin);
        state.reads += read ? 1 : 0;
        state.completed.store(++done, std::memory_order_relaxed);
    }
}

RunResult merge_results(const std::vector<std::unique_ptr<WorkerState>>& workers) {
    RunResult result;
    for (const auto& worker : workers) {
        result.ops += worker->completed.load(std::memory_order_relaxed);
        result.reads += worker->reads;
        result.misses += worker->misses;
        result.errors.add(worker->errors);
        result.latency->merge(worker->latency);
    }
    return result;
}

#ifdef RC_BENCH_ASYNC
// --async: `lanes` chains of commands on one io_context; each lane issues
// its next command from the completion of the last, so `lanes` commands
// are in flight and the client pipelines them.
class AsyncRun {
public:
    AsyncRun(rediscluster::asio::AsyncRedisCluster& client, const BenchOptions& options, std::string_view value,
             WorkerState& state)
        : client_(client), options_(options), value_(value), state_(state) {}

    // Issues `lanes` commands; ends after `ops` commands, or when `stop` is
    // raised and the commands in flight have completed.
    void start(std::size_t lanes, std::uint64_t ops, bool timed) {
        target_ = ops;
        timed_ = timed;
        for (std::size_t i = 0; i < lanes; ++i) issue();
    }
    void stop() { stopping_ = true; }
    [[nodiscard]] bool finished() const noexcept { return in_flight_ == 0; }

private:
    void issue() {
        if (timed_ ? stopping_ : issued_ >= target_) return;
        ++issued_;
        ++in_flight_;
        const std::string_view key = keys_.format(random_.below(options_.keys));
        const bool read = is_read(options_.workload, options_.read_ratio, random_);
        const auto begin = Clock::now();
        auto done = [this, begin, read](std::error_code code, const rediscluster::Reply& reply) {
            state_.latency.record(Clock::now() - begin);
            --in_flight_;
            if (code) {
                ++state_.errors.count;
                if (!state_.errors.first_message) {
                    state_.errors.first_message =
                        code.message() + (reply.is_error() ? ": " + std::string(reply.str()) : std::string());
                }
                state_.failed.store(state_.errors.count, std::memory_order_relaxed);
            } else if (read) {
                ++state_.reads;
                if (reply.is_null()) ++state_.misses;
            }
            state_.completed.fetch_add(1, std::memory_order_relaxed);
            issue();
        };
        if (read) {
            client_.async_execute("GET", key, std::move(done));
        } else {
            client_.async_execute("SET", key, value_, std::move(done));
        }
    }

    rediscluster::asio::AsyncRedisCluster& client_;
    const BenchOptions& options_;
    std::string_view value_;
    WorkerState& state_;
    RandomSource random_{0x9E3779B97F4A7C15ULL};
    KeyFormatter keys_;
    std::uint64_t target_ = 0;
    std::uint64_t issued_ = 0;
    std::size_t in_flight_ = 0;
    bool timed_ = false;
    bool stopping_ = false;
};
#endif

}  // namespace

#ifdef RC_BENCH_ASYNC
RunResult run_async_measured(const rediscluster::RedisClusterOptions& client_options, const BenchOptions& options) {
    const std::string value(options.value_size, 'x');
    ::asio::io_context io(1);
    rediscluster::asio::AsyncRedisCluster client(io, client_options, {.max_inflight = std::max<std::size_t>(options.inflight, 1)});
    {
        // Not measured: EXISTS of keys spread over the slots opens the
        // connection to every master.
        std::size_t answered = 0;
        KeyFormatter keys;
        constexpr std::size_t kWarmKeys = 64;
        for (std::size_t i = 0; i < kWarmKeys; ++i) {
            client.async_execute("EXISTS", keys.format(i), [&](std::error_code, const rediscluster::Reply&) { ++answered; });
        }
        while (answered < kWarmKeys) io.run_one();
    }

    WorkerState state;
    AsyncRun run(client, options, value, state);
    const auto cpu_before = process_cpu_time();
    const auto start = Clock::now();
    ::asio::steady_timer timer(io);
    if (options.duration) {
        timer.expires_after(std::chrono::duration_cast<Clock::duration>(*options.duration));
        timer.async_wait([&](std::error_code code) {
            if (!code) run.stop();
        });
    }
    run.start(options.inflight, options.ops, options.duration.has_value());
    while (!run.finished()) io.run_one();
    const auto end = Clock::now();
    const auto cpu_after = process_cpu_time();
    timer.cancel();

    RunResult result;
    result.ops = state.completed.load(std::memory_order_relaxed);
    result.reads = state.reads;
    result.misses = state.misses;
    result.errors.add(state.errors);
    result.latency->merge(state.latency);
    result.elapsed = end - start;
    result.cpu = cpu_after - cpu_before;
    return result;
}
#else
RunResult run_async_measured(const rediscluster::RedisClusterOptions&, const BenchOptions&) {
    throw std::runtime_error("--async needs a build with rediscluster::asio (REDISCLUSTER_BUILD_ASIO=ON)");
}
#endif

void ErrorTally::add(const ErrorTally& other) {
    count += other.count;
    if (!first_message) first_message = other.first_message;
}

FillResult fill_keys(rediscluster::RedisCluster& client, const BenchOptions& options) {
    const unsigned threads = std::max(options.threads, kMinFillThreads);
    const std::string value(options.value_size, 'x');
    std::vector<ErrorTally> errors(threads);
    const auto start = Clock::now();
    {
        std::vector<std::jthread> workers;
        for (unsigned index = 0; index < threads; ++index) {
            workers.emplace_back([&, index] {
                KeyFormatter keys;
                CommandRunner runner(client, value);
                for (std::uint64_t key = index; key < options.keys; key += threads) {
                    try {
                        runner.set(keys.format(key));
                    } catch (const std::exception& error) {
                        note_error(errors[index], error);
                    }
                }
            });
        }
    }
    FillResult result;
    result.elapsed = Clock::now() - start;
    for (const auto& tally : errors) result.errors.add(tally);
    result.keys_written = options.keys - result.errors.count;
    return result;
}

RunResult run_measured(rediscluster::RedisCluster& client, const BenchOptions& options) {
    const unsigned threads = options.threads;
    const std::string value(options.value_size, 'x');
    auto& pool = *client.connection_pool;
    const auto nodes = nodes_to_warm(pool, options.pool);
    std::optional<std::barrier<>> all_holding;
    if (connections_fit(pool.options(), threads, nodes.size())) all_holding.emplace(threads);

    std::vector<std::unique_ptr<WorkerState>> states;
    for (unsigned index = 0; index < threads; ++index) states.push_back(std::make_unique<WorkerState>());
    std::latch connected(threads);
    std::latch go(1);
    FinishLine finish_line(threads);
    std::atomic<bool> stop{false};

    std::vector<std::jthread> workers;
    for (unsigned index = 0; index < threads; ++index) {
        const WorkerPlan plan{index, share_of(options.ops, threads, index), options.duration.has_value()};
        workers.emplace_back([&, plan] {
            warm_up(pool, nodes, all_holding ? &*all_holding : nullptr);
            connected.count_down();
            go.wait();
            run_worker(client, options, plan, value, *states[plan.index], stop);
            finish_line.cross();
        });
    }
    connected.wait();
    const auto cpu_before = process_cpu_time();
    const auto start = Clock::now();
    go.count_down();
    supervise(finish_line, states, options, start, stop);
    const auto end = Clock::now();
    const auto cpu_after = process_cpu_time();
    workers.clear();  // joins

    RunResult result = merge_results(states);
    result.elapsed = end - start;
    result.cpu = cpu_after - cpu_before;
    return result;
}

}  // namespace rediscluster_bench
