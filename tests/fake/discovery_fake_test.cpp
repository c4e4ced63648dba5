// ClusterConnectionPool discovery against scripted fake seeds: the endpoint
// rules of CLUSTER SLOTS (empty host, "?", host names), replies of the wrong
// shape, a seed that never answers, and partial slot coverage.
//
// Discovery asks each node for CLUSTER SHARDS and CLUSTER NODES together on
// one connection. These seeds are servers without CLUSTER SHARDS (before
// 7.0): they refuse it, and are asked for CLUSTER SLOTS on the next
// connection; only when the answers do not cover every slot, CONFIG GET
// cluster-require-full-coverage on the one after.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fake_node.hpp"
#include "rediscluster/pool.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::expect;
using test::FakeNode;
using test::ReceivedCommand;
using test::resp_array;
using test::resp_bulk;
using test::resp_integer;

const std::vector<std::string> kNoProblems;
const std::vector<std::string> kClusterSlots = {"CLUSTER", "SLOTS"};
const std::vector<std::string> kClusterShards = {"CLUSTER", "SHARDS"};
const std::vector<std::string> kClusterNodes = {"CLUSTER", "NODES"};
const std::vector<std::string> kConfigGetCoverage = {"CONFIG", "GET", "cluster-require-full-coverage"};
const test::FakeScript kNoShards = test::refuse_cluster_shards();
const std::vector<ReceivedCommand> kAskedForSlots = {{0, kClusterShards}, {0, kClusterNodes}, {1, kClusterSlots}};

// One node of a CLUSTER SLOTS entry: [host, port, id].
std::string endpoint(std::string_view host, std::uint16_t port) {
    return resp_array({resp_bulk(host), resp_integer(port), resp_bulk("0123456789abcdef0123456789abcdef01234567")});
}

// One CLUSTER SLOTS entry: [first, last, master, replicas...].
std::string slot_range(int first, int last, const std::vector<std::string>& nodes) {
    std::vector<std::string> fields{resp_integer(first), resp_integer(last)};
    fields.insert(fields.end(), nodes.begin(), nodes.end());
    return resp_array(fields);
}

// Every slot served by the node that answers (empty host).
std::string all_slots_on_responder(std::uint16_t port) {
    return resp_array({slot_range(0, 16383, {endpoint("", port)})});
}

std::string coverage_reply(std::string_view value) {
    return resp_array({resp_bulk("cluster-require-full-coverage"), resp_bulk(value)});
}

ClusterConnectionPoolOptions options_for(const std::vector<const FakeNode*>& seeds) {
    ClusterConnectionPoolOptions options;
    for (const auto* seed : seeds) options.startup_nodes.push_back({seed->host(), seed->port()});
    options.connection_kwargs.socket_timeout = 2s;
    options.connection_kwargs.socket_connect_timeout = 2s;
    return options;
}

// The message of the RedisClusterException building the pool throws.
std::string discovery_error(ClusterConnectionPoolOptions options) {
    return test::error_of<RedisClusterException>([&] { ClusterConnectionPool pool(std::move(options)); });
}

std::string seed_name(const FakeNode& node) { return "127.0.0.1:" + std::to_string(node.port()); }

// A seed that answers CLUSTER SLOTS with what `reply(port)` says, port
// being the seed's own.
std::unique_ptr<FakeNode> seed_answering(const std::function<std::string(std::uint16_t)>& reply) {
    return std::make_unique<FakeNode>([&](std::uint16_t port) {
        return std::vector<test::FakeScript>{kNoShards, {expect(kClusterSlots, reply(port))}};
    });
}

// --- endpoint rules ------------------------------------------------------------------

TEST(DiscoveryFake, EmptyHostMeansTheResponder) {
    const auto seed = seed_answering(all_slots_on_responder);
    ClusterConnectionPool pool(options_for({seed.get()}));
    EXPECT_EQ(pool.nodes.all_nodes(), std::vector<NodeInfo>{make_node("127.0.0.1", seed->port(), "master")});
    EXPECT_EQ(pool.nodes.slots()->size(), 16384u);
    EXPECT_EQ(pool.get_master_node_by_slot(12182).name, seed_name(*seed));
    EXPECT_EQ(seed->commands(), kAskedForSlots);
    EXPECT_EQ(seed->problems(), kNoProblems);
}

TEST(DiscoveryFake, UnknownEndpointsAreSkipped) {
    // A replica announced as "?", and a whole range whose master is "?": the
    // replica is dropped, the range stays uncovered (and, as coverage is
    // then partial, the seed is asked whether that is acceptable).
    const FakeNode seed([](std::uint16_t port) {
        const auto slots = resp_array({
            slot_range(0, 8191, {endpoint("", port), endpoint("?", 7100)}),
            slot_range(8192, 16383, {endpoint("?", 7101), endpoint("", port)}),
        });
        return std::vector<test::FakeScript>{kNoShards, {expect(kClusterSlots, slots)},
                                             {expect(kConfigGetCoverage, coverage_reply("no"))}};
    });
    ClusterConnectionPool pool(options_for({&seed}));
    EXPECT_EQ(pool.nodes.all_nodes(), std::vector<NodeInfo>{make_node("127.0.0.1", seed.port(), "master")});
    EXPECT_EQ(pool.nodes.slots()->size(), 8192u);
    EXPECT_TRUE(pool.nodes.slots()->covered(8191));
    EXPECT_FALSE(pool.nodes.slots()->covered(8192));
    EXPECT_THROW((void)pool.get_master_node_by_slot(8192), SlotNotCoveredError);
    EXPECT_EQ(seed.problems(), kNoProblems);
}

TEST(DiscoveryFake, HostNamesAreKeptAsNames) {
    const auto seed = seed_answering([](std::uint16_t) {
        return resp_array({slot_range(0, 16383, {endpoint("localhost", 7000), endpoint("redis-replica.test", 7003)})});
    });
    ClusterConnectionPool pool(options_for({seed.get()}));
    const auto master = pool.get_master_node_by_slot(0);
    EXPECT_EQ(master, make_node("localhost", 7000, "master"));
    EXPECT_EQ(master.name, "localhost:7000");
    EXPECT_EQ(pool.nodes.get_nodes_by_server_type("slave"),
              std::vector<NodeInfo>{make_node("redis-replica.test", 7003, "slave")});
    EXPECT_EQ(seed->problems(), kNoProblems);
}

TEST(DiscoveryFake, EmptyHostMeansTheSeedAsItWasNamed) {
    // The responder is the seed as the user named it: a name stays a name
    // (connecting to "localhost" may try ::1 before 127.0.0.1).
    const auto seed = seed_answering(all_slots_on_responder);
    ClusterConnectionPoolOptions options = options_for({seed.get()});
    options.startup_nodes = {{"localhost", seed->port()}};
    ClusterConnectionPool pool(std::move(options));
    EXPECT_EQ(pool.nodes.all_nodes(), std::vector<NodeInfo>{make_node("localhost", seed->port(), "master")});
    EXPECT_EQ(seed->problems(), kNoProblems);
}

// --- replies of the wrong shape ----------------------------------------------------------

TEST(DiscoveryFake, ReplyThatIsNotAnArrayFailsNamingTheSeedAndTheShape) {
    const FakeNode seed({kNoShards, {expect(kClusterSlots, "+OK\r\n")}});
    const auto message = discovery_error(options_for({&seed}));
    EXPECT_NE(message.find("Redis Cluster cannot be connected"), std::string::npos) << message;
    EXPECT_NE(message.find(seed_name(seed) + ": CLUSTER SLOTS: expected an array of slot ranges"), std::string::npos)
        << message;
    EXPECT_EQ(seed.problems(), kNoProblems);
}

TEST(DiscoveryFake, EntryWithAStringSlotFailsNamingTheSeedAndTheEntry) {
    const auto seed = seed_answering([](std::uint16_t port) {
        return resp_array({resp_array({resp_bulk("0"), resp_integer(16383), endpoint("", port)})});
    });
    const auto message = discovery_error(options_for({seed.get()}));
    EXPECT_NE(message.find(seed_name(*seed) + ": CLUSTER SLOTS entry 0: expected a slot number in 0..16383"),
              std::string::npos)
        << message;
    EXPECT_EQ(seed->problems(), kNoProblems);
}

TEST(DiscoveryFake, ErrorReplyFailsNamingTheSeed) {
    const FakeNode seed({{expect(kClusterShards, "-ERR This instance has cluster support disabled\r\n"),
                          expect(kClusterNodes, "-ERR This instance has cluster support disabled\r\n")},
                         {expect(kClusterSlots, "-ERR This instance has cluster support disabled\r\n")}});
    const auto message = discovery_error(options_for({&seed}));
    EXPECT_NE(message.find(seed_name(seed) + ": ERR This instance has cluster support disabled"), std::string::npos)
        << message;
}

TEST(DiscoveryFake, ABadSeedIsSkippedForTheNextOne) {
    const FakeNode bad({kNoShards, {expect(kClusterSlots, "+OK\r\n")}});
    const auto good = seed_answering(all_slots_on_responder);
    ClusterConnectionPool pool(options_for({&bad, good.get()}));
    EXPECT_EQ(pool.nodes.all_nodes(), std::vector<NodeInfo>{make_node("127.0.0.1", good->port(), "master")});
    EXPECT_EQ(pool.nodes.slots()->size(), 16384u);
    EXPECT_EQ(bad.commands(), kAskedForSlots);
    EXPECT_EQ(good->commands(), kAskedForSlots);
    EXPECT_EQ(bad.problems(), kNoProblems);
    EXPECT_EQ(good->problems(), kNoProblems);
}

TEST(DiscoveryFake, ASeedWithAStringSlotIsSkippedForTheNextOne) {
    const auto bad = seed_answering([](std::uint16_t port) {
        return resp_array({resp_array({resp_bulk("0"), resp_integer(16383), endpoint("", port)})});
    });
    const auto good = seed_answering(all_slots_on_responder);
    ClusterConnectionPool pool(options_for({bad.get(), good.get()}));
    EXPECT_EQ(pool.get_master_node_by_slot(0).port, good->port());
    EXPECT_EQ(bad->commands().size(), 3u);
}

// --- a seed that never answers ---------------------------------------------------------

TEST(DiscoveryFake, AHangingSeedDoesNotHangDiscovery) {
    const FakeNode hanging({{expect(kClusterShards, ""), test::hang()}});
    const auto good = seed_answering(all_slots_on_responder);
    auto options = options_for({&hanging, good.get()});
    options.connection_kwargs.socket_timeout = 500ms;
    const auto start = Clock::now();
    std::optional<ClusterConnectionPool> pool;
    EXPECT_NO_THROW(pool.emplace(std::move(options)));
    const auto elapsed = Clock::now() - start;
    EXPECT_LT(elapsed, 3s);
    EXPECT_GE(elapsed, 500ms) << "the hanging seed was asked first";
    ASSERT_TRUE(pool);
    EXPECT_EQ(pool->get_master_node_by_slot(0).port, good->port());
    EXPECT_EQ(hanging.commands().front(), (ReceivedCommand{0, kClusterShards}));
    EXPECT_EQ(hanging.problems(), kNoProblems);
}

TEST(DiscoveryFake, DiscoveryTimeoutIsCappedEvenWhenConnectionsWaitForever) {
    // socket_timeout = nullopt means "wait forever" for ordinary replies;
    // discovery still gives up on a frozen seed (after its own 5 s cap).
    const FakeNode hanging({{expect(kClusterShards, ""), test::hang()}});
    const auto good = seed_answering(all_slots_on_responder);
    auto options = options_for({&hanging, good.get()});
    options.connection_kwargs.socket_timeout = std::nullopt;
    const auto start = Clock::now();
    std::optional<ClusterConnectionPool> pool;
    EXPECT_NO_THROW(pool.emplace(std::move(options)));
    EXPECT_LT(Clock::now() - start, 7s);
    ASSERT_TRUE(pool);
    EXPECT_EQ(pool->get_master_node_by_slot(0).port, good->port());
}

// --- partial coverage --------------------------------------------------------------------

std::vector<test::FakeScript> partial_coverage(std::uint16_t port, std::string_view require_full_coverage) {
    return {kNoShards, {expect(kClusterSlots, resp_array({slot_range(0, 100, {endpoint("", port)})}))},
            {expect(kConfigGetCoverage, coverage_reply(require_full_coverage))}};
}

TEST(DiscoveryFake, PartialCoverageAcceptedWhenTheClusterDoesNotRequireFullCoverage) {
    const FakeNode seed([](std::uint16_t port) { return partial_coverage(port, "no"); });
    ClusterConnectionPool pool(options_for({&seed}));
    EXPECT_EQ(pool.nodes.slots()->size(), 101u);
    EXPECT_TRUE(pool.nodes.slots()->covered(100));
    EXPECT_FALSE(pool.nodes.slots()->covered(101));
    // Each command on a connection of its own.
    const std::vector<ReceivedCommand> expected = {
        {0, kClusterShards}, {0, kClusterNodes}, {1, kClusterSlots}, {2, kConfigGetCoverage}};
    EXPECT_EQ(seed.commands(), expected) << test::to_string(seed.commands());
    EXPECT_EQ(seed.problems(), kNoProblems);
}

TEST(DiscoveryFake, PartialCoverageRefusedWhenTheClusterRequiresFullCoverage) {
    const FakeNode seed([](std::uint16_t port) { return partial_coverage(port, "yes"); });
    const auto message = discovery_error(options_for({&seed}));
    EXPECT_TRUE(message.starts_with("All slots are not covered")) << message;
    EXPECT_NE(message.find("101 of 16384"), std::string::npos) << message;
    EXPECT_NE(message.find(seed_name(seed)), std::string::npos) << message;
    EXPECT_EQ(seed.commands().size(), 4u) << test::to_string(seed.commands());
    EXPECT_EQ(seed.problems(), kNoProblems);
}

TEST(DiscoveryFake, SkipFullCoverageCheckDoesNotAsk) {
    const FakeNode seed([](std::uint16_t port) {
        return std::vector<test::FakeScript>{kNoShards, {expect(kClusterSlots, resp_array({slot_range(0, 100, {endpoint("", port)})}))}};
    });
    auto options = options_for({&seed});
    options.skip_full_coverage_check = true;
    ClusterConnectionPool pool(std::move(options));
    EXPECT_EQ(pool.nodes.slots()->size(), 101u);
    EXPECT_EQ(seed.commands(), kAskedForSlots);
    EXPECT_EQ(seed.accepted_connections(), 2u);
    EXPECT_EQ(seed.problems(), kNoProblems);
}

}  // namespace
}  // namespace rediscluster
