#include "detail/topology_merge.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "rediscluster/errors.hpp"

namespace rediscluster::detail {
namespace {

// Who owns one slot after the merge: a claim of some view, or a pin; a
// claim that names the pinned owner keeps the pin too.
struct Owner {
    const SlotRange* claim = nullptr;
    const MovedPin* pin = nullptr;
    bool operator==(const Owner&) const = default;
};

SlotRange range_of(const Owner& owner, std::uint16_t slot) {
    if (owner.claim == nullptr) {
        // The MOVED target displaced an owner, so its epoch is above that
        // owner's: the best lower bound the client has.
        return SlotRange{slot, slot, owner.pin->owner, owner.pin->replicas,
                         std::max(owner.pin->displaced_epoch + 1, owner.pin->confirmed_epoch)};
    }
    SlotRange range = *owner.claim;
    range.first = range.last = slot;
    return range;
}

}  // namespace

MergedTopology merge_topology(std::span<const std::vector<SlotRange>> views, std::span<const MovedPin> pins) {
    std::vector<Owner> owners(kSlotCount);
    for (const auto& view : views) {
        for (const auto& range : view) {
            for (unsigned slot = range.first; slot <= range.last && slot < kSlotCount; ++slot) {
                auto& best = owners[slot].claim;
                if (best == nullptr || range.config_epoch > best->config_epoch) best = &range;
            }
        }
    }
    for (const auto& pin : pins) {
        for (unsigned slot = pin.first; slot <= pin.last && slot < kSlotCount; ++slot) {
            const SlotRange* claim = owners[slot].claim;
            const bool confirmed = claim != nullptr && claim->master.name == pin.owner.name;
            const bool newer_change = claim != nullptr && !confirmed &&
                                      claim->config_epoch > std::max(pin.displaced_epoch, pin.confirmed_epoch);
            if (newer_change) continue;
            // The pin stays, so that a later answer from before the move is
            // refused too; a view that names the same owner tells more of it
            // (its replicas, its epoch).
            owners[slot] = Owner{confirmed ? claim : nullptr, &pin};
        }
    }

    MergedTopology merged;
    const Owner* previous = nullptr;
    for (unsigned slot = 0; slot < kSlotCount; ++slot) {
        const Owner& owner = owners[slot];
        const auto at = static_cast<std::uint16_t>(slot);
        if (owner.claim == nullptr && owner.pin == nullptr) {
            previous = nullptr;
            continue;
        }
        ++merged.covered;
        if (previous != nullptr && *previous == owner) {
            merged.ranges.back().last = at;
            if (owner.pin != nullptr) merged.pins.back().last = at;
        } else {
            merged.ranges.push_back(range_of(owner, at));
            if (owner.pin != nullptr) {
                MovedPin kept = *owner.pin;
                kept.first = kept.last = at;
                if (owner.claim != nullptr) kept.confirmed_epoch = std::max(kept.confirmed_epoch, owner.claim->config_epoch);
                merged.pins.push_back(std::move(kept));
            }
        }
        previous = &owner;
    }
    return merged;
}

namespace {

[[noreturn]] void bad_line(std::size_t line, const std::string& expected, std::string_view got) {
    throw ProtocolError("CLUSTER NODES line " + std::to_string(line) + ": expected " + expected + ", got '" +
                        std::string(got.substr(0, 200)) + "'");
}

}  // namespace

std::map<std::string, std::uint64_t> parse_config_epochs(const Reply& reply, std::string_view responder_host,
                                                        const HostPortRemap& remap) {
    if (!reply.is_string()) {
        throw ProtocolError("CLUSTER NODES: expected the node list as a string, got " + reply.to_debug_string());
    }
    std::map<std::string, std::uint64_t> epochs;
    const std::string_view text = reply.str();
    std::size_t line_number = 0;
    for (std::size_t at = 0; at < text.size();) {
        auto end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(at, end - at);
        at = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        // <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> [slots]
        std::array<std::string_view, 8> fields;
        std::size_t count = 0;
        for (std::size_t from = 0; from <= line.size() && count < fields.size();) {
            auto space = line.find(' ', from);
            if (space == std::string_view::npos) space = line.size();
            fields[count++] = line.substr(from, space - from);
            from = space + 1;
        }
        if (count < fields.size()) bad_line(line_number, "at least 8 fields", line);
        std::uint64_t epoch = 0;
        const auto epoch_text = fields[6];
        const auto parsed = std::from_chars(epoch_text.data(), epoch_text.data() + epoch_text.size(), epoch);
        if (parsed.ec != std::errc{} || parsed.ptr != epoch_text.data() + epoch_text.size()) {
            bad_line(line_number, "a config epoch as field 7", line);
        }
        const std::string_view address = fields[1];
        const auto at_sign = address.find('@');
        const std::string_view host_port = address.substr(0, at_sign);
        const auto colon = host_port.rfind(':');
        if (at_sign == std::string_view::npos || colon == std::string_view::npos) {
            bad_line(line_number, "an address as ip:port@cport", line);
        }
        unsigned port = 0;
        const auto port_text = host_port.substr(colon + 1);
        const auto port_parsed = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (port_parsed.ec != std::errc{} || port_parsed.ptr != port_text.data() + port_text.size() || port > 65535) {
            bad_line(line_number, "a port number in 0..65535", line);
        }
        ++line_number;
        if (port == 0) continue;  // no address (noaddr): nobody can reach it
        const auto add = [&](std::string_view host) {
            const auto mapped = remap.apply(HostPort{std::string(host), static_cast<std::uint16_t>(port)});
            epochs[node_name(mapped.host, mapped.port)] = epoch;
        };
        const std::string_view ip = host_port.substr(0, colon);
        add(ip.empty() ? responder_host : ip);
        // After the cluster bus port: ",hostname" (and, in later servers,
        // ",key=value" extras, which are not host names).
        const std::string_view rest = address.substr(at_sign);
        if (const auto comma = rest.find(','); comma != std::string_view::npos) {
            std::string_view hostname = rest.substr(comma + 1);
            hostname = hostname.substr(0, hostname.find(','));
            if (!hostname.empty() && hostname.find('=') == std::string_view::npos) add(hostname);
        }
    }
    return epochs;
}

void assign_config_epochs(std::vector<SlotRange>& ranges, const std::map<std::string, std::uint64_t>& epochs) {
    for (auto& range : ranges) {
        if (const auto it = epochs.find(range.master.name); it != epochs.end()) range.config_epoch = it->second;
    }
}

}  // namespace rediscluster::detail
