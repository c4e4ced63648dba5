// PubSub on the plain test cluster: channels, patterns and shard channels
// across every slot, in order; unsubscribing; a consumer that falls
// behind; RESP3; bad input; connections closed on every path.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_env.hpp"
#include "rediscluster/client.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;

RedisClusterOptions options_for(int protocol = 2, std::string client_name = "pubsub-test") {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", test::plain_port()}};
    options.connection_kwargs.protocol = protocol;
    options.connection_kwargs.client_name = std::move(client_name);
    return options;
}

// `count` channel names whose slots are spread over the whole slot range
// and over every master.
std::vector<std::string> channels_over_all_slots(std::string_view prefix, int count) {
    // One channel in each of `count` equal bands of slots.
    std::vector<std::string> names(static_cast<std::size_t>(count));
    int filled = 0;
    for (int i = 0; filled < count && i < 1'000'000; ++i) {
        auto name = std::string(prefix) + std::to_string(i);
        auto& band = names[static_cast<std::size_t>(key_slot(name) * count / 16384)];
        if (band.empty()) {
            band = std::move(name);
            ++filled;
        }
    }
    return names;
}

// Waits for `count` messages, failing the test after `limit`.
std::vector<PubSubMessage> receive(PubSub& pubsub, std::size_t count, std::chrono::milliseconds limit = 10s) {
    std::vector<PubSubMessage> messages;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (messages.size() < count && std::chrono::steady_clock::now() < deadline) {
        if (auto message = pubsub.get_message(100ms)) messages.push_back(std::move(*message));
    }
    EXPECT_EQ(messages.size(), count);
    return messages;
}

// Publishes `total` messages round robin over `channels` ("<index>" as
// payload, counting per channel), and checks every one arrives once, in
// order per channel.
void publish_and_check_order(RedisCluster& rc, PubSub& pubsub, const std::vector<std::string>& channels, bool sharded,
                             int total) {
    std::map<std::string, int> sent;
    for (int i = 0; i < total; ++i) {
        const auto& channel = channels[static_cast<std::size_t>(i) % channels.size()];
        const auto payload = std::to_string(sent[channel]++);
        const auto receivers = sharded ? rc.spublish(channel, payload) : rc.publish(channel, payload);
        if (sharded) {
            ASSERT_EQ(receivers, 1) << channel;
        }
    }
    std::map<std::string, int> received;
    for (const auto& message : receive(pubsub, static_cast<std::size_t>(total))) {
        ASSERT_EQ(message.kind, sharded ? PubSubMessage::Kind::smessage : PubSubMessage::Kind::message);
        auto& next = received[message.channel];
        ASSERT_EQ(message.payload, std::to_string(next)) << "out of order on " << message.channel;
        ++next;
    }
    EXPECT_EQ(received, sent);
    EXPECT_FALSE(pubsub.get_message(0ms)) << "a message came twice";
    EXPECT_EQ(pubsub.dropped(), 0U);
}

TEST(PubSub, ShardChannelsOverEverySlotGetEveryMessageInOrder) {
    RedisCluster rc(options_for());
    auto pubsub = rc.pubsub();
    const auto channels = channels_over_all_slots("shard:", 100);
    ASSERT_EQ(channels.size(), 100U);
    pubsub.ssubscribe(channels);
    EXPECT_EQ(pubsub.shard_channels().size(), 100U);
    // One connection per master, each subscribed to its own slots' channels.
    std::int64_t connections = 0;
    for (int node = 0; node < 3; ++node) {
        const auto here = test::named_connections(test::plain_node(node), "pubsub-test");
        EXPECT_LE(here, 2) << "node " << node;  // the pubsub's, and one pooled for SPUBLISH later
        connections += here;
    }
    EXPECT_EQ(connections, 3);
    publish_and_check_order(rc, pubsub, channels, true, 10'000);
}

TEST(PubSub, ChannelsGetEveryMessagePublishedOnAnyNodeInOrder) {
    RedisCluster rc(options_for());
    auto pubsub = rc.pubsub();
    const auto channels = channels_over_all_slots("classic:", 100);
    pubsub.subscribe(channels);
    // PUBLISH goes to the master of the channel's slot, the subscription
    // lives on one node: the cluster relays every message to it, in the
    // order one node received them.
    publish_and_check_order(rc, pubsub, channels, false, 10'000);
}

TEST(PubSub, PatternsNameTheirPatternAndUnsubscribingStopsDelivery) {
    RedisCluster rc(options_for());
    auto pubsub = rc.pubsub();
    pubsub.psubscribe({"news.*"});
    pubsub.subscribe({"alerts", "weather"});
    EXPECT_EQ(pubsub.patterns(), std::vector<std::string>{"news.*"});
    EXPECT_EQ(pubsub.channels(), (std::vector<std::string>{"alerts", "weather"}));

    (void)rc.publish("news.sport", "goal");
    auto message = pubsub.get_message(5s);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->kind, PubSubMessage::Kind::pmessage);
    EXPECT_EQ(message->pattern, "news.*");
    EXPECT_EQ(message->channel, "news.sport");
    EXPECT_EQ(message->payload, "goal");
    EXPECT_FALSE(message->node.empty());

    pubsub.unsubscribe({"alerts"});
    pubsub.punsubscribe();
    EXPECT_EQ(pubsub.channels(), std::vector<std::string>{"weather"});
    EXPECT_TRUE(pubsub.patterns().empty());
    (void)rc.publish("alerts", "ignored");
    (void)rc.publish("news.sport", "ignored");
    (void)rc.publish("weather", "sun");
    message = pubsub.get_message(5s);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->channel, "weather");
    EXPECT_EQ(message->payload, "sun");
    EXPECT_FALSE(pubsub.get_message(200ms));
}

TEST(PubSub, AConsumerThatFallsBehindIsToldHowManyMessagesWereDropped) {
    RedisCluster rc(options_for());
    PubSubOptions options;
    options.max_queued_messages = 10;
    auto pubsub = rc.pubsub(options);
    pubsub.ssubscribe({"slow"});
    for (int i = 0; i < 50; ++i) ASSERT_EQ(rc.spublish("slow", std::to_string(i)), 1);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (pubsub.dropped() < 40 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(pubsub.dropped(), 40U);
    // The first ten, in order; then, once there is room again, the gap
    // and what came after it.
    const auto first = receive(pubsub, 10);
    for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].payload, std::to_string(i));
    EXPECT_EQ(rc.spublish("slow", "after"), 1);
    const auto rest = receive(pubsub, 2);
    ASSERT_EQ(rest.size(), 2U);
    EXPECT_EQ(rest[0].kind, PubSubMessage::Kind::dropped);
    EXPECT_EQ(rest[0].dropped, 40U);
    EXPECT_EQ(rest[1].payload, "after");
}

TEST(PubSub, RunDeliversOnTheCallersThreadUntilStop) {
    RedisCluster rc(options_for());
    auto pubsub = rc.pubsub();
    pubsub.subscribe({"run:events"});
    std::vector<std::string> seen;
    std::thread publisher([&] {
        for (int i = 0; i < 5; ++i) (void)rc.publish("run:events", std::to_string(i));
    });
    pubsub.run([&](const PubSubMessage& message) {
        seen.push_back(message.payload);
        if (seen.size() == 5) pubsub.stop();
    });
    publisher.join();
    EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
    // stop() from another thread ends a run() that is waiting.
    std::thread stopper([&] {
        std::this_thread::sleep_for(100ms);
        pubsub.stop();
    });
    pubsub.run([](const PubSubMessage&) {});
    stopper.join();
}

TEST(PubSub, OnMessagesQueuedRingsOnTheReaderThreadOnceMessagesWait) {
    RedisCluster rc(options_for());
    auto pubsub = rc.pubsub();
    std::atomic<int> rings = 0;
    std::atomic<bool> other_thread = true;
    const auto caller = std::this_thread::get_id();
    pubsub.on_messages_queued([&] {
        if (std::this_thread::get_id() == caller) other_thread = false;
        ++rings;
    });
    pubsub.subscribe({"ring:events"});
    for (int i = 0; i < 20; ++i) (void)rc.publish("ring:events", std::to_string(i));
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::vector<std::string> seen;
    // Polled as an event loop would: only once rung, and without waiting.
    while (seen.size() < 20 && std::chrono::steady_clock::now() < deadline) {
        if (rings == 0) {
            std::this_thread::sleep_for(1ms);
            continue;
        }
        while (auto message = pubsub.get_message(0ms)) seen.push_back(message->payload);
    }
    EXPECT_EQ(seen.size(), 20u);
    EXPECT_GE(rings, 1);
    EXPECT_LE(rings, 20);  // per batch read, not more than once per message
    EXPECT_TRUE(other_thread);
    // An empty function ends the rings.
    pubsub.on_messages_queued({});
    const int before = rings;
    (void)rc.publish("ring:events", "quiet");
    EXPECT_TRUE(pubsub.get_message(2s).has_value());
    EXPECT_EQ(rings, before);
}

TEST(PubSub, Resp3DeliversPushesAndCommandsStillGetTheirReplies) {
    RedisCluster rc(options_for(3));
    auto pubsub = rc.pubsub();
    pubsub.subscribe({"resp3:channel"});
    pubsub.ssubscribe({"resp3:shard"});
    (void)rc.publish("resp3:channel", "a");
    (void)rc.publish("resp3:channel", "b");
    EXPECT_EQ(rc.spublish("resp3:shard", "c"), 1);
    const auto messages = receive(pubsub, 3);
    ASSERT_EQ(messages.size(), 3U);
    std::multiset<std::string> payloads;
    for (const auto& message : messages) payloads.insert(message.payload);
    EXPECT_EQ(payloads, (std::multiset<std::string>{"a", "b", "c"}));
    rc.set("resp3:key", "value");
    EXPECT_EQ(rc.get("resp3:key"), "value");
}

TEST(PubSub, BadInputIsRefusedWithAClearMessage) {
    RedisCluster rc(options_for());
    auto pubsub = rc.pubsub();
    EXPECT_EQ(test::error_of<DataError>([&] { pubsub.subscribe(std::vector<std::string>{}); }),
              "SUBSCRIBE needs at least one channel");
    EXPECT_EQ(test::error_of<DataError>([&] { pubsub.psubscribe(std::vector<std::string>{}); }),
              "PSUBSCRIBE needs at least one pattern");
    EXPECT_EQ(test::error_of<DataError>([&] { pubsub.ssubscribe(std::vector<std::string>{}); }),
              "SSUBSCRIBE needs at least one channel");
    EXPECT_EQ(test::error_of<RedisClusterException>([] { PubSub::check_command("GET"); }),
              "GET is not allowed on a subscribed connection: only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING and QUIT "
              "are");
    PubSub::check_command("ssubscribe");
    PubSub::check_command("PING");
    EXPECT_NE(test::error_of<RedisClusterException>([&] { (void)rc.execute_command("SUBSCRIBE", "x"); })
                  .find("use rc.pubsub()"),
              std::string::npos);
    EXPECT_EQ(test::error_of<RedisClusterConfigError>([&] {
                  PubSubOptions options;
                  options.max_queued_messages = 0;
                  (void)rc.pubsub(options);
              }),
              "invalid max_queued_messages 0: at least one message must fit");
    pubsub.close();
    EXPECT_EQ(test::error_of<RedisClusterException>([&] { pubsub.subscribe({"late"}); }),
              "SUBSCRIBE: this PubSub was closed");
    EXPECT_FALSE(pubsub.get_message(0ms));
}

TEST(PubSub, AChannelTheServerRefusesIsThrownAndTheOthersStay) {
    // A user that may use channels "allowed:*" only, on every node.
    for (int node = 0; node < 6; ++node) {
        (void)test::node_command(test::plain_node(node), {"ACL", "SETUSER", "pubsub-limited", "on", "nopass", "~*",
                                                          "resetchannels", "&allowed:*", "+@all"});
    }
    auto options = options_for();
    options.connection_kwargs.username = "pubsub-limited";
    options.connection_kwargs.password = "any";
    RedisCluster rc(options);
    auto pubsub = rc.pubsub();
    pubsub.subscribe({"allowed:1"});
    const auto message = test::error_of<ResponseError>([&] { pubsub.subscribe({"forbidden"}); });
    EXPECT_EQ(message.rfind("NOPERM", 0), 0U) << message;
    EXPECT_EQ(pubsub.channels(), std::vector<std::string>{"allowed:1"});
    (void)rc.publish("allowed:1", "still here");
    const auto after = pubsub.get_message(5s);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->payload, "still here");
    for (int node = 0; node < 6; ++node) {
        (void)test::node_command(test::plain_node(node), {"ACL", "DELUSER", "pubsub-limited"});
    }
}

TEST(PubSub, ClosingLeavesNoConnectionBehind) {
    RedisCluster rc(options_for(2, "pubsub-close"));
    {
        auto pubsub = rc.pubsub();
        pubsub.subscribe({"close:a"});
        pubsub.ssubscribe(channels_over_all_slots("close:", 6));
        std::int64_t open = 0;
        for (int node = 0; node < 6; ++node) open += test::named_connections(test::plain_node(node), "pubsub-close");
        EXPECT_GE(open, 3);
    }  // destroyed: closed
    rc.connection_pool->disconnect();
    std::int64_t open = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    do {
        open = 0;
        for (int node = 0; node < 6; ++node) open += test::named_connections(test::plain_node(node), "pubsub-close");
    } while (open != 0 && std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(open, 0);
}

}  // namespace
}  // namespace rediscluster
