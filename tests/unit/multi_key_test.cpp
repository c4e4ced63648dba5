// Splitting a multi-key command whose keys span slots, and merging the
// parts' replies, without sockets.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detail/multi_key.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::detail {
namespace {

using Merge = MultiKeyPlan::Merge;

std::vector<std::string_view> args_of(std::initializer_list<std::string_view> list) { return list; }

std::optional<MultiKeyPlan> plan_of(std::span<const std::string_view> args) {
    MultiKeyPlan plan;
    if (!plan_multi_key_split(args, plan)) return std::nullopt;
    return plan;
}

Reply merged(const MultiKeyPlan& plan, std::string_view name, std::vector<Reply>& replies) {
    Reply out;
    merge_multi_key_replies(plan, name, replies, out);
    return out;
}

std::vector<std::size_t> keys_of(const MultiKeyPlan& plan, std::size_t part) {
    const auto keys = plan.keys_of(part);
    return {keys.begin(), keys.end()};
}

TEST(MultiKeyPlan, CommandsWithKeysInOneSlotAreNotSplit) {
    EXPECT_FALSE(plan_of(args_of({"MGET", "{a}1", "{a}2", "{a}3"})));
    EXPECT_FALSE(plan_of(args_of({"DEL", "foo"})));
    EXPECT_FALSE(plan_of(args_of({"MSET", "foo", "1"})));
    EXPECT_FALSE(plan_of(args_of({"GET", "foo"})));
}

TEST(MultiKeyPlan, OtherCommandsAreNeverSplit) {
    // Keys in different slots, but not a command the client splits: it is
    // left to the usual refusal (CROSSSLOT before sending).
    EXPECT_NE(key_slot("foo"), key_slot("bar"));
    EXPECT_FALSE(plan_of(args_of({"MSETNX", "foo", "1", "bar", "2"})));
    EXPECT_FALSE(plan_of(args_of({"SUNION", "foo", "bar"})));
    EXPECT_FALSE(plan_of(args_of({"RENAME", "foo", "bar"})));
}

TEST(MultiKeyPlan, KeysAreGroupedBySlotInTheOrderOfEachSlotsFirstKey) {
    const auto args = args_of({"mget", "{b}1", "{a}1", "{b}2", "{c}1", "{a}2"});
    const auto plan = plan_of(args);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->merge, Merge::InKeyOrder);
    EXPECT_EQ(plan->key_count, 5u);
    ASSERT_EQ(plan->parts.size(), 3u);
    EXPECT_EQ(plan->parts[0].slot, key_slot("b"));
    EXPECT_EQ(keys_of(*plan, 0), (std::vector<std::size_t>{0, 2}));
    EXPECT_EQ(plan->parts[1].slot, key_slot("a"));
    EXPECT_EQ(keys_of(*plan, 1), (std::vector<std::size_t>{1, 4}));
    EXPECT_EQ(plan->parts[2].slot, key_slot("c"));
    EXPECT_EQ(keys_of(*plan, 2), (std::vector<std::size_t>{3}));

    std::vector<std::string_view> part;
    plan->part_arguments(args, 1, part);
    EXPECT_EQ(part, args_of({"mget", "{a}1", "{a}2"}));
    // A part of one key goes as a GET: its value needs no array.
    EXPECT_FALSE(plan->sent_as_get(1));
    EXPECT_TRUE(plan->sent_as_get(2));
    plan->part_arguments(args, 2, part);
    EXPECT_EQ(part, args_of({"GET", "{c}1"}));
}

TEST(MultiKeyPlan, AKeyReadByGetThatHoldsNoStringIsNullAsInMget) {
    auto wrong_type = Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value");
    as_mget_answer(wrong_type);
    EXPECT_TRUE(wrong_type.is_null());
    auto other = Reply::error("ERR something else");
    as_mget_answer(other);
    EXPECT_TRUE(other.is_error());
}

TEST(MultiKeyPlan, MsetKeepsEachValueWithItsKey) {
    const auto args = args_of({"MSET", "{a}1", "x", "{b}1", "y", "{a}2", "z"});
    const auto plan = plan_of(args);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->merge, Merge::AllOk);
    EXPECT_EQ(plan->step, 2u);
    std::vector<std::string_view> part;
    plan->part_arguments(args, 0, part);
    EXPECT_EQ(part, args_of({"MSET", "{a}1", "x", "{a}2", "z"}));
    plan->part_arguments(args, 1, part);
    EXPECT_EQ(part, args_of({"MSET", "{b}1", "y"}));
}

TEST(MultiKeyPlan, MsetWithAKeyWithoutItsValueIsRefused) {
    try {
        (void)plan_of(args_of({"MSET", "{a}1", "x", "{b}1"}));
        FAIL() << "no DataError";
    } catch (const DataError& error) {
        EXPECT_STREQ(error.what(), "MSET: keys and values must come in pairs, got 3 arguments");
    }
}

TEST(MultiKeyPlan, CountsAreSummed) {
    for (const auto name : {"DEL", "EXISTS", "UNLINK", "TOUCH", "del"}) {
        const auto plan = plan_of(args_of({name, "foo", "bar"}));
        ASSERT_TRUE(plan) << name;
        EXPECT_EQ(plan->merge, Merge::Sum) << name;
        std::vector<Reply> replies{Reply::integer(1), Reply::integer(2)};
        EXPECT_EQ(merged(*plan, name, replies), Reply::integer(3));
    }
}

TEST(MultiKeyMerge, ValuesComeBackInTheOrderTheKeysWereGiven) {
    const auto plan = plan_of(args_of({"MGET", "{b}1", "{a}1", "{b}2"}));
    ASSERT_TRUE(plan);
    std::vector<Reply> replies{Reply::array({Reply::bulk_string("b1"), Reply::null()}), Reply::bulk_string("a1")};
    EXPECT_EQ(merged(*plan, "MGET", replies),
              Reply::array({Reply::bulk_string("b1"), Reply::bulk_string("a1"), Reply::null()}));
}

TEST(MultiKeyMerge, AReusedReplyLendsItsStorageToTheParts) {
    const auto plan = plan_of(args_of({"MGET", "{b}1", "{a}1"}));
    ASSERT_TRUE(plan);
    Reply out = Reply::array({Reply::bulk_string("old b"), Reply::bulk_string("old a")});
    std::vector<Reply> replies{Reply::bulk_string("new b"), Reply::bulk_string("new a")};
    merge_multi_key_replies(*plan, "MGET", replies, out);
    EXPECT_EQ(out, Reply::array({Reply::bulk_string("new b"), Reply::bulk_string("new a")}));
    EXPECT_EQ(replies[0], Reply::bulk_string("old b"));  // swapped, not copied
}

TEST(MultiKeyMerge, MsetIsOkWhenEveryPartIs) {
    const auto plan = plan_of(args_of({"MSET", "{a}", "1", "{b}", "2"}));
    ASSERT_TRUE(plan);
    std::vector<Reply> replies{Reply::simple_string("OK"), Reply::simple_string("OK")};
    EXPECT_EQ(merged(*plan, "MSET", replies), Reply::simple_string("OK"));
}

TEST(MultiKeyMerge, APartOfTheWrongShapeIsAProtocolErrorNamingTheCommand) {
    const auto mget = plan_of(args_of({"MGET", "{b}1", "{a}1", "{b}2"}));
    ASSERT_TRUE(mget);
    std::vector<Reply> short_array{Reply::array({Reply::null()}), Reply::array({Reply::null()})};
    EXPECT_THROW((void)merged(*mget, "MGET", short_array), ProtocolError);
    const auto del = plan_of(args_of({"DEL", "foo", "bar"}));
    ASSERT_TRUE(del);
    std::vector<Reply> not_counts{Reply::integer(1), Reply::simple_string("OK")};
    try {
        (void)merged(*del, "DEL", not_counts);
        FAIL() << "no ProtocolError";
    } catch (const ProtocolError& error) {
        EXPECT_NE(std::string(error.what()).find("DEL: "), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("an integer"), std::string::npos) << error.what();
    }
}

}  // namespace
}  // namespace rediscluster::detail
