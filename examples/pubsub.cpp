// A chat room and an order feed: a PubSub subscribed to a channel, a
// pattern and a shard channel, a publisher thread, and a consumer that
// runs callbacks until it has seen what it waited for.
//
// Usage: pubsub [port]   (default 7000; start the cluster first:
//                         scripts/local-cluster start)

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "rediscluster/rediscluster.hpp"

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
    try {
        rediscluster::RedisCluster rc({.startup_nodes = {{"127.0.0.1", port}}});
        auto pubsub = rc.pubsub();
        pubsub.subscribe({"chat:lobby"});
        pubsub.psubscribe({"chat:room:*"});
        // Sharded: lives on the master of the channel's slot, and follows
        // that slot through failovers and migrations.
        pubsub.ssubscribe({"orders:{eu}"});

        std::thread publisher([&] {
            rc.publish("chat:lobby", "hello, lobby");
            rc.publish("chat:room:42", "hello, room 42");
            rc.spublish("orders:{eu}", "order 1001 placed");
        });

        int seen = 0;
        pubsub.run([&](const rediscluster::PubSubMessage& message) {
            using Kind = rediscluster::PubSubMessage::Kind;
            switch (message.kind) {
                case Kind::message: std::printf("[%s] %s\n", message.channel.c_str(), message.payload.c_str()); break;
                case Kind::pmessage:
                    std::printf("[%s via %s] %s\n", message.channel.c_str(), message.pattern.c_str(),
                                message.payload.c_str());
                    break;
                case Kind::smessage:
                    std::printf("[shard %s] %s\n", message.channel.c_str(), message.payload.c_str());
                    break;
                case Kind::resubscribed:
                    std::printf("(%s subscribed again on %s)\n", message.channel.c_str(), message.node.c_str());
                    return;
                case Kind::dropped: std::printf("(%llu messages dropped)\n", static_cast<unsigned long long>(message.dropped)); return;
                case Kind::connection_error: std::printf("(connection to %s failed)\n", message.node.c_str()); return;
            }
            if (++seen == 3) pubsub.stop();
        });
        publisher.join();
        std::printf("received %d messages\n", seen);
        return seen == 3 ? 0 : 1;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
