// How long a blocking command may wait on the server, read from its own
// timeout argument, and how that lengthens a read timeout or a budget.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detail/command_routing.hpp"
#include "rediscluster/errors.hpp"
#include "support/error_of.hpp"

namespace rediscluster::detail {
namespace {

using namespace std::chrono_literals;

std::optional<BlockTime> block_time(std::vector<std::string_view> args) { return command_block_time(args); }

BlockTime ms(std::int64_t count) { return BlockTime{std::chrono::milliseconds(count)}; }

TEST(BlockTime, ListAndSortedSetCommandsGiveSecondsLast) {
    EXPECT_EQ(block_time({"BLPOP", "a", "b", "30"}), ms(30000));
    EXPECT_EQ(block_time({"brpop", "a", "0.5"}), ms(500));
    EXPECT_EQ(block_time({"BRPOPLPUSH", "a", "b", "2"}), ms(2000));
    EXPECT_EQ(block_time({"BLMOVE", "a", "b", "LEFT", "RIGHT", "1.25"}), ms(1250));
    EXPECT_EQ(block_time({"BZPOPMIN", "z", "3"}), ms(3000));
    EXPECT_EQ(block_time({"BZPOPMAX", "z", "y", "1e1"}), ms(10000));
}

TEST(BlockTime, MultiPopCommandsGiveSecondsFirst) {
    EXPECT_EQ(block_time({"BLMPOP", "4", "2", "a", "b", "LEFT", "COUNT", "3"}), ms(4000));
    EXPECT_EQ(block_time({"BZMPOP", "0.1", "1", "z", "MIN"}), ms(100));
}

TEST(BlockTime, StreamsAndWaitGiveMilliseconds) {
    EXPECT_EQ(block_time({"XREAD", "COUNT", "5", "BLOCK", "1500", "STREAMS", "s", "$"}), ms(1500));
    EXPECT_EQ(block_time({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "20", "NOACK", "STREAMS", "s", ">"}), ms(20));
    EXPECT_EQ(block_time({"WAIT", "1", "250"}), ms(250));
    EXPECT_EQ(block_time({"WAITAOF", "1", "0", "750"}), ms(750));
}

TEST(BlockTime, ZeroIsForeverButAnyPositiveWaitIsNot) {
    EXPECT_TRUE(block_time({"BLPOP", "q", "0"})->forever());
    EXPECT_TRUE(block_time({"BLPOP", "q", "0.0"})->forever());
    EXPECT_TRUE(block_time({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"})->forever());
    EXPECT_TRUE(block_time({"WAIT", "2", "0"})->forever());
    // Rounded up: a thousandth of a millisecond still has an end.
    EXPECT_EQ(block_time({"BLPOP", "q", "0.000001"}), ms(1));
}

TEST(BlockTime, CommandsThatDoNotBlockHaveNone) {
    EXPECT_EQ(block_time({"GET", "k"}), std::nullopt);
    EXPECT_EQ(block_time({"LPOP", "k"}), std::nullopt);
    EXPECT_EQ(block_time({"XREAD", "COUNT", "1", "STREAMS", "s", "0"}), std::nullopt);
    // After STREAMS come keys and IDs: a stream called "block" is no option.
    EXPECT_EQ(block_time({"XREAD", "STREAMS", "block", "0"}), std::nullopt);
    EXPECT_FALSE(command_blocks(std::vector<std::string_view>{"XREAD", "STREAMS", "block", "0"}));
    // XREADGROUP's group and consumer may be called anything.
    EXPECT_EQ(block_time({"XREADGROUP", "GROUP", "block", "block", "STREAMS", "s", ">"}), std::nullopt);
    EXPECT_EQ(block_time({}), std::nullopt);
}

TEST(BlockTime, MalformedTimeoutsAreDataErrorsNamingTheCommand) {
    EXPECT_EQ(test::error_of<DataError>([] { (void)block_time({"BLPOP", "q", "soon"}); }),
              "BLPOP: the timeout must be a number of seconds, got 'soon'");
    EXPECT_EQ(test::error_of<DataError>([] { (void)block_time({"brpop", "q", "-1"}); }),
              "brpop: the timeout must not be negative, got '-1'");
    EXPECT_EQ(test::error_of<DataError>([] { (void)block_time({"XREAD", "BLOCK", "1.5", "STREAMS", "s", "$"}); }),
              "XREAD: the timeout must be a whole number of milliseconds, got '1.5'");
    EXPECT_EQ(test::error_of<DataError>([] { (void)block_time({"WAIT", "1"}); }), "WAIT: the timeout is missing");
    EXPECT_EQ(test::error_of<DataError>([] { (void)block_time({"XREAD", "BLOCK"}); }), "XREAD: the timeout is missing");
    EXPECT_THROW((void)block_time({"BLPOP", "q", "nan"}), DataError);
    EXPECT_THROW((void)block_time({"BLPOP", "q", "inf"}), DataError);
    EXPECT_THROW((void)block_time({"BLPOP", "q", "1e300"}), DataError);
    EXPECT_THROW((void)block_time({"WAIT", "1", "99999999999999999999"}), DataError);
    EXPECT_THROW((void)block_time({"BLMPOP", "", "1", "a", "LEFT"}), DataError);
}

TEST(BlockTime, RoutingRefusesAMalformedTimeoutAndKeepsAGoodOne) {
    EXPECT_THROW((void)route_command(std::vector<std::string_view>{"BLPOP", "q", "x"}), DataError);
    const auto route = route_command(std::vector<std::string_view>{"BLPOP", "q", "5"});
    EXPECT_TRUE(route.blocking);
    EXPECT_EQ(route.block_for, ms(5000));
    EXPECT_EQ(route_command(std::vector<std::string_view>{"GET", "q"}).block_for, std::nullopt);
}

TEST(BlockTime, ExtendsALimitByTheWaitOrLiftsIt) {
    EXPECT_EQ(extended_by(2000ms, std::nullopt), 2000ms);
    EXPECT_EQ(extended_by(std::nullopt, std::nullopt), std::nullopt);
    EXPECT_EQ(extended_by(2000ms, ms(15000)), 17000ms);
    EXPECT_EQ(extended_by(2000ms, ms(0)), std::nullopt);  // forever: no limit
    EXPECT_EQ(extended_by(std::nullopt, ms(15000)), std::nullopt);
    EXPECT_EQ(extended_by(std::chrono::milliseconds::max(), ms(1)), std::chrono::milliseconds::max());
}

}  // namespace
}  // namespace rediscluster::detail
