// libFuzzer target for topology parsing: arbitrary bytes are parsed as RESP
// replies, each reply is read as a CLUSTER SLOTS answer and built into a
// SlotTable. Only the library's typed errors may come out; the table must
// stay consistent with the ranges it was built from.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rediscluster/nodes.hpp"
#include "rediscluster/resp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace rediscluster;
    ParserLimits limits;
    limits.max_bulk_length = 4096;
    limits.max_elements = 256;
    ReplyParser parser(limits);
    parser.feed(std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        Reply reply;
        while (parser.next(reply)) {
            try {
                const auto ranges = parse_cluster_slots(reply, "10.0.0.1");
                const SlotTable table(ranges);
                std::size_t covered = 0;
                for (unsigned slot = 0; slot < kSlotCount; ++slot) {
                    const auto nodes = table[static_cast<std::uint16_t>(slot)];
                    if (!nodes.empty()) {
                        ++covered;
                        if (!nodes.front().is_master() || nodes.front().host.empty()) std::abort();
                    }
                }
                if (covered != table.size()) std::abort();
                const SlotTable rebuilt(table.ranges());
                if (rebuilt.size() != table.size()) std::abort();
            } catch (const ProtocolError&) {
            } catch (const ClusterError&) {
            }
        }
    } catch (const ProtocolError&) {
    }
    return 0;
}
