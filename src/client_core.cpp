#include "detail/client_core.hpp"

#include "detail/multi_key.hpp"

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
    if (auto plan = plan_multi_key_split(args)) return run_split(args, *plan, reply);
    ThreadRequest lease;
    lease.get().add(args, catalog_.analyse(args));
    return run_request(lease.get(), reply);
}

std::optional<CommandFailure> ClientCore::run_packed(std::string_view packed, Reply& reply) {
    const auto parsed = parse_packed_command(packed);
    const std::span<const std::string_view> args(parsed.data(), parsed.size());
    if (auto plan = plan_multi_key_split(args)) return run_split(args, *plan, reply);
    ThreadRequest lease;
    lease.get().add_encoded(packed, args.front(), catalog_.analyse(args));
    return run_request(lease.get(), reply);
}

std::optional<CommandFailure> ClientCore::run_split(std::span<const std::string_view> args, const MultiKeyPlan& plan,
                                                    Reply& reply) {
    // The parts are a batch, as a pipeline's commands: grouped by node,
    // written to every node before any reply is read, each retried alone.
    const CommandFacts facts{.target = CommandRoute::Target::Slot, .read_only = command_is_read_only(args[0])};
    Request request;
    std::vector<std::string_view> part;
    for (std::size_t p = 0; p < plan.parts.size(); ++p) {
        plan.part_arguments(args, p, part);
        auto part_facts = facts;
        part_facts.slot = plan.parts[p].slot;
        request.add(part, part_facts);
    }
    std::vector<Reply> replies(plan.parts.size());
    std::vector<std::optional<CommandFailure>> failures;
    BatchScratch scratch;
    driver_.run_all(request, replies, failures, scratch);
    // The first part that failed decides, as the command would have failed
    // whole; what the other parts did stands (the command is not atomic).
    for (std::size_t p = 0; p < replies.size(); ++p) {
        if (failures[p] || replies[p].is_error()) {
            reply = std::move(replies[p]);
            return failures[p];
        }
    }
    reply = merge_multi_key_replies(plan, args[0], replies);
    return std::nullopt;
}

std::optional<CommandFailure> ClientCore::run_request(const Request& request, Reply& reply) {
    if (request.facts(0).target == CommandRoute::Target::AllMasters) return driver_.run_on_all_masters(request, 0, reply);
    return driver_.run(request, 0, reply);
}

}  // namespace rediscluster::detail
