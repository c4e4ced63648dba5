#include <typeinfo>

#include "detail/tls_hints.hpp"
#include "detail/transport.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {
namespace {

class PlainTransport final : public Transport {
public:
    PlainTransport(SocketHandle socket, std::string endpoint)
        : socket_(std::move(socket)), endpoint_(std::move(endpoint)) {}

    void write_all(std::string_view bytes) override {
        try {
            send_all(socket_.get(), bytes, endpoint_);
        } catch (const ConnectionError& e) {
            explain(e);
        }
    }
    std::size_t read_some(std::span<char> buffer) override {
        try {
            const auto received = receive_some(socket_.get(), buffer, endpoint_);
            received_data_ = true;
            return received;
        } catch (const ConnectionError& e) {
            explain(e);
        }
    }
    std::size_t read_available(std::span<char> buffer) override {
        try {
            const auto received = receive_available(socket_.get(), buffer, endpoint_);
            if (received > 0) received_data_ = true;
            return received;
        } catch (const ConnectionError& e) {
            explain(e);
        }
    }
    [[nodiscard]] int fd() const noexcept override { return socket_.get(); }

private:
    // A TLS-only port drops a plain client at its first bytes (they are not
    // a TLS hello): a reset or close before anything came back gets a hint.
    // Later, the same error means something else.
    [[noreturn]] void explain(const ConnectionError& error) const {
        if (received_data_ || typeid(error) != typeid(ConnectionError)) throw;
        throw ConnectionError(error.what() + std::string(kPlainClientOnTlsPortHint));
    }

    SocketHandle socket_;
    std::string endpoint_;
    bool received_data_ = false;
};

}  // namespace

std::unique_ptr<Transport> make_plain_transport(SocketHandle socket, std::string endpoint) {
    return std::make_unique<PlainTransport>(std::move(socket), std::move(endpoint));
}

}  // namespace rediscluster::detail
