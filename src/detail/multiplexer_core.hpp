#pragma once

// The traffic of one connection as a plain value, without a socket: the
// commands waiting to be written, the ones written and waiting for their
// replies, and the parser that matches replies to them. A driver does the
// I/O around it:
//
//   core.add(packed, 1, id);                 // any number of times
//   auto bytes = core.prepare_write();       // everything queued, one write
//   ...write bytes...; core.commit_write();
//   core.consume(bytes_read, out);           // replies, in order, to their ids
//
// Redis answers the commands of a connection in the order they were
// written, so the oldest written waiter owns the next reply; RESP3 push
// frames (pub/sub messages, invalidations) interleave with replies and
// belong to no command: they go to the push sink.
//
// A waiter that was cancelled after it was written keeps its place: its
// reply is still read, and dropped, so the replies behind it stay matched.
// One cancelled before it was written is removed with its bytes: it never
// leaves.
//
// A malformed reply loses the stream position: every waiter left is handed
// back as abandoned (with whether its command was written) and the core is
// empty again, ready for a new connection.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rediscluster/resp.hpp"

namespace rediscluster::detail {

class MultiplexerCore {
public:
    /// A waiter whose reply came.
    struct Completion {
        std::uint64_t id = 0;
        Reply reply;
    };
    /// A waiter handed back without its reply.
    struct Abandoned {
        std::uint64_t id = 0;
        /// Its command was written: it may have run.
        bool written = false;
        /// Its reply had begun to arrive when the connection failed (only
        /// ever the oldest written waiter).
        bool reply_begun = false;
    };
    /// What one consume() produced. Reused from call to call.
    struct Consumed {
        std::vector<Completion> replies;  // oldest first
        std::vector<Abandoned> abandoned;  // on a protocol error: every waiter left
        std::string error;                 // the protocol error's message; empty when none
        void clear() {
            replies.clear();
            abandoned.clear();
            error.clear();
        }
    };
    using PushSink = std::function<void(Reply&&)>;

    explicit MultiplexerCore(ParserLimits limits = {}) : parser_(limits) {}

    /// Queues an encoded command for waiter `id` (ids must be unique among
    /// the waiters present). `replies` counts the replies it causes: 2 for
    /// ASKING followed by the command, of which only the last is the
    /// waiter's. With `collect` > 0, the waiter's reply is instead an array
    /// of the last `collect` replies (a MULTI ... EXEC block's, after its
    /// ASKING).
    void add(std::string_view packed, std::size_t replies, std::uint64_t id, std::size_t collect = 0);
    /// Everything queued and not yet written, as one piece; empty when
    /// nothing is, or when a write is already under way (commands added
    /// meanwhile go in the next one). Stays valid until commit_write().
    [[nodiscard]] std::string_view prepare_write();
    /// The bytes of the last prepare_write() are written: their waiters now
    /// wait for replies.
    void commit_write();
    /// Whether a prepare_write() has not been committed yet.
    [[nodiscard]] bool writing() const noexcept { return writing_count_ > 0; }

    /// Parses `bytes` as they arrive (in pieces of any size) and completes
    /// waiters in order into `out` (cleared first).
    void consume(std::string_view bytes, Consumed& out);

    /// Cancels waiter `id`: one not yet written is removed (its command
    /// never leaves), one written is kept and its reply dropped. Returns
    /// false when no such waiter is present.
    bool cancel(std::uint64_t id);

    /// Every waiter, oldest first, for a connection that failed; the core
    /// is then empty (parser reset). Cancelled waiters are left out.
    void abandon_all(std::vector<Abandoned>& out);

    /// RESP3 pushes go here; without a sink they are dropped.
    void set_push_sink(PushSink sink) { push_sink_ = std::move(sink); }

    /// Waiters whose commands were written (or are being written) and
    /// whose replies have not all come; cancelled ones included, as their
    /// replies are still due.
    [[nodiscard]] std::size_t in_flight() const noexcept { return written_ + writing_count_; }
    /// Waiters queued and not yet handed to a write.
    [[nodiscard]] std::size_t queued() const noexcept { return waiters_.size() - written_ - writing_count_; }
    [[nodiscard]] bool idle() const noexcept { return waiters_.empty(); }

private:
    struct Waiter {
        std::uint64_t id = 0;
        std::size_t replies_left = 0;
        std::size_t collect = 0;
        std::size_t bytes = 0;  // its share of the queued text (queued waiters only)
        bool cancelled = false;
    };

    // Order: written_ written waiters, then writing_count_ in the write
    // under way, then the queued ones, whose bytes are queued_text_ in order.
    std::deque<Waiter> waiters_;
    std::size_t written_ = 0;
    std::size_t writing_count_ = 0;
    std::string queued_text_;
    std::string writing_;
    ReplyParser parser_;
    Reply reply_;
    // The replies collected so far for the oldest waiter (see add()).
    std::vector<Reply> collected_;
    PushSink push_sink_;
};

}  // namespace rediscluster::detail
