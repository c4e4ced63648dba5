#pragma once

// The typed commands, written once for every way of running them:
// RedisCluster runs each at once and returns its value
// (`rc.incr("n")` → std::int64_t); a Pipeline queues it and returns the
// pipeline, the reply coming from execute() (`pipe.incr("n").get("k")`).
//
// Each method names its command and arguments and how its reply reads;
// the class it is called on decides when it runs.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster {

/// How a typed method reads its reply: each reader's `read()` turns a
/// Reply into the method's value, and throws DataError when the reply is
/// not of the expected type.
namespace reply_readers {
/// An integer reply.
struct Integer {
    using type = std::int64_t;
    static type read(Reply&& reply);
};
/// An integer reply that means yes when it is 1 (EXPIRE, SISMEMBER).
struct IntegerIsOne {
    using type = bool;
    static type read(Reply&& reply);
};
/// A reply that means yes when it is not null (SET with NX or XX).
struct NotNull {
    using type = bool;
    static type read(Reply&& reply);
};
/// A string or null.
struct OptionalString {
    using type = std::optional<std::string>;
    static type read(Reply&& reply);
};
/// An array of strings.
struct Strings {
    using type = std::vector<std::string>;
    static type read(Reply&& reply);
};
/// An array of strings and nulls (MGET).
struct OptionalStrings {
    using type = std::vector<std::optional<std::string>>;
    static type read(Reply&& reply);
};
/// An array of fields and values, or a RESP3 map (HGETALL).
struct Pairs {
    using type = std::vector<std::pair<std::string, std::string>>;
    static type read(Reply&& reply);
};
/// A number as a string or a RESP3 double, or null (ZSCORE).
struct OptionalDouble {
    using type = std::optional<double>;
    static type read(Reply&& reply);
};
}  // namespace reply_readers

/// The typed commands of `Runner` (RedisCluster or Pipeline), which
/// provides `run_command<Reader>(args...)` and
/// `run_command_range<Reader>(args)` to this class.
template <class Runner>
class Commands {
public:
    // --- strings and counters ------------------------------------------
    /// GET.
    decltype(auto) get(std::string_view key) { return run<reply_readers::OptionalString>("GET", key); }
    /// SET; reads as false when a condition (nx/xx) stopped it. nx and xx
    /// together throw DataError before anything is sent.
    decltype(auto) set(std::string_view key, std::string_view value, std::optional<std::chrono::milliseconds> px = std::nullopt,
             bool nx = false, bool xx = false) {
        if (nx && xx) throw DataError("SET: nx and xx exclude each other");
        // SET key value [PX ms] [NX|XX], as views: nothing here is copied.
        std::array<std::string_view, 7> args{"SET", key, value};
        std::size_t count = 3;
        std::optional<ArgumentText> milliseconds;
        if (px) {
            milliseconds.emplace(px->count());
            args[count++] = "PX";
            args[count++] = milliseconds->view();
        }
        if (nx) args[count++] = "NX";
        if (xx) args[count++] = "XX";
        return run_range<reply_readers::NotNull>(std::span<const std::string_view>(args.data(), count));
    }
    decltype(auto) incr(std::string_view key) { return run<reply_readers::Integer>("INCR", key); }
    decltype(auto) incrby(std::string_view key, std::int64_t amount) { return run<reply_readers::Integer>("INCRBY", key, amount); }
    decltype(auto) decr(std::string_view key) { return run<reply_readers::Integer>("DECR", key); }
    /// MGET. On the client, keys may span slots (one part per slot); in a
    /// pipeline they must share one.
    decltype(auto) mget(std::span<const std::string_view> keys) {
        return run_range<reply_readers::OptionalStrings>(with_name("MGET", keys));
    }

    // --- keys -----------------------------------------------------------
    /// DEL: as mget(), keys may span slots on the client.
    decltype(auto) del(std::span<const std::string_view> keys) { return run_range<reply_readers::Integer>(with_name("DEL", keys)); }
    decltype(auto) del(std::string_view key) { return run<reply_readers::Integer>("DEL", key); }
    decltype(auto) exists(std::string_view key) { return run<reply_readers::Integer>("EXISTS", key); }
    decltype(auto) expire(std::string_view key, std::chrono::seconds ttl) {
        return run<reply_readers::IntegerIsOne>("EXPIRE", key, ttl.count());
    }
    /// Remaining time to live in seconds; -1 without expiry, -2 when missing.
    decltype(auto) ttl(std::string_view key) { return run<reply_readers::Integer>("TTL", key); }

    // --- hashes ---------------------------------------------------------
    decltype(auto) hset(std::string_view key, std::string_view field, std::string_view value) {
        return run<reply_readers::Integer>("HSET", key, field, value);
    }
    decltype(auto) hget(std::string_view key, std::string_view field) {
        return run<reply_readers::OptionalString>("HGET", key, field);
    }
    decltype(auto) hgetall(std::string_view key) { return run<reply_readers::Pairs>("HGETALL", key); }
    decltype(auto) hdel(std::string_view key, std::string_view field) { return run<reply_readers::Integer>("HDEL", key, field); }
    decltype(auto) hincrby(std::string_view key, std::string_view field, std::int64_t amount) {
        return run<reply_readers::Integer>("HINCRBY", key, field, amount);
    }

    // --- lists ----------------------------------------------------------
    decltype(auto) lpush(std::string_view key, std::string_view value) { return run<reply_readers::Integer>("LPUSH", key, value); }
    decltype(auto) rpush(std::string_view key, std::string_view value) { return run<reply_readers::Integer>("RPUSH", key, value); }
    decltype(auto) lpop(std::string_view key) { return run<reply_readers::OptionalString>("LPOP", key); }
    decltype(auto) rpop(std::string_view key) { return run<reply_readers::OptionalString>("RPOP", key); }
    decltype(auto) lrange(std::string_view key, std::int64_t start, std::int64_t stop) {
        return run<reply_readers::Strings>("LRANGE", key, start, stop);
    }
    decltype(auto) llen(std::string_view key) { return run<reply_readers::Integer>("LLEN", key); }

    // --- sets -----------------------------------------------------------
    decltype(auto) sadd(std::string_view key, std::string_view member) { return run<reply_readers::Integer>("SADD", key, member); }
    decltype(auto) srem(std::string_view key, std::string_view member) { return run<reply_readers::Integer>("SREM", key, member); }
    decltype(auto) smembers(std::string_view key) { return run<reply_readers::Strings>("SMEMBERS", key); }
    decltype(auto) sismember(std::string_view key, std::string_view member) {
        return run<reply_readers::IntegerIsOne>("SISMEMBER", key, member);
    }

    // --- sorted sets ----------------------------------------------------
    decltype(auto) zadd(std::string_view key, double score, std::string_view member) {
        return run<reply_readers::Integer>("ZADD", key, score, member);
    }
    decltype(auto) zscore(std::string_view key, std::string_view member) {
        return run<reply_readers::OptionalDouble>("ZSCORE", key, member);
    }
    decltype(auto) zrange(std::string_view key, std::int64_t start, std::int64_t stop) {
        return run<reply_readers::Strings>("ZRANGE", key, start, stop);
    }
    decltype(auto) zrem(std::string_view key, std::string_view member) { return run<reply_readers::Integer>("ZREM", key, member); }

private:
    template <class Reader, class... Args>
    decltype(auto) run(const Args&... args) {
        return static_cast<Runner&>(*this).template run_command<Reader>(args...);
    }
    template <class Reader>
    decltype(auto) run_range(std::span<const std::string_view> args) {
        return static_cast<Runner&>(*this).template run_command_range<Reader>(args);
    }
    static std::vector<std::string_view> with_name(std::string_view name, std::span<const std::string_view> keys) {
        std::vector<std::string_view> args;
        args.reserve(keys.size() + 1);
        args.push_back(name);
        args.insert(args.end(), keys.begin(), keys.end());
        return args;
    }
};

}  // namespace rediscluster
