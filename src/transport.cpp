#include "detail/transport.hpp"

#include <sched.h>

namespace rediscluster::detail {

std::size_t Transport::receive(std::span<char> buffer, std::chrono::microseconds budget) {
    if (budget.count() > 0 && busy_poll_.poll_next()) {
        const auto deadline = std::chrono::steady_clock::now() + budget;
        do {
            if (const auto received = read_available(buffer)) {
                busy_poll_.record(true);
                return received;
            }
            // Whoever else is ready to run on this core (the node itself,
            // on a small machine) goes first.
            ::sched_yield();
        } while (std::chrono::steady_clock::now() < deadline);
        busy_poll_.record(false);
    }
    return read_some(buffer);
}

}  // namespace rediscluster::detail
