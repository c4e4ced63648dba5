#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detail/command_routing.hpp"
#include "detail/request.hpp"
#include "rediscluster/client.hpp"
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

TEST(CommandRouting, ScanIsRefusedWithAPointerToTheClusterScan) {
    const auto blocked = route({"SCAN", "0"});
    EXPECT_EQ(blocked.target, Target::Blocked);
    EXPECT_NE(blocked.reason.find("scan_iter"), std::string::npos) << blocked.reason;
}

TEST(CommandRouting, KeylessAndUnknownCommandsGoToAnyNode) {
    EXPECT_EQ(route({"TIME"}).target, Target::Random);
    EXPECT_EQ(route({"CLUSTER", "INFO"}).target, Target::Random);
    EXPECT_EQ(route({"MODULE.COMMAND", "k"}).target, Target::Random);
}

// Routes alike, field by field.
void expect_same_route(const CommandRoute& a, const CommandRoute& b, std::string_view what) {
    EXPECT_EQ(a.target, b.target) << what;
    EXPECT_EQ(a.combine, b.combine) << what;
    EXPECT_EQ(a.keys, (std::vector<std::size_t>(b.keys.begin(), b.keys.end()))) << what;
    EXPECT_EQ(a.read_only, b.read_only) << what;
    EXPECT_EQ(a.reason, b.reason) << what;
    EXPECT_EQ(a.known, b.known) << what;
}

TEST(CommandRouting, NamesMatchInAnyCase) {
    const std::vector<std::vector<std::string_view>> commands = {
        {"GET", "k"}, {"SET", "k", "v"}, {"MGET", "a", "b"}, {"ZREVRANGEBYSCORE", "k", "+inf", "0"},
        {"GEORADIUSBYMEMBER_RO", "k", "m", "1", "km"}, {"HINCRBYFLOAT", "k", "f", "1.5"},
        {"EVALSHA_RO", "sha", "1", "k"}, {"ZUNIONSTORE", "d", "2", "a", "b"}, {"BZMPOP", "0", "1", "k", "MIN"},
        {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}, {"SORT_RO", "k"}, {"MEMORY", "USAGE", "k"},
        {"PING"}, {"DBSIZE"}, {"FLUSHDB"}, {"SCRIPT", "FLUSH"}, {"FUNCTION", "DELETE", "lib"},
        {"SELECT", "1"}, {"UNWATCH"}, {"SSUBSCRIBE", "c"}, {"READWRITE"}, {"SCAN", "0"},
    };
    for (const auto& upper : commands) {
        for (const auto fold : {0, 1, 2}) {
            // lower case, then alternating cases starting either way
            std::vector<std::string> spelled(upper.begin(), upper.end());
            for (std::size_t i = 0; i < spelled[0].size(); ++i) {
                char& c = spelled[0][i];
                const bool lower = fold == 0 || (i % 2 == 0) == (fold == 1);
                if (lower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            }
            const std::vector<std::string_view> args(spelled.begin(), spelled.end());
            expect_same_route(route(args), route(upper), spelled[0]);
        }
    }
    EXPECT_EQ(route({"sCrIpT", "lOaD", "return 1"}).combine, Combine::First);
    EXPECT_EQ(route({"xread", "streams", "s", "0"}).keys, (std::vector<std::size_t>{2}));
    EXPECT_EQ(route({"sort", "k", "store", "d"}).keys, (std::vector<std::size_t>{1, 3}));
    EXPECT_EQ(route({"memory", "usage", "k"}).keys, (std::vector<std::size_t>{2}));
}

TEST(CommandRouting, MessagesNameTheCommandInUpperCase) {
    EXPECT_EQ(route({"select", "1"}).reason, route({"SELECT", "1"}).reason);
    EXPECT_TRUE(route({"multi"}).reason.starts_with("MULTI "));
    try {
        (void)route({"eval", "return 1"});
        ADD_FAILURE() << "no DataError";
    } catch (const DataError& e) {
        EXPECT_STREQ(e.what(), "EVAL: the key count is missing");
    }
    try {
        (void)route({"get"});
        ADD_FAILURE() << "no DataError";
    } catch (const DataError& e) {
        EXPECT_STREQ(e.what(), "No way to dispatch this command to Redis Cluster. Missing key: GET");
    }
}

TEST(CommandRouting, UnknownNamesAreLeftToTheServersTable) {
    // Near misses of known names: one letter more or less, a separator
    // changed, a non-ASCII byte where case folding must not reach.
    for (const auto* name : {"GE", "GETT", "XGET", "SORTRO", "SORT-RO", "EVAL-RO", "G\xc9T", "g\xe9t", "", "A",
                             "ZREVRANGEBYSCOREX", "GEORADIUSBYMEMBER_RO_", "CLUSTER", "MODULE.COMMAND"}) {
        const auto unknown = route({name, "k"});
        EXPECT_EQ(unknown.target, Target::Random) << name;
        EXPECT_FALSE(unknown.known) << name;
        EXPECT_TRUE(unknown.keys.empty()) << name;
        EXPECT_FALSE(command_is_read_only(name)) << name;
    }
    // Known names whose arguments match none of their rules.
    for (const auto& args : std::vector<std::vector<std::string_view>>{
             {"PING", "hello"}, {"script", "exists", "sha"}, {"FUNCTION", "LIST"}, {"memory", "stats"}, {"MEMORY", "USAGE"}}) {
        const auto other = route(args);
        EXPECT_EQ(other.target, Target::Random) << args[0] << " " << args[1];
        EXPECT_FALSE(other.known) << args[0] << " " << args[1];
    }
}

TEST(CommandRouting, ManyKeysAllCount) {
    std::vector<std::string> keys;
    std::vector<std::string_view> args{"del"};
    std::vector<std::size_t> expected;
    for (std::size_t i = 1; i <= 40; ++i) keys.push_back("key" + std::to_string(i));
    for (std::size_t i = 1; i <= 40; ++i) {
        args.push_back(keys[i - 1]);
        expected.push_back(i);
    }
    EXPECT_EQ(route(args).keys, expected);
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
    for (const auto* name : {"Get", "zRevRangeByScore", "xread", "Sort_Ro", "evalsha_ro", "gEoRaDiUs_Ro"}) {
        EXPECT_TRUE(command_is_read_only(name)) << name;
    }
    for (const auto* name : {"Set", "xreadgroup", "sort", "ping", "G\xc5T", "GETT"}) {
        EXPECT_FALSE(command_is_read_only(name)) << name;
    }
}

// The inline vector behind CommandRoute::keys and the client's argument
// lists: inline first, all on the heap once past its inline capacity.
TEST(SmallVector, KeepsOrderAcrossTheSpill) {
    SmallVector<std::size_t, 4> values;
    EXPECT_TRUE(values.empty());
    std::vector<std::size_t> expected;
    for (std::size_t i = 0; i < 10; ++i) {
        values.push_back(i * 3);
        expected.push_back(i * 3);
        EXPECT_EQ(values, expected);
    }
    auto copy = values;
    EXPECT_EQ(copy, expected);
    values.push_back(values[0]);  // an element of its own, while on the heap
    expected.push_back(0);
    EXPECT_EQ(values, expected);
    values.clear();
    EXPECT_TRUE(values.empty());
    for (std::size_t i = 0; i < 4; ++i) values.push_back(i);
    values.push_back(values[3]);  // an inline element, pushed as it spills
    EXPECT_EQ(values, (std::vector<std::size_t>{0, 1, 2, 3, 3}));
}

TEST(CommandRouting, MsetWithAnOddNumberOfArgumentsIsRefused) {
    EXPECT_EQ(route({"MSET", "a", "1", "b", "2"}).keys, (std::vector<std::size_t>{1, 3}));
    EXPECT_THROW((void)route({"MSET", "a", "1", "b"}), DataError);
    EXPECT_THROW((void)route({"msetnx", "a"}), DataError);
}

TEST(CommandRouting, BlockingCommandsAreMarked) {
    EXPECT_TRUE(route({"blpop", "q", "0"}).blocking);
    EXPECT_TRUE(route({"XREAD", "block", "0", "STREAMS", "s", "$"}).blocking);
    EXPECT_TRUE(route({"WAIT", "1", "0"}).blocking);
    EXPECT_FALSE(route({"XREAD", "COUNT", "1", "STREAMS", "s", "0"}).blocking);
    EXPECT_FALSE(route({"GET", "BLOCK"}).blocking);
    EXPECT_FALSE(command_blocks({}));
}

TEST(Request, KeepsEachCommandEncodedWithItsFacts) {
    Request request;
    const std::vector<std::string_view> set{"SET", "k", "v"};
    const std::vector<std::string_view> get{"get", "other"};
    request.add(set, CommandFacts{.target = Target::Slot, .slot = 7});
    request.add(get, CommandFacts{.target = Target::Slot, .slot = 9, .read_only = true});
    ASSERT_EQ(request.size(), 2U);
    EXPECT_EQ(request.packed(0), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    EXPECT_EQ(request.packed(1), "*2\r\n$3\r\nget\r\n$5\r\nother\r\n");
    EXPECT_EQ(request.name(0), "SET");
    EXPECT_EQ(request.name(1), "get");
    EXPECT_EQ(request.facts(1).slot, 9);
    EXPECT_TRUE(request.facts(1).read_only);
    request.clear();
    EXPECT_TRUE(request.empty());
}

TEST(Request, ParsesAnEncodedCommandAndRefusesAnythingElse) {
    const auto args = parse_packed_command("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    EXPECT_EQ(args, (std::vector<std::string_view>{"GET", "k"}));
    for (const std::string_view bad : {"", "GET k\r\n", "*2\r\n$3\r\nGET\r\n", "*1\r\n$9\r\nGET\r\n",
                                       "*1\r\n$3\r\nGET\r\nextra", "*0\r\n", "*x\r\n"}) {
        EXPECT_THROW((void)parse_packed_command(bad), DataError) << bad;
    }
}

// The per-thread Request the client encodes single commands into.
TEST(ThreadRequest, ReusesTheThreadsRequestButNotAHugeOne) {
    const std::vector<std::string_view> small{"SET", "k", std::string_view("0123456789")};
    const Request* first = nullptr;
    {
        ThreadRequest lease;
        lease.get().add(small, {});
        first = &lease.get();
    }
    const std::string huge(std::size_t{1} << 20, 'x');
    {
        ThreadRequest lease;
        EXPECT_EQ(&lease.get(), first);
        EXPECT_TRUE(lease.get().empty());
        EXPECT_GE(lease.get().capacity(), 20U);
        const std::vector<std::string_view> big{"SET", "k", huge};
        lease.get().add(big, {});
    }
    ThreadRequest lease;
    EXPECT_LT(lease.get().capacity(), std::size_t{1} << 20);
}

TEST(ThreadRequest, ALeaseInsideALeaseHasARequestOfItsOwn) {
    const std::vector<std::string_view> ping{"PING"};
    ThreadRequest outer;
    outer.get().add(ping, {});
    {
        ThreadRequest inner;
        EXPECT_NE(&inner.get(), &outer.get());
        EXPECT_TRUE(inner.get().empty());
    }
    EXPECT_EQ(outer.get().size(), 1U);
}

}  // namespace
}  // namespace rediscluster::detail
