#include "detail/text_decoding.hpp"

#include "detail/ascii.hpp"

#include <algorithm>

#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster {

// The one place outside the parser that rewrites a Reply's payload.
struct ReplyTextAccess {
    static void decode(Reply& reply, detail::TextEncoding encoding, detail::DecodeErrors errors) {
        if (reply.is_string()) {
            reply.string_ = detail::decode_text(reply.string_, encoding, errors);
        }
        for (auto& element : reply.elements_) decode(element, encoding, errors);
        for (auto& attribute : reply.attributes_) decode(attribute, encoding, errors);
    }
};

namespace detail {
namespace {

void append_utf8(std::string& out, char32_t code_point) {
    if (code_point < 0x80) {
        out.push_back(static_cast<char>(code_point));
    } else if (code_point < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    }
}

// Length of the valid UTF-8 sequence at `at`, or 0 when it is invalid.
std::size_t valid_sequence_length(std::string_view bytes, std::size_t at) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    const unsigned char lead = byte(at);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char min_second = 0x80;
    unsigned char max_second = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) min_second = 0xA0;  // overlong
        if (lead == 0xED) max_second = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) min_second = 0x90;  // overlong
        if (lead == 0xF4) max_second = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    if (at + length > bytes.size()) return 0;
    if (byte(at + 1) < min_second || byte(at + 1) > max_second) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(at + i) < 0x80 || byte(at + i) > 0xBF) return 0;
    }
    return length;
}

}  // namespace

TextEncoding parse_encoding(std::string_view name) {
    const auto normalized = to_lower(name);
    if (normalized == "utf-8" || normalized == "utf8") return TextEncoding::Utf8;
    if (normalized == "latin-1" || normalized == "latin1" || normalized == "iso-8859-1") return TextEncoding::Latin1;
    throw RedisClusterConfigError("encoding '" + std::string(name) + "' is not supported (use 'utf-8' or 'latin-1')");
}

DecodeErrors parse_decode_errors(std::string_view name) {
    if (name == "strict") return DecodeErrors::Strict;
    if (name == "replace") return DecodeErrors::Replace;
    if (name == "ignore") return DecodeErrors::Ignore;
    throw RedisClusterConfigError("encoding_errors '" + std::string(name) +
                                  "' is not supported (use 'strict', 'replace' or 'ignore')");
}

std::string decode_text(std::string_view bytes, TextEncoding encoding, DecodeErrors errors) {
    std::string out;
    out.reserve(bytes.size());
    if (encoding == TextEncoding::Latin1) {
        for (const char c : bytes) append_utf8(out, static_cast<unsigned char>(c));
        return out;
    }
    for (std::size_t at = 0; at < bytes.size();) {
        const auto length = valid_sequence_length(bytes, at);
        if (length > 0) {
            out.append(bytes.substr(at, length));
            at += length;
            continue;
        }
        if (errors == DecodeErrors::Strict) {
            throw DataError("reply is not valid utf-8: invalid byte 0x" +
                            std::string(1, "0123456789abcdef"[static_cast<unsigned char>(bytes[at]) >> 4]) +
                            std::string(1, "0123456789abcdef"[static_cast<unsigned char>(bytes[at]) & 0xF]) +
                            " at offset " + std::to_string(at) +
                            " (decode_responses with encoding_errors='strict')");
        }
        if (errors == DecodeErrors::Replace) append_utf8(out, U'\uFFFD');
        // Skip the lead byte and any continuation bytes that follow it.
        ++at;
        while (at < bytes.size() && (static_cast<unsigned char>(bytes[at]) & 0xC0) == 0x80) ++at;
    }
    return out;
}

void decode_reply(Reply& reply, TextEncoding encoding, DecodeErrors errors) {
    ReplyTextAccess::decode(reply, encoding, errors);
}

}  // namespace detail
}  // namespace rediscluster
