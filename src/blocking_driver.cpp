#include "detail/blocking_driver.hpp"

#include <algorithm>
#include <random>
#include <thread>
#include <utility>

#include "detail/classify.hpp"
#include "detail/driver_attempt.hpp"
#include "detail/fan_out.hpp"
#include "detail/multiplexed_connection.hpp"
#include "detail/random.hpp"
#include "rediscluster/error_reply.hpp"

namespace rediscluster::detail {

namespace {

using ActionKind = CommandAction::Kind;
using EventKind = CommandEvent::Kind;

NodeInfo random_master(const ClusterConnectionPool& pool) {
    auto masters = pool.get_nodes_by_server_type("master");
    if (masters.empty()) return pool.nodes.random_node();
    return masters[std::uniform_int_distribution<std::size_t>(0, masters.size() - 1)(thread_random())];
}

// The slot a MOVED is recorded against: the keys' slot. A slot that only
// picks a shard for a keyless part says nothing about where keys live.
std::optional<std::uint16_t> recorded_slot(const CommandFacts& facts) {
    return facts.slot_picks_shard ? std::nullopt : facts.slot;
}

std::string what_of(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown error";
    }
}

}  // namespace

void raise(const CommandFailure& failure, const Reply& reply) {
    switch (failure.kind) {
        case CommandFailure::Kind::ErrorReply: throw_error_reply(reply.str(), failure.host);
        case CommandFailure::Kind::Raised:
            if (failure.cause) std::rethrow_exception(failure.cause);
            break;
        case CommandFailure::Kind::Exhausted: break;
    }
    throw ClusterError(failure.message);
}

Reply as_error_reply(const CommandFailure& failure, const Reply& reply) {
    switch (failure.kind) {
        case CommandFailure::Kind::ErrorReply: return reply;
        case CommandFailure::Kind::Raised:
            if (failure.cause) return Reply::error(what_of(failure.cause));
            break;
        case CommandFailure::Kind::Exhausted: break;
    }
    return Reply::error(failure.message);
}

BlockingDriver::BlockingDriver(ClusterConnectionPool& pool, Multiplexer* multiplexer, DriverOptions options,
                               std::function<void()> request_refresh)
    : pool_(pool), multiplexer_(multiplexer), options_(options), request_refresh_(std::move(request_refresh)) {}

// --- one command --------------------------------------------------------------

std::optional<CommandFailure> BlockingDriver::run(const Request& request, std::size_t index, Reply& reply) {
    const CommandFacts& facts = request.facts(index);
    const std::string_view packed = request.packed(index);
    Attempt attempt;
    // A blocking command's own wait does not count against its budget.
    const auto budget = extended_by(options_.command_timeout, facts.block_for);
    return drive(recorded_slot(facts), request.name(index), budget, attempt,
                 [&](const CommandAction& action, Attempt& current) {
                     return send_one(facts, packed, action, reply, current);
                 });
}

CommandEvent BlockingDriver::send_one(const CommandFacts& facts, std::string_view packed, const CommandAction& action,
                                      Reply& reply, Attempt& attempt) {
    attempt.reset();
    // Released (closed, when it broke) before the machine decides: a
    // backoff never holds a connection.
    PooledConnection connection;
    std::shared_ptr<MultiplexedConnection> shared;
    try {
        const bool shareable = multiplexer_ != nullptr && !facts.blocking && facts.slot && !action.node &&
                               !facts.node && !(facts.read_only && options_.read_from_replicas);
        if (shareable) {
            shared = multiplexer_->connection_to(pool_, pool_.nodes.get_master_node_by_slot(*facts.slot));
            shared->execute(packed, reply);
            return judge_reply(reply, attempt, shared->node());
        }
        if (const HostPort* node = action.node ? action.node : facts.node ? &*facts.node : nullptr) {
            connection = pool_.get_connection_by_node(make_node(node->host, node->port, "master"));
        } else if (facts.slot) {
            connection = pool_.get_connection_by_slot(*facts.slot, facts.read_only && options_.read_from_replicas);
        } else {
            connection = pool_.get_connection_by_node(random_master(pool_));
        }
        if (action.asking) {
            // ASKING and the command in one write; ASKING's reply first
            // (when it was refused, the command's own reply says so).
            std::string batch;
            batch.reserve(kAsking.size() + packed.size());
            batch.append(kAsking).append(packed);
            connection->send_packed_command(batch, 2);
            connection->read_reply(reply);
        } else {
            connection->send_packed_command(packed, 1);
        }
        if (facts.block_for) {
            // The server keeps the reply back for as long as the command
            // said: socket_timeout counts from the end of that wait.
            connection->read_reply(reply, extended_by(connection->options().socket_timeout, facts.block_for));
        } else {
            connection->read_reply(reply);
        }
    } catch (const Error& error) {
        if (connection) {
            attempt.set_node(connection.node());
        } else if (shared) {
            attempt.set_node(shared->node());
        }
        return attempt.failed_by_exception(error);
    }
    return judge_reply(reply, attempt, connection.node());
}

CommandEvent BlockingDriver::judge_reply(const Reply& reply, Attempt& attempt, const NodeInfo& node) const {
    if (!reply.is_error()) return {.kind = EventKind::Replied};
    const auto failure = classify_error_reply_text(reply.str());
    if (!failure) return {.kind = EventKind::Replied};  // the command's own answer
    if (!attempt.has_node) attempt.set_node(node);
    CommandEvent event{.kind = EventKind::Failed,
                       .now = Clock::now(),
                       .failure = *failure,
                       .description = reply.str(),
                       .node = attempt.has_node ? &attempt.node : nullptr};
    if (*failure == Failure::Moved || *failure == Failure::Ask) {
        try {
            const auto redirect = parse_redirect(reply.str());
            // An empty host means the node that answered.
            HostPort target{redirect->host.empty() ? attempt.node.host : redirect->host, redirect->port};
            attempt.redirect = pool_.options().host_port_remap.apply(target);
            event.redirect = attempt.redirect;
        } catch (const Error& error) {
            return attempt.failed_by_exception(error);  // a malformed redirect: nothing to follow
        }
    }
    attempt.by_reply = true;
    return event;
}

void BlockingDriver::update_topology(const CommandAction& action, std::optional<std::uint16_t> slot) {
    if (action.failed_node) pool_.mark_node_failed(*action.failed_node);
    if (action.moved_to && slot) {
        std::optional<HostPort> sender;
        if (action.moved_sender) sender = *action.moved_sender;
        if (pool_.nodes.record_moved(*slot, *action.moved_to, sender)) request_refresh_();
    }
}

void BlockingDriver::refresh(RetryDecision::Refresh refresh) {
    switch (refresh) {
        case RetryDecision::Refresh::None: break;
        case RetryDecision::Refresh::InBackground: request_refresh_(); break;
        case RetryDecision::Refresh::BeforeRetry:
            try {
                (void)pool_.nodes.refresh_if_due();
            } catch (const Error&) {
                // The retry goes by the map we have; the next failure asks again.
            }
            break;
    }
}

const NodeInfo& BlockingDriver::target_node(const CommandFacts& facts, const CommandAction& action,
                                           const SlotTable& table, NodeInfo& storage) {
    if (action.node) return storage = make_node(action.node->host, action.node->port, "master");
    if (facts.node) return storage = make_node(facts.node->host, facts.node->port, "master");
    if (!facts.slot) return storage = random_master(pool_);
    if (facts.read_only && options_.read_from_replicas) return storage = pool_.get_node_by_slot(*facts.slot, true);
    if (const NodeInfo* master = table.master(*facts.slot)) return *master;
    return storage = pool_.nodes.get_master_node_by_slot(*facts.slot);  // throws SlotNotCoveredError
}

// --- a batch ------------------------------------------------------------------

struct BatchScratch::State {
    struct Command {
        CommandAction action;
        Attempt attempt;
        Clock::time_point ready_at{};  // Backoff: when it is over
        bool finished = false;
    };
    // The commands bound for one node in one round.
    struct Group {
        NodeInfo node;
        std::vector<std::size_t> members;
        std::string batch;
        PooledConnection connection;
    };
    std::vector<CommandMachine> machines;
    std::vector<Command> commands;
    std::vector<Group> groups;  // the first group_count are this round's
    std::size_t group_count = 0;
    Reply asking_reply;
    NodeInfo node_storage;  // a target that is not in the slot table

    Group& group_for(const NodeInfo& node) {
        for (std::size_t i = 0; i < group_count; ++i) {
            if (groups[i].node.port == node.port && groups[i].node.host == node.host) return groups[i];
        }
        if (group_count == groups.size()) groups.emplace_back();
        Group& group = groups[group_count++];
        group.node = node;
        group.members.clear();
        group.batch.clear();
        return group;
    }
};

BatchScratch::BatchScratch() : state_(std::make_unique<State>()) {}
BatchScratch::~BatchScratch() = default;

void BlockingDriver::run_all(const Request& request, std::span<Reply> replies,
                             std::vector<std::optional<CommandFailure>>& failures, BatchScratch& scratch) {
    auto& state = *scratch.state_;
    const std::size_t count = request.size();
    failures.assign(count, std::nullopt);
    state.machines.clear();
    // Reserved up front: an action points into its machine, which must
    // not move while the batch runs.
    state.machines.reserve(count);
    state.commands.resize(count);
    const auto started = Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
        state.machines.emplace_back(recorded_slot(request.facts(i)), request.name(i), options_.limits,
                                    options_.command_timeout, started);
        auto& command = state.commands[i];
        command.finished = false;
        command.attempt.reset();
        command.action = state.machines[i].resume({.kind = EventKind::Start});
    }
    std::size_t unfinished = count;

    // Carries out every action that is not a Send, until each command is
    // ready to send, backing off, or finished. Topology updates come first
    // and a refresh runs once per round, however many commands asked.
    const auto settle = [&] {
        auto refresh_wanted = RetryDecision::Refresh::None;
        for (std::size_t i = 0; i < count; ++i) {
            auto& command = state.commands[i];
            if (command.finished || command.action.kind != ActionKind::UpdateTopology) continue;
            update_topology(command.action, request.facts(i).slot);
            refresh_wanted = std::max(refresh_wanted, command.action.refresh);
        }
        refresh(refresh_wanted);
        const auto now = Clock::now();
        for (std::size_t i = 0; i < count; ++i) {
            auto& command = state.commands[i];
            if (command.finished) continue;
            if (command.action.kind == ActionKind::UpdateTopology) {
                command.action = state.machines[i].resume({.kind = EventKind::TopologyUpdated, .now = now});
            }
            if (command.action.kind == ActionKind::Backoff && command.ready_at == Clock::time_point{}) {
                command.ready_at = now + command.action.delay;
            }
            if (command.action.kind == ActionKind::Backoff && command.ready_at <= now) {
                command.ready_at = {};
                command.action = state.machines[i].resume({.kind = EventKind::BackoffOver});
            }
            if (command.action.kind == ActionKind::Done || command.action.kind == ActionKind::Fail) {
                if (command.action.kind == ActionKind::Fail) failures[i] = command.attempt.failure(command.action);
                command.finished = true;
                --unfinished;
            }
        }
    };

    const auto fail_member = [&](std::size_t i, const Error& error, const NodeInfo* node = nullptr,
                                 std::exception_ptr thrown = std::current_exception()) {
        auto& attempt = state.commands[i].attempt;
        if (node != nullptr) attempt.set_node(*node);
        state.commands[i].action = state.machines[i].resume(attempt.failed_by_exception(error, std::move(thrown)));
    };

    for (;;) {
        settle();
        if (unfinished == 0) break;
        // Whatever may go now is grouped by node, in the order the commands
        // were added.
        state.group_count = 0;
        auto wake_at = Clock::time_point::max();
        const auto table = pool_.nodes.slots();  // one snapshot for the round
        for (std::size_t i = 0; i < count; ++i) {
            auto& command = state.commands[i];
            if (command.finished) continue;
            if (command.action.kind == ActionKind::Backoff) {
                wake_at = std::min(wake_at, command.ready_at);
                continue;
            }
            command.attempt.reset();
            try {
                state.group_for(target_node(request.facts(i), command.action, *table, state.node_storage)).members.push_back(i);
            } catch (const Error& error) {
                fail_member(i, error);  // no node serves its slot
            }
        }
        if (state.group_count == 0) {
            // Every command left is backing off (or just failed): wait for
            // the first, then settle again.
            if (wake_at != Clock::time_point::max()) std::this_thread::sleep_until(wake_at);
            continue;
        }
        // Connections, never waiting for one while holding another: only
        // the first may wait (at a blocking pool's cap); a node whose
        // connection cannot be had at once waits for the next round, after
        // the ones held are given back.
        std::size_t held = 0;
        for (std::size_t g = 0; g < state.group_count; ++g) {
            auto& group = state.groups[g];
            try {
                group.connection = held == 0 ? pool_.get_connection_by_node(group.node)
                                             : pool_.try_get_connection_by_node(group.node);
            } catch (const Error& error) {
                for (const auto i : group.members) fail_member(i, error, &group.node);
                continue;
            }
            if (group.connection) ++held;
        }
        // Everything is written before anything is read, so the nodes work
        // on their parts at the same time.
        for (std::size_t g = 0; g < state.group_count; ++g) {
            auto& group = state.groups[g];
            if (!group.connection) continue;
            std::size_t replies_expected = 0;
            for (const auto i : group.members) {
                if (state.commands[i].action.asking) {
                    group.batch.append(kAsking);
                    ++replies_expected;
                }
                group.batch.append(request.packed(i));
                ++replies_expected;
            }
            try {
                group.connection->send_packed_command(group.batch, replies_expected);
            } catch (const Error& error) {
                for (const auto i : group.members) fail_member(i, error, &group.node);
                group.connection.release();
            }
        }
        for (std::size_t g = 0; g < state.group_count; ++g) {
            auto& group = state.groups[g];
            if (!group.connection) continue;
            std::size_t next = 0;
            try {
                for (; next < group.members.size(); ++next) {
                    const auto i = group.members[next];
                    auto& command = state.commands[i];
                    if (command.action.asking) group.connection->read_reply(state.asking_reply);
                    group.connection->read_reply(replies[i]);
                    command.action = state.machines[i].resume(judge_reply(replies[i], command.attempt, group.node));
                }
            } catch (const IncompleteReplyError& error) {
                // Only the reply that broke off is known to have begun (its
                // command ran): it is not sent again. Those after it lost
                // their connection before a byte of their replies, as a
                // single command whose connection closes, and are told so.
                fail_member(group.members[next], error, &group.node);
                const ConnectionError lost("Connection to " + group.node.name +
                                           " lost before the reply (an earlier reply broke off: " + error.what() + ")");
                const auto thrown = std::make_exception_ptr(lost);
                for (++next; next < group.members.size(); ++next) fail_member(group.members[next], lost, &group.node, thrown);
            } catch (const Error& error) {
                // The one whose reply failed gets what happened; those
                // after it were written too, and their fate is the same
                // (a timeout or a malformed reply: they may have run; a
                // closed connection: as a single command would be told).
                for (; next < group.members.size(); ++next) fail_member(group.members[next], error, &group.node);
            }
            group.connection.release();
        }
    }
}

// --- every master, every node --------------------------------------------------

std::optional<CommandFailure> BlockingDriver::run_fanned_out(const Request& request, std::size_t index, Reply& reply) {
    const CommandFacts& facts = request.facts(index);
    const auto table = pool_.nodes.slots();
    const auto parts = plan_fan_out(facts, *table);
    if (parts.empty()) {
        return CommandFailure{.kind = CommandFailure::Kind::Raised,
                              .cause = std::make_exception_ptr(
                                  RedisClusterException("no master is known: the cluster was not discovered"))};
    }
    // One copy of the command per part, each run by its own machine.
    Request copies;
    std::vector<std::string> names;
    names.reserve(parts.size());
    for (const auto& part : parts) {
        copies.add_encoded(request.packed(index), request.name(index), part.facts);
        names.push_back(part.node_name);
    }
    std::vector<Reply> replies(parts.size());
    std::vector<std::optional<CommandFailure>> failures;
    BatchScratch scratch;
    run_all(copies, replies, failures, scratch);

    // A part that failed outright fails the command, unless one success is
    // all the command needs; then it counts as an error reply.
    const bool one_is_enough = facts.response == ResponsePolicy::OneSucceeded;
    std::optional<std::size_t> first_failure;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!failures[i]) continue;
        if (!first_failure) first_failure = i;
        if (!one_is_enough) {
            reply = std::move(replies[i]);
            return failures[i];
        }
    }
    if (one_is_enough && first_failure) {
        bool any_success = false;
        for (std::size_t i = 0; i < parts.size(); ++i) any_success = any_success || (!failures[i] && !replies[i].is_error());
        if (!any_success) {
            reply = std::move(replies[*first_failure]);
            return failures[*first_failure];
        }
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (failures[i]) replies[i] = as_error_reply(*failures[i], replies[i]);
        }
    }
    auto combined = combine_replies(facts.response, replies, names);
    reply = std::move(combined.reply);
    if (combined.error_part) {
        const auto& name = names[*combined.error_part];
        return CommandFailure{.kind = CommandFailure::Kind::ErrorReply, .host = name.substr(0, name.rfind(':'))};
    }
    if (!combined.mismatch.empty()) {
        return CommandFailure{.kind = CommandFailure::Kind::Raised,
                              .cause = std::make_exception_ptr(
                                  ProtocolError(std::string(request.name(index)) + ": " + combined.mismatch))};
    }
    return std::nullopt;
}

}  // namespace rediscluster::detail
