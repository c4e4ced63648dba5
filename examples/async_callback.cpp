// The asynchronous client with plain callbacks: a counter incremented 100
// times, then read back, each completion a lambda taking
// (std::error_code, Reply). An error reply (here, INCR of a string that is
// not a number) arrives as rediscluster::asio::error::response with the
// server's message in the Reply; a typed command's, in a Diagnostics.
//
// Usage: async_callback [port]      (default 7000; start the cluster first:
//                                    scripts/local-cluster start)

#include <asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "rediscluster/asio/async_cluster.hpp"

int main(int argc, char** argv) {
    using rediscluster::Reply;
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
    try {
        asio::io_context io;
        rediscluster::asio::AsyncRedisCluster rc(io, {.startup_nodes = {{"127.0.0.1", port}}});
        constexpr int kIncrements = 100;
        int failures = 0;
        int done = 0;
        rediscluster::asio::Diagnostics diagnostics;
        const auto count = [&](std::error_code code, const Reply& reply) {
            if (code) {
                std::fprintf(stderr, "async_callback: %s: %s\n", code.message().c_str(),
                             reply.is_error() ? std::string(reply.str()).c_str() : "");
                ++failures;
            }
            ++done;
        };

        rc.async_execute("DEL", "example:async:counter", count);
        for (int i = 0; i < kIncrements; ++i) rc.async_execute("INCR", "example:async:counter", count);
        // Issued in the same turn as the INCRs, on the same connection: it
        // is answered after them, so it sees them all.
        rc.async_execute("GET", "example:async:counter", [&](std::error_code code, Reply reply) {
            count(code, reply);
            std::printf("counter after %d INCRs: %s\n", kIncrements, code ? "?" : std::string(reply.str()).c_str());
            if (!code && reply.str() != std::to_string(kIncrements)) ++failures;

            rc.async_execute("SET", "example:async:text", "not a number", count);
            rc.async_execute("INCR", "example:async:text", [&](std::error_code incr_code, Reply incr_reply) {
                ++done;
                const bool as_expected = incr_code == rediscluster::asio::error::response;
                std::printf("INCR of text: %s (%s)\n", incr_code.message().c_str(),
                            std::string(incr_reply.str()).c_str());
                if (!as_expected) ++failures;
                // A typed command completes with (code, value): its message
                // goes to a Diagnostics, if it is given one.
                rc.commands(
                      [&](std::error_code typed_code, std::int64_t) {
                          ++done;
                          std::printf("typed INCR of text: %s (%s)\n", typed_code.message().c_str(),
                                      diagnostics.server_message().c_str());
                          if (diagnostics.server_message().empty()) ++failures;
                          rc.cancel();  // done: io.run() returns once the connections close
                      },
                      diagnostics)
                    .incr("example:async:text");
            });
        });
        io.run();
        std::printf("%d commands completed, %d failed\n", done, failures);
        return failures == 0 ? 0 : 1;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "async_callback: %s\n", e.what());
        return 1;
    }
}
