// TLS with OpenSSL for the blocking connections; the rules both clients
// follow are in tls_session.cpp.

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "detail/tls_hints.hpp"
#include "detail/tls_session.hpp"
#include "detail/transport.hpp"
#include "rediscluster/connection.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {

struct TlsContext {
    SSL_CTX* ctx = nullptr;
    std::string password;  // for the key's passphrase callback

    TlsContext() = default;
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;
    ~TlsContext() { SSL_CTX_free(ctx); }
};

namespace {

std::string openssl_errors() { return take_openssl_errors().text; }

std::shared_ptr<const TlsContext> build_context(const ConnectionOptions& options) {
    auto context = std::make_shared<TlsContext>();
    context->ctx = SSL_CTX_new(TLS_client_method());
    if (context->ctx == nullptr) throw ConnectionError("cannot create a TLS context: " + openssl_errors());
    configure_tls_client_context(context->ctx, options, context->password);
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
        begin_tls_session(ssl_, options, handshake_);
        const int result = [&] {
            SigpipeGuard guard;
            return SSL_connect(ssl_);
        }();
        if (result != 1) {
            const int saved_errno = errno;
            std::string reason = tls_verify_failure(ssl_);
            TlsFailureFacts facts{.first_bytes = handshake_.received(),
                                          .certificate_requested = handshake_.certificate_requested,
                                          .have_certificate = have_certificate_};
            if (reason.empty()) {  // else clear enough as it is: no hint
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
        end_tls_handshake_record(ssl_);
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
    TlsHandshakeRecord handshake_;  // outlives ssl_, which points to it
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
