#include "async_load.hpp"

#include <asio/co_spawn.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <array>
#include <exception>

namespace rediscluster::test {

namespace async = rediscluster::asio;

std::string describe_error(std::error_code code, std::string_view message) {
    // By their values in error.hpp, from 1.
    static constexpr std::array<std::string_view, 12> kNames{
        "response",   "cluster_down", "redirect",    "moved_exhausted",  "budget_exhausted", "slot_not_covered",
        "connection", "timeout",      "interrupted", "connection_setup", "invalid_command",  "reply_type"};
    static_assert(static_cast<std::size_t>(async::error::reply_type) == kNames.size(), "a name for every code");
    std::string name = "system:" + std::to_string(code.value());
    if (code == ::asio::error::operation_aborted) {
        name = "operation_aborted";
    } else if (code.category() == async::error_category() && code.value() >= 1 &&
               static_cast<std::size_t>(code.value()) <= kNames.size()) {
        name = kNames[static_cast<std::size_t>(code.value() - 1)];
    }
    return name + ": " + std::string(message);
}

AsyncWriteReadLoad::AsyncWriteReadLoad(const RedisClusterOptions& options, async::AsyncOptions async_options,
                                       int coroutines, std::size_t ops_per_coroutine,
                                       std::chrono::milliseconds time_limit, KeyOf key_of)
    : key_of_(std::move(key_of)),
      ops_per_coroutine_(ops_per_coroutine),
      deadline_(Clock::now() + time_limit),
      work_(io_.get_executor()),
      client_(std::make_unique<async::AsyncRedisCluster>(io_, options, async_options)),
      records_(static_cast<std::size_t>(coroutines) + 1),
      acknowledged_(static_cast<std::size_t>(coroutines) + 1) {
    for (int c = 0; c < coroutines; ++c) spawn(run_coroutine(c));
    thread_ = std::thread([this] { io_.run(); });
}

void AsyncWriteReadLoad::spawn(::asio::awaitable<void> work) {
    running_.fetch_add(1, std::memory_order_relaxed);
    ::asio::co_spawn(io_, std::move(work), [this](const std::exception_ptr&) {
        // Its records are complete: release them to stop().
        running_.fetch_sub(1, std::memory_order_release);
    });
}

void AsyncWriteReadLoad::start_open_loop(std::chrono::milliseconds period) { spawn(run_open_loop(period)); }

::asio::awaitable<void> AsyncWriteReadLoad::run_coroutine(int coroutine) {
    for (std::size_t i = 0; i < ops_per_coroutine_ && !stopping_.load(std::memory_order_relaxed); ++i) {
        const auto start = Clock::now();
        if (start >= deadline_) break;
        co_await run_operation(coroutine, i, start);
    }
}

::asio::awaitable<void> AsyncWriteReadLoad::run_open_loop(std::chrono::milliseconds period) {
    ::asio::steady_timer timer(io_);
    for (std::size_t i = 0; i < ops_per_coroutine_ && !stopping_.load(std::memory_order_relaxed); ++i) {
        const auto start = Clock::now();
        if (start >= deadline_) break;
        spawn(run_operation(-1, i, start));
        timer.expires_at(start + period);
        co_await timer.async_wait(::asio::use_awaitable);
    }
}

::asio::awaitable<void> AsyncWriteReadLoad::run_operation(int coroutine, std::size_t iteration, Clock::time_point start) {
    const auto own = coroutine < 0 ? records_.size() - 1 : static_cast<std::size_t>(coroutine);
    auto& acknowledged = acknowledged_[own];
    OpRecord record;
    record.thread = coroutine;
    record.start = start;
    try {
        const std::string key = key_of_(coroutine, iteration);
        const std::string value = "v" + std::to_string(iteration);
        std::error_code code;
        Reply reply = co_await client_->async_execute("SET", key, value, ::asio::redirect_error(::asio::use_awaitable, code));
        if (code) {
            // It may have run or not: the key's value is unknown now.
            acknowledged.erase(key);
        } else {
            acknowledged[key] = value;
            reply = co_await client_->async_execute("GET", key, ::asio::redirect_error(::asio::use_awaitable, code));
        }
        if (code) {
            record.error = describe_error(code, reply.is_error() ? reply.str() : std::string_view());
        } else {
            record.wrong_answer = !reply.is_string() || reply.str() != value;
        }
    } catch (const std::exception& e) {
        record.error = std::string("exception: ") + e.what();
    }
    record.duration = Clock::now() - start;
    records_[own].push_back(std::move(record));
    completed_.fetch_add(1, std::memory_order_relaxed);
}

namespace {

// Waits (bounded) until no coroutine runs; whether none does.
bool wait_for_none(const std::atomic<int>& running, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (running.load(std::memory_order_acquire) > 0) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace

std::vector<OpRecord> AsyncWriteReadLoad::stop(std::chrono::milliseconds limit) {
    std::vector<OpRecord> all;
    if (stopped_) return all;
    stopped_ = true;
    stopping_ = true;
    if (!wait_for_none(running_, limit)) {
        ADD_FAILURE() << running_.load() << " coroutines still running " << limit.count()
                      << " ms after stop(): a command hung";
        // A command that never completes: cancelling the client completes
        // it (operation_aborted), and the record shows how long it hung.
        client_->cancel();
        if (!wait_for_none(running_, std::chrono::seconds(5))) {
            io_.stop();
            thread_.join();  // the records are then safe to read
        }
    }
    for (auto& records : records_) {
        all.insert(all.end(), std::make_move_iterator(records.begin()), std::make_move_iterator(records.end()));
        records.clear();
    }
    return all;
}

AsyncWriteReadLoad::~AsyncWriteReadLoad() {
    (void)stop();
    // The client's end closes its connections, which ends the io_context's
    // last work; it is stopped anyway if something is left.
    client_.reset();
    work_.reset();
    if (thread_.joinable()) {
        const auto deadline = Clock::now() + std::chrono::seconds(5);
        while (!io_.stopped() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        io_.stop();
        thread_.join();
    }
}

}  // namespace rediscluster::test
