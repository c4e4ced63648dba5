// libFuzzer target for ReplyParser.
//
// The first input byte picks a chunk size; the rest is the byte stream. The
// stream is parsed twice, whole and in chunks, with small limits so the limit
// paths are reached. Besides "no crash, no leak, no UB" (the sanitizers),
// the two runs must agree: the same replies, and an error in one run iff
// there is one in the other.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "rediscluster/resp.hpp"

namespace {

using rediscluster::ParserLimits;
using rediscluster::ProtocolError;
using rediscluster::Reply;
using rediscluster::ReplyParser;
using rediscluster::ReplyType;

struct Outcome {
    std::vector<Reply> replies;
    bool failed = false;
};

Outcome parse(std::string_view stream, std::size_t chunk) {
    ParserLimits limits;
    limits.max_bulk_length = 1 << 16;
    limits.max_elements = 512;
    limits.max_depth = 6;
    limits.max_line_length = 256;
    ReplyParser parser(limits);
    Outcome outcome;
    try {
        for (std::size_t at = 0; at < stream.size(); at += chunk) {
            parser.feed(stream.substr(at, chunk));
            Reply reply;
            while (parser.next(reply)) {
                // Touch what a user would: rendering walks the whole tree.
                (void)reply.to_debug_string();
                outcome.replies.push_back(std::move(reply));
            }
        }
    } catch (const ProtocolError&) {
        outcome.failed = true;
    }
    return outcome;
}

// Structural equality where NaN equals NaN (Reply's == follows IEEE).
bool same(const Reply& a, const Reply& b) {
    if (a.type() != b.type() || a.size() != b.size() ||
        a.attributes().size() != b.attributes().size()) {
        return false;
    }
    switch (a.type()) {
        case ReplyType::Null: break;
        case ReplyType::Integer: if (a.integer() != b.integer()) return false; break;
        case ReplyType::Boolean: if (a.boolean() != b.boolean()) return false; break;
        case ReplyType::Double: {
            const double x = a.double_value();
            const double y = b.double_value();
            if (std::memcmp(&x, &y, sizeof x) != 0) return false;
            break;
        }
        case ReplyType::Array:
        case ReplyType::Map:
        case ReplyType::Set:
        case ReplyType::Push:
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (!same(a[i], b[i])) return false;
            }
            break;
        case ReplyType::VerbatimString:
            if (a.verbatim_format() != b.verbatim_format()) return false;
            [[fallthrough]];
        default:
            if (a.str() != b.str()) return false;
    }
    for (std::size_t i = 0; i < a.attributes().size(); ++i) {
        if (!same(a.attributes()[i], b.attributes()[i])) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::size_t chunk = 1 + data[0] % 17;
    const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

    const Outcome whole = parse(stream, stream.size() + 1);
    const Outcome pieces = parse(stream, chunk);
    if (whole.failed != pieces.failed || whole.replies.size() != pieces.replies.size()) {
        std::abort();
    }
    for (std::size_t i = 0; i < whole.replies.size(); ++i) {
        if (!same(whole.replies[i], pieces.replies[i])) {
            std::abort();
        }
    }
    return 0;
}
