#pragma once

// Connections to one Redis node: ClusterConnection (TCP) and
// SSLClusterConnection (TLS), on a common Connection base.
//
// A connection connects lazily (on the first command) or on connect(); it
// runs on_connect() (AUTH, CLIENT SETNAME, SELECT, READONLY) once per
// connect; it writes each command (or batch) with one system call and reads
// through a buffered RESP parser. Error replies become the typed exceptions
// of error_reply.hpp, and leave the connection usable. Any I/O error,
// timeout or protocol error closes the connection (is_connected() turns
// false), so a pool never reuses a connection in an unknown state. Push
// frames (RESP3) that arrive where a reply is expected are not replies:
// reads skip them (see set_push_handler).
//
// Thread safety: a connection is used by one thread at a time. Different
// connections may be used concurrently.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster {

namespace detail {
class Transport;
class SocketHandle;
struct TlsContext;
}  // namespace detail

/// TCP keepalive tuning (socket_keepalive_options). Unset fields keep the
/// system's defaults.
struct KeepaliveOptions {
    /// Idle time before the first probe (TCP_KEEPIDLE).
    std::optional<std::chrono::seconds> idle = std::nullopt;
    /// Time between probes (TCP_KEEPINTVL).
    std::optional<std::chrono::seconds> interval = std::nullopt;
    /// Unanswered probes before the connection is dropped (TCP_KEEPCNT).
    std::optional<int> count = std::nullopt;
};

/// Options of a connection; the names are the spec's. Designated
/// initializers must follow this order.
struct ConnectionOptions {
    /// Host name or IP address of the node. Default "localhost".
    std::string host = "localhost";
    /// Port of the node. Default 6379.
    std::uint16_t port = 6379;
    /// Database number; a cluster only has 0 (SELECT is sent when not 0).
    int db = 0;
    /// ACL user name (Redis 6+); unset: AUTH with the password alone.
    std::optional<std::string> username = std::nullopt;
    /// Password; unset: no AUTH.
    std::optional<std::string> password = std::nullopt;
    /// Limit for each read and each write. Default 10 s; nullopt waits
    /// forever (then a frozen server blocks the caller).
    std::optional<std::chrono::milliseconds> socket_timeout = std::chrono::seconds(10);
    /// Low-latency reads: after a command is sent, the read of its reply
    /// polls the socket for up to this long, yielding the processor between
    /// polls, before it sleeps. Where waking a sleeping thread is expensive
    /// (virtual machines, replies crossing cores) this can cut the round
    /// trip two- to threefold, at the price of a busy core while a caller
    /// waits. A connection whose replies keep missing the budget stops
    /// polling for a while (the next 1, 2, 4... up to 256 reads sleep at
    /// once). Best with few threads per core; with many, they spend the
    /// polls taking the processor from each other. Default 0: off. At most
    /// 100 ms.
    std::chrono::microseconds busy_poll{0};
    /// Limit for connecting: name resolution, TCP connect, TLS handshake
    /// and on_connect together. Default 5 s.
    std::chrono::milliseconds socket_connect_timeout = std::chrono::seconds(5);
    /// Enable TCP keepalive probes. Default off.
    bool socket_keepalive = false;
    /// Keepalive tuning, used when socket_keepalive is on.
    KeepaliveOptions socket_keepalive_options = {};
    /// Retry a command that timed out, once, on a fresh connection (in
    /// execute()). Beware: the first attempt may have run on the server, so
    /// a non-idempotent command (INCR, LPUSH...) can run twice. Default off.
    bool retry_on_timeout = false;
    /// Text encoding for decode_responses: "utf-8" (default) or "latin-1".
    std::string encoding = "utf-8";
    /// What decode_responses does with bytes invalid in `encoding`:
    /// "strict" (DataError, default), "replace" (U+FFFD) or "ignore" (dropped).
    std::string encoding_errors = "strict";
    /// Check and convert string replies to UTF-8 text in `encoding`.
    /// Default off: replies are bytes.
    bool decode_responses = false;
    /// Send READONLY on connect, so a replica serves reads. Default off.
    bool readonly = false;
    /// CLIENT SETNAME on connect; unset: no name.
    std::optional<std::string> client_name = std::nullopt;
    /// TLS (SSLClusterConnection): "required" (default) or "optional" verify
    /// the server's certificate and fail when it does not verify (a server
    /// always presents one, so both behave alike); "none" skips verification.
    std::string ssl_cert_reqs = "required";
    /// CA certificates (PEM file) to verify the server with; unset: the
    /// system's store.
    std::optional<std::string> ssl_ca_certs = std::nullopt;
    /// Client certificate (PEM, may hold the chain), for servers that
    /// require one (tls-auth-clients).
    std::optional<std::string> ssl_certfile = std::nullopt;
    /// Client private key (PEM); unset: read from ssl_certfile.
    std::optional<std::string> ssl_keyfile = std::nullopt;
    /// Passphrase of an encrypted ssl_keyfile.
    std::optional<std::string> ssl_password = std::nullopt;
    /// Check that the server's certificate names `host` (a DNS name, or an
    /// IP address SAN for IP hosts). Default on, stricter than the Python
    /// original; applies only when the certificate is verified.
    bool ssl_check_hostname = true;
    /// Limits on reply sizes (see ParserLimits).
    ParserLimits parser_limits = {};
    /// The protocol the connection speaks: 2 (RESP2, the default) or 3.
    /// With 3, the handshake is one HELLO 3 (carrying AUTH and SETNAME) and
    /// replies come as RESP3 types (maps, sets, doubles, booleans...); a
    /// server that refuses HELLO 3 fails the connect with
    /// RedisClusterConfigError naming the node and its answer.
    int protocol = 2;
};

/// A connection to one Redis server. Usually used as ClusterConnection or
/// SSLClusterConnection.
class Connection {
public:
    /// Validates `options` (RedisClusterConfigError naming the field and
    /// value); does not connect.
    explicit Connection(ConnectionOptions options);
    virtual ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Connects and runs on_connect(), unless already connected. Throws
    /// ConnectionError, TimeoutError (socket_connect_timeout),
    /// AuthenticationError.
    void connect();
    /// Closes the connection; idempotent; drops replies in flight.
    void disconnect() noexcept;
    [[nodiscard]] bool is_connected() const noexcept;
    /// Whether a connect has been tried (by connect() or a first command),
    /// whatever came of it. A connection without one is as good as new,
    /// though is_connected() is false: a pool reuses it, while one that
    /// failed to connect or was closed after connecting is discarded.
    [[nodiscard]] bool connect_attempted() const noexcept { return connect_attempted_; }

    /// Runs after the socket (and TLS) is up: AUTH when a password is set,
    /// CLIENT SETNAME when client_name is set (with protocol 3, one HELLO 3
    /// carrying both), SELECT when db is not 0.
    /// Wrong credentials throw AuthenticationError("<step> failed on
    /// host:port: <server's text>"); any other refusal a ConnectionError
    /// naming the step and the node.
    virtual void on_connect();

    /// Sends one command (connecting first if needed).
    template <CommandArgument... Args>
    void send_command(const Args&... args) {
        command_buffer_.clear();
        encode_command(command_buffer_, args...);
        send_packed_command(command_buffer_, 1);
    }
    /// Sends one command whose arguments are a range.
    template <std::ranges::forward_range Range>
        requires CommandArgument<std::ranges::range_value_t<Range>>
    void send_command_range(const Range& args) {
        command_buffer_.clear();
        encode_command_range(command_buffer_, args);
        send_packed_command(command_buffer_, 1);
    }
    /// Sends already encoded commands (see encode_command) in one write:
    /// the batch primitive of pipelines. `command_count` replies are then
    /// expected.
    void send_packed_command(std::string_view packed, std::size_t command_count = 1);

    /// Reads the next reply. An error reply is thrown as its typed
    /// exception (the connection stays usable).
    [[nodiscard]] Reply read_response();
    /// Same, into `out`, reusing its storage.
    void read_response(Reply& out);
    /// Reads the next reply as it is, error replies included (as values of
    /// type Error), into `out`, reusing its storage.
    void read_reply(Reply& out);
    /// read_reply() with `timeout` in place of socket_timeout for this one
    /// reply (nullopt: no limit), for a command that blocks on the server
    /// for a time of its own (BLPOP key 30). The limit applies to each wait
    /// for bytes, as socket_timeout does; socket_timeout is back in force
    /// for what follows.
    void read_reply(Reply& out, std::optional<std::chrono::milliseconds> timeout);
    /// read_reply() if a whole reply has already arrived; false (without
    /// waiting) when not.
    bool read_buffered_reply(Reply& out);
    /// The next frame (a reply or a RESP3 push) if one has arrived whole,
    /// reading what the node has sent without waiting for more; false when
    /// no whole frame is there yet. For a subscriber, whose frames come
    /// unasked: it does not count them against pending_replies(). Fails
    /// and closes like read_reply().
    bool read_available_frame(Reply& out);

    /// Receives the push frames (RESP3 '>': client-tracking invalidations,
    /// pub/sub messages, DEBUG PROTOCOL push...) that arrive where a reply
    /// is expected. A push is not the reply to any command, so the reads
    /// above skip it: it is handed here (decoded like a reply under
    /// decode_responses) and the read goes on for the reply. The handler
    /// runs on the reading thread, inside the read; it may move from the
    /// Reply. An exception it throws (or a push that does not decode under
    /// "strict") closes the connection, like any failure inside a read, and
    /// reaches the reader. Default (empty): pushes are dropped.
    /// Kept across reconnects. A connection that breaks in the middle of a
    /// push throws ConnectionError, not IncompleteReplyError: the reply had
    /// not begun.
    void set_push_handler(std::function<void(Reply& push)> handler) { push_handler_ = std::move(handler); }
    /// Reads `count` replies in order; error replies are returned as values,
    /// so one failed command does not hide the others' replies.
    [[nodiscard]] std::vector<Reply> read_responses(std::size_t count);

    /// Sends one command and reads its reply. With retry_on_timeout, a
    /// timeout is retried once on a fresh connection.
    template <CommandArgument... Args>
    Reply execute(const Args&... args) {
        command_buffer_.clear();
        encode_command(command_buffer_, args...);
        return execute_packed(command_buffer_);
    }
    /// execute() for a range of arguments.
    template <std::ranges::forward_range Range>
        requires CommandArgument<std::ranges::range_value_t<Range>>
    Reply execute_range(const Range& args) {
        command_buffer_.clear();
        encode_command_range(command_buffer_, args);
        return execute_packed(command_buffer_);
    }
    /// Sends `packed` (one encoded command) and reads its reply, with the
    /// retry_on_timeout rule.
    Reply execute_packed(std::string_view packed);

    /// Replies sent for and not yet read.
    [[nodiscard]] std::size_t pending_replies() const noexcept { return pending_replies_; }
    [[nodiscard]] const ConnectionOptions& options() const noexcept { return options_; }
    [[nodiscard]] const std::string& host() const noexcept { return options_.host; }
    [[nodiscard]] std::uint16_t port() const noexcept { return options_.port; }
    /// "host:port"
    [[nodiscard]] const std::string& endpoint() const noexcept { return endpoint_; }
    /// The socket descriptor, -1 when not connected (for inspection only).
    [[nodiscard]] int native_handle() const noexcept;

protected:
    /// Wraps the connected socket in a transport: plain here, TLS in
    /// SSLClusterConnection. Runs within the connect deadline.
    virtual std::unique_ptr<detail::Transport> open_transport(detail::SocketHandle socket);
    /// Sends one command during on_connect and returns its reply; a
    /// failure becomes ConnectionError("<step> failed on host:port: ...").
    Reply handshake_command(std::string_view step, std::initializer_list<std::string_view> command);

private:
    void fail() noexcept;
    // The handshake of protocol 3 (HELLO 3 with AUTH and SETNAME).
    void hello();
    // Inside a catch handler of a read: closes the connection and throws
    // again, as IncompleteReplyError when a reply had begun to arrive.
    [[noreturn]] void fail_reading();
    // Text decoding of a reply or push, under decode_responses.
    void decode(Reply& out) const;
    void finish_reply(Reply& out);
    // Hands a push that arrived in place of a reply to the push handler.
    void deliver_push(Reply& push);

    ConnectionOptions options_;
    std::string endpoint_;
    std::unique_ptr<detail::Transport> transport_;
    ReplyParser parser_;
    std::string command_buffer_;
    std::function<void(Reply&)> push_handler_;
    std::size_t pending_replies_ = 0;
    bool connect_attempted_ = false;
    int encoding_ = 0;
    int decode_errors_ = 0;
};

/// A TCP connection to a cluster node. With `readonly`, on_connect also
/// sends READONLY (once per connection), so a replica serves reads; a
/// refusal is ConnectionError("READONLY command failed: ...").
class ClusterConnection : public Connection {
public:
    explicit ClusterConnection(ConnectionOptions options);
    void on_connect() override;
};

/// A TLS connection to a cluster node (OpenSSL). The TLS settings are
/// checked when the connection is built: unreadable certificates or keys,
/// or a wrong ssl_password, throw RedisClusterConfigError naming the file.
/// A server whose certificate does not verify is refused with
/// ConnectionError("... certificate verify failed: <reason>"). SNI is sent
/// for host names, never for IP addresses. A failure before the first reply
/// that looks like a TLS mismatch (no client certificate for a server that
/// asked for one, an answer that is not TLS, silence from a plain port)
/// ends its message with a hint in parentheses; a plain ClusterConnection
/// reset or closed before its first reply hints that the port may require
/// TLS. The exception types stay the same.
class SSLClusterConnection : public ClusterConnection {
public:
    explicit SSLClusterConnection(ConnectionOptions options);
    ~SSLClusterConnection() override;

protected:
    std::unique_ptr<detail::Transport> open_transport(detail::SocketHandle socket) override;

private:
    std::shared_ptr<const detail::TlsContext> tls_;
};

}  // namespace rediscluster
