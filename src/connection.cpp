#include "rediscluster/connection.hpp"

#include "detail/socket.hpp"
#include "detail/text_decoding.hpp"
#include "detail/transport.hpp"
#include "rediscluster/error_reply.hpp"

namespace rediscluster {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// Polling a socket for longer than this is surely a mistake: a caller that
// wants to wait that long loses nothing by sleeping.
constexpr std::chrono::microseconds kMaxBusyPoll = std::chrono::milliseconds(100);

[[noreturn]] void invalid_option(const std::string& field, const std::string& value, const std::string& expected) {
    throw RedisClusterConfigError("invalid " + field + " " + value + ": " + expected);
}

void validate(const ConnectionOptions& options) {
    if (options.host.empty()) invalid_option("host", "''", "a host name or IP address is required");
    if (options.port == 0) invalid_option("port", "0", "expected 1..65535");
    if (options.db < 0) invalid_option("db", std::to_string(options.db), "must not be negative");
    if (options.socket_timeout && options.socket_timeout->count() <= 0) {
        invalid_option("socket_timeout", std::to_string(options.socket_timeout->count()) + " ms",
                       "must be positive (std::nullopt waits forever)");
    }
    if (options.socket_connect_timeout.count() <= 0) {
        invalid_option("socket_connect_timeout", std::to_string(options.socket_connect_timeout.count()) + " ms",
                       "must be positive");
    }
    if (options.busy_poll.count() < 0 || options.busy_poll > kMaxBusyPoll) {
        invalid_option("busy_poll", std::to_string(options.busy_poll.count()) + " us",
                       "expected 0 (off) to " + std::to_string(kMaxBusyPoll.count()) + " us");
    }
    if (options.protocol != 2 && options.protocol != 3) {
        invalid_option("protocol", std::to_string(options.protocol), "expected 2 (RESP2) or 3 (RESP3)");
    }
    const auto& keepalive = options.socket_keepalive_options;
    if ((keepalive.idle && keepalive.idle->count() <= 0) || (keepalive.interval && keepalive.interval->count() <= 0) ||
        (keepalive.count && *keepalive.count <= 0)) {
        invalid_option("socket_keepalive_options", "", "idle, interval and count must be positive");
    }
    (void)detail::parse_encoding(options.encoding);
    (void)detail::parse_decode_errors(options.encoding_errors);
    if (options.ssl_cert_reqs != "none" && options.ssl_cert_reqs != "optional" && options.ssl_cert_reqs != "required") {
        invalid_option("ssl_cert_reqs", "'" + options.ssl_cert_reqs + "'", "expected 'none', 'optional' or 'required'");
    }
    if (options.ssl_keyfile && !options.ssl_certfile) {
        invalid_option("ssl_keyfile", "'" + *options.ssl_keyfile + "'", "needs ssl_certfile too");
    }
    if (options.client_name && options.client_name->find_first_of(" \n\r") != std::string::npos) {
        invalid_option("client_name", "'" + *options.client_name + "'", "must not contain spaces or newlines");
    }
}

}  // namespace

Connection::Connection(ConnectionOptions options)
    : options_(std::move(options)), parser_(options_.parser_limits) {
    validate(options_);
    endpoint_ = options_.host + ":" + std::to_string(options_.port);
    encoding_ = static_cast<int>(detail::parse_encoding(options_.encoding));
    decode_errors_ = static_cast<int>(detail::parse_decode_errors(options_.encoding_errors));
}

Connection::~Connection() = default;

bool Connection::is_connected() const noexcept { return transport_ != nullptr; }

int Connection::native_handle() const noexcept { return transport_ ? transport_->fd() : -1; }

void Connection::disconnect() noexcept {
    transport_.reset();
    parser_.reset();
    pending_replies_ = 0;
}

void Connection::fail() noexcept { disconnect(); }

std::unique_ptr<detail::Transport> Connection::open_transport(detail::SocketHandle socket) {
    return detail::make_plain_transport(std::move(socket), endpoint_);
}

void Connection::connect() {
    if (transport_) return;
    connect_attempted_ = true;
    const auto deadline = detail::Clock::now() + options_.socket_connect_timeout;
    try {
        auto socket = detail::connect_tcp(options_.host, options_.port, deadline);
        const int fd = socket.get();
        if (options_.socket_keepalive) {
            const auto& keepalive = options_.socket_keepalive_options;
            detail::enable_keepalive(fd, keepalive.idle, keepalive.interval, keepalive.count);
        }
        // The TLS handshake and on_connect share what is left of the
        // connect budget.
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - detail::Clock::now());
        detail::set_io_timeout(fd, std::max(left, std::chrono::milliseconds(1)));
        transport_ = open_transport(std::move(socket));
        on_connect();
        detail::set_io_timeout(transport_->fd(), options_.socket_timeout);
    } catch (const TimeoutError& e) {
        disconnect();
        const std::string what = e.what();
        if (what.starts_with("Timeout connecting")) throw;
        throw TimeoutError("Timeout connecting to " + endpoint_ + " (socket_connect_timeout): " + what);
    } catch (...) {
        disconnect();
        throw;
    }
}

Reply Connection::handshake_command(std::string_view step, std::initializer_list<std::string_view> command) {
    // Its own buffer: on_connect runs inside send_packed_command, whose
    // argument may be command_buffer_ itself.
    std::string packed;
    encode_command_range(packed, command);
    transport_->write_all(packed);
    ++pending_replies_;
    try {
        return read_response();
    } catch (const AuthenticationError& e) {
        // The server's text alone ("WRONGPASS ...") does not say which
        // node refused.
        throw AuthenticationError(std::string(step) + " failed on " + endpoint_ + ": " + e.what());
    } catch (const ResponseError& e) {
        throw ConnectionError(std::string(step) + " failed on " + endpoint_ + ": " + e.what());
    }
}

void Connection::on_connect() {
    if (options_.protocol == 3) {
        hello();
    } else if (options_.password) {
        if (options_.username) {
            (void)handshake_command("AUTH", {"AUTH", *options_.username, *options_.password});
        } else {
            (void)handshake_command("AUTH", {"AUTH", *options_.password});
        }
    }
    if (options_.client_name && options_.protocol != 3) {
        (void)handshake_command("CLIENT SETNAME", {"CLIENT", "SETNAME", *options_.client_name});
    }
    if (options_.db != 0) {
        const auto db = std::to_string(options_.db);
        (void)handshake_command("SELECT " + db, {"SELECT", db});
    }
}

// HELLO 3 with the credentials and the name: one round trip where RESP2
// takes up to three.
void Connection::hello() {
    std::vector<std::string_view> command{"HELLO", "3"};
    if (options_.password) {
        command.insert(command.end(), {"AUTH", options_.username ? std::string_view(*options_.username) : "default",
                                       *options_.password});
    }
    if (options_.client_name) command.insert(command.end(), {"SETNAME", *options_.client_name});
    std::string packed;
    encode_command_range(packed, command);
    transport_->write_all(packed);
    ++pending_replies_;
    try {
        (void)read_response();
    } catch (const AuthenticationError& e) {
        throw AuthenticationError("HELLO 3 failed on " + endpoint_ + ": " + e.what());
    } catch (const ResponseError& e) {
        throw RedisClusterConfigError("protocol 3: the server at " + endpoint_ + " refused HELLO 3 (" + e.what() +
                                      "); it needs Redis 6 or later, or use protocol 2");
    }
}

void Connection::send_packed_command(std::string_view packed, std::size_t command_count) {
    connect();
    try {
        transport_->write_all(packed);
    } catch (...) {
        fail();
        throw;
    }
    pending_replies_ += command_count;
}

void Connection::read_reply(Reply& out) {
    if (!transport_) {
        throw ConnectionError("Connection to " + endpoint_ + " is closed: no reply to read");
    }
    try {
        for (;;) {
            while (!parser_.next(out)) {
                const auto space = parser_.prepare(kReadChunk);
                parser_.commit(transport_->receive(space, options_.busy_poll));
            }
            // A push may come between any two replies under RESP3; it
            // answers no command, so the wait goes on for the reply.
            if (out.type() != ReplyType::Push) [[likely]] break;
            deliver_push(out);
        }
    } catch (...) {
        fail_reading();
    }
    finish_reply(out);
}

void Connection::fail_reading() {
    // Part of the reply arrived: the command ran. Say so, so that nobody
    // sends it again believing it was lost. Part of a push says nothing of
    // the kind: the reply had not begun.
    const bool partial = (parser_.in_progress() || parser_.buffered() > 0) && !parser_.push_in_progress();
    fail();
    try {
        throw;
    } catch (const ConnectionError& e) {
        if (partial) throw IncompleteReplyError(std::string(e.what()) + " in the middle of a reply");
        throw;
    }
}

void Connection::read_reply(Reply& out, std::optional<std::chrono::milliseconds> timeout) {
    if (!transport_ || timeout == options_.socket_timeout) {
        read_reply(out);
        return;
    }
    detail::set_io_timeout(transport_->fd(), timeout);
    read_reply(out);  // a failure closes the connection, timeout and all
    detail::set_io_timeout(transport_->fd(), options_.socket_timeout);
}

bool Connection::read_buffered_reply(Reply& out) {
    if (!transport_) return false;
    try {
        for (;;) {
            if (!parser_.next(out)) return false;
            if (out.type() != ReplyType::Push) [[likely]] break;
            deliver_push(out);
        }
    } catch (...) {
        fail();
        throw;
    }
    finish_reply(out);
    return true;
}

bool Connection::read_available_frame(Reply& out) {
    if (!transport_) {
        throw ConnectionError("Connection to " + endpoint_ + " is closed: nothing to read");
    }
    try {
        // Reads until a frame is whole or the socket has nothing more, so
        // that a false return leaves nothing behind that poll() would not
        // report (a TLS record already decrypted included).
        while (!parser_.next(out)) {
            const auto space = parser_.prepare(kReadChunk);
            const auto received = transport_->read_available(space);
            parser_.commit(received);
            if (received == 0) return false;
        }
    } catch (...) {
        fail_reading();
    }
    decode(out);
    return true;
}

void Connection::deliver_push(Reply& push) {
    if (!push_handler_) return;
    decode(push);
    push_handler_(push);
}

void Connection::decode(Reply& out) const {
    if (options_.decode_responses && !out.is_error()) {
        detail::decode_reply(out, static_cast<detail::TextEncoding>(encoding_),
                             static_cast<detail::DecodeErrors>(decode_errors_));
    }
}

void Connection::finish_reply(Reply& out) {
    if (pending_replies_ > 0) --pending_replies_;
    decode(out);
}

void Connection::read_response(Reply& out) {
    read_reply(out);
    if (out.is_error()) throw_error_reply(out.str(), options_.host);
}

Reply Connection::read_response() {
    Reply reply;
    read_response(reply);
    return reply;
}

std::vector<Reply> Connection::read_responses(std::size_t count) {
    std::vector<Reply> replies(count);
    for (auto& reply : replies) read_reply(reply);
    return replies;
}

Reply Connection::execute_packed(std::string_view packed) {
    try {
        send_packed_command(packed, 1);
        return read_response();
    } catch (const TimeoutError&) {
        if (!options_.retry_on_timeout) throw;
    }
    // The timed-out connection was closed; one retry on a fresh one.
    send_packed_command(packed, 1);
    return read_response();
}

ClusterConnection::ClusterConnection(ConnectionOptions options) : Connection(std::move(options)) {}

void ClusterConnection::on_connect() {
    Connection::on_connect();
    if (options().readonly) {
        try {
            (void)handshake_command("READONLY", {"READONLY"});
        } catch (const AuthenticationError&) {
            throw;
        } catch (const BusyLoadingError&) {
            throw;  // a loading replica: the caller may retry elsewhere
        } catch (const ConnectionError& e) {
            throw ConnectionError(std::string("READONLY command failed: ") + e.what());
        }
    }
}

SSLClusterConnection::SSLClusterConnection(ConnectionOptions options)
    : ClusterConnection(std::move(options)), tls_(detail::tls_context_for(this->options())) {}

SSLClusterConnection::~SSLClusterConnection() = default;

std::unique_ptr<detail::Transport> SSLClusterConnection::open_transport(detail::SocketHandle socket) {
    return detail::make_tls_transport(std::move(socket), tls_, options(), endpoint());
}

}  // namespace rediscluster
