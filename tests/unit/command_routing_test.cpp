#include <gtest/gtest.h>

#include <vector>

#include "detail/command_routing.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {
namespace {

using Target = CommandRoute::Target;
using Combine = CommandRoute::Combine;

CommandRoute route(std::vector<std::string_view> args) { return route_command(args); }

TEST(CommandRouting, SingleKeyCommandsRouteByTheirKey) {
    const auto get = route({"get", "k"});
    EXPECT_EQ(get.target, Target::Slot);
    EXPECT_EQ(get.keys, (std::vector<std::size_t>{1}));
    EXPECT_TRUE(get.read_only);
    const auto set = route({"SET", "k", "v", "PX", "100"});
    EXPECT_EQ(set.keys, (std::vector<std::size_t>{1}));
    EXPECT_FALSE(set.read_only);
    EXPECT_EQ(route({"OBJECT", "ENCODING", "k"}).keys, (std::vector<std::size_t>{2}));
}

TEST(CommandRouting, MultiKeyCommandsListEveryKey) {
    EXPECT_EQ(route({"MGET", "a", "b", "c"}).keys, (std::vector<std::size_t>{1, 2, 3}));
    EXPECT_EQ(route({"MSET", "a", "1", "b", "2"}).keys, (std::vector<std::size_t>{1, 3}));
    EXPECT_EQ(route({"DEL", "a", "b"}).keys, (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(route({"BLPOP", "a", "b", "0"}).keys, (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(route({"RENAME", "a", "b"}).keys, (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(route({"BITOP", "AND", "dest", "a", "b"}).keys, (std::vector<std::size_t>{2, 3, 4}));
}

TEST(CommandRouting, CommandsWithAKeyCount) {
    EXPECT_EQ(route({"EVAL", "return 1", "2", "a", "b", "arg"}).keys, (std::vector<std::size_t>{3, 4}));
    EXPECT_EQ(route({"EVAL", "return 1", "0"}).target, Target::Random);
    EXPECT_EQ(route({"ZUNIONSTORE", "dest", "2", "a", "b", "WEIGHTS", "1", "2"}).keys,
              (std::vector<std::size_t>{1, 3, 4}));
    EXPECT_EQ(route({"ZUNION", "2", "a", "b"}).keys, (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(route({"BLMPOP", "0", "1", "a", "LEFT"}).keys, (std::vector<std::size_t>{3}));
    EXPECT_THROW(route({"EVAL", "return 1", "5", "a"}), DataError);
    EXPECT_THROW(route({"EVAL", "return 1", "x"}), DataError);
    EXPECT_THROW(route({"EVAL", "return 1"}), DataError);
}

TEST(CommandRouting, StreamsAndSort) {
    EXPECT_EQ(route({"XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"}).keys, (std::vector<std::size_t>{4, 5}));
    EXPECT_TRUE(route({"XREAD", "STREAMS", "s", "0"}).read_only);
    EXPECT_FALSE(route({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}).read_only);
    EXPECT_THROW(route({"XREAD", "STREAMS", "s1", "s2", "0"}), DataError);
    EXPECT_EQ(route({"SORT", "k", "LIMIT", "0", "5", "STORE", "dest"}).keys, (std::vector<std::size_t>{1, 6}));
}

TEST(CommandRouting, WholeClusterCommands) {
    EXPECT_EQ(route({"DBSIZE"}).combine, Combine::Sum);
    EXPECT_EQ(route({"KEYS", "*"}).combine, Combine::Concat);
    EXPECT_EQ(route({"FLUSHALL"}).combine, Combine::AllOk);
    EXPECT_EQ(route({"ping"}).target, Target::AllMasters);
    EXPECT_EQ(route({"PING", "hello"}).target, Target::Random);  // an echo, one node is enough
    EXPECT_EQ(route({"INFO", "server"}).combine, Combine::PerNode);
    EXPECT_EQ(route({"SCRIPT", "load", "return 1"}).combine, Combine::First);
}

TEST(CommandRouting, CommandsACLusterClientCannotRunAreBlocked) {
    for (const auto* name : {"SELECT", "MOVE", "SWAPDB", "MULTI", "EXEC", "WATCH", "SUBSCRIBE", "MONITOR", "SCAN",
                             "READONLY", "ASKING", "AUTH"}) {
        const auto blocked = route({name, "x"});
        EXPECT_EQ(blocked.target, Target::Blocked) << name;
        EXPECT_FALSE(blocked.reason.empty()) << name;
    }
}

TEST(CommandRouting, KeylessAndUnknownCommandsGoToAnyNode) {
    EXPECT_EQ(route({"TIME"}).target, Target::Random);
    EXPECT_EQ(route({"CLUSTER", "INFO"}).target, Target::Random);
    EXPECT_EQ(route({"MODULE.COMMAND", "k"}).target, Target::Random);
}

TEST(CommandRouting, MissingKeyOrCommandIsADataError) {
    EXPECT_THROW(route({"GET"}), DataError);
    EXPECT_THROW(route({}), DataError);
}

}  // namespace
}  // namespace rediscluster::detail

namespace rediscluster::detail {
namespace {

TEST(CommandIsReadOnly, ReadsButNotWritesOrCursors) {
    for (const auto* name : {"GET", "get", "MGET", "HGETALL", "ZRANGE", "XREAD", "EVAL_RO", "SORT_RO", "EXISTS"}) {
        EXPECT_TRUE(command_is_read_only(name)) << name;
    }
    for (const auto* name : {"SET", "DEL", "SSCAN", "HSCAN", "ZSCAN", "EVAL", "XREADGROUP", "UNKNOWN", ""}) {
        EXPECT_FALSE(command_is_read_only(name)) << name;
    }
}

}  // namespace
}  // namespace rediscluster::detail
