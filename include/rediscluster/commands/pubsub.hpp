#pragma once

// Publishing (part of Commands, commands.hpp). Subscribing is PubSub's
// (pubsub.hpp), made by RedisCluster::pubsub().

#include <cstdint>
#include <string_view>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// PUBLISH and SPUBLISH.
template <class Runner>
class PubSubCommands {
public:
    /// PUBLISH, sent to the master of the slot `channel` would have as a
    /// key: the cluster relays it to every node, and a channel published
    /// through one node reaches its subscribers in order. Returns the
    /// number of subscribers of that node that received it, not of the
    /// whole cluster.
    decltype(auto) publish(std::string_view channel, std::string_view message) {
        return detail::run<reply_readers::Integer>(self(), "PUBLISH", channel, message);
    }
    /// SPUBLISH on the master of `channel`'s slot: the number of its shard
    /// subscribers that received it.
    decltype(auto) spublish(std::string_view channel, std::string_view message) {
        return detail::run<reply_readers::Integer>(self(), "SPUBLISH", channel, message);
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
};

}  // namespace rediscluster
