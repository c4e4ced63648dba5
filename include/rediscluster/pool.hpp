#pragma once

// Connection pools: connections to every node of a cluster, routed by slot.
//
//   ClusterConnectionPool                 throws at a cap
//   ClusterBlockingConnectionPool         waits (first come, first served) at a cap
//   ClusterReadOnlyConnectionPool         every connection READONLY; reads go to replicas
//   ClusterWithReadReplicasConnectionPool reads to replicas, writes to masters
//
// A borrowed connection is a PooledConnection: it goes back to its pool when
// it goes out of scope (or on release()), on every path, exceptions
// included. A connection that broke (or failed to connect), or still has
// replies in flight, is closed instead of reused; one released before it
// was ever used (connections connect lazily) is kept.
//
// Thread safety: every pool may be shared between threads; all methods may
// be called concurrently. Nothing waits for a connection while holding the
// topology lock, and re-discovery is single-flight (see NodeManager).
// A PooledConnection belongs to one thread at a time.

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rediscluster/connection.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster {

/// Builds the connection to one node; the pool's `connection_class`.
/// `options` already carries the node's host and port.
using ConnectionFactory = std::function<std::unique_ptr<ClusterConnection>(ConnectionOptions options)>;

/// The factory for a connection type, e.g.
/// `.connection_class = connection_class<SSLClusterConnection>()`.
template <std::derived_from<ClusterConnection> T>
ConnectionFactory connection_class() {
    return [](ConnectionOptions options) { return std::make_unique<T>(std::move(options)); };
}

/// `max_connections_per_node`: false (the default) means no per-node cap,
/// true means 16 per node, a number means that many per node.
class MaxConnectionsPerNode {
public:
    static constexpr std::size_t kDefaultWhenTrue = 16;

    constexpr MaxConnectionsPerNode(bool enabled) : limit_(enabled ? kDefaultWhenTrue : 0) {}  // NOLINT
    template <std::integral T>
        requires(!std::same_as<T, bool>)
    constexpr MaxConnectionsPerNode(T limit) : limit_(limit < 1 ? kInvalid : static_cast<std::size_t>(limit)) {}  // NOLINT

    /// The cap, or nullopt when there is none. Throws RedisClusterConfigError
    /// for a number below 1.
    [[nodiscard]] std::optional<std::size_t> limit() const;

private:
    static constexpr std::size_t kInvalid = static_cast<std::size_t>(-1);
    std::size_t limit_;  // 0 = no cap
};

/// Options of every pool; the names are the spec's.
struct ClusterConnectionPoolOptions {
    /// Nodes to discover the cluster from. Required.
    std::vector<StartupNode> startup_nodes = {};
    /// Discover the slot map when the pool is built (otherwise on initialize()).
    bool init_slot_cache = true;
    /// How connections are made: empty means ClusterConnection (plain TCP);
    /// connection_class<SSLClusterConnection>() for TLS, or any factory.
    ConnectionFactory connection_class = {};
    /// Connections alive at once across the cluster. Unset: no cap
    /// (ClusterBlockingConnectionPool: 50).
    std::optional<std::size_t> max_connections = std::nullopt;
    /// Connections alive at once per node (see MaxConnectionsPerNode). Both
    /// caps hold at once.
    MaxConnectionsPerNode max_connections_per_node = false;
    /// Re-discover after this many MOVED redirects. Unset: 25.
    std::optional<std::size_t> reinitialize_steps = std::nullopt;
    /// Accept a slot map that does not cover every slot.
    bool skip_full_coverage_check = false;
    /// Re-discovery also asks every node found before, not only startup_nodes.
    bool nodemanager_follow_cluster = false;
    /// Rewrites the addresses the cluster announces (see HostPortRemap).
    HostPortRemap host_port_remap = {};
    /// Options of every connection (timeouts, credentials, TLS...); host and
    /// port are set per node.
    ConnectionOptions connection_kwargs = {};
    /// ClusterBlockingConnectionPool only: how long get_connection* waits at
    /// a cap before ConnectionError("No connection available"). Default 20 s;
    /// nullopt waits forever.
    std::optional<std::chrono::milliseconds> timeout = std::chrono::seconds(20);
};

class ClusterConnectionPool;

/// A connection borrowed from a pool. Returns to the pool when destroyed or
/// released; releasing twice is harmless. Move-only.
class PooledConnection {
public:
    PooledConnection() = default;
    PooledConnection(PooledConnection&&) noexcept;
    PooledConnection& operator=(PooledConnection&&) noexcept;
    PooledConnection(const PooledConnection&) = delete;
    PooledConnection& operator=(const PooledConnection&) = delete;
    ~PooledConnection();

    [[nodiscard]] ClusterConnection* get() const noexcept { return connection_.get(); }
    ClusterConnection* operator->() const noexcept { return connection_.get(); }
    ClusterConnection& operator*() const noexcept { return *connection_; }
    explicit operator bool() const noexcept { return connection_ != nullptr; }
    /// The node this connection talks to.
    [[nodiscard]] const NodeInfo& node() const noexcept { return node_; }

    /// Gives the connection back now (closed instead when it is broken,
    /// failed to connect, or has replies in flight; kept when it was never
    /// used). No-op when already released.
    void release() noexcept;

private:
    friend class ClusterConnectionPool;
    struct Shared;

    std::shared_ptr<Shared> pool_;
    NodeInfo node_;
    std::unique_ptr<ClusterConnection> connection_;
    std::uint64_t generation_ = 0;
};

/// The pool for a cluster: discovers the topology (through `nodes`) and
/// keeps connections to every node, reused last-in first-out. At a cap it
/// first closes an idle connection to another node to make room; if there
/// is none it throws RedisClusterException naming the node and the cap.
class ClusterConnectionPool {
public:
    /// Validates the options (RedisClusterConfigError), then with
    /// init_slot_cache discovers the cluster (RedisClusterException when no
    /// startup node answers).
    explicit ClusterConnectionPool(ClusterConnectionPoolOptions options);
    virtual ~ClusterConnectionPool();
    ClusterConnectionPool(const ClusterConnectionPool&) = delete;
    ClusterConnectionPool& operator=(const ClusterConnectionPool&) = delete;

    /// The topology: `pool.nodes.all_nodes()`, `pool.nodes.slots()`, as in
    /// the spec's monitoring example.
    NodeManager nodes;

    /// Routes by the keys' slot (a read command may go to a replica in the
    /// read pools); no key gives a random node. Keys in different slots
    /// throw ClusterCrossSlotError.
    template <class... Keys>
    [[nodiscard]] PooledConnection get_connection(std::string_view command_name, const Keys&... keys) {
        const std::string_view key_views[] = {std::string_view(keys)..., std::string_view()};
        return get_connection_for_keys(command_name, std::span(key_views, sizeof...(Keys)));
    }
    [[nodiscard]] PooledConnection get_connection_for_keys(std::string_view command_name,
                                                           std::span<const std::string_view> keys);
    /// A connection to `node` (created if the pool has none idle).
    [[nodiscard]] PooledConnection get_connection_by_node(const NodeInfo& node);
    /// get_connection_by_node() when a connection can be had at once; an
    /// empty PooledConnection at a cap, where the blocking pool would wait
    /// and the others throw. For callers that already hold a connection:
    /// waiting for a second one while holding the first can deadlock a
    /// blocking pool.
    [[nodiscard]] PooledConnection try_get_connection_by_node(const NodeInfo& node);
    /// The node a command for `slot` goes to: its master, or for a read in
    /// a read pool one of its replicas (round robin, skipping replicas that
    /// failed recently, the master when none is left). Throws
    /// SlotNotCoveredError when no node serves the slot.
    [[nodiscard]] NodeInfo get_node_by_slot(std::uint16_t slot, bool read_command = false);
    /// A connection to the node that serves `slot`: its master, or for a read
    /// in a read pool one of its replicas. Throws SlotNotCoveredError when
    /// no node serves the slot.
    [[nodiscard]] PooledConnection get_connection_by_slot(std::uint16_t slot, bool read_command = false);
    /// A connected connection to a random node (tries others when one is
    /// unreachable).
    [[nodiscard]] PooledConnection get_random_connection();
    /// Gives a connection back (same as letting it go out of scope).
    void release(PooledConnection& connection) noexcept;
    /// A new connection to `node` with the pool's options, not counted and
    /// not pooled: the caller owns it. The pool uses it for its own.
    [[nodiscard]] std::unique_ptr<ClusterConnection> make_connection(const NodeInfo& node) const;

    /// Closes every idle connection now and every borrowed one when it comes back.
    void disconnect();
    /// disconnect() and a fresh discovery.
    void reset();
    /// Discovers the topology (see NodeManager::initialize).
    void initialize();

    [[nodiscard]] NodeInfo get_master_node_by_slot(std::uint16_t slot) const;
    [[nodiscard]] std::vector<NodeInfo> get_nodes_by_server_type(std::string_view server_type) const;

    /// Connections alive now (idle and borrowed).
    [[nodiscard]] std::size_t created_connections() const;
    /// Connections alive now to one node.
    [[nodiscard]] std::size_t created_connections(const NodeInfo& node) const;

    /// Marks a node as failed: read routing skips it for a short while, and
    /// its idle connections are closed.
    void mark_node_failed(const NodeInfo& node);

    [[nodiscard]] const ClusterConnectionPoolOptions& options() const noexcept { return options_; }

protected:
    struct PoolKind {
        bool blocking = false;
        bool readonly_connections = false;  // every connection READONLY
        bool reads_to_replicas = false;     // reads may go to replicas
    };
    ClusterConnectionPool(ClusterConnectionPoolOptions options, PoolKind kind);

private:
    /// A connection for a read of `slot`, replicas first (round robin,
    /// skipping failed ones, falling back to the master).
    [[nodiscard]] PooledConnection get_read_connection_by_slot(std::uint16_t slot);
    /// Indices into `shard` (0 = master) in the order a read tries them
    /// (detail/read_routing.hpp), turning the round-robin one step.
    [[nodiscard]] std::vector<std::size_t> read_order(std::span<const NodeInfo> shard);
    [[nodiscard]] PooledConnection borrow(const NodeInfo& node);
    /// `connection`, taken from the pool core for `node`, as a PooledConnection.
    [[nodiscard]] PooledConnection lend(const NodeInfo& node, std::unique_ptr<ClusterConnection> connection,
                                        std::uint64_t generation) const;
    /// After a discovery: closes idle connections to nodes that left.
    void close_idle_connections_outside(const SlotTable& table);
    /// A connection of the pool's connection_class with `options`.
    [[nodiscard]] std::unique_ptr<ClusterConnection> build_connection(ConnectionOptions options) const;
    [[nodiscard]] static ClusterConnectionPoolOptions with_defaults(ClusterConnectionPoolOptions options,
                                                                    PoolKind kind);

    ClusterConnectionPoolOptions options_;
    PoolKind kind_;
    std::shared_ptr<PooledConnection::Shared> shared_;
};

/// A pool that waits for a connection at a cap instead of throwing: the
/// first caller to wait is the first served, up to `timeout` (default 20 s),
/// then ConnectionError("No connection available ..."). `max_connections`
/// defaults to 50 here.
class ClusterBlockingConnectionPool : public ClusterConnectionPool {
public:
    explicit ClusterBlockingConnectionPool(ClusterConnectionPoolOptions options);
};

/// Every connection is READONLY (sent once, on connect). Reads go to
/// replicas (round robin, the master as fallback); writes and the SCAN
/// family go to masters.
class ClusterReadOnlyConnectionPool : public ClusterConnectionPool {
public:
    explicit ClusterReadOnlyConnectionPool(ClusterConnectionPoolOptions options);
};

/// Reads go to replicas (round robin, skipping replicas that just failed,
/// the master as fallback); writes go to masters. Connections to replicas
/// are READONLY (sent once, on connect).
class ClusterWithReadReplicasConnectionPool : public ClusterConnectionPool {
public:
    explicit ClusterWithReadReplicasConnectionPool(ClusterConnectionPoolOptions options);
};

/// Whether `command_name` (any case) only reads, so a read pool may send it
/// to a replica. The SCAN family is not: a cursor must stay on one node.
[[nodiscard]] bool is_read_command(std::string_view command_name) noexcept;

}  // namespace rediscluster
