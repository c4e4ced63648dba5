// libFuzzer target for CLUSTER SHARDS parsing: arbitrary bytes are parsed as
// RESP replies, each reply is read as a CLUSTER SHARDS answer. The parser
// promises ProtocolError and nothing else for a reply of the wrong shape;
// what it returns must be usable as it is: every range inside 0..16383 with
// its start not after its end, a reachable master first (non-empty host,
// port not 0), replicas just as reachable, names matching the addresses,
// and the remap applied to every node. A SlotTable built from the ranges
// may refuse them only with ClusterError (two masters for one slot).

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"
#include "rediscluster/resp.hpp"

namespace {

using namespace rediscluster;

void check_node(const NodeInfo& node, std::string_view server_type) {
    if (node.host.empty() || node.port == 0 || node.server_type != server_type ||
        node.name != node_name(node.host, node.port)) {
        std::abort();
    }
}

void check_ranges(const std::vector<SlotRange>& ranges) {
    for (const auto& range : ranges) {
        if (range.first > range.last || range.last >= kSlotCount) std::abort();
        check_node(range.master, "master");
        for (const auto& replica : range.replicas) check_node(replica, "slave");
    }
}

void check_one(const Reply& reply) {
    // Every address goes to one host, so where each node came from (its
    // endpoint, the responder's host) no longer shows.
    static const HostPortRemap remap([](const HostPort& address) {
        return HostPort{"remapped", static_cast<std::uint16_t>(address.port | 1U)};
    });
    std::vector<SlotRange> ranges;
    try {
        ranges = parse_cluster_shards(reply, "10.0.0.1");
    } catch (const ProtocolError&) {
        // The remap cannot turn a wrong shape into a right one, or back.
        try {
            (void)parse_cluster_shards(reply, "10.0.0.1", remap);
        } catch (const ProtocolError&) {
            return;
        }
        std::abort();
    }
    check_ranges(ranges);

    std::vector<SlotRange> mapped;
    try {
        mapped = parse_cluster_shards(reply, "10.0.0.1", remap);
    } catch (const ProtocolError&) {
        std::abort();
    }
    if (mapped.size() != ranges.size()) std::abort();
    for (std::size_t i = 0; i < mapped.size(); ++i) {
        const auto& range = mapped[i];
        if (range.first != ranges[i].first || range.last != ranges[i].last ||
            range.replicas.size() != ranges[i].replicas.size() || range.master.host != "remapped" ||
            range.master.port != static_cast<std::uint16_t>(ranges[i].master.port | 1U)) {
            std::abort();
        }
        for (const auto& replica : range.replicas) {
            if (replica.host != "remapped") std::abort();
        }
    }

    try {
        const SlotTable table(ranges);
        std::size_t covered = 0;
        for (const auto& range : ranges) {
            for (unsigned slot = range.first; slot <= range.last; ++slot) {
                const auto* master = table.master(static_cast<std::uint16_t>(slot));
                if (master == nullptr || *master != range.master) std::abort();
            }
            covered += range.last - range.first + 1U;
        }
        // Ranges may overlap when they agree on the master, so the table
        // covers at most the sum of their sizes.
        if (table.size() > covered) std::abort();
    } catch (const ClusterError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ParserLimits limits;
    limits.max_bulk_length = 4096;
    limits.max_elements = 256;
    ReplyParser parser(limits);
    parser.feed(std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        Reply reply;
        while (parser.next(reply)) {
            check_one(reply);
        }
    } catch (const ProtocolError&) {
        // Not RESP at all: the reply parser's own fuzzer covers that.
    }
    return 0;
}
