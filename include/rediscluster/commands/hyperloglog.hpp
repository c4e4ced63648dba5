#pragma once

// Typed commands on HyperLogLogs (part of Commands, commands.hpp).

#include <span>
#include <string_view>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// PFADD, PFCOUNT and PFMERGE. PFCOUNT and PFMERGE over many keys need them
/// in one slot.
template <class Runner>
class HyperLogLogCommands {
public:
    /// PFADD: true when the estimate changed.
    decltype(auto) pfadd(std::string_view key, std::span<const std::string_view> elements) {
        detail::CommandArgs args("PFADD");
        args.add(key).add_all(elements);
        return detail::run_args<reply_readers::IntegerIsOne>(self(), args);
    }
    /// PFCOUNT: the estimated number of distinct elements (of the union
    /// when many keys are given).
    decltype(auto) pfcount(std::span<const std::string_view> keys) {
        detail::require_some("PFCOUNT", "key", keys.size());
        detail::CommandArgs args("PFCOUNT");
        args.add_all(keys);
        return detail::run_args<reply_readers::Integer>(self(), args);
    }
    decltype(auto) pfcount(std::string_view key) { return detail::run<reply_readers::Integer>(self(), "PFCOUNT", key); }
    /// PFMERGE: `destination` becomes the union of itself and `sources`
    /// (true: OK).
    decltype(auto) pfmerge(std::string_view destination, std::span<const std::string_view> sources) {
        detail::CommandArgs args("PFMERGE");
        args.add(destination).add_all(sources);
        return detail::run_args<reply_readers::As<bool>>(self(), args);
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
};

}  // namespace rediscluster
