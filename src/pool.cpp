#include "rediscluster/pool.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <random>

#include "detail/command_routing.hpp"
#include "detail/pool_core.hpp"
#include "detail/random.hpp"
#include "detail/read_routing.hpp"

namespace rediscluster {
namespace {

// Discovery must never hang on a frozen seed, even when the caller chose to
// wait forever for ordinary replies.
constexpr std::chrono::milliseconds kDiscoverySocketTimeout = std::chrono::seconds(5);
constexpr std::size_t kBlockingDefaultMaxConnections = 50;

// A connection may go back to the idle list when it is open with nothing
// left unread on it, or when it never tried to connect (connections connect
// lazily: one borrowed and released unused is as good as new). One that
// failed to connect, or broke after connecting, is closed.
bool reusable(const ClusterConnection& connection) {
    return connection.pending_replies() == 0 && (connection.is_connected() || !connection.connect_attempted());
}

}  // namespace

std::optional<std::size_t> MaxConnectionsPerNode::limit() const {
    if (limit_ == kInvalid) {
        throw RedisClusterConfigError("max_connections_per_node must be true, false or a number of at least 1");
    }
    return limit_ == 0 ? std::nullopt : std::optional<std::size_t>(limit_);
}

// What borrowed connections need to find their way back, kept alive by them
// so a connection released after its pool is gone is simply closed.
struct PooledConnection::Shared {
    Shared(detail::PoolLimits limits, detail::PoolCore<ClusterConnection>::Factory factory)
        : core(limits, std::move(factory)) {}

    detail::PoolCore<ClusterConnection> core;
    detail::FailedNodes failed_nodes;
    std::atomic<std::uint64_t> read_rotation{0};
};

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::move(other.pool_)),
      node_(std::move(other.node_)),
      connection_(std::move(other.connection_)),
      generation_(other.generation_) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
    if (this != &other) {
        release();
        pool_ = std::move(other.pool_);
        node_ = std::move(other.node_);
        connection_ = std::move(other.connection_);
        generation_ = other.generation_;
    }
    return *this;
}

PooledConnection::~PooledConnection() { release(); }

void PooledConnection::release() noexcept {
    if (!connection_ || !pool_) {
        connection_.reset();
        return;
    }
    const bool keep = reusable(*connection_);
    pool_->core.release(node_, {std::move(connection_), generation_}, keep);
    pool_.reset();
}

ClusterConnectionPoolOptions ClusterConnectionPool::with_defaults(ClusterConnectionPoolOptions options,
                                                                  PoolKind kind) {
    if (kind.blocking && !options.max_connections) {
        options.max_connections = kBlockingDefaultMaxConnections;
    }
    if (options.max_connections && *options.max_connections == 0) {
        throw RedisClusterConfigError("max_connections must be a positive integer (unset means no cap)");
    }
    (void)options.max_connections_per_node.limit();  // validates
    if (options.timeout && options.timeout->count() < 0) {
        throw RedisClusterConfigError("timeout must not be negative");
    }
    if (options.connection_kwargs.db != 0) {
        throw RedisClusterConfigError("Argument 'db' is not possible to use in cluster mode (got db=" +
                                      std::to_string(options.connection_kwargs.db) + ")");
    }
    if (kind.readonly_connections) {
        options.connection_kwargs.readonly = true;
    }
    return options;
}

ClusterConnectionPool::ClusterConnectionPool(ClusterConnectionPoolOptions options)
    : ClusterConnectionPool(std::move(options), PoolKind{}) {}

ClusterConnectionPool::ClusterConnectionPool(ClusterConnectionPoolOptions options, PoolKind kind)
    : nodes(
          [&] {
              options = with_defaults(std::move(options), kind);
              return NodeManagerOptions{options.startup_nodes, options.reinitialize_steps,
                                        options.skip_full_coverage_check, options.nodemanager_follow_cluster,
                                        options.host_port_remap};
          }(),
          [this](const HostPort& node, const std::vector<std::vector<std::string>>& commands) {
              // Discovery runs on a connection of its own, outside the
              // pool's caps, with the pool's credentials, TLS and timeouts;
              // its commands go out in one write.
              ConnectionOptions connection_options = options_.connection_kwargs;
              connection_options.host = node.host;
              connection_options.port = node.port;
              connection_options.readonly = false;
              connection_options.socket_timeout =
                  std::min(connection_options.socket_timeout.value_or(kDiscoverySocketTimeout), kDiscoverySocketTimeout);
              auto connection = build_connection(std::move(connection_options));
              std::string packed;
              for (const auto& command : commands) encode_command_range(packed, command);
              connection->send_packed_command(packed, commands.size());
              return connection->read_responses(commands.size());
          },
          [this](const SlotTable& table) { close_idle_connections_outside(table); }),
      options_(std::move(options)),
      kind_(kind) {
    detail::PoolLimits limits;
    limits.max_total = options_.max_connections;
    limits.max_per_node = options_.max_connections_per_node.limit();
    limits.blocking = kind_.blocking;
    limits.timeout = options_.timeout;
    shared_ = std::make_shared<PooledConnection::Shared>(
        limits, [this](const NodeInfo& node) { return make_connection(node); });
    if (options_.init_slot_cache) {
        nodes.initialize();
    }
}

ClusterConnectionPool::~ClusterConnectionPool() = default;

std::unique_ptr<ClusterConnection> ClusterConnectionPool::make_connection(const NodeInfo& node) const {
    ConnectionOptions connection_options = options_.connection_kwargs;
    connection_options.host = node.host;
    connection_options.port = node.port;
    // Replica connections of the read pools say READONLY once, on connect.
    connection_options.readonly = kind_.readonly_connections || (kind_.reads_to_replicas && !node.is_master());
    return build_connection(std::move(connection_options));
}

std::unique_ptr<ClusterConnection> ClusterConnectionPool::build_connection(ConnectionOptions options) const {
    if (options_.connection_class) {
        return options_.connection_class(std::move(options));
    }
    return std::make_unique<ClusterConnection>(std::move(options));
}

PooledConnection ClusterConnectionPool::lend(const NodeInfo& node, std::unique_ptr<ClusterConnection> connection,
                                             std::uint64_t generation) const {
    PooledConnection pooled;
    pooled.pool_ = shared_;
    pooled.node_ = node;
    pooled.connection_ = std::move(connection);
    pooled.generation_ = generation;
    return pooled;
}

PooledConnection ClusterConnectionPool::borrow(const NodeInfo& node) {
    auto borrowed = shared_->core.acquire(node);
    return lend(node, std::move(borrowed.connection), borrowed.generation);
}

PooledConnection ClusterConnectionPool::get_connection_by_node(const NodeInfo& node) { return borrow(node); }

PooledConnection ClusterConnectionPool::try_get_connection_by_node(const NodeInfo& node) {
    auto borrowed = shared_->core.try_acquire(node);
    if (!borrowed) return {};
    return lend(node, std::move(borrowed->connection), borrowed->generation);
}

std::vector<std::size_t> ClusterConnectionPool::read_order(std::span<const NodeInfo> shard) {
    return detail::read_candidates(shard, shared_->read_rotation.fetch_add(1, std::memory_order_relaxed),
                                   [&](const NodeInfo& node) { return shared_->failed_nodes.healthy(node.name); });
}

NodeInfo ClusterConnectionPool::get_node_by_slot(std::uint16_t slot, bool read_command) {
    if (!read_command || !kind_.reads_to_replicas) return nodes.get_master_node_by_slot(slot);
    const auto table = nodes.slots();
    const auto shard = (*table)[slot];
    if (shard.empty()) return nodes.get_master_node_by_slot(slot);  // throws SlotNotCoveredError
    return shard[read_order(shard).front()];
}

PooledConnection ClusterConnectionPool::get_connection_by_slot(std::uint16_t slot, bool read_command) {
    if (read_command && kind_.reads_to_replicas) {
        return get_read_connection_by_slot(slot);
    }
    return borrow(nodes.get_master_node_by_slot(slot));
}

PooledConnection ClusterConnectionPool::get_read_connection_by_slot(std::uint16_t slot) {
    const auto table = nodes.slots();
    const auto shard = (*table)[slot];
    if (shard.empty()) {
        (void)nodes.get_master_node_by_slot(slot);  // throws SlotNotCoveredError with the usual message
    }
    const auto candidates = read_order(shard);
    std::exception_ptr last_error;
    for (const auto index : candidates) {
        const NodeInfo& node = shard[index];
        auto connection = borrow(node);
        if (index == 0 && node.is_master()) {
            return connection;  // the master is the last resort: no probing
        }
        try {
            if (!connection->is_connected()) connection->connect();
            shared_->failed_nodes.clear(node.name);
            return connection;
        } catch (const ConnectionError&) {
            last_error = std::current_exception();
        } catch (const TimeoutError&) {
            last_error = std::current_exception();
        }
        shared_->failed_nodes.mark(node.name);
    }
    std::rethrow_exception(last_error);
}

PooledConnection ClusterConnectionPool::get_connection_for_keys(std::string_view command_name,
                                                                std::span<const std::string_view> keys) {
    if (keys.empty()) {
        return get_random_connection();
    }
    const auto slot = key_slot(keys.front());
    for (const auto key : keys.subspan(1)) {
        if (key_slot(key) != slot) {
            throw ClusterCrossSlotError(std::string(command_name) + " - all keys must map to the same key slot");
        }
    }
    return get_connection_by_slot(slot, is_read_command(command_name));
}

PooledConnection ClusterConnectionPool::get_random_connection() {
    auto candidates = nodes.all_nodes();
    if (candidates.empty()) {
        for (const auto& seed : nodes.startup_nodes()) candidates.push_back(make_node(seed.host, seed.port, "master"));
    }
    std::shuffle(candidates.begin(), candidates.end(), detail::thread_random());
    std::exception_ptr last_error;
    for (const auto& node : candidates) {
        auto connection = borrow(node);
        try {
            if (!connection->is_connected()) connection->connect();
            return connection;
        } catch (const ConnectionError&) {
            last_error = std::current_exception();
        } catch (const TimeoutError&) {
            last_error = std::current_exception();
        }
        mark_node_failed(node);
    }
    std::rethrow_exception(last_error);
}

void ClusterConnectionPool::release(PooledConnection& connection) noexcept { connection.release(); }

void ClusterConnectionPool::disconnect() { shared_->core.disconnect(); }

void ClusterConnectionPool::reset() {
    disconnect();
    nodes.reset();
}

void ClusterConnectionPool::initialize() { nodes.initialize(); }

NodeInfo ClusterConnectionPool::get_master_node_by_slot(std::uint16_t slot) const {
    return nodes.get_master_node_by_slot(slot);
}

std::vector<NodeInfo> ClusterConnectionPool::get_nodes_by_server_type(std::string_view server_type) const {
    return nodes.get_nodes_by_server_type(server_type);
}

std::size_t ClusterConnectionPool::created_connections() const { return shared_->core.created_connections(); }

std::size_t ClusterConnectionPool::created_connections(const NodeInfo& node) const {
    return shared_->core.created_connections(node.name);
}

void ClusterConnectionPool::mark_node_failed(const NodeInfo& node) {
    shared_->failed_nodes.mark(node.name);
    // Its other idle connections most likely broke with it.
    shared_->core.close_idle_if([&](const std::string& name) { return name == node.name; });
}

void ClusterConnectionPool::close_idle_connections_outside(const SlotTable& table) {
    if (!shared_) return;  // discovery during construction: nothing pooled yet
    shared_->core.close_idle_if([&](const std::string& name) {
        return std::none_of(table.nodes().begin(), table.nodes().end(),
                            [&](const NodeInfo& node) { return node.name == name; });
    });
}

ClusterBlockingConnectionPool::ClusterBlockingConnectionPool(ClusterConnectionPoolOptions options)
    : ClusterConnectionPool(std::move(options), PoolKind{.blocking = true}) {}

ClusterReadOnlyConnectionPool::ClusterReadOnlyConnectionPool(ClusterConnectionPoolOptions options)
    : ClusterConnectionPool(std::move(options), PoolKind{.readonly_connections = true, .reads_to_replicas = true}) {}

ClusterWithReadReplicasConnectionPool::ClusterWithReadReplicasConnectionPool(ClusterConnectionPoolOptions options)
    : ClusterConnectionPool(std::move(options), PoolKind{.reads_to_replicas = true}) {}

bool is_read_command(std::string_view command_name) noexcept { return detail::command_is_read_only(command_name); }

}  // namespace rediscluster
