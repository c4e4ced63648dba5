#pragma once

// What the asynchronous client's cluster tests share: the options for the
// plain cluster, and running an io_context until a condition holds.

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <exception>

#include "cluster/cluster_env.hpp"
#include "rediscluster/asio/async_cluster.hpp"

namespace rediscluster::test {

inline RedisClusterOptions async_plain_options() {
    using namespace std::chrono_literals;
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", plain_port()}};
    options.connection_kwargs.socket_timeout = 5s;
    return options;
}

/// Runs `io` until `done` or 10 s; false when it timed out. (io.run() would
/// not return: a client's open connections keep a read pending until it is
/// destroyed or cancelled. A context that ran out of work, a client with no
/// connection yet, is restarted.)
template <class Done>
bool run_until(::asio::io_context& io, Done done) {
    using namespace std::chrono_literals;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        if (io.stopped()) io.restart();
        io.run_for(10ms);
    }
    return true;
}

/// Runs coroutine `body` on `io` to its end (or 10 s); false when it
/// did not end. An exception it throws is rethrown here.
template <class Body>
bool run_coroutine(::asio::io_context& io, Body body) {
    bool ended = false;
    std::exception_ptr thrown;
    ::asio::co_spawn(io, std::move(body), [&](const std::exception_ptr& error) {
        thrown = error;
        ended = true;
    });
    const bool finished = run_until(io, [&] { return ended; });
    if (thrown) std::rethrow_exception(thrown);
    return finished;
}

}  // namespace rediscluster::test
