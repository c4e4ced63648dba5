#include "detail/pubsub_frame.hpp"

#include <array>

#include "detail/ascii.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {
namespace {

[[noreturn]] void malformed(std::string_view node, const Reply& frame) {
    throw ProtocolError("malformed pub/sub frame from " + std::string(node) + ": " + frame.to_debug_string());
}

struct FrameName {
    std::string_view name;
    PubSubFrame::Type type;
    SubscriptionKind kind;
    std::size_t size;  // elements, the name included
};

constexpr auto kFrameNames = std::to_array<FrameName>({
    {"message", PubSubFrame::Type::message, SubscriptionKind::channel, 3},
    {"pmessage", PubSubFrame::Type::message, SubscriptionKind::pattern, 4},
    {"smessage", PubSubFrame::Type::message, SubscriptionKind::shard_channel, 3},
    {"subscribe", PubSubFrame::Type::subscribed, SubscriptionKind::channel, 3},
    {"psubscribe", PubSubFrame::Type::subscribed, SubscriptionKind::pattern, 3},
    {"ssubscribe", PubSubFrame::Type::subscribed, SubscriptionKind::shard_channel, 3},
    {"unsubscribe", PubSubFrame::Type::unsubscribed, SubscriptionKind::channel, 3},
    {"punsubscribe", PubSubFrame::Type::unsubscribed, SubscriptionKind::pattern, 3},
    {"sunsubscribe", PubSubFrame::Type::unsubscribed, SubscriptionKind::shard_channel, 3},
    {"pong", PubSubFrame::Type::pong, SubscriptionKind::channel, 2},
});

}  // namespace

std::string_view subscription_command(SubscriptionKind kind, bool subscribe) noexcept {
    switch (kind) {
        case SubscriptionKind::channel: return subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE";
        case SubscriptionKind::pattern: return subscribe ? "PSUBSCRIBE" : "PUNSUBSCRIBE";
        case SubscriptionKind::shard_channel: return subscribe ? "SSUBSCRIBE" : "SUNSUBSCRIBE";
    }
    return {};
}

PubSubFrame read_pubsub_frame(const Reply& frame, std::string_view node) {
    PubSubFrame out;
    if (frame.is_error()) {
        out.type = PubSubFrame::Type::error;
        out.payload = frame.str();
        return out;
    }
    // RESP3 answers PING on a subscribed connection as it would elsewhere.
    if (frame.type() == ReplyType::SimpleString && equal_ignoring_case(frame.str(), "PONG")) {
        out.type = PubSubFrame::Type::pong;
        return out;
    }
    if ((frame.type() != ReplyType::Array && frame.type() != ReplyType::Push) || frame.size() < 2 ||
        !frame[0].is_string()) {
        malformed(node, frame);
    }
    const auto name = frame[0].str();
    const FrameName* known = nullptr;
    for (const auto& candidate : kFrameNames) {
        if (equal_ignoring_case(candidate.name, name)) known = &candidate;
    }
    if (known == nullptr || frame.size() != known->size) malformed(node, frame);
    out.type = known->type;
    out.kind = known->kind;
    const auto text = [&](std::size_t index) {
        if (!frame[index].is_string()) malformed(node, frame);
        return frame[index].str();
    };
    switch (out.type) {
        case PubSubFrame::Type::message:
            if (out.kind == SubscriptionKind::pattern) {
                out.pattern = text(1);
                out.channel = text(2);
                out.payload = text(3);
            } else {
                out.channel = text(1);
                out.payload = text(2);
            }
            break;
        case PubSubFrame::Type::subscribed:
        case PubSubFrame::Type::unsubscribed:
            // The name (a null when an UNSUBSCRIBE found nothing to drop),
            // then the count of what is left.
            if (out.type == PubSubFrame::Type::subscribed || !frame[1].is_null()) out.channel = text(1);
            if (frame[2].type() != ReplyType::Integer) malformed(node, frame);
            break;
        case PubSubFrame::Type::pong:
            out.payload = text(1);
            break;
        case PubSubFrame::Type::error:
            break;
    }
    return out;
}

}  // namespace rediscluster::detail
