// Transactions against the plain cluster: WATCH conflicts, errors inside
// and before EXEC, redirects before EXEC, and the pinned connection given
// back on every path.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster_env.hpp"
#include "rediscluster/client.hpp"
#include "rediscluster/slot.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using test::error_of;

RedisClusterOptions options_for(std::uint16_t port) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", port}};
    options.connection_kwargs.socket_timeout = 5s;
    options.periodic_refresh_interval = 0ms;  // the tests bend the slot map themselves
    return options;
}

NodeInfo point_slot_elsewhere(RedisCluster& rc, std::uint16_t slot) {
    return test::point_slot_elsewhere(*rc.connection_pool, slot);
}

TEST(Transaction, QueuedCommandsRunTogetherAndReturnTheirReplies) {
    RedisCluster rc(options_for(test::plain_port()));
    (void)rc.del("{tx:basic}:n");
    auto tx = rc.transaction("{tx:basic}");
    EXPECT_EQ(tx.slot(), key_slot("tx:basic"));
    tx.set("{tx:basic}:s", "v").incr("{tx:basic}:n").incr("{tx:basic}:n");
    tx.execute_command("GET", "{tx:basic}:s");
    EXPECT_EQ(tx.size(), 4u);
    const auto replies = tx.exec();
    ASSERT_TRUE(replies);
    EXPECT_EQ(*replies, (std::vector<Reply>{Reply::simple_string("OK"), Reply::integer(1), Reply::integer(2),
                                            Reply::bulk_string("v")}));
    EXPECT_EQ(rc.get("{tx:basic}:n"), "2");
}

TEST(Transaction, AWatchedKeyChangedByAnotherClientMeansNotExecuted) {
    RedisCluster rc(options_for(test::plain_port()));
    RedisCluster other(options_for(test::plain_port()));
    (void)rc.set("{tx:watch}:balance", "100");
    auto tx = rc.transaction("{tx:watch}");
    tx.watch("{tx:watch}:balance");
    EXPECT_EQ(tx.now().get("{tx:watch}:balance"), "100");
    (void)other.set("{tx:watch}:balance", "50");  // the conflict
    tx.set("{tx:watch}:balance", "90");
    EXPECT_EQ(tx.exec(), std::nullopt);
    EXPECT_EQ(rc.get("{tx:watch}:balance"), "50");
}

TEST(Transaction, AWatchedKeyLeftAloneLetsTheTransactionRun) {
    RedisCluster rc(options_for(test::plain_port()));
    (void)rc.set("{tx:calm}:balance", "100");
    auto tx = rc.transaction("{tx:calm}:balance");
    tx.watch("{tx:calm}:balance");
    const auto balance = std::stoll(*tx.now().get("{tx:calm}:balance"));
    tx.set("{tx:calm}:balance", std::to_string(balance - 10));
    ASSERT_TRUE(tx.exec());
    EXPECT_EQ(rc.get("{tx:calm}:balance"), "90");
}

TEST(Transaction, KeysOfAnotherSlotAreRefusedBeforeAnythingIsSent) {
    RedisCluster rc(options_for(test::plain_port()));
    auto tx = rc.transaction("{tx:slot}");
    EXPECT_EQ(error_of<ClusterCrossSlotError>([&] { tx.watch("{tx:other}:k"); }),
              "WATCH: key '{tx:other}:k' is in slot " + std::to_string(key_slot("tx:other")) +
                  ", the transaction's slot is " + std::to_string(key_slot("tx:slot")));
    EXPECT_THROW(tx.set("{tx:other}:k", "v"), ClusterCrossSlotError);
    EXPECT_THROW((void)tx.now().get("{tx:other}:k"), ClusterCrossSlotError);
    EXPECT_THROW(tx.execute_command("MGET", "{tx:slot}:a", "{tx:other}:b"), ClusterCrossSlotError);
    EXPECT_THROW(tx.execute_command("DBSIZE"), RedisClusterException);
    EXPECT_THROW(tx.execute_command("MULTI"), RedisClusterException);
    EXPECT_TRUE(tx.empty());
}

TEST(Transaction, MisuseIsATransactionErrorBeforeAnythingIsSent) {
    RedisCluster rc(options_for(test::plain_port()));
    auto empty = rc.transaction("{tx:misuse}");
    EXPECT_EQ(error_of<TransactionError>([&] { (void)empty.exec(); }),
              "exec() without commands: queue at least one before exec(), or discard()");
    auto tx = rc.transaction("{tx:misuse}");
    tx.incr("{tx:misuse}:n");
    ASSERT_TRUE(tx.exec());
    EXPECT_THROW((void)tx.exec(), TransactionError);
    EXPECT_THROW(tx.incr("{tx:misuse}:n"), TransactionError);
    EXPECT_THROW(tx.watch("{tx:misuse}:n"), TransactionError);
    EXPECT_THROW((void)tx.now(), TransactionError);
    auto dropped = rc.transaction("{tx:misuse}");
    dropped.incr("{tx:misuse}:n");
    dropped.discard();
    EXPECT_THROW((void)dropped.exec(), TransactionError);
    EXPECT_THROW(dropped.discard(), TransactionError);
}

TEST(Transaction, ACommandRefusedWhileQueuingAbortsTheWholeTransaction) {
    RedisCluster rc(options_for(test::plain_port()));
    (void)rc.del("{tx:abort}:n");
    auto tx = rc.transaction("{tx:abort}");
    tx.incr("{tx:abort}:n");
    tx.execute_command("GET", "{tx:abort}:n", "extra");  // wrong argument count
    const auto message = error_of<ExecAbortError>([&] { (void)tx.exec(); });
    EXPECT_NE(message.find("EXECABORT"), std::string::npos) << message;
    EXPECT_NE(message.find("command 2 (GET): ERR wrong number of arguments"), std::string::npos) << message;
    EXPECT_EQ(rc.get("{tx:abort}:n"), std::nullopt);  // nothing ran
}

TEST(Transaction, ErrorsInsideExecAreTypedAndTheOtherCommandsRan) {
    RedisCluster rc(options_for(test::plain_port()));
    (void)rc.set("{tx:inside}:text", "not a number");
    (void)rc.del("{tx:inside}:n");
    auto tx = rc.transaction("{tx:inside}");
    tx.incr("{tx:inside}:text").incr("{tx:inside}:n");
    EXPECT_EQ(error_of<ResponseError>([&] { (void)tx.exec(); }), "ERR value is not an integer or out of range");
    ASSERT_EQ(tx.replies().size(), 2u);
    EXPECT_TRUE(tx.replies()[0].is_error());
    EXPECT_EQ(tx.replies()[1], Reply::integer(1));

    auto quiet = rc.transaction("{tx:inside}");
    quiet.incr("{tx:inside}:text").incr("{tx:inside}:n");
    const auto replies = quiet.exec(false);
    ASSERT_TRUE(replies);
    EXPECT_TRUE((*replies)[0].is_error());
    EXPECT_EQ((*replies)[1], Reply::integer(2));
}

TEST(Transaction, AMovedBeforeExecSendsTheWholeTransactionToTheOwner) {
    RedisCluster rc(options_for(test::plain_port()));
    (void)rc.del("{tx:moved}:n");
    const auto slot = key_slot("tx:moved");
    // Queued commands get MOVED: EXEC aborts, the block goes again.
    const auto wrong = point_slot_elsewhere(rc, slot);
    auto tx = rc.transaction("{tx:moved}");
    tx.incr("{tx:moved}:n").incr("{tx:moved}:n");
    const auto replies = tx.exec();
    ASSERT_TRUE(replies);
    EXPECT_EQ(*replies, (std::vector<Reply>{Reply::integer(1), Reply::integer(2)}));
    EXPECT_EQ(rc.get("{tx:moved}:n"), "2");  // ran once
    EXPECT_NE(rc.connection_pool->get_master_node_by_slot(slot).name, wrong.name);

    // WATCH gets MOVED: it is sent to the owner, and the watch holds there.
    (void)point_slot_elsewhere(rc, slot);
    RedisCluster other(options_for(test::plain_port()));
    auto watched = rc.transaction("{tx:moved}");
    watched.watch("{tx:moved}:n");
    (void)other.incr("{tx:moved}:n");
    watched.incr("{tx:moved}:n");
    EXPECT_EQ(watched.exec(), std::nullopt);
    EXPECT_EQ(rc.get("{tx:moved}:n"), "3");
}

TEST(Transaction, AWatchThatCannotFollowWhatWasReadMeansNotExecuted) {
    RedisCluster rc(options_for(test::plain_port()));
    (void)rc.set("{tx:lost}:n", "1");
    auto tx = rc.transaction("{tx:lost}");
    tx.watch("{tx:lost}:n");
    EXPECT_EQ(tx.now().get("{tx:lost}:n"), "1");
    // The slot "moves" after the read: the value read cannot be vouched for.
    (void)point_slot_elsewhere(rc, key_slot("tx:lost"));
    tx.incr("{tx:lost}:n");
    EXPECT_EQ(tx.exec(), std::nullopt);
    EXPECT_EQ(rc.get("{tx:lost}:n"), "1");
}

TEST(Transaction, TheConnectionIsGivenBackOnEveryPath) {
    // One connection in all: a transaction that kept its own would starve
    // the next command.
    auto options = options_for(test::plain_port());
    options.max_connections = 1;
    RedisCluster rc(options);
    (void)rc.set("{tx:pin}:n", "1");
    {
        auto tx = rc.transaction("{tx:pin}");
        tx.watch("{tx:pin}:n");
        tx.incr("{tx:pin}:n");
        ASSERT_TRUE(tx.exec());
    }
    EXPECT_EQ(rc.get("{tx:pin}:n"), "2");
    {
        auto tx = rc.transaction("{tx:pin}");
        tx.watch("{tx:pin}:n");
        tx.discard();
    }
    EXPECT_EQ(rc.get("{tx:pin}:n"), "2");
    {
        auto tx = rc.transaction("{tx:pin}");
        tx.watch("{tx:pin}:n");
        tx.execute_command("GET", "{tx:pin}:n", "extra");
        EXPECT_THROW((void)tx.exec(), ExecAbortError);
    }
    EXPECT_EQ(rc.get("{tx:pin}:n"), "2");
    {
        auto tx = rc.transaction("{tx:pin}");
        tx.watch("{tx:pin}:n");
        (void)tx.now().get("{tx:pin}:n");
    }  // destroyed while watching
    EXPECT_EQ(rc.get("{tx:pin}:n"), "2");
}

TEST(Transaction, AWatchEndedByDiscardOrDestructionDoesNotFollowTheConnection) {
    RedisCluster rc(options_for(test::plain_port()));
    RedisCluster other(options_for(test::plain_port()));
    (void)rc.set("{tx:stale}:n", "1");
    {
        auto abandoned = rc.transaction("{tx:stale}");
        abandoned.watch("{tx:stale}:n");
    }
    {
        auto discarded = rc.transaction("{tx:stale}");
        discarded.watch("{tx:stale}:n");
        discarded.discard();
    }
    // A watch left on a pooled connection would make this EXEC fail.
    (void)other.set("{tx:stale}:n", "5");
    auto tx = rc.transaction("{tx:stale}");
    tx.incr("{tx:stale}:n");
    const auto replies = tx.exec();
    ASSERT_TRUE(replies);
    EXPECT_EQ((*replies)[0], Reply::integer(6));
}

}  // namespace
}  // namespace rediscluster
