#include "rediscluster/text.hpp"

#include <algorithm>
#include <array>

#include "rediscluster/errors.hpp"

namespace rediscluster {
namespace {

// Lower case, with '_' read as '-', so "UTF_8" and "utf-8" compare equal.
std::string normalized_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (const char c : name) {
        if (c == '_') {
            out.push_back('-');
        } else if (c >= 'A' && c <= 'Z') {
            out.push_back(static_cast<char>(c - 'A' + 'a'));
        } else {
            out.push_back(c);
        }
    }
    return out;
}

// Length of the valid UTF-8 sequence starting at bytes[at], or, when the
// sequence is invalid, 0 with `invalid_length` set to the length of its
// maximal invalid subpart (at least 1): the bytes one U+FFFD replaces.
std::size_t utf8_sequence(std::string_view bytes, std::size_t at, std::size_t& invalid_length) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    const unsigned char lead = byte(at);
    if (lead < 0x80) {
        return 1;
    }
    std::size_t length = 0;
    // Range allowed for the second byte; the rest are always 80..BF. The
    // narrowed ranges exclude overlong forms (E0, F0), surrogates (ED) and
    // code points above U+10FFFF (F4).
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead == 0xE0) {
        length = 3;
        low = 0xA0;
    } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
        length = 3;
    } else if (lead == 0xED) {
        length = 3;
        high = 0x9F;
    } else if (lead == 0xF0) {
        length = 4;
        low = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
        length = 4;
    } else if (lead == 0xF4) {
        length = 4;
        high = 0x8F;
    } else {
        invalid_length = 1;  // 80..C1, F5..FF never start a sequence
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        if (at + i >= bytes.size()) {
            invalid_length = i;  // truncated: the valid prefix is one error
            return 0;
        }
        const unsigned char next = byte(at + i);
        const unsigned char lo = i == 1 ? low : 0x80;
        const unsigned char hi = i == 1 ? high : 0xBF;
        if (next < lo || next > hi) {
            invalid_length = i;
            return 0;
        }
    }
    return length;
}

std::string hex_byte(unsigned char value) {
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string("0x") + kHex[value >> 4] + kHex[value & 0xF];
}

[[noreturn]] void throw_invalid(std::string_view bytes, std::size_t offset, TextEncoding encoding) {
    throw DataError("cannot decode a reply string as " + std::string(to_string(encoding)) +
                    " (encoding_errors=strict): invalid byte " +
                    hex_byte(static_cast<unsigned char>(bytes[offset])) + " at offset " +
                    std::to_string(offset) + " of " + std::to_string(bytes.size()));
}

void append_latin1(std::string& out, std::string_view bytes) {
    for (const char c : bytes) {
        const auto value = static_cast<unsigned char>(c);
        if (value < 0x80) {
            out.push_back(c);
        } else {
            out.push_back(static_cast<char>(0xC0 | (value >> 6)));
            out.push_back(static_cast<char>(0x80 | (value & 0x3F)));
        }
    }
}

}  // namespace

std::optional<TextEncoding> parse_encoding(std::string_view name) noexcept {
    try {
        const std::string n = normalized_name(name);
        if (n == "utf-8" || n == "utf8") {
            return TextEncoding::utf8;
        }
        if (n == "latin-1" || n == "latin1" || n == "iso-8859-1" || n == "iso8859-1" || n == "l1") {
            return TextEncoding::latin1;
        }
    } catch (...) {  // allocation failure: treat as unknown
    }
    return std::nullopt;
}

std::optional<EncodingErrors> parse_encoding_errors(std::string_view name) noexcept {
    try {
        const std::string n = normalized_name(name);
        if (n == "strict") return EncodingErrors::strict;
        if (n == "replace") return EncodingErrors::replace;
        if (n == "ignore") return EncodingErrors::ignore;
    } catch (...) {
    }
    return std::nullopt;
}

std::string_view to_string(TextEncoding encoding) noexcept {
    return encoding == TextEncoding::utf8 ? "utf-8" : "latin-1";
}

std::string_view to_string(EncodingErrors errors) noexcept {
    switch (errors) {
        case EncodingErrors::strict: return "strict";
        case EncodingErrors::replace: return "replace";
        case EncodingErrors::ignore: return "ignore";
    }
    return "unknown";
}

std::optional<std::size_t> find_invalid_utf8(std::string_view bytes) noexcept {
    std::size_t at = 0;
    while (at < bytes.size()) {
        // ASCII runs are the common case: skip them a byte at a time without
        // the general decoder.
        if (static_cast<unsigned char>(bytes[at]) < 0x80) {
            ++at;
            continue;
        }
        std::size_t invalid_length = 0;
        const std::size_t length = utf8_sequence(bytes, at, invalid_length);
        if (length == 0) {
            return at;
        }
        at += length;
    }
    return std::nullopt;
}

std::string decode_text(std::string_view bytes, TextEncoding encoding, EncodingErrors errors) {
    std::string out;
    if (encoding == TextEncoding::latin1) {
        out.reserve(bytes.size());
        append_latin1(out, bytes);
        return out;
    }
    const auto first_invalid = find_invalid_utf8(bytes);
    if (!first_invalid) {
        return std::string(bytes);
    }
    if (errors == EncodingErrors::strict) {
        throw_invalid(bytes, *first_invalid, encoding);
    }
    static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
    out.reserve(bytes.size() + 8);
    out.append(bytes.substr(0, *first_invalid));
    std::size_t at = *first_invalid;
    while (at < bytes.size()) {
        std::size_t invalid_length = 0;
        const std::size_t length = utf8_sequence(bytes, at, invalid_length);
        if (length > 0) {
            out.append(bytes.substr(at, length));
            at += length;
            continue;
        }
        if (errors == EncodingErrors::replace) {
            out.append(kReplacement);
        }
        at += invalid_length;
    }
    return out;
}

void decode_text_in_place(std::string& text, TextEncoding encoding, EncodingErrors errors) {
    if (encoding == TextEncoding::utf8 && !find_invalid_utf8(text)) {
        return;
    }
    if (encoding == TextEncoding::latin1 &&
        std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
        return;  // ASCII is the same in both
    }
    text = decode_text(text, encoding, errors);
}

}  // namespace rediscluster
