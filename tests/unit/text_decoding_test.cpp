// decode_responses: encoding names, UTF-8 validation with the three error
// policies, Latin-1 conversion, and decoding a whole reply in place.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detail/text_decoding.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"
#include "support/error_of.hpp"

namespace rediscluster::detail {
namespace {

using namespace std::string_literals;

// U+FFFD REPLACEMENT CHARACTER in UTF-8.
const std::string kReplacement = "\xEF\xBF\xBD";

std::string strict(std::string_view bytes) { return decode_text(bytes, TextEncoding::Utf8, DecodeErrors::Strict); }
std::string replace(std::string_view bytes) { return decode_text(bytes, TextEncoding::Utf8, DecodeErrors::Replace); }
std::string ignore(std::string_view bytes) { return decode_text(bytes, TextEncoding::Utf8, DecodeErrors::Ignore); }
std::string latin1(std::string_view bytes) { return decode_text(bytes, TextEncoding::Latin1, DecodeErrors::Strict); }

// The message of the DataError strict decoding throws for `bytes`.
std::string strict_error(std::string_view bytes) {
    return test::error_of<DataError>([&] { (void)strict(bytes); });
}

Reply parse(std::string_view wire) {
    ReplyParser parser;
    parser.feed(wire);
    auto reply = parser.next();
    EXPECT_TRUE(reply) << "incomplete: " << wire;
    EXPECT_EQ(parser.buffered(), 0u);
    return reply ? std::move(*reply) : Reply{};
}

// --- option names ---------------------------------------------------------------

TEST(ParseEncoding, NamesAndAliasesInAnyCase) {
    for (const char* name : {"utf-8", "UTF-8", "Utf-8", "utf8", "UTF8"}) {
        EXPECT_EQ(parse_encoding(name), TextEncoding::Utf8) << name;
    }
    for (const char* name : {"latin-1", "Latin-1", "LATIN-1", "latin1", "LATIN1", "iso-8859-1", "ISO-8859-1"}) {
        EXPECT_EQ(parse_encoding(name), TextEncoding::Latin1) << name;
    }
}

TEST(ParseEncoding, OtherNamesAreConfigErrorsNamingTheValue) {
    for (const std::string name : {"ascii", "utf-16", "utf_8x", "", "utf 8", "latin-2", "cp1252"}) {
        const auto message = test::error_of<RedisClusterConfigError>([&] { (void)parse_encoding(name); });
        EXPECT_NE(message.find("encoding '" + name + "' is not supported"), std::string::npos) << message;
    }
}

TEST(ParseDecodeErrors, TheThreePolicies) {
    EXPECT_EQ(parse_decode_errors("strict"), DecodeErrors::Strict);
    EXPECT_EQ(parse_decode_errors("replace"), DecodeErrors::Replace);
    EXPECT_EQ(parse_decode_errors("ignore"), DecodeErrors::Ignore);
}

TEST(ParseDecodeErrors, OtherNamesAreConfigErrorsNamingTheValue) {
    for (const std::string name : {"backslashreplace", "surrogateescape", "", "strictly"}) {
        const auto message = test::error_of<RedisClusterConfigError>([&] { (void)parse_decode_errors(name); });
        EXPECT_NE(message.find("encoding_errors '" + name + "' is not supported"), std::string::npos) << message;
    }
}

// --- valid UTF-8 --------------------------------------------------------------------

TEST(DecodeUtf8, ValidTextIsUnchangedByEveryPolicy) {
    const std::vector<std::string> valid = {
        "",
        "plain ascii",
        "\0nul inside\x7F"s,
        "caf\xC3\xA9",                      // 2 bytes: U+00E9
        "\xC2\x80 \xDF\xBF",                // 2 bytes: U+0080, U+07FF (bounds)
        "\xE2\x82\xAC uro",                 // 3 bytes: U+20AC
        "\xE0\xA0\x80 \xEF\xBF\xBF",        // 3 bytes: U+0800, U+FFFF (bounds)
        "\xED\x9F\xBF \xEE\x80\x80",        // U+D7FF and U+E000, around the surrogates
        "\xF0\x9F\x98\x80!",                // 4 bytes: U+1F600
        "\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF",  // 4 bytes: U+10000, U+10FFFF (bounds)
        "mixed \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 end",
    };
    for (const auto& text : valid) {
        EXPECT_EQ(strict(text), text);
        EXPECT_EQ(replace(text), text);
        EXPECT_EQ(ignore(text), text);
    }
}

// --- invalid UTF-8 ---------------------------------------------------------------------

struct InvalidCase {
    std::string what;
    std::string bytes;
    std::size_t bad_offset;     // where strict decoding stops
    std::string replaced;       // with errors=replace
    std::string ignored;        // with errors=ignore
};

// Replace puts one U+FFFD for each invalid lead byte together with the
// continuation bytes that directly follow it.
std::vector<InvalidCase> invalid_cases() {
    const std::string r = kReplacement;
    return {
        {"lone continuation byte", "a\x80z", 1, "a" + r + "z", "az"},
        {"run of continuation bytes", "a\x80\xBF\x80z", 1, "a" + r + "z", "az"},
        {"overlong 2-byte NUL", "a\xC0\x80z", 1, "a" + r + "z", "az"},
        {"overlong 2-byte with C1", "\xC1\xBF", 0, r, ""},
        {"overlong 3-byte", "ab\xE0\x80\x80z", 2, "ab" + r + "z", "abz"},
        {"overlong 3-byte below U+0800", "\xE0\x9F\xBF", 0, r, ""},
        {"overlong 4-byte", "\xF0\x80\x80\x80z", 0, r + "z", "z"},
        {"overlong 4-byte below U+10000", "\xF0\x8F\xBF\xBF", 0, r, ""},
        {"high surrogate", "x\xED\xA0\x80", 1, "x" + r, "x"},
        {"low surrogate", "\xED\xBF\xBFx", 0, r + "x", "x"},
        {"above U+10FFFF", "\xF4\x90\x80\x80", 0, r, ""},
        {"lead byte F5", "\xF5\x80\x80\x80", 0, r, ""},
        {"byte FF", "a\xFF" "b", 1, "a" + r + "b", "ab"},
        {"byte FE", "\xFE", 0, r, ""},
        {"truncated 2-byte at the end", "abc\xC3", 3, "abc" + r, "abc"},
        {"truncated 3-byte at the end", "abc\xE2\x82", 3, "abc" + r, "abc"},
        {"truncated 4-byte at the end", "\xF0\x9F\x98", 0, r, ""},
        {"sequence cut by an ASCII byte", "\xE2\x82" "A", 0, r + "A", "A"},
        {"sequence cut by a new lead byte", "\xE2\xC3\xA9", 0, r + "\xC3\xA9", "\xC3\xA9"},
        {"two invalid sequences", "\xC0\x80-\xFF", 0, r + "-" + r, "-"},
        {"invalid between valid characters", "\xC3\xA9\xFF\xC3\xA9", 2, "\xC3\xA9" + r + "\xC3\xA9",
         "\xC3\xA9\xC3\xA9"},
    };
}

TEST(DecodeUtf8, StrictThrowsDataErrorNamingTheOffset) {
    for (const auto& c : invalid_cases()) {
        const auto message = strict_error(c.bytes);
        EXPECT_NE(message.find("not valid utf-8"), std::string::npos) << c.what << ": " << message;
        EXPECT_NE(message.find("at offset " + std::to_string(c.bad_offset) + " "), std::string::npos)
            << c.what << ": " << message;
    }
}

TEST(DecodeUtf8, StrictNamesTheByte) {
    EXPECT_NE(strict_error("abc\x80").find("invalid byte 0x80 at offset 3"), std::string::npos)
        << strict_error("abc\x80");
    EXPECT_NE(strict_error("\xFF").find("0xff"), std::string::npos) << strict_error("\xFF");
    EXPECT_NE(strict_error("ok\xED\xA0\x80").find("0xed at offset 2"), std::string::npos)
        << strict_error("ok\xED\xA0\x80");
}

TEST(DecodeUtf8, ReplacePutsOneReplacementCharacterPerInvalidSequence) {
    for (const auto& c : invalid_cases()) {
        EXPECT_EQ(replace(c.bytes), c.replaced) << c.what;
        // The result is itself valid UTF-8.
        EXPECT_NO_THROW((void)strict(replace(c.bytes))) << c.what;
    }
}

TEST(DecodeUtf8, IgnoreDropsInvalidSequences) {
    for (const auto& c : invalid_cases()) {
        EXPECT_EQ(ignore(c.bytes), c.ignored) << c.what;
    }
}

// --- Latin-1 ---------------------------------------------------------------------------

TEST(DecodeLatin1, KnownCharacters) {
    EXPECT_EQ(latin1("plain"), "plain");
    EXPECT_EQ(latin1("caf\xE9"), "caf\xC3\xA9");  // é
    EXPECT_EQ(latin1("\x80"), "\xC2\x80");
    EXPECT_EQ(latin1("\xA0"), "\xC2\xA0");        // no-break space
    EXPECT_EQ(latin1("\xBF"), "\xC2\xBF");        // ¿
    EXPECT_EQ(latin1("\xC0"), "\xC3\x80");        // À
    EXPECT_EQ(latin1("\xFF"), "\xC3\xBF");        // ÿ
    EXPECT_EQ(latin1(""), "");
}

TEST(DecodeLatin1, EveryByteBecomesTheCodePointOfTheSameValue) {
    for (unsigned value = 0; value <= 0xFF; ++value) {
        const std::string input(1, static_cast<char>(value));
        const std::string out = latin1(input);
        if (value < 0x80) {
            EXPECT_EQ(out, input) << value;
            continue;
        }
        ASSERT_EQ(out.size(), 2u) << value;
        const auto lead = static_cast<unsigned char>(out[0]);
        const auto trail = static_cast<unsigned char>(out[1]);
        EXPECT_EQ(lead & 0xE0u, 0xC0u) << value;
        EXPECT_EQ(trail & 0xC0u, 0x80u) << value;
        EXPECT_EQ(((lead & 0x1Fu) << 6) | (trail & 0x3Fu), value);
        EXPECT_EQ(strict(out), out) << "valid UTF-8 for " << value;
    }
}

TEST(DecodeLatin1, NeverFailsWhateverThePolicy) {
    std::string every_byte;
    for (unsigned value = 0; value <= 0xFF; ++value) every_byte.push_back(static_cast<char>(value));
    const auto out = decode_text(every_byte, TextEncoding::Latin1, DecodeErrors::Strict);
    EXPECT_EQ(out.size(), 128u + 2u * 128u);
    EXPECT_EQ(decode_text(every_byte, TextEncoding::Latin1, DecodeErrors::Ignore), out);
    EXPECT_EQ(decode_text(every_byte, TextEncoding::Latin1, DecodeErrors::Replace), out);
}

// --- whole replies ---------------------------------------------------------------------

TEST(DecodeReply, StringsOfEveryKind) {
    auto simple = Reply::simple_string("caf\xE9");
    decode_reply(simple, TextEncoding::Latin1, DecodeErrors::Strict);
    EXPECT_EQ(simple, Reply::simple_string("caf\xC3\xA9"));

    auto bulk = Reply::bulk_string("\xE9t\xE9");
    decode_reply(bulk, TextEncoding::Latin1, DecodeErrors::Strict);
    EXPECT_EQ(bulk, Reply::bulk_string("\xC3\xA9t\xC3\xA9"));

    auto verbatim = Reply::verbatim_string("txt", "\xE9");
    decode_reply(verbatim, TextEncoding::Latin1, DecodeErrors::Strict);
    EXPECT_EQ(verbatim, Reply::verbatim_string("txt", "\xC3\xA9"));
}

TEST(DecodeReply, RecursesIntoArraysMapsAndSets) {
    auto reply = Reply::array({
        Reply::bulk_string("a\xFF"),
        Reply::array({Reply::bulk_string("\xFF"), Reply::array({Reply::simple_string("deep\xFF")})}),
        Reply::map({Reply::bulk_string("key\xFF"), Reply::bulk_string("value\xFF")}),
        Reply::set({Reply::bulk_string("member\xFF")}),
    });
    decode_reply(reply, TextEncoding::Utf8, DecodeErrors::Ignore);
    const auto expected = Reply::array({
        Reply::bulk_string("a"),
        Reply::array({Reply::bulk_string(""), Reply::array({Reply::simple_string("deep")})}),
        Reply::map({Reply::bulk_string("key"), Reply::bulk_string("value")}),
        Reply::set({Reply::bulk_string("member")}),
    });
    EXPECT_EQ(reply, expected) << reply.to_debug_string();
}

TEST(DecodeReply, StrictFailsOnANestedInvalidString) {
    auto reply = Reply::array({Reply::bulk_string("fine"), Reply::map({Reply::bulk_string("k"), Reply::bulk_string("\xC0\x80")})});
    EXPECT_THROW(decode_reply(reply, TextEncoding::Utf8, DecodeErrors::Strict), DataError);
}

TEST(DecodeReply, MapKeysAndValuesBothDecoded) {
    auto reply = parse("%1\r\n$1\r\n\xE9\r\n$1\r\n\xFF\r\n");
    decode_reply(reply, TextEncoding::Latin1, DecodeErrors::Strict);
    EXPECT_EQ(reply, Reply::map({Reply::bulk_string("\xC3\xA9"), Reply::bulk_string("\xC3\xBF")}));
}

TEST(DecodeReply, AttributesAreDecodedToo) {
    // An attribute (key "k\xFF", value "v\xFF") attached to an array whose
    // element is a string with the same byte.
    auto reply = parse("|1\r\n+k\xFF\r\n$2\r\nv\xFF\r\n*1\r\n$2\r\ne\xFF\r\n");
    ASSERT_EQ(reply.attributes().size(), 2u);
    decode_reply(reply, TextEncoding::Utf8, DecodeErrors::Replace);
    EXPECT_EQ(reply.attributes()[0], Reply::simple_string("k" + kReplacement));
    EXPECT_EQ(reply.attributes()[1], Reply::bulk_string("v" + kReplacement));
    EXPECT_EQ(reply[0], Reply::bulk_string("e" + kReplacement));
}

TEST(DecodeReply, AttributesOfANestedElement) {
    auto reply = parse("*2\r\n:1\r\n|1\r\n+a\xE9\r\n+b\xE9\r\n+c\xE9\r\n");
    ASSERT_EQ(reply.size(), 2u);
    ASSERT_EQ(reply[1].attributes().size(), 2u);
    decode_reply(reply, TextEncoding::Latin1, DecodeErrors::Strict);
    EXPECT_EQ(reply[1].attributes()[0], Reply::simple_string("a\xC3\xA9"));
    EXPECT_EQ(reply[1].attributes()[1], Reply::simple_string("b\xC3\xA9"));
    EXPECT_EQ(reply[1], parse("|1\r\n+a\xC3\xA9\r\n+b\xC3\xA9\r\n+c\xC3\xA9\r\n"));
}

TEST(DecodeReply, NonStringsAreLeftAlone) {
    const auto original = Reply::array({
        Reply::integer(-42),
        Reply::double_value(1.5),
        Reply::boolean(true),
        Reply::big_number("123456789012345678901234567890"),
        Reply::null(),
        Reply::map({Reply::integer(1), Reply::integer(2)}),
    });
    auto reply = original;
    decode_reply(reply, TextEncoding::Latin1, DecodeErrors::Strict);
    EXPECT_EQ(reply, original);
    decode_reply(reply, TextEncoding::Utf8, DecodeErrors::Strict);
    EXPECT_EQ(reply, original);
    auto integer = Reply::integer(7);
    decode_reply(integer, TextEncoding::Utf8, DecodeErrors::Strict);
    EXPECT_EQ(integer, Reply::integer(7));
}

TEST(DecodeReply, ValidUtf8IsUnchanged) {
    const auto original = Reply::array({Reply::bulk_string("caf\xC3\xA9"), Reply::simple_string("\xF0\x9F\x98\x80")});
    auto reply = original;
    decode_reply(reply, TextEncoding::Utf8, DecodeErrors::Strict);
    EXPECT_EQ(reply, original);
}

}  // namespace
}  // namespace rediscluster::detail
