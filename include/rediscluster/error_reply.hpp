#pragma once

// Error replies: which exception a server's error text means, and the
// target of a MOVED or ASK redirect.
//
// These are pure functions over the error text (the reply without its
// leading '-' or '!'), so the mapping is tested without a server. A
// connection's read_response() throws through throw_error_reply().
//
// Thread safety: every function here is reentrant.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rediscluster {

/// What an error reply means, by its first word (and for a few "ERR ..."
/// texts, by the whole message).
enum class ErrorReplyKind : std::uint8_t {
    moved,           // MOVED <slot> <host>:<port>      → MovedError
    ask,             // ASK <slot> <host>:<port>        → AskError
    try_again,       // TRYAGAIN                         → TryAgainError
    cluster_down,    // CLUSTERDOWN                      → ClusterDownError
    master_down,     // MASTERDOWN                       → MasterDownError
    cross_slot,      // CROSSSLOT                        → ClusterCrossSlotError
    loading,         // LOADING                          → BusyLoadingError
    authentication,  // NOAUTH, WRONGPASS, "ERR invalid password",
                     // "ERR AUTH <password> called without any password
                     // configured...", "ERR Client sent AUTH, but no
                     // password is set"                 → AuthenticationError
    read_only,       // READONLY                         → ReadOnlyError
    no_script,       // NOSCRIPT                         → NoScriptError
    max_clients,     // "ERR max number of clients reached" → ConnectionError
    exec_abort,      // EXECABORT                        → ExecAbortError
    other,           // anything else                    → ResponseError
};

/// The kind of the error reply `text` (without the leading '-').
[[nodiscard]] ErrorReplyKind classify_error_reply(std::string_view text) noexcept;

/// The target of a MOVED or ASK redirect.
struct Redirect {
    /// True for MOVED (the slot moved for good), false for ASK (retry once
    /// on the target after ASKING).
    bool moved = false;
    std::uint16_t slot = 0;
    /// The target host. An IPv6 address comes without brackets. Empty when
    /// the server does not know its own address (Redis then means "the node
    /// that sent the redirect").
    std::string host;
    std::uint16_t port = 0;

    bool operator==(const Redirect&) const = default;
};

/// The redirect carried by `text` ("MOVED 3999 127.0.0.1:6381",
/// "ASK 3999 2001:db8::1:7000"), or nullopt when `text` is not a MOVED or
/// ASK error. The address splits at its last colon, so IPv6 addresses work;
/// "[host]:port" is accepted too.
///
/// Throws ResponseError, quoting `text` and saying what is wrong, when the
/// text starts with MOVED or ASK but the slot is not a number from 0 to
/// 16383, the port not one from 1 to 65535, or a part is missing.
[[nodiscard]] std::optional<Redirect> parse_redirect(std::string_view text);

/// Throws the exception `text` stands for (see ErrorReplyKind). MOVED and
/// ASK become MovedError / AskError carrying the parsed slot and address,
/// with the text after the word MOVED/ASK as message ("12182
/// 127.0.0.1:7002"), as in the Python original; an empty host in the
/// redirect is replaced by `current_host` (the node that answered). Every
/// other kind keeps the server's whole text as message.
[[noreturn]] void throw_error_reply(std::string_view text, std::string_view current_host = {});

}  // namespace rediscluster
