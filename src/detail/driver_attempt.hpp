#pragma once

// What one attempt of a command produced, as the blocking driver keeps it
// (the node it went to, and how it failed: a reply, or an exception), and
// the driver's loop over a command's state machine.

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "detail/blocking_driver.hpp"
#include "detail/classify.hpp"
#include "detail/command_fsm.hpp"
#include "detail/encoded_commands.hpp"

namespace rediscluster::detail {

// What one attempt produced, kept until the machine has heard of it (its
// event points into it) and, for the last one, until the command ends.
struct Attempt {
    NodeInfo node;
    bool has_node = false;
    bool by_reply = false;         // the failure is the reply itself
    std::exception_ptr cause;      // or the exception that was thrown
    std::string description;       // what() of `cause`
    std::optional<HostPort> redirect;

    void reset() {
        has_node = false;
        by_reply = false;
        cause = nullptr;
        description.clear();
        redirect.reset();
    }
    void set_node(const NodeInfo& used) {
        node = used;
        has_node = true;
    }
    // A Failed event for `error`, kept as `thrown` (by default the
    // exception being handled).
    CommandEvent failed_by_exception(const Error& error, std::exception_ptr thrown = std::current_exception()) {
        cause = std::move(thrown);
        description = error.what();
        return {.kind = CommandEvent::Kind::Failed,
                .now = Clock::now(),
                .failure = classify(error),
                .description = description,
                .node = has_node ? &node : nullptr};
    }
    [[nodiscard]] CommandFailure failure(const CommandAction& fail) const {
        if (!fail.message.empty()) {
            return {.kind = CommandFailure::Kind::Exhausted, .message = std::string(fail.message)};
        }
        if (by_reply) return {.kind = CommandFailure::Kind::ErrorReply, .host = node.host};
        return {.kind = CommandFailure::Kind::Raised, .cause = cause};
    }
};

// Carries out the actions of one command's machine until it is done:
// `send(action, attempt)` makes one attempt and returns its event. `slot`
// is the one a MOVED is recorded for (none for a command without keys).
template <class Send>
std::optional<CommandFailure> BlockingDriver::drive(std::optional<std::uint16_t> slot, std::string_view name,
                                                    std::optional<std::chrono::milliseconds> budget, Attempt& attempt,
                                                    Send&& send) {
    CommandMachine machine(slot, name, options_.limits, budget, Clock::now());
    auto action = machine.resume({.kind = CommandEvent::Kind::Start});
    for (;;) {
        switch (action.kind) {
            case CommandAction::Kind::Send: action = machine.resume(send(action, attempt)); break;
            case CommandAction::Kind::UpdateTopology:
                update_topology(action, slot);
                refresh(action.refresh);
                action = machine.resume({.kind = CommandEvent::Kind::TopologyUpdated, .now = Clock::now()});
                break;
            case CommandAction::Kind::Backoff:
                std::this_thread::sleep_for(action.delay);
                action = machine.resume({.kind = CommandEvent::Kind::BackoffOver});
                break;
            case CommandAction::Kind::Done: return std::nullopt;
            case CommandAction::Kind::Fail: return attempt.failure(action);
        }
    }
}

}  // namespace rediscluster::detail
