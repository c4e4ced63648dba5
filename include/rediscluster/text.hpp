#pragma once

// Text decoding for `decode_responses`.
//
// Replies are bytes. With decode_responses on, a connection turns every
// string reply into UTF-8 text decoded from the connection's `encoding`,
// handling bytes that are not valid in that encoding as `encoding_errors`
// says, like Python's bytes.decode(encoding, errors).
//
// Thread safety: every function here is pure and reentrant.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rediscluster {

/// The encodings `ConnectionOptions::encoding` accepts.
enum class TextEncoding : std::uint8_t {
    /// "utf-8" (also "utf8", "utf_8"; any case).
    utf8,
    /// "latin-1" (also "latin1", "latin_1", "iso-8859-1", "iso8859-1",
    /// "iso_8859_1", "l1"; any case): every byte is the code point of the
    /// same value, so decoding never fails.
    latin1,
};

/// What to do with bytes that are not valid in the encoding
/// (`ConnectionOptions::encoding_errors`).
enum class EncodingErrors : std::uint8_t {
    /// "strict": throw DataError naming the offset of the first bad byte.
    strict,
    /// "replace": put U+FFFD in place of each invalid sequence (the maximal
    /// invalid subpart, as Python and the Unicode standard count them).
    replace,
    /// "ignore": drop invalid bytes.
    ignore,
};

/// The encoding named `name`, or nullopt when it is not supported.
[[nodiscard]] std::optional<TextEncoding> parse_encoding(std::string_view name) noexcept;

/// The error handling named `name` ("strict", "replace", "ignore"; any case),
/// or nullopt when it is not one of them.
[[nodiscard]] std::optional<EncodingErrors> parse_encoding_errors(std::string_view name) noexcept;

/// The canonical name of an encoding ("utf-8", "latin-1").
[[nodiscard]] std::string_view to_string(TextEncoding encoding) noexcept;

/// The canonical name of an error handling ("strict", "replace", "ignore").
[[nodiscard]] std::string_view to_string(EncodingErrors errors) noexcept;

/// The offset of the first byte of `bytes` that starts an invalid UTF-8
/// sequence, or nullopt when all of `bytes` is valid UTF-8. Overlong forms,
/// surrogates (U+D800..U+DFFF), code points above U+10FFFF and truncated
/// sequences are invalid.
[[nodiscard]] std::optional<std::size_t> find_invalid_utf8(std::string_view bytes) noexcept;

/// Decodes `bytes` from `encoding` into UTF-8.
///
/// Throws DataError with `errors == strict` when `bytes` is not valid in
/// `encoding`; the message names the encoding, the offset and the value of
/// the bad byte.
[[nodiscard]] std::string decode_text(std::string_view bytes, TextEncoding encoding,
                                      EncodingErrors errors = EncodingErrors::strict);

/// Same as `text = decode_text(text, ...)`, but valid UTF-8 in UTF-8 (the
/// usual case) is checked in place without copying or allocating.
void decode_text_in_place(std::string& text, TextEncoding encoding,
                          EncodingErrors errors = EncodingErrors::strict);

}  // namespace rediscluster
