#pragma once

// A command sent to every master or every node, as parts: one copy of the
// command per master (or node), each with facts of its own, so that the
// blocking driver runs each part by its own state machine (a part that
// fails on one node is retried there, and only there), and then one reply
// made of theirs by the command's response policy. Both halves are pure.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "detail/command_policy.hpp"
#include "detail/request.hpp"
#include "rediscluster/nodes.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::detail {

/// One copy of the command, and the node it is meant for.
struct FanOutPart {
    CommandFacts facts;
    /// "host:port" of the node as the slot table had it (the key of the
    /// Special policy's map).
    std::string node_name;
};

/// The parts of a command whose facts say AllMasters or AllNodes, by
/// `table`. AllMasters: one per shard, routed by a slot the shard serves
/// (slot_picks_shard), so a part follows its shard through a failover.
/// AllNodes: one per node, replicas included, each bound to its node.
/// Every part writes to a master or to its own node: read_only is false.
/// Empty when the table knows no node.
[[nodiscard]] std::vector<FanOutPart> plan_fan_out(const CommandFacts& facts, const SlotTable& table);

/// The replies of the parts combined: `reply`, unless a part's error reply
/// is the answer (`error_part`), or the replies do not fit the policy
/// (`mismatch` says how, e.g. an integer was expected).
struct CombinedReply {
    Reply reply{};
    std::optional<std::size_t> error_part = std::nullopt;
    std::string mismatch{};
};

/// Combines `replies` (one per part, in the order of the parts; moved
/// from) by `policy`. An error reply among them is the answer for every
/// policy but OneSucceeded, which answers with the first reply that is not
/// an error (the first error when all are). `node_names` (one per part)
/// key the Special policy's map.
[[nodiscard]] CombinedReply combine_replies(ResponsePolicy policy, std::span<Reply> replies,
                                            std::span<const std::string> node_names);

}  // namespace rediscluster::detail
