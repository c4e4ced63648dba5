// The out-of-line parts of the reply conversions (reply_cast.hpp): number
// parsing and the error messages, kept here so the templates stay small.

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "rediscluster/error_reply.hpp"
#include "rediscluster/reply_cast.hpp"

namespace rediscluster::detail {
namespace {

// The text of a reply that may spell a number (RESP2 sends many numbers as
// bulk strings: INCRBYFLOAT, ZSCORE, HGET of a counter).
std::optional<std::string_view> number_text(const Reply& reply) noexcept {
    if (!reply.is_string() && reply.type() != ReplyType::BigNumber) return std::nullopt;
    return reply.str();
}

template <class Integer>
std::optional<Integer> parse_integer(std::string_view text) noexcept {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    Integer value{};
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (text.empty() || result.ec != std::errc{} || result.ptr != end) return std::nullopt;
    return value;
}

// What came, for a message: its type with an article and a short
// rendering, `a bulk string "abc"`, `an integer 42`; a null is just "null".
std::string describe(const Reply& reply) {
    if (reply.is_null()) return "null";
    const auto name = to_string(reply.type());
    return std::string(std::strchr("aeiou", name.front()) != nullptr ? "an " : "a ") + std::string(name) + " " +
           reply.to_debug_string();
}

}  // namespace

void throw_reply_error(const Reply& reply) { throw_error_reply(reply.str()); }

void throw_reply_type_error(const std::string& expected, const Reply& got, std::string_view why) {
    std::string message = "cannot read the reply as " + expected + ": got " + describe(got);
    if (!why.empty()) message += " (" + std::string(why) + ")";
    throw ReplyTypeError(message);
}

void throw_element_error(const std::string& expected, const Reply& got, std::size_t index,
                         const std::exception& inner) {
    throw ReplyTypeError("cannot read the reply as " + expected + ": element " + std::to_string(index) + " of " +
                         describe(got) + ": " + inner.what());
}

std::optional<std::int64_t> reply_signed(const Reply& reply) noexcept {
    if (reply.type() == ReplyType::Integer) return reply.integer();
    const auto text = number_text(reply);
    return text ? parse_integer<std::int64_t>(*text) : std::nullopt;
}

std::optional<std::uint64_t> reply_unsigned(const Reply& reply) noexcept {
    if (reply.type() == ReplyType::Integer) {
        if (reply.integer() < 0) return std::nullopt;
        return static_cast<std::uint64_t>(reply.integer());
    }
    const auto text = number_text(reply);
    if (!text || text->starts_with('-')) return std::nullopt;
    return parse_integer<std::uint64_t>(*text);
}

bool holds_integer(const Reply& reply) noexcept {
    if (reply.type() == ReplyType::Integer) return true;
    auto text = number_text(reply);
    if (!text) return false;
    if (!text->empty() && (text->front() == '+' || text->front() == '-')) text->remove_prefix(1);
    return !text->empty() && std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<long double> reply_floating(const Reply& reply) noexcept {
    if (reply.type() == ReplyType::Double) return reply.double_value();
    if (reply.type() == ReplyType::Integer) return static_cast<long double>(reply.integer());
    auto text = number_text(reply);
    if (!text || text->empty()) return std::nullopt;
    // Redis writes infinities as "inf" and "-inf" and accepts "+inf".
    if (text->front() == '+') text->remove_prefix(1);
    long double value = 0;
    const auto* end = text->data() + text->size();
    const auto result = std::from_chars(text->data(), end, value);
    if (text->empty() || result.ec != std::errc{} || result.ptr != end) return std::nullopt;
    return value;
}

}  // namespace rediscluster::detail
