// MultiplexedConnection against scripted fake nodes: many threads over one
// connection get their own replies in order; a failure reaches every
// waiter (unsent commands as retryable ConnectionError) and closes the
// connection; a silent node fails them all within the socket timeout. The
// connection is the pool's: borrowed for commands in flight, idle in the
// pool between them, and a borrow that fails fails the waiters with the
// pool's own error, leaving the shared connection usable.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "detail/multiplexed_connection.hpp"
#include "fake_node.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/pool.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using detail::MultiplexedConnection;
using test::FakeNode;
using test::FakeStep;
using test::ReceivedCommand;
using test::resp_bulk;

FakeStep answer(std::string bytes) { return FakeStep{FakeStep::Action::expect, std::nullopt, std::move(bytes)}; }

std::unique_ptr<ClusterConnectionPool> pool_for(std::uint16_t port, std::chrono::milliseconds socket_timeout = 2s) {
    ClusterConnectionPoolOptions options;
    options.startup_nodes = {{"127.0.0.1", port}};
    options.init_slot_cache = false;
    options.connection_kwargs.socket_timeout = socket_timeout;
    return std::make_unique<ClusterConnectionPool>(options);
}

std::string get_command(const std::string& key) {
    std::string packed;
    encode_command(packed, "GET", key);
    return packed;
}

TEST(MultiplexedConnection, ManyThreadsShareOneConnectionAndEachGetsItsOwnReply) {
    // GET <key> answers <key>: a reply given to the wrong caller shows.
    FakeNode node(FakeNode::Responding{}, [](std::uint16_t) {
        return [](const ReceivedCommand& command) { return answer(resp_bulk(command.args.at(1))); };
    });
    auto pool = pool_for(node.port());
    MultiplexedConnection shared(*pool, make_node("127.0.0.1", node.port(), "master"));
    // Enough turns changing hands that a lost wake-up would hang the test.
    constexpr int kThreads = 16;
    constexpr int kCommands = 2000;
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            Reply reply;
            for (int i = 0; i < kCommands; ++i) {
                const std::string key = "k" + std::to_string(t) + ":" + std::to_string(i);
                shared.execute(get_command(key), reply);
                if (reply.str() != key) ++wrong;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(node.accepted_connections(), 1u);
    EXPECT_EQ(node.commands().size(), static_cast<std::size_t>(kThreads * kCommands));
    EXPECT_EQ(pool->created_connections(), 1u);
}

TEST(MultiplexedConnection, ErrorRepliesAreValuesForTheirCallerOnly) {
    FakeNode node(FakeNode::Responding{}, [](std::uint16_t) {
        return [](const ReceivedCommand& command) {
            return command.args.at(1) == "bad" ? answer("-WRONGTYPE not a string\r\n") : answer(resp_bulk("ok"));
        };
    });
    auto pool = pool_for(node.port());
    MultiplexedConnection shared(*pool, make_node("127.0.0.1", node.port(), "master"));
    Reply reply;
    shared.execute(get_command("bad"), reply);
    EXPECT_TRUE(reply.is_error());
    shared.execute(get_command("good"), reply);
    EXPECT_EQ(reply.str(), "ok");
}

TEST(MultiplexedConnection, AClosedConnectionFailsEveryWaiterAndTheNextCommandTakesAnother) {
    // The 50th command closes the connection; a dozen threads are waiting.
    std::atomic<int> seen{0};
    FakeNode node(FakeNode::Responding{}, [&](std::uint16_t) {
        return [&](const ReceivedCommand& command) {
            if (++seen == 50) return test::close_connection();
            return answer(resp_bulk(command.args.at(1)));
        };
    });
    auto pool = pool_for(node.port());
    auto shared = std::make_shared<MultiplexedConnection>(*pool, make_node("127.0.0.1", node.port(), "master"));
    std::atomic<int> connection_errors{0};
    std::atomic<int> other_errors{0};
    std::atomic<int> completed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 12; ++t) {
        threads.emplace_back([&, t] {
            Reply reply;
            for (int i = 0; i < 100; ++i) {
                try {
                    shared->execute(get_command("k" + std::to_string(t)), reply);
                } catch (const ConnectionError&) {
                    ++connection_errors;
                    return;
                } catch (...) {
                    ++other_errors;
                    return;
                }
            }
            ++completed;
        });
    }
    for (auto& thread : threads) thread.join();
    // Those in flight when the connection closed fail, and nothing else; a
    // thread between two commands at that moment goes on over a new one.
    EXPECT_GE(connection_errors.load(), 1);
    EXPECT_EQ(connection_errors.load() + completed.load(), 12);
    EXPECT_EQ(other_errors.load(), 0);
    // Nothing of the shared connection itself broke: the next command
    // borrows a new connection.
    Reply reply;
    shared->execute(get_command("after"), reply);
    EXPECT_EQ(reply.str(), "after");
    EXPECT_GE(node.accepted_connections(), 2u);
    // The failed connection was closed and uncounted, not pooled.
    EXPECT_EQ(pool->created_connections(), 1u);
}

// Written together, "GET b" and "GET c": b's reply breaks off, then the
// connection closes. b's command ran (its reply had begun), so it gets the
// IncompleteReplyError and is not retried; no byte of c's reply came, so c
// is told its connection was lost, as a command alone would be, and the
// client may retry it.
TEST(MultiplexedConnection, AfterAReplyThatBrokeOffTheWrittenCommandsBehindItMayBeRetried) {
    FakeNode node(FakeNode::Responding{}, [](std::uint16_t) {
        return [](const ReceivedCommand& command) {
            const auto& key = command.args.at(1);
            // The node serves one command at a time: while it sleeps here,
            // b and c queue behind the slow command, and leave together.
            if (key == "slow") std::this_thread::sleep_for(400ms);
            if (key == "b") return FakeStep{FakeStep::Action::send_then_close, std::nullopt, "$10\r\nbro"};
            return answer(resp_bulk(key));
        };
    });
    auto pool = pool_for(node.port());
    MultiplexedConnection shared(*pool, make_node("127.0.0.1", node.port(), "master"));
    const auto outcome = [&](const std::string& key) {
        Reply reply;
        try {
            shared.execute(get_command(key), reply);
            return "reply " + std::string(reply.str());
        } catch (const IncompleteReplyError&) {
            return std::string("IncompleteReplyError");
        } catch (const ConnectionError& e) {
            return "ConnectionError: " + std::string(e.what());
        }
    };
    std::string slow, b, c;
    std::thread slow_thread([&] { slow = outcome("slow"); });
    std::this_thread::sleep_for(100ms);
    std::thread b_thread([&] { b = outcome("b"); });
    std::this_thread::sleep_for(100ms);
    std::thread c_thread([&] { c = outcome("c"); });
    slow_thread.join();
    b_thread.join();
    c_thread.join();
    EXPECT_EQ(slow, "reply slow");
    EXPECT_EQ(b, "IncompleteReplyError");
    EXPECT_EQ(c.rfind("ConnectionError: ", 0), 0U) << c;
    EXPECT_NE(c.find("lost before the reply"), std::string::npos) << c;
}

TEST(MultiplexedConnection, ASilentNodeFailsEveryWaiterWithinTheSocketTimeout) {
    FakeNode node(FakeNode::Responding{}, [](std::uint16_t) {
        return [](const ReceivedCommand&) { return test::hang(); };
    });
    auto pool = pool_for(node.port(), 300ms);
    MultiplexedConnection shared(*pool, make_node("127.0.0.1", node.port(), "master"));
    std::atomic<int> timeouts{0};
    std::atomic<int> unsent{0};
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&] {
            Reply reply;
            try {
                shared.execute(get_command("k"), reply);
            } catch (const TimeoutError&) {
                ++timeouts;
            } catch (const ConnectionError& e) {
                if (std::string_view(e.what()).find("before the command was sent") != std::string_view::npos) ++unsent;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 900ms);
    EXPECT_GE(timeouts.load(), 1);
    EXPECT_EQ(timeouts.load() + unsent.load(), 6);
    EXPECT_EQ(pool->created_connections(), 0u);
}

// The connection each shared one borrows, lends and borrows again: the
// fake node echoes GET's key.
FakeNode::ResponderMaker echo_get() {
    return [](std::uint16_t) {
        return [](const ReceivedCommand& command) { return answer(resp_bulk(command.args.at(1))); };
    };
}

ClusterConnectionPoolOptions one_per_node_options(std::uint16_t port) {
    ClusterConnectionPoolOptions options;
    options.startup_nodes = {{"127.0.0.1", port}};
    options.init_slot_cache = false;
    options.max_connections_per_node = 1;
    options.connection_kwargs.socket_timeout = 2s;
    return options;
}

// Runs `threads` commands at once over the multiplexer's shared connection
// to `target` and returns, for each, what it threw ("" for nothing), as
// "<type>: <message>".
template <class Pool>
std::vector<std::string> run_at_once(detail::Multiplexer& multiplexer, Pool& pool, const NodeInfo& target,
                                     int threads) {
    std::vector<std::string> outcomes(static_cast<std::size_t>(threads));
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t) {
        running.emplace_back([&, t] {
            auto& outcome = outcomes[static_cast<std::size_t>(t)];
            Reply reply;
            try {
                multiplexer.connection_to(pool, target)->execute(get_command("k" + std::to_string(t)), reply);
            } catch (const ConnectionError& e) {
                outcome = std::string("ConnectionError: ") + e.what();
            } catch (const RedisClusterException& e) {
                outcome = std::string("RedisClusterException: ") + e.what();
            } catch (const std::exception& e) {
                outcome = std::string("other: ") + e.what();
            }
        });
    }
    for (auto& thread : running) thread.join();
    return outcomes;
}

TEST(Multiplexer, ABorrowTimingOutFailsEveryQueuedWaiterOnceAndTheNextCommandWorks) {
    FakeNode node(FakeNode::Responding{}, echo_get());
    auto options = one_per_node_options(node.port());
    options.timeout = 400ms;
    ClusterBlockingConnectionPool pool(options);
    detail::Multiplexer multiplexer;
    const auto target = make_node("127.0.0.1", node.port(), "master");
    Reply reply;
    multiplexer.connection_to(pool, target)->execute(get_command("first"), reply);
    ASSERT_EQ(reply.str(), "first");
    std::vector<std::string> outcomes;
    const auto started = std::chrono::steady_clock::now();
    {
        // The node's only connection, idle in the pool between commands,
        // is taken away: the next turn waits for it in the pool and times out.
        auto held = pool.get_connection_by_node(target);
        outcomes = run_at_once(multiplexer, pool, target, 8);
    }
    // The waiters queued behind the turn holder fail with its error, not
    // after a wait of their own each (8 x 400 ms).
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1200ms);
    for (const auto& outcome : outcomes) {
        EXPECT_TRUE(outcome.starts_with("ConnectionError: No connection available for " + target.name)) << outcome;
    }
    // Nothing broke: the connection is back and the same object goes on.
    multiplexer.connection_to(pool, target)->execute(get_command("after"), reply);
    EXPECT_EQ(reply.str(), "after");
    EXPECT_EQ(node.accepted_connections(), 1u);
    EXPECT_EQ(pool.created_connections(), 1u);
}

TEST(Multiplexer, ABorrowRefusedAtTheCapFailsTheWaitersWithTheCapErrorAsItIs) {
    FakeNode node(FakeNode::Responding{}, echo_get());
    ClusterConnectionPool pool(one_per_node_options(node.port()));
    detail::Multiplexer multiplexer;
    const auto target = make_node("127.0.0.1", node.port(), "master");
    Reply reply;
    multiplexer.connection_to(pool, target)->execute(get_command("first"), reply);
    ASSERT_EQ(reply.str(), "first");
    std::vector<std::string> outcomes;
    {
        auto held = pool.get_connection_by_node(target);
        outcomes = run_at_once(multiplexer, pool, target, 8);
    }
    for (const auto& outcome : outcomes) {
        // The pool's own exception type and message, not a ConnectionError
        // (which the client would retry as if the node were unreachable).
        EXPECT_TRUE(outcome.starts_with("RedisClusterException: Too many connections (1) for node: " + target.name))
            << outcome;
    }
    multiplexer.connection_to(pool, target)->execute(get_command("after"), reply);
    EXPECT_EQ(reply.str(), "after");
    EXPECT_EQ(node.accepted_connections(), 1u);
}

TEST(Multiplexer, ARefusedConnectFailsTheCommandAndLeavesTheSharedConnectionUsable) {
    std::uint16_t port = 0;
    {
        FakeNode gone(std::vector<test::FakeScript>{});
        port = gone.port();
    }  // nothing listens there any more
    ClusterConnectionPoolOptions options = one_per_node_options(port);
    ClusterConnectionPool pool(options);
    detail::Multiplexer multiplexer;
    const auto target = make_node("127.0.0.1", port, "master");
    const auto shared = multiplexer.connection_to(pool, target);
    for (int i = 0; i < 2; ++i) {
        Reply reply;
        EXPECT_THROW(shared->execute(get_command("k"), reply), ConnectionError);
        EXPECT_EQ(pool.created_connections(), 0u);  // the failed connection is not kept
    }
    EXPECT_EQ(multiplexer.connection_to(pool, target), shared);
}

TEST(Multiplexer, AnIdleSharedConnectionIsAnIdlePoolConnection) {
    FakeNode node(FakeNode::Responding{}, echo_get());
    ClusterConnectionPool pool(one_per_node_options(node.port()));
    detail::Multiplexer multiplexer;
    const auto target = make_node("127.0.0.1", node.port(), "master");
    Reply reply;
    multiplexer.connection_to(pool, target)->execute(get_command("shared"), reply);
    ASSERT_EQ(reply.str(), "shared");
    EXPECT_EQ(pool.created_connections(), 1u);
    {
        // At the cap of one, this borrow works only if the shared
        // connection went back to the pool; LIFO hands out the same one.
        auto borrowed = pool.get_connection_by_node(target);
        borrowed->send_command("GET", "pooled");
        EXPECT_EQ(borrowed->read_response().str(), "pooled");
    }
    multiplexer.connection_to(pool, target)->execute(get_command("shared again"), reply);
    EXPECT_EQ(reply.str(), "shared again");
    EXPECT_EQ(node.accepted_connections(), 1u);
    EXPECT_EQ(pool.created_connections(), 1u);
}

TEST(Multiplexer, DisconnectClosesTheIdleSharedConnection) {
    FakeNode node(FakeNode::Responding{}, echo_get());
    ClusterConnectionPool pool(one_per_node_options(node.port()));
    detail::Multiplexer multiplexer;
    const auto target = make_node("127.0.0.1", node.port(), "master");
    Reply reply;
    multiplexer.connection_to(pool, target)->execute(get_command("before"), reply);
    pool.disconnect();
    EXPECT_EQ(pool.created_connections(), 0u);
    multiplexer.connection_to(pool, target)->execute(get_command("after"), reply);
    EXPECT_EQ(reply.str(), "after");
    EXPECT_EQ(node.accepted_connections(), 2u);  // a fresh one after disconnect()
}

TEST(Multiplexer, ForgetsTheNodesThatAreNoLongerMasters) {
    ClusterConnectionPoolOptions options;
    options.startup_nodes = {{"127.0.0.1", 7000}};
    options.init_slot_cache = false;
    ClusterConnectionPool pool(options);  // nothing is connected below
    detail::Multiplexer multiplexer;
    const auto stays = make_node("127.0.0.1", 7000, "master");
    const auto demoted = make_node("127.0.0.1", 7001, "master");
    const auto gone = make_node("127.0.0.1", 7002, "master");
    const auto kept = multiplexer.connection_to(pool, stays);
    const auto was_demoted = multiplexer.connection_to(pool, demoted);
    const auto was_gone = multiplexer.connection_to(pool, gone);
    ASSERT_EQ(multiplexer.connection_to(pool, gone), was_gone);
    // 7001 is now 7000's replica; 7002 left.
    multiplexer.forget_nodes_not_in(SlotTable({SlotRange{0, 16383, stays, {make_node("127.0.0.1", 7001, "slave")}}}));
    EXPECT_EQ(multiplexer.connection_to(pool, stays), kept);
    EXPECT_NE(multiplexer.connection_to(pool, demoted), was_demoted);
    EXPECT_NE(multiplexer.connection_to(pool, gone), was_gone);
}

}  // namespace
}  // namespace rediscluster
