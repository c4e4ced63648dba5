#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "rediscluster/resp.hpp"

namespace rediscluster {
namespace {

// First allocation of the receive buffer, and the size above which an empty
// buffer is released again so one huge reply does not pin its memory.
constexpr std::size_t kInitialBufferSize = 16 * 1024;
constexpr std::size_t kReleaseBufferAbove = 1024 * 1024;
// Elements reserved up front for an aggregate: enough for every ordinary
// reply, small enough that a lying length header costs nothing.
constexpr std::size_t kMaxReserve = 1024;

bool parse_decimal(std::string_view text, std::int64_t& value) {
    if (text.empty() || text.front() == '+') {
        return false;
    }
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    return result.ec == std::errc{} && result.ptr == end;
}

bool is_big_number(std::string_view text) {
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        text.remove_prefix(1);
    }
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "an array", "a map": for messages.
std::string with_article(std::string_view noun) {
    const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun.front()) != std::string_view::npos;
    return (vowel ? "an " : "a ") + std::string(noun);
}

std::string printable(std::string_view text) {
    constexpr std::size_t kShown = 32;
    std::string out;
    for (const char c : text.substr(0, kShown)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7F) {
            out.push_back(c);
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0xF]);
        }
    }
    if (text.size() > kShown) {
        out += "...";
    }
    return out;
}

}  // namespace

struct ReplyParser::State {
    explicit State(ParserLimits l) : limits(l) {}

    ParserLimits limits;

    // Receive buffer; bytes [begin, end) are received and not yet consumed.
    std::unique_ptr<char[]> data;
    std::size_t capacity = 0;
    std::size_t begin = 0;
    std::size_t end = 0;
    // Stream offset of data[begin], for error messages.
    std::uint64_t consumed_total = 0;
    // Where, relative to begin, the search for the current line's LF resumes,
    // so a long line arriving byte by byte is scanned once, not quadratically.
    std::size_t line_scan_from = 0;

    // An aggregate being filled. `node` points either into the reply tree
    // (stable: only the deepest frame's vector grows) or at `owned`, which
    // collects an attribute map that will be attached to the next reply.
    struct Frame {
        Reply* node;
        std::size_t remaining;
        std::unique_ptr<Reply> owned;
    };
    std::vector<Frame> stack;
    Reply root;
    bool root_started = false;
    std::vector<Reply> pending_attributes;
    bool has_pending_attributes = false;

    bool failed = false;
    std::string failure;

    [[noreturn]] void fail(std::size_t offset_in_buffer, const std::string& what) {
        failed = true;
        failure = what + " at offset " + std::to_string(consumed_total + offset_in_buffer);
        throw ProtocolError(failure);
    }

    void consume(std::size_t count) {
        begin += count;
        consumed_total += count;
        line_scan_from = 0;
        if (begin == end) {
            begin = end = 0;
            if (capacity > kReleaseBufferAbove) {
                data.reset();
                capacity = 0;
            }
        }
    }

    // The Reply the next parsed value is written into.
    Reply& start_value(ReplyType type) {
        Reply* target;
        if (stack.empty()) {
            root_started = true;
            target = &root;
            target->string_.clear();
            target->elements_.clear();
            target->attributes_.clear();
        } else {
            target = &stack.back().node->elements_.emplace_back();
        }
        target->type_ = type;
        if (has_pending_attributes) {
            target->attributes_ = std::move(pending_attributes);
            pending_attributes.clear();
            has_pending_attributes = false;
        }
        return *target;
    }

    // Called when a value is complete; closes every aggregate it completes.
    // Returns true when the top-level reply is complete.
    bool finish_value() {
        while (!stack.empty()) {
            Frame& top = stack.back();
            if (--top.remaining > 0) {
                return false;
            }
            if (top.owned) {
                // An attribute map is not an element of its parent: it
                // attaches to whatever value comes next.
                pending_attributes = std::move(top.owned->elements_);
                has_pending_attributes = true;
                stack.pop_back();
                return false;
            }
            stack.pop_back();
        }
        return true;
    }

    void push_frame(std::size_t offset, Reply* node, std::size_t elements,
                    std::unique_ptr<Reply> owned = nullptr) {
        if (stack.size() + 1 > limits.max_depth) {
            fail(offset, "aggregate nesting deeper than the limit of " +
                             std::to_string(limits.max_depth) + " levels");
        }
        node->elements_.reserve(std::min(elements, kMaxReserve));
        stack.push_back(Frame{node, elements, std::move(owned)});
    }

    // Parses one value header (and a whole scalar) at `begin`. Returns
    // false when more bytes are needed, true when it consumed something.
    // Sets `reply_done` when a top-level reply was completed.
    bool step(bool& reply_done);
};

bool ReplyParser::State::step(bool& reply_done) {
    const char* p = data.get() + begin;
    const std::size_t available = end - begin;
    if (available == 0) {
        return false;
    }
    const void* lf = std::memchr(p + line_scan_from, '\n', available - line_scan_from);
    if (lf == nullptr) {
        if (available > limits.max_line_length + 2) {  // type byte + line + CR
            fail(0, "expected CRLF within " + std::to_string(limits.max_line_length) +
                        " bytes (the line length limit)");
        }
        line_scan_from = available;
        return false;
    }
    const auto lf_pos = static_cast<std::size_t>(static_cast<const char*>(lf) - p);
    line_scan_from = lf_pos;  // a waiting bulk string need not rescan its header
    if (lf_pos == 0 || p[lf_pos - 1] != '\r') {
        fail(lf_pos, "expected CR before LF");
    }
    if (lf_pos == 1) {
        fail(0, "expected a RESP type byte, found CRLF");
    }
    const char type = p[0];
    const std::string_view line(p + 1, lf_pos - 2);
    const std::size_t header_size = lf_pos + 1;
    if (line.size() > limits.max_line_length) {
        fail(0, "line of " + std::to_string(line.size()) + " bytes exceeds the limit of " +
                    std::to_string(limits.max_line_length));
    }

    auto expect_no_cr = [&](std::string_view what) {
        if (line.find('\r') != std::string_view::npos) {
            fail(1 + line.find('\r'), "expected no CR inside a " + std::string(what));
        }
    };
    auto length_of = [&](std::string_view what) -> std::int64_t {
        if (line == "?") {
            fail(1, "streamed RESP3 " + std::string(what) + "s ('" + std::string(1, type) +
                        "?') are not supported");
        }
        std::int64_t length = 0;
        if (!parse_decimal(line, length)) {
            fail(1, "expected the length of a " + std::string(what) + ", found \"" +
                        printable(line) + "\"");
        }
        return length;
    };
    auto scalar_done = [&](std::size_t size) {
        consume(size);
        reply_done = finish_value();
        return true;
    };

    switch (type) {
        case '+':
        case '-': {
            expect_no_cr(type == '+' ? "simple string" : "error");
            Reply& value = start_value(type == '+' ? ReplyType::SimpleString : ReplyType::Error);
            value.string_.assign(line);
            return scalar_done(header_size);
        }
        case ':': {
            std::int64_t number = 0;
            if (!parse_decimal(line, number)) {
                fail(1, "expected a 64-bit integer, found \"" + printable(line) + "\"");
            }
            start_value(ReplyType::Integer).integer_ = number;
            return scalar_done(header_size);
        }
        case '_': {
            if (!line.empty()) {
                fail(1, "expected CRLF right after a null '_', found \"" + printable(line) + "\"");
            }
            start_value(ReplyType::Null);
            return scalar_done(header_size);
        }
        case '#': {
            if (line != "t" && line != "f") {
                fail(1, "expected a boolean 't' or 'f', found \"" + printable(line) + "\"");
            }
            start_value(ReplyType::Boolean).integer_ = line == "t" ? 1 : 0;
            return scalar_done(header_size);
        }
        case ',': {
            double number = 0;
            const auto* line_end = line.data() + line.size();
            const auto result = std::from_chars(line.data(), line_end, number);
            if (line.empty() || result.ec != std::errc{} || result.ptr != line_end) {
                fail(1, "expected a double, found \"" + printable(line) + "\"");
            }
            start_value(ReplyType::Double).double_ = number;
            return scalar_done(header_size);
        }
        case '(': {
            if (!is_big_number(line)) {
                fail(1, "expected a big number's digits, found \"" + printable(line) + "\"");
            }
            start_value(ReplyType::BigNumber).string_.assign(line);
            return scalar_done(header_size);
        }
        case '$':
        case '=':
        case '!': {
            const char* what = type == '$' ? "bulk string" : type == '=' ? "verbatim string" : "bulk error";
            const std::int64_t length = length_of(what);
            if (length == -1 && type == '$') {
                start_value(ReplyType::Null);  // RESP2 null bulk string
                return scalar_done(header_size);
            }
            if (length < 0) {
                fail(1, "expected a non-negative length of a " + std::string(what) + ", found " +
                            std::to_string(length));
            }
            const auto size = static_cast<std::uint64_t>(length);
            if (size > limits.max_bulk_length) {
                fail(1, std::string(what) + " of " + std::to_string(size) +
                            " bytes exceeds the limit of " + std::to_string(limits.max_bulk_length));
            }
            if (available - header_size < size + 2) {
                return false;  // wait for the whole payload and its CRLF
            }
            const char* payload = p + header_size;
            if (payload[size] != '\r' || payload[size + 1] != '\n') {
                fail(header_size + size, "expected CRLF after a " + std::string(what) + " of " +
                                             std::to_string(size) + " bytes");
            }
            const std::string_view bytes(payload, size);
            if (type == '=') {
                if (size < 4 || bytes[3] != ':') {
                    fail(header_size, "expected a verbatim string to start with a 3-byte format and ':'");
                }
                Reply& value = start_value(ReplyType::VerbatimString);
                std::copy_n(bytes.data(), 3, value.format_);
                value.string_.assign(bytes.substr(4));
            } else {
                start_value(type == '$' ? ReplyType::BulkString : ReplyType::BulkError)
                    .string_.assign(bytes);
            }
            return scalar_done(header_size + size + 2);
        }
        case '*':
        case '~':
        case '>':
        case '%':
        case '|': {
            const bool pairs = type == '%' || type == '|';
            const char* what = type == '*' ? "array" : type == '~' ? "set" : type == '>' ? "push" : type == '%' ? "map" : "attribute";
            const std::int64_t count = length_of(what);
            if (count == -1 && type == '*') {
                start_value(ReplyType::Null);  // RESP2 null array
                return scalar_done(header_size);
            }
            if (count < 0) {
                fail(1, "expected a non-negative element count of " + with_article(what) +
                            ", found " + std::to_string(count));
            }
            const auto declared = static_cast<std::uint64_t>(count);
            const std::uint64_t elements = pairs ? declared * 2 : declared;
            if (declared > limits.max_elements || elements > limits.max_elements) {
                fail(1, std::string(what) + " of " + std::to_string(elements) +
                            " elements exceeds the limit of " + std::to_string(limits.max_elements));
            }
            if (type == '|') {
                consume(header_size);
                if (elements > 0) {
                    auto holder = std::make_unique<Reply>();
                    Reply* node = holder.get();
                    push_frame(0, node, elements, std::move(holder));
                } else {
                    has_pending_attributes = true;
                }
                return true;
            }
            const ReplyType aggregate = type == '*'   ? ReplyType::Array
                                        : type == '~' ? ReplyType::Set
                                        : type == '>' ? ReplyType::Push
                                                      : ReplyType::Map;
            if (elements > 0 && stack.size() + 1 > limits.max_depth) {
                fail(0, "aggregate nesting deeper than the limit of " +
                            std::to_string(limits.max_depth) + " levels");
            }
            Reply& value = start_value(aggregate);
            if (elements == 0) {
                return scalar_done(header_size);
            }
            consume(header_size);
            push_frame(0, &value, elements);
            return true;
        }
        default:
            fail(0, "expected a RESP type byte, found '" + printable(std::string_view(&type, 1)) + "'");
    }
}

ReplyParser::ReplyParser(ParserLimits limits) : state_(std::make_unique<State>(limits)) {}
ReplyParser::ReplyParser(ReplyParser&&) noexcept = default;
ReplyParser& ReplyParser::operator=(ReplyParser&&) noexcept = default;
ReplyParser::~ReplyParser() = default;

std::span<char> ReplyParser::prepare(std::size_t min_size) {
    State& s = *state_;
    if (s.capacity - s.end < min_size && s.begin > 0) {
        // Slide the unconsumed bytes to the front before growing.
        std::memmove(s.data.get(), s.data.get() + s.begin, s.end - s.begin);
        s.end -= s.begin;
        s.begin = 0;
    }
    if (s.capacity - s.end < min_size) {
        const std::size_t wanted = std::max({s.capacity * 2, s.end + min_size, kInitialBufferSize});
        auto grown = std::make_unique_for_overwrite<char[]>(wanted);
        if (s.end > 0) {
            std::memcpy(grown.get(), s.data.get(), s.end);
        }
        s.data = std::move(grown);
        s.capacity = wanted;
    }
    return {s.data.get() + s.end, s.capacity - s.end};
}

void ReplyParser::commit(std::size_t count) {
    State& s = *state_;
    if (count > s.capacity - s.end) {
        throw std::invalid_argument("ReplyParser::commit: " + std::to_string(count) +
                                    " bytes committed but only " +
                                    std::to_string(s.capacity - s.end) + " were prepared");
    }
    s.end += count;
}

void ReplyParser::feed(std::string_view bytes) {
    if (bytes.empty()) {
        return;
    }
    auto space = prepare(bytes.size());
    std::memcpy(space.data(), bytes.data(), bytes.size());
    commit(bytes.size());
}

bool ReplyParser::next(Reply& out) {
    State& s = *state_;
    if (s.failed) {
        throw ProtocolError("the reply stream is unusable after an earlier error: " + s.failure);
    }
    bool reply_done = false;
    while (s.step(reply_done)) {
        if (reply_done) {
            // Swapping (not copying) hands `out` the reply and leaves its old
            // storage here for the next reply to reuse.
            std::swap(out, s.root);
            s.root_started = false;
            return true;
        }
    }
    return false;
}

std::optional<Reply> ReplyParser::next() {
    Reply reply;
    if (next(reply)) {
        return reply;
    }
    return std::nullopt;
}

std::size_t ReplyParser::buffered() const noexcept { return state_->end - state_->begin; }

bool ReplyParser::in_progress() const noexcept {
    return state_->root_started || !state_->stack.empty() || state_->has_pending_attributes;
}

bool ReplyParser::push_in_progress() const noexcept {
    const State& s = *state_;
    if (s.root_started) return s.root.type() == ReplyType::Push;
    // Nothing parsed yet (or only attributes, whose frames are on the
    // stack): the type byte of the next frame tells, once it is here.
    return s.stack.empty() && s.begin < s.end && s.data[s.begin] == '>';
}

bool ReplyParser::failed() const noexcept { return state_->failed; }

void ReplyParser::reset() {
    State& s = *state_;
    s.begin = s.end = 0;
    s.line_scan_from = 0;
    s.stack.clear();
    s.root_started = false;
    s.pending_attributes.clear();
    s.has_pending_attributes = false;
    s.failed = false;
    s.failure.clear();
}

const ParserLimits& ReplyParser::limits() const noexcept { return state_->limits; }

}  // namespace rediscluster
