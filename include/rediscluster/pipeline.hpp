#pragma once

// Pipeline: commands for any slots, queued and then sent together.
//
// ```
//   auto pipe = rc.pipeline();
//   pipe.set("user:1", "alice").incr("visits").get("user:2");
//   pipe.execute_command("HSET", "h", "f", "v");
//   std::vector<rediscluster::Reply> replies = pipe.execute();  // in the order added
// ```
//
// execute() groups the commands by the node that serves them, writes to
// every node before reading from any, and returns the replies in the order
// the commands were added. A command that is redirected (MOVED, ASK), told
// to wait (TRYAGAIN, CLUSTERDOWN) or whose connection failed is sent again
// on its own, by the same rules and within the same command_timeout as a
// single command of the client; one that may already have run (a timeout,
// a reply that broke off) is not, unless retry_on_timeout.
//
// Connections: the pipeline borrows one per node it needs, and never waits
// for one while holding another: at a blocking pool's cap it sends to the
// nodes it could get and the others in a next round, so pipelines from many
// threads cannot deadlock however small the cap. Over multiplexed
// connections too, a pipeline's commands for a node leave in one write, on
// a pooled connection of their own.
//
// Thread safety: a Pipeline is used by one thread at a time. Pipelines of
// one client may run concurrently, with each other and with the client's
// own commands.

#include <cstddef>
#include <memory>
#include <ranges>
#include <span>
#include <string_view>
#include <vector>

#include "rediscluster/commands.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster {

class RedisCluster;

class Pipeline : public Commands<Pipeline> {
public:
    /// Made by RedisCluster::pipeline(). A moved-from pipeline may only be
    /// assigned to or destroyed.
    Pipeline(Pipeline&&) noexcept;
    Pipeline& operator=(Pipeline&&) noexcept;
    ~Pipeline();

    /// Queues any command. Nothing is sent before execute(). Refused at
    /// once, naming the command: a command that blocks its connection
    /// (BLPOP, XREAD BLOCK, WAIT...), one a cluster client refuses (SELECT,
    /// MULTI, SUBSCRIBE...), one that runs on every master or node (PING,
    /// DBSIZE, KEYS, CONFIG SET...: run it on the client), and keys in
    /// different slots
    /// (ClusterCrossSlotError).
    template <CommandArgument... Args>
    Pipeline& execute_command(const Args&... args) {
        return with_argument_views([&](auto views) -> decltype(auto) { return add(views); }, args...);
    }
    /// execute_command() with the arguments in a range.
    template <std::ranges::forward_range Range>
        requires CommandArgument<std::ranges::range_value_t<Range>>
    Pipeline& execute_command_range(const Range& args) {
        return with_range_views([&](auto views) -> decltype(auto) { return add(views); }, args);
    }

    // The typed commands (get, set, incr, hset...) come from
    // Commands<Pipeline> (commands.hpp): each queues its command and
    // returns this pipeline; its reply is in execute()'s result, to read
    // with `.as<T>()` (reply_cast.hpp). The blocking ones (blpop, brpop,
    // blmove, bzpopmin, bzpopmax) throw RedisClusterException when added,
    // as execute_command does for every blocking command.

    /// Sends every queued command and returns their replies in the order
    /// they were added; the queue is then empty (the pipeline may be used
    /// again). An empty pipeline returns at once, without I/O.
    ///
    /// Errors: with `raise_on_error` (the default), once every command has
    /// finished, the first failure in command order is thrown as the client
    /// would throw it for that command alone (ResponseError for an error
    /// reply, ClusterError when its retries ran out, ConnectionError...);
    /// replies() then holds every reply, errors in their places. Without
    /// it, each failure is returned in its place as an error Reply (its
    /// text is the exception's message). Either way, what succeeded has run
    /// and its reply is kept.
    std::vector<Reply> execute(bool raise_on_error = true);
    /// execute() into `replies`, whose storage the next execute reuses: a
    /// pipeline and a vector reused together make no heap allocation per
    /// command in steady state (for replies that are not aggregates).
    /// Returns `replies`.
    std::vector<Reply>& execute_into(std::vector<Reply>& replies, bool raise_on_error = true);

    /// The replies of the last execute() that threw (see execute()).
    [[nodiscard]] const std::vector<Reply>& replies() const noexcept;
    /// Commands queued.
    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    /// Drops the queued commands without sending them.
    void reset() noexcept;

private:
    friend class RedisCluster;
    friend class Commands<Pipeline>;
    struct State;

    explicit Pipeline(std::unique_ptr<State> state);
    Pipeline& add(std::span<const std::string_view> args);
    template <class Reader, class... Args>
    Pipeline& run_command(const Args&... args) {
        return execute_command(args...);
    }
    template <class Reader>
    Pipeline& run_command_range(std::span<const std::string_view> args) {
        return add(args);
    }

    std::unique_ptr<State> state_;
};

}  // namespace rediscluster
