#pragma once

// Typed commands on strings and counters (part of Commands, commands.hpp).

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// Options of SET (see StringCommands::set). Expiry: at most one of ex,
/// px, exat, pxat and keepttl; condition: at most one of nx and xx. Both
/// rules are checked before anything is sent (DataError).
struct SetOptions {
    /// EX: expire after this many seconds. Default unset: no expiry.
    std::optional<std::chrono::seconds> ex = std::nullopt;
    /// PX: expire after this many milliseconds. Default unset.
    std::optional<std::chrono::milliseconds> px = std::nullopt;
    /// EXAT: expire at this time, to the second. Default unset.
    std::optional<std::chrono::sys_seconds> exat = std::nullopt;
    /// PXAT: expire at this time, to the millisecond. Default unset.
    std::optional<std::chrono::sys_time<std::chrono::milliseconds>> pxat = std::nullopt;
    /// KEEPTTL: keep the key's time to live. Default false (SET clears it).
    bool keepttl = false;
    /// NX: set only when the key does not exist. Default false.
    bool nx = false;
    /// XX: set only when the key exists. Default false.
    bool xx = false;
};

/// Options of GETEX: at most one of them (DataError otherwise). None set:
/// GETEX reads like GET.
struct GetExOptions {
    std::optional<std::chrono::seconds> ex = std::nullopt;
    std::optional<std::chrono::milliseconds> px = std::nullopt;
    std::optional<std::chrono::sys_seconds> exat = std::nullopt;
    std::optional<std::chrono::sys_time<std::chrono::milliseconds>> pxat = std::nullopt;
    /// PERSIST: remove the key's time to live.
    bool persist = false;
};

namespace detail {
// Appends the expiry options shared by SET and GETEX; throws DataError
// naming `command` when more than one is set.
template <class Options>
void add_expiry(CommandArgs& args, std::string_view command, const Options& options, bool keep) {
    const int count = int{options.ex.has_value()} + int{options.px.has_value()} + int{options.exat.has_value()} +
                      int{options.pxat.has_value()} + int{keep};
    if (count > 1) {
        throw DataError(std::string(command) + ": choose one expiry among ex, px, exat, pxat and " +
                        (std::string_view(command) == "SET" ? "keepttl" : "persist"));
    }
    if (options.ex) args.add("EX").add(options.ex->count());
    if (options.px) args.add("PX").add(options.px->count());
    if (options.exat) args.add("EXAT").add(options.exat->time_since_epoch().count());
    if (options.pxat) args.add("PXAT").add(options.pxat->time_since_epoch().count());
}
}  // namespace detail

/// GET, SET, INCR and the other string commands. MGET and MSET over keys
/// of several slots run on RedisCluster as one part per slot (not
/// atomically); in a Pipeline or a Transaction, and always for MSETNX, keys
/// must share a slot (use a hash tag: "{user:1}:name").
template <class Runner>
class StringCommands {
public:
    /// GET: the value, or nullopt when the key does not exist.
    decltype(auto) get(std::string_view key) { return run<reply_readers::OptionalString>("GET", key); }

    /// SET; reads as false when a condition (nx/xx) stopped it. nx and xx
    /// together throw DataError before anything is sent.
    decltype(auto) set(std::string_view key, std::string_view value,
                       std::optional<std::chrono::milliseconds> px = std::nullopt, bool nx = false, bool xx = false) {
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
        return detail::run_range<reply_readers::NotNull>(self(), std::span<const std::string_view>(args.data(), count));
    }
    /// SET with every option: `rc.set("k", "v", {.ex = 10s, .nx = true})`.
    /// Reads as false when nx or xx stopped it. Conflicting options throw
    /// DataError before anything is sent.
    decltype(auto) set(std::string_view key, std::string_view value, const SetOptions& options) {
        auto args = set_args(key, value, options);
        return detail::run_args<reply_readers::NotNull>(self(), args);
    }
    /// SET ... GET: sets, and reads the value the key held before (nullopt
    /// when it had none). With nx or xx the value is still the old one, set
    /// or not.
    decltype(auto) set_get(std::string_view key, std::string_view value, const SetOptions& options = {}) {
        auto args = set_args(key, value, options);
        args.add("GET");
        return detail::run_args<reply_readers::OptionalString>(self(), args);
    }
    /// GETEX: GET that also sets or removes the expiry.
    decltype(auto) getex(std::string_view key, const GetExOptions& options = {}) {
        detail::CommandArgs args("GETEX");
        args.add(key);
        detail::add_expiry(args, "GETEX", options, options.persist);
        if (options.persist) args.add("PERSIST");
        return detail::run_args<reply_readers::OptionalString>(self(), args);
    }
    /// GETDEL: the value, and the key is deleted.
    decltype(auto) getdel(std::string_view key) { return run<reply_readers::OptionalString>("GETDEL", key); }
    /// GETSET: sets, and reads the previous value.
    decltype(auto) getset(std::string_view key, std::string_view value) {
        return run<reply_readers::OptionalString>("GETSET", key, value);
    }
    /// SETNX: true when the key did not exist and is now set.
    decltype(auto) setnx(std::string_view key, std::string_view value) {
        return run<reply_readers::As<bool>>("SETNX", key, value);
    }
    /// SETEX: sets with an expiry in seconds (true: OK).
    decltype(auto) setex(std::string_view key, std::chrono::seconds ttl, std::string_view value) {
        return run<reply_readers::As<bool>>("SETEX", key, ttl.count(), value);
    }
    /// APPEND: the length of the string after appending.
    decltype(auto) append(std::string_view key, std::string_view value) {
        return run<reply_readers::Integer>("APPEND", key, value);
    }
    /// STRLEN: the string's length (0 when the key does not exist).
    decltype(auto) strlen(std::string_view key) { return run<reply_readers::Integer>("STRLEN", key); }
    /// SETRANGE: overwrites from `offset`; the string's length after it.
    decltype(auto) setrange(std::string_view key, std::int64_t offset, std::string_view value) {
        return run<reply_readers::Integer>("SETRANGE", key, offset, value);
    }
    /// GETRANGE: bytes `start` to `end` inclusive (negative from the end).
    decltype(auto) getrange(std::string_view key, std::int64_t start, std::int64_t end) {
        return run<reply_readers::As<std::string>>("GETRANGE", key, start, end);
    }

    decltype(auto) incr(std::string_view key) { return run<reply_readers::Integer>("INCR", key); }
    decltype(auto) incrby(std::string_view key, std::int64_t amount) {
        return run<reply_readers::Integer>("INCRBY", key, amount);
    }
    /// INCRBYFLOAT: the new value.
    decltype(auto) incrbyfloat(std::string_view key, double amount) {
        return run<reply_readers::As<double>>("INCRBYFLOAT", key, amount);
    }
    decltype(auto) decr(std::string_view key) { return run<reply_readers::Integer>("DECR", key); }
    decltype(auto) decrby(std::string_view key, std::int64_t amount) {
        return run<reply_readers::Integer>("DECRBY", key, amount);
    }

    /// MGET: each key's value, nullopt for a missing one, in key order.
    decltype(auto) mget(std::span<const std::string_view> keys) {
        detail::require_some("MGET", "key", keys.size());
        detail::CommandArgs args("MGET");
        args.add_all(keys);
        return detail::run_args<reply_readers::OptionalStrings>(self(), args);
    }
    /// MSET of keys and values (true: OK).
    decltype(auto) mset(std::span<const std::pair<std::string_view, std::string_view>> keys_and_values) {
        return multi_set<reply_readers::As<bool>>("MSET", keys_and_values);
    }
    /// MSET of keys and values alternating; an odd count throws DataError
    /// before anything is sent.
    decltype(auto) mset(std::span<const std::string_view> keys_and_values) {
        return multi_set<reply_readers::As<bool>>("MSET", keys_and_values);
    }
    /// MSETNX: true when no key existed and all were set; keys must share
    /// a slot.
    decltype(auto) msetnx(std::span<const std::pair<std::string_view, std::string_view>> keys_and_values) {
        return multi_set<reply_readers::As<bool>>("MSETNX", keys_and_values);
    }
    decltype(auto) msetnx(std::span<const std::string_view> keys_and_values) {
        return multi_set<reply_readers::As<bool>>("MSETNX", keys_and_values);
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
    template <class Reader, class... Args>
    decltype(auto) run(const Args&... args) {
        return detail::run<Reader>(self(), args...);
    }

    static detail::CommandArgs set_args(std::string_view key, std::string_view value, const SetOptions& options) {
        if (options.nx && options.xx) throw DataError("SET: nx and xx exclude each other");
        detail::CommandArgs args("SET");
        args.add(key).add(value);
        detail::add_expiry(args, "SET", options, options.keepttl);
        if (options.keepttl) args.add("KEEPTTL");
        if (options.nx) args.add("NX");
        if (options.xx) args.add("XX");
        return args;
    }
    template <class Reader>
    decltype(auto) multi_set(std::string_view command,
                             std::span<const std::pair<std::string_view, std::string_view>> keys_and_values) {
        detail::require_some(command, "key", keys_and_values.size());
        detail::CommandArgs args(command);
        args.add_pairs(keys_and_values);
        return detail::run_args<Reader>(self(), args);
    }
    template <class Reader>
    decltype(auto) multi_set(std::string_view command, std::span<const std::string_view> keys_and_values) {
        detail::require_some(command, "key", keys_and_values.size());
        detail::require_pairs(command, "keys and values", keys_and_values.size());
        detail::CommandArgs args(command);
        args.add_all(keys_and_values);
        return detail::run_args<Reader>(self(), args);
    }
};

}  // namespace rediscluster
