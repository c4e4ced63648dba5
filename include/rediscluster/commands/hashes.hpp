#pragma once

// Typed commands on hashes (part of Commands, commands.hpp).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// HSET, HGET, HGETALL and the other commands on hashes.
template <class Runner>
class HashCommands {
public:
    /// HSET of one field: 1 when the field is new, 0 when it was updated.
    decltype(auto) hset(std::string_view key, std::string_view field, std::string_view value) {
        return run<reply_readers::Integer>("HSET", key, field, value);
    }
    /// HSET of many fields: how many were new.
    decltype(auto) hset(std::string_view key, std::span<const std::pair<std::string_view, std::string_view>> fields) {
        detail::require_some("HSET", "field", fields.size());
        detail::CommandArgs args("HSET");
        args.add(key).add_pairs(fields);
        return detail::run_args<reply_readers::Integer>(self(), args);
    }
    /// HSET of fields and values alternating; an odd count throws
    /// DataError before anything is sent.
    decltype(auto) hset(std::string_view key, std::span<const std::string_view> fields_and_values) {
        detail::require_some("HSET", "field", fields_and_values.size());
        detail::require_pairs("HSET", "fields and values", fields_and_values.size());
        detail::CommandArgs args("HSET");
        args.add(key).add_all(fields_and_values);
        return detail::run_args<reply_readers::Integer>(self(), args);
    }
    /// HSETNX: true when the field was new and is now set.
    decltype(auto) hsetnx(std::string_view key, std::string_view field, std::string_view value) {
        return run<reply_readers::IntegerIsOne>("HSETNX", key, field, value);
    }
    decltype(auto) hget(std::string_view key, std::string_view field) {
        return run<reply_readers::OptionalString>("HGET", key, field);
    }
    /// HMGET: each field's value, nullopt for a missing one.
    decltype(auto) hmget(std::string_view key, std::span<const std::string_view> fields) {
        detail::require_some("HMGET", "field", fields.size());
        detail::CommandArgs args("HMGET");
        args.add(key).add_all(fields);
        return detail::run_args<reply_readers::OptionalStrings>(self(), args);
    }
    /// HGETALL: fields and values, in the server's order.
    decltype(auto) hgetall(std::string_view key) { return run<reply_readers::Pairs>("HGETALL", key); }
    decltype(auto) hdel(std::string_view key, std::string_view field) {
        return run<reply_readers::Integer>("HDEL", key, field);
    }
    /// HDEL of many fields: how many existed.
    decltype(auto) hdel(std::string_view key, std::span<const std::string_view> fields) {
        detail::require_some("HDEL", "field", fields.size());
        detail::CommandArgs args("HDEL");
        args.add(key).add_all(fields);
        return detail::run_args<reply_readers::Integer>(self(), args);
    }
    decltype(auto) hlen(std::string_view key) { return run<reply_readers::Integer>("HLEN", key); }
    decltype(auto) hkeys(std::string_view key) { return run<reply_readers::Strings>("HKEYS", key); }
    decltype(auto) hvals(std::string_view key) { return run<reply_readers::Strings>("HVALS", key); }
    decltype(auto) hexists(std::string_view key, std::string_view field) {
        return run<reply_readers::IntegerIsOne>("HEXISTS", key, field);
    }
    decltype(auto) hincrby(std::string_view key, std::string_view field, std::int64_t amount) {
        return run<reply_readers::Integer>("HINCRBY", key, field, amount);
    }
    /// HINCRBYFLOAT: the new value.
    decltype(auto) hincrbyfloat(std::string_view key, std::string_view field, double amount) {
        return run<reply_readers::As<double>>("HINCRBYFLOAT", key, field, amount);
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
    template <class Reader, class... Args>
    decltype(auto) run(const Args&... args) {
        return detail::run<Reader>(self(), args...);
    }
};

}  // namespace rediscluster
