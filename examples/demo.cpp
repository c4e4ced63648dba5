// The demo run by the README's first command, against the local cluster.
//
// It talks to the cluster through the library's codec on plain sockets:
// asks one node for CLUSTER SLOTS, routes keys by key_slot() to the node
// that owns them, and shows the MOVED redirect a node answers when asked
// for a key it does not own.
//
// Usage: demo [host] [port]      (default 127.0.0.1 7000)

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "rediscluster/rediscluster.hpp"

namespace {

using rediscluster::Reply;

// A blocking socket with a receive timeout; just enough for the demo.
class DemoSocket {
public:
    DemoSocket(const std::string& host, int port) {
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || found == nullptr) {
            throw std::runtime_error("cannot resolve " + host);
        }
        fd_ = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
        const timeval timeout{5, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        const int connected = connect(fd_, found->ai_addr, found->ai_addrlen);
        freeaddrinfo(found);
        if (connected != 0) {
            close(fd_);
            throw std::runtime_error("cannot connect to " + host + ":" + std::to_string(port) +
                                     " (is the local cluster running? scripts/local-cluster start)");
        }
    }
    DemoSocket(const DemoSocket&) = delete;
    DemoSocket& operator=(const DemoSocket&) = delete;
    ~DemoSocket() { close(fd_); }

    template <class... Args>
    Reply call(const Args&... args) {
        std::string request;
        rediscluster::encode_command(request, args...);
        for (std::size_t sent = 0; sent < request.size();) {
            const auto n = send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error("send failed");
            sent += static_cast<std::size_t>(n);
        }
        Reply reply;
        while (!parser_.next(reply)) {
            auto space = parser_.prepare(4096);
            const auto n = recv(fd_, space.data(), space.size(), 0);
            if (n <= 0) throw std::runtime_error("connection closed or timed out");
            parser_.commit(static_cast<std::size_t>(n));
        }
        return reply;
    }

private:
    int fd_ = -1;
    rediscluster::ReplyParser parser_;
};

struct SlotRange {
    std::int64_t first;
    std::int64_t last;
    std::string master;  // "host:port"
    std::vector<std::string> replicas;
};

std::string endpoint(const Reply& node) {
    return std::string(node[0].str()) + ":" + std::to_string(node[1].integer());
}

}  // namespace

int main(int argc, char** argv) {
    const std::string host = argc > 1 ? argv[1] : "127.0.0.1";
    const int port = argc > 2 ? std::atoi(argv[2]) : 7000;
    try {
        DemoSocket seed(host, port);
        std::printf("PING %s:%d -> %s\n\n", host.c_str(), port, seed.call("PING").to_debug_string().c_str());

        std::vector<SlotRange> ranges;
        const Reply slots = seed.call("CLUSTER", "SLOTS");
        for (const auto& entry : slots.elements()) {
            SlotRange range{entry[0].integer(), entry[1].integer(), endpoint(entry[2]), {}};
            for (std::size_t i = 3; i < entry.size(); ++i) range.replicas.push_back(endpoint(entry[i]));
            ranges.push_back(range);
        }
        std::printf("CLUSTER SLOTS (%zu ranges):\n", ranges.size());
        for (const auto& r : ranges) {
            std::string replicas;
            for (const auto& replica : r.replicas) replicas += " " + replica;
            std::printf("  slots %5lld-%5lld  master %s  replicas%s\n", static_cast<long long>(r.first),
                        static_cast<long long>(r.last), r.master.c_str(), replicas.c_str());
        }

        auto owner_of = [&](std::uint16_t slot) -> const SlotRange& {
            for (const auto& r : ranges) {
                if (slot >= r.first && slot <= r.last) return r;
            }
            throw std::runtime_error("slot " + std::to_string(slot) + " is not covered");
        };

        std::map<std::string, std::unique_ptr<DemoSocket>> connections;
        auto connection_to = [&](const std::string& node) -> DemoSocket& {
            auto& socket = connections[node];
            if (!socket) {
                const auto colon = node.rfind(':');
                socket = std::make_unique<DemoSocket>(node.substr(0, colon), std::stoi(node.substr(colon + 1)));
            }
            return *socket;
        };

        std::printf("\nKeys routed by key_slot() to the master that owns them:\n");
        for (const char* key : {"foo", "{foo}bar", "user:1000", "user:1001", "session:42", "cart:7", "1337"}) {
            const auto slot = rediscluster::key_slot(key);
            const auto& owner = owner_of(slot);
            auto& node = connection_to(owner.master);
            const auto value = std::string("value-of-") + key;
            const auto set = node.call("SET", key, value);
            const auto get = node.call("GET", key);
            std::printf("  %-12s slot %5u  %s  SET -> %s  GET -> %s\n", key, slot, owner.master.c_str(),
                        set.to_debug_string().c_str(), get.to_debug_string().c_str());
        }

        const auto slot = rediscluster::key_slot("foo");
        for (const auto& r : ranges) {
            if (slot < r.first || slot > r.last) {
                const auto reply = connection_to(r.master).call("GET", "foo");
                std::printf("\nAsking %s (not the owner) for \"foo\" -> %s\n", r.master.c_str(),
                            reply.to_debug_string().c_str());
                break;
            }
        }
        std::printf("\nThe client library turns that reply into rediscluster::MovedError and follows it.\n");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "demo: %s\n", e.what());
        return 1;
    }
}
