#include "detail/multiplexed_connection.hpp"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "detail/ascii.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {

namespace {

// Replies read in one go, at most: a bound for the list kept on the stack.
constexpr std::size_t kMaxBatch = 64;

}  // namespace

MultiplexedConnection::MultiplexedConnection(ClusterConnectionPool& pool, NodeInfo node)
    : pool_(pool), node_(std::move(node)) {}

void MultiplexedConnection::execute(std::string_view packed, Reply& reply) {
    Waiter mine;
    mine.reply = &reply;
    std::unique_lock lock(mutex_);
    mine.bit = WakeChannel::bit_for(next_sequence_++);
    outgoing_.append(packed);
    ++outgoing_count_;
    waiters_.push_back(&mine);
    for (;;) {
        if (mine.state.load(std::memory_order_acquire) == Waiter::done) break;
        if (!io_turn_taken_) {
            run_io_turn(mine, lock);
            break;
        }
        // Someone else holds the turn: sleep until our reply comes or the
        // turn is offered to us. A completion may land at any moment (it is
        // made outside the lock), so only an offer is ever withdrawn.
        std::uint32_t offered = Waiter::offered_turn;
        (void)mine.state.compare_exchange_strong(offered, Waiter::waiting, std::memory_order_acq_rel);
        lock.unlock();
        wakes_.sleep_until([&] { return mine.state.load(std::memory_order_acquire) != Waiter::waiting; }, mine.bit);
        if (mine.state.load(std::memory_order_acquire) == Waiter::done) break;
        lock.lock();
    }
    if (lock.owns_lock()) lock.unlock();
    if (mine.error) std::rethrow_exception(mine.error);
}

void MultiplexedConnection::run_io_turn(Waiter& mine, std::unique_lock<std::mutex>& lock) {
    io_turn_taken_ = true;
    std::array<Waiter*, kMaxBatch> batch{};
    std::uint32_t done_bits = 0;  // the waiters of the last read, still to wake
    for (;;) {
        // Everything queued leaves in one write; its waiters are now the
        // written ones (they follow those already written).
        const std::size_t to_send = outgoing_count_;
        if (to_send > 0) {
            writing_.swap(outgoing_);
            outgoing_.clear();
            outgoing_count_ = 0;
            for (std::size_t i = written_waiters_; i < written_waiters_ + to_send; ++i) waiters_[i]->written = true;
            written_waiters_ += to_send;
        }
        // The oldest written commands' replies come next, in order; their
        // waiters cannot leave before they are done, so their Replies are
        // ours to fill without the lock. One read often brings several.
        const std::size_t expected = std::min(written_waiters_, kMaxBatch);
        std::copy_n(waiters_.begin(), expected, batch.begin());
        // Nothing held means nothing was in flight: this turn borrows.
        const bool borrow = !connection_;
        lock.unlock();
        // Woken outside the lock, all with one call: a woken waiter does
        // not need the lock to return.
        wakes_.advance_and_wake(std::exchange(done_bits, 0));
        if (borrow) {
            // Connected here, before anything is written, so that a refused
            // connect too leaves every command unsent.
            try {
                connection_ = pool_.get_connection_by_node(node_);
                if (!connection_->is_connected()) connection_->connect();
            } catch (...) {
                end_turn_failed(lock, false, 0);
                return;
            }
        }
        std::size_t arrived = 0;
        try {
            if (to_send > 0) connection_->send_packed_command(writing_, to_send);
            connection_->read_reply(*batch[0]->reply);
            arrived = 1;
            while (arrived < expected && connection_->read_buffered_reply(*batch[arrived]->reply)) ++arrived;
        } catch (...) {
            end_turn_failed(lock, true, arrived);
            return;
        }
        lock.lock();
        waiters_.erase(waiters_.begin(), waiters_.begin() + static_cast<std::ptrdiff_t>(arrived));
        written_waiters_ -= arrived;
        // A waiter may be gone as soon as it is marked done, so its bit is
        // read before; ours is left out, as we are not asleep.
        bool mine_arrived = false;
        for (std::size_t i = 0; i < arrived; ++i) {
            if (batch[i] == &mine) {
                mine_arrived = true;
            } else {
                done_bits |= batch[i]->bit;
            }
            batch[i]->state.store(Waiter::done, std::memory_order_release);
        }
        if (mine_arrived) {
            io_turn_taken_ = false;
            done_bits |= offer_turn();
            // Idle now: the connection is the pool's again (under the lock,
            // see the header). Anyone left waiting needs it for their turn.
            if (waiters_.empty()) connection_.release();
            lock.unlock();
            wakes_.advance_and_wake(done_bits);
            return;
        }
    }
}

std::uint32_t MultiplexedConnection::offer_turn() {
    // The newest waiter's reply comes last of all, so it has nothing to
    // lose by doing everybody's I/O until then, and the turn changes hands
    // once per round of commands in flight rather than once per read. It
    // cannot leave before it is done, so touching it here is safe.
    if (waiters_.empty()) return 0;
    Waiter& next = *waiters_.back();
    std::uint32_t waiting = Waiter::waiting;
    if (!next.state.compare_exchange_strong(waiting, Waiter::offered_turn, std::memory_order_acq_rel)) return 0;
    return next.bit;
}

namespace {

// A new exception of the same kind and message as `error`, for one waiter:
// waiters rethrow on their own threads, and an exception object must not be
// shared by threads that may catch it, read it and free it at once.
std::exception_ptr own_copy(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const TimeoutError& e) {
        return std::make_exception_ptr(TimeoutError(e.what()));
    } catch (const IncompleteReplyError& e) {
        return std::make_exception_ptr(IncompleteReplyError(e.what()));
    } catch (const AuthenticationError& e) {
        return std::make_exception_ptr(AuthenticationError(e.what()));  // from connecting: not retried
    } catch (const BusyLoadingError& e) {
        return std::make_exception_ptr(BusyLoadingError(e.what()));  // from connecting
    } catch (const ProtocolError& e) {
        return std::make_exception_ptr(ProtocolError(e.what()));
    } catch (const ConnectionError& e) {
        return std::make_exception_ptr(ConnectionError(e.what()));
    } catch (const ResponseError& e) {
        return std::make_exception_ptr(ResponseError(e.what()));  // an error reply while connecting
    } catch (const RedisClusterException& e) {
        return std::make_exception_ptr(RedisClusterException(e.what()));  // the pool's cap
    } catch (const std::exception& e) {
        return std::make_exception_ptr(ConnectionError(e.what()));
    } catch (...) {
        return std::make_exception_ptr(ConnectionError("unknown error"));
    }
}

}  // namespace

void MultiplexedConnection::end_turn_failed(std::unique_lock<std::mutex>& lock, bool sent, std::size_t arrived) {
    lock.lock();
    fail_all(std::current_exception(), sent, arrived);
    io_turn_taken_ = false;
    lock.unlock();
}

void MultiplexedConnection::fail_all(const std::exception_ptr& error, bool sent, std::size_t arrived) {
    std::string unsent;
    std::string no_reply;
    bool broke_off = false;
    if (sent) {
        std::string what = "unknown error";
        try {
            std::rethrow_exception(error);
        } catch (const IncompleteReplyError& e) {
            what = e.what();
            broke_off = true;
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        unsent = "The shared connection to " + node_.name + " failed before the command was sent: " + what;
        no_reply = "The shared connection to " + node_.name +
                   " was lost before the reply (an earlier reply broke off: " + what + ")";
    }
    std::uint32_t bits = 0;
    for (std::size_t i = 0; i < waiters_.size(); ++i) {
        Waiter* waiter = waiters_[i];
        if (i < arrived) {
            // Its reply came whole before the failure: it stands.
        } else if (!sent) {
            // A borrow failed before anything left: every waiter gets that
            // error as it is (the client reads its type, and the blocking
            // pool's "No connection available" by its message).
            waiter->error = own_copy(error);
        } else if (!waiter->written) {
            waiter->error = std::make_exception_ptr(ConnectionError(unsent));
        } else if (broke_off && i > arrived) {
            // Only the reply that broke off had begun; the ones after it got
            // no byte, as a command whose connection closed before its reply.
            waiter->error = std::make_exception_ptr(ConnectionError(no_reply));
        } else {
            waiter->error = own_copy(error);  // it may have run
        }
        bits |= waiter->bit;
        waiter->state.store(Waiter::done, std::memory_order_release);
    }
    wakes_.advance_and_wake(bits);
    waiters_.clear();
    written_waiters_ = 0;
    outgoing_.clear();
    outgoing_count_ = 0;
    if (connection_) {
        // After an I/O failure its state is unknown; after a failed
        // connect it is closed already. Either way the pool closes it
        // rather than pooling it, and stops counting it now.
        if (sent) connection_->disconnect();
        connection_.release();
    }
}

}  // namespace rediscluster::detail

namespace rediscluster::detail {

std::shared_ptr<MultiplexedConnection> Multiplexer::connection_to(ClusterConnectionPool& pool, const NodeInfo& node) {
    {
        std::shared_lock lock(mutex_);
        const auto it = connections_.find(node.name);
        if (it != connections_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    auto& slot = connections_[node.name];
    if (!slot) slot = std::make_shared<MultiplexedConnection>(pool, node);
    return slot;
}

void Multiplexer::forget_nodes_not_in(const SlotTable& table) {
    // Released after the lock: the last reference may go here.
    std::vector<std::shared_ptr<MultiplexedConnection>> dropped;
    std::unique_lock lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
        const bool master = std::any_of(table.nodes().begin(), table.nodes().end(), [&](const NodeInfo& node) {
            return node.is_master() && node.name == it->first;
        });
        if (master) {
            ++it;
        } else {
            dropped.push_back(std::move(it->second));
            it = connections_.erase(it);
        }
    }
}

}  // namespace rediscluster::detail
