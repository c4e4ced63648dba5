#pragma once

// Typed commands that run scripts and functions (part of Commands,
// commands.hpp). RedisCluster adds eval_cached() and script_load().

#include <span>
#include <string_view>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// EVAL, EVALSHA and FCALL. A script's keys must share a slot (refused with
/// ClusterCrossSlotError before anything is sent otherwise); a script
/// without keys runs on any master. The reply is returned as it is: read it
/// with `.as<T>()` (reply_cast.hpp).
template <class Runner>
class ScriptingCommands {
public:
    /// EVAL: runs `script` with KEYS = `keys` and ARGV = `args`.
    decltype(auto) eval(std::string_view script, std::span<const std::string_view> keys = {},
                        std::span<const std::string_view> args = {}) {
        return with_keys("EVAL", script, keys, args);
    }
    /// EVALSHA: runs the script cached under `sha1` on the node serving the
    /// keys; NoScriptError when that node does not hold it (see
    /// RedisCluster::eval_cached()).
    decltype(auto) evalsha(std::string_view sha1, std::span<const std::string_view> keys = {},
                           std::span<const std::string_view> args = {}) {
        return with_keys("EVALSHA", sha1, keys, args);
    }
    /// FCALL: calls a function loaded with FUNCTION LOAD.
    decltype(auto) fcall(std::string_view function, std::span<const std::string_view> keys = {},
                         std::span<const std::string_view> args = {}) {
        return with_keys("FCALL", function, keys, args);
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
    decltype(auto) with_keys(std::string_view command, std::string_view what, std::span<const std::string_view> keys,
                             std::span<const std::string_view> args) {
        detail::CommandArgs command_args(command);
        command_args.add(what).add(keys.size()).add_all(keys).add_all(args);
        return detail::run_args<reply_readers::As<Reply>>(self(), command_args);
    }
};

}  // namespace rediscluster
