#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster {
namespace {

[[noreturn]] void bad_shape(std::size_t entry, const std::string& expected, const Reply& got) {
    throw ProtocolError("CLUSTER SLOTS entry " + std::to_string(entry) + ": expected " + expected + ", got " +
                        got.to_debug_string());
}

std::uint16_t slot_number(std::size_t entry, const Reply& value) {
    if (value.type() != ReplyType::Integer || value.integer() < 0 || value.integer() >= kSlotCount) {
        bad_shape(entry, "a slot number in 0..16383", value);
    }
    return static_cast<std::uint16_t>(value.integer());
}

// The endpoint of one node, or nothing when the cluster says it is unknown.
std::optional<HostPort> endpoint(std::size_t entry, const Reply& node, std::string_view responder_host) {
    if (node.type() != ReplyType::Array || node.size() < 2) {
        bad_shape(entry, "a node as an array of [host, port, ...]", node);
    }
    const Reply& host = node[0];
    const Reply& port = node[1];
    if (!(host.is_null() || host.is_string())) {
        bad_shape(entry, "a host string", host);
    }
    if (port.type() != ReplyType::Integer || port.integer() < 0 || port.integer() > 65535) {
        bad_shape(entry, "a port number in 0..65535", port);
    }
    const std::string_view name = host.is_null() ? std::string_view{} : host.str();
    if (name == "?" || port.integer() == 0) {
        return std::nullopt;  // announced as unknown: no way to reach it
    }
    // An empty (or null) host means "the host you asked".
    return HostPort{std::string(name.empty() ? responder_host : name), static_cast<std::uint16_t>(port.integer())};
}

}  // namespace

std::vector<SlotRange> parse_cluster_slots(const Reply& reply, std::string_view responder_host,
                                           const HostPortRemap& remap) {
    if (reply.type() != ReplyType::Array) {
        throw ProtocolError("CLUSTER SLOTS: expected an array of slot ranges, got " + reply.to_debug_string());
    }
    std::vector<SlotRange> ranges;
    for (std::size_t entry = 0; entry < reply.size(); ++entry) {
        const Reply& item = reply[entry];
        if (item.type() != ReplyType::Array || item.size() < 3) {
            bad_shape(entry, "an array of [first slot, last slot, master, replicas...]", item);
        }
        const auto first = slot_number(entry, item[0]);
        const auto last = slot_number(entry, item[1]);
        if (first > last) {
            bad_shape(entry, "a first slot not after the last slot", item);
        }
        const auto master = endpoint(entry, item[2], responder_host);
        std::vector<NodeInfo> replicas;
        for (std::size_t i = 3; i < item.size(); ++i) {
            if (const auto replica = endpoint(entry, item[i], responder_host)) {
                auto mapped = remap.apply(*replica);
                replicas.push_back(make_node(std::move(mapped.host), mapped.port, "slave"));
            }
        }
        if (!master) {
            continue;  // its slots stay uncovered until the master is known
        }
        auto mapped = remap.apply(*master);
        ranges.push_back(SlotRange{first, last, make_node(std::move(mapped.host), mapped.port, "master"),
                                   std::move(replicas)});
    }
    return ranges;
}

}  // namespace rediscluster
