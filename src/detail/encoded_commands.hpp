#pragma once

// The commands a driver sends of its own accord, encoded once: ASKING
// before a command sent to an importing node, and a transaction's MULTI,
// EXEC and UNWATCH. Shared by the blocking and the asynchronous drivers.

#include <string_view>

namespace rediscluster::detail {

inline constexpr std::string_view kAsking = "*1\r\n$6\r\nASKING\r\n";
inline constexpr std::string_view kMulti = "*1\r\n$5\r\nMULTI\r\n";
inline constexpr std::string_view kExec = "*1\r\n$4\r\nEXEC\r\n";
inline constexpr std::string_view kUnwatch = "*1\r\n$7\r\nUNWATCH\r\n";

}  // namespace rediscluster::detail
