#pragma once

// What a PubSub wants subscribed, where each subscription is, and what to
// send to bring the two together: a pure state, fed with what the user
// asked and what the nodes said, answering with commands to send. It does
// no I/O and reads no clock; the reader thread of src/pubsub.cpp carries
// its commands and reports back.
//
// Each name (a channel, a pattern or a shard channel) is in one place:
//
//   nowhere ──plan()──► sending ──subscribed──► active
//      ▲                  │                       │ unsubscribed unasked,
//      └── connection lost, MOVED... ◄────────────┘ connection lost
//
// and once the user no longer wants it: active ──plan()──► leaving
// ──unsubscribed──► (gone). A name made active again after it had been
// active is reported as resubscribed.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detail/pubsub_frame.hpp"

namespace rediscluster::detail {

/// One command to send: (P|S)(UN)SUBSCRIBE `names` on `node`.
struct SubscriptionCommand {
    std::string node;
    SubscriptionKind kind = SubscriptionKind::channel;
    bool subscribe = true;
    std::vector<std::string> names;
};

struct Resubscribed {
    SubscriptionKind kind;
    std::string name;
    std::string node;
};

class SubscriptionBook {
public:
    /// Where a name would be subscribed now ("host:port"); nullopt when
    /// that is not known (the slot has no owner in the map).
    using Placement = std::function<std::optional<std::string>(SubscriptionKind, std::string_view)>;

    /// Most names in one command.
    static constexpr std::size_t kNamesPerCommand = 512;

    /// The user wants `names`.
    void want(SubscriptionKind kind, std::span<const std::string> names);
    /// The user no longer wants `names`; every name of `kind` when empty.
    /// Returns the names given up (all of them when `names` is empty).
    std::vector<std::string> unwant(SubscriptionKind kind, std::span<const std::string> names);

    /// The commands that bring the nodes to what is wanted, as far as
    /// `place` knows where; each name sent is then `sending` (or `leaving`)
    /// until its node answers. A shard channel goes in a command with those
    /// of its slot only (the server refuses more).
    std::vector<SubscriptionCommand> plan(const Placement& place);

    /// `node` confirmed `name`. Returns the resubscription when the name
    /// had been active before.
    std::optional<Resubscribed> on_subscribed(std::string_view node, SubscriptionKind kind, std::string_view name);
    /// `node` dropped `name` (asked or not). True when the name is still
    /// wanted: it was lost and must be placed again.
    bool on_unsubscribed(std::string_view node, SubscriptionKind kind, std::string_view name);
    /// `node` answered an error: to its oldest command still unanswered,
    /// which is returned. Its names go back to nowhere (a subscribe) or
    /// are gone (an unsubscribe).
    std::optional<SubscriptionCommand> on_error(std::string_view node);
    /// The connection to `node` failed: what was there is nowhere now.
    /// True when something wanted was there.
    bool on_connection_lost(std::string_view node);
    /// The user's names that `command` tried, given up for good (a refusal
    /// that will not change, such as NOPERM): no longer wanted.
    void give_up(const SubscriptionCommand& command);

    /// Every name of `names` wanted and active.
    [[nodiscard]] bool all_active(SubscriptionKind kind, std::span<const std::string> names) const;
    /// None of `names` is anywhere.
    [[nodiscard]] bool all_gone(SubscriptionKind kind, std::span<const std::string> names) const;
    /// Whether `name` is wanted.
    [[nodiscard]] bool wanted(SubscriptionKind kind, std::string_view name) const;
    /// The wanted names of `kind`, sorted.
    [[nodiscard]] std::vector<std::string> wanted_names(SubscriptionKind kind) const;
    /// Nodes that hold a name or owe an answer.
    [[nodiscard]] std::vector<std::string> nodes_in_use() const;
    /// Some wanted name is nowhere (plan() has work, when it can place it).
    [[nodiscard]] bool has_unplaced() const;

private:
    enum class Place : std::uint8_t { nowhere, sending, active, leaving };
    struct Entry {
        bool wanted = true;
        Place place = Place::nowhere;
        bool was_active = false;
        std::string node;
    };
    using Entries = std::map<std::string, Entry, std::less<>>;

    Entries& entries(SubscriptionKind kind) { return entries_[static_cast<std::size_t>(kind)]; }
    const Entries& entries(SubscriptionKind kind) const { return entries_[static_cast<std::size_t>(kind)]; }
    // Removes `name` from the oldest unanswered command of `node` of this
    // kind and direction, dropping the command once every name answered.
    void answer(std::string_view node, SubscriptionKind kind, bool subscribe, std::string_view name);

    Entries entries_[3];
    // Per node, the commands sent and not fully answered, oldest first:
    // an error answers the oldest (a command fails whole).
    std::map<std::string, std::deque<SubscriptionCommand>, std::less<>> unanswered_;
};

}  // namespace rediscluster::detail
