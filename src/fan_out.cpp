#include "detail/fan_out.hpp"

#include <algorithm>
#include <cstdint>

#include "rediscluster/slot.hpp"

namespace rediscluster::detail {

std::vector<FanOutPart> plan_fan_out(const CommandFacts& facts, const SlotTable& table) {
    std::vector<FanOutPart> parts;
    const auto part_facts = [&] {
        CommandFacts part = facts;
        part.target = CommandRoute::Target::Slot;
        part.read_only = false;  // masters only, even with read_from_replicas
        part.blocking = false;
        part.block_for.reset();
        return part;
    };
    if (facts.target == CommandRoute::Target::AllNodes) {
        for (const auto& node : table.nodes()) {
            FanOutPart part{part_facts(), node.name};
            part.facts.target = CommandRoute::Target::Random;
            part.facts.slot.reset();
            part.facts.node = HostPort{node.host, node.port};
            parts.push_back(std::move(part));
        }
        return parts;
    }
    // The first slot each shard serves, in shard order.
    std::vector<std::optional<std::uint16_t>> first_slot(table.shard_count());
    for (std::uint16_t slot = 0; slot < kSlotCount; ++slot) {
        const int shard = table.shard_of(slot);
        if (shard >= 0 && !first_slot[static_cast<std::size_t>(shard)]) first_slot[static_cast<std::size_t>(shard)] = slot;
    }
    for (std::size_t shard = 0; shard < first_slot.size(); ++shard) {
        if (!first_slot[shard]) continue;
        FanOutPart part{part_facts(), table.shard(shard).front().name};
        part.facts.slot = first_slot[shard];
        part.facts.slot_picks_shard = true;
        part.facts.node.reset();
        parts.push_back(std::move(part));
    }
    return parts;
}

namespace {

CombinedReply mismatch(std::string_view expected, const Reply& got) {
    return {.mismatch = "a node answered " + got.to_debug_string() + " where " + std::string(expected) +
                        " was expected"};
}

bool all_of_type(std::span<const Reply> replies, ReplyType type) {
    return std::all_of(replies.begin(), replies.end(), [&](const Reply& r) { return r.type() == type; });
}

// A flag: an integer, or a RESP3 boolean (a server may answer either
// under RESP3; Redis 7.0 still sends integers).
bool is_flag(const Reply& reply) {
    return reply.type() == ReplyType::Integer || reply.type() == ReplyType::Boolean;
}

bool flag_value(const Reply& reply) {
    return reply.type() == ReplyType::Boolean ? reply.boolean() : reply.integer() != 0;
}

// The combined flag, of the type the first node used.
Reply flag_reply(bool value, ReplyType type) {
    return type == ReplyType::Boolean ? Reply::boolean(value) : Reply::integer(value ? 1 : 0);
}

// AND or OR of flags, or of arrays of flags element by element (SCRIPT
// EXISTS answers one flag per script).
CombinedReply logical(std::span<Reply> replies, bool is_and) {
    const auto combine = [&](bool a, bool b) { return is_and ? (a && b) : (a || b); };
    const Reply& first = replies.front();
    if (is_flag(first)) {
        bool value = flag_value(first);
        for (const auto& reply : replies) {
            if (!is_flag(reply)) return mismatch("a flag (an integer or a boolean)", reply);
            value = combine(value, flag_value(reply));
        }
        return {.reply = flag_reply(value, first.type())};
    }
    if (first.type() != ReplyType::Array) return mismatch("a flag or an array of flags", first);
    std::vector<bool> values(first.size(), is_and);
    for (const auto& reply : replies) {
        if (reply.type() != ReplyType::Array || reply.size() != values.size()) {
            return mismatch("an array of " + std::to_string(values.size()) + " flags", reply);
        }
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (!is_flag(reply[i])) return mismatch("an array of flags (integers or booleans)", reply);
            values[i] = combine(values[i], flag_value(reply[i]));
        }
    }
    std::vector<Reply> elements;
    elements.reserve(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) elements.push_back(flag_reply(values[i], first[i].type()));
    return {.reply = Reply::array(std::move(elements))};
}

CombinedReply aggregate(std::span<Reply> replies, ResponsePolicy policy) {
    std::int64_t value = 0;
    for (std::size_t i = 0; i < replies.size(); ++i) {
        if (replies[i].type() != ReplyType::Integer) return mismatch("an integer", replies[i]);
        const auto one = replies[i].integer();
        if (i == 0) {
            value = one;
        } else if (policy == ResponsePolicy::AggSum) {
            value += one;
        } else if (policy == ResponsePolicy::AggMin) {
            value = std::min(value, one);
        } else {
            value = std::max(value, one);
        }
    }
    return {.reply = Reply::integer(value)};
}

// No policy given: arrays are concatenated (KEYS), maps merged; otherwise
// the nodes' answers are alike and any will do: the first that is not null
// (RANDOMKEY: a key from whichever shard has one).
CombinedReply by_default(std::span<Reply> replies) {
    if (all_of_type(replies, ReplyType::Array) || all_of_type(replies, ReplyType::Map) ||
        all_of_type(replies, ReplyType::Set)) {
        std::vector<Reply> all;
        for (auto& reply : replies) {
            for (const auto& element : reply.elements()) all.push_back(element);
        }
        switch (replies.front().type()) {
            case ReplyType::Map: return {.reply = Reply::map(std::move(all))};
            case ReplyType::Set: return {.reply = Reply::set(std::move(all))};
            default: return {.reply = Reply::array(std::move(all))};
        }
    }
    for (auto& reply : replies) {
        if (!reply.is_null()) return {.reply = std::move(reply)};
    }
    return {.reply = std::move(replies.front())};
}

}  // namespace

CombinedReply combine_replies(ResponsePolicy policy, std::span<Reply> replies, std::span<const std::string> node_names) {
    if (replies.empty()) return {.mismatch = "no node answered"};
    const auto first_error = std::find_if(replies.begin(), replies.end(), [](const Reply& r) { return r.is_error(); });
    const auto error_at = static_cast<std::size_t>(first_error - replies.begin());
    if (policy == ResponsePolicy::OneSucceeded) {
        for (auto& reply : replies) {
            if (!reply.is_error()) return {.reply = std::move(reply)};
        }
        return {.reply = std::move(replies.front()), .error_part = 0};
    }
    if (first_error != replies.end()) return {.reply = std::move(*first_error), .error_part = error_at};
    switch (policy) {
        case ResponsePolicy::AllSucceeded: return {.reply = std::move(replies.front())};
        case ResponsePolicy::AggLogicalAnd: return logical(replies, true);
        case ResponsePolicy::AggLogicalOr: return logical(replies, false);
        case ResponsePolicy::AggMin:
        case ResponsePolicy::AggMax:
        case ResponsePolicy::AggSum: return aggregate(replies, policy);
        case ResponsePolicy::Special: {
            // Replies that only make sense per node (INFO, MEMORY STATS):
            // each under its node's name.
            std::vector<Reply> map;
            map.reserve(replies.size() * 2);
            for (std::size_t i = 0; i < replies.size(); ++i) {
                map.push_back(Reply::bulk_string(i < node_names.size() ? node_names[i] : std::string()));
                map.push_back(std::move(replies[i]));
            }
            return {.reply = Reply::map(std::move(map))};
        }
        case ResponsePolicy::Default:
        case ResponsePolicy::OneSucceeded: break;
    }
    return by_default(replies);
}

}  // namespace rediscluster::detail
