// AsyncRedisCluster against scripted fake nodes: redirects, replies that
// break off, a connection held in step across a cancellation.

#include <gtest/gtest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <functional>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "fake_node.hpp"
#include "rediscluster/asio/async_cluster.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using asio_error = rediscluster::asio::error;
using rediscluster::asio::AsyncRedisCluster;
using test::FakeNode;
using test::FakeStep;
using test::ReceivedCommand;
using test::resp_array;
using test::resp_bulk;
using test::resp_integer;

std::string all_slots_on(std::uint16_t port) {
    return resp_array({resp_array({resp_integer(0), resp_integer(16383),
                                   resp_array({resp_bulk("127.0.0.1"), resp_integer(port)})})});
}

// A node that serves every slot: discovery finds it (CLUSTER SHARDS and
// NODES refused, CLUSTER SLOTS answered), and `answer` decides the rest.
FakeNode whole_cluster_node(std::function<FakeStep(const ReceivedCommand&, std::uint16_t port)> answer) {
    return FakeNode(FakeNode::Responding{}, [answer](std::uint16_t port) -> FakeNode::Responder {
        return [answer, port](const ReceivedCommand& command) {
            const auto& args = command.args;
            if (args.size() == 2 && args[0] == "CLUSTER") {
                if (args[1] == "SLOTS") return test::expect_any(all_slots_on(port));
                return test::expect_any("-ERR unknown subcommand\r\n");
            }
            return answer(command, port);
        };
    });
}

RedisClusterOptions options_for(const FakeNode& node) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", node.port()}};
    options.connection_kwargs.socket_timeout = 2s;
    options.periodic_refresh_interval = 0ms;
    return options;
}

// Runs `io` until `done` or 5 s. (io.run() would not return: a client's
// open connections keep a read pending until it is destroyed. A context
// that ran out of work, a client whose connection failed, is restarted.)
template <class Done>
void run_until(::asio::io_context& io, Done done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        if (io.stopped()) io.restart();
        io.run_for(5ms);
    }
}

struct Outcome {
    std::error_code code;
    Reply reply;
};

// Sends one command and runs `io` until it completes (or 5 s: nullopt).
template <class... Args>
std::optional<Outcome> execute_and_wait(::asio::io_context& io, AsyncRedisCluster& rc, const Args&... args) {
    // Shared with the handler, which may still run after a timeout here.
    auto outcome = std::make_shared<std::optional<Outcome>>();
    rc.async_execute(args..., [outcome](std::error_code code, Reply reply) {
        *outcome = Outcome{code, std::move(reply)};
    });
    run_until(io, [&] { return outcome->has_value(); });
    return *outcome;
}

TEST(AsyncClientFake, AMovedIsFollowedToItsTarget) {
    FakeNode target(FakeNode::Responding{}, [](std::uint16_t) -> FakeNode::Responder {
        return [](const ReceivedCommand&) { return test::expect_any("$5\r\nthere\r\n"); };
    });
    const auto slot = key_slot("moved");
    FakeNode first = whole_cluster_node([&](const ReceivedCommand&, std::uint16_t) {
        return test::expect_any("-MOVED " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(target.port()) +
                                "\r\n");
    });
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options_for(first));
    const auto outcome = execute_and_wait(io, rc, "GET", "moved");
    ASSERT_TRUE(outcome);
    EXPECT_FALSE(outcome->code) << outcome->code.message();
    EXPECT_EQ(outcome->reply.str(), "there");
    // The map was updated: the slot now goes to the target.
    EXPECT_EQ(rc.connection_pool()->nodes.get_master_node_by_slot(slot).port, target.port());
}

TEST(AsyncClientFake, ARedirectLoopEndsWithMovedExhausted) {
    const auto slot = key_slot("loop");
    FakeNode node = whole_cluster_node([&](const ReceivedCommand&, std::uint16_t port) {
        return test::expect_any("-MOVED " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(port) + "\r\n");
    });
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options_for(node));
    const auto outcome = execute_and_wait(io, rc, "GET", "loop");
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->code, asio_error::moved_exhausted) << outcome->code.message();
    EXPECT_NE(outcome->reply.str().find("GET failed after 16 attempts"), std::string_view::npos)
        << outcome->reply.str();
}

TEST(AsyncClientFake, AnAskIsFollowedWithAskingFirst) {
    FakeNode target(FakeNode::Responding{}, [](std::uint16_t) -> FakeNode::Responder {
        return [](const ReceivedCommand& command) {
            if (command.args[0] == "ASKING") return test::expect_any("+OK\r\n");
            return test::expect_any("$8\r\nimported\r\n");
        };
    });
    const auto slot = key_slot("asked");
    FakeNode first = whole_cluster_node([&](const ReceivedCommand&, std::uint16_t) {
        return test::expect_any("-ASK " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(target.port()) + "\r\n");
    });
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options_for(first));
    const auto outcome = execute_and_wait(io, rc, "GET", "asked");
    ASSERT_TRUE(outcome);
    EXPECT_FALSE(outcome->code) << outcome->code.message();
    EXPECT_EQ(outcome->reply.str(), "imported");
    const auto received = target.commands();
    ASSERT_EQ(received.size(), 2U);
    EXPECT_EQ(received[0].args, (std::vector<std::string>{"ASKING"}));
    EXPECT_EQ(received[1].args, (std::vector<std::string>{"GET", "asked"}));
    // An ASK is not a move: the map still sends the slot to the first node.
    EXPECT_EQ(rc.connection_pool()->nodes.get_master_node_by_slot(slot).port, first.port());
}

TEST(AsyncClientFake, AReplyThatBreaksOffFailsOnlyTheCommandsInFlight) {
    FakeNode node = whole_cluster_node([](const ReceivedCommand& command, std::uint16_t) {
        const auto& key = command.args.at(1);
        if (key == "a") return test::expect_any("");  // answered with b's
        if (key == "b") return test::send_then_close("$1\r\na\r\n$10\r\nhal");
        return test::expect_any("$1\r\n" + key + "\r\n");
    });
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options_for(node));
    std::optional<Outcome> a;
    std::optional<Outcome> b;
    std::optional<Outcome> c;
    rc.async_execute("GET", "a", [&](std::error_code code, Reply r) { a = Outcome{code, std::move(r)}; });
    rc.async_execute("GET", "b", [&](std::error_code code, Reply r) {
        b = Outcome{code, std::move(r)};
        // The next command gets a new connection.
        rc.async_execute("GET", "c", [&](std::error_code code2, Reply r2) { c = Outcome{code2, std::move(r2)}; });
    });
    run_until(io, [&] { return a && b && c; });
    ASSERT_TRUE(a && b && c);
    EXPECT_FALSE(a->code) << "its reply came whole";
    EXPECT_EQ(a->reply.str(), "a");
    EXPECT_EQ(b->code, asio_error::interrupted) << b->code.message() << ": it may have run, so it is not retried";
    EXPECT_NE(b->reply.str().find("lost"), std::string_view::npos) << b->reply.str();
    EXPECT_FALSE(c->code) << c->code.message();
    EXPECT_EQ(c->reply.str(), "c");
}

TEST(AsyncClientFake, AMalformedReplyFailsTheCommandsInFlightWithInterrupted) {
    FakeNode node = whole_cluster_node([](const ReceivedCommand& command, std::uint16_t) {
        if (command.args.at(1) == "bad") return test::expect_any("?what\r\n");
        return test::expect_any("$2\r\nok\r\n");
    });
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options_for(node));
    std::optional<Outcome> bad;
    std::optional<Outcome> after;
    rc.async_execute("GET", "bad", [&](std::error_code code, Reply r) {
        bad = Outcome{code, std::move(r)};
        rc.async_execute("GET", "good", [&](std::error_code code2, Reply r2) { after = Outcome{code2, std::move(r2)}; });
    });
    run_until(io, [&] { return bad && after; });
    ASSERT_TRUE(bad && after);
    EXPECT_EQ(bad->code, asio_error::interrupted);
    EXPECT_NE(bad->reply.str().find("Protocol error"), std::string_view::npos) << bad->reply.str();
    EXPECT_EQ(after->reply.str(), "ok");
}

TEST(AsyncClientFake, ANodeThatNeverAnswersFailsTheCommandAfterSocketTimeout) {
    FakeNode node = whole_cluster_node([](const ReceivedCommand&, std::uint16_t) { return test::hang(); });
    auto options = options_for(node);
    options.connection_kwargs.socket_timeout = 200ms;
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = execute_and_wait(io, rc, "GET", "k");
    ASSERT_TRUE(outcome);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_EQ(outcome->code, asio_error::timeout) << outcome->code.message() << ": " << outcome->reply.str();
    EXPECT_NE(outcome->reply.str().find("Timeout reading from 127.0.0.1:" + std::to_string(node.port())),
              std::string_view::npos)
        << outcome->reply.str();
}

TEST(AsyncClientFake, ClusterDownIsRetriedAfterABackoffUntilTheClusterIsBack) {
    std::atomic<int> gets{0};
    FakeNode node = whole_cluster_node([&](const ReceivedCommand&, std::uint16_t) {
        return test::expect_any(++gets <= 2 ? "-CLUSTERDOWN The cluster is down\r\n" : "$4\r\nback\r\n");
    });
    auto options = options_for(node);
    options.command_timeout = 5s;
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    const auto outcome = execute_and_wait(io, rc, "GET", "k");
    ASSERT_TRUE(outcome);
    EXPECT_FALSE(outcome->code) << outcome->code.message() << ": " << outcome->reply.str();
    EXPECT_EQ(outcome->reply.str(), "back");
    EXPECT_EQ(gets, 3);
}

TEST(AsyncClientFake, ClusterDownGivenUpOnIsClusterDownWithTheServersText) {
    FakeNode node = whole_cluster_node([](const ReceivedCommand&, std::uint16_t) {
        return test::expect_any("-CLUSTERDOWN The cluster is down\r\n");
    });
    auto options = options_for(node);
    options.cluster_down_retry_attempts = 1;
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    const auto outcome = execute_and_wait(io, rc, "GET", "k");
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->code, asio_error::cluster_down) << outcome->code.message();
    EXPECT_EQ(outcome->reply.str(), "CLUSTERDOWN The cluster is down");
}

TEST(AsyncClientFake, ARefusedHandshakeFailsTheCommandWithConnectionSetup) {
    // Discovery authenticates; the client's own connection is refused.
    std::atomic<bool> refuse{false};
    FakeNode node = whole_cluster_node([&](const ReceivedCommand& command, std::uint16_t) {
        if (command.args[0] == "AUTH") {
            return test::expect_any(refuse ? "-WRONGPASS invalid username-password pair\r\n" : "+OK\r\n");
        }
        return test::expect_any("$2\r\nok\r\n");
    });
    auto options = options_for(node);
    options.connection_kwargs.password = "secret";
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    refuse = true;
    const auto outcome = execute_and_wait(io, rc, "GET", "k");
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->code, asio_error::connection_setup) << outcome->code.message();
    EXPECT_NE(outcome->reply.str().find("refused the connection's setup: WRONGPASS"), std::string_view::npos)
        << outcome->reply.str();
    EXPECT_NE(outcome->reply.str().find(std::to_string(node.port())), std::string_view::npos) << outcome->reply.str();
}

TEST(AsyncClientFake, ACancelledWrittenCommandsReplyIsDroppedAndTheNextGetsItsOwn) {
    FakeNode node = whole_cluster_node([](const ReceivedCommand& command, std::uint16_t) {
        if (command.args.at(1) == "held") return test::expect_any("");  // answered with the next
        return test::expect_any("$4\r\nheld\r\n$4\r\nnext\r\n");
    });
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options_for(node));
    ::asio::cancellation_signal signal;
    std::optional<Outcome> held;
    std::optional<Outcome> next;
    rc.async_execute("GET", "held", ::asio::bind_cancellation_slot(signal.slot(), [&](std::error_code c, Reply r) {
                         held = Outcome{c, std::move(r)};
                     }));
    ::asio::steady_timer timer(io, 10ms);
    std::function<void(std::error_code)> once_written = [&](std::error_code) {
        // Cancelled only once the node has it: its reply is then due.
        const auto received = node.commands();
        const bool arrived = std::any_of(received.begin(), received.end(), [](const ReceivedCommand& command) {
            return command.args == std::vector<std::string>{"GET", "held"};
        });
        if (!arrived) {
            timer.expires_after(5ms);
            timer.async_wait(once_written);
            return;
        }
        signal.emit(::asio::cancellation_type::terminal);
        rc.async_execute("GET", "next", [&](std::error_code c, Reply r) { next = Outcome{c, std::move(r)}; });
    };
    timer.async_wait(once_written);
    run_until(io, [&] { return held && next; });
    ASSERT_TRUE(held && next);
    EXPECT_EQ(held->code, ::asio::error::operation_aborted);
    EXPECT_FALSE(next->code) << next->code.message();
    EXPECT_EQ(next->reply.str(), "next");
}

// --- transactions and hostile replies ------------------------------------------------

struct BatchOutcome {
    std::error_code code;
    std::vector<Reply> replies;
};

TEST(AsyncClientFake, ATransactionAskedElsewhereGoesAgainThereWithAskingFirst) {
    FakeNode target(FakeNode::Responding{}, [](std::uint16_t) -> FakeNode::Responder {
        return [](const ReceivedCommand& command) {
            const auto& name = command.args[0];
            if (name == "ASKING" || name == "MULTI") return test::expect_any("+OK\r\n");
            if (name == "EXEC") return test::expect_any("*1\r\n:1\r\n");
            return test::expect_any("+QUEUED\r\n");
        };
    });
    const auto slot = key_slot("{tx}");
    FakeNode first = whole_cluster_node([&](const ReceivedCommand& command, std::uint16_t) {
        const auto& name = command.args[0];
        if (name == "MULTI") return test::expect_any("+OK\r\n");
        if (name == "EXEC") return test::expect_any("-EXECABORT Transaction discarded because of previous errors.\r\n");
        return test::expect_any("-ASK " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(target.port()) + "\r\n");
    });
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, options_for(first));
    std::optional<BatchOutcome> outcome;
    auto tx = rc.transaction("{tx}");
    tx.incr("{tx}:n");
    tx.async_exec([&](std::error_code code, std::vector<Reply> replies) { outcome = BatchOutcome{code, std::move(replies)}; });
    run_until(io, [&] { return outcome.has_value(); });
    ASSERT_TRUE(outcome);
    EXPECT_FALSE(outcome->code) << outcome->code.message();
    EXPECT_EQ(outcome->replies, (std::vector<Reply>{Reply::integer(1)}));
    const auto received = target.commands();
    ASSERT_EQ(received.size(), 4U);
    EXPECT_EQ(received[0].args, (std::vector<std::string>{"ASKING"}));
    EXPECT_EQ(received[1].args, (std::vector<std::string>{"MULTI"}));
    EXPECT_EQ(received[2].args, (std::vector<std::string>{"INCR", "{tx}:n"}));
    EXPECT_EQ(received[3].args, (std::vector<std::string>{"EXEC"}));
}

TEST(AsyncClientFake, ATransactionCutOffBeforeExecsReplyIsInterruptedAndNotSentAgain) {
    std::atomic<int> execs_seen = 0;
    FakeNode node = whole_cluster_node([&](const ReceivedCommand& command, std::uint16_t) {
        const auto& name = command.args[0];
        if (name == "MULTI") return test::expect_any("+OK\r\n");
        if (name == "EXEC") {
            ++execs_seen;
            return test::close_connection();  // EXEC arrived: it may have run
        }
        return test::expect_any("+QUEUED\r\n");
    });
    ::asio::io_context io(1);
    AsyncRedisCluster rc(io, options_for(node));
    std::optional<BatchOutcome> outcome;
    auto tx = rc.transaction("{tx}");
    tx.incr("{tx}:n").incr("{tx}:n");
    tx.async_exec([&](std::error_code code, std::vector<Reply> replies) { outcome = BatchOutcome{code, std::move(replies)}; });
    run_until(io, [&] { return outcome.has_value(); });
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->code, asio_error::interrupted) << outcome->code.message();
    ASSERT_EQ(outcome->replies.size(), 1U);
    EXPECT_TRUE(outcome->replies[0].is_error());
    EXPECT_EQ(execs_seen, 1);
}

TEST(AsyncClientFake, AnEndlessReplyFailsOnlyItsConnectionsCommandsAtTheParserLimit) {
    FakeNode node = whole_cluster_node([](const ReceivedCommand& command, std::uint16_t) {
        if (command.args.at(1) == "endless") return test::expect_any("+" + std::string(4096, 'a'));
        return test::expect_any("$4\r\nfine\r\n");
    });
    ::asio::io_context io(1);
    auto options = options_for(node);
    options.connection_kwargs.parser_limits.max_line_length = 1024;
    AsyncRedisCluster rc(io, options);
    const auto endless = execute_and_wait(io, rc, "GET", "endless");
    ASSERT_TRUE(endless);
    EXPECT_EQ(endless->code, asio_error::interrupted) << endless->code.message();
    EXPECT_NE(endless->reply.str().find("1024"), std::string_view::npos) << endless->reply.str();
    // A new connection serves what follows.
    const auto fine = execute_and_wait(io, rc, "GET", "fine");
    ASSERT_TRUE(fine);
    EXPECT_FALSE(fine->code) << fine->code.message();
    EXPECT_EQ(fine->reply.str(), "fine");
}

// --- where handlers run -----------------------------------------------------------------

// Runs `io` until `done` or 5 s, counting the handlers it ran and the
// exceptions that left it (a handler's, as from any handler).
template <class Done>
std::size_t run_counting(::asio::io_context& io, Done done, std::vector<std::string>& escaped) {
    std::size_t handlers = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        try {
            if (io.stopped()) io.restart();
            handlers += io.run_for(5ms);
        } catch (const std::runtime_error& thrown) {
            escaped.emplace_back(thrown.what());
        }
    }
    return handlers;
}

FakeNode answering_ok() {
    return whole_cluster_node([](const ReceivedCommand&, std::uint16_t) { return test::expect_any("$2\r\nok\r\n"); });
}

// The io_context's concurrency hint: Asio's default (any number of
// threads), or 1 (one thread, where handlers run from the read's own).
class AsyncHandlers : public ::testing::TestWithParam<int> {};

TEST_P(AsyncHandlers, AHandlerThatThrowsLeavesRunAndTheOtherHandlersStillRun) {
    FakeNode node = answering_ok();
    ::asio::io_context io(GetParam());
    AsyncRedisCluster rc(io, options_for(node));
    int answered = 0;
    const auto count = [&](std::error_code code, Reply reply) {
        if (!code && reply.str() == "ok") ++answered;
    };
    // One turn: one write, and their replies in one read (or a few).
    rc.async_execute("GET", "a", [](std::error_code, Reply) { throw std::runtime_error("the handler threw"); });
    rc.async_execute("GET", "b", count);
    rc.async_execute("GET", "c", count);
    std::vector<std::string> escaped;
    (void)run_counting(io, [&] { return answered == 2 && !escaped.empty(); }, escaped);
    EXPECT_EQ(answered, 2);
    EXPECT_EQ(escaped, std::vector<std::string>{"the handler threw"});
    // The connection is still in step: the next command gets its own reply.
    const auto next = execute_and_wait(io, rc, "GET", "d");
    ASSERT_TRUE(next);
    EXPECT_FALSE(next->code) << next->code.message();
    EXPECT_EQ(next->reply.str(), "ok");
}

TEST_P(AsyncHandlers, CommandsIssuedFromHandlersOneAfterAnotherAllComplete) {
    FakeNode node = answering_ok();
    ::asio::io_context io(GetParam());
    AsyncRedisCluster rc(io, options_for(node));
    constexpr int kChain = 200;
    int done = 0;
    std::function<void(std::error_code, Reply)> next = [&](std::error_code code, Reply reply) {
        ASSERT_FALSE(code) << code.message();
        ASSERT_EQ(reply.str(), "ok");
        if (++done < kChain) rc.async_execute("GET", "k" + std::to_string(done), next);
    };
    rc.async_execute("GET", "k0", next);
    std::vector<std::string> escaped;
    (void)run_counting(io, [&] { return done == kChain; }, escaped);
    EXPECT_EQ(done, kChain);
    EXPECT_TRUE(escaped.empty());
}

INSTANTIATE_TEST_SUITE_P(ConcurrencyHint, AsyncHandlers, ::testing::Values(ASIO_CONCURRENCY_HINT_DEFAULT, 1),
                         [](const ::testing::TestParamInfo<int>& hint) {
                             return hint.param == 1 ? std::string("OneThread") : std::string("AnyThreads");
                         });

// On a context run by one thread, a reply's handler is called from the
// handler that read it: a command issued from it then costs the event
// loop one handler (the read), where elsewhere the handlers' own post
// adds one.
TEST(AsyncHandlers, OnAOneThreadContextHandlersRunFromTheReadWithoutAPostOfTheirOwn) {
    FakeNode node = answering_ok();
    constexpr int kChain = 300;
    const auto handlers_per_command = [&](int concurrency_hint) {
        ::asio::io_context io(concurrency_hint);
        AsyncRedisCluster rc(io, options_for(node));
        // Connected and warm before counting.
        const auto first = execute_and_wait(io, rc, "GET", "warm");
        EXPECT_TRUE(first && !first->code);
        int done = 0;
        std::function<void(std::error_code, Reply)> next = [&](std::error_code, Reply) {
            if (++done < kChain) rc.async_execute("GET", "k", next);
        };
        rc.async_execute("GET", "k", next);
        std::vector<std::string> escaped;
        const auto handlers = run_counting(io, [&] { return done == kChain; }, escaped);
        EXPECT_EQ(done, kChain);
        return static_cast<double>(handlers) / kChain;
    };
    const double posted = handlers_per_command(ASIO_CONCURRENCY_HINT_DEFAULT);
    const double one_thread = handlers_per_command(1);
    EXPECT_LE(one_thread + 0.9, posted) << "one thread: " << one_thread << ", any threads: " << posted;
}

}  // namespace
}  // namespace rediscluster
