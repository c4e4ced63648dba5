// libFuzzer target for error replies: the input is the text of an error
// reply (what follows '-' or '!'). Checked against what error_reply.hpp
// promises:
//  - classify_error_reply() never throws (it is noexcept: a throw would end
//    in std::terminate, which libFuzzer reports);
//  - parse_redirect() returns nothing for a text that is not MOVED/ASK,
//    throws only ResponseError, and a redirect it returns has a slot below
//    16384, a port from 1 to 65535 and a host without spaces (possibly
//    empty: "the node that sent it"); written back as
//    "<word> <slot> [<host>]:<port>", it parses to the same redirect;
//  - throw_error_reply() always throws, exactly the type the kind stands
//    for, carrying the parsed redirect (the empty host replaced by the
//    answering node) or the server's whole text as message.

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>

#include "rediscluster/error_reply.hpp"
#include "rediscluster/errors.hpp"

namespace {

using namespace rediscluster;

const std::type_info& expected_type(ErrorReplyKind kind) {
    switch (kind) {
        case ErrorReplyKind::moved: return typeid(MovedError);
        case ErrorReplyKind::ask: return typeid(AskError);
        case ErrorReplyKind::try_again: return typeid(TryAgainError);
        case ErrorReplyKind::cluster_down: return typeid(ClusterDownError);
        case ErrorReplyKind::master_down: return typeid(MasterDownError);
        case ErrorReplyKind::cross_slot: return typeid(ClusterCrossSlotError);
        case ErrorReplyKind::loading: return typeid(BusyLoadingError);
        case ErrorReplyKind::authentication: return typeid(AuthenticationError);
        case ErrorReplyKind::read_only: return typeid(ReadOnlyError);
        case ErrorReplyKind::no_script: return typeid(NoScriptError);
        case ErrorReplyKind::max_clients: return typeid(ConnectionError);
        case ErrorReplyKind::exec_abort: return typeid(ExecAbortError);
        case ErrorReplyKind::other: return typeid(ResponseError);
    }
    std::abort();  // a kind this target does not know yet: update it
}

// The redirect parse_redirect() finds, or nullopt; aborts on anything but
// a ResponseError, and reports a ResponseError as `malformed`.
std::optional<Redirect> redirect_of(std::string_view text, bool& malformed) {
    malformed = false;
    try {
        return parse_redirect(text);
    } catch (const ResponseError& e) {
        if (typeid(e) != typeid(ResponseError)) std::abort();
        malformed = true;
        return std::nullopt;
    }
}

// what() is a C string: a message holding a NUL byte shows up to there.
bool same_message(const std::exception& e, std::string_view expected) {
    return std::string_view(e.what()) == expected.substr(0, expected.find('\0'));
}

void check_redirect(std::string_view text, std::string_view current_host, ErrorReplyKind kind) {
    bool malformed = false;
    const auto redirect = redirect_of(text, malformed);
    const bool is_redirect = kind == ErrorReplyKind::moved || kind == ErrorReplyKind::ask;
    if ((redirect || malformed) != is_redirect) std::abort();
    if (redirect) {
        if (redirect->moved != (kind == ErrorReplyKind::moved) || redirect->slot >= 16384 || redirect->port == 0 ||
            redirect->host.find(' ') != std::string::npos) {
            std::abort();
        }
        // Brackets always, so a host with colons (or brackets) comes back
        // as it was.
        const std::string written = std::string(redirect->moved ? "MOVED " : "ASK ") +
                                    std::to_string(redirect->slot) + " [" + redirect->host +
                                    "]:" + std::to_string(redirect->port);
        bool rewritten_malformed = false;
        const auto again = redirect_of(written, rewritten_malformed);
        if (!again || *again != *redirect) std::abort();
    }

    try {
        throw_error_reply(text, current_host);
    } catch (const AskError& e) {  // MovedError too
        if (typeid(e) != expected_type(kind) || !redirect) std::abort();
        const std::string host = redirect->host.empty() ? std::string(current_host) : redirect->host;
        if (e.slot_id != redirect->slot || e.host != host || e.port != redirect->port) std::abort();
        // The message is the text after the word, as in the original.
        if (!same_message(e, text.substr(text.find(' ') + 1))) std::abort();
        return;
    } catch (const Error& e) {
        if (malformed) {
            if (typeid(e) != typeid(ResponseError)) std::abort();
            return;
        }
        if (typeid(e) != expected_type(kind) || !same_message(e, text)) std::abort();
        return;
    }
    // throw_error_reply is [[noreturn]]: reaching here is undefined
    // behaviour that the sanitizers would usually report first.
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const ErrorReplyKind kind = classify_error_reply(text);
    // The answering node's host, as a connection passes it, and none.
    check_redirect(text, "10.0.0.1", kind);
    check_redirect(text, "", kind);
    return 0;
}
