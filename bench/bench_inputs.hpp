#pragma once

// The replies the parser benchmarks use, shared by our parser's benchmarks
// and the peer's, so both parse exactly the same bytes.
//
// Strings are built with append, not `"literal" + std::string`: g++ 12 at
// -O3 reports a false -Wrestrict on the latter (GCC bug 105329), which
// -Werror turns into a failed Release build.

#include <string>
#include <string_view>

namespace rediscluster::bench {

// "$<size>\r\n<value>\r\n"
inline void append_bulk(std::string& wire, std::string_view value) {
    wire.append("$").append(std::to_string(value.size())).append("\r\n").append(value).append("\r\n");
}

inline std::string bulk_reply(std::size_t size) {
    std::string wire;
    append_bulk(wire, std::string(size, 'v'));
    return wire;
}

// An array of 100 short bulk strings, like an MGET or LRANGE reply.
inline std::string array100_reply() {
    std::string wire = "*100\r\n";
    for (int i = 0; i < 100; ++i) {
        append_bulk(wire, std::string("value:").append(std::to_string(i)));
    }
    return wire;
}

inline std::string ok_reply() { return "+OK\r\n"; }

}  // namespace rediscluster::bench
