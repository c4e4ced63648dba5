#pragma once

// Where a command without keys goes in a cluster and how the answers of
// several nodes become one, in the terms of the tips the server's COMMAND
// reply lists for each command (Redis 7): "request_policy:all_shards",
// "response_policy:agg_sum" and so on. The built-in routing table speaks
// the same terms, for when the server's table cannot be had.

#include <cstdint>
#include <optional>
#include <string_view>

namespace rediscluster::detail {

/// request_policy: which nodes a command goes to.
enum class RequestPolicy : std::uint8_t {
    Default,     // no tip: by its keys, or any one node without keys
    AllShards,   // every master (DBSIZE, KEYS, SCRIPT EXISTS)
    AllNodes,    // every node, replicas included (CONFIG SET, SCRIPT LOAD)
    MultiShard,  // its keys, split by slot (MGET, DEL): routed by the keys
    Special,     // needs rules of its own (SCAN)
};

/// response_policy: how the replies of the nodes become one.
enum class ResponsePolicy : std::uint8_t {
    Default,        // no tip: arrays concatenated, maps merged, else any one reply
    OneSucceeded,   // the first reply that is not an error (SCRIPT KILL)
    AllSucceeded,   // the first error if any, else the first reply (CONFIG SET)
    AggLogicalAnd,  // integers (or arrays of them, element-wise) ANDed (SCRIPT EXISTS)
    AggLogicalOr,   // ... ORed
    AggMin,         // the least integer
    AggMax,         // the greatest integer
    AggSum,         // integers added (DBSIZE)
    Special,        // a map from each node's name to its reply (INFO)
};

/// What one tip says; a tip about something else ("nondeterministic_output")
/// or with a value this client does not know leaves both unset.
struct PolicyTip {
    std::optional<RequestPolicy> request = std::nullopt;
    std::optional<ResponsePolicy> response = std::nullopt;
};

/// Reads one tip of a COMMAND entry, e.g. "request_policy:all_nodes".
[[nodiscard]] PolicyTip parse_policy_tip(std::string_view tip) noexcept;

[[nodiscard]] std::string_view to_string(RequestPolicy policy) noexcept;
[[nodiscard]] std::string_view to_string(ResponsePolicy policy) noexcept;

}  // namespace rediscluster::detail
