#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "rediscluster/resp.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

using namespace std::string_literals;
using test::error_of;

// Feeds `wire` in pieces cut at `cuts` (ascending offsets) and collects every
// complete reply.
std::vector<Reply> parse_in_pieces(std::string_view wire, const std::vector<std::size_t>& cuts,
                                   ParserLimits limits = {}) {
    ReplyParser parser(limits);
    std::vector<Reply> replies;
    std::size_t from = 0;
    auto drain = [&] {
        Reply reply;
        while (parser.next(reply)) {
            replies.push_back(reply);
        }
    };
    for (const auto cut : cuts) {
        parser.feed(wire.substr(from, cut - from));
        drain();
        from = cut;
    }
    parser.feed(wire.substr(from));
    drain();
    EXPECT_FALSE(parser.in_progress());
    EXPECT_EQ(parser.buffered(), 0u);
    return replies;
}

std::vector<Reply> parse_all(std::string_view wire) { return parse_in_pieces(wire, {}); }

Reply parse_one(std::string_view wire) {
    const auto replies = parse_all(wire);
    EXPECT_EQ(replies.size(), 1u) << "for " << wire;
    return replies.empty() ? Reply{} : replies.front();
}

struct TypeCase {
    std::string wire;
    Reply expected;
};

// One case per RESP2 and RESP3 type, with its edge forms.
std::vector<TypeCase> every_type() {
    return {
        {"+OK\r\n", Reply::simple_string("OK")},
        {"+\r\n", Reply::simple_string("")},
        {"-ERR unknown command 'FOO'\r\n", Reply::error("ERR unknown command 'FOO'")},
        {":0\r\n", Reply::integer(0)},
        {":-9223372036854775808\r\n", Reply::integer(INT64_MIN)},
        {":9223372036854775807\r\n", Reply::integer(INT64_MAX)},
        {"$5\r\nhello\r\n", Reply::bulk_string("hello")},
        {"$0\r\n\r\n", Reply::bulk_string("")},
        {"$4\r\na\r\nb\r\n", Reply::bulk_string("a\r\nb")},
        {"$3\r\n\0\xff\n\r\n"s, Reply::bulk_string("\0\xff\n"s)},
        {"$-1\r\n", Reply::null()},
        {"*-1\r\n", Reply::null()},
        {"*0\r\n", Reply::array({})},
        {"*2\r\n:1\r\n$1\r\nx\r\n", Reply::array({Reply::integer(1), Reply::bulk_string("x")})},
        {"*2\r\n*1\r\n+a\r\n*0\r\n", Reply::array({Reply::array({Reply::simple_string("a")}), Reply::array({})})},
        {"*3\r\n$-1\r\n_\r\n*-1\r\n", Reply::array({Reply::null(), Reply::null(), Reply::null()})},
        {"_\r\n", Reply::null()},
        {"#t\r\n", Reply::boolean(true)},
        {"#f\r\n", Reply::boolean(false)},
        {",1.5\r\n", Reply::double_value(1.5)},
        {",-0.25\r\n", Reply::double_value(-0.25)},
        {",10\r\n", Reply::double_value(10)},
        {",1e-3\r\n", Reply::double_value(0.001)},
        {",inf\r\n", Reply::double_value(INFINITY)},
        {",-inf\r\n", Reply::double_value(-INFINITY)},
        {"(3492890328409238509324850943850943825024385\r\n",
         Reply::big_number("3492890328409238509324850943850943825024385")},
        {"(-12\r\n", Reply::big_number("-12")},
        {"=15\r\ntxt:Some string\r\n", Reply::verbatim_string("txt", "Some string")},
        {"=4\r\nmkd:\r\n", Reply::verbatim_string("mkd", "")},
        {"!21\r\nSYNTAX invalid syntax\r\n", Reply::bulk_error("SYNTAX invalid syntax")},
        {"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
         Reply::map({Reply::simple_string("first"), Reply::integer(1), Reply::simple_string("second"),
                     Reply::integer(2)})},
        {"%0\r\n", Reply::map({})},
        {"~2\r\n+a\r\n+b\r\n", Reply::set({Reply::simple_string("a"), Reply::simple_string("b")})},
        {">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhi!\r\n",
         Reply::push({Reply::bulk_string("message"), Reply::bulk_string("ch"), Reply::bulk_string("hi!")})},
    };
}

TEST(ReplyParser, ParsesEveryType) {
    for (const auto& c : every_type()) {
        const auto reply = parse_one(c.wire);
        EXPECT_EQ(reply, c.expected) << "wire: " << Reply::bulk_string(c.wire).to_debug_string()
                                     << " got " << reply.to_debug_string();
    }
}

TEST(ReplyParser, NanDoubleParses) {
    const auto reply = parse_one(",nan\r\n");
    ASSERT_EQ(reply.type(), ReplyType::Double);
    EXPECT_TRUE(std::isnan(reply.double_value()));
}

std::string all_types_stream() {
    std::string wire;
    for (const auto& c : every_type()) wire += c.wire;
    return wire;
}

std::vector<Reply> all_types_expected() {
    std::vector<Reply> expected;
    for (const auto& c : every_type()) expected.push_back(c.expected);
    return expected;
}

TEST(ReplyParser, EverySplitPointOfAMultiReplyBufferGivesTheSameReplies) {
    const auto wire = all_types_stream();
    const auto expected = all_types_expected();
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
        ASSERT_EQ(parse_in_pieces(wire, {cut}), expected) << "split at " << cut;
    }
}

TEST(ReplyParser, EveryPairOfSplitPointsInANestedReplyGivesTheSameReply) {
    const std::string wire =
        "|1\r\n+ttl\r\n:3\r\n*3\r\n%1\r\n$1\r\nk\r\n~2\r\n#t\r\n,2.5\r\n=7\r\ntxt:abc\r\n>1\r\n(99\r\n";
    const auto expected = parse_all(wire);
    ASSERT_EQ(expected.size(), 1u);
    for (std::size_t a = 0; a <= wire.size(); ++a) {
        for (std::size_t b = a; b <= wire.size(); ++b) {
            ASSERT_EQ(parse_in_pieces(wire, {a, b}), expected) << "split at " << a << ", " << b;
        }
    }
}

TEST(ReplyParser, OneByteAtATime) {
    const auto wire = all_types_stream();
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < wire.size(); ++i) cuts.push_back(i);
    EXPECT_EQ(parse_in_pieces(wire, cuts), all_types_expected());
}

TEST(ReplyParser, RandomChunksOfALongPipelinedStream) {
    std::string wire;
    std::vector<Reply> expected;
    for (int i = 0; i < 2000; ++i) {
        const auto value = std::string(static_cast<std::size_t>(i % 97), static_cast<char>('a' + i % 26));
        wire += "*2\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n:" + std::to_string(i) + "\r\n";
        expected.push_back(Reply::array({Reply::bulk_string(value), Reply::integer(i)}));
    }
    std::mt19937 random(12345);
    std::vector<std::size_t> cuts;
    for (std::size_t at = 0; at < wire.size();) {
        at += 1 + random() % 300;
        if (at < wire.size()) cuts.push_back(at);
    }
    EXPECT_EQ(parse_in_pieces(wire, cuts), expected);
}

TEST(ReplyParser, AttributesAttachToTheNextReply) {
    const auto top = parse_one("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:7\r\n");
    EXPECT_EQ(top.type(), ReplyType::Array);
    ASSERT_EQ(top.attributes().size(), 2u);
    EXPECT_EQ(top.attributes()[0], Reply::simple_string("key-popularity"));
    EXPECT_EQ(top.attributes()[1].type(), ReplyType::Map);
    EXPECT_NE(top, parse_one("*1\r\n:7\r\n"));

    const auto nested = parse_one("*2\r\n:1\r\n|1\r\n+a\r\n+b\r\n:2\r\n");
    ASSERT_EQ(nested.size(), 2u) << nested.to_debug_string();
    EXPECT_TRUE(nested[0].attributes().empty());
    EXPECT_EQ(nested[1].integer(), 2);
    ASSERT_EQ(nested[1].attributes().size(), 2u);
    EXPECT_EQ(nested[1].attributes()[1], Reply::simple_string("b"));
}

TEST(ReplyParser, PushInProgressTellsAPartialPushFromAPartialReply) {
    // A push and a reply after it, cut at every byte: while the push is
    // partial, push_in_progress() says so; once the reply has begun, not.
    const std::string push = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n";
    const std::string wire = push + "|1\r\n+a\r\n:1\r\n*1\r\n$1\r\nv\r\n";
    for (std::size_t cut = 0; cut < wire.size(); ++cut) {
        ReplyParser parser;
        parser.feed(wire.substr(0, cut));
        Reply reply;
        while (parser.next(reply)) EXPECT_EQ(reply.type(), ReplyType::Push) << cut;
        EXPECT_EQ(parser.push_in_progress(), cut > 0 && cut < push.size()) << "cut at " << cut;
    }
    ReplyParser parser;
    EXPECT_FALSE(parser.push_in_progress());
    parser.feed(">");
    EXPECT_TRUE(parser.push_in_progress());
    parser.reset();
    EXPECT_FALSE(parser.push_in_progress());
}

TEST(ReplyParser, PrepareAndCommitReadStraightIntoTheBuffer) {
    ReplyParser parser;
    const std::string wire = "+PONG\r\n:1\r\n";
    auto space = parser.prepare(4);
    ASSERT_GE(space.size(), 4u);
    std::copy(wire.begin(), wire.begin() + 4, space.begin());
    parser.commit(4);
    EXPECT_FALSE(parser.next().has_value());
    EXPECT_TRUE(parser.in_progress() || parser.buffered() == 4u);
    space = parser.prepare(wire.size() - 4);
    std::copy(wire.begin() + 4, wire.end(), space.begin());
    parser.commit(wire.size() - 4);
    EXPECT_EQ(parser.next(), Reply::simple_string("PONG"));
    EXPECT_EQ(parser.next(), Reply::integer(1));
    EXPECT_FALSE(parser.next().has_value());
}

TEST(ReplyParser, CommittingMoreThanPreparedIsRejected) {
    ReplyParser parser;
    const auto space = parser.prepare(10);
    EXPECT_THROW(parser.commit(space.size() + 1), std::invalid_argument);
}

TEST(ReplyParser, LargeBulkStringAcrossManyReads) {
    const std::string payload(3 * 1024 * 1024 + 7, 'z');
    const std::string wire = "$" + std::to_string(payload.size()) + "\r\n" + payload + "\r\n+after\r\n";
    std::vector<std::size_t> cuts;
    for (std::size_t at = 4096; at < wire.size(); at += 4096) cuts.push_back(at);
    const auto replies = parse_in_pieces(wire, cuts);
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].str().size(), payload.size());
    EXPECT_EQ(replies[0].str(), payload);
    EXPECT_EQ(replies[1], Reply::simple_string("after"));
}

TEST(ReplyParser, ReusesTheCallersReply) {
    ReplyParser parser;
    Reply reply;
    for (int i = 0; i < 10; ++i) {
        parser.feed("$40\r\n" + std::string(40, static_cast<char>('a' + i)) + "\r\n");
        ASSERT_TRUE(parser.next(reply));
        EXPECT_EQ(reply.str(), std::string(40, static_cast<char>('a' + i)));
    }
    parser.feed(":5\r\n");
    ASSERT_TRUE(parser.next(reply));
    EXPECT_EQ(reply, Reply::integer(5));  // no stale payload left behind
    parser.feed("*1\r\n+x\r\n");
    ASSERT_TRUE(parser.next(reply));
    parser.feed("+y\r\n");
    ASSERT_TRUE(parser.next(reply));
    EXPECT_EQ(reply, Reply::simple_string("y"));
    EXPECT_EQ(reply.size(), 0u);
}

// --- limits ---------------------------------------------------------------

std::string protocol_error(std::string_view wire, ParserLimits limits = {}) {
    return error_of<ProtocolError>([&] {
        ReplyParser parser(limits);
        parser.feed(wire);
        while (parser.next()) {
        }
    });
}

TEST(ReplyParserLimits, BulkLength) {
    ParserLimits limits;
    limits.max_bulk_length = 10;
    EXPECT_EQ(parse_in_pieces("$10\r\n0123456789\r\n", {}, limits).size(), 1u);
    EXPECT_EQ(protocol_error("$11\r\n", limits),
              "bulk string of 11 bytes exceeds the limit of 10 at offset 1");
    EXPECT_EQ(protocol_error("=11\r\n", limits),
              "verbatim string of 11 bytes exceeds the limit of 10 at offset 1");
    EXPECT_EQ(protocol_error("+a\r\n!99\r\n", limits),
              "bulk error of 99 bytes exceeds the limit of 10 at offset 5");
}

TEST(ReplyParserLimits, BulkLengthIsCheckedBeforeThePayloadArrives) {
    // A hostile length must be refused from its header alone, before the
    // parser waits for (and buffers) that many bytes.
    EXPECT_EQ(protocol_error("$9999999999999\r\n"),
              "bulk string of 9999999999999 bytes exceeds the limit of 536870912 at offset 1");
}

TEST(ReplyParserLimits, ElementCount) {
    ParserLimits limits;
    limits.max_elements = 4;
    EXPECT_EQ(parse_in_pieces("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", {}, limits).size(), 1u);
    EXPECT_EQ(protocol_error("*5\r\n", limits), "array of 5 elements exceeds the limit of 4 at offset 1");
    EXPECT_EQ(protocol_error("%3\r\n", limits), "map of 6 elements exceeds the limit of 4 at offset 1");
    EXPECT_EQ(protocol_error("~5\r\n", limits), "set of 5 elements exceeds the limit of 4 at offset 1");
    EXPECT_EQ(protocol_error(">5\r\n", limits), "push of 5 elements exceeds the limit of 4 at offset 1");
    EXPECT_EQ(protocol_error("|3\r\n", limits), "attribute of 6 elements exceeds the limit of 4 at offset 1");
    EXPECT_EQ(protocol_error("*9223372036854775807\r\n"),
              "array of 9223372036854775807 elements exceeds the limit of 16777216 at offset 1");
}

TEST(ReplyParserLimits, NestingDepth) {
    ParserLimits limits;
    limits.max_depth = 3;
    EXPECT_EQ(parse_in_pieces("*1\r\n*1\r\n*1\r\n:1\r\n", {}, limits).size(), 1u);
    EXPECT_EQ(protocol_error("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", limits),
              "aggregate nesting deeper than the limit of 3 levels at offset 12");
    // Empty aggregates do not open a level.
    EXPECT_EQ(parse_in_pieces("*1\r\n*1\r\n*1\r\n*0\r\n", {}, limits).size(), 1u);
    // The default holds back a deeply nested bomb without recursion.
    std::string bomb;
    for (int i = 0; i < 100000; ++i) bomb += "*1\r\n";
    EXPECT_EQ(protocol_error(bomb), "aggregate nesting deeper than the limit of 16 levels at offset 64");
}

TEST(ReplyParserLimits, LineLength) {
    ParserLimits limits;
    limits.max_line_length = 8;
    EXPECT_EQ(parse_in_pieces("+12345678\r\n", {}, limits).size(), 1u);
    EXPECT_EQ(protocol_error("+123456789\r\n", limits),
              "line of 9 bytes exceeds the limit of 8 at offset 0");
    // Without a CRLF in sight, the parser gives up once the limit is passed
    // rather than buffering forever.
    EXPECT_EQ(protocol_error("+" + std::string(100, 'x'), limits),
              "expected CRLF within 8 bytes (the line length limit) at offset 0");
    EXPECT_EQ(protocol_error("+" + std::string(1000000, 'x')),
              "expected CRLF within 65536 bytes (the line length limit) at offset 0");
}

// --- malformed input ------------------------------------------------------

TEST(ReplyParserMalformed, EachNamesWhatWasExpectedAndWhere) {
    const std::pair<std::string, std::string> cases[] = {
        {"?\r\n", "expected a RESP type byte, found '?' at offset 0"},
        {"+OK\r\nx\r\n", "expected a RESP type byte, found 'x' at offset 5"},
        {"\r\n", "expected a RESP type byte, found CRLF at offset 0"},
        {"+OK\n", "expected CR before LF at offset 3"},
        {"+O\rK\r\n", "expected no CR inside a simple string at offset 2"},
        {":12a\r\n", "expected a 64-bit integer, found \"12a\" at offset 1"},
        {":\r\n", "expected a 64-bit integer, found \"\" at offset 1"},
        {":+1\r\n", "expected a 64-bit integer, found \"+1\" at offset 1"},
        {":99999999999999999999\r\n", "expected a 64-bit integer, found \"99999999999999999999\" at offset 1"},
        {"$abc\r\n", "expected the length of a bulk string, found \"abc\" at offset 1"},
        {"$-2\r\n", "expected a non-negative length of a bulk string, found -2 at offset 1"},
        {"$3\r\nabcde\r\n", "expected CRLF after a bulk string of 3 bytes at offset 7"},
        {"$3\r\nabc\n\r", "expected CRLF after a bulk string of 3 bytes at offset 7"},
        {"$?\r\n", "streamed RESP3 bulk strings ('$?') are not supported at offset 1"},
        {"*?\r\n", "streamed RESP3 arrays ('*?') are not supported at offset 1"},
        {"*-2\r\n", "expected a non-negative element count of an array, found -2 at offset 1"},
        {"%-1\r\n", "expected a non-negative element count of a map, found -1 at offset 1"},
        {"=-1\r\n", "expected a non-negative length of a verbatim string, found -1 at offset 1"},
        {"=3\r\ntxt\r\n", "expected a verbatim string to start with a 3-byte format and ':' at offset 4"},
        {"=5\r\ntxt-a\r\n", "expected a verbatim string to start with a 3-byte format and ':' at offset 4"},
        {"_x\r\n", "expected CRLF right after a null '_', found \"x\" at offset 1"},
        {"#x\r\n", "expected a boolean 't' or 'f', found \"x\" at offset 1"},
        {"#\r\n", "expected a boolean 't' or 'f', found \"\" at offset 1"},
        {",1.2.3\r\n", "expected a double, found \"1.2.3\" at offset 1"},
        {",\r\n", "expected a double, found \"\" at offset 1"},
        {"(12x\r\n", "expected a big number's digits, found \"12x\" at offset 1"},
        {"(\r\n", "expected a big number's digits, found \"\" at offset 1"},
        {"*2\r\n:1\r\n\x01\r\n", "expected a RESP type byte, found '\\x01' at offset 8"},
    };
    for (const auto& [wire, message] : cases) {
        EXPECT_EQ(protocol_error(wire), message) << "wire: " << Reply::bulk_string(wire).to_debug_string();
    }
}

TEST(ReplyParserMalformed, OffsetsCountFromTheStartOfTheStream) {
    ReplyParser parser;
    parser.feed("+OK\r\n+OK\r\n");
    EXPECT_TRUE(parser.next().has_value());
    EXPECT_TRUE(parser.next().has_value());
    parser.feed(":x\r\n");
    EXPECT_EQ(error_of<ProtocolError>([&] { (void)parser.next(); }),
              "expected a 64-bit integer, found \"x\" at offset 11");
}

TEST(ReplyParserMalformed, FailureIsStickyUntilReset) {
    ReplyParser parser;
    parser.feed("!bad\r\n");
    EXPECT_THROW((void)parser.next(), ProtocolError);
    EXPECT_TRUE(parser.failed());
    parser.feed("+OK\r\n");
    const auto message = error_of<ProtocolError>([&] { (void)parser.next(); });
    EXPECT_NE(message.find("unusable after an earlier error"), std::string::npos) << message;
    parser.reset();
    EXPECT_FALSE(parser.failed());
    parser.feed("+OK\r\n");
    EXPECT_EQ(parser.next(), Reply::simple_string("OK"));
}

TEST(ReplyParserMalformed, NonPrintableBytesAreEscapedInMessages) {
    EXPECT_EQ(protocol_error(":\x01\xff\r\n"), "expected a 64-bit integer, found \"\\x01\\xff\" at offset 1");
}

}  // namespace
}  // namespace rediscluster
