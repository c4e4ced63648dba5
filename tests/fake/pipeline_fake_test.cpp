// Pipeline against scripted fake nodes: a batch whose commands are
// redirected (MOVED, ASK), told to wait (TRYAGAIN), or cut off by a node
// that closes its connection halfway through its replies. Each command
// must come back in its place, and only the commands that failed may be
// sent again, each by the rules of a single command: what the nodes
// received is recorded and compared command by command.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "fake_node.hpp"
#include "rediscluster/client.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::FakeNode;
using test::FakeStep;
using test::ReceivedCommand;
using test::resp_array;
using test::resp_bulk;
using test::resp_integer;

using Args = std::vector<std::string>;

FakeStep answer(std::string bytes) { return FakeStep{FakeStep::Action::expect, std::nullopt, std::move(bytes)}; }

// The slots of node i of a fake cluster of `count`: the i-th equal share.
std::uint16_t first_slot(std::size_t i, std::size_t count) { return static_cast<std::uint16_t>(16384 * i / count); }
std::uint16_t last_slot(std::size_t i, std::size_t count) {
    return static_cast<std::uint16_t>(16384 * (i + 1) / count - 1);
}

// A key, named after `name`, whose slot node i of `count` serves.
std::string key_on(std::size_t i, std::size_t count, std::string_view name) {
    for (int n = 0;; ++n) {
        std::string key = std::string(name) + ":" + std::to_string(n);
        const auto slot = key_slot(key);
        if (slot >= first_slot(i, count) && slot <= last_slot(i, count)) return key;
    }
}

// A fake cluster of `count` nodes, node i serving the i-th equal share of
// the slots. Every node answers discovery itself, on any connection and at
// any time (a refresh after a failure included): CLUSTER SLOTS with the
// whole map, CLUSTER SHARDS and CLUSTER NODES refused as by a server
// before 7.0. Every other command goes to `serve`, called under one lock
// for all nodes, so the test's own state needs none.
class FakeCluster {
public:
    using Serve = std::function<FakeStep(const FakeCluster& cluster, std::size_t node, const ReceivedCommand& command)>;

    FakeCluster(std::size_t count, Serve serve) : serve_(std::move(serve)) {
        for (std::size_t i = 0; i < count; ++i) {
            nodes_.push_back(std::make_unique<FakeNode>(FakeNode::Responding{}, [this, i](std::uint16_t) {
                return [this, i](const ReceivedCommand& command) { return respond(i, command); };
            }));
        }
        std::lock_guard lock(mutex_);
        for (const auto& node : nodes_) ports_.push_back(node->port());
    }

    [[nodiscard]] const FakeNode& node(std::size_t i) const { return *nodes_.at(i); }
    [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
    // Safe on the test's thread after construction, and inside `serve`
    // (which runs under the lock the ports were written under).
    [[nodiscard]] std::uint16_t port(std::size_t i) const { return ports_.at(i); }
    [[nodiscard]] std::string address(std::size_t i) const { return "127.0.0.1:" + std::to_string(port(i)); }

    // A key, named after `name`, whose slot node i serves.
    [[nodiscard]] std::string key_on(std::size_t i, std::string_view name) const {
        return rediscluster::key_on(i, nodes_.size(), name);
    }

    // What node i received apart from discovery, in order of arrival.
    [[nodiscard]] std::vector<ReceivedCommand> data_commands(std::size_t i) const {
        std::vector<ReceivedCommand> data;
        for (auto& command : node(i).commands()) {
            if (command.args.front() != "CLUSTER") data.push_back(std::move(command));
        }
        return data;
    }
    // The same, without the connections.
    [[nodiscard]] std::vector<Args> data_args(std::size_t i) const {
        std::vector<Args> args;
        for (auto& command : data_commands(i)) args.push_back(std::move(command.args));
        return args;
    }
    [[nodiscard]] std::size_t all_commands() const {
        std::size_t total = 0;
        for (const auto& node : nodes_) total += node->commands().size();
        return total;
    }
    [[nodiscard]] std::size_t all_connections() const {
        std::size_t total = 0;
        for (const auto& node : nodes_) total += node->accepted_connections();
        return total;
    }
    [[nodiscard]] std::vector<std::string> problems() const {
        std::vector<std::string> all;
        for (const auto& node : nodes_) {
            for (auto& problem : node->problems()) all.push_back(std::move(problem));
        }
        return all;
    }

    // Short timeouts: a client that waits for what will never come fails
    // the test in a second rather than hanging it. No periodic refresh: the
    // nodes receive only what the commands cause.
    [[nodiscard]] RedisClusterOptions options() const {
        RedisClusterOptions options;
        options.startup_nodes = {{"127.0.0.1", port(0)}};
        options.connection_kwargs.socket_timeout = 1s;
        options.connection_kwargs.socket_connect_timeout = 1s;
        options.periodic_refresh_interval = 0ms;
        return options;
    }

private:
    FakeStep respond(std::size_t i, const ReceivedCommand& command) {
        std::lock_guard lock(mutex_);
        const auto& args = command.args;
        if (args.size() == 2 && args[0] == "CLUSTER") {
            if (args[1] == "SLOTS") return answer(slots_reply());
            return answer("-ERR unknown subcommand '" + args[1] + "'\r\n");
        }
        return serve_(*this, i, command);
    }

    [[nodiscard]] std::string slots_reply() const {
        std::vector<std::string> ranges;
        for (std::size_t i = 0; i < ports_.size(); ++i) {
            ranges.push_back(resp_array({resp_integer(first_slot(i, ports_.size())), resp_integer(last_slot(i, ports_.size())),
                                         resp_array({resp_bulk("127.0.0.1"), resp_integer(ports_[i])})}));
        }
        return resp_array(ranges);
    }

    mutable std::mutex mutex_;
    std::vector<std::uint16_t> ports_;
    Serve serve_;
    // Last: stopped (their threads joined) before what they call is gone.
    std::vector<std::unique_ptr<FakeNode>> nodes_;
};

// A reply as text, for comparisons whose failures read well:
// "value" (bulk), "+OK", ":1", "-ERR ...", "(nil)".
std::string render(const Reply& reply) {
    switch (reply.type()) {
        case ReplyType::BulkString: return std::string(reply.str());
        case ReplyType::SimpleString: return "+" + std::string(reply.str());
        case ReplyType::Integer: return ":" + std::to_string(reply.integer());
        case ReplyType::Error:
        case ReplyType::BulkError: return "-" + std::string(reply.str());
        case ReplyType::Null: return "(nil)";
        default: return reply.to_debug_string();
    }
}

std::vector<std::string> render(const std::vector<Reply>& replies) {
    std::vector<std::string> out;
    for (const auto& reply : replies) out.push_back(render(reply));
    return out;
}

const std::vector<std::string> kNoProblems;

// --- redirects and waits -----------------------------------------------------------

TEST(PipelineFake, RedirectedAndWaitingCommandsAloneAreSentAgainAndRepliesKeepTheirOrder) {
    // Three nodes A, B, C. Of six commands, two per node: one per node
    // answers at once; GET moved (A) is MOVED to B; GET ask (B) is ASKed to
    // C; GET try (C) gets TRYAGAIN once.
    const std::string moved = key_on(0, 3, "moved");
    const std::string ask = key_on(1, 3, "ask");
    const std::string retry = key_on(2, 3, "try");
    const auto a1 = key_on(0, 3, "a1");
    const auto b1 = key_on(1, 3, "b1");
    const auto c1 = key_on(2, 3, "c1");
    int tryagain_seen = 0;
    std::map<std::size_t, bool> asking_on;  // C's connections whose last command was ASKING
    FakeCluster cluster(3, [&](const FakeCluster& c, std::size_t node, const ReceivedCommand& command) {
        const auto& args = command.args;
        const bool asked = node == 2 && std::exchange(asking_on[command.connection], false);
        if (node == 2 && args == Args{"ASKING"}) {
            // Held back: its +OK leaves with the next command's reply. A
            // client that waited for it before sending the command would
            // wait until its socket timeout.
            asking_on[command.connection] = true;
            return answer("");
        }
        if (args.size() == 2 && args[0] == "GET") {
            const auto& key = args[1];
            if (key == moved) {
                if (node == 0) return answer("-MOVED " + std::to_string(key_slot(key)) + " " + c.address(1) + "\r\n");
                if (node == 1) return answer(resp_bulk("value of moved"));
            }
            if (key == ask) {
                if (node == 1) return answer("-ASK " + std::to_string(key_slot(key)) + " " + c.address(2) + "\r\n");
                // As a real importing node: without ASKING, back to the owner.
                if (node == 2 && !asked) return answer("-MOVED " + std::to_string(key_slot(key)) + " " + c.address(1) + "\r\n");
                if (node == 2) return answer("+OK\r\n" + resp_bulk("value of ask"));
            }
            if (key == retry && node == 2) {
                if (tryagain_seen++ == 0) return answer("-TRYAGAIN Multiple keys request during rehashing of slot\r\n");
                return answer(resp_bulk("value of try"));
            }
            if (node == 1 && key.starts_with("b1:")) return answer(resp_bulk("value of b1"));
        }
        if (node == 2 && args.size() == 3 && args[0] == "SET" && args[1].starts_with("c1:")) return answer("+OK\r\n");
        if (node == 0 && args.size() == 2 && args[0] == "INCR" && args[1].starts_with("a1:")) return answer(resp_integer(1));
        return answer("-ERR unexpected command on node " + std::to_string(node) + "\r\n");
    });

    RedisCluster rc(cluster.options());
    auto pipe = rc.pipeline();
    pipe.execute_command("GET", moved)
        .execute_command("SET", c1, "x")
        .execute_command("GET", ask)
        .execute_command("INCR", a1)
        .execute_command("GET", retry)
        .execute_command("GET", b1);
    ASSERT_EQ(pipe.size(), 6u);

    const auto started = Clock::now();
    std::vector<Reply> replies;
    ASSERT_NO_THROW(replies = pipe.execute());
    EXPECT_LT(Clock::now() - started, 900ms) << "a command waited for a socket timeout";
    EXPECT_EQ(render(replies), (std::vector<std::string>{"value of moved", "+OK", "value of ask", ":1",
                                                         "value of try", "value of b1"}));
    EXPECT_TRUE(pipe.empty());

    // A: its two commands, once, together; GET moved was not sent to A again.
    const auto on_a = cluster.data_commands(0);
    EXPECT_EQ(cluster.data_args(0), (std::vector<Args>{{"GET", moved}, {"INCR", a1}})) << test::to_string(on_a);
    ASSERT_EQ(on_a.size(), 2u);
    EXPECT_EQ(on_a[0].connection, on_a[1].connection);
    // B: its two commands, then GET moved alone, where the MOVED said.
    const auto on_b = cluster.data_commands(1);
    EXPECT_EQ(cluster.data_args(1), (std::vector<Args>{{"GET", ask}, {"GET", b1}, {"GET", moved}})) << test::to_string(on_b);
    // C: its two commands; then ASKING and GET ask on one connection, one
    // after the other; then, after its backoff, GET try alone.
    const auto on_c = cluster.data_commands(2);
    EXPECT_EQ(cluster.data_args(2),
              (std::vector<Args>{{"SET", c1, "x"}, {"GET", retry}, {"ASKING"}, {"GET", ask}, {"GET", retry}}))
        << test::to_string(on_c);
    ASSERT_EQ(on_c.size(), 5u);
    EXPECT_EQ(on_c[2].connection, on_c[3].connection);
    EXPECT_EQ(cluster.problems(), kNoProblems);
}

TEST(PipelineFake, TypedCommandsQueueOnThePipelineAndChain) {
    static_assert(std::is_same_v<decltype(std::declval<Pipeline&>().get("k")), Pipeline&>);
    static_assert(std::is_same_v<decltype(std::declval<Pipeline&>().set("k", "v")), Pipeline&>);
    static_assert(std::is_same_v<decltype(std::declval<RedisCluster&>().get("k")), std::optional<std::string>>);
    static_assert(std::is_same_v<decltype(std::declval<RedisCluster&>().incr("k")), std::int64_t>);
    FakeCluster cluster(1, [](const FakeCluster&, std::size_t, const ReceivedCommand& command) {
        const auto& name = command.args.front();
        if (name == "SET") return answer("+OK\r\n");
        if (name == "INCR") return answer(resp_integer(1));
        if (name == "GET") return answer(resp_bulk("v"));
        return answer("-ERR unexpected command\r\n");
    });
    RedisCluster rc(cluster.options());
    auto pipe = rc.pipeline();
    pipe.set("user:1", "alice", 1500ms).incr("visits").get("user:2");
    std::vector<Reply> replies;
    ASSERT_NO_THROW(replies = pipe.execute());
    EXPECT_EQ(render(replies), (std::vector<std::string>{"+OK", ":1", "v"}));
    EXPECT_EQ(cluster.data_args(0),
              (std::vector<Args>{{"SET", "user:1", "alice", "PX", "1500"}, {"INCR", "visits"}, {"GET", "user:2"}}));
    EXPECT_EQ(cluster.problems(), kNoProblems);
}

// --- a connection closed halfway through its replies --------------------------------

// Two nodes: four GETs for A, which answers GET k<n> with "value of k<n>",
// and one for B among them.
struct HalfwayCase {
    // What A does with the 3rd and 4th GET of its first data connection.
    FakeStep third;
    FakeStep fourth;
    std::optional<std::size_t> first_connection = std::nullopt;
    std::size_t a_commands_seen = 0;  // A's GETs on its first data connection
};

FakeCluster::Serve serve_halfway(HalfwayCase& halfway) {
    return [&halfway](const FakeCluster&, std::size_t node, const ReceivedCommand& command) {
        const auto& args = command.args;
        if (args.size() != 2 || args[0] != "GET") return answer("-ERR unexpected command\r\n");
        if (node == 1) return answer(resp_bulk("value of b"));
        if (!halfway.first_connection) halfway.first_connection = command.connection;
        const std::string value = "value of " + args[1].substr(0, args[1].find(':'));
        if (command.connection != *halfway.first_connection) return answer(resp_bulk(value));
        switch (++halfway.a_commands_seen) {
            case 3: return halfway.third;
            case 4: return halfway.fourth;
            default: return answer(resp_bulk(value));
        }
    };
}

struct HalfwayKeys {
    std::string k1, k2, k3, k4, b;
    explicit HalfwayKeys(const FakeCluster& cluster)
        : k1(cluster.key_on(0, "k1")),
          k2(cluster.key_on(0, "k2")),
          k3(cluster.key_on(0, "k3")),
          k4(cluster.key_on(0, "k4")),
          b(cluster.key_on(1, "b")) {}
    void queue(Pipeline& pipe) const {
        for (const auto* key : {&k1, &b, &k2, &k3, &k4}) pipe.execute_command("GET", *key);
    }
};

TEST(PipelineFake, ConnectionClosedBeforeTheLastRepliesRetriesOnlyThoseCommands) {
    // A answers GET k1 and k2, not k3, and closes on k4: neither k3 nor k4
    // got a byte of its reply. As for a single command, both are sent
    // again, on a new connection; k1, k2 and B's GET are not.
    HalfwayCase halfway{.third = answer(""), .fourth = test::close_connection()};
    FakeCluster cluster(2, serve_halfway(halfway));
    const HalfwayKeys keys(cluster);
    RedisCluster rc(cluster.options());
    auto pipe = rc.pipeline();
    keys.queue(pipe);

    const auto started = Clock::now();
    std::vector<Reply> replies;
    ASSERT_NO_THROW(replies = pipe.execute());
    EXPECT_LT(Clock::now() - started, 900ms);
    EXPECT_EQ(render(replies),
              (std::vector<std::string>{"value of k1", "value of b", "value of k2", "value of k3", "value of k4"}));

    const auto on_a = cluster.data_commands(0);
    EXPECT_EQ(cluster.data_args(0), (std::vector<Args>{{"GET", keys.k1},
                                                       {"GET", keys.k2},
                                                       {"GET", keys.k3},
                                                       {"GET", keys.k4},
                                                       {"GET", keys.k3},
                                                       {"GET", keys.k4}}))
        << test::to_string(on_a);
    ASSERT_EQ(on_a.size(), 6u);
    EXPECT_EQ(on_a[0].connection, on_a[3].connection);
    EXPECT_NE(on_a[4].connection, on_a[0].connection) << "sent again on the closed connection";
    EXPECT_EQ(on_a[4].connection, on_a[5].connection);
    EXPECT_EQ(cluster.data_args(1), (std::vector<Args>{{"GET", keys.b}}));
    EXPECT_EQ(cluster.problems(), kNoProblems);
}

TEST(PipelineFake, ReplyThatBrokeOffIsNotSentAgainButTheCommandsAfterItAre) {
    // A answers GET k1 and k2; k3's reply breaks off after a few bytes and
    // the connection closes. k3 ran: it is not sent again and fails with
    // IncompleteReplyError. k4 got no byte of its reply: its connection
    // closed before it, and it is sent again as a single command would be.
    HalfwayCase halfway{.third = answer(""), .fourth = test::send_then_close("$11\r\nvalue")};
    FakeCluster cluster(2, serve_halfway(halfway));
    const HalfwayKeys keys(cluster);
    RedisCluster rc(cluster.options());
    auto pipe = rc.pipeline();
    keys.queue(pipe);

    // raise_on_error: k3's failure is thrown once every command finished.
    const auto message = test::error_of<IncompleteReplyError>([&] { (void)pipe.execute(); });
    EXPECT_NE(message.find("in the middle of a reply"), std::string::npos) << message;
    const auto& replies = pipe.replies();
    ASSERT_EQ(replies.size(), 5u);
    EXPECT_EQ(render(replies[0]), "value of k1");
    EXPECT_EQ(render(replies[1]), "value of b");
    EXPECT_EQ(render(replies[2]), "value of k2");
    EXPECT_TRUE(replies[3].is_error()) << render(replies[3]);
    EXPECT_EQ(replies[3].is_error() ? std::string(replies[3].str()) : "", message);
    EXPECT_EQ(render(replies[4]), "value of k4");

    const auto on_a = cluster.data_commands(0);
    EXPECT_EQ(cluster.data_args(0), (std::vector<Args>{{"GET", keys.k1},
                                                       {"GET", keys.k2},
                                                       {"GET", keys.k3},
                                                       {"GET", keys.k4},
                                                       {"GET", keys.k4}}))
        << test::to_string(on_a);
    ASSERT_EQ(on_a.size(), 5u);
    EXPECT_NE(on_a[4].connection, on_a[0].connection);
    EXPECT_EQ(cluster.data_args(1), (std::vector<Args>{{"GET", keys.b}}));
    EXPECT_EQ(cluster.problems(), kNoProblems);
}

TEST(PipelineFake, ReplyThatBrokeOffIsSentAgainWithRetryOnTimeout) {
    // As above, but k3 may be sent again: after a backoff (it may have run),
    // so after k4, which is sent again at once.
    HalfwayCase halfway{.third = answer(""), .fourth = test::send_then_close("$11\r\nvalue")};
    FakeCluster cluster(2, serve_halfway(halfway));
    const HalfwayKeys keys(cluster);
    auto options = cluster.options();
    options.connection_kwargs.retry_on_timeout = true;
    RedisCluster rc(options);
    auto pipe = rc.pipeline();
    keys.queue(pipe);

    std::vector<Reply> replies;
    ASSERT_NO_THROW(replies = pipe.execute());
    EXPECT_EQ(render(replies),
              (std::vector<std::string>{"value of k1", "value of b", "value of k2", "value of k3", "value of k4"}));
    const auto on_a = cluster.data_commands(0);
    EXPECT_EQ(cluster.data_args(0), (std::vector<Args>{{"GET", keys.k1},
                                                       {"GET", keys.k2},
                                                       {"GET", keys.k3},
                                                       {"GET", keys.k4},
                                                       {"GET", keys.k4},
                                                       {"GET", keys.k3}}))
        << test::to_string(on_a);
    ASSERT_EQ(on_a.size(), 6u);
    EXPECT_NE(on_a[4].connection, on_a[0].connection);
    EXPECT_NE(on_a[5].connection, on_a[0].connection);
    EXPECT_EQ(cluster.data_args(1), (std::vector<Args>{{"GET", keys.b}}));
    EXPECT_EQ(cluster.problems(), kNoProblems);
}

// --- error replies -------------------------------------------------------------------

TEST(PipelineFake, ErrorRepliesAreThrownAfterAllCommandsOrKeptInTheirPlaces) {
    // GET x (A), GET w (B) -> WRONGTYPE, INCR n (A) -> ERR, GET y (B). A's
    // part is read first, so INCR's error arrives before WRONGTYPE; the
    // first in command order is thrown all the same.
    const std::string wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    const std::string not_integer = "ERR value is not an integer or out of range";
    FakeCluster cluster(2, [&](const FakeCluster&, std::size_t, const ReceivedCommand& command) {
        const auto& args = command.args;
        if (args.size() != 2) return answer("-ERR unexpected command\r\n");
        const std::string name = args[1].substr(0, args[1].find(':'));
        if (args[0] == "GET" && name == "w") return answer("-" + wrongtype + "\r\n");
        if (args[0] == "INCR" && name == "n") return answer("-" + not_integer + "\r\n");
        if (args[0] == "GET") return answer(resp_bulk("value of " + name));
        return answer("-ERR unexpected command\r\n");
    });
    const auto x = cluster.key_on(0, "x");
    const auto w = cluster.key_on(1, "w");
    const auto n = cluster.key_on(0, "n");
    const auto y = cluster.key_on(1, "y");
    const std::vector<Args> batch = {{"GET", x}, {"GET", w}, {"INCR", n}, {"GET", y}};
    const std::vector<std::string> expected = {"value of x", "-" + wrongtype, "-" + not_integer, "value of y"};
    RedisCluster rc(cluster.options());
    auto pipe = rc.pipeline();

    for (const auto& command : batch) pipe.execute_command_range(command);
    std::string thrown;
    try {
        (void)pipe.execute();
        thrown = "(nothing thrown)";
    } catch (const ClusterError& e) {
        thrown = std::string("ClusterError: ") + e.what();
    } catch (const ResponseError& e) {
        thrown = e.what();
    }
    EXPECT_EQ(thrown, wrongtype);
    EXPECT_EQ(render(pipe.replies()), expected);
    EXPECT_TRUE(pipe.empty()) << "the queue empties when execute() throws";
    // Every command was sent, once.
    EXPECT_EQ(cluster.data_args(0), (std::vector<Args>{{"GET", x}, {"INCR", n}}));
    EXPECT_EQ(cluster.data_args(1), (std::vector<Args>{{"GET", w}, {"GET", y}}));

    // Without raise_on_error: the same, returned, nothing thrown.
    for (const auto& command : batch) pipe.execute_command_range(command);
    std::vector<Reply> replies;
    EXPECT_NO_THROW(replies = pipe.execute(false));
    EXPECT_EQ(render(replies), expected);
    EXPECT_EQ(cluster.data_args(0).size(), 4u);
    EXPECT_EQ(cluster.data_args(1).size(), 4u);
    EXPECT_EQ(cluster.problems(), kNoProblems);
}

// --- what is refused before anything is sent ------------------------------------------

TEST(PipelineFake, EmptyPipelineAndRefusedCommandsSendNothing) {
    FakeCluster cluster(1, [](const FakeCluster&, std::size_t, const ReceivedCommand&) {
        return answer("-ERR no command was expected\r\n");
    });
    RedisCluster rc(cluster.options());
    // Where a command without keys (PING) goes is the server's COMMAND
    // table's say: the client asks for it before the count starts (this
    // node refuses, and the client asks again only after 5 s).
    EXPECT_THROW((void)rc.execute_command("TIME"), ResponseError);
    const auto commands_after_discovery = cluster.all_commands();
    const auto connections_after_discovery = cluster.all_connections();
    auto pipe = rc.pipeline();

    EXPECT_TRUE(pipe.execute().empty());
    std::vector<Reply> reused{Reply::integer(1)};
    EXPECT_TRUE(pipe.execute_into(reused).empty());

    const auto a = cluster.key_on(0, "a");
    pipe.execute_command("GET", a);
    const std::vector<Args> refused = {
        {"BLPOP", a, "0"}, {"SELECT", "1"}, {"MULTI"}, {"SUBSCRIBE", "channel"}, {"PING"}, {"SCRIPT", "LOAD", "return 1"},
    };
    for (const auto& command : refused) {
        const auto message = test::error_of<RedisClusterException>([&] { pipe.execute_command_range(command); });
        EXPECT_NE(message.find("Command: " + command.front() + " "), std::string::npos) << message;
    }
    // Keys in two slots.
    std::string other = a;
    for (int i = 0; key_slot(other) == key_slot(a); ++i) other = "other:" + std::to_string(i);
    EXPECT_THROW(pipe.execute_command("MGET", a, other), ClusterCrossSlotError);
    EXPECT_THROW(pipe.execute_command("MSET", a, "1", other, "2"), ClusterCrossSlotError);
    // None of them was queued; the command before them still is.
    EXPECT_EQ(pipe.size(), 1u);
    pipe.reset();
    EXPECT_TRUE(pipe.execute().empty());

    EXPECT_EQ(cluster.all_commands(), commands_after_discovery) << test::to_string(cluster.node(0).commands());
    EXPECT_EQ(cluster.all_connections(), connections_after_discovery);
}

// --- a blocking pool at a cap of one ------------------------------------------------------

// GET <key> on node i answers "<key> on <i>".
FakeStep echo_with_node(const FakeCluster&, std::size_t node, const ReceivedCommand& command) {
    if (command.args.size() != 2 || command.args[0] != "GET") return answer("-ERR unexpected command\r\n");
    return answer(resp_bulk(command.args[1] + " on " + std::to_string(node)));
}

// A client over a blocking pool of one connection for the whole cluster,
// which waits up to 3 s for it.
struct ClientWithOneConnection {
    std::shared_ptr<ClusterBlockingConnectionPool> pool;
    RedisCluster rc;

    static std::shared_ptr<ClusterBlockingConnectionPool> make_pool(const FakeCluster& cluster) {
        ClusterConnectionPoolOptions options;
        options.startup_nodes = {{"127.0.0.1", cluster.port(0)}};
        options.max_connections = 1;
        options.timeout = 3s;
        options.connection_kwargs.socket_timeout = 1s;
        options.connection_kwargs.socket_connect_timeout = 1s;
        return std::make_shared<ClusterBlockingConnectionPool>(options);
    }
    static RedisClusterOptions client_options(const FakeCluster& cluster,
                                              std::shared_ptr<ClusterBlockingConnectionPool> pool) {
        auto options = cluster.options();
        options.connection_pool = std::move(pool);
        return options;
    }
    explicit ClientWithOneConnection(const FakeCluster& cluster)
        : pool(make_pool(cluster)), rc(client_options(cluster, pool)) {}
};

TEST(PipelineFake, BlockingPoolWithOneConnectionServesTheNodesOneAfterTheOther) {
    // With one connection for the whole cluster, a pipeline that waited for
    // B's connection while holding A's would wait out the pool's timeout
    // and fail: it must serve A, give the connection back, then serve B.
    FakeCluster cluster(2, echo_with_node);
    ClientWithOneConnection client(cluster);
    const auto& pool = client.pool;
    auto& rc = client.rc;

    const auto a1 = cluster.key_on(0, "a1");
    const auto a2 = cluster.key_on(0, "a2");
    const auto b1 = cluster.key_on(1, "b1");
    const auto b2 = cluster.key_on(1, "b2");
    auto pipe = rc.pipeline();
    for (int round = 0; round < 3; ++round) {
        for (const auto* key : {&a1, &b1, &a2, &b2}) pipe.execute_command("GET", *key);
        const auto started = Clock::now();
        std::vector<Reply> replies;
        ASSERT_NO_THROW(replies = pipe.execute());
        EXPECT_LT(Clock::now() - started, 1s) << "waited for the pool";
        EXPECT_EQ(render(replies), (std::vector<std::string>{a1 + " on 0", b1 + " on 1", a2 + " on 0", b2 + " on 1"}));
        EXPECT_LE(pool->created_connections(), 1u);
    }
    // Each node got its two commands together, once per execute, on one
    // connection per round (the cap closes the other node's to make room).
    const auto on_a = cluster.data_commands(0);
    const auto on_b = cluster.data_commands(1);
    ASSERT_EQ(on_a.size(), 6u) << test::to_string(on_a);
    ASSERT_EQ(on_b.size(), 6u) << test::to_string(on_b);
    for (std::size_t i = 0; i < 6; i += 2) {
        EXPECT_EQ(on_a[i].args, (Args{"GET", a1}));
        EXPECT_EQ(on_a[i + 1].args, (Args{"GET", a2}));
        EXPECT_EQ(on_a[i].connection, on_a[i + 1].connection);
        EXPECT_EQ(on_b[i].args, (Args{"GET", b1}));
        EXPECT_EQ(on_b[i + 1].args, (Args{"GET", b2}));
        EXPECT_EQ(on_b[i].connection, on_b[i + 1].connection);
    }
    EXPECT_EQ(cluster.problems(), kNoProblems);
}

TEST(PipelineFake, PipelinesOnSeveralThreadsShareAPoolOfOneConnectionWithoutDeadlock) {
    // Each thread's pipeline needs both nodes; the one connection goes from
    // thread to thread and node to node, and nobody waits while holding it.
    FakeCluster cluster(2, echo_with_node);
    ClientWithOneConnection client(cluster);
    const auto a = cluster.key_on(0, "a");
    const auto b = cluster.key_on(1, "b");
    const std::vector<std::string> expected = {a + " on 0", b + " on 1"};
    constexpr int kThreads = 3;
    constexpr int kExecutes = 20;
    std::atomic<int> right{0};
    std::atomic<int> wrong{0};
    std::atomic<int> failed{0};
    const auto started = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            auto pipe = client.rc.pipeline();
            for (int i = 0; i < kExecutes; ++i) {
                try {
                    pipe.execute_command("GET", a).execute_command("GET", b);
                    ++(render(pipe.execute()) == expected ? right : wrong);
                } catch (const Error&) {
                    ++failed;  // "No connection available": someone waited while holding it
                    return;
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(right.load(), kThreads * kExecutes);
    EXPECT_LT(Clock::now() - started, 3s);
    EXPECT_LE(client.pool->created_connections(), 1u);
    EXPECT_EQ(cluster.data_commands(0).size(), static_cast<std::size_t>(kThreads * kExecutes));
    EXPECT_EQ(cluster.data_commands(1).size(), static_cast<std::size_t>(kThreads * kExecutes));
    EXPECT_EQ(cluster.problems(), kNoProblems);
}

}  // namespace
}  // namespace rediscluster
