#include "detail/multi_key.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "detail/ascii.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::detail {

namespace {

using Merge = MultiKeyPlan::Merge;

struct SplitCommand {
    std::string_view name;
    std::size_t step;
    Merge merge;
};

constexpr std::array kSplitCommands = std::to_array<SplitCommand>({
    {"MGET", 1, Merge::InKeyOrder},
    {"MSET", 2, Merge::AllOk},
    {"DEL", 1, Merge::Sum},
    {"EXISTS", 1, Merge::Sum},
    {"UNLINK", 1, Merge::Sum},
    {"TOUCH", 1, Merge::Sum},
});

const SplitCommand* find_split_command(std::string_view name) noexcept {
    for (const auto& command : kSplitCommands) {
        if (equal_ignoring_case(name, command.name)) return &command;
    }
    return nullptr;
}

[[noreturn]] void wrong_shape(std::string_view name, const Reply& reply, std::string_view expected) {
    throw ProtocolError(std::string(name) + ": a part of the command split by slot got " + reply.to_debug_string() +
                        " where " + std::string(expected) + " was expected");
}

}  // namespace

void MultiKeyPlan::part_arguments(std::span<const std::string_view> args, std::size_t index,
                                  std::vector<std::string_view>& out) const {
    out.clear();
    out.push_back(sent_as_get(index) ? std::string_view("GET") : args[0]);
    for (const auto key : keys_of(index)) {
        const auto at = 1 + key * step;
        out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(at),
                   args.begin() + static_cast<std::ptrdiff_t>(at + step));
    }
}

bool may_split_by_slot(std::span<const std::string_view> args) noexcept {
    // Two keys at least: every other command leaves at the first test.
    return args.size() >= 3 && find_split_command(args[0]) != nullptr;
}

bool plan_multi_key_split(std::span<const std::string_view> args, MultiKeyPlan& plan) {
    const auto* command = args.size() >= 3 ? find_split_command(args[0]) : nullptr;
    if (command == nullptr) return false;
    const auto argument_count = args.size() - 1;
    if (argument_count % command->step != 0) {
        throw DataError(std::string(command->name) + ": keys and values must come in pairs, got " +
                        std::to_string(argument_count) + " arguments");
    }
    const auto key_count = argument_count / command->step;
    if (key_count < 2) return false;

    const auto slot_of = [&](std::size_t key) { return key_slot(args[1 + key * command->step]); };
    const auto first_slot = slot_of(0);
    std::size_t key = 1;
    while (key < key_count && slot_of(key) == first_slot) ++key;
    if (key == key_count) return false;  // one slot: the command goes whole

    plan.merge = command->merge;
    plan.step = command->step;
    plan.key_count = key_count;
    // Keys by slot, each slot's keys in the order given (slot and position
    // packed in one number, sorted once), then the slots in the order of
    // their first key.
    auto& sorted = plan.sorted_;
    sorted.clear();
    for (std::size_t k = 0; k < key_count; ++k) {
        const std::uint64_t slot = k < key ? first_slot : slot_of(k);
        sorted.push_back(slot << 32 | k);
    }
    std::sort(sorted.begin(), sorted.end());
    plan.order.clear();
    plan.parts.clear();
    for (const auto packed : sorted) {
        const auto slot = static_cast<std::uint16_t>(packed >> 32);
        if (plan.parts.empty() || plan.parts.back().slot != slot) {
            plan.parts.push_back({.slot = slot, .first = plan.order.size(), .count = 0});
        }
        plan.order.push_back(static_cast<std::size_t>(packed & 0xffffffffU));
        ++plan.parts.back().count;
    }
    std::sort(plan.parts.begin(), plan.parts.end(), [&](const MultiKeyPlan::Part& a, const MultiKeyPlan::Part& b) {
        return plan.order[a.first] < plan.order[b.first];
    });
    return true;
}

void as_mget_answer(Reply& reply) {
    if (reply.is_error() && reply.str().starts_with("WRONGTYPE")) reply = Reply::null();
}

void merge_multi_key_replies(const MultiKeyPlan& plan, std::string_view name, std::span<Reply> part_replies,
                             Reply& out) {
    switch (plan.merge) {
        case Merge::Sum: {
            std::int64_t total = 0;
            for (const auto& reply : part_replies) {
                if (reply.type() != ReplyType::Integer) wrong_shape(name, reply, "an integer");
                total += reply.integer();
            }
            out = Reply::integer(total);
            return;
        }
        case Merge::AllOk: {
            for (const auto& reply : part_replies) {
                if (!reply.is_string() || reply.str() != "OK") wrong_shape(name, reply, "OK");
            }
            out = Reply::simple_string("OK");
            return;
        }
        case Merge::InKeyOrder: {
            std::vector<Reply> values;
            if (out.is_aggregate()) values = std::move(out).take_elements();
            values.resize(plan.key_count);
            for (std::size_t p = 0; p < part_replies.size(); ++p) {
                const auto keys = plan.keys_of(p);
                auto& reply = part_replies[p];
                if (plan.sent_as_get(p) && !reply.is_aggregate()) {
                    std::swap(values[keys[0]], reply);
                    continue;
                }
                if (!reply.is_aggregate() || reply.size() != keys.size()) {
                    wrong_shape(name, reply, "an array of " + std::to_string(keys.size()) + " values");
                }
                auto elements = std::move(reply).take_elements();
                for (std::size_t i = 0; i < keys.size(); ++i) std::swap(values[keys[i]], elements[i]);
                reply = Reply::array(std::move(elements));
            }
            out = Reply::array(std::move(values));
            return;
        }
    }
}

}  // namespace rediscluster::detail
