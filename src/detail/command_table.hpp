#pragma once

// The server's own command table (the reply of COMMAND), for commands the
// built-in routing table does not know (module commands, newer commands),
// and for every command's request and response policy tips (Redis 7).

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "detail/command_policy.hpp"

namespace rediscluster {
class Reply;
}

namespace rediscluster::detail {

/// Where a command's keys are, and whether it only reads.
struct CommandSpec {
    int first_key = 0;  // 0: no key at a fixed place
    int last_key = 0;   // negative: counted from the end
    int step = 0;
    bool read_only = false;
    bool movable_keys = false;  // only COMMAND GETKEYS can tell
    /// The entry lists tips (Redis 7 and later); without them (Redis 6)
    /// the policies below say nothing and the built-in table decides.
    bool has_tips = false;
    RequestPolicy request_policy = RequestPolicy::Default;
    ResponsePolicy response_policy = ResponsePolicy::Default;
};

class CommandTable {
public:
    /// Reads a COMMAND reply: one entry per command, [name, arity, flags,
    /// first key, last key, step, ACL categories, tips, key specs,
    /// subcommands] (Redis 7; Redis 6 stops after the categories), with
    /// subcommands as entries of their own.
    /// Throws ProtocolError naming the entry when the shape is wrong.
    static CommandTable parse(const Reply& reply);

    /// The spec of `name` (any case), or of its subcommand `sub` for
    /// container commands ("object|encoding"); nullptr when unknown.
    [[nodiscard]] const CommandSpec* find(std::string_view name, std::string_view sub) const;
    [[nodiscard]] std::size_t size() const noexcept { return specs_.size(); }

private:
    void add(const Reply& entry, std::size_t index);
    std::unordered_map<std::string, CommandSpec> specs_;
};

}  // namespace rediscluster::detail
