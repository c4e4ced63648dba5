#include "node_connection.hpp"

#include <asio/bind_executor.hpp>
#include <asio/connect.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include <utility>

#include "detail/encoded_commands.hpp"

namespace rediscluster::asio {

using rediscluster::detail::Failure;
using rediscluster::detail::kAsking;

namespace {

constexpr std::size_t kReadSize = 64 * 1024;

}  // namespace

NodeConnection::NodeConnection(Strand strand, std::weak_ptr<Owner> owner, NodeInfo node, ConnectionOptions options,
                               std::size_t max_inflight, std::shared_ptr<TlsClientContext> tls)
    : strand_(std::move(strand)),
      owner_(std::move(owner)),
      node_(std::move(node)),
      options_(std::move(options)),
      max_inflight_(max_inflight),
      stream_(strand_, std::move(tls), options_, node_.name),
      resolver_(strand_),
      deadline_(strand_),
      reply_timer_(strand_),
      core_(options_.parser_limits),
      read_buffer_(kReadSize) {}

bool NodeConnection::submit(std::uint64_t id, std::string_view packed, bool asking, std::size_t block,
                            bool flush_later) {
    if (state_ == State::Closed) return false;  // the client is ending: it finishes its commands itself
    if (!backlog_.empty() || core_.in_flight() + core_.queued() >= max_inflight_) {
        // Over the cap: waits its turn, behind the others waiting.
        backlog_.push_back({.id = id, .packed = std::string(packed), .asking = asking, .block = block});
        return false;
    }
    return enter(id, packed, asking, block, flush_later);
}

void NodeConnection::flush_now() {
    flush_owed_ = false;
    flush();
}

bool NodeConnection::enter(std::uint64_t id, std::string_view packed, bool asking, std::size_t block,
                           bool flush_later) {
    if (state_ == State::Disconnected) connect();  // queues the handshake first
    const std::size_t replies = block > 0 ? block : 1;
    if (asking) {
        std::string batch;
        batch.reserve(kAsking.size() + packed.size());
        batch.append(kAsking).append(packed);
        core_.add(batch, replies + 1, id, block);
    } else {
        core_.add(packed, replies, id, block);
    }
    if (state_ != State::Ready) return false;  // written once connected
    if (!flush_later) {
        schedule_flush();
        return false;
    }
    return !std::exchange(flush_owed_, true);
}

void NodeConnection::cancel(std::uint64_t id) {
    for (auto it = backlog_.begin(); it != backlog_.end(); ++it) {
        if (it->id == id) {
            backlog_.erase(it);
            return;
        }
    }
    if (core_.cancel(id)) admit_backlog();
}

void NodeConnection::close() {
    state_ = State::Closed;
    ++generation_;
    stream_.close();
    resolver_.cancel();
    deadline_.cancel();
    reply_timer_.cancel();
    reply_timer_waiting_ = false;
    reply_due_ = std::chrono::steady_clock::time_point::max();
    backlog_.clear();
    abandoned_.clear();
    core_.abandon_all(abandoned_);
    abandoned_.clear();
}

void NodeConnection::queue_handshake() {
    std::vector<std::string> commands;
    const auto& user = options_.username;
    const auto& password = options_.password;
    if (options_.protocol == 3) {
        // One HELLO carries the credentials and the name, as the blocking
        // connection sends it.
        std::vector<std::string_view> hello{"HELLO", "3"};
        if (password) {
            hello.insert(hello.end(), {"AUTH", user ? std::string_view(*user) : "default", *password});
        }
        if (options_.client_name) hello.insert(hello.end(), {"SETNAME", *options_.client_name});
        commands.emplace_back();
        encode_command_range(commands.back(), hello);
    } else {
        if (password) {
            commands.emplace_back();
            if (user) {
                encode_command(commands.back(), "AUTH", *user, *password);
            } else {
                encode_command(commands.back(), "AUTH", *password);
            }
        }
        if (options_.client_name) {
            commands.emplace_back();
            encode_command(commands.back(), "CLIENT", "SETNAME", *options_.client_name);
        }
    }
    if (options_.readonly) {
        commands.emplace_back();
        encode_command(commands.back(), "READONLY");
    }
    auto owner = owner_.lock();
    if (!owner) return;
    for (const auto& command : commands) {
        const auto id = owner->new_id();
        handshake_ids_.insert(id);
        core_.add(command, 1, id);
    }
}

void NodeConnection::connect() {
    state_ = State::Connecting;
    queue_handshake();
    const auto generation = generation_;
    deadline_.expires_after(options_.socket_connect_timeout);
    deadline_.async_wait([self = shared_from_this(), generation](std::error_code code) {
        if (code || generation != self->generation_) return;
        if (self->state_ == State::Handshaking) {
            self->fail(Failure::Connection, self->stream_.handshake_timeout());
        } else if (self->state_ == State::Connecting) {
            self->fail(Failure::Connection, "Timeout connecting to " + self->node_.name);
        }
    });
    resolver_.async_resolve(
        node_.host, std::to_string(node_.port),
        ::asio::bind_executor(strand_, [self = shared_from_this(), generation](
                                           std::error_code code, const ::asio::ip::tcp::resolver::results_type& results) {
            if (generation != self->generation_) return;
            if (code) {
                self->fail(Failure::Connection, "Error resolving " + self->node_.name + ": " + code.message());
                return;
            }
            self->stream_.async_connect(
                results,
                ::asio::bind_executor(self->strand_, [self, generation](std::error_code error, const auto&) {
                    if (generation != self->generation_) return;
                    if (error) {
                        self->fail(Failure::Connection, "Error connecting to " + self->node_.name + ": " + error.message());
                        return;
                    }
                    std::error_code ignored;
                    self->stream_.socket().set_option(::asio::ip::tcp::no_delay(true), ignored);
                    if (self->stream_.is_tls()) {
                        self->start_tls(generation);
                    } else {
                        self->ready();
                    }
                }));
        }));
}

void NodeConnection::start_tls(std::uint64_t generation) {
    // Still under the connect's deadline.
    state_ = State::Handshaking;
    stream_.async_handshake(
        ::asio::bind_executor(strand_, [self = shared_from_this(), generation](std::error_code code) {
            if (generation != self->generation_) return;
            if (code) {
                self->fail(Failure::Connection, self->stream_.handshake_failure(code));
                return;
            }
            self->stream_.handshake_done();
            self->ready();
        }));
}

void NodeConnection::ready() {
    state_ = State::Ready;
    deadline_.cancel();
    read();
    flush();
}

void NodeConnection::schedule_flush() {
    if (flush_posted_) return;
    flush_posted_ = true;
    // Runs after the handlers already queued: every command submitted in
    // this turn is in the core by then, and leaves in the same write.
    ::asio::post(strand_, [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush();
    });
}

void NodeConnection::flush() {
    if (state_ != State::Ready || writing_) return;
    // Replies already due keep the deadline they have: a new write does not
    // postpone it (a stream of new commands to a silent node would, forever).
    const bool replies_due = core_.in_flight() > 0;
    const auto bytes = core_.prepare_write();
    if (bytes.empty()) return;
    writing_ = true;
    if (!replies_due) arm_deadline();
    // A plain socket nearly always takes the whole write at once: then it
    // is done here, without a round through the event loop.
    std::error_code refused;
    const auto written = stream_.write_now(bytes, refused);
    if (refused) {
        fail(Failure::Connection, "Error writing to " + node_.name + ": " + refused.message());
        return;
    }
    if (written == bytes.size()) {
        writing_ = false;
        core_.commit_write();
        return;
    }
    const auto generation = generation_;
    stream_.async_write(::asio::buffer(bytes.data() + written, bytes.size() - written),
                        ::asio::bind_executor(strand_, [self = shared_from_this(), generation](std::error_code code,
                                                                                               std::size_t) {
                            if (generation != self->generation_) return;
                            self->writing_ = false;
                            if (code) {
                                self->fail(Failure::Connection,
                                           "Error writing to " + self->node_.name + ": " + code.message() +
                                               self->stream_.first_reply_hint(code));
                                return;
                            }
                            self->core_.commit_write();
                            self->flush();
                        }));
}

void NodeConnection::read() {
    const auto generation = generation_;
    stream_.async_read_some(
        ::asio::buffer(read_buffer_),
        ::asio::bind_executor(strand_, [self = shared_from_this(), generation](std::error_code code, std::size_t size) {
            if (generation != self->generation_) return;
            auto owner = self->owner_.lock();
            if (!owner) return;
            self->take_read(generation, code, size, *owner);
            // Last: the owner may call handlers from here, and they may
            // use this connection again.
            owner->replies_handed_over();
        }));
}

void NodeConnection::take_read(std::uint64_t generation, std::error_code code, std::size_t size, Owner& owner) {
    if (code) {
        const std::string what = code == ::asio::error::eof ? std::string("Connection closed by server") : code.message();
        fail(Failure::Connection,
             "Connection to " + node_.name + " lost: " + what + stream_.first_reply_hint(code));
        return;
    }
    core_.consume(std::string_view(read_buffer_.data(), size), consumed_);
    // Taken out first: handing a reply over may submit commands to this
    // very connection.
    std::swap(replies_, consumed_.replies);
    std::string setup_refused;
    for (auto& completion : replies_) {
        if (handshake_ids_.erase(completion.id) > 0) {
            if (completion.reply.is_error() && setup_refused.empty()) {
                setup_refused = node_.name + " refused the connection's setup: " + std::string(completion.reply.str());
            }
            continue;
        }
        if (!setup_refused.empty()) {
            owner.on_failure(completion.id, Failure::Fatal, node_, setup_refused);
        } else {
            owner.on_reply(completion.id, std::move(completion.reply), node_);
        }
    }
    replies_.clear();
    if (generation != generation_) return;  // a reply's command closed it meanwhile
    if (!consumed_.error.empty()) {
        abandoned_ = std::move(consumed_.abandoned);
        fail(Failure::Interrupted, "Protocol error from " + node_.name + ": " + consumed_.error);
        return;
    }
    if (!setup_refused.empty()) {
        fail(Failure::Fatal, setup_refused);
        return;
    }
    admit_backlog();
    arm_deadline();
    read();
}

void NodeConnection::arm_deadline() {
    if (!options_.socket_timeout || state_ != State::Ready) return;
    if (core_.in_flight() == 0) {
        reply_due_ = std::chrono::steady_clock::time_point::max();  // a pending wait ends finding nothing due
        return;
    }
    // A reply is due: one must begin within socket_timeout of the last
    // bytes (or of the write), as the blocking connection's read waits.
    reply_due_ = std::chrono::steady_clock::now() + *options_.socket_timeout;
    if (!reply_timer_waiting_) wait_for_reply_due();
}

void NodeConnection::wait_for_reply_due() {
    reply_timer_waiting_ = true;
    reply_timer_.expires_at(reply_due_);
    reply_timer_.async_wait([self = shared_from_this(), generation = generation_](std::error_code code) {
        if (generation != self->generation_) return;  // fail() or close() reset the wait
        self->reply_timer_waiting_ = false;
        const auto due = self->reply_due_;
        if (code || self->core_.in_flight() == 0 || due == std::chrono::steady_clock::time_point::max()) return;
        if (std::chrono::steady_clock::now() < due) {
            self->wait_for_reply_due();  // bytes came meanwhile: what is left
            return;
        }
        self->fail(Failure::Timeout, "Timeout reading from " + self->node_.name);
    });
}

void NodeConnection::admit_backlog() {
    while (!backlog_.empty() && core_.in_flight() + core_.queued() < max_inflight_) {
        auto next = std::move(backlog_.front());
        backlog_.pop_front();
        (void)enter(next.id, next.packed, next.asking, next.block, false);
    }
}

void NodeConnection::fail(Failure written_failure, const std::string& description) {
    ++generation_;
    stream_.close();
    resolver_.cancel();
    deadline_.cancel();
    reply_timer_.cancel();
    reply_timer_waiting_ = false;
    reply_due_ = std::chrono::steady_clock::time_point::max();
    writing_ = false;
    if (state_ != State::Closed) state_ = State::Disconnected;
    core_.abandon_all(abandoned_);
    auto abandoned = std::move(abandoned_);
    abandoned_.clear();
    auto backlog = std::move(backlog_);
    backlog_.clear();
    auto handshake = std::move(handshake_ids_);
    handshake_ids_.clear();
    auto owner = owner_.lock();
    if (!owner) return;
    // Everything is reset before anyone is told: a command told may come
    // straight back (a retry), and finds a connection ready to be made.
    // A command that never left is told so: what struck the connection
    // (a timeout reading others' replies) did not happen to it.
    const std::string unsent = "not sent, the connection failed: " + description;
    for (const auto& waiter : abandoned) {
        if (handshake.contains(waiter.id)) continue;
        if (!waiter.written) {
            owner->on_failure(waiter.id, Failure::Connection, node_, unsent);  // it may be retried
            continue;
        }
        owner->on_failure(waiter.id, waiter.reply_begun ? Failure::Interrupted : written_failure, node_, description);
    }
    for (const auto& waiting : backlog) owner->on_failure(waiting.id, Failure::Connection, node_, unsent);
}

}  // namespace rediscluster::asio
