#include "detail/command_fsm.hpp"

namespace rediscluster::detail {

namespace {

std::string_view event_name(CommandEvent::Kind kind) {
    switch (kind) {
        case CommandEvent::Kind::Start: return "Start";
        case CommandEvent::Kind::Replied: return "Replied";
        case CommandEvent::Kind::Failed: return "Failed";
        case CommandEvent::Kind::TopologyUpdated: return "TopologyUpdated";
        case CommandEvent::Kind::BackoffOver: return "BackoffOver";
    }
    return "?";
}

}  // namespace

CommandAction CommandMachine::resume(const CommandEvent& event) {
    using Kind = CommandEvent::Kind;
    switch (state_) {
        case State::Ready:
            if (event.kind == Kind::Start) return send();
            break;
        case State::Sending:
            if (event.kind == Kind::Replied) return finish({.kind = CommandAction::Kind::Done});
            if (event.kind == Kind::Failed) return on_failure(event);
            break;
        case State::UpdatingTopology:
            if (event.kind == Kind::TopologyUpdated) return after_topology(event);
            break;
        case State::BackingOff:
            if (event.kind == Kind::BackoffOver) return send();
            break;
        case State::Finished: break;
    }
    return fail("internal error: " + std::string(name_) + " got event " + std::string(event_name(event.kind)) +
                " in a state that does not expect it");
}

CommandAction CommandMachine::send() {
    state_ = State::Sending;
    target_ = std::exchange(next_node_, std::nullopt);
    return {.kind = CommandAction::Kind::Send,
            .node = target_ ? &*target_ : nullptr,
            .asking = std::exchange(next_asking_, false)};
}

CommandAction CommandMachine::finish(CommandAction action) {
    state_ = State::Finished;
    return action;
}

CommandAction CommandMachine::fail(std::string message) {
    message_ = std::move(message);
    return finish({.kind = CommandAction::Kind::Fail, .message = message_});
}

CommandAction CommandMachine::on_failure(const CommandEvent& event) {
    const Failure failure = event.failure;
    ++counts_.attempts;
    if (failure == Failure::Moved || failure == Failure::Ask) ++counts_.redirects;
    if (failure == Failure::ClusterDown) ++counts_.cluster_down_seen;
    if (history_.size() == kAttemptsShown) history_.erase(history_.begin());
    history_.push_back("attempt " + std::to_string(counts_.attempts) + " on " +
                       (event.node != nullptr ? event.node->name : std::string("(no connection)")) + ": " +
                       std::string(event.description));
    if (failure == Failure::Fatal) {
        // Wrong credentials and the like: not worth a retry, nor counted
        // against the redirect limit.
        return finish({.kind = CommandAction::Kind::Fail});
    }

    std::optional<std::chrono::milliseconds> time_left;
    if (budget_) time_left = *budget_ - std::chrono::duration_cast<std::chrono::milliseconds>(event.now - started_);
    const RetryDecision decision = decide_retry(failure, counts_, limits_, time_left);

    moved_to_.reset();
    moved_sender_.reset();
    failed_node_.reset();
    if (decision.mark_node_failed && event.node != nullptr) failed_node_ = *event.node;
    // A keyless command has no slot to record: it follows the MOVED instead.
    if (decision.update_slot_map && event.redirect && slot_) {
        moved_to_ = event.redirect;
        if (event.node != nullptr) moved_sender_ = HostPort{event.node->host, event.node->port};
    }
    const bool update = decision.refresh != RetryDecision::Refresh::None || failed_node_ || moved_to_;
    const CommandAction update_topology{.kind = CommandAction::Kind::UpdateTopology,
                                        .moved_to = moved_to_ ? &*moved_to_ : nullptr,
                                        .moved_sender = moved_sender_ ? &*moved_sender_ : nullptr,
                                        .failed_node = failed_node_ ? &*failed_node_ : nullptr,
                                        .refresh = decision.refresh};

    if (decision.action == RetryDecision::Action::Fail) {
        CommandAction fail{.kind = CommandAction::Kind::Fail};
        if (decision.out_of_attempts || (decision.out_of_time && counts_.attempts > 1)) {
            message_ = exhausted_message(decision);
            fail.exhausted = true;
            fail.message = message_;
        }
        if (!update) return finish(fail);
        // The topology update still happens (the next command should find
        // a better map); the failure follows it.
        state_ = State::UpdatingTopology;
        pending_failure_ = fail;
        return update_topology;
    }

    next_delay_ = decision.delay;
    next_node_.reset();
    next_asking_ = false;
    if (decision.action == RetryDecision::Action::RetryAsking && event.redirect) {
        next_node_ = event.redirect;
        next_asking_ = true;
    } else if (decision.action == RetryDecision::Action::RetryMoved && event.redirect && !slot_) {
        next_node_ = event.redirect;  // keyless: go where told
    }
    if (update) {
        state_ = State::UpdatingTopology;
        return update_topology;
    }
    return after_topology(event);
}

CommandAction CommandMachine::after_topology(const CommandEvent& event) {
    if (pending_failure_) return finish(*std::exchange(pending_failure_, std::nullopt));
    // The update may have taken a while (a discovery waits on its nodes):
    // a command whose budget it spent goes no further. (An event without a
    // time is not judged.)
    if (budget_ && event.now != Clock::time_point{} && event.now - started_ >= *budget_) {
        RetryDecision spent;
        spent.out_of_time = true;
        message_ = exhausted_message(spent);
        return finish({.kind = CommandAction::Kind::Fail, .exhausted = true, .message = message_});
    }
    if (next_delay_.count() > 0) {
        state_ = State::BackingOff;
        return {.kind = CommandAction::Kind::Backoff, .delay = std::exchange(next_delay_, std::chrono::milliseconds(0))};
    }
    return send();
}

std::string CommandMachine::exhausted_message(const RetryDecision& decision) const {
    std::string what;
    if (static_cast<std::size_t>(counts_.attempts) > history_.size()) {
        what = "\n  (the first " + std::to_string(counts_.attempts - static_cast<int>(history_.size())) + " not shown)";
    }
    for (const auto& line : history_) what += "\n  " + line;
    const std::string reason = decision.out_of_time
                                   ? "command_timeout of " + std::to_string(budget_ ? budget_->count() : 0) + " ms spent"
                                   : "TTL exhausted";
    return reason + ": " + std::string(name_) + " failed after " + std::to_string(counts_.attempts) + " attempts:" + what;
}

}  // namespace rediscluster::detail
