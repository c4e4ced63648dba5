#include "detail/request.hpp"

#include <charconv>

#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::detail {

void Request::add(std::span<const std::string_view> args, const CommandFacts& facts) {
    Command command{.facts = facts, .offset = text_.size()};
    encode_array_header(text_, args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
        encode_bulk(text_, args[i]);
        if (i == 0) {
            command.name_length = args[0].size();
            command.name_offset = text_.size() - 2 - command.name_length;  // before its CRLF
        }
    }
    command.length = text_.size() - command.offset;
    commands_.push_back(command);
}

void Request::add_encoded(std::string_view packed, std::string_view name, const CommandFacts& facts) {
    const auto offset = text_.size();
    text_.append(packed);
    commands_.push_back({.facts = facts,
                         .offset = offset,
                         .length = packed.size(),
                         .name_offset = offset + static_cast<std::size_t>(name.data() - packed.data()),
                         .name_length = name.size()});
}

namespace {

// Each thread's Request (ThreadRequest). One that grew past this for a
// large command is freed afterwards rather than kept for the thread's
// lifetime.
constexpr std::size_t kMaxKeptText = 64 * 1024;

}  // namespace

ThreadRequest::~ThreadRequest() {
    if (lease_.get().capacity() > kMaxKeptText) lease_.get().release_storage();
}

PackedArguments parse_packed_command(std::string_view packed) {
    const auto malformed = [&](std::string_view what) {
        return DataError("execute_packed: not one encoded command (" + std::string(what) +
                         "); build it with encode_command");
    };
    std::size_t at = 0;
    const auto read_number = [&](char type) {
        if (at >= packed.size() || packed[at] != type) throw malformed(std::string("expected '") + type + "'");
        ++at;
        const auto end = packed.find("\r\n", at);
        std::size_t value = 0;
        const auto result = std::from_chars(packed.data() + at, packed.data() + std::min(end, packed.size()), value);
        if (end == std::string_view::npos || result.ec != std::errc{} || result.ptr != packed.data() + end) {
            throw malformed("a length is not a number");
        }
        at = end + 2;
        return value;
    };
    const auto count = read_number('*');
    if (count == 0) throw malformed("no arguments");
    PackedArguments args;
    for (std::size_t i = 0; i < count; ++i) {
        const auto length = read_number('$');
        if (packed.size() - at < length + 2 || packed.substr(at + length, 2) != "\r\n") {
            throw malformed("an argument is cut short");
        }
        args.push_back(packed.substr(at, length));
        at += length + 2;
    }
    if (at != packed.size()) throw malformed("bytes follow the command");
    return args;
}

}  // namespace rediscluster::detail
