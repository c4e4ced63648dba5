#pragma once

// What a frame on a subscribed connection says. RESP2 sends pub/sub
// frames as arrays, RESP3 as pushes; both read the same here. Anything
// else on such a connection is a ProtocolError: the connection is then
// closed and its subscriptions made again elsewhere.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rediscluster/resp.hpp"

namespace rediscluster::detail {

enum class SubscriptionKind : std::uint8_t { channel, pattern, shard_channel };

/// "SUBSCRIBE", "PUNSUBSCRIBE"...
[[nodiscard]] std::string_view subscription_command(SubscriptionKind kind, bool subscribe) noexcept;

struct PubSubFrame {
    enum class Type {
        message,       // channel, payload; kind says which of the three
        subscribed,    // kind, channel (the name subscribed to)
        unsubscribed,  // kind, channel (empty when the server had nothing to drop)
        pong,
        error,  // an error reply: payload holds its text
    };
    Type type = Type::message;
    SubscriptionKind kind = SubscriptionKind::channel;
    std::string_view channel;
    std::string_view pattern;  // pmessage only
    std::string_view payload;
};

/// Reads `frame` (which it points into). Throws ProtocolError naming
/// `node` and what came for a frame of any other shape.
[[nodiscard]] PubSubFrame read_pubsub_frame(const Reply& frame, std::string_view node);

}  // namespace rediscluster::detail
