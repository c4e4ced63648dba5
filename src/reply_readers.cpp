// How the typed commands (commands.hpp) read their replies.

#include <charconv>

#include "rediscluster/commands.hpp"

namespace rediscluster::reply_readers {

namespace {

std::optional<std::string> optional_string(Reply&& reply) {
    if (reply.is_null()) return std::nullopt;
    return std::move(reply).take_str();  // moved, not copied: the reply is dropped
}

}  // namespace

std::int64_t Integer::read(Reply&& reply) { return reply.integer(); }

bool IntegerIsOne::read(Reply&& reply) { return reply.integer() == 1; }

bool NotNull::read(Reply&& reply) { return !reply.is_null(); }

std::optional<std::string> OptionalString::read(Reply&& reply) { return optional_string(std::move(reply)); }

std::vector<std::string> Strings::read(Reply&& reply) {
    std::vector<std::string> out;
    out.reserve(reply.size());
    for (const auto& element : reply.elements()) out.emplace_back(element.str());
    return out;
}

std::vector<std::optional<std::string>> OptionalStrings::read(Reply&& reply) {
    std::vector<std::optional<std::string>> out;
    out.reserve(reply.size());
    for (const auto& element : reply.elements()) {
        out.push_back(element.is_null() ? std::nullopt : std::optional<std::string>(element.str()));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> Pairs::read(Reply&& reply) {
    const auto& elements = reply.elements();
    if (elements.size() % 2 != 0) {
        throw DataError("expected fields and values in pairs, got " + std::to_string(elements.size()) + " elements");
    }
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(elements.size() / 2);
    for (std::size_t i = 0; i + 1 < elements.size(); i += 2) out.emplace_back(elements[i].str(), elements[i + 1].str());
    return out;
}

std::optional<double> OptionalDouble::read(Reply&& reply) {
    if (reply.is_null()) return std::nullopt;
    if (reply.type() == ReplyType::Double) return reply.double_value();
    double value = 0;
    const auto text = reply.str();
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc{} || result.ptr != text.data() + text.size()) {
        throw DataError("not a number: '" + std::string(text) + "'");
    }
    return value;
}

}  // namespace rediscluster::reply_readers
