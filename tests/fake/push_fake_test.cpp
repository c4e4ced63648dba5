// RESP3 push frames against scripted fake nodes. A server speaking RESP3
// may send a push ('>': a client-tracking invalidation, a pub/sub message)
// between any two replies; it answers no command, so it must never be taken
// for one: not by a lone connection, a pipeline, the pooled client or the
// multiplexed one. A push cut off by a closed connection fails the read
// with a plain ConnectionError (the reply had not begun), without hanging.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fake_node.hpp"
#include "rediscluster/client.hpp"
#include "rediscluster/connection.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::expect_any;
using test::FakeNode;
using test::FakeStep;
using test::ReceivedCommand;
using test::resp_bulk;
using test::resp_integer;

const std::vector<std::string> kNoProblems;

// An invalidation push for `key`, as client tracking sends it.
std::string invalidation(const std::string& key) {
    return ">2\r\n" + resp_bulk("invalidate") + "*1\r\n" + resp_bulk(key);
}

// The answer to HELLO 3 (the client reads no field of it).
const std::string kHello = "%1\r\n" + resp_bulk("proto") + resp_integer(3);

ConnectionOptions options_for(const FakeNode& node) {
    ConnectionOptions options;
    options.host = node.host();
    options.port = node.port();
    options.socket_timeout = 3s;
    options.socket_connect_timeout = 3s;
    return options;
}

// Collects the pushes a connection skipped.
struct Pushes {
    std::vector<Reply> seen;
    std::function<void(Reply&)> handler() {
        return [this](Reply& push) { seen.push_back(std::move(push)); };
    }
};

// --- one connection --------------------------------------------------------------

TEST(PushFrames, PushesBetweenPipelinedRepliesAreSkippedAndHandedToTheHandler) {
    FakeNode node({{expect_any(invalidation("a") + "+A\r\n"),
                    expect_any(invalidation("b") + invalidation("c") + "+B\r\n")}});
    ClusterConnection connection(options_for(node));
    Pushes pushes;
    connection.set_push_handler(pushes.handler());
    std::string packed;
    encode_command(packed, "X");
    encode_command(packed, "Y");
    connection.send_packed_command(packed, 2);
    EXPECT_EQ(connection.read_responses(2),
              (std::vector<Reply>{Reply::simple_string("A"), Reply::simple_string("B")}));
    EXPECT_EQ(connection.pending_replies(), 0u);
    ASSERT_EQ(pushes.seen.size(), 3u);
    EXPECT_EQ(pushes.seen[0], Reply::push({Reply::bulk_string("invalidate"), Reply::array({Reply::bulk_string("a")})}));
    EXPECT_EQ(pushes.seen[2][1][0].str(), "c");
    EXPECT_TRUE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(PushFrames, WithoutAHandlerPushesAreDropped) {
    FakeNode node({{expect_any(invalidation("k") + resp_bulk("v")), expect_any(resp_integer(7) + invalidation("k"))}});
    ClusterConnection connection(options_for(node));
    EXPECT_EQ(connection.execute("GET", "k"), Reply::bulk_string("v"));
    EXPECT_EQ(connection.execute("INCR", "n"), Reply::integer(7));
    EXPECT_EQ(connection.pending_replies(), 0u);
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(PushFrames, ABufferedPushIsNotABufferedReply) {
    // A push right after a reply: whether or not it has arrived yet,
    // read_buffered_reply() has no reply to give, and the push is skipped
    // on the way to the next reply.
    FakeNode node({{expect_any("+A\r\n" + invalidation("k")), expect_any("+B\r\n")}});
    ClusterConnection connection(options_for(node));
    Pushes pushes;
    connection.set_push_handler(pushes.handler());
    EXPECT_EQ(connection.execute("X"), Reply::simple_string("A"));
    Reply reply;
    EXPECT_FALSE(connection.read_buffered_reply(reply));
    EXPECT_EQ(connection.execute("Y"), Reply::simple_string("B"));
    EXPECT_EQ(pushes.seen.size(), 1u);
    EXPECT_EQ(connection.pending_replies(), 0u);
}

TEST(PushFrames, APushBeforeTheHelloReplyIsSkipped) {
    FakeNode node({{expect_any(invalidation("k") + kHello), expect_any("+PONG\r\n")}});
    auto options = options_for(node);
    options.protocol = 3;
    ClusterConnection connection(options);
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
    EXPECT_EQ(node.problems(), kNoProblems);
}

// What reading the reply to GET throws when the node sends `bytes` and
// closes: "none" when it throws nothing, "incomplete" for
// IncompleteReplyError, "connection" for any other ConnectionError.
std::string failure_after(const std::string& bytes) {
    FakeNode node({{expect_any(""), test::send_then_close(bytes)}});
    ClusterConnection connection(options_for(node));
    const auto start = Clock::now();
    std::string kind = "none";
    try {
        (void)connection.execute("GET", "key");
    } catch (const IncompleteReplyError&) {
        kind = "incomplete";
    } catch (const ConnectionError&) {
        kind = "connection";
    } catch (const std::exception& e) {
        kind = e.what();
    }
    EXPECT_LT(Clock::now() - start, 2s);
    EXPECT_FALSE(connection.is_connected());
    return kind;
}

TEST(PushFrames, APushCutOffByAClosedConnectionIsAConnectionError) {
    // Not IncompleteReplyError: no byte of the reply came, so nothing says
    // the command ran (as when the connection closes before any byte).
    const std::string push = invalidation("key");
    // Cut inside the type and length, an element, the last bytes.
    for (const std::size_t cut : {std::size_t{1}, std::size_t{2}, std::size_t{9}, push.size() - 1}) {
        EXPECT_EQ(failure_after(push.substr(0, cut)), "connection") << "cut at " << cut;
    }
    // A whole push, then the close.
    EXPECT_EQ(failure_after(push), "connection");
    // Part of the reply after a whole push: the command ran.
    EXPECT_EQ(failure_after(push + "$5\r\nval"), "incomplete");
    EXPECT_EQ(failure_after(push + "*2\r\n"), "incomplete");
}

TEST(PushFrames, AHandlerThatThrowsClosesTheConnection) {
    FakeNode node({{expect_any(invalidation("k") + "+A\r\n")}});
    ClusterConnection connection(options_for(node));
    connection.set_push_handler([](Reply&) { throw std::runtime_error("handler refused"); });
    EXPECT_THROW((void)connection.execute("X"), std::runtime_error);
    EXPECT_FALSE(connection.is_connected());
}

// --- the client ------------------------------------------------------------------

// A one-node cluster that speaks RESP3 only as a real 7.0 node does (maps
// for CLUSTER SHARDS, a verbatim string for CLUSTER NODES) and sends an
// invalidation before every GET's reply, and two before a SET's. GET <key>
// answers <key>, so a reply given to the wrong command shows. GET cut
// sends half a push and closes.
FakeNode resp3_node_pushing() {
    return FakeNode(FakeNode::Responding{}, [](std::uint16_t port) {
        return [port](const ReceivedCommand& command) -> FakeStep {
            const auto answer = [](std::string bytes) {
                return FakeStep{FakeStep::Action::expect, std::nullopt, std::move(bytes)};
            };
            const auto& args = command.args;
            if (args.at(0) == "HELLO") return answer(kHello);
            if (args.size() == 2 && args[0] == "CLUSTER" && args[1] == "SHARDS") {
                return answer("*1\r\n%2\r\n" + resp_bulk("slots") + "*2\r\n" + resp_integer(0) + resp_integer(16383) +
                              resp_bulk("nodes") + "*1\r\n%5\r\n" + resp_bulk("id") + resp_bulk(std::string(40, 'a')) +
                              resp_bulk("port") + resp_integer(port) + resp_bulk("endpoint") + resp_bulk("127.0.0.1") +
                              resp_bulk("role") + resp_bulk("master") + resp_bulk("health") + resp_bulk("online"));
            }
            if (args.size() == 2 && args[0] == "CLUSTER" && args[1] == "NODES") {
                const std::string line = std::string(40, 'a') + " 127.0.0.1:" + std::to_string(port) + "@1" +
                                         std::to_string(port) + " myself,master - 0 0 1 connected 0-16383\n";
                return answer("=" + std::to_string(line.size() + 4) + "\r\ntxt:" + line + "\r\n");
            }
            if (args.at(0) == "GET" && args.size() == 2) {
                const std::string half_a_push = ">2\r\n" + resp_bulk("invalidate") + "*1\r\n$3\r\nc";
                if (args[1] == "cut") return test::send_then_close(half_a_push);
                return answer(invalidation(args[1]) + resp_bulk(args[1]));
            }
            if (args.at(0) == "SET") return answer(invalidation("x") + invalidation("y") + "+OK\r\n");
            return answer("-ERR the fake node does not know " + args.at(0) + "\r\n");
        };
    });
}

RedisClusterOptions client_options(const FakeNode& node, bool multiplexed) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", node.port()}};
    options.connection_kwargs.socket_timeout = 2s;
    options.connection_kwargs.protocol = 3;
    options.command_timeout = 2s;
    options.periodic_refresh_interval = 0ms;
    options.multiplexed_connections = multiplexed;
    return options;
}

class PushFramesClient : public testing::TestWithParam<bool> {};

TEST_P(PushFramesClient, APushBeforeEachReplyIsNeverTakenForTheReply) {
    auto node = resp3_node_pushing();
    RedisCluster rc(client_options(node, GetParam()));
    for (int i = 0; i < 20; ++i) {
        const std::string key = "k" + std::to_string(i);
        EXPECT_EQ(rc.execute_command("GET", key), Reply::bulk_string(key));
        EXPECT_EQ(rc.execute_command("SET", key, "v"), Reply::simple_string("OK"));
    }
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST_P(PushFramesClient, ManyThreadsEachGetTheirOwnReplyAmongPushes) {
    auto node = resp3_node_pushing();
    RedisCluster rc(client_options(node, GetParam()));
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const std::string key = "t" + std::to_string(t) + ":" + std::to_string(i);
                if (rc.execute_command("GET", key) != Reply::bulk_string(key)) ++wrong;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST_P(PushFramesClient, APipelineGetsEachReplyInItsPlace) {
    auto node = resp3_node_pushing();
    RedisCluster rc(client_options(node, GetParam()));
    auto pipe = rc.pipeline();
    pipe.execute_command("GET", "a").execute_command("SET", "b", "1").execute_command("GET", "c");
    EXPECT_EQ(pipe.execute(), (std::vector<Reply>{Reply::bulk_string("a"), Reply::simple_string("OK"),
                                                  Reply::bulk_string("c")}));
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST_P(PushFramesClient, APushCutOffFailsTheCommandWithoutHanging) {
    auto node = resp3_node_pushing();
    auto options = client_options(node, GetParam());
    // A connection error is retried, and every try is cut off the same way.
    options.command_timeout = 300ms;
    RedisCluster rc(options);
    const auto start = Clock::now();
    EXPECT_THROW((void)rc.execute_command("GET", "cut"), RedisError);
    EXPECT_LT(Clock::now() - start, 3s);
    // The client goes on, on a fresh connection.
    EXPECT_EQ(rc.execute_command("GET", "after"), Reply::bulk_string("after"));
}

INSTANTIATE_TEST_SUITE_P(PooledAndMultiplexed, PushFramesClient, testing::Bool(),
                         [](const auto& parameter) { return parameter.param ? "Multiplexed" : "Pooled"; });

}  // namespace
}  // namespace rediscluster
