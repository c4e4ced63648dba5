// TLS with OpenSSL. Everything OpenSSL stays in this file.

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "detail/tls_hints.hpp"
#include "detail/transport.hpp"
#include "rediscluster/connection.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {

struct TlsContext {
    SSL_CTX* ctx = nullptr;
    std::string password;  // for the key's passphrase callback
    bool verify = true;

    TlsContext() = default;
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;
    ~TlsContext() { SSL_CTX_free(ctx); }
};

namespace {

// OpenSSL's queued errors, emptying the queue: as one line, and what they
// say about the server.
struct OpensslErrors {
    std::string text;
    bool peer_alert = false;  // the server sent a TLS alert
    bool not_tls = false;     // the server's bytes are not TLS records
};

OpensslErrors take_openssl_errors() {
    OpensslErrors errors;
    while (const unsigned long code = ERR_get_error()) {
        char line[256];
        ERR_error_string_n(code, line, sizeof line);
        if (!errors.text.empty()) errors.text += "; ";
        errors.text += line;
        if (ERR_GET_LIB(code) == ERR_LIB_SSL) {
            const int reason = ERR_GET_REASON(code);
            // Reasons from SSL_AD_REASON_OFFSET on are the alerts the peer sent.
            if (reason >= SSL_AD_REASON_OFFSET) errors.peer_alert = true;
            if (reason == SSL_R_WRONG_VERSION_NUMBER) errors.not_tls = true;
        }
    }
    if (errors.text.empty()) errors.text = "unknown error";
    return errors;
}

std::string openssl_errors() { return take_openssl_errors().text; }

// What a handshake saw, for the hint when it fails (see tls_hints.hpp).
// Filled in by the OpenSSL callbacks below.
struct HandshakeRecord {
    bool certificate_requested = false;
    std::array<char, 8> first_bytes{};
    std::size_t first_bytes_size = 0;

    [[nodiscard]] std::string_view received() const { return {first_bytes.data(), first_bytes_size}; }
};

// Called when the server asks for a client certificate and none is set:
// note the request, and send none (the server decides what that means).
int no_client_certificate(SSL* ssl, X509** /*certificate*/, EVP_PKEY** /*key*/) {
    if (auto* record = static_cast<HandshakeRecord*>(SSL_get_app_data(ssl))) record->certificate_requested = true;
    return 0;
}

// Keeps the first bytes the server sends during the handshake: whether
// they look like TLS or like a Redis reply says which side is misconfigured.
long record_first_bytes(BIO* bio, int operation, const char* buffer, std::size_t /*length*/, int /*argi*/,
                        long /*argl*/, int result, std::size_t* processed) {
    if (operation == (BIO_CB_READ | BIO_CB_RETURN) && result > 0 && processed != nullptr) {
        auto* record = reinterpret_cast<HandshakeRecord*>(BIO_get_callback_arg(bio));
        const std::size_t room = record->first_bytes.size() - record->first_bytes_size;
        const std::size_t count = std::min(room, *processed);
        std::memcpy(record->first_bytes.data() + record->first_bytes_size, buffer, count);
        record->first_bytes_size += count;
    }
    return result;
}

int password_callback(char* buffer, int size, int /*rwflag*/, void* userdata) {
    const auto* password = static_cast<const std::string*>(userdata);
    const auto length = static_cast<int>(std::min<std::size_t>(password->size(), static_cast<std::size_t>(size)));
    std::memcpy(buffer, password->data(), static_cast<std::size_t>(length));
    return length;
}

[[noreturn]] void bad_file(const char* field, const std::string& path, const std::string& hint = "") {
    throw RedisClusterConfigError(std::string(field) + ": cannot use '" + path + "'" + hint + ": " + openssl_errors());
}

std::shared_ptr<const TlsContext> build_context(const ConnectionOptions& options) {
    auto context = std::make_shared<TlsContext>();
    context->ctx = SSL_CTX_new(TLS_client_method());
    if (context->ctx == nullptr) throw ConnectionError("cannot create a TLS context: " + openssl_errors());
    SSL_CTX* ctx = context->ctx;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    context->verify = options.ssl_cert_reqs != "none";
    SSL_CTX_set_verify(ctx, context->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (options.ssl_ca_certs) {
        if (SSL_CTX_load_verify_locations(ctx, options.ssl_ca_certs->c_str(), nullptr) != 1) {
            bad_file("ssl_ca_certs", *options.ssl_ca_certs);
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        throw RedisClusterConfigError("cannot load the system's CA certificates: " + openssl_errors());
    }
    if (options.ssl_password) {
        context->password = *options.ssl_password;
        SSL_CTX_set_default_passwd_cb(ctx, password_callback);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, &context->password);
    }
    if (!options.ssl_certfile) {
        SSL_CTX_set_client_cert_cb(ctx, no_client_certificate);
    } else {
        if (SSL_CTX_use_certificate_chain_file(ctx, options.ssl_certfile->c_str()) != 1) {
            bad_file("ssl_certfile", *options.ssl_certfile);
        }
        const std::string& key = options.ssl_keyfile ? *options.ssl_keyfile : *options.ssl_certfile;
        if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
            bad_file("ssl_keyfile", key, options.ssl_password ? " (is ssl_password right?)" : " (encrypted? set ssl_password)");
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            throw RedisClusterConfigError("ssl_keyfile '" + key + "' does not match ssl_certfile '" +
                                          *options.ssl_certfile + "': " + openssl_errors());
        }
    }
    return context;
}

// Keeps SIGPIPE from this thread while OpenSSL writes to a socket the peer
// may have closed (OpenSSL's socket writes do not pass MSG_NOSIGNAL), and
// swallows the one it raised. No process-wide handler is touched.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        sigpending(&pending_before_);
        pthread_sigmask(SIG_BLOCK, &pipe, &old_mask_);
    }
    ~SigpipeGuard() {
        if (!sigismember(&pending_before_, SIGPIPE)) {
            sigset_t pending;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE)) {
                sigset_t pipe;
                sigemptyset(&pipe);
                sigaddset(&pipe, SIGPIPE);
                const timespec no_wait{0, 0};
                while (sigtimedwait(&pipe, nullptr, &no_wait) == -1 && errno == EINTR) {
                }
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t old_mask_{};
    sigset_t pending_before_{};
};

class TlsTransport final : public Transport {
public:
    TlsTransport(SocketHandle socket, std::shared_ptr<const TlsContext> context, const ConnectionOptions& options,
                 std::string endpoint)
        : socket_(std::move(socket)),
          context_(std::move(context)),
          endpoint_(std::move(endpoint)),
          have_certificate_(options.ssl_certfile.has_value()) {
        ERR_clear_error();
        ssl_ = SSL_new(context_->ctx);
        if (ssl_ == nullptr) throw ConnectionError("cannot create a TLS session for " + endpoint_ + ": " + openssl_errors());
        SSL_set_fd(ssl_, socket_.get());
        SSL_set_app_data(ssl_, &handshake_);
        BIO* const socket_bio = SSL_get_rbio(ssl_);
        BIO_set_callback_arg(socket_bio, reinterpret_cast<char*>(&handshake_));
        BIO_set_callback_ex(socket_bio, record_first_bytes);
        const bool ip = is_ip_literal(options.host);
        if (!ip) {
            // SNI, for names only (RFC 6066). SSL_set_tlsext_host_name is a
            // macro with a C cast; this is what it expands to.
            SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(options.host.c_str()));
        }
        if (context_->verify && options.ssl_check_hostname) {
            if (ip) {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), options.host.c_str());
            } else {
                SSL_set1_host(ssl_, options.host.c_str());
            }
        }
        const int result = [&] {
            SigpipeGuard guard;
            return SSL_connect(ssl_);
        }();
        if (result != 1) {
            const int saved_errno = errno;
            const long verify = SSL_get_verify_result(ssl_);
            std::string reason;
            TlsFailureFacts facts{.first_bytes = handshake_.received(),
                                          .certificate_requested = handshake_.certificate_requested,
                                          .have_certificate = have_certificate_};
            if (verify != X509_V_OK) {
                // Clear enough as it is: no hint.
                reason = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
            } else {
                const int error = SSL_get_error(ssl_, result);
                if ((error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_SYSCALL) &&
                    (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
                    SSL_free(ssl_);
                    facts.timed_out = true;
                    throw TimeoutError("Timeout connecting to " + endpoint_ + ": TLS handshake did not finish in time" +
                                       tls_failure_hint(facts));
                }
                if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
                    facts.peer_aborted = true;
                    reason = std::string("connection closed during the handshake") +
                             (saved_errno != 0 ? std::string(" (") + std::strerror(saved_errno) + ")" : "");
                } else {
                    auto errors = take_openssl_errors();
                    facts.peer_aborted = errors.peer_alert;
                    facts.not_tls = errors.not_tls;
                    reason = std::move(errors.text);
                }
                reason += tls_failure_hint(facts);
            }
            SSL_free(ssl_);
            throw ConnectionError("TLS handshake with " + endpoint_ + " failed: " + reason);
        }
        // Only the handshake's bytes are of interest.
        BIO_set_callback_ex(socket_bio, nullptr);
    }

    ~TlsTransport() override { SSL_free(ssl_); }
    TlsTransport(const TlsTransport&) = delete;
    TlsTransport& operator=(const TlsTransport&) = delete;

    void write_all(std::string_view bytes) override {
        SigpipeGuard guard;
        while (!bytes.empty()) {
            ERR_clear_error();
            const int written = SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 30)));
            if (written > 0) {
                bytes.remove_prefix(static_cast<std::size_t>(written));
                continue;
            }
            fail_io(written, "writing to");
        }
    }

    std::size_t read_some(std::span<char> buffer) override {
        ERR_clear_error();
        const int read = SSL_read(ssl_, buffer.data(), static_cast<int>(std::min<std::size_t>(buffer.size(), 1 << 30)));
        if (read > 0) {
            received_data_ = true;
            return static_cast<std::size_t>(read);
        }
        fail_io(read, "reading from");
    }

    std::size_t read_available(std::span<char> buffer) override {
        // A record may be decrypted already, or its bytes be waiting on the
        // socket; either way SSL_read returns without waiting for the node
        // (at most for the rest of a record that has begun to arrive).
        if (SSL_pending(ssl_) > 0 || readable_now(socket_.get())) return read_some(buffer);
        return 0;
    }

    [[nodiscard]] int fd() const noexcept override { return socket_.get(); }

private:
    [[noreturn]] void fail_io(int result, const char* action) {
        const int saved_errno = errno;
        const int error = SSL_get_error(ssl_, result);
        if (error == SSL_ERROR_ZERO_RETURN) {
            throw ConnectionError("Connection closed by server " + endpoint_ + first_reply_hint(true));
        }
        if ((error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_SYSCALL) &&
            (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
            throw TimeoutError(std::string("Timeout ") + action + " " + endpoint_ + " (socket_timeout)");
        }
        if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
            throw ConnectionError(std::string("Error ") + action + " " + endpoint_ + ": " +
                                  (saved_errno != 0 ? std::strerror(saved_errno) : "connection closed") +
                                  first_reply_hint(true));
        }
        const auto errors = take_openssl_errors();
        throw ConnectionError(std::string("TLS error ") + action + " " + endpoint_ + ": " + errors.text +
                              first_reply_hint(errors.peer_alert));
    }

    // With TLS 1.3 the client's handshake ends before the server has
    // checked the client's certificate: a server that requires one and got
    // none sends its alert (or resets the connection) only in answer to the
    // first command.
    [[nodiscard]] std::string first_reply_hint(bool peer_aborted) const {
        if (received_data_) return "";
        return tls_failure_hint({.peer_aborted = peer_aborted,
                                 .handshake_complete = true,
                                 .certificate_requested = handshake_.certificate_requested,
                                 .have_certificate = have_certificate_});
    }

    SocketHandle socket_;
    std::shared_ptr<const TlsContext> context_;
    std::string endpoint_;
    bool have_certificate_;
    HandshakeRecord handshake_;  // outlives ssl_, which points to it
    bool received_data_ = false;  // a read has returned data since the handshake
    SSL* ssl_ = nullptr;
};

}  // namespace

std::shared_ptr<const TlsContext> tls_context_for(const ConnectionOptions& options) {
    // Loading certificates costs milliseconds: connections with the same
    // TLS settings share one context while any of them is alive.
    using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
    static std::mutex mutex;
    static std::map<Key, std::weak_ptr<const TlsContext>> cache;
    const Key key{options.ssl_cert_reqs, options.ssl_ca_certs.value_or(""), options.ssl_certfile.value_or(""),
                  options.ssl_keyfile.value_or(""), options.ssl_password.value_or("")};
    std::lock_guard lock(mutex);
    if (auto existing = cache[key].lock()) return existing;
    auto context = build_context(options);
    cache[key] = context;
    return context;
}

std::unique_ptr<Transport> make_tls_transport(SocketHandle socket, std::shared_ptr<const TlsContext> context,
                                              const ConnectionOptions& options, std::string endpoint) {
    return std::make_unique<TlsTransport>(std::move(socket), std::move(context), options, std::move(endpoint));
}

}  // namespace rediscluster::detail
