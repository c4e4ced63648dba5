// CLUSTER SHARDS (Redis 7.0+) → the slot ranges parse_cluster_slots() gives.
//
// Unlike CLUSTER SLOTS, every shard and node is a map ("slots", "nodes";
// "endpoint", "port", "role", "health", ...). RESP3 sends real maps; RESP2
// sends the same keys and values as a flat array, so both are read through
// one view of key/value pairs. Keys the parser does not use are skipped, so
// fields added by later servers do not break discovery.

#include <optional>
#include <span>
#include <string>

#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster {
namespace {

// Where in the reply a shape error was found, for the message:
// `CLUSTER SHARDS shard 2 node 1 field "port"`.
struct Location {
    std::size_t shard = 0;
    std::optional<std::size_t> node = std::nullopt;
    std::string_view field = {};

    [[nodiscard]] Location with_field(std::string_view name) const { return {shard, node, name}; }
};

[[noreturn]] void bad_shape(const Location& where, std::string_view expected, const Reply& got) {
    std::string message = "CLUSTER SHARDS shard " + std::to_string(where.shard);
    if (where.node) {
        message += " node " + std::to_string(*where.node);
    }
    if (!where.field.empty()) {
        message += " field \"" + std::string(where.field) + "\"";
    }
    message += ": expected " + std::string(expected) + ", got " + got.to_debug_string();
    throw ProtocolError(message);
}

// The keys and values of a RESP3 map, or of a RESP2 array standing for one.
std::span<const Reply> map_entries(const Location& where, const Reply& value) {
    const bool flat_map = value.type() == ReplyType::Array && value.size() % 2 == 0;
    if (value.type() != ReplyType::Map && !flat_map) {
        bad_shape(where, "a map (or a flat array of keys and values)", value);
    }
    return value.elements();
}

// The value of `key`, or nullptr when absent. A key that is not a string
// cannot be one of ours and is skipped like any unknown key.
const Reply* find_field(std::span<const Reply> entries, std::string_view key) {
    for (std::size_t i = 0; i + 1 < entries.size(); i += 2) {
        if (entries[i].is_string() && entries[i].str() == key) {
            return &entries[i + 1];
        }
    }
    return nullptr;
}

const Reply& required_field(const Location& where, const Reply& map, std::span<const Reply> entries,
                            std::string_view key) {
    const Reply* value = find_field(entries, key);
    if (value == nullptr) {
        bad_shape(where, "a field \"" + std::string(key) + "\"", map);
    }
    return *value;
}

// A port field: 0 when absent (Redis leaves out a port the node does not
// listen on).
std::uint16_t port_field(const Location& where, std::span<const Reply> entries, std::string_view key) {
    const Reply* value = find_field(entries, key);
    if (value == nullptr) {
        return 0;
    }
    if (value->type() != ReplyType::Integer || value->integer() < 0 || value->integer() > 65535) {
        bad_shape(where.with_field(key), "a port number in 0..65535", *value);
    }
    return static_cast<std::uint16_t>(value->integer());
}

std::uint16_t slot_number(const Location& where, const Reply& value) {
    if (value.type() != ReplyType::Integer || value.integer() < 0 || value.integer() >= kSlotCount) {
        bad_shape(where, "a slot number in 0..16383", value);
    }
    return static_cast<std::uint16_t>(value.integer());
}

struct ShardNode {
    bool master = false;
    bool online = true;
    // Unset when the cluster does not know how to reach the node.
    std::optional<HostPort> address;
};

ShardNode parse_node(const Location& where, const Reply& node, std::string_view responder_host) {
    const auto entries = map_entries(where, node);
    ShardNode parsed;

    const Reply& role = required_field(where, node, entries, "role");
    if (!role.is_string() || (role.str() != "master" && role.str() != "replica")) {
        bad_shape(where.with_field("role"), "\"master\" or \"replica\"", role);
    }
    parsed.master = role.str() == "master";

    // Redis 7.0 says "fail" where its documentation says "failed"; anything
    // but "online" means the node cannot serve reads now, whatever the word.
    if (const Reply* health = find_field(entries, "health")) {
        if (!health->is_string()) {
            bad_shape(where.with_field("health"), "a health string (\"online\", \"failed\", \"loading\")", *health);
        }
        parsed.online = health->str() == "online";
    }

    const Reply& endpoint = required_field(where, node, entries, "endpoint");
    if (!(endpoint.is_null() || endpoint.is_string())) {
        bad_shape(where.with_field("endpoint"), "a host string", endpoint);
    }
    // Both ports are checked even when the first one is used, so a broken
    // reply is reported whichever port the cluster happens to announce.
    const auto port = port_field(where, entries, "port");
    const auto tls_port = port_field(where, entries, "tls-port");
    const std::uint16_t usable_port = port != 0 ? port : tls_port;

    const std::string_view host = endpoint.is_null() ? std::string_view{} : endpoint.str();
    if (host == "?" || usable_port == 0) {
        return parsed;  // announced as unknown: no way to reach it
    }
    // An empty (or null) endpoint means "the host you asked".
    parsed.address = HostPort{std::string(host.empty() ? responder_host : host), usable_port};
    return parsed;
}

NodeInfo mapped_node(const HostPortRemap& remap, const HostPort& address, std::string server_type) {
    auto mapped = remap.apply(address);
    return make_node(std::move(mapped.host), mapped.port, std::move(server_type));
}

}  // namespace

std::vector<SlotRange> parse_cluster_shards(const Reply& reply, std::string_view responder_host,
                                            const HostPortRemap& remap) {
    if (reply.type() != ReplyType::Array) {
        throw ProtocolError("CLUSTER SHARDS: expected an array of shards, got " + reply.to_debug_string());
    }
    std::vector<SlotRange> ranges;
    for (std::size_t shard = 0; shard < reply.size(); ++shard) {
        const Location where{.shard = shard};
        const Reply& item = reply[shard];
        const auto entries = map_entries(where, item);

        // Slots: a flat list of start, end, start, end, ... (empty for a
        // shard that serves no slot, such as a master just added).
        const Reply& slots = required_field(where, item, entries, "slots");
        const auto slots_at = where.with_field("slots");
        if (slots.type() != ReplyType::Array || slots.size() % 2 != 0) {
            bad_shape(slots_at, "an array of start and end slot pairs", slots);
        }
        std::vector<std::pair<std::uint16_t, std::uint16_t>> pairs;
        for (std::size_t i = 0; i < slots.size(); i += 2) {
            const auto first = slot_number(slots_at, slots[i]);
            const auto last = slot_number(slots_at, slots[i + 1]);
            if (first > last) {
                bad_shape(slots_at, "a start slot not after its end slot", slots);
            }
            pairs.emplace_back(first, last);
        }

        const Reply& nodes = required_field(where, item, entries, "nodes");
        if (nodes.type() != ReplyType::Array) {
            bad_shape(where.with_field("nodes"), "an array of nodes", nodes);
        }
        // Every node is checked, reachable or not, so a malformed reply is
        // reported the same way whichever node happens to be down.
        std::optional<std::size_t> master_index;
        std::optional<HostPort> master;
        std::vector<NodeInfo> replicas;
        for (std::size_t index = 0; index < nodes.size(); ++index) {
            const Location node_at{.shard = shard, .node = index};
            const auto node = parse_node(node_at, nodes[index], responder_host);
            if (node.master) {
                if (master_index) {
                    // Two owners for the same slots: no way to tell which is
                    // right, so the answer is not used at all.
                    bad_shape(node_at,
                              "at most one node with role \"master\" per shard (node " +
                                  std::to_string(*master_index) + " is one already)",
                              nodes[index]);
                }
                master_index = index;
                // Kept whatever its health: until a replica takes over, the
                // failed master is still the slots' owner, and a client
                // that tries it gets a clear connection error and refreshes.
                master = node.address;
            } else if (node.online && node.address) {
                // A failed or loading replica cannot serve reads; CLUSTER
                // SLOTS lists loading ones, this is what SHARDS adds.
                replicas.push_back(mapped_node(remap, *node.address, "slave"));
            }
        }
        if (!master) {
            continue;  // its slots stay uncovered until the master is known
        }
        const NodeInfo master_node = mapped_node(remap, *master, "master");
        for (const auto& [first, last] : pairs) {
            ranges.push_back(SlotRange{first, last, master_node, replicas});
        }
    }
    return ranges;
}

}  // namespace rediscluster
