#pragma once

// One connection to a node shared by every thread that sends it commands
// (RedisClusterOptions::multiplexed_connections). Commands that arrive
// together are written together and their replies read together, so under
// load each command costs a fraction of a write and a read instead of one
// of each, and the server too reads and answers them in batches.
//
// The protocol, under one mutex:
//  - A caller appends its encoded command to the outgoing buffer and joins
//    the queue of waiters, in the same critical section: queue order is
//    write order, which is reply order.
//  - One caller at a time holds the I/O turn. It writes everything queued,
//    reads the replies that have arrived (at least one), hands them to the
//    oldest waiters, and repeats until its own reply has come; then it
//    offers the turn to the newest waiter left, whose reply comes last.
//    A single thread does all the I/O of its turn, so the connection (and
//    a TLS session, which allows no concurrent read and write) is never
//    used by two threads at once.
//  - Waiters sleep on the connection's futex word, each under a bit of its
//    own, not on the mutex: the replies of one read are handed over with a
//    single wake-up call for all their waiters, made outside the lock, and
//    a waiter returns without touching the mutex again.
//  - An I/O failure fails every waiter: those whose commands were written
//    get the failure itself (their commands may have run); those still
//    queued get a ConnectionError (theirs never left, so they may be
//    retried). The connection is closed and returned to its pool at once,
//    and the object refuses new commands: the owner makes a new one.

#include <atomic>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "detail/wake_channel.hpp"
#include "rediscluster/pool.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::detail {

class MultiplexedConnection {
public:
    /// Takes over a connection borrowed from a pool for as long as it lives.
    explicit MultiplexedConnection(PooledConnection connection);
    MultiplexedConnection(const MultiplexedConnection&) = delete;
    MultiplexedConnection& operator=(const MultiplexedConnection&) = delete;

    /// Sends one encoded command and reads its reply into `reply` (error
    /// replies as values). Throws what the connection throws; a
    /// ConnectionError when the connection broke before the command left.
    void execute(std::string_view packed, Reply& reply);

    /// False once an I/O failure closed it.
    [[nodiscard]] bool usable() const;
    [[nodiscard]] const NodeInfo& node() const noexcept { return node_; }

private:
    struct Waiter {
        enum State : std::uint32_t { waiting, offered_turn, done };
        Reply* reply = nullptr;
        std::atomic<std::uint32_t> state{waiting};
        std::uint32_t bit = 0;  // its bit on wakes_
        bool written = false;
        std::exception_ptr error;
    };

    // Runs the I/O turn until `mine` is done. Called with the lock held,
    // returns with it released.
    void run_io_turn(Waiter& mine, std::unique_lock<std::mutex>& lock);
    // Offers the turn to the newest waiter, if any and not yet done; the
    // bit to wake it with, or 0. Lock held.
    std::uint32_t offer_turn();
    // Fails every waiter and closes the connection. Lock held.
    void fail_all(const std::exception_ptr& error);

    const NodeInfo node_;
    mutable std::mutex mutex_;
    PooledConnection connection_;  // empty once broken
    std::string outgoing_;         // encoded commands not yet written
    std::string writing_;          // the batch being written (I/O turn only)
    std::size_t outgoing_count_ = 0;
    std::deque<Waiter*> waiters_;  // oldest first: written ones, then queued ones
    std::size_t written_waiters_ = 0;
    bool io_turn_taken_ = false;
    std::atomic<bool> broken_{false};  // written under mutex_, read without
    std::uint64_t next_sequence_ = 0;  // numbers the waiters, for their bits
    WakeChannel wakes_;
};

/// The shared connections of one client, one per node. Thread-safe.
class Multiplexer {
public:
    /// The usable shared connection to `node`, made (with a connection
    /// borrowed from `pool`) when there is none or the last one broke.
    std::shared_ptr<MultiplexedConnection> connection_to(ClusterConnectionPool& pool, const NodeInfo& node);
    /// Drops every shared connection; each returns its connection to the
    /// pool once its last command is done.
    void clear();

private:
    std::shared_mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<MultiplexedConnection>> connections_;
};

/// Whether a command blocks its connection on the server (BLPOP, XREAD
/// BLOCK, WAIT...): such commands never go over a shared connection.
[[nodiscard]] bool blocks_connection(std::span<const std::string_view> args) noexcept;

}  // namespace rediscluster::detail
