#include "detail/command_table.hpp"

#include "detail/ascii.hpp"

#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::detail {
namespace {

[[noreturn]] void bad_entry(std::size_t index, const std::string& expected, const Reply& got) {
    throw ProtocolError("COMMAND entry " + std::to_string(index) + ": expected " + expected + ", got " +
                        got.to_debug_string());
}

int small_integer(std::size_t index, const Reply& value) {
    if (value.type() != ReplyType::Integer || value.integer() < -1000000 || value.integer() > 1000000) {
        bad_entry(index, "a key position", value);
    }
    return static_cast<int>(value.integer());
}

}  // namespace

CommandTable CommandTable::parse(const Reply& reply) {
    if (!reply.is_aggregate()) {
        throw ProtocolError("COMMAND: expected an array of commands, got " + reply.to_debug_string());
    }
    CommandTable table;
    for (std::size_t i = 0; i < reply.size(); ++i) table.add(reply[i], i);
    return table;
}

void CommandTable::add(const Reply& entry, std::size_t index) {
    if (entry.type() != ReplyType::Array || entry.size() < 6 || !entry[0].is_string() || !entry[2].is_aggregate()) {
        bad_entry(index, "[name, arity, flags, first key, last key, step, ...]", entry);
    }
    CommandSpec spec;
    spec.first_key = small_integer(index, entry[3]);
    spec.last_key = small_integer(index, entry[4]);
    spec.step = small_integer(index, entry[5]);
    for (const auto& flag : entry[2].elements()) {
        if (!flag.is_string()) continue;
        if (flag.str() == "readonly") spec.read_only = true;
        if (flag.str() == "movablekeys") spec.movable_keys = true;
    }
    // Redis 7 lists tips in field 8: "request_policy:all_shards" and such.
    if (entry.size() > 7 && entry[7].is_aggregate()) {
        spec.has_tips = true;
        for (const auto& tip : entry[7].elements()) {
            if (!tip.is_string()) continue;
            const auto parsed = parse_policy_tip(tip.str());
            if (parsed.request) spec.request_policy = *parsed.request;
            if (parsed.response) spec.response_policy = *parsed.response;
        }
    }
    specs_[to_lower(entry[0].str())] = spec;
    // Redis 7 lists a container's subcommands ("config|get") in field 10.
    if (entry.size() > 9 && entry[9].is_aggregate()) {
        for (const auto& sub : entry[9].elements()) add(sub, index);
    }
}

const CommandSpec* CommandTable::find(std::string_view name, std::string_view sub) const {
    const auto base = to_lower(name);
    if (!sub.empty()) {
        const auto it = specs_.find(base + "|" + to_lower(sub));
        if (it != specs_.end()) return &it->second;
    }
    const auto it = specs_.find(base);
    return it == specs_.end() ? nullptr : &it->second;
}

}  // namespace rediscluster::detail
