#pragma once

// Typed commands on bitmaps (part of Commands, commands.hpp).

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// SETBIT, GETBIT, BITCOUNT and BITPOS.
template <class Runner>
class BitmapCommands {
public:
    /// SETBIT: the bit's previous value.
    decltype(auto) setbit(std::string_view key, std::int64_t offset, bool value) {
        return detail::run<reply_readers::IntegerIsOne>(self(), "SETBIT", key, offset, value ? "1" : "0");
    }
    decltype(auto) getbit(std::string_view key, std::int64_t offset) {
        return detail::run<reply_readers::IntegerIsOne>(self(), "GETBIT", key, offset);
    }
    /// BITCOUNT of the whole string.
    decltype(auto) bitcount(std::string_view key) { return detail::run<reply_readers::Integer>(self(), "BITCOUNT", key); }
    /// BITCOUNT of bytes `start` to `end` inclusive.
    decltype(auto) bitcount(std::string_view key, std::int64_t start, std::int64_t end) {
        return detail::run<reply_readers::Integer>(self(), "BITCOUNT", key, start, end);
    }
    /// BITPOS: the first bit set to `bit`, -1 when none (see Redis for the
    /// rules on a clear bit past the end).
    decltype(auto) bitpos(std::string_view key, bool bit) {
        return detail::run<reply_readers::Integer>(self(), "BITPOS", key, bit ? "1" : "0");
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
};

}  // namespace rediscluster
