#pragma once

// fail_over_to(replica, command, limit): sends CLUSTER FAILOVER to
// `replica` until it reports itself a master. A manual failover that does
// not complete (its master busy, votes refused because the same shard failed
// over moments ago) is abandoned by the server, so it is sent again every
// 5 s; after two such tries, CLUSTER FAILOVER TAKEOVER, which needs no
// votes (the old master then takes writes until it hears of it: a caller
// that writes through the failover waits for it to step down).
// `command(port, args)` runs one command on a node and returns its
// Reply (each test tier has its own). Returns whether the replica took over
// within `limit`.

#include <chrono>
#include <initializer_list>
#include <string_view>
#include <thread>

#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::test {

template <class Command>
bool fail_over_to(std::uint16_t replica, Command&& command, std::chrono::milliseconds limit) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + limit;
    const auto is_master = [&] {
        try {
            return command(replica, std::initializer_list<std::string_view>{"ROLE"})[0].str() == "master";
        } catch (const Error&) {
            return false;
        }
    };
    for (int attempt = 0; Clock::now() < deadline; ++attempt) {
        try {
            if (attempt < 2) {
                (void)command(replica, std::initializer_list<std::string_view>{"CLUSTER", "FAILOVER"});
            } else {
                (void)command(replica, std::initializer_list<std::string_view>{"CLUSTER", "FAILOVER", "TAKEOVER"});
            }
        } catch (const Error&) {
            // Refused while the last attempt is still under way: wait for it.
        }
        const auto until = std::min(deadline, Clock::now() + std::chrono::seconds(5));
        while (Clock::now() < until) {
            if (is_master()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    return is_master();
}

}  // namespace rediscluster::test
