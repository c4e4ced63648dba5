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
//
// The socket belongs to the pool, not to this object: it is held only while
// commands are in flight, so the pool's caps count it like any other
// connection and, idle, it is an idle pool connection (reused last-in
// first-out, closed to make room at a cap, by disconnect() and when its
// node leaves the cluster). Like any borrowed connection, one kept busy
// without a pause outlives a disconnect() until it next goes idle.
//  - The turn holder borrows a connection from the pool when none is held,
//    outside the lock (a blocking pool may wait, connecting takes a round
//    trip). Under load the queue rarely empties and the connection stays;
//    with one thread each command costs one pool acquire and release.
//  - The turn holder gives it back when its turn ends with nobody waiting.
//    That release happens under the lock: released after it, a caller
//    arriving in between would find the pool full of our own connection
//    and be refused at a cap of one.
//  - A failure to borrow (a cap, a blocking wait that timed out, a refused
//    connect) fails every waiter, none of whose commands left, with that
//    error, of the same type and message. A failure of I/O fails every
//    waiter whose reply had not come whole: those whose commands were
//    written get the failure itself (their commands may have run), except
//    that behind a reply that broke off they get a ConnectionError, as no
//    byte of their replies came (the rule for a single command whose
//    connection closes); those still queued get a ConnectionError (theirs
//    never left, so they may be retried). That connection is closed rather
//    than given back.
//  - Either way nothing of this object is spoilt (queue and buffers are
//    emptied, no connection is held), so it stays in use: the next command
//    borrows afresh.

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
    /// Commands go to `node` over connections borrowed from `pool`, which
    /// must outlive this object. Connects nothing yet.
    MultiplexedConnection(ClusterConnectionPool& pool, NodeInfo node);
    MultiplexedConnection(const MultiplexedConnection&) = delete;
    MultiplexedConnection& operator=(const MultiplexedConnection&) = delete;

    /// Sends one encoded command and reads its reply into `reply` (error
    /// replies as values). Throws what the connection throws; a
    /// ConnectionError when the connection broke before the command left;
    /// what the pool throws when no connection could be borrowed.
    void execute(std::string_view packed, Reply& reply);
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
    // Ends every waiter and drops the connection, closed. `sent`: the
    // failure came from I/O, after the written waiters' commands left;
    // otherwise from borrowing, before any did. The first `arrived`
    // waiters got their replies whole before it and keep them. After a
    // reply that broke off, the written waiters behind it get a
    // ConnectionError: no byte of theirs came. Lock held.
    void fail_all(const std::exception_ptr& error, bool sent, std::size_t arrived);
    // Inside a catch handler of the I/O turn (lock released): fails every
    // waiter but the `arrived` first with the exception being handled and
    // gives the turn up.
    void end_turn_failed(std::unique_lock<std::mutex>& lock, bool sent, std::size_t arrived);

    ClusterConnectionPool& pool_;
    const NodeInfo node_;
    mutable std::mutex mutex_;
    // Held only while commands are in flight; touched only by the turn
    // holder. Empty means no waiter has been written.
    PooledConnection connection_;
    std::string outgoing_;         // encoded commands not yet written
    std::string writing_;          // the batch being written (I/O turn only)
    std::size_t outgoing_count_ = 0;
    std::deque<Waiter*> waiters_;  // oldest first: written ones, then queued ones
    std::size_t written_waiters_ = 0;
    bool io_turn_taken_ = false;
    std::uint64_t next_sequence_ = 0;  // numbers the waiters, for their bits
    WakeChannel wakes_;
};

/// The shared connections of one client, one per master. Thread-safe.
class Multiplexer {
public:
    /// The shared connection to `node`, made when there is none. It
    /// borrows from `pool`, which must outlive it.
    std::shared_ptr<MultiplexedConnection> connection_to(ClusterConnectionPool& pool, const NodeInfo& node);
    /// Drops the shared connections to nodes that are not masters in
    /// `table` (they left the cluster or became replicas), so the map does
    /// not grow with every node a long-lived client has seen. Commands in
    /// flight on one finish; the next command to that node makes a new one.
    void forget_nodes_not_in(const SlotTable& table);

private:
    std::shared_mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<MultiplexedConnection>> connections_;
};

}  // namespace rediscluster::detail
