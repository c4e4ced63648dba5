#pragma once

// The asynchronous counterpart of BackgroundLoad: one thread runs an
// asio::io_context on which N coroutines share one AsyncRedisCluster, each
// SETting one of its own keys and GETting it back, over and over, up to a
// number of operations and a time limit. Every operation (SET + GET) is
// recorded as an OpRecord, so the scenarios judge it with the same
// summarize() and started_between() as the blocking loads; what each
// coroutine had acknowledged is kept for the lost-write check.

#include <asio/awaitable.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "fault_support.hpp"
#include "load.hpp"
#include "rediscluster/asio/async_cluster.hpp"

namespace rediscluster::test {

/// The key coroutine `coroutine` writes and reads in operation `iteration`.
using KeyOf = std::function<std::string(int coroutine, std::size_t iteration)>;

/// How a failed operation is recorded (OpRecord::error): "<code>: <message>",
/// the code by its name in error.hpp ("timeout", "connection"...), or
/// "operation_aborted" or "system:<n>" for others.
std::string describe_error(std::error_code code, std::string_view message);

class AsyncWriteReadLoad {
public:
    /// Makes the client (discovering the cluster, blocking), spawns
    /// `coroutines` coroutines on its io_context, and starts the thread
    /// that runs it. Each coroutine stops after `ops_per_coroutine`
    /// operations, once `time_limit` has passed, or on stop().
    AsyncWriteReadLoad(const RedisClusterOptions& options, rediscluster::asio::AsyncOptions async_options, int coroutines,
                       std::size_t ops_per_coroutine, std::chrono::milliseconds time_limit, KeyOf key_of);
    /// Stops the load, destroys the client and joins the thread.
    ~AsyncWriteReadLoad();
    AsyncWriteReadLoad(const AsyncWriteReadLoad&) = delete;
    AsyncWriteReadLoad& operator=(const AsyncWriteReadLoad&) = delete;

    /// One more stream, open loop: every `period` a new operation starts
    /// without waiting for the ones before (as independent requests do),
    /// so a node that stops answering goes on being written to. Its
    /// operations are coroutine -1's (to `key_of` and in the records), each
    /// wants a key of its own, and it stops with the others.
    void start_open_loop(std::chrono::milliseconds period);
    /// Asks the coroutines to stop after their current operation and waits
    /// up to `limit` for them. Coroutines still running then are hung: the
    /// test fails, and the client is cancelled, which completes their
    /// command with operation_aborted (recorded as an error, with the time
    /// it took). Returns every record, in no particular order. Once only.
    std::vector<OpRecord> stop(std::chrono::milliseconds limit = std::chrono::seconds(10));
    /// Operations finished so far.
    [[nodiscard]] std::size_t completed() const { return completed_.load(std::memory_order_relaxed); }
    /// What each coroutine had acknowledged (after stop()).
    [[nodiscard]] const AcknowledgedWrites& acknowledged() const { return acknowledged_; }
    /// The client's pool (its topology), safe from any thread.
    [[nodiscard]] std::shared_ptr<ClusterConnectionPool> connection_pool() const { return client_->connection_pool(); }

private:
    ::asio::awaitable<void> run_coroutine(int coroutine);
    ::asio::awaitable<void> run_open_loop(std::chrono::milliseconds period);
    // One SET + GET, recorded in the records and acknowledged writes of
    // `coroutine` (the last ones for -1).
    ::asio::awaitable<void> run_operation(int coroutine, std::size_t iteration, Clock::time_point start);
    void spawn(::asio::awaitable<void> work);

    KeyOf key_of_;
    std::size_t ops_per_coroutine_;
    Clock::time_point deadline_;
    ::asio::io_context io_{1};  // run by one thread
    ::asio::executor_work_guard<::asio::io_context::executor_type> work_;
    std::unique_ptr<rediscluster::asio::AsyncRedisCluster> client_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> completed_{0};
    std::atomic<int> running_{0};
    // One per coroutine, and the open loop's last; written on the
    // io_context's thread only until stop() has seen every coroutine end.
    std::vector<std::vector<OpRecord>> records_;
    AcknowledgedWrites acknowledged_;
    bool stopped_ = false;
    std::thread thread_;
};

}  // namespace rediscluster::test
