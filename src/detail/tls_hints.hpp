#pragma once

// Hints for connections that fail before their first reply when the likely
// cause is a TLS mismatch: a TLS client on a plain port, a plain client on
// a TLS port, or a missing client certificate. The raw errors ("Connection
// reset by peer", "wrong version number") do not say which. The transports
// gather the facts; the decision is here, without I/O, so each rule is
// tested alone. The facts rarely prove the cause, so the hints say "may"
// or "probably".

#include <string>
#include <string_view>

namespace rediscluster::detail {

/// What a TLS connection saw before it failed.
struct TlsFailureFacts {
    /// The first bytes the server sent during the handshake (a few at
    /// most); empty when nothing arrived.
    std::string_view first_bytes = {};
    /// OpenSSL found that the server's bytes are not TLS records ("wrong
    /// version number").
    bool not_tls = false;
    /// The server ended the connection: a TLS alert, a reset or a close.
    bool peer_aborted = false;
    /// The handshake timed out.
    bool timed_out = false;
    /// The handshake had completed (the failure came with the first reply).
    bool handshake_complete = false;
    /// The server asked for a client certificate during the handshake.
    bool certificate_requested = false;
    /// A client certificate was configured (ssl_certfile).
    bool have_certificate = false;
};

/// The hint to append to the error's message (" (...)"), or "" when the
/// facts suggest nothing.
[[nodiscard]] std::string tls_failure_hint(const TlsFailureFacts& facts);

/// Appended when a plain connection is reset or closed before its first
/// reply: what a TLS-only port does with a plain client.
inline constexpr std::string_view kPlainClientOnTlsPortHint =
    " (the port may require TLS: connect with SSLClusterConnection, or give a pool "
    "connection_class<SSLClusterConnection>() and the ssl_* options)";

}  // namespace rediscluster::detail
