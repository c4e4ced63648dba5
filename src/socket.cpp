#include "detail/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "rediscluster/errors.hpp"

namespace rediscluster::detail {
namespace {

std::string describe_errno(int error) { return std::strerror(error); }

int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

struct AddrinfoDeleter {
    void operator()(addrinfo* info) const noexcept { freeaddrinfo(info); }
};
using AddrinfoList = std::unique_ptr<addrinfo, AddrinfoDeleter>;

// Name resolution bounded by the deadline (the lookup itself may finish
// later, unobserved).
AddrinfoList resolve(const std::string& host, std::uint16_t port, Clock::time_point deadline,
                     const std::string& endpoint) {
    std::string name = host;
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
    const std::string service = std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (is_ip_literal(name)) {
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
        addrinfo* found = nullptr;
        const int status = getaddrinfo(name.c_str(), service.c_str(), &hints, &found);
        if (status != 0) throw ConnectionError("Error connecting to " + endpoint + ": " + gai_strerror(status));
        return AddrinfoList(found);
    }
    // getaddrinfo cannot be interrupted, so it runs on a thread of its own
    // and we stop waiting at the deadline; an abandoned lookup frees its
    // own result when it finally returns.
    struct Lookup {
        std::mutex mutex;
        std::condition_variable finished;
        bool done = false;
        bool abandoned = false;
        int status = 0;
        addrinfo* result = nullptr;
    };
    auto lookup = std::make_shared<Lookup>();
    std::thread([lookup, name, service, hints] {
        addrinfo* found = nullptr;
        const int status = getaddrinfo(name.c_str(), service.c_str(), &hints, &found);
        std::lock_guard lock(lookup->mutex);
        if (lookup->abandoned) {
            if (found != nullptr) freeaddrinfo(found);
        } else {
            lookup->status = status;
            lookup->result = found;
        }
        lookup->done = true;
        lookup->finished.notify_all();
    }).detach();
    std::unique_lock lock(lookup->mutex);
    if (!lookup->finished.wait_until(lock, deadline, [&] { return lookup->done; })) {
        lookup->abandoned = true;
        throw TimeoutError("Timeout connecting to " + endpoint + ": name resolution did not finish in time");
    }
    if (lookup->status != 0) {
        throw ConnectionError("Error connecting to " + endpoint + ": cannot resolve '" + name +
                              "': " + gai_strerror(lookup->status));
    }
    return AddrinfoList(lookup->result);
}

void set_blocking(int fd, bool blocking) {
    const int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK));
}

}  // namespace

SocketHandle& SocketHandle::operator=(SocketHandle&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = other.release();
    }
    return *this;
}

void SocketHandle::reset() noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

bool is_ip_literal(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string text(host);
    unsigned char bytes[16];
    return inet_pton(AF_INET, text.c_str(), bytes) == 1 || inet_pton(AF_INET6, text.c_str(), bytes) == 1;
}

SocketHandle connect_tcp(const std::string& host, std::uint16_t port, Clock::time_point deadline) {
    const std::string endpoint = host + ":" + std::to_string(port);
    const auto addresses = resolve(host, port, deadline, endpoint);
    std::string last_error = "no address found";
    for (const addrinfo* address = addresses.get(); address != nullptr; address = address->ai_next) {
        SocketHandle socket(::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol));
        if (socket.get() < 0) {
            last_error = describe_errno(errno);
            continue;
        }
        set_blocking(socket.get(), false);
        int status = ::connect(socket.get(), address->ai_addr, address->ai_addrlen);
        if (status != 0 && errno == EINPROGRESS) {
            pollfd waiting{socket.get(), POLLOUT, 0};
            int ready = 0;
            do {
                ready = ::poll(&waiting, 1, remaining_ms(deadline));
            } while (ready < 0 && errno == EINTR);
            if (ready == 0) {
                throw TimeoutError("Timeout connecting to " + endpoint + " (socket_connect_timeout)");
            }
            int error = 0;
            socklen_t length = sizeof error;
            getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length);
            status = error == 0 ? 0 : -1;
            errno = error;
        }
        if (status != 0) {
            last_error = describe_errno(errno);
            continue;
        }
        set_blocking(socket.get(), true);
        const int on = 1;
        setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        return socket;
    }
    throw ConnectionError("Error connecting to " + endpoint + ": " + last_error);
}

void set_io_timeout(int fd, std::optional<std::chrono::milliseconds> timeout) {
    timeval value{};  // zero: wait forever
    if (timeout) {
        const auto ms = std::max<long long>(timeout->count(), 1);
        value.tv_sec = static_cast<time_t>(ms / 1000);
        value.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof value);
}

void enable_keepalive(int fd, std::optional<std::chrono::seconds> idle, std::optional<std::chrono::seconds> interval,
                      std::optional<int> count) {
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    if (idle) {
        const int value = static_cast<int>(idle->count());
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &value, sizeof value);
    }
    if (interval) {
        const int value = static_cast<int>(interval->count());
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &value, sizeof value);
    }
    if (count) {
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &*count, sizeof *count);
    }
}

void send_all(int fd, std::string_view bytes, const std::string& endpoint) {
    while (!bytes.empty()) {
        const auto sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) throw TimeoutError("Timeout writing to " + endpoint + " (socket_timeout)");
            throw ConnectionError("Error writing to " + endpoint + ": " + describe_errno(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
}

namespace {

// recv() with `flags`: what arrived, or 0 when it would have had to wait
// (the socket's timeout, or MSG_DONTWAIT). Throws when the peer closed.
std::size_t receive_with(int fd, std::span<char> buffer, const std::string& endpoint, int flags) {
    while (true) {
        const auto received = ::recv(fd, buffer.data(), buffer.size(), flags);
        if (received > 0) return static_cast<std::size_t>(received);
        if (received == 0) throw ConnectionError("Connection closed by server " + endpoint);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        throw ConnectionError("Error reading from " + endpoint + ": " + describe_errno(errno));
    }
}

}  // namespace

std::size_t receive_some(int fd, std::span<char> buffer, const std::string& endpoint) {
    const auto received = receive_with(fd, buffer, endpoint, 0);
    if (received == 0) throw TimeoutError("Timeout reading from " + endpoint + " (socket_timeout)");
    return received;
}

std::size_t receive_available(int fd, std::span<char> buffer, const std::string& endpoint) {
    return receive_with(fd, buffer, endpoint, MSG_DONTWAIT);
}

bool readable_now(int fd) noexcept {
    pollfd ready{fd, POLLIN, 0};
    return ::poll(&ready, 1, 0) > 0;
}

}  // namespace rediscluster::detail
