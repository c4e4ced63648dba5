#pragma once

// RESP, the Redis serialization protocol (RESP2 and RESP3).
//
// Three pieces:
//  - Reply: a value type holding one decoded reply of any RESP2/RESP3 type.
//  - encode_command(): writes a command, an array of bulk strings, into a
//    caller-owned buffer straight from string views, integers and doubles.
//  - ReplyParser: an incremental parser. Bytes arrive in pieces of any size
//    (one byte at a time works); complete replies come out. Hard limits keep
//    a hostile or broken server from exhausting memory; malformed input
//    raises ProtocolError naming what was expected and at which offset.
//
// Thread safety: Reply is a plain value (concurrent reads are safe, writes
// need external synchronisation). A ReplyParser belongs to one connection and
// must not be used from two threads at once. encode_command() is reentrant.

#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "rediscluster/errors.hpp"

namespace rediscluster {

/// The type of a decoded reply. The comments give the RESP type byte.
enum class ReplyType : std::uint8_t {
    Null,            // '_' (RESP3), or RESP2's null bulk "$-1" and null array "*-1"
    SimpleString,    // '+'
    Error,           // '-'
    Integer,         // ':'
    BulkString,      // '$'
    Array,           // '*'
    Boolean,         // '#'
    Double,          // ','
    BigNumber,       // '('  kept as its decimal text
    VerbatimString,  // '='  text plus a 3-letter format such as "txt"
    BulkError,       // '!'
    Map,             // '%'  stored flat: key, value, key, value, ...
    Set,             // '~'
    Push,            // '>'  out-of-band data (pub/sub messages, invalidations)
};

/// The type's name, e.g. "bulk string".
[[nodiscard]] std::string_view to_string(ReplyType type) noexcept;

/// One decoded reply.
///
/// Strings are bytes: a bulk string may hold any binary data. Aggregates
/// (array, map, set, push) hold their elements in order; a map holds its keys
/// and values alternately. RESP3 attributes sent before a reply are attached
/// to it, as a flat key/value list, and never replace it.
///
/// Accessors of the wrong type throw DataError naming both types, e.g.
/// "reply is an array, not an integer".
class Reply {
public:
    /// A null reply.
    Reply() = default;

    [[nodiscard]] static Reply null();
    [[nodiscard]] static Reply simple_string(std::string_view text);
    [[nodiscard]] static Reply error(std::string_view text);
    [[nodiscard]] static Reply integer(std::int64_t value);
    [[nodiscard]] static Reply bulk_string(std::string_view bytes);
    [[nodiscard]] static Reply boolean(bool value);
    [[nodiscard]] static Reply double_value(double value);
    [[nodiscard]] static Reply big_number(std::string_view digits);
    [[nodiscard]] static Reply verbatim_string(std::string_view format, std::string_view text);
    [[nodiscard]] static Reply bulk_error(std::string_view text);
    [[nodiscard]] static Reply array(std::vector<Reply> elements);
    /// `keys_and_values` alternates keys and values, so its size must be even.
    [[nodiscard]] static Reply map(std::vector<Reply> keys_and_values);
    [[nodiscard]] static Reply set(std::vector<Reply> elements);
    [[nodiscard]] static Reply push(std::vector<Reply> elements);

    [[nodiscard]] ReplyType type() const noexcept { return type_; }

    [[nodiscard]] bool is_null() const noexcept { return type_ == ReplyType::Null; }
    /// An error reply of either kind ('-' or '!').
    [[nodiscard]] bool is_error() const noexcept {
        return type_ == ReplyType::Error || type_ == ReplyType::BulkError;
    }
    /// A reply whose payload is text or bytes: simple, bulk or verbatim string.
    [[nodiscard]] bool is_string() const noexcept {
        return type_ == ReplyType::SimpleString || type_ == ReplyType::BulkString ||
               type_ == ReplyType::VerbatimString;
    }
    /// Array, map, set or push.
    [[nodiscard]] bool is_aggregate() const noexcept {
        return type_ == ReplyType::Array || type_ == ReplyType::Map ||
               type_ == ReplyType::Set || type_ == ReplyType::Push;
    }

    /// The payload of a string, error, big number or verbatim string (without
    /// its format prefix). Throws DataError for other types.
    [[nodiscard]] std::string_view str() const;
    /// str() of a reply that is no longer needed: moves the payload out
    /// instead of copying it, leaving this reply's string empty. Same types
    /// as str(); throws DataError for the others.
    [[nodiscard]] std::string take_str() &&;
    /// Integer value. Throws DataError for other types.
    [[nodiscard]] std::int64_t integer() const;
    /// Boolean value. Throws DataError for other types.
    [[nodiscard]] bool boolean() const;
    /// Double value. Throws DataError for other types.
    [[nodiscard]] double double_value() const;
    /// The 3-letter format of a verbatim string ("txt", "mkd").
    [[nodiscard]] std::string_view verbatim_format() const;
    /// The elements of an aggregate (a map's keys and values alternate).
    /// Throws DataError for other types.
    [[nodiscard]] const std::vector<Reply>& elements() const;
    /// elements() of a reply that is no longer needed: moves them out
    /// instead of copying them. Throws DataError for other types.
    [[nodiscard]] std::vector<Reply> take_elements() &&;
    /// Element count of an aggregate; 0 for anything else.
    [[nodiscard]] std::size_t size() const noexcept { return elements_.size(); }
    /// The i-th element of an aggregate; throws DataError when out of range.
    [[nodiscard]] const Reply& operator[](std::size_t index) const;
    /// RESP3 attributes that preceded this reply, keys and values alternating;
    /// empty when there were none.
    [[nodiscard]] const std::vector<Reply>& attributes() const noexcept { return attributes_; }

    /// Structural equality: same type, payload, elements and attributes.
    /// Doubles compare with ==, so a NaN reply never equals itself.
    friend bool operator==(const Reply& a, const Reply& b);

    /// This reply as a T: `reply.as<std::int64_t>()`,
    /// `reply.as<std::optional<std::string>>()`,
    /// `reply.as<std::vector<std::pair<std::string, double>>>()`. The types
    /// and the replies each reads are listed in reply_cast.hpp. Throws
    /// ReplyTypeError when the reply does not fit T, and the typed exception
    /// of an error reply; a T nothing converts to does not compile. The
    /// rvalue form moves a string out instead of copying it.
    template <class T>
    [[nodiscard]] T as() const&;
    template <class T>
    [[nodiscard]] T as() &&;

    /// A short human-readable rendering for logs and messages, e.g.
    /// `["OK", 42, nil]`. Long strings and aggregates are elided.
    [[nodiscard]] std::string to_debug_string() const;

private:
    friend class ReplyParser;
    friend struct ReplyTextAccess;  // decode_responses rewrites strings in place

    static Reply with_string(ReplyType type, std::string_view text);
    static Reply with_elements(ReplyType type, std::vector<Reply> elements);

    ReplyType type_ = ReplyType::Null;
    // Integer and Boolean (0/1) share this; Double keeps its own member so a
    // Reply never needs type punning.
    std::int64_t integer_ = 0;
    double double_ = 0.0;
    char format_[3] = {};
    std::string string_;
    std::vector<Reply> elements_;
    std::vector<Reply> attributes_;
};

/// Limits that keep one reply from using unbounded memory or stack. A reply
/// that breaks one raises ProtocolError; the connection is then unusable.
struct ParserLimits {
    /// Longest bulk string, bulk error or verbatim string, in bytes.
    /// Default 512 MiB, the largest value Redis itself accepts.
    std::size_t max_bulk_length = std::size_t{512} * 1024 * 1024;
    /// Most elements in one aggregate (a map's keys and values both count).
    /// Default 2^24 (16,777,216): a reply that large is a mistake or an attack.
    std::size_t max_elements = std::size_t{1} << 24;
    /// Deepest nesting of aggregates. Default 16; Redis's deepest replies
    /// (COMMAND DOCS, CLUSTER SHARDS) nest fewer than 8 levels.
    std::size_t max_depth = 16;
    /// Longest line (simple string, error, number, length header) in bytes,
    /// without its CRLF. Default 64 KiB.
    std::size_t max_line_length = std::size_t{64} * 1024;
};

/// Incremental RESP2/RESP3 reply parser with its own receive buffer.
///
/// Typical use by a connection:
/// ```
///   auto space = parser.prepare(16 * 1024);   // writable bytes
///   auto n = ::read(fd, space.data(), space.size());
///   parser.commit(n);
///   while (parser.next(reply)) { ... }
/// ```
/// feed() copies bytes in for callers that already hold them.
///
/// Partial replies are kept across calls: a bulk string waits in the buffer
/// until all of it has arrived, an aggregate keeps the elements parsed so
/// far. After a ProtocolError the parser stays failed (every later call
/// throws) until reset(), because the stream position is lost.
class ReplyParser {
public:
    explicit ReplyParser(ParserLimits limits = {});

    ReplyParser(const ReplyParser&) = delete;
    ReplyParser& operator=(const ReplyParser&) = delete;
    ReplyParser(ReplyParser&&) noexcept;
    ReplyParser& operator=(ReplyParser&&) noexcept;
    ~ReplyParser();

    /// Writable space of at least `min_size` bytes at the end of the buffer.
    /// Valid until the next call on the parser; follow with commit().
    [[nodiscard]] std::span<char> prepare(std::size_t min_size);
    /// Marks `count` bytes written into the last prepare() span as received.
    void commit(std::size_t count);
    /// Copies `bytes` into the buffer (prepare + copy + commit).
    void feed(std::string_view bytes);

    /// Parses what has been received. When a complete reply is ready, moves
    /// it into `out` and returns true; otherwise keeps the partial state and
    /// returns false. Reusing the same `out` lets the parser reuse its
    /// storage, so steady-state parsing of small replies does not allocate.
    /// Throws ProtocolError on malformed input or a broken limit.
    bool next(Reply& out);
    /// Convenience form of next(Reply&).
    [[nodiscard]] std::optional<Reply> next();

    /// Bytes received and not yet consumed by a complete reply or a
    /// completed part of a partial one.
    [[nodiscard]] std::size_t buffered() const noexcept;
    /// True while a reply has been started but not finished.
    [[nodiscard]] bool in_progress() const noexcept;
    /// True when the bytes received past the last complete reply begin a
    /// push frame ('>'): what a connection that breaks now has lost is out
    /// of band data, not part of the reply it waits for.
    [[nodiscard]] bool push_in_progress() const noexcept;
    /// True after a ProtocolError, until reset().
    [[nodiscard]] bool failed() const noexcept;
    /// Drops buffered bytes, partial state and a failure.
    void reset();

    [[nodiscard]] const ParserLimits& limits() const noexcept;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// ---------------------------------------------------------------------------
// Command encoding

/// A value that encode_command() can write as a bulk string: anything
/// convertible to std::string_view, an integer (written in decimal) or a
/// floating-point number (written in its shortest round-trip form, "inf",
/// "-inf" and "nan" included). bool and the character types are excluded on
/// purpose: Redis has no boolean argument, and writing 'x' as "120" or as "x"
/// would each surprise someone.
template <class T>
concept CommandArgument =
    std::convertible_to<const T&, std::string_view> ||
    ((std::integral<T> || std::floating_point<T>) && !std::same_as<T, bool> &&
     !std::same_as<T, char> && !std::same_as<T, signed char> &&
     !std::same_as<T, unsigned char> && !std::same_as<T, wchar_t> &&
     !std::same_as<T, char8_t> && !std::same_as<T, char16_t> && !std::same_as<T, char32_t>);


/// The text of one command argument: a string's bytes as they are (not
/// copied: the string must outlive this object), or a number's decimal
/// form, written into the object itself. execute_command() turns each of
/// its arguments into one before the command is routed and encoded.
class ArgumentText {
public:
    template <CommandArgument T>
    explicit ArgumentText(const T& value) noexcept {
        if constexpr (std::convertible_to<const T&, std::string_view>) {
            text_ = std::string_view(value);
        } else {
            const auto result = std::to_chars(digits_, digits_ + sizeof digits_, value);
            digits_size_ = static_cast<std::uint8_t>(result.ptr - digits_);
            formatted_ = true;
        }
    }
    [[nodiscard]] std::string_view view() const noexcept {
        return formatted_ ? std::string_view(digits_, digits_size_) : text_;
    }

private:
    std::string_view text_{};
    // 32 bytes hold any 64-bit integer and any shortest double.
    char digits_[32];  // written only for a number
    std::uint8_t digits_size_ = 0;
    bool formatted_ = false;
};

/// Calls `f` with `args` as one std::span<const std::string_view>: strings
/// as they are, numbers formatted on the stack. How every
/// execute_command() hands its arguments on without allocating.
template <class F, CommandArgument... Args>
decltype(auto) with_argument_views(F&& f, const Args&... args) {
    static_assert(sizeof...(Args) > 0, "a command needs at least its name");
    const ArgumentText texts[] = {ArgumentText(args)...};
    std::string_view views[sizeof...(Args)];
    for (std::size_t i = 0; i < sizeof...(Args); ++i) views[i] = texts[i].view();
    return std::forward<F>(f)(std::span<const std::string_view>(views));
}

/// with_argument_views() for a range of arguments: a contiguous range of
/// std::string_view is passed as it is, anything else through a vector of
/// views.
template <class F, std::ranges::forward_range Range>
    requires CommandArgument<std::ranges::range_value_t<Range>>
decltype(auto) with_range_views(F&& f, const Range& args) {
    if constexpr (std::ranges::contiguous_range<Range> &&
                  std::same_as<std::ranges::range_value_t<Range>, std::string_view>) {
        return std::forward<F>(f)(std::span<const std::string_view>(std::ranges::data(args), std::ranges::size(args)));
    } else {
        std::vector<ArgumentText> texts;
        for (const auto& arg : args) texts.emplace_back(arg);
        std::vector<std::string_view> views;
        views.reserve(texts.size());
        for (const auto& text : texts) views.push_back(text.view());
        return std::forward<F>(f)(std::span<const std::string_view>(views));
    }
}

/// Appends the header of a command of `count` arguments ("*<count>\r\n"):
/// the first piece of what encode_command() writes.
void encode_array_header(std::string& out, std::size_t count);
/// Appends one argument as a RESP bulk string ("$<length>\r\n<bytes>\r\n").
void encode_bulk(std::string& out, std::string_view bytes);
/// encode_bulk() of any CommandArgument: a string as it is, a number in
/// decimal (see ArgumentText).
template <CommandArgument T>
void encode_argument(std::string& out, const T& value) {
    if constexpr (std::convertible_to<const T&, std::string_view>) {
        encode_bulk(out, std::string_view(value));
    } else {
        encode_bulk(out, ArgumentText(value).view());
    }
}

/// Appends `args` to `out` as one RESP command (an array of bulk strings).
/// `out` keeps its capacity between calls, so reusing it avoids allocation.
///
/// Example: `encode_command(buf, "SET", key, 42)` appends
/// `*3\r\n$3\r\nSET\r\n$<n>\r\n<key>\r\n$2\r\n42\r\n`.
template <CommandArgument... Args>
void encode_command(std::string& out, const Args&... args) {
    static_assert(sizeof...(Args) > 0, "a command needs at least its name");
    encode_array_header(out, sizeof...(Args));
    (encode_argument(out, args), ...);
}

/// Appends a command whose arguments come from a range (for example a
/// std::vector<std::string>). Throws DataError when the range is empty.
template <std::ranges::forward_range Range>
    requires CommandArgument<std::ranges::range_value_t<Range>>
void encode_command_range(std::string& out, const Range& args) {
    const auto count = static_cast<std::size_t>(std::ranges::distance(args));
    if (count == 0) {
        throw DataError("cannot encode an empty command: a command needs at least its name");
    }
    encode_array_header(out, count);
    for (const auto& arg : args) {
        encode_argument(out, arg);
    }
}

}  // namespace rediscluster

// Reply::as() and the conversions behind it.
#include "rediscluster/reply_cast.hpp"
