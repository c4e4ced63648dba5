#include "node_stream.hpp"

#include <openssl/err.h>

#include "detail/tls_hints.hpp"

namespace rediscluster::asio {

namespace core = rediscluster::detail;

TlsClientContext::TlsClientContext(const ConnectionOptions& options) : context_(::asio::ssl::context::tls_client) {
    // Asio's context takes the passphrase callback's data for its own (its
    // destructor deletes it): the callback goes once the key is loaded,
    // or has failed to load.
    struct ForgetPassword {
        SSL_CTX* ctx;
        ~ForgetPassword() {
            SSL_CTX_set_default_passwd_cb(ctx, nullptr);
            SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
        }
    };
    std::string password;
    const ForgetPassword forget{context_.native_handle()};
    core::configure_tls_client_context(context_.native_handle(), options, password);
}

NodeStream::NodeStream(const ::asio::any_io_executor& executor, std::shared_ptr<TlsClientContext> tls,
                       ConnectionOptions options, std::string endpoint)
    : tls_(std::move(tls)), options_(std::move(options)), endpoint_(std::move(endpoint)), socket_(executor) {}

void NodeStream::renew_tls_stream() {
    // The old stream may outlive this call (see holding_stream()): it
    // stops writing to the record first.
    if (tls_stream_) core::end_tls_handshake_record(tls_stream_->native_handle());
    record_ = {};
    received_data_ = false;
    tls_stream_ = std::make_shared<TlsStream>(socket_.get_executor(), tls_->context());
    core::begin_tls_session(tls_stream_->native_handle(), options_, record_);
}

void NodeStream::handshake_done() { core::end_tls_handshake_record(tls_stream_->native_handle()); }

std::string NodeStream::handshake_failure(std::error_code code) {
    std::string reason = core::tls_verify_failure(tls_stream_->native_handle());
    if (reason.empty()) {  // else clear enough as it is: no hint
        core::TlsFailureFacts facts{.first_bytes = record_.received(),
                                    .certificate_requested = record_.certificate_requested,
                                    .have_certificate = options_.ssl_certfile.has_value()};
        if (code.category() == ::asio::error::get_ssl_category()) {
            core::OpensslErrors errors;
            core::add_openssl_error(errors, static_cast<unsigned int>(code.value()));
            facts.peer_aborted = errors.peer_alert;
            facts.not_tls = errors.not_tls;
            reason = std::move(errors.text);
        } else if (code == ::asio::error::eof || code == ::asio::ssl::error::stream_truncated ||
                   code == ::asio::error::connection_reset || code == ::asio::error::broken_pipe ||
                   code == ::asio::ssl::error::unspecified_system_error) {
            facts.peer_aborted = true;
            reason = "connection closed during the handshake";
            if (code != ::asio::error::eof && code != ::asio::ssl::error::stream_truncated) {
                reason += " (" + code.message() + ")";
            }
        } else {
            reason = code.message();
        }
        reason += core::tls_failure_hint(facts);
    }
    return "TLS handshake with " + endpoint_ + " failed: " + reason;
}

std::string NodeStream::handshake_timeout() const {
    return "Timeout connecting to " + endpoint_ + ": TLS handshake did not finish in time" +
           core::tls_failure_hint({.first_bytes = record_.received(),
                                   .timed_out = true,
                                   .certificate_requested = record_.certificate_requested,
                                   .have_certificate = options_.ssl_certfile.has_value()});
}

std::string NodeStream::first_reply_hint(std::error_code code) const {
    if (!tls_ || received_data_) return "";
    // With TLS 1.3 the client's handshake ends before the server has
    // checked the client's certificate: a server that requires one and got
    // none sends its alert (or closes the connection) only in answer to the
    // first command.
    bool peer_aborted = true;  // a close or a reset
    if (code.category() == ::asio::error::get_ssl_category()) {
        core::OpensslErrors errors;
        core::add_openssl_error(errors, static_cast<unsigned int>(code.value()));
        peer_aborted = errors.peer_alert;
    }
    return core::tls_failure_hint({.peer_aborted = peer_aborted,
                                   .handshake_complete = true,
                                   .certificate_requested = record_.certificate_requested,
                                   .have_certificate = options_.ssl_certfile.has_value()});
}

}  // namespace rediscluster::asio
