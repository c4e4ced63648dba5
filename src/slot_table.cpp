#include <algorithm>

#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster {

std::string node_name(std::string_view host, std::uint16_t port) {
    std::string name;
    name.reserve(host.size() + 6);
    name.append(host);
    name.push_back(':');
    name.append(std::to_string(port));
    return name;
}

NodeInfo make_node(std::string host, std::uint16_t port, std::string server_type) {
    NodeInfo node;
    node.name = node_name(host, port);
    node.host = std::move(host);
    node.port = port;
    node.server_type = std::move(server_type);
    return node;
}

SlotTable::SlotTable() { slot_shard_.fill(-1); }

SlotTable::SlotTable(const std::vector<SlotRange>& ranges) : SlotTable() {
    for (const auto& range : ranges) {
        if (range.first > range.last || range.last >= kSlotCount) {
            throw ClusterError("invalid slot range " + std::to_string(range.first) + "-" +
                               std::to_string(range.last));
        }
        // A shard is identified by its master; ranges of one master share it.
        auto shard = std::find_if(shards_.begin(), shards_.end(),
                                  [&](const auto& nodes) { return nodes.front().name == range.master.name; });
        if (shard == shards_.end()) {
            std::vector<NodeInfo> nodes{range.master};
            nodes.insert(nodes.end(), range.replicas.begin(), range.replicas.end());
            shards_.push_back(std::move(nodes));
            shard_epochs_.push_back(range.config_epoch);
            shard = shards_.end() - 1;
        } else {
            auto& epoch = shard_epochs_[static_cast<std::size_t>(shard - shards_.begin())];
            epoch = std::max(epoch, range.config_epoch);
            for (const auto& replica : range.replicas) {
                if (std::none_of(shard->begin(), shard->end(), [&](const auto& n) { return n.name == replica.name; })) {
                    shard->push_back(replica);
                }
            }
        }
        const auto index = static_cast<std::int16_t>(shard - shards_.begin());
        for (unsigned slot = range.first; slot <= range.last; ++slot) {
            auto& current = slot_shard_[slot];
            if (current >= 0 && current != index) {
                throw ClusterError("startup nodes could not agree on a valid slots cache: " +
                                   shards_[static_cast<std::size_t>(current)].front().name + " vs " +
                                   range.master.name + " on slot: " + std::to_string(slot));
            }
            if (current < 0) {
                ++covered_slots_;
            }
            current = index;
        }
    }
    for (const auto& shard : shards_) nodes_.push_back(shard.front());
    for (const auto& shard : shards_) {
        for (auto it = shard.begin() + 1; it != shard.end(); ++it) {
            if (std::none_of(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.name == it->name; })) {
                nodes_.push_back(*it);
            }
        }
    }
}

std::span<const NodeInfo> SlotTable::operator[](std::uint16_t slot) const noexcept {
    if (slot >= kSlotCount || slot_shard_[slot] < 0) {
        return {};
    }
    return shards_[static_cast<std::size_t>(slot_shard_[slot])];
}

const NodeInfo* SlotTable::master(std::uint16_t slot) const noexcept {
    const auto nodes = (*this)[slot];
    return nodes.empty() ? nullptr : &nodes.front();
}

std::uint64_t SlotTable::config_epoch(std::uint16_t slot) const noexcept {
    return covered(slot) ? shard_epochs_[static_cast<std::size_t>(slot_shard_[slot])] : 0;
}

bool SlotTable::covered(std::uint16_t slot) const noexcept { return slot < kSlotCount && slot_shard_[slot] >= 0; }

std::vector<SlotRange> SlotTable::ranges() const {
    std::vector<SlotRange> result;
    for (unsigned slot = 0; slot < kSlotCount; ++slot) {
        const auto shard = slot_shard_[slot];
        if (shard < 0) {
            continue;
        }
        const auto last_slot = static_cast<std::uint16_t>(slot);
        if (!result.empty() && result.back().last + 1U == slot &&
            result.back().master.name == shards_[static_cast<std::size_t>(shard)].front().name) {
            result.back().last = last_slot;
            continue;
        }
        const auto& nodes = shards_[static_cast<std::size_t>(shard)];
        result.push_back(SlotRange{last_slot, last_slot, nodes.front(), {nodes.begin() + 1, nodes.end()},
                                   shard_epochs_[static_cast<std::size_t>(shard)]});
    }
    return result;
}

}  // namespace rediscluster
