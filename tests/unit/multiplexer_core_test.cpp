// The multiplexer core without a socket: the test plays the connection,
// writing what prepare_write() hands out and feeding replies back.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detail/multiplexer_core.hpp"

namespace rediscluster::detail {
namespace {

std::string command(std::string_view name, std::string_view key) {
    std::string out;
    encode_command(out, name, key);
    return out;
}

std::vector<std::uint64_t> ids_of(const MultiplexerCore::Consumed& consumed) {
    std::vector<std::uint64_t> ids;
    for (const auto& completion : consumed.replies) ids.push_back(completion.id);
    return ids;
}

TEST(MultiplexerCore, EverythingQueuedLeavesInOneWrite) {
    MultiplexerCore core;
    core.add(command("GET", "a"), 1, 1);
    core.add(command("GET", "b"), 1, 2);
    EXPECT_EQ(core.queued(), 2U);
    const auto bytes = core.prepare_write();
    EXPECT_EQ(bytes, command("GET", "a") + command("GET", "b"));
    EXPECT_TRUE(core.writing());
    EXPECT_TRUE(core.prepare_write().empty()) << "one write at a time";
    core.commit_write();
    EXPECT_EQ(core.in_flight(), 2U);
    EXPECT_EQ(core.queued(), 0U);
    EXPECT_TRUE(core.prepare_write().empty()) << "nothing left to write";
}

TEST(MultiplexerCore, CommandsAddedDuringAWriteGoInTheNext) {
    MultiplexerCore core;
    core.add(command("GET", "a"), 1, 1);
    (void)core.prepare_write();
    core.add(command("GET", "b"), 1, 2);
    core.commit_write();
    EXPECT_EQ(core.prepare_write(), command("GET", "b"));
}

TEST(MultiplexerCore, RepliesCompleteWaitersInOrderAcrossPieces) {
    MultiplexerCore core;
    for (std::uint64_t id = 1; id <= 3; ++id) core.add(command("GET", "k"), 1, id);
    (void)core.prepare_write();
    core.commit_write();
    MultiplexerCore::Consumed out;
    core.consume("$3\r\none\r\n:2\r\n$5\r\nth", out);
    ASSERT_EQ(ids_of(out), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(out.replies[0].reply, Reply::bulk_string("one"));
    EXPECT_EQ(out.replies[1].reply, Reply::integer(2));
    core.consume("ree\r\n", out);
    ASSERT_EQ(ids_of(out), (std::vector<std::uint64_t>{3}));
    EXPECT_EQ(out.replies[0].reply, Reply::bulk_string("three"));
    EXPECT_TRUE(core.idle());
}

TEST(MultiplexerCore, AReplyMayArriveBeforeItsWriteIsCommitted) {
    MultiplexerCore core;
    core.add(command("GET", "a"), 1, 7);
    (void)core.prepare_write();
    MultiplexerCore::Consumed out;
    core.consume("+OK\r\n", out);
    ASSERT_EQ(ids_of(out), (std::vector<std::uint64_t>{7}));
    core.commit_write();
    EXPECT_TRUE(core.idle());
    EXPECT_EQ(core.in_flight(), 0U);
}

TEST(MultiplexerCore, AskingsReplyIsSkipped) {
    MultiplexerCore core;
    core.add("*1\r\n$6\r\nASKING\r\n" + command("GET", "a"), 2, 5);
    (void)core.prepare_write();
    core.commit_write();
    MultiplexerCore::Consumed out;
    core.consume("+OK\r\n", out);
    EXPECT_TRUE(out.replies.empty());
    core.consume("$1\r\nx\r\n", out);
    ASSERT_EQ(ids_of(out), (std::vector<std::uint64_t>{5}));
    EXPECT_EQ(out.replies[0].reply, Reply::bulk_string("x"));
}

TEST(MultiplexerCore, ABlocksRepliesAreCollectedIntoOneArrayAfterItsAsking) {
    MultiplexerCore core;
    // ASKING, MULTI, INCR, EXEC: four replies, the last three collected.
    core.add("*1\r\n$6\r\nASKING\r\n*1\r\n$5\r\nMULTI\r\n" + command("INCR", "n") + "*1\r\n$4\r\nEXEC\r\n", 4, 7, 3);
    core.add(command("GET", "a"), 1, 8);
    (void)core.prepare_write();
    core.commit_write();
    MultiplexerCore::Consumed out;
    core.consume("+OK\r\n+OK\r\n+QUEUED\r\n", out);
    EXPECT_TRUE(out.replies.empty());
    core.consume("*1\r\n:1\r\n$1\r\nx\r\n", out);
    ASSERT_EQ(ids_of(out), (std::vector<std::uint64_t>{7, 8}));
    EXPECT_EQ(out.replies[0].reply, Reply::array({Reply::simple_string("OK"), Reply::simple_string("QUEUED"),
                                                  Reply::array({Reply::integer(1)})}));
    EXPECT_EQ(out.replies[1].reply, Reply::bulk_string("x"));
    EXPECT_THROW(core.add("x", 1, 9, 2), DataError);  // more to collect than it causes
}

TEST(MultiplexerCore, ABlockCutOffAfterSomeRepliesHasBegun) {
    MultiplexerCore core;
    core.add("*1\r\n$5\r\nMULTI\r\n" + command("INCR", "n") + "*1\r\n$4\r\nEXEC\r\n", 3, 1, 3);
    (void)core.prepare_write();
    core.commit_write();
    MultiplexerCore::Consumed out;
    core.consume("+OK\r\n", out);
    std::vector<MultiplexerCore::Abandoned> abandoned;
    core.abandon_all(abandoned);
    ASSERT_EQ(abandoned.size(), 1U);
    EXPECT_TRUE(abandoned[0].reply_begun);  // its EXEC may have run
    // Nothing of it is left for the next connection.
    core.add(command("GET", "a"), 1, 2);
    (void)core.prepare_write();
    core.commit_write();
    core.consume("$1\r\ny\r\n", out);
    ASSERT_EQ(ids_of(out), (std::vector<std::uint64_t>{2}));
    EXPECT_EQ(out.replies[0].reply, Reply::bulk_string("y"));
}

TEST(MultiplexerCore, PushFramesGoToTheSinkAndAnswerNoWaiter) {
    MultiplexerCore core;
    std::vector<Reply> pushes;
    core.set_push_sink([&](Reply&& push) { pushes.push_back(std::move(push)); });
    core.add(command("GET", "a"), 1, 1);
    (void)core.prepare_write();
    core.commit_write();
    MultiplexerCore::Consumed out;
    core.consume(">2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n$1\r\nv\r\n", out);
    ASSERT_EQ(pushes.size(), 1U);
    EXPECT_EQ(pushes[0].type(), ReplyType::Push);
    ASSERT_EQ(ids_of(out), (std::vector<std::uint64_t>{1}));
    EXPECT_EQ(out.replies[0].reply, Reply::bulk_string("v"));
}

TEST(MultiplexerCore, PushFramesWithoutASinkAreDropped) {
    MultiplexerCore core;
    MultiplexerCore::Consumed out;
    core.consume(">1\r\n$4\r\nping\r\n", out);
    EXPECT_TRUE(out.error.empty()) << out.error;
    EXPECT_TRUE(out.replies.empty());
}

TEST(MultiplexerCore, ACancelledWrittenWaiterKeepsItsPlaceAndItsReplyIsDropped) {
    MultiplexerCore core;
    core.add(command("GET", "a"), 1, 1);
    core.add(command("GET", "b"), 1, 2);
    (void)core.prepare_write();
    core.commit_write();
    EXPECT_TRUE(core.cancel(1));
    EXPECT_EQ(core.in_flight(), 2U) << "its reply is still due";
    MultiplexerCore::Consumed out;
    core.consume("$1\r\na\r\n$1\r\nb\r\n", out);
    ASSERT_EQ(ids_of(out), (std::vector<std::uint64_t>{2}));
    EXPECT_EQ(out.replies[0].reply, Reply::bulk_string("b")) << "the next waiter gets its own reply";
}

TEST(MultiplexerCore, ACancelledQueuedWaiterNeverLeaves) {
    MultiplexerCore core;
    core.add(command("GET", "a"), 1, 1);
    core.add(command("GET", "b"), 1, 2);
    core.add(command("GET", "c"), 1, 3);
    EXPECT_TRUE(core.cancel(2));
    EXPECT_FALSE(core.cancel(2)) << "already gone";
    EXPECT_FALSE(core.cancel(99));
    EXPECT_EQ(core.prepare_write(), command("GET", "a") + command("GET", "c"));
}

TEST(MultiplexerCore, AProtocolErrorAbandonsEveryWaiter) {
    MultiplexerCore core;
    core.add(command("GET", "a"), 1, 1);
    core.add(command("GET", "b"), 1, 2);
    core.add(command("GET", "c"), 1, 3);
    (void)core.prepare_write();
    core.commit_write();
    core.add(command("GET", "d"), 1, 4);
    MultiplexerCore::Consumed out;
    core.consume("+first\r\n?bad\r\n", out);
    ASSERT_EQ(ids_of(out), (std::vector<std::uint64_t>{1})) << "what came whole before stands";
    EXPECT_NE(out.error.find("'?'"), std::string::npos) << out.error;
    ASSERT_EQ(out.abandoned.size(), 3U);
    EXPECT_EQ(out.abandoned[0].id, 2U);
    EXPECT_TRUE(out.abandoned[0].written);
    EXPECT_EQ(out.abandoned[1].id, 3U);
    EXPECT_TRUE(out.abandoned[1].written);
    EXPECT_EQ(out.abandoned[2].id, 4U);
    EXPECT_FALSE(out.abandoned[2].written) << "queued: never left";
    EXPECT_TRUE(core.idle());
    // Ready for a new connection.
    core.add(command("GET", "e"), 1, 5);
    (void)core.prepare_write();
    core.commit_write();
    core.consume("+e\r\n", out);
    EXPECT_EQ(ids_of(out), (std::vector<std::uint64_t>{5}));
}

TEST(MultiplexerCore, AReplyForNoCommandIsAProtocolError) {
    MultiplexerCore core;
    MultiplexerCore::Consumed out;
    core.consume("+OK\r\n", out);
    EXPECT_NE(out.error.find("a reply arrived for no command"), std::string::npos) << out.error;
}

TEST(MultiplexerCore, AbandonAllSaysWhoseReplyHadBegun) {
    MultiplexerCore core;
    core.add(command("GET", "a"), 1, 1);
    core.add(command("GET", "b"), 1, 2);
    (void)core.prepare_write();
    core.commit_write();
    MultiplexerCore::Consumed out;
    core.consume("$10\r\nhal", out);
    std::vector<MultiplexerCore::Abandoned> abandoned;
    core.abandon_all(abandoned);
    ASSERT_EQ(abandoned.size(), 2U);
    EXPECT_TRUE(abandoned[0].reply_begun);
    EXPECT_FALSE(abandoned[1].reply_begun);
    EXPECT_TRUE(core.idle());
}

TEST(MultiplexerCore, AbandonAllLeavesCancelledWaitersOut) {
    MultiplexerCore core;
    core.add(command("GET", "a"), 1, 1);
    core.add(command("GET", "b"), 1, 2);
    (void)core.prepare_write();
    core.commit_write();
    (void)core.cancel(1);
    std::vector<MultiplexerCore::Abandoned> abandoned;
    core.abandon_all(abandoned);
    ASSERT_EQ(abandoned.size(), 1U);
    EXPECT_EQ(abandoned[0].id, 2U);
}

TEST(MultiplexerCore, ACommandWithoutRepliesIsRefused) {
    MultiplexerCore core;
    EXPECT_THROW(core.add(command("GET", "a"), 0, 1), DataError);
}

}  // namespace
}  // namespace rediscluster::detail
