#pragma once

// The replies the parser benchmarks use, shared by our parser's benchmarks
// and the peer's, so both parse exactly the same bytes.

#include <string>

namespace rediscluster::bench {

inline std::string bulk_reply(std::size_t size) {
    return "$" + std::to_string(size) + "\r\n" + std::string(size, 'v') + "\r\n";
}

// An array of 100 short bulk strings, like an MGET or LRANGE reply.
inline std::string array100_reply() {
    std::string wire = "*100\r\n";
    for (int i = 0; i < 100; ++i) {
        const auto value = "value:" + std::to_string(i);
        wire += "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    }
    return wire;
}

inline std::string ok_reply() { return "+OK\r\n"; }

}  // namespace rediscluster::bench
