#pragma once

// The OpenSSL rules both TLS clients follow, the blocking transport
// (tls_transport.cpp) and the asynchronous one (asio/node_stream.cpp): how
// a client context is set up from the options, how a session is prepared
// (SNI, the host check) and what a handshake records for the hint when it
// fails (tls_hints.hpp). Internal: OpenSSL's types stay out of the public
// headers.

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace rediscluster {
struct ConnectionOptions;
}

namespace rediscluster::detail {

/// What a handshake saw, for the hint when it fails. Filled in by OpenSSL
/// callbacks that begin_tls_session() installs; must outlive the session
/// (or end_tls_handshake_record()).
struct TlsHandshakeRecord {
    bool certificate_requested = false;
    std::array<char, 8> first_bytes{};
    std::size_t first_bytes_size = 0;

    [[nodiscard]] std::string_view received() const { return {first_bytes.data(), first_bytes_size}; }
};

/// Sets `ctx` up for `options`: TLS 1.2 at least, the server's certificate
/// verified unless ssl_cert_reqs is "none", ssl_ca_certs (or the system's
/// store), the client certificate and key (ssl_certfile, ssl_keyfile,
/// ssl_password). `password` is where the key's passphrase callback reads
/// ssl_password: it must outlive `ctx`. Throws RedisClusterConfigError
/// naming the option and the file.
void configure_tls_client_context(SSL_CTX* ctx, const ConnectionOptions& options, std::string& password);

/// Prepares `ssl` (its read BIO set already) to connect to options.host:
/// SNI for host names, never for IP addresses; the host (or IP) checked
/// against the certificate when it is verified and ssl_check_hostname is
/// on; the handshake recorded into `record`.
void begin_tls_session(SSL* ssl, const ConnectionOptions& options, TlsHandshakeRecord& record);

/// Stops recording: only the handshake's bytes are of interest.
void end_tls_handshake_record(SSL* ssl);

/// The certificate verification's failure ("certificate verify failed:
/// <reason>"), or "" when the certificate verified (or was not checked).
[[nodiscard]] std::string tls_verify_failure(const SSL* ssl);

/// OpenSSL errors, as one line, and what they say about the server.
struct OpensslErrors {
    std::string text;
    bool peer_alert = false;  // the server sent a TLS alert
    bool not_tls = false;     // the server's bytes are not TLS records
};

/// Adds OpenSSL error `code` (from ERR_get_error()) to `errors`.
void add_openssl_error(OpensslErrors& errors, unsigned long code);

/// OpenSSL's queued errors, emptying the queue ("unknown error" when none).
[[nodiscard]] OpensslErrors take_openssl_errors();

}  // namespace rediscluster::detail
