#pragma once

// decode_responses: string replies checked and converted to UTF-8 text.

#include <string>
#include <string_view>

namespace rediscluster {
class Reply;
}

namespace rediscluster::detail {

enum class TextEncoding { Utf8, Latin1 };
enum class DecodeErrors { Strict, Replace, Ignore };

/// Parses the spec's encoding names: "utf-8" (also "utf8", any case) and
/// "latin-1" (also "latin1", "iso-8859-1"). Throws RedisClusterConfigError.
TextEncoding parse_encoding(std::string_view name);
/// "strict", "replace" or "ignore". Throws RedisClusterConfigError.
DecodeErrors parse_decode_errors(std::string_view name);

/// `bytes` as UTF-8 text. UTF-8 input is validated (overlong forms,
/// surrogates, code points above U+10FFFF and truncated sequences are
/// invalid): strict throws DataError naming the offset, replace puts U+FFFD
/// for each invalid sequence, ignore drops it. Latin-1 input is converted.
std::string decode_text(std::string_view bytes, TextEncoding encoding, DecodeErrors errors);

/// Decodes every string in `reply` (recursively, map keys and attributes
/// included) in place. Integers, doubles and the like are left alone.
void decode_reply(Reply& reply, TextEncoding encoding, DecodeErrors errors);

}  // namespace rediscluster::detail
