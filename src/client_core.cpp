#include "detail/client_core.hpp"

namespace rediscluster::detail {

namespace {

DriverOptions driver_options(const ClusterConnectionPool& pool, const RedisClusterOptions& options) {
    DriverOptions driver;
    driver.limits.cluster_down_retry_attempts = options.cluster_down_retry_attempts;
    driver.limits.retry_on_timeout = pool.options().connection_kwargs.retry_on_timeout;
    driver.command_timeout =
        options.command_timeout ? options.command_timeout : pool.options().connection_kwargs.socket_timeout;
    driver.read_from_replicas = options.read_from_replicas;
    return driver;
}

}  // namespace

ClientCore::ClientCore(std::shared_ptr<ClusterConnectionPool> pool, const RedisClusterOptions& options)
    : pool_(std::move(pool)),
      multiplexer_(options.multiplexed_connections ? std::make_shared<Multiplexer>() : nullptr),
      refresher_(pool_->nodes, options.periodic_refresh_interval),
      catalog_([this](std::span<const std::string_view> args) {
          // The catalog's own commands (COMMAND, COMMAND GETKEYS) have no keys.
          ThreadRequest lease;
          lease.get().add(args, CommandFacts{});
          Reply reply;
          if (const auto failure = driver_.run(lease.get(), 0, reply)) raise(*failure, reply);
          return reply;
      }),
      driver_(*pool_, multiplexer_.get(), driver_options(*pool_, options), [this] { refresher_.request(); }) {
    if (multiplexer_) {
        // Holds the multiplexer itself, not `this`: a discovery that
        // started before this client went away may still call it.
        forget_departed_nodes_ = std::make_shared<const TopologyListener>(
            [multiplexer = multiplexer_](const SlotTable& table) { multiplexer->forget_nodes_not_in(table); });
        pool_->nodes.add_topology_listener(forget_departed_nodes_);
    }
}

std::optional<CommandFailure> ClientCore::run(std::span<const std::string_view> args, Reply& reply) {
    ThreadRequest lease;
    lease.get().add(args, catalog_.analyse(args));
    return run_request(lease.get(), reply);
}

std::optional<CommandFailure> ClientCore::run_packed(std::string_view packed, Reply& reply) {
    const auto parsed = parse_packed_command(packed);
    const std::span<const std::string_view> args(parsed.data(), parsed.size());
    ThreadRequest lease;
    lease.get().add_encoded(packed, args.front(), catalog_.analyse(args));
    return run_request(lease.get(), reply);
}

std::optional<CommandFailure> ClientCore::run_request(const Request& request, Reply& reply) {
    const auto target = request.facts(0).target;
    if (target == CommandRoute::Target::AllMasters || target == CommandRoute::Target::AllNodes) {
        return driver_.run_fanned_out(request, 0, reply);
    }
    return driver_.run(request, 0, reply);
}

}  // namespace rediscluster::detail
