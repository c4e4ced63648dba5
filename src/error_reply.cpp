#include "rediscluster/error_reply.hpp"

#include <charconv>

#include "rediscluster/errors.hpp"

namespace rediscluster {
namespace {

constexpr std::uint16_t kSlotCount = 16384;

bool starts_with_word(std::string_view text, std::string_view word) {
    return text.starts_with(word) && (text.size() == word.size() || text[word.size()] == ' ');
}

// Digits only (no sign, no spaces) within [min, max].
std::optional<std::uint32_t> parse_number(std::string_view text, std::uint32_t min, std::uint32_t max) {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    std::uint32_t value = 0;
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (result.ec != std::errc{} || result.ptr != end || text.front() == '+' || value < min || value > max) {
        return std::nullopt;
    }
    return value;
}

[[noreturn]] void malformed(std::string_view text, const std::string& why) {
    throw ResponseError("malformed redirect \"" + std::string(text) + "\": " + why);
}

}  // namespace

ErrorReplyKind classify_error_reply(std::string_view text) noexcept {
    if (starts_with_word(text, "MOVED")) return ErrorReplyKind::moved;
    if (starts_with_word(text, "ASK")) return ErrorReplyKind::ask;
    if (starts_with_word(text, "TRYAGAIN")) return ErrorReplyKind::try_again;
    if (starts_with_word(text, "CLUSTERDOWN")) return ErrorReplyKind::cluster_down;
    if (starts_with_word(text, "MASTERDOWN")) return ErrorReplyKind::master_down;
    if (starts_with_word(text, "CROSSSLOT")) return ErrorReplyKind::cross_slot;
    if (starts_with_word(text, "LOADING")) return ErrorReplyKind::loading;
    if (starts_with_word(text, "NOAUTH") || starts_with_word(text, "WRONGPASS")) {
        return ErrorReplyKind::authentication;
    }
    if (starts_with_word(text, "READONLY")) return ErrorReplyKind::read_only;
    if (starts_with_word(text, "NOSCRIPT")) return ErrorReplyKind::no_script;
    if (starts_with_word(text, "EXECABORT")) return ErrorReplyKind::exec_abort;
    if (starts_with_word(text, "ERR")) {
        // WRONGPASS's text under the generic ERR code is still a refusal
        // of the credentials, whichever server or proxy words it so.
        if (text.starts_with("ERR invalid password") || text.starts_with("ERR invalid username-password pair") ||
            text.starts_with("ERR Client sent AUTH, but no password is set") ||
            (text.starts_with("ERR AUTH ") &&
             text.find("called without any password configured") != std::string_view::npos)) {
            return ErrorReplyKind::authentication;
        }
        if (text.starts_with("ERR max number of clients reached")) {
            return ErrorReplyKind::max_clients;
        }
    }
    return ErrorReplyKind::other;
}

std::optional<Redirect> parse_redirect(std::string_view text) {
    Redirect redirect;
    std::string_view rest;
    if (starts_with_word(text, "MOVED")) {
        redirect.moved = true;
        rest = text.substr(5);
    } else if (starts_with_word(text, "ASK")) {
        rest = text.substr(3);
    } else {
        return std::nullopt;
    }
    if (rest.empty()) {
        malformed(text, "expected \"<slot> <host>:<port>\" after the word");
    }
    rest.remove_prefix(1);  // the space after the word
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) {
        malformed(text, "expected \"<slot> <host>:<port>\", found no address");
    }
    const std::string_view slot_text = rest.substr(0, space);
    std::string_view address = rest.substr(space + 1);
    const auto slot = parse_number(slot_text, 0, kSlotCount - 1);
    if (!slot) {
        malformed(text, "slot \"" + std::string(slot_text) + "\" is not a number from 0 to 16383");
    }
    if (address.find(' ') != std::string_view::npos) {
        malformed(text, "unexpected text after the address");
    }
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) {
        malformed(text, "address \"" + std::string(address) + "\" has no port (expected <host>:<port>)");
    }
    const std::string_view port_text = address.substr(colon + 1);
    std::string_view host = address.substr(0, colon);
    const auto port = parse_number(port_text, 1, 65535);
    if (!port) {
        malformed(text, "port \"" + std::string(port_text) + "\" is not a number from 1 to 65535");
    }
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    redirect.slot = static_cast<std::uint16_t>(*slot);
    redirect.host = std::string(host);
    redirect.port = static_cast<std::uint16_t>(*port);
    return redirect;
}

void throw_error_reply(std::string_view text, std::string_view current_host) {
    const std::string message(text);
    switch (classify_error_reply(text)) {
        case ErrorReplyKind::moved:
        case ErrorReplyKind::ask: {
            auto redirect = *parse_redirect(text);
            if (redirect.host.empty()) {
                redirect.host = std::string(current_host);
            }
            // The message is the text after the word, as in the original.
            const std::string detail = message.substr(message.find(' ') + 1);
            if (redirect.moved) {
                throw MovedError(detail, redirect.slot, std::move(redirect.host), redirect.port);
            }
            throw AskError(detail, redirect.slot, std::move(redirect.host), redirect.port);
        }
        case ErrorReplyKind::try_again: throw TryAgainError(message);
        case ErrorReplyKind::cluster_down: throw ClusterDownError(message);
        case ErrorReplyKind::master_down: throw MasterDownError(message);
        case ErrorReplyKind::cross_slot: throw ClusterCrossSlotError(message);
        case ErrorReplyKind::loading: throw BusyLoadingError(message);
        case ErrorReplyKind::authentication: throw AuthenticationError(message);
        case ErrorReplyKind::read_only: throw ReadOnlyError(message);
        case ErrorReplyKind::no_script: throw NoScriptError(message);
        case ErrorReplyKind::max_clients: throw ConnectionError(message);
        case ErrorReplyKind::exec_abort: throw ExecAbortError(message);
        case ErrorReplyKind::other: break;
    }
    throw ResponseError(message);
}

}  // namespace rediscluster
