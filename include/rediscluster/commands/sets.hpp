#pragma once

// Typed commands on sets (part of Commands, commands.hpp).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// SADD, SMEMBERS, SINTER and the other commands on sets. Commands over
/// many keys (SINTER, SUNION, SDIFF, SMOVE) need them in one slot.
template <class Runner>
class SetCommands {
public:
    decltype(auto) sadd(std::string_view key, std::string_view member) {
        return run<reply_readers::Integer>("SADD", key, member);
    }
    /// SADD of many members: how many were new.
    decltype(auto) sadd(std::string_view key, std::span<const std::string_view> members) {
        return with_members<reply_readers::Integer>("SADD", key, members);
    }
    decltype(auto) srem(std::string_view key, std::string_view member) {
        return run<reply_readers::Integer>("SREM", key, member);
    }
    /// SREM of many members: how many were there.
    decltype(auto) srem(std::string_view key, std::span<const std::string_view> members) {
        return with_members<reply_readers::Integer>("SREM", key, members);
    }
    decltype(auto) smembers(std::string_view key) { return run<reply_readers::Strings>("SMEMBERS", key); }
    decltype(auto) sismember(std::string_view key, std::string_view member) {
        return run<reply_readers::IntegerIsOne>("SISMEMBER", key, member);
    }
    /// SMISMEMBER: for each member, whether it is in the set.
    decltype(auto) smismember(std::string_view key, std::span<const std::string_view> members) {
        return with_members<reply_readers::As<std::vector<bool>>>("SMISMEMBER", key, members);
    }
    decltype(auto) scard(std::string_view key) { return run<reply_readers::Integer>("SCARD", key); }
    /// SINTER, SUNION, SDIFF: the members of the result, in no order.
    decltype(auto) sinter(std::span<const std::string_view> keys) { return over_keys("SINTER", keys); }
    decltype(auto) sunion(std::span<const std::string_view> keys) { return over_keys("SUNION", keys); }
    decltype(auto) sdiff(std::span<const std::string_view> keys) { return over_keys("SDIFF", keys); }
    /// SMOVE: true when the member was in `source` and has moved.
    decltype(auto) smove(std::string_view source, std::string_view destination, std::string_view member) {
        return run<reply_readers::IntegerIsOne>("SMOVE", source, destination, member);
    }
    /// SPOP of one member: nullopt when the set is empty.
    decltype(auto) spop(std::string_view key) { return run<reply_readers::OptionalString>("SPOP", key); }
    /// SPOP of up to `count` members.
    decltype(auto) spop(std::string_view key, std::int64_t count) {
        return run<reply_readers::Strings>("SPOP", key, count);
    }
    /// SRANDMEMBER of one member: nullopt when the set is empty.
    decltype(auto) srandmember(std::string_view key) {
        return run<reply_readers::OptionalString>("SRANDMEMBER", key);
    }
    /// SRANDMEMBER of `count` members (negative: may repeat).
    decltype(auto) srandmember(std::string_view key, std::int64_t count) {
        return run<reply_readers::Strings>("SRANDMEMBER", key, count);
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
    template <class Reader, class... Args>
    decltype(auto) run(const Args&... args) {
        return detail::run<Reader>(self(), args...);
    }
    template <class Reader>
    decltype(auto) with_members(std::string_view command, std::string_view key,
                                std::span<const std::string_view> members) {
        detail::require_some(command, "member", members.size());
        detail::CommandArgs args(command);
        args.add(key).add_all(members);
        return detail::run_args<Reader>(self(), args);
    }
    decltype(auto) over_keys(std::string_view command, std::span<const std::string_view> keys) {
        detail::require_some(command, "key", keys.size());
        detail::CommandArgs args(command);
        args.add_all(keys);
        return detail::run_args<reply_readers::Strings>(self(), args);
    }
};

}  // namespace rediscluster
