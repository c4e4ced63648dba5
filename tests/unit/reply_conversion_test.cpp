// Reply::as<T>() / reply_cast<T>(): every conversion, from the RESP2 and the
// RESP3 shape where they differ, and every kind of mismatch.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rediscluster/commands.hpp"
#include "rediscluster/resp.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using test::error_of;

Reply bulk(std::string_view text) { return Reply::bulk_string(text); }
Reply integer(std::int64_t value) { return Reply::integer(value); }
Reply array(std::vector<Reply> elements) { return Reply::array(std::move(elements)); }

// The message of the ReplyTypeError that converting `reply` to T throws.
template <class T>
std::string type_error(const Reply& reply) {
    return error_of<ReplyTypeError>([&] { (void)reply.as<T>(); });
}

// What a mismatch message must hold: the type asked for and what came.
void expect_names(const std::string& message, std::string_view expected, std::string_view got) {
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_NE(message.find(got), std::string::npos) << message;
}

// --- identity ---------------------------------------------------------------

TEST(ReplyConversion, ReplyReadsAsItselfErrorsIncluded) {
    const auto reply = array({integer(1), bulk("a")});
    EXPECT_EQ(reply.as<Reply>(), reply);
    EXPECT_EQ(Reply::error("ERR x").as<Reply>(), Reply::error("ERR x"));
    auto moved = bulk("payload");
    EXPECT_EQ(std::move(moved).as<Reply>(), bulk("payload"));
}

// --- strings ----------------------------------------------------------------

TEST(ReplyConversion, StringFromEveryStringType) {
    EXPECT_EQ(bulk("abc").as<std::string>(), "abc");
    EXPECT_EQ(Reply::simple_string("OK").as<std::string>(), "OK");
    EXPECT_EQ(Reply::verbatim_string("txt", "hello").as<std::string>(), "hello");  // RESP3
    EXPECT_EQ(Reply::big_number("123456789012345678901234567890").as<std::string>(),
              "123456789012345678901234567890");  // RESP3
    EXPECT_EQ(bulk(std::string("a\0b", 3)).as<std::string>(), std::string("a\0b", 3));
}

TEST(ReplyConversion, StringFromAnRvalueMovesThePayloadOut) {
    auto reply = bulk(std::string(100, 'x'));
    EXPECT_EQ(std::move(reply).as<std::string>(), std::string(100, 'x'));
    auto optional = bulk("v");
    EXPECT_EQ(std::move(optional).as<std::optional<std::string>>(), "v");
    EXPECT_EQ(Reply::null().as<std::optional<std::string>>(), std::nullopt);
    EXPECT_EQ(reply_cast<std::optional<std::string>>(Reply::null()), std::nullopt);
}

TEST(ReplyConversion, StringMismatchNamesTypeAndReply) {
    expect_names(type_error<std::string>(integer(42)), "std::string", "an integer 42");
    expect_names(type_error<std::string>(Reply::null()), "std::string", "got null");
    expect_names(type_error<std::string>(array({bulk("a")})), "std::string", R"(an array ["a"])");
    EXPECT_EQ(type_error<std::string>(integer(42)), "cannot read the reply as std::string: got an integer 42");
    auto moved = integer(7);
    EXPECT_THROW((void)std::move(moved).as<std::string>(), ReplyTypeError);
}

// --- integers ---------------------------------------------------------------

TEST(ReplyConversion, IntegersFromIntegersAndDecimalStrings) {
    EXPECT_EQ(integer(-5).as<std::int64_t>(), -5);
    EXPECT_EQ(integer(5).as<int>(), 5);
    EXPECT_EQ(integer(255).as<std::uint8_t>(), 255);
    EXPECT_EQ(integer(-128).as<std::int8_t>(), -128);
    EXPECT_EQ(integer(7).as<unsigned long long>(), 7u);
    EXPECT_EQ(integer(7).as<short>(), 7);
    // RESP2 sends many numbers as bulk strings (HGET of a counter).
    EXPECT_EQ(bulk("42").as<std::int64_t>(), 42);
    EXPECT_EQ(bulk("-42").as<long>(), -42);
    EXPECT_EQ(bulk("+42").as<int>(), 42);
    EXPECT_EQ(bulk("18446744073709551615").as<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(Reply::big_number("12345").as<std::int32_t>(), 12345);  // RESP3
    EXPECT_EQ(Reply::simple_string("9").as<std::uint16_t>(), 9);
}

TEST(ReplyConversion, IntegersOutOfRangeAreRefused) {
    const auto message = type_error<std::uint8_t>(integer(300));
    expect_names(message, "std::uint8_t", "an integer 300");
    EXPECT_NE(message.find("out of range"), std::string::npos) << message;
    EXPECT_NE(type_error<std::uint32_t>(integer(-1)).find("out of range"), std::string::npos);
    EXPECT_NE(type_error<std::int64_t>(bulk("18446744073709551615")).find("out of range"), std::string::npos);
    EXPECT_NE(type_error<std::int16_t>(bulk("40000")).find("std::int16_t"), std::string::npos);
    EXPECT_NE(type_error<std::uint64_t>(Reply::big_number("123456789012345678901234567890")).find("out of range"),
              std::string::npos);
}

TEST(ReplyConversion, IntegerMismatches) {
    expect_names(type_error<std::int64_t>(bulk("abc")), "std::int64_t", R"(a bulk string "abc")");
    expect_names(type_error<std::int64_t>(bulk("1.5")), "std::int64_t", R"("1.5")");
    expect_names(type_error<std::int64_t>(bulk("")), "std::int64_t", "bulk string");
    expect_names(type_error<int>(Reply::double_value(1.0)), "std::int32_t", "a double");
    expect_names(type_error<std::int64_t>(Reply::null()), "std::int64_t", "got null");
    expect_names(type_error<std::int64_t>(Reply::boolean(true)), "std::int64_t", "a boolean");
}

// --- floating point -----------------------------------------------------------

TEST(ReplyConversion, DoubleFromDoublesIntegersAndNumericStrings) {
    EXPECT_DOUBLE_EQ(Reply::double_value(1.5).as<double>(), 1.5);  // RESP3 ZSCORE
    EXPECT_DOUBLE_EQ(bulk("1.5").as<double>(), 1.5);               // RESP2 ZSCORE
    EXPECT_DOUBLE_EQ(bulk("-3").as<double>(), -3.0);
    EXPECT_DOUBLE_EQ(bulk("1e3").as<double>(), 1000.0);
    EXPECT_DOUBLE_EQ(integer(7).as<double>(), 7.0);
    EXPECT_FLOAT_EQ(bulk("0.25").as<float>(), 0.25f);
    EXPECT_EQ(Reply::big_number("100").as<long double>(), 100.0L);
    EXPECT_EQ(bulk("inf").as<double>(), std::numeric_limits<double>::infinity());
    EXPECT_EQ(bulk("+inf").as<double>(), std::numeric_limits<double>::infinity());
    EXPECT_EQ(bulk("-inf").as<double>(), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(Reply::double_value(-std::numeric_limits<double>::infinity()).as<double>(),
              -std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(bulk("nan").as<double>()));
}

TEST(ReplyConversion, DoubleMismatches) {
    expect_names(type_error<double>(bulk("1.5x")), "double", R"(a bulk string "1.5x")");
    expect_names(type_error<double>(array({})), "double", "an array []");
    expect_names(type_error<float>(Reply::boolean(false)), "float", "a boolean false");
}

// --- booleans -----------------------------------------------------------------

TEST(ReplyConversion, BoolFromZeroOneBooleansAndOk) {
    EXPECT_TRUE(integer(1).as<bool>());
    EXPECT_FALSE(integer(0).as<bool>());
    EXPECT_TRUE(Reply::boolean(true).as<bool>());  // RESP3
    EXPECT_FALSE(Reply::boolean(false).as<bool>());
    EXPECT_TRUE(Reply::simple_string("OK").as<bool>());
}

TEST(ReplyConversion, BoolMismatches) {
    const auto message = type_error<bool>(integer(2));
    expect_names(message, "bool", "an integer 2");
    EXPECT_NE(message.find("0 and 1"), std::string::npos) << message;
    expect_names(type_error<bool>(Reply::simple_string("QUEUED")), "bool", R"(a simple string "QUEUED")");
    expect_names(type_error<bool>(bulk("1")), "bool", "bulk string");
    expect_names(type_error<bool>(Reply::null()), "bool", "null");
}

// --- durations ----------------------------------------------------------------

TEST(ReplyConversion, DurationsCountInTheirOwnUnit) {
    EXPECT_EQ(integer(1500).as<std::chrono::milliseconds>(), 1500ms);
    EXPECT_EQ(integer(1500).as<std::chrono::seconds>(), 1500s);
    EXPECT_EQ(integer(-2).as<std::chrono::seconds>(), -2s);  // TTL of a missing key
    EXPECT_EQ(bulk("30").as<std::chrono::minutes>(), 30min);
    EXPECT_EQ(bulk("0.5").as<std::chrono::duration<double>>(), std::chrono::duration<double>(0.5));
    EXPECT_EQ(Reply::null().as<std::optional<std::chrono::seconds>>(), std::nullopt);
}

TEST(ReplyConversion, DurationMismatches) {
    expect_names(type_error<std::chrono::milliseconds>(bulk("soon")), "std::chrono::duration of std::int64_t",
                 R"("soon")");
    expect_names(type_error<std::chrono::seconds>(array({})), "std::chrono::duration", "an array");
}

// --- optional -----------------------------------------------------------------

TEST(ReplyConversion, OptionalReadsNullAsNothing) {
    EXPECT_EQ(Reply::null().as<std::optional<std::int64_t>>(), std::nullopt);  // RESP2 "$-1" and RESP3 "_"
    EXPECT_EQ(integer(3).as<std::optional<std::int64_t>>(), 3);
    EXPECT_EQ(Reply::null().as<std::optional<std::vector<std::string>>>(), std::nullopt);  // "*-1"
    EXPECT_EQ(array({bulk("a")}).as<std::optional<std::vector<std::string>>>(),
              (std::vector<std::string>{"a"}));
}

TEST(ReplyConversion, OptionalMismatchNamesTheInnerType) {
    expect_names(type_error<std::optional<std::int64_t>>(bulk("x")), "std::int64_t", R"("x")");
}

// --- vectors ------------------------------------------------------------------

TEST(ReplyConversion, VectorFromArraysAndSets) {
    EXPECT_EQ(array({bulk("a"), bulk("b")}).as<std::vector<std::string>>(), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(Reply::set({bulk("a")}).as<std::vector<std::string>>(), (std::vector<std::string>{"a"}));  // RESP3 SMEMBERS
    EXPECT_EQ(Reply::push({integer(1)}).as<std::vector<int>>(), (std::vector<int>{1}));
    EXPECT_TRUE(array({}).as<std::vector<std::string>>().empty());
    EXPECT_EQ(array({bulk("a"), Reply::null()}).as<std::vector<std::optional<std::string>>>(),
              (std::vector<std::optional<std::string>>{"a", std::nullopt}));
    EXPECT_EQ(array({integer(1), integer(0)}).as<std::vector<bool>>(), (std::vector<bool>{true, false}));
}

TEST(ReplyConversion, VectorMismatchNamesTheFailingElement) {
    const auto message = type_error<std::vector<std::int64_t>>(array({integer(1), bulk("x")}));
    expect_names(message, "std::vector<std::int64_t>", "element 1");
    EXPECT_NE(message.find(R"(a bulk string "x")"), std::string::npos) << message;
    expect_names(type_error<std::vector<std::string>>(bulk("a")), "std::vector<std::string>", R"(a bulk string "a")");
    expect_names(type_error<std::vector<std::string>>(Reply::null()), "std::vector<std::string>", "null");
}

// --- pairs of keys and values: vector<pair>, map, unordered_map ---------------

// HGETALL: RESP2 sends a flat array, RESP3 a map.
const Reply kFlatFields = array({bulk("f1"), bulk("v1"), bulk("f2"), bulk("v2")});
const Reply kMapFields = Reply::map({bulk("f1"), bulk("v1"), bulk("f2"), bulk("v2")});

TEST(ReplyConversion, VectorOfPairsFromFlatArraysMapsAndNestedArrays) {
    const std::vector<std::pair<std::string, std::string>> fields{{"f1", "v1"}, {"f2", "v2"}};
    using Fields = std::vector<std::pair<std::string, std::string>>;
    EXPECT_EQ(kFlatFields.as<Fields>(), fields);
    EXPECT_EQ(kMapFields.as<Fields>(), fields);
    // ZRANGE WITHSCORES: RESP2 flat with scores as strings, RESP3 nested
    // with doubles.
    using Scores = std::vector<std::pair<std::string, double>>;
    const Scores scores{{"a", 1.0}, {"b", 2.5}};
    EXPECT_EQ(array({bulk("a"), bulk("1"), bulk("b"), bulk("2.5")}).as<Scores>(), scores);
    EXPECT_EQ(array({array({bulk("a"), Reply::double_value(1.0)}), array({bulk("b"), Reply::double_value(2.5)})})
                  .as<Scores>(),
              scores);
    EXPECT_TRUE(array({}).as<Scores>().empty());
}

TEST(ReplyConversion, MapsFromFlatArraysMapsAndNestedArrays) {
    const std::map<std::string, std::string> expected{{"f1", "v1"}, {"f2", "v2"}};
    EXPECT_EQ((kFlatFields.as<std::map<std::string, std::string>>()), expected);
    EXPECT_EQ((kMapFields.as<std::map<std::string, std::string>>()), expected);
    EXPECT_EQ((array({array({bulk("f1"), bulk("v1")}), array({bulk("f2"), bulk("v2")})})
                   .as<std::map<std::string, std::string>>()),
              expected);
    const auto unordered = kMapFields.as<std::unordered_map<std::string, std::string>>();
    EXPECT_EQ(unordered.size(), 2u);
    EXPECT_EQ(unordered.at("f2"), "v2");
    EXPECT_EQ((Reply::map({bulk("n"), integer(3)}).as<std::map<std::string, std::int64_t>>()),
              (std::map<std::string, std::int64_t>{{"n", 3}}));
}

TEST(ReplyConversion, PairListMismatches) {
    using Fields = std::map<std::string, std::string>;
    const auto odd = type_error<Fields>(array({bulk("f1"), bulk("v1"), bulk("f2")}));
    expect_names(odd, "std::map<std::string, std::string>", "pairs");
    EXPECT_NE(odd.find("3 elements"), std::string::npos) << odd;
    expect_names(type_error<Fields>(integer(1)), "std::map<std::string, std::string>", "an integer 1");
    const auto bad_value = type_error<std::map<std::string, std::int64_t>>(Reply::map({bulk("n"), bulk("x")}));
    expect_names(bad_value, "std::map<std::string, std::int64_t>", "element 1");
    const auto short_pair = type_error<std::vector<std::pair<std::string, double>>>(array({array({bulk("a")})}));
    expect_names(short_pair, "std::vector<std::pair<std::string, double>>", "[key, value] pair");
    const auto bad_nested = type_error<std::vector<std::pair<std::string, double>>>(
        array({array({bulk("a"), bulk("x")})}));
    expect_names(bad_nested, "element 0", "double");
}

// --- pairs and tuples -----------------------------------------------------------

TEST(ReplyConversion, PairAndTupleFromArraysOfTheirSize) {
    EXPECT_EQ((array({bulk("list"), bulk("v")}).as<std::pair<std::string, std::string>>()),
              (std::pair<std::string, std::string>{"list", "v"}));  // BLPOP
    EXPECT_EQ((array({bulk("z"), bulk("m"), bulk("1.5")}).as<std::tuple<std::string, std::string, double>>()),
              (std::tuple<std::string, std::string, double>{"z", "m", 1.5}));  // BZPOPMIN, RESP2
    EXPECT_EQ((array({bulk("z"), bulk("m"), Reply::double_value(1.5)}).as<std::tuple<std::string, std::string, double>>()),
              (std::tuple<std::string, std::string, double>{"z", "m", 1.5}));  // RESP3
    EXPECT_EQ((Reply::null().as<std::optional<std::pair<std::string, std::string>>>()), std::nullopt);
}

TEST(ReplyConversion, PairAndTupleMismatches) {
    const auto wrong_size = type_error<std::pair<std::string, std::string>>(array({bulk("a")}));
    expect_names(wrong_size, "std::pair<std::string, std::string>", "expected 2 elements, got 1");
    const auto tuple_size = type_error<std::tuple<int, int, int>>(array({integer(1), integer(2)}));
    expect_names(tuple_size, "std::tuple<std::int32_t, std::int32_t, std::int32_t>", "expected 3 elements, got 2");
    const auto element = type_error<std::tuple<std::string, int>>(array({bulk("a"), bulk("b")}));
    expect_names(element, "element 1", "std::int32_t");
    expect_names(type_error<std::pair<int, int>>(integer(1)), "std::pair<std::int32_t, std::int32_t>", "an integer 1");
}

// --- nesting ------------------------------------------------------------------

TEST(ReplyConversion, NestedTypesCompose) {
    // XRANGE's entries: [[id, [field, value, ...]], ...]
    const auto entries = array({array({bulk("1-0"), array({bulk("f"), bulk("v")})}),
                                array({bulk("2-0"), array({bulk("g"), bulk("w"), bulk("h"), bulk("x")})})});
    using Entries = std::vector<std::pair<std::string, std::map<std::string, std::string>>>;
    const auto read = entries.as<Entries>();
    ASSERT_EQ(read.size(), 2u);
    EXPECT_EQ(read[1].first, "2-0");
    EXPECT_EQ(read[1].second.at("h"), "x");
    using Optionals = std::optional<std::vector<std::optional<std::int64_t>>>;
    EXPECT_EQ(array({integer(1), Reply::null()}).as<Optionals>(),
              (std::vector<std::optional<std::int64_t>>{1, std::nullopt}));
    const auto streams = entries.as<std::vector<StreamEntry>>();
    EXPECT_EQ(streams[0], (StreamEntry{"1-0", {{"f", "v"}}}));
}

// --- error replies ----------------------------------------------------------------

TEST(ReplyConversion, ErrorRepliesThrowTheirTypedException) {
    EXPECT_THROW((void)Reply::error("ERR wrong").as<std::string>(), ResponseError);
    EXPECT_EQ(error_of<ResponseError>([] { (void)Reply::error("ERR wrong").as<std::int64_t>(); }), "ERR wrong");
    EXPECT_THROW((void)Reply::error("NOSCRIPT No matching script").as<Reply>().as<std::string>(), NoScriptError);
    EXPECT_THROW((void)Reply::bulk_error("MOVED 1 127.0.0.1:7000").as<std::optional<std::string>>(), MovedError);
    // An error inside an aggregate (EXEC, a script's table) is thrown too,
    // as its own exception rather than a type mismatch.
    EXPECT_THROW((void)array({integer(1), Reply::error("WRONGTYPE x")}).as<std::vector<std::int64_t>>(),
                 ResponseError);
    try {
        (void)array({Reply::error("WRONGTYPE x")}).as<std::vector<std::int64_t>>();
    } catch (const ReplyTypeError&) {
        ADD_FAILURE() << "an error reply is not a type mismatch";
    } catch (const ResponseError& e) {
        EXPECT_STREQ(e.what(), "WRONGTYPE x");
    }
    auto moved = Reply::error("ERR gone");
    EXPECT_THROW((void)std::move(moved).as<std::string>(), ResponseError);
}

TEST(ReplyConversion, ReplyTypeErrorIsAResponseErrorAndADataError) {
    EXPECT_THROW((void)integer(1).as<std::string>(), ResponseError);
    EXPECT_THROW((void)integer(1).as<std::string>(), DataError);
    EXPECT_THROW((void)integer(1).as<std::string>(), RedisError);
}

// --- the readers the typed methods use ------------------------------------------

TEST(ReplyConversion, ReadersOfTheTypedMethods) {
    EXPECT_EQ(reply_readers::Integer::read(integer(3)), 3);
    EXPECT_TRUE(reply_readers::IntegerIsOne::read(integer(1)));
    EXPECT_FALSE(reply_readers::NotNull::read(Reply::null()));
    EXPECT_TRUE(reply_readers::NotNull::read(Reply::simple_string("OK")));
    EXPECT_THROW((void)reply_readers::NotNull::read(Reply::error("ERR syntax")), ResponseError);
    EXPECT_EQ(reply_readers::Pairs::read(Reply::map({bulk("f"), bulk("v")})),
              (std::vector<std::pair<std::string, std::string>>{{"f", "v"}}));
    EXPECT_EQ(reply_readers::OptionalDouble::read(Reply::double_value(2.0)), 2.0);
    EXPECT_EQ(reply_readers::OptionalDouble::read(bulk("2")), 2.0);
}

// --- what compiles ---------------------------------------------------------------

struct NotAReplyType {};
static_assert(ReplyConvertible<std::vector<std::pair<std::string, double>>>);
static_assert(ReplyConvertible<std::optional<std::vector<std::optional<std::string>>>>);
static_assert(ReplyConvertible<std::map<std::string, std::chrono::milliseconds>>);
static_assert(ReplyConvertible<std::tuple<std::string, std::int64_t, double, bool>>);
static_assert(ReplyConvertible<StreamEntry>);
static_assert(!ReplyConvertible<NotAReplyType>);
static_assert(!ReplyConvertible<std::vector<NotAReplyType>>);
static_assert(!ReplyConvertible<std::optional<std::pair<std::string, NotAReplyType>>>);
static_assert(!ReplyConvertible<char>);
static_assert(ReplyConvertible<std::uint8_t>);
static_assert(!ReplyConvertible<std::string_view>);  // would dangle
// `reply.as<NotAReplyType>()` stops the build with: "no conversion from a
// Reply to this type: use Reply, std::string, an integer type, ...".

}  // namespace
}  // namespace rediscluster
