#pragma once

// Where a scan goes next: the decisions of a cluster-wide SCAN (and of a
// collection scan, a scan of one shard) as a state over slot tables,
// without I/O, so that every case of a failover or a migration is tested
// without a server.
//
// A scan visits shards one after the other. A shard is the set of slots
// one master served when the scan began; the shard's SCANs go to the node
// that serves the most of those slots now. A SCAN cursor belongs to the
// node that returned it (each server hashes keys with its own seed), so:
//
//   next_call(table)   the node the cursor belongs to still serves one of
//                      the shard's slots: SCAN it with the cursor, routed by
//                      such a slot. It serves none of them any more (a
//                      failover): start the shard again at 0, on the node
//                      that serves most of them.
//   record_reply(table, cursor)
//                      the slot the call was routed by is still served by
//                      the cursor's node: the call went there, keep its
//                      cursor (0: the shard is done, on to the next). Served
//                      by another node now: the call may have gone to either,
//                      so its cursor cannot be trusted; start the shard
//                      again at 0.
//
// A restart may return keys again, never loses one that stayed on the
// cluster throughout: every walk that is kept ran from 0 to 0 on one node.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rediscluster/nodes.hpp"

namespace rediscluster::detail {

/// A run of slots, both ends included.
struct SlotSpan {
    std::uint16_t first = 0;
    std::uint16_t last = 0;

    bool operator==(const SlotSpan&) const = default;
};

/// One shard to scan: the slots its master served when the scan began.
struct ScanShard {
    std::vector<SlotSpan> spans;

    bool operator==(const ScanShard&) const = default;
};

/// One shard per master of `table`, in the order of their first slot; a
/// master serving several ranges is one shard.
[[nodiscard]] std::vector<ScanShard> plan_scan_shards(const SlotTable& table);

/// The shard of the single slot `slot` (a collection scan).
[[nodiscard]] ScanShard single_slot_shard(std::uint16_t slot);

/// The next SCAN: route it by `slot`, send it with `cursor`.
struct ScanCall {
    std::uint16_t slot = 0;
    std::uint64_t cursor = 0;

    bool operator==(const ScanCall&) const = default;
};

class ClusterScan {
public:
    explicit ClusterScan(std::vector<ScanShard> shards);

    /// True once every shard has been walked to the end.
    [[nodiscard]] bool done() const noexcept { return current_ >= shards_.size(); }
    /// The next call, by `table` (the one the call will be routed by).
    /// Not when done().
    [[nodiscard]] ScanCall next_call(const SlotTable& table);
    /// The reply to the call next_call() returned: `cursor` is the one it
    /// carried, `table` the slot table after the call.
    void record_reply(const SlotTable& table, std::uint64_t cursor);

    [[nodiscard]] std::size_t shard_count() const noexcept { return shards_.size(); }
    [[nodiscard]] std::size_t shards_done() const noexcept { return current_; }
    /// Walks started again at 0 because the shard's node changed.
    [[nodiscard]] std::size_t restarts() const noexcept { return restarts_; }
    /// The node the current cursor belongs to ("host:port"); empty before
    /// the shard's first call.
    [[nodiscard]] const std::string& node() const noexcept { return node_; }

private:
    // Starts the current shard at 0 on the node serving most of its slots.
    void start_shard(const SlotTable& table);
    // A slot of the current shard `node_` serves in `table`, if any.
    [[nodiscard]] bool find_slot_of_node(const SlotTable& table, std::uint16_t& slot) const;

    std::vector<ScanShard> shards_;
    std::size_t current_ = 0;
    // The current shard's walk: the node its cursor belongs to (empty: not
    // begun), the slot its calls are routed by, the cursor.
    std::string node_;
    std::uint16_t slot_ = 0;
    std::uint64_t cursor_ = 0;
    std::size_t restarts_ = 0;
};

}  // namespace rediscluster::detail
