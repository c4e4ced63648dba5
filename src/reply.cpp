#include <algorithm>
#include <cstring>

#include "rediscluster/resp.hpp"

namespace rediscluster {

std::string_view to_string(ReplyType type) noexcept {
    switch (type) {
        case ReplyType::Null: return "null";
        case ReplyType::SimpleString: return "simple string";
        case ReplyType::Error: return "error";
        case ReplyType::Integer: return "integer";
        case ReplyType::BulkString: return "bulk string";
        case ReplyType::Array: return "array";
        case ReplyType::Boolean: return "boolean";
        case ReplyType::Double: return "double";
        case ReplyType::BigNumber: return "big number";
        case ReplyType::VerbatimString: return "verbatim string";
        case ReplyType::BulkError: return "bulk error";
        case ReplyType::Map: return "map";
        case ReplyType::Set: return "set";
        case ReplyType::Push: return "push";
    }
    return "unknown";
}

namespace {

[[noreturn]] void throw_wrong_type(ReplyType actual, std::string_view wanted) {
    const auto name = to_string(actual);
    // "an array", "a bulk string": the article follows the first letter.
    const char* article = std::strchr("aeiou", name.front()) != nullptr ? "an " : "a ";
    throw DataError("reply is " + std::string(article) + std::string(name) + ", not " +
                    std::string(wanted));
}

}  // namespace

// Replies are built by filling one field and the type; these keep each
// factory to one line.
Reply Reply::with_string(ReplyType type, std::string_view text) {
    Reply r;
    r.type_ = type;
    r.string_.assign(text);
    return r;
}

Reply Reply::with_elements(ReplyType type, std::vector<Reply> elements) {
    Reply r;
    r.type_ = type;
    r.elements_ = std::move(elements);
    return r;
}

Reply Reply::null() { return Reply{}; }
Reply Reply::simple_string(std::string_view text) { return with_string(ReplyType::SimpleString, text); }
Reply Reply::error(std::string_view text) { return with_string(ReplyType::Error, text); }
Reply Reply::bulk_string(std::string_view bytes) { return with_string(ReplyType::BulkString, bytes); }
Reply Reply::big_number(std::string_view digits) { return with_string(ReplyType::BigNumber, digits); }
Reply Reply::bulk_error(std::string_view text) { return with_string(ReplyType::BulkError, text); }
Reply Reply::array(std::vector<Reply> elements) { return with_elements(ReplyType::Array, std::move(elements)); }
Reply Reply::set(std::vector<Reply> elements) { return with_elements(ReplyType::Set, std::move(elements)); }
Reply Reply::push(std::vector<Reply> elements) { return with_elements(ReplyType::Push, std::move(elements)); }

Reply Reply::integer(std::int64_t value) {
    Reply r;
    r.type_ = ReplyType::Integer;
    r.integer_ = value;
    return r;
}

Reply Reply::boolean(bool value) {
    Reply r;
    r.type_ = ReplyType::Boolean;
    r.integer_ = value ? 1 : 0;
    return r;
}

Reply Reply::double_value(double value) {
    Reply r;
    r.type_ = ReplyType::Double;
    r.double_ = value;
    return r;
}

Reply Reply::verbatim_string(std::string_view format, std::string_view text) {
    if (format.size() != 3) {
        throw DataError("a verbatim string's format must be exactly 3 bytes, got \"" + std::string(format) + "\"");
    }
    Reply r = with_string(ReplyType::VerbatimString, text);
    std::copy(format.begin(), format.end(), r.format_);
    return r;
}

Reply Reply::map(std::vector<Reply> keys_and_values) {
    if (keys_and_values.size() % 2 != 0) {
        throw DataError("a map needs as many values as keys, got " + std::to_string(keys_and_values.size()) +
                        " elements");
    }
    return with_elements(ReplyType::Map, std::move(keys_and_values));
}

std::string_view Reply::str() const {
    switch (type_) {
        case ReplyType::SimpleString:
        case ReplyType::Error:
        case ReplyType::BulkString:
        case ReplyType::BigNumber:
        case ReplyType::VerbatimString:
        case ReplyType::BulkError: return string_;
        default: throw_wrong_type(type_, "a string");
    }
}

std::string Reply::take_str() && {
    (void)str();  // the same type check, and the same error
    return std::move(string_);
}

std::vector<Reply> Reply::take_elements() && {
    (void)elements();  // the same type check, and the same error
    return std::move(elements_);
}

std::int64_t Reply::integer() const {
    if (type_ != ReplyType::Integer) {
        throw_wrong_type(type_, "an integer");
    }
    return integer_;
}

bool Reply::boolean() const {
    if (type_ != ReplyType::Boolean) {
        throw_wrong_type(type_, "a boolean");
    }
    return integer_ != 0;
}

double Reply::double_value() const {
    if (type_ != ReplyType::Double) {
        throw_wrong_type(type_, "a double");
    }
    return double_;
}

std::string_view Reply::verbatim_format() const {
    if (type_ != ReplyType::VerbatimString) {
        throw_wrong_type(type_, "a verbatim string");
    }
    return {format_, sizeof format_};
}

const std::vector<Reply>& Reply::elements() const {
    if (!is_aggregate()) {
        throw_wrong_type(type_, "an aggregate");
    }
    return elements_;
}

const Reply& Reply::operator[](std::size_t index) const {
    const auto& all = elements();
    if (index >= all.size()) {
        throw DataError("reply element " + std::to_string(index) + " is out of range: the " +
                        std::string(to_string(type_)) + " has " + std::to_string(all.size()) +
                        " elements");
    }
    return all[index];
}

bool operator==(const Reply& a, const Reply& b) {
    if (a.type_ != b.type_) {
        return false;
    }
    switch (a.type_) {
        case ReplyType::Null: break;
        case ReplyType::Integer:
        case ReplyType::Boolean:
            if (a.integer_ != b.integer_) return false;
            break;
        case ReplyType::Double:
            if (!(a.double_ == b.double_)) return false;
            break;
        case ReplyType::VerbatimString:
            if (std::memcmp(a.format_, b.format_, sizeof a.format_) != 0) return false;
            [[fallthrough]];
        default:
            if (a.string_ != b.string_) return false;
            break;
    }
    return a.elements_ == b.elements_ && a.attributes_ == b.attributes_;
}

namespace {

constexpr std::size_t kDebugStringLimit = 64;
constexpr std::size_t kDebugElementLimit = 16;

void append_quoted(std::string& out, std::string_view text) {
    out.push_back('"');
    const auto shown = std::min(text.size(), kDebugStringLimit);
    for (std::size_t i = 0; i < shown; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c >= 0x20 && c < 0x7F) {
            out.push_back(static_cast<char>(c));
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out.append("\\x");
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        }
    }
    if (shown < text.size()) {
        out.append("...(" + std::to_string(text.size()) + " bytes)");
    }
    out.push_back('"');
}

void append_debug(std::string& out, const Reply& reply) {
    switch (reply.type()) {
        case ReplyType::Null: out.append("nil"); return;
        case ReplyType::Integer: out.append(std::to_string(reply.integer())); return;
        case ReplyType::Boolean: out.append(reply.boolean() ? "true" : "false"); return;
        case ReplyType::Double: {
            char digits[32];
            const auto result = std::to_chars(digits, digits + sizeof digits, reply.double_value());
            out.append(digits, result.ptr);
            return;
        }
        case ReplyType::BigNumber: out.append(reply.str()); return;
        case ReplyType::Error:
        case ReplyType::BulkError:
            out.append("(error) ");
            append_quoted(out, reply.str());
            return;
        case ReplyType::SimpleString:
        case ReplyType::BulkString:
        case ReplyType::VerbatimString: append_quoted(out, reply.str()); return;
        case ReplyType::Array:
        case ReplyType::Set:
        case ReplyType::Push:
        case ReplyType::Map: break;
    }
    const bool is_map = reply.type() == ReplyType::Map;
    const char* open = is_map ? "{" : reply.type() == ReplyType::Set ? "~[" : reply.type() == ReplyType::Push ? ">[" : "[";
    out.append(open);
    const auto& elements = reply.elements();
    const auto shown = std::min(elements.size(), kDebugElementLimit);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0) out.append(is_map && i % 2 == 1 ? ": " : ", ");
        append_debug(out, elements[i]);
    }
    if (shown < elements.size()) {
        out.append(", ...(" + std::to_string(elements.size()) + " elements)");
    }
    out.append(is_map ? "}" : "]");
}

}  // namespace

std::string Reply::to_debug_string() const {
    std::string out;
    append_debug(out, *this);
    return out;
}

}  // namespace rediscluster
