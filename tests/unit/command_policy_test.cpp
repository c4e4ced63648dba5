// Command policies: the tips of the server's COMMAND table, the routing
// they lead to (with the built-in table as the fallback), the parts of a
// command sent to every master or node, and how their replies combine.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detail/command_catalog.hpp"
#include "detail/command_policy.hpp"
#include "detail/command_table.hpp"
#include "detail/fan_out.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::detail {
namespace {

using Target = CommandRoute::Target;

// --- RESP as a Redis 7.0 server writes it (RESP2) ------------------------------

std::string bulk(std::string_view text) { return "$" + std::to_string(text.size()) + "\r\n" + std::string(text) + "\r\n"; }
std::string integer(long long value) { return ":" + std::to_string(value) + "\r\n"; }
std::string array(const std::vector<std::string>& elements) {
    std::string text = "*" + std::to_string(elements.size()) + "\r\n";
    for (const auto& element : elements) text += element;
    return text;
}
std::string statuses(const std::vector<std::string_view>& words) {
    std::vector<std::string> elements;
    for (const auto word : words) elements.push_back("+" + std::string(word) + "\r\n");
    return array(elements);
}
std::string bulks(const std::vector<std::string_view>& words) {
    std::vector<std::string> elements;
    for (const auto word : words) elements.push_back(bulk(word));
    return array(elements);
}
// One entry of COMMAND: name, arity, flags, first key, last key, step, ACL
// categories, tips, key specs, subcommands.
std::string entry(std::string_view name, const std::vector<std::string_view>& flags, int first, int last,
                  const std::vector<std::string_view>& tips, const std::vector<std::string>& subcommands = {}) {
    return array({bulk(name), integer(-2), statuses(flags), integer(first), integer(last), integer(first > 0 ? 1 : 0),
                  statuses({"@slow"}), bulks(tips), array({}), array(subcommands)});
}
// A Redis 6 entry: no tips, key specs nor subcommands.
std::string entry_without_tips(std::string_view name, int first, int last) {
    return array({bulk(name), integer(-2), statuses({}), integer(first), integer(last), integer(first > 0 ? 1 : 0),
                  statuses({"@slow"})});
}

Reply parse(const std::string& resp) {
    ReplyParser parser;
    parser.feed(resp);
    auto reply = parser.next();
    EXPECT_TRUE(reply.has_value());
    return reply ? std::move(*reply) : Reply();
}

// What Redis 7.0.15 answers for these commands (COMMAND INFO), trimmed.
std::string redis7_commands() {
    return array({
        entry("config", {}, 0, 0, {},
              {entry("config|set", {"admin", "noscript", "loading", "stale"}, 0, 0,
                     {"request_policy:all_nodes", "response_policy:all_succeeded"}),
               entry("config|get", {"admin", "noscript", "loading", "stale"}, 0, 0, {})}),
        entry("script", {}, 0, 0, {},
              {entry("script|exists", {"noscript"}, 0, 0, {"request_policy:all_shards", "response_policy:agg_logical_and"}),
               entry("script|kill", {"noscript", "allow_busy"}, 0, 0,
                     {"nondeterministic_output", "request_policy:all_shards", "response_policy:one_succeeded"})}),
        entry("dbsize", {"readonly", "fast"}, 0, 0, {"request_policy:all_shards", "response_policy:agg_sum"}),
        entry("keys", {"readonly"}, 0, 0, {"request_policy:all_shards", "nondeterministic_output_order"}),
        entry("info", {"loading", "stale"}, 0, 0,
              {"nondeterministic_output", "request_policy:all_shards", "response_policy:special"}),
        entry("mget", {"readonly", "fast"}, 1, -1, {"request_policy:multi_shard"}),
        entry("wait", {"noscript"}, 0, 0, {"request_policy:all_shards", "response_policy:agg_min"}),
        entry("time", {"loading", "stale", "fast"}, 0, 0, {"nondeterministic_output"}),
        entry("ping", {"fast"}, 0, 0, {"request_policy:all_shards", "response_policy:all_succeeded"}),
        entry("flushall", {"write"}, 0, 0, {"request_policy:all_shards", "response_policy:all_succeeded"}),
        entry("mymodule.broadcast", {"write"}, 0, 0, {"request_policy:all_nodes", "response_policy:agg_max"}),
    });
}

TEST(PolicyTip, ReadsRequestAndResponsePolicies) {
    EXPECT_EQ(parse_policy_tip("request_policy:all_shards").request, RequestPolicy::AllShards);
    EXPECT_EQ(parse_policy_tip("request_policy:all_nodes").request, RequestPolicy::AllNodes);
    EXPECT_EQ(parse_policy_tip("request_policy:multi_shard").request, RequestPolicy::MultiShard);
    EXPECT_EQ(parse_policy_tip("request_policy:special").request, RequestPolicy::Special);
    const std::pair<std::string_view, ResponsePolicy> responses[] = {
        {"one_succeeded", ResponsePolicy::OneSucceeded},   {"all_succeeded", ResponsePolicy::AllSucceeded},
        {"agg_logical_and", ResponsePolicy::AggLogicalAnd}, {"agg_logical_or", ResponsePolicy::AggLogicalOr},
        {"agg_min", ResponsePolicy::AggMin},               {"agg_max", ResponsePolicy::AggMax},
        {"agg_sum", ResponsePolicy::AggSum},               {"special", ResponsePolicy::Special},
    };
    for (const auto& [name, policy] : responses) {
        EXPECT_EQ(parse_policy_tip("response_policy:" + std::string(name)).response, policy) << name;
        EXPECT_EQ(to_string(policy), name);
        EXPECT_EQ(parse_policy_tip("response_policy:" + std::string(name)).request, std::nullopt);
    }
    // Other tips, and values this client does not know, say nothing.
    EXPECT_EQ(parse_policy_tip("nondeterministic_output").request, std::nullopt);
    EXPECT_EQ(parse_policy_tip("nondeterministic_output").response, std::nullopt);
    EXPECT_EQ(parse_policy_tip("request_policy:somewhere_new").request, std::nullopt);
    EXPECT_EQ(parse_policy_tip("response_policy:agg_median").response, std::nullopt);
}

// COMMAND INFO get mget keys, as Redis 7.0.15 answers it under RESP3
// (HELLO 3): flags, categories, tips and subcommands come as sets, key
// specs as maps.
const std::string kRedis7Resp3CommandInfo =
    "*3\r\n"
    "*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n"
    "+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\n"
    "begin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n"
    "$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n"
    ":0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n"
    "*10\r\n$4\r\nmget\r\n:-2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:-1\r\n:1\r\n~3\r\n+@read\r\n"
    "+@string\r\n+@fast\r\n~1\r\n$26\r\nrequest_policy:multi_shard\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n"
    "+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n"
    "$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n"
    "$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n"
    "*10\r\n$4\r\nkeys\r\n:2\r\n~1\r\n+readonly\r\n:0\r\n:0\r\n:0\r\n~4\r\n+@keyspace\r\n+@read\r\n"
    "+@slow\r\n+@dangerous\r\n~2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\n"
    "nondeterministic_output_order\r\n~0\r\n~0\r\n";

TEST(CommandTableTips, ReadsTheResp3ShapeOfTheSameTable) {
    const auto reply = parse(kRedis7Resp3CommandInfo);
    ASSERT_EQ(reply[0][2].type(), ReplyType::Set);  // what the test is about
    const auto table = CommandTable::parse(reply);
    const auto* get = table.find("GET", "");
    ASSERT_NE(get, nullptr);
    EXPECT_TRUE(get->read_only);
    EXPECT_EQ(get->first_key, 1);
    EXPECT_EQ(get->last_key, 1);
    EXPECT_TRUE(get->has_tips);
    EXPECT_EQ(get->request_policy, RequestPolicy::Default);
    EXPECT_EQ(table.find("mget", "")->request_policy, RequestPolicy::MultiShard);
    EXPECT_EQ(table.find("mget", "")->last_key, -1);
    EXPECT_EQ(table.find("keys", "")->request_policy, RequestPolicy::AllShards);
    EXPECT_EQ(table.find("keys", "")->response_policy, ResponsePolicy::Default);
}

TEST(CommandTableTips, ReadsThePoliciesOfCommandsAndSubcommands) {
    const auto table = CommandTable::parse(parse(redis7_commands()));
    const auto* config_set = table.find("CONFIG", "SET");
    ASSERT_NE(config_set, nullptr);
    EXPECT_TRUE(config_set->has_tips);
    EXPECT_EQ(config_set->request_policy, RequestPolicy::AllNodes);
    EXPECT_EQ(config_set->response_policy, ResponsePolicy::AllSucceeded);
    const auto* exists = table.find("script", "exists");
    ASSERT_NE(exists, nullptr);
    EXPECT_EQ(exists->request_policy, RequestPolicy::AllShards);
    EXPECT_EQ(exists->response_policy, ResponsePolicy::AggLogicalAnd);
    EXPECT_EQ(table.find("script", "kill")->response_policy, ResponsePolicy::OneSucceeded);
    EXPECT_EQ(table.find("dbsize", "")->response_policy, ResponsePolicy::AggSum);
    EXPECT_EQ(table.find("keys", "*")->request_policy, RequestPolicy::AllShards);
    EXPECT_EQ(table.find("keys", "*")->response_policy, ResponsePolicy::Default);
    EXPECT_EQ(table.find("mget", "")->request_policy, RequestPolicy::MultiShard);
    // A command with tips that are not policies has tips, and no policy.
    EXPECT_TRUE(table.find("time", "")->has_tips);
    EXPECT_EQ(table.find("time", "")->request_policy, RequestPolicy::Default);
    EXPECT_EQ(table.find("config", "get")->request_policy, RequestPolicy::Default);
}

TEST(CommandTableTips, ARedis6TableHasNoTips) {
    const auto table = CommandTable::parse(parse(array({entry_without_tips("dbsize", 0, 0), entry_without_tips("get", 1, 1)})));
    ASSERT_NE(table.find("dbsize", ""), nullptr);
    EXPECT_FALSE(table.find("dbsize", "")->has_tips);
    EXPECT_EQ(table.find("dbsize", "")->request_policy, RequestPolicy::Default);
    EXPECT_EQ(table.find("get", "")->first_key, 1);
}

// --- routing by the tips, the built-in table as the fallback -------------------

// A catalog whose COMMAND answers `table` (an error reply when empty, a
// connection failure when `fail`).
CommandCatalog catalog_with(std::string table, bool fail = false) {
    return CommandCatalog([table = std::move(table), fail](std::span<const std::string_view> args) {
        if (fail) throw ConnectionError("Connection refused");
        if (args.size() == 1 && args[0] == "COMMAND" && !table.empty()) return parse(table);
        return Reply::error("ERR unexpected");
    });
}

CommandFacts analyse(CommandCatalog& catalog, std::vector<std::string_view> args) { return catalog.analyse(args); }

TEST(CommandPolicyRouting, KeylessCommandsGoWhereTheServersTipsSay) {
    auto catalog = catalog_with(redis7_commands());
    const auto config_set = analyse(catalog, {"CONFIG", "SET", "maxmemory-policy", "noeviction"});
    EXPECT_EQ(config_set.target, Target::AllNodes);
    EXPECT_EQ(config_set.response, ResponsePolicy::AllSucceeded);
    const auto exists = analyse(catalog, {"script", "exists", "abc", "def"});
    EXPECT_EQ(exists.target, Target::AllMasters);
    EXPECT_EQ(exists.response, ResponsePolicy::AggLogicalAnd);
    EXPECT_EQ(analyse(catalog, {"SCRIPT", "KILL"}).response, ResponsePolicy::OneSucceeded);
    EXPECT_EQ(analyse(catalog, {"DBSIZE"}).response, ResponsePolicy::AggSum);
    EXPECT_EQ(analyse(catalog, {"KEYS", "*"}).response, ResponsePolicy::Default);
    EXPECT_EQ(analyse(catalog, {"INFO"}).response, ResponsePolicy::Special);
    // Module commands too.
    const auto module = analyse(catalog, {"MYMODULE.BROADCAST"});
    EXPECT_EQ(module.target, Target::AllNodes);
    EXPECT_EQ(module.response, ResponsePolicy::AggMax);
    // No policy: one node.
    EXPECT_EQ(analyse(catalog, {"CONFIG", "GET", "maxmemory"}).target, Target::Random);
    EXPECT_EQ(analyse(catalog, {"TIME"}).target, Target::Random);
}

TEST(CommandPolicyRouting, KeysBlockingAndRefusalsKeepTheirOwnRules) {
    auto catalog = catalog_with(redis7_commands());
    // multi_shard: routed by the keys, which must share a slot.
    const auto mget = analyse(catalog, {"MGET", "{a}1", "{a}2"});
    EXPECT_EQ(mget.target, Target::Slot);
    EXPECT_THROW((void)analyse(catalog, {"MGET", "a", "b"}), ClusterCrossSlotError);
    // WAIT is all_shards for the server, but counts the replicas that have
    // this connection's writes: one node, its own.
    const auto wait = analyse(catalog, {"WAIT", "1", "100"});
    EXPECT_EQ(wait.target, Target::Random);
    EXPECT_TRUE(wait.blocking);
    EXPECT_THROW((void)analyse(catalog, {"SELECT", "1"}), RedisClusterException);
}

TEST(CommandPolicyRouting, WithoutTheServersTableTheBuiltInTableDecides) {
    for (const bool fail : {false, true}) {
        SCOPED_TRACE(fail ? "COMMAND fails" : "COMMAND refused");
        auto catalog = catalog_with("", fail);
        const auto dbsize = analyse(catalog, {"DBSIZE"});
        EXPECT_EQ(dbsize.target, Target::AllMasters);
        EXPECT_EQ(dbsize.response, ResponsePolicy::AggSum);
        EXPECT_EQ(analyse(catalog, {"SCRIPT", "LOAD", "return 1"}).target, Target::AllNodes);
        EXPECT_EQ(analyse(catalog, {"CONFIG", "SET", "maxmemory", "0"}).target, Target::Random);
    }
    // A Redis 6 table: no tips, so the built-in table.
    auto redis6 = catalog_with(array({entry_without_tips("dbsize", 0, 0), entry_without_tips("script", 0, 0)}));
    EXPECT_EQ(analyse(redis6, {"DBSIZE"}).response, ResponsePolicy::AggSum);
    EXPECT_EQ(analyse(redis6, {"PING"}).target, Target::AllMasters);
    EXPECT_EQ(analyse(redis6, {"SCRIPT", "EXISTS", "abc"}).target, Target::Random);
}

// --- parts ------------------------------------------------------------------------

SlotTable three_shards() {
    const auto range = [](int first, int last, int master, int replica) {
        return SlotRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last),
                         make_node("127.0.0.1", static_cast<std::uint16_t>(master), "master"),
                         {make_node("127.0.0.1", static_cast<std::uint16_t>(replica), "slave")}};
    };
    return SlotTable({range(0, 5460, 7000, 7003), range(5461, 10922, 7001, 7004), range(10923, 16383, 7002, 7005)});
}

TEST(FanOut, EveryMasterGetsOnePartRoutedByASlotItServes) {
    const auto table = three_shards();
    const auto parts = plan_fan_out({.target = Target::AllMasters, .response = ResponsePolicy::AggSum, .read_only = true},
                                    table);
    ASSERT_EQ(parts.size(), 3u);
    std::vector<std::string> masters;
    for (const auto& part : parts) {
        EXPECT_EQ(part.facts.target, Target::Slot);
        ASSERT_TRUE(part.facts.slot.has_value());
        // The slot picks the shard; it is never taken for a key's.
        EXPECT_TRUE(part.facts.slot_picks_shard);
        EXPECT_FALSE(part.facts.read_only) << "a part must go to the master";
        EXPECT_FALSE(part.facts.node.has_value());
        EXPECT_EQ(table.master(*part.facts.slot)->name, part.node_name);
        masters.push_back(part.node_name);
    }
    EXPECT_EQ(masters, (std::vector<std::string>{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"}));
}

TEST(FanOut, EveryNodeGetsOnePartBoundToIt) {
    const auto parts = plan_fan_out({.target = Target::AllNodes, .response = ResponsePolicy::AllSucceeded}, three_shards());
    ASSERT_EQ(parts.size(), 6u);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto port = static_cast<std::uint16_t>(7000 + i);
        ASSERT_TRUE(parts[i].facts.node.has_value());
        EXPECT_EQ(*parts[i].facts.node, (HostPort{"127.0.0.1", port}));
        EXPECT_EQ(parts[i].node_name, "127.0.0.1:" + std::to_string(port));
        EXPECT_FALSE(parts[i].facts.slot.has_value());
        EXPECT_FALSE(parts[i].facts.read_only);
    }
}

TEST(FanOut, NoNodeKnownMeansNoPart) {
    EXPECT_TRUE(plan_fan_out({.target = Target::AllMasters}, SlotTable()).empty());
    EXPECT_TRUE(plan_fan_out({.target = Target::AllNodes}, SlotTable()).empty());
}

// --- combining --------------------------------------------------------------------

CombinedReply combine(ResponsePolicy policy, std::vector<Reply> replies) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < replies.size(); ++i) names.push_back("node" + std::to_string(i));
    return combine_replies(policy, replies, names);
}

Reply ints(std::vector<std::int64_t> values) {
    std::vector<Reply> elements;
    for (const auto value : values) elements.push_back(Reply::integer(value));
    return Reply::array(std::move(elements));
}

TEST(CombineReplies, AllSucceededAnswersTheFirstReplyOrTheFirstError) {
    const auto ok = combine(ResponsePolicy::AllSucceeded, {Reply::simple_string("OK"), Reply::simple_string("OK")});
    EXPECT_EQ(ok.reply, Reply::simple_string("OK"));
    EXPECT_FALSE(ok.error_part);
    const auto failed = combine(ResponsePolicy::AllSucceeded,
                                {Reply::simple_string("OK"), Reply::error("ERR bad"), Reply::error("ERR worse")});
    EXPECT_EQ(failed.reply, Reply::error("ERR bad"));
    EXPECT_EQ(failed.error_part, 1u);
}

TEST(CombineReplies, OneSucceededAnswersTheFirstSuccess) {
    const auto killed = combine(ResponsePolicy::OneSucceeded,
                                {Reply::error("NOTBUSY No scripts in execution right now."), Reply::simple_string("OK")});
    EXPECT_EQ(killed.reply, Reply::simple_string("OK"));
    EXPECT_FALSE(killed.error_part);
    const auto none = combine(ResponsePolicy::OneSucceeded, {Reply::error("NOTBUSY a"), Reply::error("NOTBUSY b")});
    EXPECT_EQ(none.reply, Reply::error("NOTBUSY a"));
    EXPECT_EQ(none.error_part, 0u);
}

TEST(CombineReplies, AggregatesIntegers) {
    const std::vector<Reply> three{Reply::integer(4), Reply::integer(-1), Reply::integer(7)};
    EXPECT_EQ(combine(ResponsePolicy::AggSum, three).reply, Reply::integer(10));
    EXPECT_EQ(combine(ResponsePolicy::AggMin, three).reply, Reply::integer(-1));
    EXPECT_EQ(combine(ResponsePolicy::AggMax, three).reply, Reply::integer(7));
    const auto wrong = combine(ResponsePolicy::AggSum, {Reply::integer(1), Reply::simple_string("1")});
    EXPECT_NE(wrong.mismatch.find("where an integer was expected"), std::string::npos) << wrong.mismatch;
    const auto error = combine(ResponsePolicy::AggSum, {Reply::integer(1), Reply::error("LOADING")});
    EXPECT_EQ(error.error_part, 1u);
}

TEST(CombineReplies, LogicalAggregatesWorkElementWise) {
    EXPECT_EQ(combine(ResponsePolicy::AggLogicalAnd, {ints({1, 1, 0}), ints({1, 0, 0}), ints({1, 1, 1})}).reply,
              ints({1, 0, 0}));
    EXPECT_EQ(combine(ResponsePolicy::AggLogicalOr, {ints({1, 0, 0}), ints({0, 0, 1})}).reply, ints({1, 0, 1}));
    EXPECT_EQ(combine(ResponsePolicy::AggLogicalAnd, {Reply::integer(1), Reply::integer(0)}).reply, Reply::integer(0));
    EXPECT_EQ(combine(ResponsePolicy::AggLogicalOr, {Reply::integer(0), Reply::integer(3)}).reply, Reply::integer(1));
    EXPECT_FALSE(combine(ResponsePolicy::AggLogicalAnd, {ints({1, 1}), ints({1})}).mismatch.empty());
    EXPECT_FALSE(combine(ResponsePolicy::AggLogicalOr, {Reply::simple_string("x")}).mismatch.empty());
}

TEST(CombineReplies, LogicalAggregatesReadResp3Booleans) {
    // Redis 7.0 answers flags as integers under RESP3 too; a server that
    // sends booleans gets booleans back.
    const auto t = Reply::boolean(true);
    const auto f = Reply::boolean(false);
    EXPECT_EQ(combine(ResponsePolicy::AggLogicalAnd, {t, f}).reply, f);
    EXPECT_EQ(combine(ResponsePolicy::AggLogicalOr, {f, t}).reply, t);
    EXPECT_EQ(combine(ResponsePolicy::AggLogicalAnd, {Reply::array({t, t}), Reply::array({t, f})}).reply,
              Reply::array({t, f}));
    EXPECT_EQ(combine(ResponsePolicy::AggLogicalOr, {Reply::array({f, f}), Reply::array({f, t})}).reply,
              Reply::array({f, t}));
    EXPECT_EQ(combine(ResponsePolicy::AggLogicalAnd, {Reply::integer(1), t}).reply, Reply::integer(1));
}

TEST(CombineReplies, DefaultConcatenatesArraysAndOtherwiseTakesAnAnswer) {
    const auto keys = combine(ResponsePolicy::Default, {Reply::array({Reply::bulk_string("a")}), Reply::array({}),
                                                        Reply::array({Reply::bulk_string("b"), Reply::bulk_string("c")})});
    EXPECT_EQ(keys.reply, Reply::array({Reply::bulk_string("a"), Reply::bulk_string("b"), Reply::bulk_string("c")}));
    // RANDOMKEY: an empty shard answers null, another has a key.
    EXPECT_EQ(combine(ResponsePolicy::Default, {Reply::null(), Reply::bulk_string("k")}).reply, Reply::bulk_string("k"));
    EXPECT_EQ(combine(ResponsePolicy::Default, {Reply::null(), Reply::null()}).reply, Reply::null());
}

TEST(CombineReplies, SpecialMapsEachNodeToItsReply) {
    const auto info = combine(ResponsePolicy::Special, {Reply::bulk_string("# Server a"), Reply::bulk_string("# Server b")});
    EXPECT_EQ(info.reply, Reply::map({Reply::bulk_string("node0"), Reply::bulk_string("# Server a"),
                                      Reply::bulk_string("node1"), Reply::bulk_string("# Server b")}));
}

TEST(CombineReplies, NoReplyIsAMismatch) { EXPECT_FALSE(combine(ResponsePolicy::AllSucceeded, {}).mismatch.empty()); }

}  // namespace
}  // namespace rediscluster::detail
