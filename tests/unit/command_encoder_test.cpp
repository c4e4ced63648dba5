#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "rediscluster/resp.hpp"

namespace rediscluster {
namespace {

static_assert(CommandArgument<std::string>);
static_assert(CommandArgument<std::string_view>);
static_assert(CommandArgument<const char*>);
static_assert(CommandArgument<char[4]>);
static_assert(CommandArgument<int>);
static_assert(CommandArgument<unsigned long long>);
static_assert(CommandArgument<double>);
static_assert(!CommandArgument<bool>);
static_assert(!CommandArgument<char>);
static_assert(!CommandArgument<std::vector<int>>);

TEST(EncodeCommand, WritesAnArrayOfBulkStrings) {
    std::string out;
    encode_command(out, "SET", "foo", "bar");
    EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n");
}

TEST(EncodeCommand, MixesStringsIntegersAndDoubles) {
    std::string out;
    const std::string key = "counter";
    encode_command(out, std::string_view("INCRBY"), key, -42);
    EXPECT_EQ(out, "*3\r\n$6\r\nINCRBY\r\n$7\r\ncounter\r\n$3\r\n-42\r\n");

    out.clear();
    encode_command(out, "ZADD", "z", 1.5, "m", std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(out, "*5\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$1\r\nm\r\n$20\r\n-9223372036854775808\r\n");
}

TEST(EncodeCommand, DoublesUseTheShortestRoundTripForm) {
    std::string out;
    encode_command(out, 0.1, std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(), 1e300);
    EXPECT_EQ(out, "*4\r\n$3\r\n0.1\r\n$3\r\ninf\r\n$4\r\n-inf\r\n$6\r\n1e+300\r\n");
}

TEST(EncodeCommand, KeepsBinaryDataIntact) {
    std::string out;
    const std::string binary("a\r\nb\0c", 6);
    encode_command(out, "SET", binary, "");
    EXPECT_EQ(out, std::string("*3\r\n$3\r\nSET\r\n$6\r\na\r\nb\0c\r\n$0\r\n\r\n", 31));
}

TEST(EncodeCommand, AppendsSoCommandsCanBeBatched) {
    std::string out;
    encode_command(out, "PING");
    encode_command(out, "PING");
    EXPECT_EQ(out, "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
}

TEST(EncodeCommand, ReusesTheCallersCapacity) {
    std::string out;
    out.reserve(256);
    const auto* storage = out.data();
    for (int i = 0; i < 100; ++i) {
        out.clear();
        encode_command(out, "GET", "key:", i);
    }
    EXPECT_EQ(out.data(), storage);
}

TEST(EncodeCommandRange, EncodesAVectorOfArguments) {
    std::string out;
    const std::vector<std::string> args = {"MSET", "a", "1", "b", "2"};
    encode_command_range(out, args);
    EXPECT_EQ(out, "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");

    out.clear();
    const std::array<long, 2> numbers = {7, 8};
    encode_command_range(out, numbers);
    EXPECT_EQ(out, "*2\r\n$1\r\n7\r\n$1\r\n8\r\n");
}

TEST(EncodeCommandRange, RejectsAnEmptyCommand) {
    std::string out;
    const std::vector<std::string_view> none;
    EXPECT_THROW(encode_command_range(out, none), DataError);
    EXPECT_TRUE(out.empty());
}

TEST(EncodeCommand, RoundTripsThroughTheParserAsAnArray) {
    std::string out;
    encode_command(out, "HSET", "h", "field", 12345, 2.25);
    ReplyParser parser;
    parser.feed(out);
    const auto reply = parser.next();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(*reply, Reply::array({Reply::bulk_string("HSET"), Reply::bulk_string("h"),
                                    Reply::bulk_string("field"), Reply::bulk_string("12345"),
                                    Reply::bulk_string("2.25")}));
}

}  // namespace
}  // namespace rediscluster
