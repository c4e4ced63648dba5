#include "detail/client_core.hpp"

#include "detail/multi_key.hpp"
#include "detail/thread_lease.hpp"

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
    bool split = false;
    if (auto failure = run_maybe_split(args, reply, split); split) return failure;
    ThreadRequest lease;
    lease.get().add(args, catalog_.analyse(args));
    return run_request(lease.get(), reply);
}

std::optional<CommandFailure> ClientCore::run_packed(std::string_view packed, Reply& reply) {
    const auto parsed = parse_packed_command(packed);
    const std::span<const std::string_view> args(parsed.data(), parsed.size());
    bool split = false;
    if (auto failure = run_maybe_split(args, reply, split); split) return failure;
    ThreadRequest lease;
    lease.get().add_encoded(packed, args.front(), catalog_.analyse(args));
    return run_request(lease.get(), reply);
}

namespace {

// What a split command needs, kept per thread so that a thread's split
// commands reuse it (a pipeline of the same work reuses its own too).
struct SplitScratch {
    MultiKeyPlan plan;
    Request request;
    BatchScratch batch;
    std::vector<std::string_view> part;
    std::vector<Reply> replies;
    std::vector<std::optional<CommandFailure>> failures;
};

}  // namespace

std::optional<CommandFailure> ClientCore::run_maybe_split(std::span<const std::string_view> args, Reply& reply,
                                                          bool& split) {
    split = false;
    // Most commands leave here, at the argument count or the name.
    if (!may_split_by_slot(args)) return std::nullopt;
    ThreadLease<SplitScratch> scratch;
    if (!plan_multi_key_split(args, scratch->plan)) return std::nullopt;
    split = true;
    const auto& plan = scratch->plan;
    // The parts are a batch, as a pipeline's commands: grouped by node,
    // written to every node before any reply is read, each retried alone.
    CommandFacts facts{.target = CommandRoute::Target::Slot, .read_only = command_is_read_only(args[0])};
    auto& request = scratch->request;
    request.clear();
    for (std::size_t p = 0; p < plan.parts.size(); ++p) {
        plan.part_arguments(args, p, scratch->part);
        facts.slot = plan.parts[p].slot;
        request.add(scratch->part, facts);
    }
    auto& replies = scratch->replies;
    replies.resize(plan.parts.size());
    driver_.run_all(request, replies, scratch->failures, scratch->batch);
    // The first part that failed decides, as the command would have failed
    // whole; what the other parts did stands (the command is not atomic).
    for (std::size_t p = 0; p < replies.size(); ++p) {
        if (plan.sent_as_get(p)) as_mget_answer(replies[p]);
        if (scratch->failures[p] || replies[p].is_error()) {
            reply = std::move(replies[p]);
            return scratch->failures[p];
        }
    }
    merge_multi_key_replies(plan, args[0], replies, reply);
    return std::nullopt;
}

std::optional<CommandFailure> ClientCore::run_request(const Request& request, Reply& reply) {
    const auto target = request.facts(0).target;
    if (target == CommandRoute::Target::AllMasters || target == CommandRoute::Target::AllNodes) {
        return driver_.run_fanned_out(request, 0, reply);
    }
    return driver_.run(request, 0, reply);
}

}  // namespace rediscluster::detail
