#pragma once

// A byte stream to a node: plain TCP or TLS. Errors are the library's typed
// exceptions naming the endpoint.

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "detail/busy_poll.hpp"
#include "detail/socket.hpp"

namespace rediscluster {
struct ConnectionOptions;
}

namespace rediscluster::detail {

class Transport {
public:
    virtual ~Transport() = default;
    /// Writes all of `bytes`.
    virtual void write_all(std::string_view bytes) = 0;
    /// Reads at least one byte into `buffer`; returns how many.
    virtual std::size_t read_some(std::span<char> buffer) = 0;
    /// Reads what has arrived into `buffer` without waiting; 0 when nothing has.
    virtual std::size_t read_available(std::span<char> buffer) = 0;
    [[nodiscard]] virtual int fd() const noexcept = 0;

    /// Reads at least one byte into `buffer`, polling for up to `budget`
    /// (yielding the processor between polls) before it sleeps, when the
    /// recent polls of this connection say it is worth it.
    std::size_t receive(std::span<char> buffer, std::chrono::microseconds budget);

private:
    BusyPollPolicy busy_poll_;
};

std::unique_ptr<Transport> make_plain_transport(SocketHandle socket, std::string endpoint);

/// OpenSSL's state shared by every connection with the same TLS settings.
struct TlsContext;

/// The context for `options` (shared with other connections that have the
/// same TLS settings). Throws RedisClusterConfigError for unusable files.
std::shared_ptr<const TlsContext> tls_context_for(const ConnectionOptions& options);

/// Runs the TLS handshake on `socket` (whose timeouts bound it) and returns
/// the TLS transport. Throws ConnectionError (verification failures name
/// the reason) or TimeoutError.
std::unique_ptr<Transport> make_tls_transport(SocketHandle socket, std::shared_ptr<const TlsContext> context,
                                              const ConnectionOptions& options, std::string endpoint);

}  // namespace rediscluster::detail
