#include "detail/subscription_book.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "rediscluster/slot.hpp"

namespace rediscluster::detail {

void SubscriptionBook::want(SubscriptionKind kind, std::span<const std::string> names) {
    auto& map = entries(kind);
    for (const auto& name : names) {
        auto [it, added] = map.try_emplace(name);
        it->second.wanted = true;
    }
}

std::vector<std::string> SubscriptionBook::unwant(SubscriptionKind kind, std::span<const std::string> names) {
    auto& map = entries(kind);
    std::vector<std::string> given_up;
    const auto drop = [&](Entries::iterator it) {
        given_up.push_back(it->first);
        it->second.wanted = false;
        // Never sent: nothing to undo on any node.
        if (it->second.place == Place::nowhere) return map.erase(it);
        return std::next(it);
    };
    if (names.empty()) {
        for (auto it = map.begin(); it != map.end();) it = it->second.wanted ? drop(it) : std::next(it);
        return given_up;
    }
    for (const auto& name : names) {
        const auto it = map.find(name);
        if (it == map.end()) {
            given_up.push_back(name);
        } else {
            (void)drop(it);
        }
    }
    return given_up;
}

std::vector<SubscriptionCommand> SubscriptionBook::plan(const Placement& place) {
    // (node, kind, subscribe, slot for shard channels) -> names
    std::map<std::tuple<std::string, SubscriptionKind, bool, int>, std::vector<std::string>> groups;
    for (const auto kind : {SubscriptionKind::channel, SubscriptionKind::pattern, SubscriptionKind::shard_channel}) {
        const int no_slot = -1;
        for (auto& [name, entry] : entries(kind)) {
            const int slot = kind == SubscriptionKind::shard_channel ? key_slot(name) : no_slot;
            if (entry.wanted && entry.place == Place::nowhere) {
                auto node = place(kind, name);
                if (!node) continue;
                entry.place = Place::sending;
                entry.node = *node;
                groups[{std::move(*node), kind, true, slot}].push_back(name);
            } else if (!entry.wanted && entry.place == Place::active) {
                entry.place = Place::leaving;
                groups[{entry.node, kind, false, slot}].push_back(name);
            }
        }
    }
    std::vector<SubscriptionCommand> commands;
    for (auto& [key, names] : groups) {
        const auto& [node, kind, subscribe, slot] = key;
        for (std::size_t begin = 0; begin < names.size(); begin += kNamesPerCommand) {
            const auto end = std::min(names.size(), begin + kNamesPerCommand);
            SubscriptionCommand command{node, kind, subscribe,
                                        std::vector<std::string>(names.begin() + static_cast<std::ptrdiff_t>(begin),
                                                                 names.begin() + static_cast<std::ptrdiff_t>(end))};
            unanswered_[node].push_back(command);
            commands.push_back(std::move(command));
        }
    }
    return commands;
}

void SubscriptionBook::answer(std::string_view node, SubscriptionKind kind, bool subscribe, std::string_view name) {
    const auto queue = unanswered_.find(node);
    if (queue == unanswered_.end()) return;
    for (auto command = queue->second.begin(); command != queue->second.end(); ++command) {
        if (command->kind != kind || command->subscribe != subscribe) continue;
        const auto it = std::find(command->names.begin(), command->names.end(), name);
        if (it == command->names.end()) continue;
        command->names.erase(it);
        if (command->names.empty()) queue->second.erase(command);
        break;
    }
    if (queue->second.empty()) unanswered_.erase(queue);
}

std::optional<Resubscribed> SubscriptionBook::on_subscribed(std::string_view node, SubscriptionKind kind,
                                                            std::string_view name) {
    answer(node, kind, true, name);
    auto& map = entries(kind);
    const auto it = map.find(name);
    if (it == map.end()) {
        // Not ours (any more): undo it with the next plan().
        map.emplace(std::string(name), Entry{false, Place::active, true, std::string(node)});
        return std::nullopt;
    }
    auto& entry = it->second;
    entry.place = Place::active;
    entry.node = std::string(node);
    const bool again = entry.was_active && entry.wanted;
    entry.was_active = true;
    if (again) return Resubscribed{kind, it->first, entry.node};
    return std::nullopt;
}

bool SubscriptionBook::on_unsubscribed(std::string_view node, SubscriptionKind kind, std::string_view name) {
    answer(node, kind, false, name);
    auto& map = entries(kind);
    const auto it = map.find(name);
    // An answer from a node the name no longer is on says nothing of it.
    if (it == map.end() || it->second.node != node || it->second.place == Place::nowhere) return false;
    if (!it->second.wanted) {
        map.erase(it);
        return false;
    }
    it->second.place = Place::nowhere;
    return true;
}

std::optional<SubscriptionCommand> SubscriptionBook::on_error(std::string_view node) {
    const auto queue = unanswered_.find(node);
    if (queue == unanswered_.end()) return std::nullopt;
    auto command = std::move(queue->second.front());
    queue->second.pop_front();
    if (queue->second.empty()) unanswered_.erase(queue);
    auto& map = entries(command.kind);
    for (const auto& name : command.names) {
        const auto it = map.find(name);
        if (it == map.end() || it->second.node != node) continue;
        if (command.subscribe && it->second.place == Place::sending) {
            it->second.place = Place::nowhere;
            if (!it->second.wanted) map.erase(it);
        } else if (!command.subscribe && it->second.place == Place::leaving) {
            map.erase(it);
        }
    }
    return command;
}

bool SubscriptionBook::on_connection_lost(std::string_view node) {
    unanswered_.erase(std::string(node));
    bool lost_wanted = false;
    for (auto& map : entries_) {
        for (auto it = map.begin(); it != map.end();) {
            auto& entry = it->second;
            if (entry.place == Place::nowhere || entry.node != node) {
                ++it;
                continue;
            }
            if (!entry.wanted) {
                it = map.erase(it);
                continue;
            }
            lost_wanted = true;
            entry.place = Place::nowhere;
            ++it;
        }
    }
    return lost_wanted;
}

void SubscriptionBook::give_up(const SubscriptionCommand& command) {
    auto& map = entries(command.kind);
    for (const auto& name : command.names) {
        const auto it = map.find(name);
        if (it != map.end() && it->second.place == Place::nowhere) map.erase(it);
    }
}

bool SubscriptionBook::all_active(SubscriptionKind kind, std::span<const std::string> names) const {
    const auto& map = entries(kind);
    return std::all_of(names.begin(), names.end(), [&](const std::string& name) {
        const auto it = map.find(name);
        return it != map.end() && it->second.wanted && it->second.place == Place::active;
    });
}

bool SubscriptionBook::all_gone(SubscriptionKind kind, std::span<const std::string> names) const {
    const auto& map = entries(kind);
    return std::none_of(names.begin(), names.end(), [&](const std::string& name) { return map.contains(name); });
}

bool SubscriptionBook::wanted(SubscriptionKind kind, std::string_view name) const {
    const auto& map = entries(kind);
    const auto it = map.find(name);
    return it != map.end() && it->second.wanted;
}

std::vector<std::string> SubscriptionBook::wanted_names(SubscriptionKind kind) const {
    std::vector<std::string> names;
    for (const auto& [name, entry] : entries(kind)) {
        if (entry.wanted) names.push_back(name);
    }
    return names;
}

std::vector<std::string> SubscriptionBook::nodes_in_use() const {
    std::set<std::string, std::less<>> nodes;
    for (const auto& map : entries_) {
        for (const auto& [name, entry] : map) {
            if (entry.place != Place::nowhere) nodes.insert(entry.node);
        }
    }
    for (const auto& [node, queue] : unanswered_) nodes.insert(node);
    return {nodes.begin(), nodes.end()};
}

bool SubscriptionBook::has_unplaced() const {
    for (const auto& map : entries_) {
        for (const auto& [name, entry] : map) {
            if (entry.wanted && entry.place == Place::nowhere) return true;
        }
    }
    return false;
}

}  // namespace rediscluster::detail
