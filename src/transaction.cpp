#include "rediscluster/transaction.hpp"

#include <string>

#include "detail/transaction_state.hpp"
#include "rediscluster/error_reply.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster {

namespace {

[[noreturn]] void raise_exec_abort(const Reply& exec_reply, const std::vector<Reply>& queued_replies,
                                   const detail::Request& queued) {
    std::string message(exec_reply.str());
    for (std::size_t i = 0; i < queued_replies.size() && i < queued.size(); ++i) {
        if (queued_replies[i].is_error()) {
            message += " First refused: command " + std::to_string(i + 1) + " (" + std::string(queued.name(i)) +
                       "): " + std::string(queued_replies[i].str());
            break;
        }
    }
    throw ExecAbortError(message);
}

}  // namespace

Transaction::Transaction(std::unique_ptr<State> state) : state_(std::move(state)) {}
Transaction::Transaction(Transaction&&) noexcept = default;
Transaction& Transaction::operator=(Transaction&&) noexcept = default;
Transaction::~Transaction() = default;

Transaction& Transaction::watch_keys(std::span<const std::string_view> keys) {
    auto& state = *state_;
    state.check_open();
    detail::check_watched_keys(keys, state.pinned.slot);
    state.pinned.watched.insert(state.pinned.watched.end(), keys.begin(), keys.end());
    Reply reply;
    if (const auto failure = state.core->driver().watch(state.pinned, reply)) detail::raise(*failure, reply);
    return *this;
}

Transaction& Transaction::queue(std::span<const std::string_view> args) {
    auto& state = *state_;
    state.check_open();
    state.queued.add(args, state.analyse(args, false));
    return *this;
}

Transaction::Now Transaction::now() {
    state_->check_open();
    return Now(*state_);
}

Reply Transaction::Now::run(std::span<const std::string_view> args) {
    auto& state = *state_;
    state.check_open();
    detail::ThreadRequest lease;
    lease.get().add(args, state.analyse(args, true));
    Reply reply;
    if (const auto failure = state.core->driver().run_pinned(state.pinned, lease.get(), 0, reply)) {
        detail::raise(*failure, reply);
    }
    if (reply.is_error()) throw_error_reply(reply.str());
    return reply;
}

std::optional<std::vector<Reply>> Transaction::exec(bool raise_on_error) {
    auto& state = *state_;
    state.check_open();
    if (state.queued.empty()) {
        throw TransactionError("exec() without commands: queue at least one before exec(), or discard()");
    }
    Reply reply;
    std::vector<Reply> queued_replies;
    if (const auto failure = state.exec(state.queued, reply, queued_replies)) detail::raise(*failure, reply);
    if (reply.is_null()) return std::nullopt;
    if (reply.is_error()) {
        if (classify_error_reply(reply.str()) == ErrorReplyKind::exec_abort) {
            raise_exec_abort(reply, queued_replies, state.queued);
        }
        throw_error_reply(reply.str());
    }
    auto replies = std::move(reply).take_elements();
    if (raise_on_error) {
        for (const auto& one : replies) {
            if (!one.is_error()) continue;
            state.replies = replies;
            throw_error_reply(one.str());
        }
    }
    return replies;
}

void Transaction::discard() {
    auto& state = *state_;
    state.check_open();
    state.finished = true;
    state.queued.clear();
    state.core->driver().unpin(state.pinned, true);
}

const std::vector<Reply>& Transaction::replies() const noexcept { return state_->replies; }
std::size_t Transaction::size() const noexcept { return state_->queued.size(); }
std::uint16_t Transaction::slot() const noexcept { return state_->pinned.slot; }

}  // namespace rediscluster
