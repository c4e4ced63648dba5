// RedisCluster against scripted fake nodes: what a real cluster cannot be
// made to do, such as a node that redirects to itself forever.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "fake_node.hpp"
#include "rediscluster/client.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using test::expect;
using test::expect_any;
using test::FakeNode;
using test::resp_array;
using test::resp_bulk;
using test::resp_integer;

// CLUSTER SLOTS: every slot served by the node at `port`.
std::string all_slots_on(std::uint16_t port) {
    return resp_array({resp_array({resp_integer(0), resp_integer(16383),
                                   resp_array({resp_bulk("127.0.0.1"), resp_integer(port)})})});
}

TEST(RedisClusterFake, ARedirectLoopEndsWithTtlExhaustedListingTheAttempts) {
    const auto slot = key_slot("loop");
    FakeNode node([&](std::uint16_t port) {
        test::FakeScript redirects;
        for (int i = 0; i < 16; ++i) {
            redirects.push_back(expect_any("-MOVED " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(port) + "\r\n"));
        }
        return std::vector<test::FakeScript>{test::refuse_cluster_shards(), {expect({"CLUSTER", "SLOTS"}, all_slots_on(port))},
                                             redirects};
    });
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", node.port()}};
    options.connection_kwargs.socket_timeout = 2s;
    RedisCluster rc(options);

    const auto started = std::chrono::steady_clock::now();
    const auto message = test::error_of<ClusterError>([&] { (void)rc.get("loop"); });
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    EXPECT_EQ(message.rfind("TTL exhausted: GET failed after 16 attempts:", 0), 0u) << message;
    EXPECT_NE(message.find("attempt 16 on 127.0.0.1:" + std::to_string(node.port())), std::string::npos) << message;

    std::size_t gets = 0;
    for (const auto& command : node.commands()) gets += command.args.front() == "GET" ? 1U : 0U;
    EXPECT_EQ(gets, 16u);  // exactly the budget, no more
}

TEST(RedisClusterFake, MovedToAnUnreachableAddressFailsWithinItsBudget) {
    const auto slot = key_slot("nowhere");
    FakeNode node([&](std::uint16_t port) {
        test::FakeScript redirects;
        for (int i = 0; i < 16; ++i) redirects.push_back(expect_any("-MOVED " + std::to_string(slot) + " 127.0.0.1:1\r\n"));
        return std::vector<test::FakeScript>{test::refuse_cluster_shards(), {expect({"CLUSTER", "SLOTS"}, all_slots_on(port))},
                                             redirects};
    });
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", node.port()}};
    options.connection_kwargs.socket_timeout = 2s;
    options.connection_kwargs.socket_connect_timeout = 1s;
    RedisCluster rc(options);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW((void)rc.get("nowhere"), RedisError);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    // The pool holds no connection to the unreachable node afterwards.
    EXPECT_EQ(rc.connection_pool->created_connections(make_node("127.0.0.1", 1, "master")), 0u);
}

}  // namespace
}  // namespace rediscluster
