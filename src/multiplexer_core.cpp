#include "detail/multiplexer_core.hpp"

#include <utility>

namespace rediscluster::detail {

void MultiplexerCore::add(std::string_view packed, std::size_t replies, std::uint64_t id, std::size_t collect) {
    if (replies == 0) {
        throw DataError("MultiplexerCore::add: a command must cause at least one reply");
    }
    if (collect > replies) {
        throw DataError("MultiplexerCore::add: " + std::to_string(collect) + " replies to collect out of " +
                        std::to_string(replies));
    }
    queued_text_.append(packed);
    waiters_.push_back({.id = id, .replies_left = replies, .collect = collect, .bytes = packed.size()});
}

std::string_view MultiplexerCore::prepare_write() {
    if (writing() || queued() == 0) return {};
    // The queued text becomes the write; the old write's storage is reused
    // for what is queued next.
    writing_.clear();
    std::swap(writing_, queued_text_);
    writing_count_ = queued();
    return writing_;
}

void MultiplexerCore::commit_write() {
    written_ += writing_count_;
    writing_count_ = 0;
    writing_.clear();
}

void MultiplexerCore::consume(std::string_view bytes, Consumed& out) {
    out.clear();
    try {
        if (!bytes.empty()) parser_.feed(bytes);
        while (parser_.next(reply_)) {
            if (reply_.type() == ReplyType::Push) {
                if (push_sink_) push_sink_(std::move(reply_));
                reply_ = Reply();
                continue;
            }
            if (in_flight() == 0) {
                // Nothing was written that this could answer: the stream is
                // not what we think it is. (A reply may come before the
                // write that carried its command is committed: the write's
                // completion can be reported after the read's.)
                throw ProtocolError("a reply arrived for no command: " + reply_.to_debug_string());
            }
            Waiter& oldest = waiters_.front();
            --oldest.replies_left;
            if (oldest.replies_left < oldest.collect) {
                collected_.push_back(std::move(reply_));
                reply_ = Reply();
            }
            if (oldest.replies_left > 0) continue;  // ASKING's reply, or one of a block's
            if (oldest.collect > 0) {
                reply_ = Reply::array(std::move(collected_));
                collected_.clear();
            }
            if (!oldest.cancelled) out.replies.push_back({.id = oldest.id, .reply = std::move(reply_)});
            reply_ = Reply();
            waiters_.pop_front();
            if (written_ > 0) {
                --written_;
            } else {
                --writing_count_;
            }
        }
    } catch (const Error& error) {
        out.error = error.what();
        abandon_all(out.abandoned);
    }
}

bool MultiplexerCore::cancel(std::uint64_t id) {
    std::size_t offset = 0;  // where the waiter's bytes start in queued_text_
    for (std::size_t i = 0; i < waiters_.size(); ++i) {
        Waiter& waiter = waiters_[i];
        const bool queued_waiter = i >= written_ + writing_count_;
        if (waiter.id != id || waiter.cancelled) {
            if (queued_waiter) offset += waiter.bytes;
            continue;
        }
        if (queued_waiter) {
            queued_text_.erase(offset, waiter.bytes);
            waiters_.erase(waiters_.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
            waiter.cancelled = true;
        }
        return true;
    }
    return false;
}

void MultiplexerCore::abandon_all(std::vector<Abandoned>& out) {
    // A block whose first replies came has begun too: its EXEC may have run.
    const bool begun = parser_.in_progress() || parser_.buffered() > 0 || !collected_.empty();
    for (std::size_t i = 0; i < waiters_.size(); ++i) {
        const Waiter& waiter = waiters_[i];
        if (waiter.cancelled) continue;
        const bool written = i < written_ + writing_count_;
        out.push_back({.id = waiter.id, .written = written, .reply_begun = i == 0 && written && begun});
    }
    waiters_.clear();
    written_ = 0;
    writing_count_ = 0;
    queued_text_.clear();
    writing_.clear();
    parser_.reset();
    reply_ = Reply();
    collected_.clear();
}

}  // namespace rediscluster::detail
