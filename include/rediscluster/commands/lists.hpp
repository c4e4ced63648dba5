#pragma once

// Typed commands on lists, blocking pops included (part of Commands,
// commands.hpp).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// An end of a list, for LMOVE and BLMOVE.
enum class ListEnd { left, right };
/// Where LINSERT puts the new element, relative to the pivot.
enum class InsertPosition { before, after };

namespace detail {
constexpr std::string_view list_end_name(ListEnd end) noexcept { return end == ListEnd::left ? "LEFT" : "RIGHT"; }
// A blocking command's timeout in seconds, as Redis reads it (decimals
// allowed since Redis 6; 0 waits without limit).
inline double timeout_seconds(std::chrono::milliseconds timeout) {
    if (timeout.count() < 0) throw DataError("a blocking command's timeout must not be negative");
    return static_cast<double>(timeout.count()) / 1000.0;
}
}  // namespace detail

/// LPUSH, LRANGE, LMOVE, BLPOP and the other commands on lists.
///
/// Blocking pops (blpop, brpop, blmove) take a timeout (0: wait without
/// limit; it should stay below the connection's socket_timeout) and read as
/// nullopt when it expired. They run on RedisCluster only: a Pipeline
/// refuses them when they are added (RedisClusterException), since they
/// would hold up every command behind them on the connection.
template <class Runner>
class ListCommands {
public:
    decltype(auto) lpush(std::string_view key, std::string_view value) {
        return run<reply_readers::Integer>("LPUSH", key, value);
    }
    decltype(auto) rpush(std::string_view key, std::string_view value) {
        return run<reply_readers::Integer>("RPUSH", key, value);
    }
    /// LPUSH of many values (each pushed in turn to the head): the new length.
    decltype(auto) lpush(std::string_view key, std::span<const std::string_view> values) {
        return push("LPUSH", key, values);
    }
    /// RPUSH of many values, in order: the new length.
    decltype(auto) rpush(std::string_view key, std::span<const std::string_view> values) {
        return push("RPUSH", key, values);
    }
    decltype(auto) lpop(std::string_view key) { return run<reply_readers::OptionalString>("LPOP", key); }
    decltype(auto) rpop(std::string_view key) { return run<reply_readers::OptionalString>("RPOP", key); }
    decltype(auto) lrange(std::string_view key, std::int64_t start, std::int64_t stop) {
        return run<reply_readers::Strings>("LRANGE", key, start, stop);
    }
    decltype(auto) llen(std::string_view key) { return run<reply_readers::Integer>("LLEN", key); }
    /// LINSERT: the new length; -1 when the pivot was not found, 0 when the
    /// list does not exist.
    decltype(auto) linsert(std::string_view key, InsertPosition where, std::string_view pivot,
                           std::string_view value) {
        return run<reply_readers::Integer>("LINSERT", key, where == InsertPosition::before ? "BEFORE" : "AFTER",
                                           pivot, value);
    }
    /// LINDEX: the element, or nullopt when out of range.
    decltype(auto) lindex(std::string_view key, std::int64_t index) {
        return run<reply_readers::OptionalString>("LINDEX", key, index);
    }
    /// LSET (true: OK); an index out of range is a ResponseError.
    decltype(auto) lset(std::string_view key, std::int64_t index, std::string_view value) {
        return run<reply_readers::As<bool>>("LSET", key, index, value);
    }
    /// LREM: removes `count` occurrences of `value` (0: all; negative: from
    /// the tail); how many were removed.
    decltype(auto) lrem(std::string_view key, std::int64_t count, std::string_view value) {
        return run<reply_readers::Integer>("LREM", key, count, value);
    }
    /// LTRIM (true: OK).
    decltype(auto) ltrim(std::string_view key, std::int64_t start, std::int64_t stop) {
        return run<reply_readers::As<bool>>("LTRIM", key, start, stop);
    }
    /// LMOVE: the element moved, or nullopt when `source` was empty. Both
    /// keys must share a slot.
    decltype(auto) lmove(std::string_view source, std::string_view destination, ListEnd from, ListEnd to) {
        return run<reply_readers::OptionalString>("LMOVE", source, destination, detail::list_end_name(from),
                                                  detail::list_end_name(to));
    }

    /// BLPOP: the key popped from and the element, or nullopt when the
    /// timeout expired. Keys must share a slot.
    decltype(auto) blpop(std::span<const std::string_view> keys, std::chrono::milliseconds timeout) {
        return blocking_pop<std::pair<std::string, std::string>>("BLPOP", keys, timeout);
    }
    decltype(auto) blpop(std::string_view key, std::chrono::milliseconds timeout) {
        return blpop(std::span<const std::string_view>(&key, 1), timeout);
    }
    /// BRPOP: BLPOP from the tail.
    decltype(auto) brpop(std::span<const std::string_view> keys, std::chrono::milliseconds timeout) {
        return blocking_pop<std::pair<std::string, std::string>>("BRPOP", keys, timeout);
    }
    decltype(auto) brpop(std::string_view key, std::chrono::milliseconds timeout) {
        return brpop(std::span<const std::string_view>(&key, 1), timeout);
    }
    /// BLMOVE: LMOVE that waits for an element; nullopt when the timeout
    /// expired.
    decltype(auto) blmove(std::string_view source, std::string_view destination, ListEnd from, ListEnd to,
                          std::chrono::milliseconds timeout) {
        return run<reply_readers::OptionalString>("BLMOVE", source, destination, detail::list_end_name(from),
                                                  detail::list_end_name(to), detail::timeout_seconds(timeout));
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
    template <class Reader, class... Args>
    decltype(auto) run(const Args&... args) {
        return detail::run<Reader>(self(), args...);
    }
    decltype(auto) push(std::string_view command, std::string_view key, std::span<const std::string_view> values) {
        detail::require_some(command, "value", values.size());
        detail::CommandArgs args(command);
        args.add(key).add_all(values);
        return detail::run_args<reply_readers::Integer>(self(), args);
    }
    template <class Popped>
    decltype(auto) blocking_pop(std::string_view command, std::span<const std::string_view> keys,
                                std::chrono::milliseconds timeout) {
        detail::require_some(command, "key", keys.size());
        detail::CommandArgs args(command);
        args.add_all(keys).add(detail::timeout_seconds(timeout));
        return detail::run_args<reply_readers::As<std::optional<Popped>>>(self(), args);
    }
};

}  // namespace rediscluster
