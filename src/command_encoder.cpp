#include <charconv>

#include "rediscluster/resp.hpp"

namespace rediscluster {
namespace {

void append_header(std::string& out, char type, std::size_t count) {
    // '*' or '$', up to 20 digits, CRLF.
    char header[24];
    header[0] = type;
    const auto result = std::to_chars(header + 1, header + sizeof header - 2, count);
    char* end = result.ptr;
    *end++ = '\r';
    *end++ = '\n';
    out.append(header, static_cast<std::size_t>(end - header));
}

}  // namespace

void encode_array_header(std::string& out, std::size_t count) { append_header(out, '*', count); }

void encode_bulk(std::string& out, std::string_view bytes) {
    append_header(out, '$', bytes.size());
    out.append(bytes);
    out.append("\r\n", 2);
}

}  // namespace rediscluster
