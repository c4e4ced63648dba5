#pragma once

// A random generator per thread, seeded once: random node choices need no
// lock and no shared state.

#include <random>

namespace rediscluster::detail {

inline std::mt19937_64& thread_random() {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    return generator;
}

}  // namespace rediscluster::detail
