// Commands sent to every master, against three fake masters: a part that
// fails on one node is retried on that node alone, the others answer once.

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "fake_node.hpp"
#include "rediscluster/client.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using test::expect_any;
using test::FakeNode;
using test::ReceivedCommand;
using test::resp_array;
using test::resp_bulk;
using test::resp_integer;

// Three masters, a third of the slots each; what each answers to DBSIZE
// is decided per node, per DBSIZE received.
class ThreeMasters {
public:
    using DbsizeAnswer = std::function<test::FakeStep(int node, int dbsize_count)>;

    explicit ThreeMasters(DbsizeAnswer dbsize) : dbsize_(std::move(dbsize)) {
        for (std::size_t i = 0; i < 3; ++i) {
            nodes_[i] = std::make_unique<FakeNode>(FakeNode::Responding{}, [this, i](std::uint16_t) {
                return [this, i](const ReceivedCommand& command) { return respond(i, command); };
            });
            ports_[i] = nodes_[i]->port();
        }
    }

    [[nodiscard]] std::uint16_t port(std::size_t i) const { return ports_[i]; }
    [[nodiscard]] int dbsize_calls(std::size_t i) const { return dbsize_calls_[i].load(); }

private:
    test::FakeStep respond(std::size_t i, const ReceivedCommand& command) {
        const auto& args = command.args;
        if (args.at(0) == "CLUSTER" && args.size() > 1 && args[1] == "SLOTS") return expect_any(slots());
        if (args.at(0) == "DBSIZE") return dbsize_(static_cast<int>(i), ++dbsize_calls_[i]);
        // CLUSTER SHARDS and NODES (a server before 7.0), COMMAND (no
        // server table: the built-in table routes).
        return expect_any("-ERR unknown command\r\n");
    }

    std::string slots() const {
        const auto range = [&](int first, int last, std::size_t node) {
            return resp_array({resp_integer(first), resp_integer(last),
                               resp_array({resp_bulk("127.0.0.1"), resp_integer(ports_[node].load())})});
        };
        return resp_array({range(0, 5460, 0), range(5461, 10922, 1), range(10923, 16383, 2)});
    }

    DbsizeAnswer dbsize_;
    std::array<std::atomic<std::uint16_t>, 3> ports_{};
    std::array<std::atomic<int>, 3> dbsize_calls_{};
    std::array<std::unique_ptr<FakeNode>, 3> nodes_;  // last: their threads call respond()
};

RedisClusterOptions options_for(const ThreeMasters& masters) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", masters.port(0)}};
    options.connection_kwargs.socket_timeout = 2s;
    options.command_timeout = 5s;
    return options;
}

TEST(FanOutFake, APartThatFailsIsRetriedOnItsNodeOnly) {
    // Node 1 says TRYAGAIN to its first DBSIZE; node 2 closes the
    // connection on its first one. Each then answers its index plus one.
    ThreeMasters masters([](int node, int count) {
        if (node == 1 && count == 1) return expect_any("-TRYAGAIN Multiple keys request during rehashing of slot\r\n");
        if (node == 2 && count == 1) return test::close_connection();
        return expect_any(resp_integer(node + 1));
    });
    RedisCluster rc(options_for(masters));
    EXPECT_EQ(rc.dbsize(), 1 + 2 + 3);
    EXPECT_EQ(masters.dbsize_calls(0), 1);
    EXPECT_EQ(masters.dbsize_calls(1), 2);
    EXPECT_EQ(masters.dbsize_calls(2), 2);
}

TEST(FanOutFake, AMovedToAKeylessPartIsFollowedButNotRecordedAgainstItsSlot) {
    // The part for node 1 is routed by slot 5461, which has nothing to do
    // with DBSIZE: a MOVED for it must not move the slot in the client's map.
    std::atomic<std::uint16_t> node2_port{0};
    ThreeMasters masters([&](int node, int count) {
        if (node == 1 && count == 1) {
            return expect_any("-MOVED 5461 127.0.0.1:" + std::to_string(node2_port.load()) + "\r\n");
        }
        return expect_any(resp_integer(node + 1));
    });
    node2_port = masters.port(2);
    RedisCluster rc(options_for(masters));
    EXPECT_EQ(rc.dbsize(), 1 + 3 + 3);  // the part went where it was told
    EXPECT_EQ(masters.dbsize_calls(1), 1);
    EXPECT_EQ(masters.dbsize_calls(2), 2);
    EXPECT_EQ(rc.connection_pool->get_master_node_by_slot(5461).port, masters.port(1));
}

TEST(FanOutFake, AnErrorReplyOfOnePartIsTheAnswer) {
    ThreeMasters masters([](int node, int) {
        if (node == 2) return expect_any("-ERR no DBSIZE here\r\n");
        return expect_any(resp_integer(1));
    });
    RedisCluster rc(options_for(masters));
    try {
        (void)rc.dbsize();
        FAIL() << "expected ResponseError";
    } catch (const ResponseError& e) {
        EXPECT_EQ(std::string(e.what()), "ERR no DBSIZE here");
    }
    // Each part ran once: an error reply is the command's own answer.
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(masters.dbsize_calls(i), 1) << i;
}

}  // namespace
}  // namespace rediscluster
