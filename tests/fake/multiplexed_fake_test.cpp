// MultiplexedConnection against scripted fake nodes: many threads over one
// connection get their own replies in order; a failure reaches every
// waiter (unsent commands as retryable ConnectionError), closes the
// connection and returns it to its pool; a silent node fails them all
// within the socket timeout.

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
    MultiplexedConnection shared(pool->get_connection_by_node(make_node("127.0.0.1", node.port(), "master")));
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
    EXPECT_TRUE(shared.usable());
}

TEST(MultiplexedConnection, ErrorRepliesAreValuesForTheirCallerOnly) {
    FakeNode node(FakeNode::Responding{}, [](std::uint16_t) {
        return [](const ReceivedCommand& command) {
            return command.args.at(1) == "bad" ? answer("-WRONGTYPE not a string\r\n") : answer(resp_bulk("ok"));
        };
    });
    auto pool = pool_for(node.port());
    MultiplexedConnection shared(pool->get_connection_by_node(make_node("127.0.0.1", node.port(), "master")));
    Reply reply;
    shared.execute(get_command("bad"), reply);
    EXPECT_TRUE(reply.is_error());
    shared.execute(get_command("good"), reply);
    EXPECT_EQ(reply.str(), "ok");
    EXPECT_TRUE(shared.usable());
}

TEST(MultiplexedConnection, AClosedConnectionFailsEveryWaiterAndGoesBackToThePool) {
    // The 50th command closes the connection; a dozen threads are waiting.
    std::atomic<int> seen{0};
    FakeNode node(FakeNode::Responding{}, [&](std::uint16_t) {
        return [&](const ReceivedCommand& command) {
            if (++seen == 50) return test::close_connection();
            return answer(resp_bulk(command.args.at(1)));
        };
    });
    auto pool = pool_for(node.port());
    auto shared = std::make_shared<MultiplexedConnection>(
        pool->get_connection_by_node(make_node("127.0.0.1", node.port(), "master")));
    std::atomic<int> connection_errors{0};
    std::atomic<int> other_errors{0};
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
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(connection_errors.load(), 12);  // everyone, once, and nothing else
    EXPECT_EQ(other_errors.load(), 0);
    EXPECT_FALSE(shared->usable());
    EXPECT_EQ(pool->created_connections(), 0u);  // closed and uncounted at once
    Reply reply;
    EXPECT_THROW(shared->execute(get_command("after"), reply), ConnectionError);
}

TEST(MultiplexedConnection, ASilentNodeFailsEveryWaiterWithinTheSocketTimeout) {
    FakeNode node(FakeNode::Responding{}, [](std::uint16_t) {
        return [](const ReceivedCommand&) { return test::hang(); };
    });
    auto pool = pool_for(node.port(), 300ms);
    MultiplexedConnection shared(pool->get_connection_by_node(make_node("127.0.0.1", node.port(), "master")));
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

TEST(MultiplexedConnection, BlockingCommandsAreRecognised) {
    using detail::blocks_connection;
    const std::vector<std::string_view> blpop{"blpop", "q", "0"};
    const std::vector<std::string_view> xread_block{"XREAD", "block", "0", "STREAMS", "s", "$"};
    const std::vector<std::string_view> xread{"XREAD", "COUNT", "1", "STREAMS", "s", "0"};
    const std::vector<std::string_view> get{"GET", "BLOCK"};
    const std::vector<std::string_view> wait{"WAIT", "1", "0"};
    EXPECT_TRUE(blocks_connection(blpop));
    EXPECT_TRUE(blocks_connection(xread_block));
    EXPECT_TRUE(blocks_connection(wait));
    EXPECT_FALSE(blocks_connection(xread));
    EXPECT_FALSE(blocks_connection(get));
    EXPECT_FALSE(blocks_connection({}));
}

}  // namespace
}  // namespace rediscluster
