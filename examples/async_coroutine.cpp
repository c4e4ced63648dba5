// The asynchronous client with C++20 coroutines: 100 users written and read
// back by 100 coroutines at once on one thread, through the typed commands,
// a pipeline and a transaction, and a counter they all share, incremented by
// check-and-set under WATCH. The commands each turn of the event loop issues
// leave together, one write per node.
//
// Usage: async_coroutine [port]      (default 7000; start the cluster first:
//                                     scripts/local-cluster start)

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "rediscluster/asio/async_cluster.hpp"

namespace {

asio::awaitable<bool> write_and_read(rediscluster::asio::AsyncRedisCluster& rc, int user) {
    const std::string tag = "{example:async:user:" + std::to_string(user) + "}";
    const std::string name = "name-" + std::to_string(user);
    // A failure arrives as std::system_error holding the error code.
    auto redis = rc.commands(asio::use_awaitable);
    co_await redis.set(tag + ":name", name, rediscluster::SetOptions{.ex = std::chrono::seconds(60)});
    const std::optional<std::string> got = co_await redis.get(tag + ":name");

    // Two visits counted in one transaction (the keys share the tag's slot),
    // then the name and the count read in one pipeline.
    auto tx = rc.transaction(tag);
    tx.incr(tag + ":visits").incr(tag + ":visits").expire(tag + ":visits", std::chrono::seconds(60));
    (void)co_await tx.async_exec(asio::use_awaitable);
    auto pipe = rc.pipeline();
    pipe.get(tag + ":name").get(tag + ":visits");
    const std::vector<rediscluster::Reply> both = co_await pipe.async_execute(asio::use_awaitable);

    // A check-and-set on a counter all users share: read it under WATCH,
    // write it back only if nobody did meanwhile, else read again.
    for (;;) {
        auto cas = rc.transaction("{example:async:shared}");
        co_await cas.async_watch("{example:async:shared}:users", asio::use_awaitable);
        const auto seen = co_await cas.now(asio::use_awaitable).get("{example:async:shared}:users");
        cas.set("{example:async:shared}:users", std::to_string(std::stoll(seen.value_or("0")) + 1));
        const auto [code, replies] = co_await cas.async_exec(asio::experimental::as_tuple(asio::use_awaitable));
        if (code != rediscluster::asio::error::not_executed) break;  // written (or failed: the count below tells)
    }
    co_return got == name && both[0].str() == name && both[1].str() != "0";
}

}  // namespace

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
    try {
        asio::io_context io(1);  // run by this thread only: handlers run straight from the reads
        rediscluster::asio::AsyncRedisCluster rc(io, {.startup_nodes = {{"127.0.0.1", port}}});
        constexpr int kUsers = 100;
        int finished = 0;
        int wrong = 0;
        for (int user = 0; user < kUsers; ++user) {
            asio::co_spawn(io, write_and_read(rc, user), [&](std::exception_ptr error, bool right) {
                if (error) {
                    try {
                        std::rethrow_exception(error);
                    } catch (const std::exception& e) {
                        std::fprintf(stderr, "async_coroutine: user %d: %s\n", finished, e.what());
                    }
                }
                if (error || !right) ++wrong;
                // The client keeps its connections open (a read pending on
                // each) until it is cancelled or destroyed: io.run() returns then.
                if (++finished == kUsers) rc.cancel();
            });
        }
        // The shared counter starts from zero, and is checked at the end, by
        // a blocking client beside the async one.
        rediscluster::RedisCluster check({.startup_nodes = {{"127.0.0.1", port}}});
        (void)check.execute_command("DEL", "{example:async:shared}:users");
        io.run();
        const auto shared = check.get("{example:async:shared}:users").value_or("0");
        std::printf("%d users written and read back by %d coroutines, %d wrong; shared counter %s\n", kUsers, kUsers,
                    wrong, shared.c_str());
        return wrong == 0 && shared == std::to_string(kUsers) ? 0 : 1;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "async_coroutine: %s\n", e.what());
        return 1;
    }
}
