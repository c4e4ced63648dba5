#pragma once

// One pipelined TCP (or TLS) connection to a node, for the asynchronous
// client: the socket work around a MultiplexerCore, on the client's strand.
//
//  - submit() queues a command; a flush is posted once per turn, so every
//    command submitted during one turn of the executor leaves in one write.
//  - One read is always pending while the connection is up; what it brings
//    is consumed by the core, and each reply goes to its command (through
//    the Owner) in order.
//  - At most max_inflight commands are in the core at once (written or
//    queued, cancelled ones whose replies are still due included); the
//    others wait in a backlog, in order, and enter as replies make room.
//  - The connection is made on the first submit(), with the handshake
//    (HELLO 3, AUTH, CLIENT SETNAME, READONLY as the options say) queued
//    before any command, in the same write. A refused handshake fails the
//    connection. With TLS, the TLS handshake follows the TCP connect, both
//    within socket_connect_timeout.
//  - A failure (refused connect, reset, EOF, socket_timeout without a
//    byte while replies are due, a malformed reply) fails every command in
//    it, each with the failure that fits it (see fail()), and leaves the
//    object ready to connect again on the next submit().

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "detail/multiplexer_core.hpp"
#include "detail/retry_policy.hpp"
#include "node_stream.hpp"
#include "rediscluster/asio/async_cluster.hpp"
#include "rediscluster/connection.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster::asio {

class NodeConnection : public std::enable_shared_from_this<NodeConnection> {
public:
    /// Who the replies and failures go to (the client), on the strand.
    class Owner {
    public:
        virtual ~Owner() = default;
        virtual std::uint64_t new_id() = 0;
        virtual void on_reply(std::uint64_t id, Reply&& reply, const NodeInfo& node) = 0;
        /// `description` is valid during the call only.
        virtual void on_failure(std::uint64_t id, rediscluster::detail::Failure failure, const NodeInfo& node,
                                std::string_view description) = 0;
        /// Called last in a read's handler, once the connection is done
        /// with the read (the next one started, or the connection failed):
        /// the replies it brought have all been handed over, and the Owner
        /// may call their handlers from here.
        virtual void replies_handed_over() = 0;
    };

    using Strand = ::asio::strand<::asio::any_io_executor>;

    /// Plain TCP when `tls` is null; TLS with the client's context otherwise.
    NodeConnection(Strand strand, std::weak_ptr<Owner> owner, NodeInfo node, ConnectionOptions options,
                   std::size_t max_inflight, std::shared_ptr<TlsClientContext> tls = nullptr);

    /// Queues command `id` (ASKING first when `asking`). With `block` > 0,
    /// `packed` is a MULTI ... EXEC block of that many replies, which reach
    /// the Owner as one array. The write is posted, to gather the commands
    /// of this turn; with `flush_later` it is left to flush_now(), which
    /// the caller calls before its handler ends, and true is returned when
    /// this connection did not owe one yet. Strand only.
    bool submit(std::uint64_t id, std::string_view packed, bool asking, std::size_t block = 0,
                bool flush_later = false);
    /// The write owed since submit(..., flush_later). Strand only.
    void flush_now();
    /// Cancels command `id`: a queued one never leaves, a written one's
    /// reply is dropped. Strand only.
    void cancel(std::uint64_t id);
    /// Closes the socket for good; the commands in it are not told
    /// (the client finishes them). Strand only.
    void close();

    [[nodiscard]] const NodeInfo& node() const noexcept { return node_; }
    /// No command in it, written, queued or waiting. Strand only.
    [[nodiscard]] bool idle() const noexcept { return core_.idle() && backlog_.empty(); }

private:
    enum class State { Disconnected, Connecting, Handshaking, Ready, Closed };

    bool enter(std::uint64_t id, std::string_view packed, bool asking, std::size_t block, bool flush_later);
    void connect();
    void start_tls(std::uint64_t generation);
    void ready();
    void queue_handshake();
    void schedule_flush();
    void flush();
    void read();
    // What a read brought: the replies handed over, then the next read
    // started (or the connection failed).
    void take_read(std::uint64_t generation, std::error_code code, std::size_t size, Owner& owner);
    void arm_deadline();
    void wait_for_reply_due();
    void admit_backlog();
    // Fails every command in the connection and resets it: those whose
    // commands were written get `written_failure` (the one whose reply had
    // begun gets Interrupted), the others Connection, since theirs never left.
    void fail(rediscluster::detail::Failure written_failure, const std::string& description);

    Strand strand_;
    std::weak_ptr<Owner> owner_;
    NodeInfo node_;
    ConnectionOptions options_;
    std::size_t max_inflight_;

    State state_ = State::Disconnected;
    // Bumped when the socket is closed: handlers of the earlier socket see
    // a different number and leave.
    std::uint64_t generation_ = 0;
    NodeStream stream_;
    ::asio::ip::tcp::resolver resolver_;
    ::asio::steady_timer deadline_;  // the connect's (and TLS handshake's)
    // The reply deadline: one wait at a time, moved lazily. Each read
    // that brings bytes only moves reply_due_; the pending wait, when it
    // ends, waits again for what is left (re-arming a timer per read costs
    // a system call and a cancelled handler).
    ::asio::steady_timer reply_timer_;
    std::chrono::steady_clock::time_point reply_due_ = std::chrono::steady_clock::time_point::max();
    bool reply_timer_waiting_ = false;
    rediscluster::detail::MultiplexerCore core_;
    rediscluster::detail::MultiplexerCore::Consumed consumed_;
    // The replies of the read being handed over (taken out of consumed_,
    // keeping both vectors' storage from read to read).
    std::vector<rediscluster::detail::MultiplexerCore::Completion> replies_;
    std::vector<rediscluster::detail::MultiplexerCore::Abandoned> abandoned_;
    std::unordered_set<std::uint64_t> handshake_ids_;
    struct Waiting {
        std::uint64_t id;
        std::string packed;
        bool asking;
        std::size_t block;
    };
    std::deque<Waiting> backlog_;
    std::vector<char> read_buffer_;
    bool flush_posted_ = false;
    bool flush_owed_ = false;
    bool writing_ = false;
};

}  // namespace rediscluster::asio
