// RedisCluster against hostile scripted nodes: malformed, truncated and
// oversized replies, a connection closed before or during a reply, a reply
// that never ends, a node that never answers, redirects to unknown,
// unreachable and looping addresses, and a CLUSTER SLOTS of the wrong
// shape. Each must end in a typed error within its time bound, and the
// connection involved must be closed, never used again.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>

#include "fake/fake_node.hpp"
#include "load.hpp"
#include "rediscluster/client.hpp"
#include "support/error_of.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kSocketTimeout = 300ms;
constexpr auto kCommandTimeout = 1s;
constexpr auto kSlack = 300ms;

std::string all_slots_on(std::uint16_t port) {
    return resp_array({resp_array({resp_integer(0), resp_integer(16383),
                                   resp_array({resp_bulk("127.0.0.1"), resp_integer(port)})})});
}

FakeStep answer(std::string bytes) { return FakeStep{FakeStep::Action::expect, std::nullopt, std::move(bytes)}; }

// A node serving every slot: CLUSTER SLOTS and GET of "good" answer
// properly; GET of "bad" gets what `hostile` says.
class HostileNode {
public:
    explicit HostileNode(std::function<FakeStep(std::uint16_t port)> hostile)
        : node_(FakeNode::Responding{}, [hostile](std::uint16_t port) {
              return [hostile, port](const ReceivedCommand& command) {
                  if (command.args.size() >= 2 && command.args[0] == "CLUSTER" && command.args[1] == "SLOTS") {
                      return answer(all_slots_on(port));
                  }
                  if (command.args.size() == 2 && command.args[0] == "GET" && command.args[1] == "bad") {
                      return hostile(port);
                  }
                  if (command.args.size() == 2 && command.args[0] == "GET") return answer(resp_bulk("fine"));
                  return answer("-ERR unexpected command\r\n");
              };
          }) {}

    [[nodiscard]] std::uint16_t port() const { return node_.port(); }
    [[nodiscard]] const FakeNode& node() const { return node_; }

    // The connections that received GET bad.
    [[nodiscard]] std::set<std::size_t> bad_connections() const {
        std::set<std::size_t> connections;
        for (const auto& command : node_.commands()) {
            if (command.args == std::vector<std::string>{"GET", "bad"}) connections.insert(command.connection);
        }
        return connections;
    }
    [[nodiscard]] std::size_t bad_gets() const {
        std::size_t count = 0;
        for (const auto& command : node_.commands()) count += command.args == std::vector<std::string>{"GET", "bad"} ? 1U : 0U;
        return count;
    }
    // Whether any command arrived on `connection` after its GET bad.
    [[nodiscard]] bool reused_after_bad(std::size_t connection) const {
        bool seen_bad = false;
        for (const auto& command : node_.commands()) {
            if (command.connection != connection) continue;
            if (seen_bad) return true;
            seen_bad = command.args == std::vector<std::string>{"GET", "bad"};
        }
        return false;
    }

private:
    FakeNode node_;
};

RedisClusterOptions options_for(std::uint16_t port) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", port}};
    options.connection_kwargs.socket_timeout = kSocketTimeout;
    options.connection_kwargs.socket_connect_timeout = kSocketTimeout;
    options.command_timeout = kCommandTimeout;
    return options;
}

// Runs GET bad, expecting exception type E within `bound`; returns its message.
template <class E>
std::string bad_get_fails_with(RedisCluster& rc, std::chrono::milliseconds bound) {
    const auto started = Clock::now();
    std::string message = error_of<E>([&] { (void)rc.get("bad"); });
    EXPECT_LE(Clock::now() - started, bound) << message;
    return message;
}

// What every case checks after the failure: the connections that saw the
// hostile answer were never used again, and the client still works on a
// fresh one.
void expect_discarded_and_recovered(RedisCluster& rc, const HostileNode& hostile) {
    for (const auto connection : hostile.bad_connections()) {
        EXPECT_FALSE(hostile.reused_after_bad(connection)) << "connection " << connection << " was reused";
    }
    const auto before = hostile.node().commands().size();
    EXPECT_EQ(rc.get("good"), "fine");
    const auto after = hostile.node().commands();
    ASSERT_GT(after.size(), before);
    EXPECT_EQ(hostile.bad_connections().count(after.back().connection), 0u) << "a hostile connection came back";
    EXPECT_TRUE(hostile.node().problems().empty()) << hostile.node().problems().front();
}

TEST(FaultHostileNode, MalformedReplyIsAProtocolErrorAndIsNotSentAgain) {
    HostileNode hostile([](std::uint16_t) { return answer("?not resp\r\n"); });
    RedisCluster rc(options_for(hostile.port()));
    const auto message = bad_get_fails_with<ProtocolError>(rc, kSlack);
    EXPECT_NE(message.find("type byte"), std::string::npos) << message;
    EXPECT_EQ(hostile.bad_gets(), 1u);  // the node answered: the command ran
    expect_discarded_and_recovered(rc, hostile);
}

TEST(FaultHostileNode, OversizedReplyFailsAtItsHeaderWithoutWaitingForTheBody) {
    HostileNode hostile([](std::uint16_t) { return answer("$99999999999\r\n"); });
    RedisCluster rc(options_for(hostile.port()));
    const auto message = bad_get_fails_with<ProtocolError>(rc, kSocketTimeout / 2);
    EXPECT_NE(message.find("bulk"), std::string::npos) << message;
    EXPECT_EQ(hostile.bad_gets(), 1u);
    expect_discarded_and_recovered(rc, hostile);
}

TEST(FaultHostileNode, ReplyCutOffByAClosedConnectionIsAnIncompleteReplyError) {
    HostileNode hostile([](std::uint16_t) { return send_then_close("$10\r\nabc"); });
    RedisCluster rc(options_for(hostile.port()));
    const auto message = bad_get_fails_with<IncompleteReplyError>(rc, kSlack);
    EXPECT_NE(message.find("in the middle of a reply"), std::string::npos) << message;
    EXPECT_EQ(hostile.bad_gets(), 1u);
    expect_discarded_and_recovered(rc, hostile);
}

TEST(FaultHostileNode, ConnectionClosedBeforeAnyReplyIsRetriedOnFreshConnectionsWithinTheBudget) {
    HostileNode hostile([](std::uint16_t) { return close_connection(); });
    RedisCluster rc(options_for(hostile.port()));
    const auto message = bad_get_fails_with<ClusterError>(rc, kCommandTimeout + kSlack);
    EXPECT_NE(message.find("command_timeout of 1000 ms spent: GET failed after"), std::string::npos) << message;
    // Each attempt on a connection of its own.
    EXPECT_GT(hostile.bad_gets(), 1u);
    EXPECT_EQ(hostile.bad_connections().size(), hostile.bad_gets());
    expect_discarded_and_recovered(rc, hostile);
}

TEST(FaultHostileNode, ReplyThatNeverEndsTimesOutWithinTheSocketTimeout) {
    HostileNode hostile([](std::uint16_t) {
        FakeStep step = answer("$100\r\nabc");
        return step;
    });
    // The connection then waits for the rest of the reply, which never comes.
    RedisCluster rc(options_for(hostile.port()));
    (void)bad_get_fails_with<TimeoutError>(rc, kSocketTimeout + kSlack);
    EXPECT_EQ(hostile.bad_gets(), 1u);
    expect_discarded_and_recovered(rc, hostile);
}

TEST(FaultHostileNode, NodeThatNeverAnswersTimesOutWithinTheSocketTimeout) {
    HostileNode hostile([](std::uint16_t) { return hang(); });
    RedisCluster rc(options_for(hostile.port()));
    (void)bad_get_fails_with<TimeoutError>(rc, kSocketTimeout + kSlack);
    EXPECT_EQ(hostile.bad_gets(), 1u);
    expect_discarded_and_recovered(rc, hostile);
}

TEST(FaultHostileNode, MovedToAnUnknownNodeIsFollowed) {
    HostileNode elsewhere([](std::uint16_t) { return answer(resp_bulk("from elsewhere")); });
    HostileNode hostile([&](std::uint16_t) {
        return answer("-MOVED " + std::to_string(key_slot("bad")) + " 127.0.0.1:" + std::to_string(elsewhere.port()) + "\r\n");
    });
    RedisCluster rc(options_for(hostile.port()));
    EXPECT_EQ(rc.get("bad"), "from elsewhere");
    EXPECT_EQ(elsewhere.bad_gets(), 1u);
    // (The slot map is not checked: the refresh the MOVED starts asks the
    // hostile node, whose CLUSTER SLOTS keeps every slot for itself.)
}

TEST(FaultHostileNode, MovedToAnUnreachableAddressFailsWithinTheBudgetAndLeavesNoConnection) {
    HostileNode hostile([](std::uint16_t) { return answer("-MOVED " + std::to_string(key_slot("bad")) + " 127.0.0.1:1\r\n"); });
    RedisCluster rc(options_for(hostile.port()));
    const auto started = Clock::now();
    EXPECT_THROW((void)rc.get("bad"), RedisError);
    EXPECT_LE(Clock::now() - started, kCommandTimeout + kSlack);
    EXPECT_EQ(rc.connection_pool->created_connections(make_node("127.0.0.1", 1, "master")), 0u);
}

TEST(FaultHostileNode, ARedirectLoopBetweenTwoNodesEndsWithinTheBudget) {
    std::uint16_t first_port = 0;
    HostileNode second([&](std::uint16_t) {
        return answer("-MOVED " + std::to_string(key_slot("bad")) + " 127.0.0.1:" + std::to_string(first_port) + "\r\n");
    });
    HostileNode first([&](std::uint16_t) {
        return answer("-MOVED " + std::to_string(key_slot("bad")) + " 127.0.0.1:" + std::to_string(second.port()) + "\r\n");
    });
    first_port = first.port();
    RedisCluster rc(options_for(first.port()));
    const auto message = bad_get_fails_with<ClusterError>(rc, kCommandTimeout + kSlack);
    EXPECT_NE(message.find("failed after 16 attempts"), std::string::npos) << message;
    EXPECT_EQ(first.bad_gets() + second.bad_gets(), 16u);
}

TEST(FaultHostileNode, ClusterSlotsOfTheWrongShapeFailsDiscoveryNamingTheSeed) {
    FakeNode node(FakeNode::Responding{}, [](std::uint16_t) {
        return [](const ReceivedCommand&) { return answer(resp_array({resp_integer(0), resp_bulk("not a range")})); };
    });
    const auto started = Clock::now();
    const auto message = error_of<RedisClusterException>([&] { RedisCluster rc(options_for(node.port())); });
    EXPECT_LE(Clock::now() - started, kSlack);
    EXPECT_NE(message.find("127.0.0.1:" + std::to_string(node.port())), std::string::npos) << message;
    EXPECT_NE(message.find("CLUSTER SHARDS"), std::string::npos) << message;  // asked first
}

}  // namespace
}  // namespace rediscluster::test
