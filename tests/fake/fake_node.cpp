#include "fake_node.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <memory>
#include <system_error>

#include "rediscluster/resp.hpp"

namespace rediscluster::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 4096;
// A send to a client that stopped reading must not block the node forever.
constexpr timeval kSendTimeout{1, 0};

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

std::string join_args(const std::vector<std::string>& args) {
    std::string out;
    for (const auto& arg : args) {
        if (!out.empty()) out.push_back(' ');
        out.append(arg);
    }
    return out;
}

}  // namespace

// --- steps --------------------------------------------------------------------------

FakeStep expect(std::vector<std::string> command, std::string reply) {
    return FakeStep{FakeStep::Action::expect, std::move(command), std::move(reply)};
}

FakeStep expect_any(std::string reply) { return FakeStep{FakeStep::Action::expect, std::nullopt, std::move(reply)}; }

FakeStep close_connection() { return FakeStep{FakeStep::Action::close, std::nullopt, {}}; }

FakeStep send_then_close(std::string bytes) {
    return FakeStep{FakeStep::Action::send_then_close, std::nullopt, std::move(bytes)};
}

FakeScript refuse_cluster_shards() {
    return {expect({"CLUSTER", "SHARDS"}, "-ERR unknown subcommand 'SHARDS'\r\n"),
            expect({"CLUSTER", "NODES"}, "-ERR unknown subcommand 'NODES'\r\n")};
}

FakeStep send_at_once(std::string bytes) { return FakeStep{FakeStep::Action::send, std::nullopt, std::move(bytes)}; }

FakeStep hang() { return FakeStep{FakeStep::Action::hang, std::nullopt, {}}; }

std::string to_string(const ReceivedCommand& command) {
    return "[" + std::to_string(command.connection) + "] " + join_args(command.args);
}

std::string to_string(const std::vector<ReceivedCommand>& commands) {
    std::string out;
    for (const auto& command : commands) {
        out += to_string(command);
        out += '\n';
    }
    return out;
}

// --- RESP builders --------------------------------------------------------------------

std::string resp_bulk(std::string_view bytes) {
    return "$" + std::to_string(bytes.size()) + "\r\n" + std::string(bytes) + "\r\n";
}

std::string resp_integer(std::int64_t value) { return ":" + std::to_string(value) + "\r\n"; }

std::string resp_array(const std::vector<std::string>& elements) {
    std::string out = "*" + std::to_string(elements.size()) + "\r\n";
    for (const auto& element : elements) out += element;
    return out;
}

std::string resp_array(std::initializer_list<std::string> elements) {
    return resp_array(std::vector<std::string>(elements));
}

// --- the node -------------------------------------------------------------------------

// One accepted connection; touched by the serving thread only.
struct FakeNode::Connection {
    std::size_t index = 0;
    int fd = -1;
    const FakeScript* script = nullptr;  // nullptr: no script for it
    std::size_t step = 0;
    bool hanging = false;
    ReplyParser parser;

    [[nodiscard]] bool open() const noexcept { return fd >= 0; }
    [[nodiscard]] bool script_done() const noexcept { return script == nullptr || step >= script->size(); }
    void close() noexcept {
        if (fd >= 0) {
            ::close(fd);
            fd = -1;
        }
    }
};

FakeNode::FakeNode(std::vector<FakeScript> scripts, std::chrono::milliseconds lifetime)
    : FakeNode([&scripts](std::uint16_t) { return std::move(scripts); }, lifetime) {}

FakeNode::FakeNode(Responding, const ResponderMaker& make_responder, std::chrono::milliseconds lifetime)
    : FakeNode(
          [&](std::uint16_t port) {
              responder_ = make_responder(port);
              return std::vector<FakeScript>{};
          },
          lifetime) {}

FakeNode::FakeNode(const ScriptMaker& make_scripts, std::chrono::milliseconds lifetime)
    : stop_at_(Clock::now() + lifetime) {
    auto cleanup = [this] {
        for (int fd : {listener_, wake_read_, wake_write_}) {
            if (fd >= 0) ::close(fd);
        }
    };
    try {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (listener_ < 0) throw_errno("fake node: socket");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = 0;  // ephemeral
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
            throw_errno("fake node: bind 127.0.0.1:0");
        }
        if (::listen(listener_, 16) != 0) throw_errno("fake node: listen");
        socklen_t length = sizeof address;
        if (::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw_errno("fake node: getsockname");
        }
        port_ = ntohs(address.sin_port);
        scripts_ = make_scripts(port_);
        int wake[2];
        if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) throw_errno("fake node: pipe");
        wake_read_ = wake[0];
        wake_write_ = wake[1];
        thread_ = std::thread([this] { serve(); });
    } catch (...) {
        cleanup();
        throw;
    }
}

FakeNode::~FakeNode() {
    const char byte = 0;
    (void)!::write(wake_write_, &byte, 1);
    thread_.join();  // closes the listener and the connections
    ::close(wake_read_);
    ::close(wake_write_);
}

std::vector<ReceivedCommand> FakeNode::commands() const {
    std::lock_guard lock(mutex_);
    return commands_;
}

std::vector<std::string> FakeNode::problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
}

std::size_t FakeNode::accepted_connections() const {
    std::lock_guard lock(mutex_);
    return accepted_;
}

bool FakeNode::wait_for_commands(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return commands_.size() >= count; });
}

void FakeNode::problem(std::string text) {
    {
        std::lock_guard lock(mutex_);
        problems_.push_back(std::move(text));
    }
    changed_.notify_all();
}

void FakeNode::serve() {
    std::vector<std::unique_ptr<Connection>> connections;
    std::vector<pollfd> polled;
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(stop_at_ - Clock::now());
        if (left.count() <= 0) break;  // lifetime over: stop by ourselves
        polled.clear();
        polled.push_back({wake_read_, POLLIN, 0});
        polled.push_back({listener_, POLLIN, 0});
        for (const auto& connection : connections) polled.push_back({connection->fd, POLLIN, 0});
        const int ready = ::poll(polled.data(), polled.size(), static_cast<int>(std::min<std::int64_t>(left.count(), INT_MAX)));
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (polled[0].revents != 0) break;  // the destructor asks us to stop
        // Connections first, by the indices polled (new ones go to the end).
        const std::size_t polled_connections = polled.size() - 2;
        for (std::size_t i = 0; i < polled_connections; ++i) {
            if (polled[i + 2].revents != 0 && connections[i]->open()) on_readable(*connections[i]);
        }
        if (polled[1].revents != 0) {
            for (;;) {
                const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
                if (fd < 0) break;  // EAGAIN: nothing more to accept (or a transient error)
                ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &kSendTimeout, sizeof kSendTimeout);
                // Like redis-server: each answer leaves at once, not held
                // back by Nagle until the client acknowledges the last one.
                const int on = 1;
                ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
                auto connection = std::make_unique<Connection>();
                connection->fd = fd;
                {
                    std::lock_guard lock(mutex_);
                    connection->index = accepted_++;
                }
                changed_.notify_all();
                if (responder_) {
                    // Answers as the responder says, for as long as it is open.
                } else if (connection->index < scripts_.size()) {
                    connection->script = &scripts_[connection->index];
                    start_steps(*connection);
                } else {
                    problem("connection " + std::to_string(connection->index) + " has no script");
                    connection->close();
                }
                if (connection->open()) connections.push_back(std::move(connection));
            }
        }
        std::erase_if(connections, [](const auto& connection) { return !connection->open(); });
    }
    // Refuse new connections first: a client must never reach a listener
    // that nobody serves any more (it would wait for an answer forever), and
    // a client that sees its connection closed must find the port closed.
    ::close(listener_);
    listener_ = -1;
    for (auto& connection : connections) connection->close();
}

void FakeNode::start_steps(Connection& connection) {
    // Runs the steps that do not wait for the client.
    while (connection.open() && !connection.hanging && !connection.script_done()) {
        const FakeStep& step = (*connection.script)[connection.step];
        if (step.action == FakeStep::Action::expect) return;
        ++connection.step;
        carry_out(connection, step);
    }
}

void FakeNode::carry_out(Connection& connection, const FakeStep& step) {
    switch (step.action) {
        case FakeStep::Action::expect: send_bytes(connection, step.bytes); break;  // the answer to a command
        case FakeStep::Action::close: connection.close(); break;
        case FakeStep::Action::send_then_close:
            send_bytes(connection, step.bytes);
            connection.close();
            break;
        case FakeStep::Action::send: send_bytes(connection, step.bytes); break;
        case FakeStep::Action::hang: connection.hanging = true; break;
    }
}

void FakeNode::on_readable(Connection& connection) {
    const auto space = connection.parser.prepare(kReadChunk);
    const auto received = ::recv(connection.fd, space.data(), space.size(), 0);
    if (received == 0) {
        connection.close();  // the client is gone
        return;
    }
    if (received < 0) {
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) connection.close();
        return;
    }
    connection.parser.commit(static_cast<std::size_t>(received));
    if (connection.hanging) {
        connection.parser.reset();  // a hanging node reads, and forgets
        return;
    }
    try {
        Reply reply;
        while (connection.open() && !connection.hanging && connection.parser.next(reply)) {
            std::vector<std::string> args;
            bool is_command = reply.type() == ReplyType::Array && reply.size() > 0;
            if (is_command) {
                for (const auto& element : reply.elements()) {
                    if (element.type() != ReplyType::BulkString) {
                        is_command = false;
                        break;
                    }
                    args.emplace_back(element.str());
                }
            }
            if (!is_command) {
                problem("connection " + std::to_string(connection.index) +
                        ": not a command (an array of bulk strings): " + reply.to_debug_string());
                connection.close();
                return;
            }
            on_command(connection, std::move(args));
        }
    } catch (const ProtocolError& e) {
        problem("connection " + std::to_string(connection.index) + ": malformed command: " + e.what());
        connection.close();
    }
}

void FakeNode::on_command(Connection& connection, std::vector<std::string> args) {
    ReceivedCommand received{connection.index, std::move(args)};
    {
        std::lock_guard lock(mutex_);
        commands_.push_back(received);
    }
    changed_.notify_all();
    if (responder_) {
        carry_out(connection, responder_(received));
        return;
    }
    if (connection.script_done()) {
        problem("unexpected command after the end of the script: " + to_string(received));
        connection.close();
        return;
    }
    const FakeStep& step = (*connection.script)[connection.step];
    // start_steps() leaves the connection on an expect step, closed or hanging.
    if (step.command && *step.command != received.args) {
        problem("connection " + std::to_string(connection.index) + " step " + std::to_string(connection.step) +
                ": expected " + join_args(*step.command) + ", got " + join_args(received.args));
        connection.close();
        return;
    }
    ++connection.step;
    send_bytes(connection, step.bytes);
    start_steps(connection);
}

void FakeNode::send_bytes(Connection& connection, std::string_view bytes) {
    while (!bytes.empty() && connection.open()) {
        const auto sent = ::send(connection.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            connection.close();  // the client is gone, or stopped reading for a second
            return;
        }
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
}

}  // namespace rediscluster::test
