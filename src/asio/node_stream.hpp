#pragma once

// The byte stream of a NodeConnection: a plain TCP socket, or TLS over one
// (asio::ssl) when the client has a TlsClientContext. The connection code
// calls the same few functions either way; what TLS adds (the handshake
// after the connect, the descriptions of its failures) is here.

#include <asio/bind_executor.hpp>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/error.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>

#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "detail/tls_session.hpp"
#include "rediscluster/connection.hpp"

namespace rediscluster::asio {

/// One client's TLS settings, shared by all its connections: an
/// asio::ssl::context set up by the blocking client's rules
/// (configure_tls_client_context).
class TlsClientContext {
public:
    /// Throws RedisClusterConfigError naming the option and the file, as
    /// SSLClusterConnection's constructor does.
    explicit TlsClientContext(const ConnectionOptions& options);

    [[nodiscard]] ::asio::ssl::context& context() noexcept { return context_; }

private:
    ::asio::ssl::context context_;
};

class NodeStream {
public:
    using Socket = ::asio::ip::tcp::socket;

    /// Plain when `tls` is null. `options` are the node's (host, TLS).
    NodeStream(const ::asio::any_io_executor& executor, std::shared_ptr<TlsClientContext> tls,
               ConnectionOptions options, std::string endpoint);

    [[nodiscard]] bool is_tls() const noexcept { return tls_ != nullptr; }
    /// The TCP socket under the stream.
    Socket& socket() noexcept { return tls_stream_ ? tls_stream_->next_layer() : socket_; }
    void close() noexcept {
        std::error_code ignored;
        socket().close(ignored);
    }

    /// Connects to one of `endpoints`; with TLS, on a new TLS stream, since
    /// one that has failed or been closed cannot be used again.
    template <class Endpoints, class Handler>
    void async_connect(const Endpoints& endpoints, Handler&& handler) {
        if (!tls_) {
            ::asio::async_connect(socket_, endpoints, std::forward<Handler>(handler));
            return;
        }
        renew_tls_stream();
        ::asio::async_connect(tls_stream_->next_layer(), endpoints, holding_stream(std::forward<Handler>(handler)));
    }

    /// The TLS handshake, on a connected socket of a TLS stream.
    template <class Handler>
    void async_handshake(Handler&& handler) {
        tls_stream_->async_handshake(::asio::ssl::stream_base::client, holding_stream(std::forward<Handler>(handler)));
    }
    /// After a successful handshake.
    void handshake_done();

    template <class Buffer, class Handler>
    void async_write(const Buffer& buffer, Handler&& handler) {
        if (tls_stream_) {
            ::asio::async_write(*tls_stream_, buffer, holding_stream(std::forward<Handler>(handler)));
        } else {
            ::asio::async_write(socket_, buffer, std::forward<Handler>(handler));
        }
    }

    /// Plain TCP: writes at once what the socket takes without waiting
    /// (0, and no error, when it takes nothing). TLS: 0; its writes go
    /// through async_write.
    std::size_t write_now(std::string_view bytes, std::error_code& code) {
        code.clear();
        if (tls_stream_) return 0;
        if (!socket_.non_blocking()) {
            socket_.non_blocking(true, code);
            if (code) return 0;
        }
        const auto written = socket_.write_some(::asio::buffer(bytes.data(), bytes.size()), code);
        if (code == ::asio::error::would_block || code == ::asio::error::try_again) {
            code.clear();
            return 0;
        }
        return written;
    }

    template <class Buffer, class Handler>
    void async_read_some(const Buffer& buffer, Handler&& handler) {
        if (!tls_stream_) {
            socket_.async_read_some(buffer, std::forward<Handler>(handler));
            return;
        }
        auto executor = ::asio::get_associated_executor(handler, socket_.get_executor());
        // Holds its stream, as holding_stream() does.
        auto done = [this, stream = tls_stream_, handler = std::forward<Handler>(handler)](std::error_code code,
                                                                                         std::size_t size) mutable {
            if (size > 0 && stream == tls_stream_) received_data_ = true;
            // A server that closes without TLS's close_notify (as a Redis
            // server does) has closed the connection all the same.
            if (code == ::asio::ssl::error::stream_truncated) code = ::asio::error::eof;
            std::move(handler)(code, size);
        };
        tls_stream_->async_read_some(buffer, ::asio::bind_executor(executor, std::move(done)));
    }

    /// "TLS handshake with <node> failed: <reason>", with the hint of
    /// tls_hints.hpp when the facts suggest one: the blocking client's words.
    [[nodiscard]] std::string handshake_failure(std::error_code code);
    /// "Timeout connecting to <node>: TLS handshake did not finish in time", with its hint.
    [[nodiscard]] std::string handshake_timeout() const;
    /// For a TLS connection that fails before its first reply: the hint
    /// (" (...)") when the server probably wanted a client certificate.
    [[nodiscard]] std::string first_reply_hint(std::error_code code) const;

private:
    using TlsStream = ::asio::ssl::stream<Socket>;

    void renew_tls_stream();

    // `handler`, holding the TLS stream its operation works on: a stream
    // replaced by a new connect goes only once its last operation is over
    // (an operation refers to its stream until it completes, cancelled
    // ones included).
    template <class Handler>
    auto holding_stream(Handler&& handler) {
        auto executor = ::asio::get_associated_executor(handler, socket_.get_executor());
        return ::asio::bind_executor(
            executor, [stream = tls_stream_, handler = std::forward<Handler>(handler)](auto&&... args) mutable {
                std::move(handler)(std::forward<decltype(args)>(args)...);
            });
    }

    std::shared_ptr<TlsClientContext> tls_;
    ConnectionOptions options_;
    std::string endpoint_;
    Socket socket_;  // plain connections only
    // Before tls_stream_, which points to it until the handshake is over.
    rediscluster::detail::TlsHandshakeRecord record_;
    std::shared_ptr<TlsStream> tls_stream_;
    bool received_data_ = false;  // a read has returned data since the handshake
};

}  // namespace rediscluster::asio
