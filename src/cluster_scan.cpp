#include "detail/cluster_scan.hpp"

#include <algorithm>
#include <optional>

namespace rediscluster::detail {

namespace {

// The index of the table's shard whose master is `node`, if any.
std::optional<int> shard_of_master(const SlotTable& table, const std::string& node) {
    for (std::size_t i = 0; i < table.shard_count(); ++i) {
        const auto members = table.shard(i);
        if (!members.empty() && members.front().name == node) return static_cast<int>(i);
    }
    return std::nullopt;
}

template <class Visit>
void for_each_slot(const ScanShard& shard, Visit&& visit) {
    for (const auto& span : shard.spans) {
        for (unsigned slot = span.first; slot <= span.last; ++slot) {
            if (!visit(static_cast<std::uint16_t>(slot))) return;
        }
    }
}

}  // namespace

std::vector<ScanShard> plan_scan_shards(const SlotTable& table) {
    std::vector<ScanShard> shards;
    std::vector<std::string> masters;  // of `shards`, in the same order
    for (const auto& range : table.ranges()) {
        const auto known = std::find(masters.begin(), masters.end(), range.master.name);
        if (known == masters.end()) {
            masters.push_back(range.master.name);
            shards.push_back({.spans = {{range.first, range.last}}});
        } else {
            shards[static_cast<std::size_t>(known - masters.begin())].spans.push_back({range.first, range.last});
        }
    }
    return shards;
}

ScanShard single_slot_shard(std::uint16_t slot) { return {.spans = {{slot, slot}}}; }

ClusterScan::ClusterScan(std::vector<ScanShard> shards) : shards_(std::move(shards)) {
    // A shard without slots has nothing to route its calls by; nothing
    // serves it, so there is nothing to walk.
    std::erase_if(shards_, [](const ScanShard& shard) { return shard.spans.empty(); });
}

ScanCall ClusterScan::next_call(const SlotTable& table) {
    if (!node_.empty()) {
        const NodeInfo* master = table.master(slot_);
        if (master != nullptr && master->name == node_) return {slot_, cursor_};
        // Its slot moved away, but the node may still serve others of the
        // shard (a migration): the cursor stays good there.
        if (find_slot_of_node(table, slot_)) return {slot_, cursor_};
        ++restarts_;  // the node serves none of them: a failover
    }
    start_shard(table);
    return {slot_, 0};
}

void ClusterScan::record_reply(const SlotTable& table, std::uint64_t cursor) {
    const NodeInfo* master = table.master(slot_);
    if (master == nullptr || master->name != node_) {
        // The slot changed hands during the call: the reply came from the
        // old node or the new one, and its cursor means something on that
        // one only.
        ++restarts_;
        node_.clear();
        cursor_ = 0;
        return;
    }
    if (cursor == 0) {
        ++current_;
        node_.clear();
    }
    cursor_ = cursor;
}

void ClusterScan::start_shard(const SlotTable& table) {
    const auto& shard = shards_[current_];
    cursor_ = 0;
    slot_ = shard.spans.front().first;
    node_.clear();
    // The node serving the most of the shard's slots: the whole shard
    // after a failover, and the one that kept most of it after a
    // migration. Ties go to the node of the first such slot.
    std::vector<std::size_t> counts(table.shard_count(), 0);
    for_each_slot(shard, [&](std::uint16_t slot) {
        if (const int index = table.shard_of(slot); index >= 0) ++counts[static_cast<std::size_t>(index)];
        return true;
    });
    const auto most = std::max_element(counts.begin(), counts.end());
    if (most == counts.end() || *most == 0) return;  // nothing serves it now: the call's routing will say so
    for_each_slot(shard, [&](std::uint16_t slot) {
        const int index = table.shard_of(slot);
        if (index < 0 || counts[static_cast<std::size_t>(index)] != *most) return true;
        slot_ = slot;
        node_ = table.shard(static_cast<std::size_t>(index)).front().name;
        return false;
    });
}

bool ClusterScan::find_slot_of_node(const SlotTable& table, std::uint16_t& slot) const {
    const auto index = shard_of_master(table, node_);
    if (!index) return false;
    bool found = false;
    for_each_slot(shards_[current_], [&](std::uint16_t candidate) {
        if (table.shard_of(candidate) != *index) return true;
        slot = candidate;
        found = true;
        return false;
    });
    return found;
}

}  // namespace rediscluster::detail
