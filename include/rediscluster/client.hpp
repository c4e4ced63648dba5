#pragma once

// RedisCluster: the client. Routes every command to the node that serves
// its keys, follows MOVED and ASK redirects, retries through failovers, and
// refreshes its view of the cluster when the cluster changes.
//
// ```
//   rediscluster::RedisCluster rc({.startup_nodes = {{"127.0.0.1", 7000}}});
//   rc.set("user:1000", "alice");
//   auto name = rc.get("user:1000");            // std::optional<std::string>
//   auto reply = rc.execute_command("HINCRBY", "h", "field", 5);
//   auto n = rc.command<std::int64_t>("HINCRBY", "h", "field", 5);   // typed
// ```
//
// Thread safety: a RedisCluster may be shared between threads; every method
// may be called concurrently (each call borrows its own connection).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rediscluster/commands.hpp"
#include "rediscluster/connection.hpp"
#include "rediscluster/nodes.hpp"
#include "rediscluster/pipeline.hpp"
#include "rediscluster/pool.hpp"
#include "rediscluster/pubsub.hpp"
#include "rediscluster/resp.hpp"
#include "rediscluster/scan.hpp"
#include "rediscluster/transaction.hpp"

namespace rediscluster {


/// Options of RedisCluster; the names are the original's.
struct RedisClusterOptions {
    /// Nodes to discover the cluster from (unless connection_pool is given).
    std::vector<StartupNode> startup_nodes = {};
    /// Use this pool (shared with the caller) instead of building one; the
    /// pool options below are then ignored.
    std::shared_ptr<ClusterConnectionPool> connection_pool = nullptr;
    /// Connections alive at once across the cluster; unset: no cap.
    std::optional<std::size_t> max_connections = std::nullopt;
    /// Per-node cap (false: none, true: 16, or a number).
    MaxConnectionsPerNode max_connections_per_node = false;
    /// Discover the cluster when the client is built.
    bool init_slot_cache = true;
    /// Every connection READONLY (ClusterReadOnlyConnectionPool); with
    /// read_from_replicas too, every read is served by a replica when one is
    /// reachable. Alone, reads stay on the masters.
    bool readonly_mode = false;
    /// Reads go to replicas, writes to masters
    /// (ClusterWithReadReplicasConnectionPool).
    bool read_from_replicas = false;
    /// Full re-discovery after this many MOVED redirects; unset: 25.
    std::optional<std::size_t> reinitialize_steps = std::nullopt;
    /// Accept a slot map that does not cover all slots.
    bool skip_full_coverage_check = false;
    /// Re-discovery asks every known node, not only startup_nodes.
    bool nodemanager_follow_cluster = false;
    /// ClusterConnection (empty), connection_class<SSLClusterConnection>(), or a factory.
    ConnectionFactory connection_class = {};
    /// How many CLUSTERDOWN/MASTERDOWN answers a command retries. Unset
    /// (the default): as many as command_timeout allows, with a backoff
    /// that grows to 500 ms, so a command waits out a failover instead of
    /// failing while the cluster elects a new master.
    std::optional<int> cluster_down_retry_attempts = std::nullopt;
    /// Rewrites the addresses the cluster announces (CLUSTER SLOTS, MOVED, ASK).
    HostPortRemap host_port_remap = {};
    /// Options of every connection. `db` must stay 0.
    ConnectionOptions connection_kwargs = {};
    /// Longest one command may take, retries and backoff included. While
    /// it lasts, a command waits out a failover: refused connections,
    /// CLUSTERDOWN and TRYAGAIN are retried with a growing backoff (up to
    /// 500 ms) on the newest slot map. No retry starts once it is spent,
    /// and the command fails with ClusterError saying so and listing its
    /// last attempts, with the node and what it answered (an attempt already
    /// under way still ends within its socket_timeout). MOVED and ASK count
    /// apart, 16 at most, against redirect loops. Unset:
    /// connection_kwargs.socket_timeout; when that is unset too, every
    /// command stops after 16 attempts of any kind.
    std::optional<std::chrono::milliseconds> command_timeout = std::nullopt;
    /// The topology is re-discovered this often in the background, even
    /// when no command failed, so an idle client still learns of failovers
    /// and new nodes. Each wait varies by ±10 % so many clients do not ask
    /// at the same moment. Zero: only when commands see a change. Default 10 s.
    std::chrono::milliseconds periodic_refresh_interval = std::chrono::seconds(10);
    /// Commands for a master share one connection to it across all
    /// threads: commands that arrive together are written together and
    /// their replies read together, so many threads cost the client and the
    /// servers far fewer system calls. Blocking commands (BLPOP, XREAD
    /// BLOCK, WAIT...), ASK redirects, keyless commands and replica reads
    /// keep using pooled connections. The shared connection is borrowed
    /// from the pool while commands are in flight on it and given back
    /// when none are, so the caps (max_connections,
    /// max_connections_per_node, a blocking pool's wait) hold as without
    /// multiplexing, and an idle one is closed to make room at a cap like
    /// any idle connection. A failure of the shared connection fails the
    /// commands in flight on it (those not yet sent are retried). Default off.
    bool multiplexed_connections = false;
};

/// A Redis Cluster client.
///
/// Routing: the keys' slot picks the node. MGET, MSET, DEL, EXISTS, UNLINK
/// and TOUCH whose keys span slots run as one part per slot, sent to the
/// nodes together and merged (values in key order, counts summed); they
/// are not atomic across slots: when a part fails, the first failure is
/// thrown and what the other parts did stands. Other commands whose keys
/// span slots throw ClusterCrossSlotError before anything is sent. Key
/// positions come from a built-in table; for a command it does not know,
/// from the server's COMMAND table (fetched once), with COMMAND GETKEYS for
/// commands whose keys move (e.g. GEORADIUS ... STORE);
/// a command without keys goes where the request policy tip of the
/// server's COMMAND table (Redis 7) says: to every master
/// (request_policy:all_shards: PING, DBSIZE, KEYS, FLUSHALL, INFO, SCRIPT
/// EXISTS, FUNCTION LOAD...), to every node, replicas included
/// (all_nodes: CONFIG SET, SCRIPT LOAD, SCRIPT FLUSH...), or else to a
/// random master. The replies of every node are combined by the command's
/// response policy: the first error or the first reply (all_succeeded),
/// the first success (one_succeeded), integers summed, least or greatest
/// (agg_sum, agg_min, agg_max), flags ANDed or ORed element by element
/// (agg_logical_and, agg_logical_or: SCRIPT EXISTS), a map from node name
/// to reply (special: INFO, MEMORY STATS), and otherwise arrays
/// concatenated (KEYS). Each node's part is retried on its own (on its
/// shard's master after a failover) like any command, so a part that
/// failed on one node is not sent to the others again. When the server's
/// table cannot be had, or has no tips (before Redis 7), a built-in table
/// says the same for PING, DBSIZE, KEYS, FLUSHALL, FLUSHDB, INFO, SCRIPT
/// LOAD and FLUSH, and FUNCTION LOAD, DELETE and FLUSH. Commands with keys
/// go by their keys (MGET, DEL... must share a slot), and a blocking command
/// (WAIT included) runs on one node. SELECT, MULTI, SUBSCRIBE and the like
/// are refused with RedisClusterException.
///
/// Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
/// BZPOPMAX, BZMPOP, XREAD and XREADGROUP with BLOCK, WAIT and WAITAOF
/// wait for their reply as long as their own timeout argument says plus
/// socket_timeout, and neither that wait nor command_timeout cuts them
/// short; a timeout of 0 waits without a deadline. A timeout argument that
/// is not a valid number is refused with DataError before anything is sent.
///
/// Failures: MOVED updates the slot map at once (a whole shard when a
/// replica took over); a MOVED to a replica or an unknown node refreshes
/// the topology in the background at once, others every
/// reinitialize_steps. ASK is followed with ASKING. TRYAGAIN, CLUSTERDOWN,
/// LOADING and connection errors back off (growing to 500 ms) and retry on
/// the newest map, refreshing the topology as the refresh policy allows
/// (100 ms apart, longer while discoveries fail). A timeout, a reply that
/// broke off (IncompleteReplyError) and a malformed reply (ProtocolError)
/// are not retried unless retry_on_timeout (the command may have run); the
/// connection is closed and the topology refreshed in the background. A
/// command retries for as long as command_timeout lasts, with at most 16
/// redirects; then ClusterError says which ran out and names what was tried.
/// The topology is also refreshed every periodic_refresh_interval.
class RedisCluster : public Commands<RedisCluster> {
public:
    /// Throws RedisClusterConfigError for invalid options (db ≠ 0 is
    /// "Argument 'db' is not possible to use in cluster mode") and
    /// RedisClusterException when no startup node answers.
    explicit RedisCluster(RedisClusterOptions options);
    ~RedisCluster();
    RedisCluster(const RedisCluster&) = delete;
    RedisCluster& operator=(const RedisCluster&) = delete;

    /// The pool, as `rc.connection_pool` in the spec.
    std::shared_ptr<ClusterConnectionPool> connection_pool;

    /// Runs any command and returns its reply; error replies are thrown as
    /// typed exceptions.
    ///
    /// Allocation: encoding and routing reuse per-thread storage and do not
    /// allocate in steady state; the reply is a new Reply, which allocates
    /// when it holds a string longer than std::string's inline capacity
    /// (15 bytes with libstdc++) or any aggregate. execute_command_into()
    /// avoids that too.
    template <CommandArgument... Args>
    Reply execute_command(const Args&... args) {
        Reply reply;
        execute_command_into(reply, args...);
        return reply;
    }
    /// execute_command() with the arguments in a range.
    template <std::ranges::forward_range Range>
        requires CommandArgument<std::ranges::range_value_t<Range>>
    Reply execute_command_range(const Range& args) {
        Reply reply;
        execute_command_range_into(reply, args);
        return reply;
    }
    /// execute_command() read as a T (see reply_cast.hpp for the types and
    /// the replies each reads):
    /// `rc.command<std::map<std::string, std::string>>("HGETALL", "h")`.
    /// An error reply throws its typed exception as execute_command()
    /// does; a reply that does not fit T throws ReplyTypeError (the command
    /// has run). A T nothing converts to does not compile.
    template <class T, CommandArgument... Args>
    T command(const Args&... args) {
        static_assert(ReplyConvertible<T>, "rc.command<T>: no conversion from a Reply to T (see reply_cast.hpp)");
        Reply reply;
        execute_command_into(reply, args...);
        return std::move(reply).as<T>();
    }
    /// command() with the arguments in a range.
    template <class T, std::ranges::forward_range Range>
        requires CommandArgument<std::ranges::range_value_t<Range>>
    T command_range(const Range& args) {
        static_assert(ReplyConvertible<T>, "rc.command_range<T>: no conversion from a Reply to T (see reply_cast.hpp)");
        return execute_command_range(args).template as<T>();
    }

    /// Runs one encoded command (see encode_command). Throws DataError when
    /// `packed` is not exactly one whole command.
    Reply execute_packed(std::string_view packed);

    /// execute_command() reading the reply into `reply`, whose storage the
    /// next reply reuses: a caller that keeps one Reply per thread and
    /// passes it to every command makes no heap allocation per command in
    /// steady state for replies that are not aggregates (an array's elements
    /// are built anew each time).
    /// What still allocates: commands that are not routed by the built-in
    /// table (the first time the server's COMMAND table is fetched; COMMAND
    /// GETKEYS for commands with movable keys), commands sent to every
    /// master or node (PING, DBSIZE, KEYS, CONFIG SET...), commands without keys (a list of the
    /// masters to pick from), more than 8 keys, a range of arguments that
    /// are not std::string_view in contiguous storage, and the failure paths
    /// (redirects, retries, error messages).
    ///
    /// Returns `reply`. When it throws, `reply` holds an unspecified value
    /// (an error reply, for instance). Same thread safety as every method:
    /// `reply` itself must not be shared by concurrent calls.
    template <CommandArgument... Args>
    Reply& execute_command_into(Reply& reply, const Args&... args) {
        return with_argument_views(
            [&](auto views) -> decltype(auto) { return execute_arguments_into(reply, views); }, args...);
    }
    /// execute_command_into() with the arguments in a range.
    template <std::ranges::forward_range Range>
        requires CommandArgument<std::ranges::range_value_t<Range>>
    Reply& execute_command_range_into(Reply& reply, const Range& args) {
        return with_range_views([&](auto views) -> decltype(auto) { return execute_arguments_into(reply, views); },
                                args);
    }
    /// execute_packed() reading the reply into `reply`, as
    /// execute_command_into().
    Reply& execute_packed_into(Reply& reply, std::string_view packed);

    /// A pipeline: commands queued through the same typed methods and
    /// execute_command, across any slots, and sent together by execute()
    /// (see Pipeline). It shares this client's connections and topology,
    /// and keeps them alive while it lives.
    [[nodiscard]] Pipeline pipeline();

    /// A transaction (MULTI ... EXEC, with WATCH) on the slot of
    /// `key_or_hash_tag` ("user:1", or "{user:1}" for every key tagged
    /// so): see Transaction. It shares this client's connections and
    /// topology, and keeps them alive while it lives.
    [[nodiscard]] Transaction transaction(std::string_view key_or_hash_tag);

    /// Subscriptions to channels, patterns and shard channels, with a
    /// thread of its own that reads them and follows failovers and slot
    /// migrations (see PubSub). It shares this client's pool and topology,
    /// and keeps them alive while it lives. Publish with publish() and
    /// spublish(). Throws RedisClusterConfigError for invalid `options`.
    [[nodiscard]] PubSub pubsub(PubSubOptions options = {});

    // The typed commands (get, set, incr, hset, lpush, zadd...) come from
    // Commands<RedisCluster> (commands.hpp): each runs at once and returns
    // its value.

    // --- scripts --------------------------------------------------------
    /// SCRIPT LOAD on every master (so EVALSHA finds the script whichever
    /// node serves its keys); the script's SHA1.
    std::string script_load(std::string_view script);
    /// Runs `script` by its SHA1 (EVALSHA), computed here, and when the node
    /// answers NOSCRIPT (the script was never loaded there, or was flushed,
    /// or a failover brought a node without it) sends the script itself
    /// (EVAL), which also caches it on that node. Keys must share a slot.
    /// Other error replies are thrown as execute_command() throws them.
    Reply eval_cached(std::string_view script, std::span<const std::string_view> keys = {},
                      std::span<const std::string_view> args = {});

    // --- whole cluster --------------------------------------------------
    /// PING on every master; true when all answer.
    bool ping();
    /// Keys in the whole cluster (DBSIZE summed over masters).
    [[nodiscard]] std::int64_t dbsize();
    /// FLUSHALL on every master.
    void flushall();

    // --- scans (scan.hpp: what they promise through failovers) -----------
    /// One step of a cluster-wide SCAN: the next page of keys, from the
    /// master `cursor` is on, and `cursor` moved on (done() at the end; an
    /// empty page does not mean the end). `options` should stay the same
    /// from step to step. Throws as a command does, and `cursor` is then
    /// unchanged; a done cursor returns an empty page.
    std::vector<std::string> scan(ClusterScanCursor& cursor, const ScanOptions& options = {});
    /// Every key of the cluster (SCAN on each master in turn), fetched a
    /// page at a time as the range is walked. The range keeps the client's
    /// connections alive.
    [[nodiscard]] ScanRange<std::string> scan_iter(ScanOptions options = {});
    /// One SSCAN of the set `key` from `cursor` (0 to start): its next
    /// members and the next cursor (0: done). The cursor is sent as given.
    [[nodiscard]] ScanPage<std::string> sscan(std::string_view key, std::uint64_t cursor,
                                              const ScanOptions& options = {});
    /// One HSCAN of the hash `key`: fields and their values.
    [[nodiscard]] ScanPage<std::pair<std::string, std::string>> hscan(std::string_view key, std::uint64_t cursor,
                                                                      const ScanOptions& options = {});
    /// One ZSCAN of the sorted set `key`: members and their scores.
    [[nodiscard]] ScanPage<std::pair<std::string, double>> zscan(std::string_view key, std::uint64_t cursor,
                                                                 const ScanOptions& options = {});
    /// Every member of the set `key`, a page at a time, started again from 0
    /// when the key's master changes.
    [[nodiscard]] ScanRange<std::string> sscan_iter(std::string key, ScanOptions options = {});
    /// Every field and value of the hash `key`, as sscan_iter().
    [[nodiscard]] ScanRange<std::pair<std::string, std::string>> hscan_iter(std::string key, ScanOptions options = {});
    /// Every member and score of the sorted set `key`, as sscan_iter().
    [[nodiscard]] ScanRange<std::pair<std::string, double>> zscan_iter(std::string key, ScanOptions options = {});

private:
    friend class Commands<RedisCluster>;
    class Core;

    // Routes, runs and throws: the public edge of every command.
    Reply& execute_arguments_into(Reply& reply, std::span<const std::string_view> args);
    template <class Reader, class... Args>
    typename Reader::type run_command(const Args&... args) {
        Reply reply;
        execute_command_into(reply, args...);
        return Reader::read(std::move(reply));
    }
    template <class Reader>
    typename Reader::type run_command_range(std::span<const std::string_view> args) {
        Reply reply;
        execute_arguments_into(reply, args);
        return Reader::read(std::move(reply));
    }

    std::shared_ptr<Core> core_;
};

}  // namespace rediscluster
