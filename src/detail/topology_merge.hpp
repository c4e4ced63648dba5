#pragma once

// Settling what several nodes say about the cluster's layout into one slot
// map: pure functions over parsed answers, tested without sockets.
//
// Nodes learn of a failover or a slot migration at different moments, so
// one node's answer may be behind another's. The cluster settles such
// conflicts by config epoch: every new owner of a slot (a promoted replica,
// the target of a migration) takes an epoch above the last owner's, and the
// claim with the higher epoch wins. Discovery does the same with the
// answers it collects, and with the slots it learned from MOVED replies
// since, so the client's map never moves backwards.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rediscluster/nodes.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::detail {

/// Slots whose owner the client learned from a MOVED reply, ahead of what
/// discovery has confirmed.
struct MovedPin {
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    /// The node the MOVED named, with the replicas known for it then.
    NodeInfo owner;
    std::vector<NodeInfo> replicas;
    /// The config epoch of the owner the MOVED displaced (0: unknown). A
    /// later claim for these slots by another node counts only when its
    /// epoch is higher: anything else is an answer from before the move.
    std::uint64_t displaced_epoch = 0;
    /// The owner's own epoch, once an answer named it as the owner (0:
    /// not yet); another node's claim must beat this too.
    std::uint64_t confirmed_epoch = 0;
    bool operator==(const MovedPin&) const = default;
};

struct MergedTopology {
    /// One owner per slot, in slot order.
    std::vector<SlotRange> ranges;
    /// The pins no newer change has superseded.
    std::vector<MovedPin> pins;
    /// Slots covered by `ranges`.
    std::size_t covered = 0;
};

/// Merges the answers of several nodes (`views`, each one node's ranges
/// with the config epochs it knew) and the slots pinned by MOVED replies.
/// Per slot, the claim with the highest epoch wins; on equal epochs the
/// earlier view wins (discovery asks the node that sent the last MOVED
/// first). A pinned slot keeps its MOVED owner until a view names another
/// owner with an epoch above the displaced one and above the owner's own
/// (once known): a change newer than the MOVED, and the pin is dropped. A
/// view that names the pinned owner supplies its replicas and epoch; the
/// pin stays, because a node that has not heard of the move may be asked
/// next time. (Every real change of
/// owner raises the epoch, so a pin never holds one back; where epochs are
/// unknown, the next MOVED puts a pin right.)
[[nodiscard]] MergedTopology merge_topology(std::span<const std::vector<SlotRange>> views,
                                            std::span<const MovedPin> pins);

/// Config epochs by node name ("host:port", after `remap`), from a CLUSTER
/// NODES reply by the node at `responder_host`. A node that announces a
/// hostname is listed under both its address and its hostname; an empty
/// address means the responder's host; nodes without an address are left
/// out. Throws ProtocolError naming the line and what was expected when the
/// reply does not have the documented shape.
[[nodiscard]] std::map<std::string, std::uint64_t> parse_config_epochs(const Reply& reply,
                                                                       std::string_view responder_host,
                                                                       const HostPortRemap& remap = {});

/// Gives each range the config epoch `epochs` lists for its master.
void assign_config_epochs(std::vector<SlotRange>& ranges, const std::map<std::string, std::uint64_t>& epochs);

}  // namespace rediscluster::detail
