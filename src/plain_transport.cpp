#include "detail/transport.hpp"

namespace rediscluster::detail {
namespace {

class PlainTransport final : public Transport {
public:
    PlainTransport(SocketHandle socket, std::string endpoint)
        : socket_(std::move(socket)), endpoint_(std::move(endpoint)) {}

    void write_all(std::string_view bytes) override { send_all(socket_.get(), bytes, endpoint_); }
    std::size_t read_some(std::span<char> buffer) override { return receive_some(socket_.get(), buffer, endpoint_); }
    std::size_t read_available(std::span<char> buffer) override {
        return receive_available(socket_.get(), buffer, endpoint_);
    }
    [[nodiscard]] int fd() const noexcept override { return socket_.get(); }

private:
    SocketHandle socket_;
    std::string endpoint_;
};

}  // namespace

std::unique_ptr<Transport> make_plain_transport(SocketHandle socket, std::string endpoint) {
    return std::make_unique<PlainTransport>(std::move(socket), std::move(endpoint));
}

}  // namespace rediscluster::detail
