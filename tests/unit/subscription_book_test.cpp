// The subscription book and the pub/sub frame reader: where subscriptions
// go, what each answer of a node does to them, and what is resent after a
// failure, without sockets.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "detail/pubsub_frame.hpp"
#include "detail/subscription_book.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::detail {
namespace {

using Kind = SubscriptionKind;
using Names = std::vector<std::string>;

// Places channels and patterns on node A, shard channels by slot parity
// (even slots on A, odd on B), or nowhere when `unknown` is set.
struct FakeTopology {
    bool unknown = false;
    std::string classic = "A:1";
    std::optional<std::string> operator()(Kind kind, std::string_view name) const {
        if (unknown) return std::nullopt;
        if (kind != Kind::shard_channel) return classic;
        return key_slot(name) % 2 == 0 ? "A:1" : "B:2";
    }
};

Reply bulk(std::string_view text) { return Reply::bulk_string(std::string(text)); }

TEST(PubSubFrame, ReadsMessagesOfEveryKindInBothProtocols) {
    const auto message = Reply::array({bulk("message"), bulk("news"), bulk("hello")});
    auto frame = read_pubsub_frame(message, "n:1");
    EXPECT_EQ(frame.type, PubSubFrame::Type::message);
    EXPECT_EQ(frame.kind, Kind::channel);
    EXPECT_EQ(frame.channel, "news");
    EXPECT_EQ(frame.payload, "hello");

    const auto pmessage = Reply::push({bulk("pmessage"), bulk("n*"), bulk("news"), bulk("hi")});
    frame = read_pubsub_frame(pmessage, "n:1");
    EXPECT_EQ(frame.kind, Kind::pattern);
    EXPECT_EQ(frame.pattern, "n*");
    EXPECT_EQ(frame.channel, "news");
    EXPECT_EQ(frame.payload, "hi");

    const auto smessage = Reply::push({bulk("smessage"), bulk("orders"), bulk("1")});
    EXPECT_EQ(read_pubsub_frame(smessage, "n:1").kind, Kind::shard_channel);

    const auto confirmed = Reply::push({bulk("ssubscribe"), bulk("orders"), Reply::integer(1)});
    frame = read_pubsub_frame(confirmed, "n:1");
    EXPECT_EQ(frame.type, PubSubFrame::Type::subscribed);
    EXPECT_EQ(frame.kind, Kind::shard_channel);

    const auto nothing_left = Reply::array({bulk("unsubscribe"), Reply::null(), Reply::integer(0)});
    frame = read_pubsub_frame(nothing_left, "n:1");
    EXPECT_EQ(frame.type, PubSubFrame::Type::unsubscribed);
    EXPECT_TRUE(frame.channel.empty());

    EXPECT_EQ(read_pubsub_frame(Reply::array({bulk("pong"), bulk("")}), "n:1").type, PubSubFrame::Type::pong);
    EXPECT_EQ(read_pubsub_frame(Reply::simple_string("PONG"), "n:1").type, PubSubFrame::Type::pong);
    const auto refusal = Reply::error("MOVED 1 h:2");  // the frame points into it
    frame = read_pubsub_frame(refusal, "n:1");
    EXPECT_EQ(frame.type, PubSubFrame::Type::error);
    EXPECT_EQ(frame.payload, "MOVED 1 h:2");
}

TEST(PubSubFrame, RefusesFramesOfAnyOtherShapeNamingTheNode) {
    const std::vector<Reply> hostile = {
        Reply::integer(7),
        Reply::array({}),
        Reply::array({bulk("message"), bulk("news")}),                      // no payload
        Reply::array({bulk("message"), bulk("news"), Reply::integer(1)}),  // payload not a string
        Reply::array({bulk("pmessage"), bulk("n*"), bulk("news")}),         // no payload
        Reply::array({bulk("subscribe"), bulk("news"), bulk("1")}),         // count not an integer
        Reply::array({bulk("subscribe"), Reply::null(), Reply::integer(1)}),      // no name
        Reply::array({bulk("invalidate"), bulk("k"), bulk("v")}),
        Reply::array({Reply::integer(1), bulk("a"), bulk("b")}),
        Reply::simple_string("OK"),
    };
    for (const auto& frame : hostile) {
        try {
            (void)read_pubsub_frame(frame, "10.0.0.1:7001");
            ADD_FAILURE() << "accepted " << frame.to_debug_string();
        } catch (const ProtocolError& e) {
            EXPECT_NE(std::string(e.what()).find("malformed pub/sub frame from 10.0.0.1:7001"), std::string::npos)
                << e.what();
        }
    }
}

TEST(SubscriptionBook, PlansOneCommandPerNodeAndOnePerSlotForShardChannels) {
    SubscriptionBook book;
    book.want(Kind::channel, Names{"a", "b"});
    book.want(Kind::pattern, Names{"p*"});
    // Two channels of one slot (hash tag) and one of another slot.
    book.want(Kind::shard_channel, Names{"{x}1", "{x}2", "{y}1"});
    const auto commands = book.plan(FakeTopology{});
    std::map<std::pair<Kind, std::string>, Names> sent;
    for (const auto& command : commands) {
        EXPECT_TRUE(command.subscribe);
        sent[{command.kind, command.node}] = command.names;
    }
    EXPECT_EQ((sent[{Kind::channel, "A:1"}]), (Names{"a", "b"}));
    EXPECT_EQ((sent[{Kind::pattern, "A:1"}]), (Names{"p*"}));
    std::size_t shard_commands = 0;
    for (const auto& command : commands) {
        if (command.kind != Kind::shard_channel) continue;
        ++shard_commands;
        for (const auto& name : command.names) EXPECT_EQ(key_slot(name), key_slot(command.names.front()));
    }
    EXPECT_EQ(shard_commands, key_slot("{x}") == key_slot("{y}") ? 1U : 2U);
    // Nothing is sent twice while the answers are awaited.
    EXPECT_TRUE(book.plan(FakeTopology{}).empty());
    EXPECT_FALSE(book.all_active(Kind::channel, Names{"a"}));
}

TEST(SubscriptionBook, ConfirmationsMakeNamesActiveAndAResubscriptionIsReported) {
    SubscriptionBook book;
    book.want(Kind::shard_channel, Names{"orders"});
    const auto first = book.plan(FakeTopology{});
    ASSERT_EQ(first.size(), 1U);
    const auto node = first[0].node;
    EXPECT_FALSE(book.on_subscribed(node, Kind::shard_channel, "orders"));  // first time: not a resubscription
    EXPECT_TRUE(book.all_active(Kind::shard_channel, Names{"orders"}));

    // The node drops it unasked (its slot moved): lost, planned again.
    EXPECT_TRUE(book.on_unsubscribed(node, Kind::shard_channel, "orders"));
    EXPECT_TRUE(book.has_unplaced());
    const auto again = book.plan([&](Kind, std::string_view) { return std::optional<std::string>("C:3"); });
    ASSERT_EQ(again.size(), 1U);
    EXPECT_EQ(again[0].node, "C:3");
    const auto resubscribed = book.on_subscribed("C:3", Kind::shard_channel, "orders");
    ASSERT_TRUE(resubscribed);
    EXPECT_EQ(resubscribed->name, "orders");
    EXPECT_EQ(resubscribed->node, "C:3");
    // A late answer from the old node says nothing of the name now on C.
    EXPECT_FALSE(book.on_unsubscribed(node, Kind::shard_channel, "orders"));
    EXPECT_TRUE(book.all_active(Kind::shard_channel, Names{"orders"}));
}

TEST(SubscriptionBook, ALostConnectionSendsItsNamesAgainAndForgetsUnwantedOnes) {
    SubscriptionBook book;
    book.want(Kind::channel, Names{"a", "b"});
    (void)book.plan(FakeTopology{});
    (void)book.on_subscribed("A:1", Kind::channel, "a");
    (void)book.on_subscribed("A:1", Kind::channel, "b");
    (void)book.unwant(Kind::channel, Names{"b"});
    EXPECT_TRUE(book.on_connection_lost("A:1"));
    EXPECT_EQ(book.wanted_names(Kind::channel), Names{"a"});
    EXPECT_TRUE(book.all_gone(Kind::channel, Names{"b"}));
    EXPECT_TRUE(book.nodes_in_use().empty());
    FakeTopology elsewhere;
    elsewhere.classic = "B:2";
    const auto again = book.plan(elsewhere);
    ASSERT_EQ(again.size(), 1U);
    EXPECT_EQ(again[0].names, Names{"a"});
    EXPECT_EQ(again[0].node, "B:2");
}

TEST(SubscriptionBook, AnErrorAnswersTheOldestCommandOfItsNode) {
    SubscriptionBook book;
    book.want(Kind::shard_channel, Names{"{x}1"});
    const auto first = book.plan(FakeTopology{});
    book.want(Kind::shard_channel, Names{"{x}2"});
    const auto second = book.plan(FakeTopology{});
    ASSERT_EQ(first.size(), 1U);
    ASSERT_EQ(second.size(), 1U);
    const auto refused = book.on_error(first[0].node);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->names, Names{"{x}1"});
    EXPECT_TRUE(book.has_unplaced());  // back to nowhere, still wanted
    // Given up for good: no longer wanted, nothing planned for it.
    book.give_up(*refused);
    EXPECT_FALSE(book.wanted(Kind::shard_channel, "{x}1"));
    (void)book.on_subscribed(second[0].node, Kind::shard_channel, "{x}2");
    EXPECT_TRUE(book.plan(FakeTopology{}).empty());
    EXPECT_FALSE(book.on_error("nobody:0"));
}

TEST(SubscriptionBook, UnwantingSendsUnsubscribeOnlyWhereSubscribed) {
    SubscriptionBook book;
    book.want(Kind::pattern, Names{"p*", "q*"});
    (void)book.plan(FakeTopology{});
    (void)book.on_subscribed("A:1", Kind::pattern, "p*");
    // q* is still in flight: unwanted, it is undone once confirmed.
    EXPECT_EQ(book.unwant(Kind::pattern, {}), (Names{"p*", "q*"}));
    auto commands = book.plan(FakeTopology{});
    ASSERT_EQ(commands.size(), 1U);
    EXPECT_FALSE(commands[0].subscribe);
    EXPECT_EQ(commands[0].names, Names{"p*"});
    (void)book.on_subscribed("A:1", Kind::pattern, "q*");
    commands = book.plan(FakeTopology{});
    ASSERT_EQ(commands.size(), 1U);
    EXPECT_EQ(commands[0].names, Names{"q*"});
    EXPECT_FALSE(book.on_unsubscribed("A:1", Kind::pattern, "p*"));
    EXPECT_FALSE(book.on_unsubscribed("A:1", Kind::pattern, "q*"));
    EXPECT_TRUE(book.all_gone(Kind::pattern, Names{"p*", "q*"}));
    EXPECT_TRUE(book.nodes_in_use().empty());
    // A name never subscribed is gone at once.
    EXPECT_EQ(book.unwant(Kind::channel, Names{"never"}), Names{"never"});
    EXPECT_TRUE(book.plan(FakeTopology{}).empty());
}

TEST(SubscriptionBook, NamesWithoutAKnownOwnerWaitAndLongListsAreCut) {
    SubscriptionBook book;
    Names many;
    for (int i = 0; i < 1100; ++i) many.push_back("c" + std::to_string(i));
    book.want(Kind::channel, many);
    FakeTopology nowhere;
    nowhere.unknown = true;
    EXPECT_TRUE(book.plan(nowhere).empty());
    EXPECT_TRUE(book.has_unplaced());
    const auto commands = book.plan(FakeTopology{});
    ASSERT_EQ(commands.size(), 3U);
    std::size_t total = 0;
    for (const auto& command : commands) {
        EXPECT_LE(command.names.size(), SubscriptionBook::kNamesPerCommand);
        total += command.names.size();
    }
    EXPECT_EQ(total, many.size());
    EXPECT_FALSE(book.has_unplaced());
}

}  // namespace
}  // namespace rediscluster::detail
