#pragma once

// Transaction: MULTI ... EXEC on the node that serves one slot, with WATCH
// for optimistic locking.
//
// ```
//   auto tx = rc.transaction("{user:1}");           // the slot of this key or hash tag
//   tx.watch("{user:1}:balance");                    // sent at once
//   auto balance = tx.now().get("{user:1}:balance"); // read under the watch
//   tx.set("{user:1}:balance", "90").incr("{user:1}:version");   // queued
//   if (auto replies = tx.exec()) {
//       // ran: one reply per queued command
//   } else {
//       // a watched key changed: nothing ran; read again and retry
//   }
// ```
//
// Every key (watched, queued or run at once) must be in the transaction's
// slot: another slot is refused with ClusterCrossSlotError before anything
// is sent. Commands are queued in the client; exec() sends MULTI, the
// commands and EXEC in one write.
//
// The connection: from the first watch() or now() command to exec(),
// discard() or the transaction's end, the transaction holds one connection
// to the slot's master, out of the pool (WATCH belongs to a connection).
// exec() and discard() give it back; destroying a transaction that still
// watches closes it instead, so its watch cannot reach the pool's next
// user.
//
// Failures: each exchange (a WATCH, a command run at once, the MULTI ...
// EXEC block) follows the client's rules for one command, within
// command_timeout. A MOVED or ASK before EXEC ran (on WATCH, on a queued
// command, or on EXEC itself, which then runs nothing) sends the exchange
// to the new owner, watching the watched keys there first. When values were
// already read under the watch (now()), the watch cannot follow them to a
// new node: exec() then runs nothing and returns "not executed", as when a
// watched key changed, so the caller reads again.
//
// Thread safety: a Transaction is used by one thread at a time.
// Transactions of one client may run concurrently, with each other and with
// the client's own commands.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string_view>
#include <vector>

#include "rediscluster/commands.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster {

class RedisCluster;

class Transaction : public Commands<Transaction> {
public:
    class Now;

    /// Made by RedisCluster::transaction(). A moved-from transaction may
    /// only be assigned to or destroyed.
    Transaction(Transaction&&) noexcept;
    Transaction& operator=(Transaction&&) noexcept;
    ~Transaction();

    /// WATCH: sent at once, on the transaction's connection. Keys of
    /// another slot are refused (ClusterCrossSlotError).
    template <CommandArgument... Keys>
    Transaction& watch(const Keys&... keys) {
        static_assert(sizeof...(Keys) > 0, "watch() needs at least one key");
        return with_argument_views([&](auto views) -> decltype(auto) { return watch_keys(views); }, keys...);
    }
    /// watch() with the keys in a span.
    Transaction& watch_keys(std::span<const std::string_view> keys);

    /// Queues any command (nothing is sent before exec()). Refused at
    /// once: keys of another slot (ClusterCrossSlotError), commands a
    /// cluster client refuses (SELECT, MULTI, SUBSCRIBE...), and commands
    /// that run on every master (PING, DBSIZE, KEYS...).
    template <CommandArgument... Args>
    Transaction& execute_command(const Args&... args) {
        return with_argument_views([&](auto views) -> decltype(auto) { return queue(views); }, args...);
    }
    /// execute_command() with the arguments in a range.
    template <std::ranges::forward_range Range>
        requires CommandArgument<std::ranges::range_value_t<Range>>
    Transaction& execute_command_range(const Range& args) {
        return with_range_views([&](auto views) -> decltype(auto) { return queue(views); }, args);
    }

    // The typed commands (get, set, incr, hset...) come from
    // Commands<Transaction> (commands.hpp): each queues its command and
    // returns this transaction; its reply is in exec()'s result.

    /// Commands run at once on the transaction's connection, outside
    /// MULTI: to read what the watch guards (`tx.now().get(key)`). The
    /// typed commands and execute_command() return their values, as on the
    /// client. Valid while the transaction lives.
    [[nodiscard]] Now now();

    /// Sends MULTI, the queued commands and EXEC. Returns the replies, one
    /// per queued command in order; nullopt when nothing ran because a
    /// watched key changed (or the watch was lost, see above).
    ///
    /// Errors: a command the server refused while queuing (a wrong
    /// argument count...) aborts the whole transaction: ExecAbortError with
    /// the server's text and the first refusal. A command that failed while
    /// EXEC ran (WRONGTYPE...) did not stop the others: with
    /// `raise_on_error` (the default) its error is thrown as its own type
    /// after all ran, and replies() holds every reply; without it, each
    /// failure is an error Reply in its place.
    ///
    /// A transaction runs once: after exec() (returned or thrown), every
    /// call throws TransactionError. exec() with nothing queued throws
    /// TransactionError before anything is sent.
    std::optional<std::vector<Reply>> exec(bool raise_on_error = true);
    /// Drops the queued commands, ends the watch (UNWATCH) and gives the
    /// connection back. Afterwards, as after exec(), every call throws
    /// TransactionError.
    void discard();

    /// The replies of the last exec() that threw for an error inside EXEC.
    [[nodiscard]] const std::vector<Reply>& replies() const noexcept;
    /// Commands queued.
    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    /// The slot every key must be in.
    [[nodiscard]] std::uint16_t slot() const noexcept;

private:
    friend class RedisCluster;
    friend class Commands<Transaction>;
    struct State;

    explicit Transaction(std::unique_ptr<State> state);
    Transaction& queue(std::span<const std::string_view> args);
    template <class Reader, class... Args>
    Transaction& run_command(const Args&... args) {
        return execute_command(args...);
    }
    template <class Reader>
    Transaction& run_command_range(std::span<const std::string_view> args) {
        return queue(args);
    }

    std::unique_ptr<State> state_;
};

/// The commands of a transaction that run at once (Transaction::now()).
class Transaction::Now : public Commands<Transaction::Now> {
public:
    /// Runs any command at once on the transaction's connection and
    /// returns its reply; error replies are thrown as typed exceptions.
    template <CommandArgument... Args>
    Reply execute_command(const Args&... args) {
        return with_argument_views([&](auto views) -> decltype(auto) { return run(views); }, args...);
    }

private:
    friend class Transaction;
    friend class Commands<Transaction::Now>;

    explicit Now(State& state) noexcept : state_(&state) {}
    Reply run(std::span<const std::string_view> args);
    template <class Reader, class... Args>
    typename Reader::type run_command(const Args&... args) {
        return Reader::read(execute_command(args...));
    }
    template <class Reader>
    typename Reader::type run_command_range(std::span<const std::string_view> args) {
        return Reader::read(run(args));
    }

    State* state_;
};

}  // namespace rediscluster
