// PubSub against two scripted fake nodes, for what a real server will not
// do: a node whose subscribed connection breaks in the middle of a push,
// then sends a push of the wrong shape. Each time only that connection
// fails (a typed error in the stream of messages); the shard channel on
// the other node goes on untouched, and the broken one is subscribed again.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "fake_node.hpp"
#include "rediscluster/client.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using test::FakeNode;
using test::FakeStep;
using test::ReceivedCommand;
using test::resp_array;
using test::resp_bulk;
using test::resp_integer;

FakeStep answer(std::string bytes) { return FakeStep{FakeStep::Action::expect, std::nullopt, std::move(bytes)}; }

// A channel name whose slot is in [first, last].
std::string channel_in(std::uint16_t first, std::uint16_t last) {
    for (int i = 0;; ++i) {
        auto name = "chan" + std::to_string(i);
        const auto slot = key_slot(name);
        if (slot >= first && slot <= last) return name;
    }
}

std::string ssubscribed(const std::string& channel) {
    return resp_array({resp_bulk("ssubscribe"), resp_bulk(channel), resp_integer(1)});
}
std::string smessage(const std::string& channel, const std::string& payload) {
    return resp_array({resp_bulk("smessage"), resp_bulk(channel), resp_bulk(payload)});
}

// Discovery's answers: slots 0-8191 on `low`, the rest on `high`.
std::optional<FakeStep> discovery(const ReceivedCommand& command, std::uint16_t low, std::uint16_t high) {
    const auto& args = command.args;
    if (args.size() == 2 && args[0] == "CLUSTER" && (args[1] == "SHARDS" || args[1] == "NODES")) {
        return answer("-ERR unknown subcommand\r\n");
    }
    if (args.size() == 2 && args[0] == "CLUSTER" && args[1] == "SLOTS") {
        const auto range = [](int first, int last, std::uint16_t port) {
            return resp_array({resp_integer(first), resp_integer(last),
                               resp_array({resp_bulk("127.0.0.1"), resp_integer(port)})});
        };
        return answer(resp_array({range(0, 8191, low), range(8192, 16383, high)}));
    }
    if (args.at(0) == "PING") return answer(resp_array({resp_bulk("pong"), resp_bulk("")}));
    if (args.at(0) != "SSUBSCRIBE") return answer("-ERR the fake node does not know " + args.at(0) + "\r\n");
    return std::nullopt;
}

TEST(PubSubFake, ABrokenOrHostilePushFailsOnlyItsConnectionWhichIsSubscribedAgain) {
    const auto steady = channel_in(0, 8191);
    const auto hostile = channel_in(8192, 16383);
    std::atomic<std::uint16_t> low_port{0};
    std::atomic<std::uint16_t> high_port{0};
    std::atomic<int> high_subscribes{0};
    FakeNode low(FakeNode::Responding{}, [&](std::uint16_t) {
        return [&](const ReceivedCommand& command) -> FakeStep {
            if (auto step = discovery(command, low_port, high_port)) return *step;
            return answer(ssubscribed(steady) + smessage(steady, "steady 1"));
        };
    });
    FakeNode high(FakeNode::Responding{}, [&](std::uint16_t) {
        return [&](const ReceivedCommand& command) -> FakeStep {
            if (auto step = discovery(command, low_port, high_port)) return *step;
            switch (++high_subscribes) {
                case 1:  // cut off in the middle of a message
                    return test::send_then_close(ssubscribed(hostile) + "*3\r\n$8\r\nsmessage\r\n$4\r\nchan");
                case 2:  // a message without its payload
                    return answer(ssubscribed(hostile) + resp_array({resp_bulk("smessage"), resp_bulk(hostile)}));
                default:
                    return answer(ssubscribed(hostile) + smessage(hostile, "hostile 3"));
            }
        };
    });
    low_port = low.port();
    high_port = high.port();

    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", low.port()}};
    options.connection_kwargs.socket_timeout = 2s;
    RedisCluster rc(options);
    auto pubsub = rc.pubsub();
    pubsub.ssubscribe({steady, hostile});

    std::vector<PubSubMessage> events;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    const auto seen = [&](PubSubMessage::Kind kind, const std::string& payload = {}) {
        for (const auto& event : events) {
            if (event.kind == kind && (payload.empty() || event.payload == payload)) return true;
        }
        return false;
    };
    while (!seen(PubSubMessage::Kind::smessage, "hostile 3") && std::chrono::steady_clock::now() < deadline) {
        if (auto message = pubsub.get_message(100ms)) events.push_back(std::move(*message));
    }
    ASSERT_TRUE(seen(PubSubMessage::Kind::smessage, "hostile 3")) << "the hostile node's channel never came back";
    EXPECT_TRUE(seen(PubSubMessage::Kind::smessage, "steady 1"));

    // Two failures, both of the hostile node's connection, each typed.
    std::vector<std::string> errors;
    for (const auto& event : events) {
        if (event.kind != PubSubMessage::Kind::connection_error) continue;
        EXPECT_EQ(event.node, "127.0.0.1:" + std::to_string(high.port()));
        try {
            std::rethrow_exception(event.error);
        } catch (const ProtocolError& e) {
            errors.push_back(std::string("ProtocolError: ") + e.what());
        } catch (const ConnectionError& e) {
            errors.push_back(std::string("ConnectionError: ") + e.what());
        }
    }
    ASSERT_EQ(errors.size(), 2U);
    EXPECT_EQ(errors[0].rfind("ConnectionError: ", 0), 0U) << errors[0];
    EXPECT_EQ(errors[1].rfind("ProtocolError: malformed pub/sub frame from 127.0.0.1:", 0), 0U) << errors[1];
    EXPECT_TRUE(seen(PubSubMessage::Kind::resubscribed));
    EXPECT_EQ(high_subscribes.load(), 3);

    // The steady node kept its one subscribed connection (plus discovery's)
    // and was never asked to subscribe again.
    std::size_t steady_subscribes = 0;
    for (const auto& command : low.commands()) steady_subscribes += command.args.at(0) == "SSUBSCRIBE" ? 1U : 0U;
    EXPECT_EQ(steady_subscribes, 1U);
}

TEST(PubSubFake, ANodeThatStopsAnsweringPingIsLeftForAFreshConnection) {
    const auto channel = channel_in(0, 16383);
    std::atomic<std::uint16_t> port{0};
    std::atomic<std::size_t> subscribed_connection{0};
    FakeNode node(FakeNode::Responding{}, [&](std::uint16_t) {
        return [&](const ReceivedCommand& command) -> FakeStep {
            if (command.args.at(0) == "PING" && command.connection == subscribed_connection) {
                return test::hang();  // frozen, as far as this connection can tell
            }
            if (auto step = discovery(command, port, port)) return *step;
            const bool again = subscribed_connection != 0;
            subscribed_connection = command.connection;
            return answer(ssubscribed(channel) + (again ? smessage(channel, "after") : std::string()));
        };
    });
    port = node.port();

    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", node.port()}};
    options.connection_kwargs.socket_timeout = 300ms;
    RedisCluster rc(options);
    PubSubOptions pubsub_options;
    pubsub_options.health_check_interval = 100ms;
    auto pubsub = rc.pubsub(pubsub_options);
    const auto started = std::chrono::steady_clock::now();
    pubsub.ssubscribe({channel});

    std::vector<PubSubMessage> events;
    while (events.size() < 3 && std::chrono::steady_clock::now() - started < 5s) {
        if (auto message = pubsub.get_message(100ms)) events.push_back(std::move(*message));
    }
    ASSERT_EQ(events.size(), 3U);
    EXPECT_EQ(events[0].kind, PubSubMessage::Kind::connection_error);
    try {
        std::rethrow_exception(events[0].error);
    } catch (const TimeoutError& e) {
        EXPECT_NE(std::string(e.what()).find("no answer to PING within 300 ms"), std::string::npos) << e.what();
    }
    EXPECT_EQ(events[1].kind, PubSubMessage::Kind::resubscribed);
    EXPECT_EQ(events[2].payload, "after");
    // Noticed within the health check and the ping's timeout, not later.
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

}  // namespace
}  // namespace rediscluster
