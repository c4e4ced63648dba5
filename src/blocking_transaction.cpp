// The blocking driver's side of transactions: WATCH, commands run at once
// and MULTI ... EXEC, each an exchange on the connection the transaction is
// pinned to, each driven by a command machine of its own.

#include <span>
#include <utility>

#include "detail/blocking_driver.hpp"
#include "detail/classify.hpp"
#include "detail/driver_attempt.hpp"
#include "detail/encoded_commands.hpp"
#include "detail/transaction_block.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {

namespace {

using EventKind = CommandEvent::Kind;

// Leaves the pinned connection. One that watches keys is closed: its WATCH
// must not follow it to the pool's next user.
void leave_connection(PinnedTransaction& tx) noexcept {
    if (!tx.connection) return;
    if (tx.read_under_watch) tx.watch_lost = true;
    if (tx.watched_sent > 0) tx.connection->disconnect();
    tx.connection.release();
    tx.watched_sent = 0;
}

}  // namespace

std::optional<CommandEvent> BlockingDriver::exchange(PinnedTransaction& tx, const CommandAction& action,
                                                     Attempt& attempt, std::string_view payload,
                                                     std::size_t payload_replies, bool guarded,
                                                     std::vector<Reply>& replies, bool& watched_now) {
    attempt.reset();
    replies.clear();
    watched_now = false;
    try {
        const bool follow_ask = !action.node && tx.asking && tx.connection;
        tx.asking = action.asking || follow_ask;
        const NodeInfo target = action.node  ? make_node(action.node->host, action.node->port, "master")
                                : follow_ask ? tx.connection.node()
                                             : pool_.nodes.get_master_node_by_slot(tx.slot);
        attempt.set_node(target);
        if (tx.connection && tx.connection.node().name != target.name) leave_connection(tx);
        // EXEC after values were read under a watch that could not follow:
        // not sent, the caller reports it not executed.
        if (tx.watch_lost && guarded) return std::nullopt;
        if (!tx.connection) tx.connection = pool_.get_connection_by_node(target);

        std::string batch;
        std::size_t count = 0;
        const bool watching = tx.watched_sent < tx.watched.size();
        if (watching) {
            if (tx.asking) {
                batch.append(kAsking);
                ++count;
            }
            encode_array_header(batch, 1 + tx.watched.size() - tx.watched_sent);
            encode_bulk(batch, "WATCH");
            for (std::size_t i = tx.watched_sent; i < tx.watched.size(); ++i) encode_bulk(batch, tx.watched[i]);
            ++count;
        }
        if (!payload.empty()) {
            // ASKING holds for one command, or for a whole MULTI ... EXEC.
            if (tx.asking) {
                batch.append(kAsking);
                ++count;
            }
            batch.append(payload);
            count += payload_replies;
        }
        tx.connection->send_packed_command(batch, count);
        Reply asking;
        if (watching) {
            if (tx.asking) tx.connection->read_reply(asking);
            tx.connection->read_reply(replies.emplace_back());
            watched_now = true;
            if (replies.back().is_string() && replies.back().str() == "OK") tx.watched_sent = tx.watched.size();
        }
        if (!payload.empty()) {
            if (tx.asking) tx.connection->read_reply(asking);
            for (std::size_t i = 0; i < payload_replies; ++i) tx.connection->read_reply(replies.emplace_back());
        }
    } catch (const Error& error) {
        leave_connection(tx);
        return attempt.failed_by_exception(error);
    }
    return std::nullopt;
}

std::optional<CommandEvent> BlockingDriver::judge_watch(const std::vector<Reply>& replies, bool watched_now,
                                                        Attempt& attempt, const NodeInfo& node) const {
    if (!watched_now || !replies.front().is_error()) return std::nullopt;
    auto event = judge_reply(replies.front(), attempt, node);
    if (event.kind == EventKind::Failed) return event;
    // Refused outright: the transaction cannot go on.
    const ResponseError refused("WATCH failed on " + node.name + ": " + std::string(replies.front().str()));
    return attempt.failed_by_exception(refused, std::make_exception_ptr(refused));
}

std::optional<CommandFailure> BlockingDriver::watch(PinnedTransaction& tx, Reply& reply) {
    Attempt attempt;
    std::vector<Reply> replies;
    const auto send = [&](const CommandAction& action, Attempt& current) -> CommandEvent {
        bool watched_now = false;
        if (auto failed = exchange(tx, action, current, {}, 0, false, replies, watched_now)) return *failed;
        if (auto failed = judge_watch(replies, watched_now, current, tx.connection.node())) return *failed;
        reply = Reply::simple_string("OK");
        return {.kind = EventKind::Replied};
    };
    return drive(tx.slot, "WATCH", options_.command_timeout, attempt, send);
}

std::optional<CommandFailure> BlockingDriver::run_pinned(PinnedTransaction& tx, const Request& request,
                                                         std::size_t index, Reply& reply) {
    Attempt attempt;
    std::vector<Reply> replies;
    const auto send = [&](const CommandAction& action, Attempt& current) {
        bool watched_now = false;
        if (auto failed = exchange(tx, action, current, request.packed(index), 1, false, replies, watched_now)) {
            return *failed;
        }
        if (auto failed = judge_watch(replies, watched_now, current, tx.connection.node())) return *failed;
        reply = std::move(replies.back());
        const auto event = judge_reply(reply, current, tx.connection.node());
        if (event.kind == EventKind::Replied && !tx.watched.empty()) tx.read_under_watch = true;
        return event;
    };
    return drive(tx.slot, request.name(index), options_.command_timeout, attempt, send);
}

std::optional<CommandFailure> BlockingDriver::exec(PinnedTransaction& tx, const Request& queued, Reply& reply,
                                                   std::vector<Reply>& queued_replies) {
    std::string payload(kMulti);
    for (std::size_t i = 0; i < queued.size(); ++i) payload.append(queued.packed(i));
    payload.append(kExec);
    Attempt attempt;
    std::vector<Reply> replies;
    const auto send = [&](const CommandAction& action, Attempt& current) -> CommandEvent {
        bool watched_now = false;
        if (auto failed = exchange(tx, action, current, payload, queued.size() + 2, true, replies, watched_now)) {
            return *failed;
        }
        if (tx.watch_lost) {
            reply = Reply::null();
            return {.kind = EventKind::Replied};
        }
        const NodeInfo& node = tx.connection.node();
        if (auto failed = judge_watch(replies, watched_now, current, node)) return *failed;
        const auto block = std::span(replies).subspan(watched_now ? 1 : 0);
        const auto verdict = decide_block(block);
        if (verdict.decider == BlockVerdict::Decider::Multi) {
            reply = std::move(block.front());
            return judge_reply(reply, current, node);
        }
        // EXEC has run or discarded the transaction: the watch is over.
        tx.watched_sent = 0;
        reply = verdict.decider == BlockVerdict::Decider::Exec ? std::move(block.back()) : block[verdict.index];
        queued_replies.assign(std::make_move_iterator(block.begin() + 1), std::make_move_iterator(block.end() - 1));
        return judge_reply(reply, current, node);
    };
    return drive(tx.slot, "EXEC", options_.command_timeout, attempt, send);
}

void BlockingDriver::unpin(PinnedTransaction& tx, bool keep) noexcept {
    if (tx.connection && tx.watched_sent > 0 && keep) {
        try {
            tx.connection->send_packed_command(kUnwatch, 1);
            Reply answer;
            tx.connection->read_reply(answer);
            if (!answer.is_error()) tx.watched_sent = 0;
        } catch (const Error&) {
            // Closed below.
        }
    }
    leave_connection(tx);
}

}  // namespace rediscluster::detail
