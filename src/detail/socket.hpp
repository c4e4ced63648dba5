#pragma once

// TCP sockets with deadlines: connecting (name resolution included) within a
// time budget, per-call read/write timeouts, keepalive. Errors are the
// library's typed exceptions naming the endpoint.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rediscluster::detail {

using Clock = std::chrono::steady_clock;

/// A file descriptor closed on destruction.
class SocketHandle {
public:
    SocketHandle() = default;
    explicit SocketHandle(int fd) noexcept : fd_(fd) {}
    SocketHandle(SocketHandle&& other) noexcept : fd_(other.release()) {}
    SocketHandle& operator=(SocketHandle&& other) noexcept;
    SocketHandle(const SocketHandle&) = delete;
    SocketHandle& operator=(const SocketHandle&) = delete;
    ~SocketHandle() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    int release() noexcept {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset() noexcept;

private:
    int fd_ = -1;
};

/// True for an IPv4 or IPv6 literal (brackets allowed).
bool is_ip_literal(std::string_view host);

/// Resolves `host` (no DNS for IP literals) and connects to the first
/// address that accepts, all before `deadline`. The socket is blocking,
/// with TCP_NODELAY. Throws TimeoutError or ConnectionError naming
/// host:port and the reason.
SocketHandle connect_tcp(const std::string& host, std::uint16_t port, Clock::time_point deadline);

/// Per-call receive and send timeouts (SO_RCVTIMEO/SO_SNDTIMEO); nullopt
/// waits forever.
void set_io_timeout(int fd, std::optional<std::chrono::milliseconds> timeout);

/// SO_KEEPALIVE plus, where given, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT.
void enable_keepalive(int fd, std::optional<std::chrono::seconds> idle, std::optional<std::chrono::seconds> interval,
                      std::optional<int> count);

/// Sends all of `bytes` (MSG_NOSIGNAL: a closed peer never raises SIGPIPE).
/// Throws TimeoutError when a send times out, ConnectionError otherwise.
void send_all(int fd, std::string_view bytes, const std::string& endpoint);

/// Receives what is available into `buffer` (at least one byte). Throws
/// ConnectionError when the peer closed, TimeoutError on timeout.
std::size_t receive_some(int fd, std::span<char> buffer, const std::string& endpoint);

/// receive_some() without waiting: 0 when nothing has arrived.
std::size_t receive_available(int fd, std::span<char> buffer, const std::string& endpoint);

/// Whether `fd` has bytes to read (or a close or an error to report) now.
[[nodiscard]] bool readable_now(int fd) noexcept;

}  // namespace rediscluster::detail
