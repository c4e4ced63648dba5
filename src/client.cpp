// RedisCluster: the public edge of the blocking client. Options are
// checked here, commands handed to the core, and failures, which travel
// inside as values, become exceptions here.

#include "rediscluster/client.hpp"

#include "detail/client_core.hpp"
#include "detail/pipeline_state.hpp"
#include "detail/scan_calls.hpp"
#include "detail/transaction_state.hpp"
#include "rediscluster/error_reply.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {

class RedisCluster::Core : public detail::ClientCore {
public:
    using ClientCore::ClientCore;
};

std::shared_ptr<ClusterConnectionPool> detail::make_client_pool(RedisClusterOptions& options) {
    if (options.connection_kwargs.db != 0) {
        throw RedisClusterConfigError("Argument 'db' is not possible to use in cluster mode");
    }
    if (options.cluster_down_retry_attempts && *options.cluster_down_retry_attempts < 0) {
        throw RedisClusterConfigError("cluster_down_retry_attempts must not be negative");
    }
    if (options.command_timeout && options.command_timeout->count() <= 0) {
        throw RedisClusterConfigError("command_timeout must be positive (unset means socket_timeout)");
    }
    if (options.periodic_refresh_interval.count() < 0) {
        throw RedisClusterConfigError("periodic_refresh_interval must not be negative (zero turns it off)");
    }
    if (options.connection_pool) return options.connection_pool;
    ClusterConnectionPoolOptions pool_options;
    pool_options.startup_nodes = options.startup_nodes;
    pool_options.init_slot_cache = options.init_slot_cache;
    pool_options.connection_class = options.connection_class;
    pool_options.max_connections = options.max_connections;
    pool_options.max_connections_per_node = options.max_connections_per_node;
    pool_options.reinitialize_steps = options.reinitialize_steps;
    pool_options.skip_full_coverage_check = options.skip_full_coverage_check;
    pool_options.nodemanager_follow_cluster = options.nodemanager_follow_cluster;
    pool_options.host_port_remap = options.host_port_remap;
    pool_options.connection_kwargs = options.connection_kwargs;
    if (options.readonly_mode) return std::make_shared<ClusterReadOnlyConnectionPool>(pool_options);
    if (options.read_from_replicas) return std::make_shared<ClusterWithReadReplicasConnectionPool>(pool_options);
    return std::make_shared<ClusterConnectionPool>(pool_options);
}

namespace {

// The edge: a failure becomes its exception, an error reply that is the
// command's own answer its typed exception.
Reply& finish(Reply& reply, const std::optional<detail::CommandFailure>& failure) {
    if (failure) detail::raise(*failure, reply);
    if (reply.is_error()) throw_error_reply(reply.str());
    return reply;
}

}  // namespace

RedisCluster::RedisCluster(RedisClusterOptions options)
    : connection_pool(detail::make_client_pool(options)), core_(std::make_shared<Core>(connection_pool, options)) {}

RedisCluster::~RedisCluster() = default;

Reply& RedisCluster::execute_arguments_into(Reply& reply, std::span<const std::string_view> args) {
    return finish(reply, core_->run(args, reply));
}

Reply RedisCluster::execute_packed(std::string_view packed) {
    Reply reply;
    execute_packed_into(reply, packed);
    return reply;
}

Reply& RedisCluster::execute_packed_into(Reply& reply, std::string_view packed) {
    return finish(reply, core_->run_packed(packed, reply));
}

Pipeline RedisCluster::pipeline() {
    return Pipeline(std::make_unique<Pipeline::State>(std::static_pointer_cast<detail::ClientCore>(core_)));
}

PubSub RedisCluster::pubsub(PubSubOptions options) { return PubSub(connection_pool, options); }

Transaction RedisCluster::transaction(std::string_view key_or_hash_tag) {
    return Transaction(std::make_unique<Transaction::State>(std::static_pointer_cast<detail::ClientCore>(core_),
                                                            key_slot(key_or_hash_tag)));
}

bool RedisCluster::ping() { return execute_command("PING").is_string(); }
std::int64_t RedisCluster::dbsize() { return execute_command("DBSIZE").integer(); }
void RedisCluster::flushall() { (void)execute_command("FLUSHALL"); }

// --- scans (scan.cpp) ---------------------------------------------------------

std::vector<std::string> RedisCluster::scan(ClusterScanCursor& cursor, const ScanOptions& options) {
    if (!cursor.state_) cursor.state_ = std::make_unique<detail::ClusterScan>(detail::plan_cluster_scan(*core_));
    return detail::next_scan_page(*core_, *cursor.state_, options);
}
ScanRange<std::string> RedisCluster::scan_iter(ScanOptions options) {
    return detail::cluster_scan_range(core_, std::move(options));
}
ScanPage<std::string> RedisCluster::sscan(std::string_view key, std::uint64_t cursor, const ScanOptions& options) {
    return detail::collection_scan_page<std::string>(*core_, key, cursor, options);
}
ScanPage<std::pair<std::string, std::string>> RedisCluster::hscan(std::string_view key, std::uint64_t cursor,
                                                                  const ScanOptions& options) {
    return detail::collection_scan_page<detail::HashField>(*core_, key, cursor, options);
}
ScanPage<std::pair<std::string, double>> RedisCluster::zscan(std::string_view key, std::uint64_t cursor,
                                                             const ScanOptions& options) {
    return detail::collection_scan_page<detail::ScoredMember>(*core_, key, cursor, options);
}
ScanRange<std::string> RedisCluster::sscan_iter(std::string key, ScanOptions options) {
    return detail::collection_scan_range<std::string>(core_, std::move(key), std::move(options));
}
ScanRange<std::pair<std::string, std::string>> RedisCluster::hscan_iter(std::string key, ScanOptions options) {
    return detail::collection_scan_range<detail::HashField>(core_, std::move(key), std::move(options));
}
ScanRange<std::pair<std::string, double>> RedisCluster::zscan_iter(std::string key, ScanOptions options) {
    return detail::collection_scan_range<detail::ScoredMember>(core_, std::move(key), std::move(options));
}

}  // namespace rediscluster
