#pragma once

// Typed commands on keys: existence, deletion, expiry, type, renaming
// (part of Commands, commands.hpp).

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// DEL, EXISTS, EXPIRE and the other commands on keys. DEL, EXISTS, UNLINK
/// and TOUCH over keys of several slots run on RedisCluster as one part per
/// slot, their counts summed; in a Pipeline or a Transaction, and for
/// RENAME and RENAMENX, keys must share a slot: use a hash tag
/// ("{user:1}:a", "{user:1}:b").
template <class Runner>
class KeyCommands {
public:
    /// DEL: how many of the keys existed and were deleted.
    decltype(auto) del(std::span<const std::string_view> keys) { return over_keys("DEL", keys); }
    decltype(auto) del(std::string_view key) { return run<reply_readers::Integer>("DEL", key); }
    /// UNLINK: DEL that frees memory in the background.
    decltype(auto) unlink(std::span<const std::string_view> keys) { return over_keys("UNLINK", keys); }
    decltype(auto) unlink(std::string_view key) { return run<reply_readers::Integer>("UNLINK", key); }
    /// EXISTS: how many of the keys exist (a key named twice counts twice).
    decltype(auto) exists(std::span<const std::string_view> keys) { return over_keys("EXISTS", keys); }
    decltype(auto) exists(std::string_view key) { return run<reply_readers::Integer>("EXISTS", key); }
    /// TOUCH: how many of the keys exist (their last access time is updated).
    decltype(auto) touch(std::span<const std::string_view> keys) { return over_keys("TOUCH", keys); }
    decltype(auto) touch(std::string_view key) { return run<reply_readers::Integer>("TOUCH", key); }

    /// EXPIRE: true when the key exists and the expiry was set.
    decltype(auto) expire(std::string_view key, std::chrono::seconds ttl) {
        return run<reply_readers::IntegerIsOne>("EXPIRE", key, ttl.count());
    }
    /// PEXPIRE: EXPIRE in milliseconds.
    decltype(auto) pexpire(std::string_view key, std::chrono::milliseconds ttl) {
        return run<reply_readers::IntegerIsOne>("PEXPIRE", key, ttl.count());
    }
    /// EXPIREAT: expire at a point in time, to the second.
    decltype(auto) expireat(std::string_view key, std::chrono::sys_seconds when) {
        return run<reply_readers::IntegerIsOne>("EXPIREAT", key, when.time_since_epoch().count());
    }
    /// PEXPIREAT: expire at a point in time, to the millisecond.
    decltype(auto) pexpireat(std::string_view key, std::chrono::sys_time<std::chrono::milliseconds> when) {
        return run<reply_readers::IntegerIsOne>("PEXPIREAT", key, when.time_since_epoch().count());
    }
    /// Remaining time to live in seconds; -1 without expiry, -2 when missing.
    decltype(auto) ttl(std::string_view key) { return run<reply_readers::Integer>("TTL", key); }
    /// Remaining time to live in milliseconds; -1 without expiry, -2 when missing.
    decltype(auto) pttl(std::string_view key) { return run<reply_readers::Integer>("PTTL", key); }
    /// PERSIST: true when an expiry was removed.
    decltype(auto) persist(std::string_view key) { return run<reply_readers::IntegerIsOne>("PERSIST", key); }
    /// TYPE: "string", "list", "set", "zset", "hash", "stream", or "none".
    decltype(auto) type(std::string_view key) { return run<reply_readers::As<std::string>>("TYPE", key); }
    /// RENAME (true: OK); both keys must share a slot. A missing key is a
    /// ResponseError ("ERR no such key").
    decltype(auto) rename(std::string_view key, std::string_view new_key) {
        return run<reply_readers::As<bool>>("RENAME", key, new_key);
    }
    /// RENAMENX: true when renamed, false when `new_key` already existed.
    decltype(auto) renamenx(std::string_view key, std::string_view new_key) {
        return run<reply_readers::IntegerIsOne>("RENAMENX", key, new_key);
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
    template <class Reader, class... Args>
    decltype(auto) run(const Args&... args) {
        return detail::run<Reader>(self(), args...);
    }
    decltype(auto) over_keys(std::string_view command, std::span<const std::string_view> keys) {
        detail::require_some(command, "key", keys.size());
        detail::CommandArgs args(command);
        args.add_all(keys);
        return detail::run_args<reply_readers::Integer>(self(), args);
    }
};

}  // namespace rediscluster
