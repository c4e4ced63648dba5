#include <gtest/gtest.h>

#include <cmath>

#include "rediscluster/resp.hpp"

namespace rediscluster {
namespace {

TEST(Reply, DefaultIsNull) {
    Reply reply;
    EXPECT_TRUE(reply.is_null());
    EXPECT_EQ(reply.type(), ReplyType::Null);
    EXPECT_EQ(reply.size(), 0u);
}

TEST(Reply, FactoriesSetTypeAndPayload) {
    EXPECT_EQ(Reply::simple_string("OK").str(), "OK");
    EXPECT_EQ(Reply::integer(-7).integer(), -7);
    EXPECT_TRUE(Reply::boolean(true).boolean());
    EXPECT_DOUBLE_EQ(Reply::double_value(2.5).double_value(), 2.5);
    EXPECT_EQ(Reply::big_number("123456789012345678901234567890").str(),
              "123456789012345678901234567890");
    const auto verbatim = Reply::verbatim_string("txt", "hello");
    EXPECT_EQ(verbatim.verbatim_format(), "txt");
    EXPECT_EQ(verbatim.str(), "hello");
    EXPECT_TRUE(Reply::error("ERR x").is_error());
    EXPECT_TRUE(Reply::bulk_error("ERR y").is_error());
    EXPECT_TRUE(Reply::bulk_string("x").is_string());
    EXPECT_TRUE(Reply::set({}).is_aggregate());
    EXPECT_EQ(Reply::push({Reply::integer(1)}).type(), ReplyType::Push);
}

TEST(Reply, WrongTypeAccessNamesBothTypes) {
    try {
        (void)Reply::array({}).integer();
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        EXPECT_STREQ(e.what(), "reply is an array, not an integer");
    }
    try {
        (void)Reply::integer(1).str();
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        EXPECT_STREQ(e.what(), "reply is an integer, not a string");
    }
    EXPECT_THROW((void)Reply::bulk_string("x").elements(), DataError);
    EXPECT_THROW((void)Reply::null().boolean(), DataError);
    EXPECT_THROW((void)Reply::integer(1).double_value(), DataError);
    EXPECT_THROW((void)Reply::bulk_string("x").verbatim_format(), DataError);
}

TEST(Reply, IndexOutOfRangeIsADataError) {
    const auto reply = Reply::array({Reply::integer(1)});
    EXPECT_EQ(reply[0].integer(), 1);
    EXPECT_THROW((void)reply[1], DataError);
}

TEST(Reply, MapNeedsPairsAndVerbatimNeedsA3ByteFormat) {
    EXPECT_THROW((void)Reply::map({Reply::integer(1)}), DataError);
    EXPECT_THROW((void)Reply::verbatim_string("text", "x"), DataError);
}

TEST(Reply, EqualityIsStructural) {
    EXPECT_EQ(Reply::array({Reply::integer(1), Reply::bulk_string("a")}),
              Reply::array({Reply::integer(1), Reply::bulk_string("a")}));
    EXPECT_NE(Reply::array({Reply::integer(1)}), Reply::set({Reply::integer(1)}));
    EXPECT_NE(Reply::simple_string("OK"), Reply::bulk_string("OK"));
    EXPECT_NE(Reply::verbatim_string("txt", "a"), Reply::verbatim_string("mkd", "a"));
    EXPECT_NE(Reply::double_value(std::nan("")), Reply::double_value(std::nan("")));
}

TEST(Reply, DebugStringIsReadableAndBounded) {
    const auto reply = Reply::array({Reply::simple_string("OK"), Reply::integer(42), Reply::null(),
                                     Reply::bulk_string("a\"b\x01")});
    EXPECT_EQ(reply.to_debug_string(), R"(["OK", 42, nil, "a\"b\x01"])");
    EXPECT_EQ(Reply::map({Reply::bulk_string("k"), Reply::boolean(false)}).to_debug_string(),
              R"({"k": false})");
    const auto long_string = Reply::bulk_string(std::string(1000, 'x'));
    EXPECT_LT(long_string.to_debug_string().size(), 100u);
}

}  // namespace
}  // namespace rediscluster
