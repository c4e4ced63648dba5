#include <algorithm>
#include <random>

#include "detail/random.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster {
namespace {

constexpr std::size_t kDefaultReinitializeSteps = 25;

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const auto& part : parts) {
        if (!out.empty()) out.append(separator);
        out.append(part);
    }
    return out;
}

std::string describe(const HostPort& node) { return node_name(node.host, node.port); }

// Whether the cluster refuses to serve when a slot is uncovered. A node that
// cannot tell (CONFIG disabled, no permission) is taken to require it: the
// safe reading, which makes discovery try the next seed.
bool requires_full_coverage(const NodeCommandRunner& runner, const HostPort& node) {
    try {
        const Reply reply = runner(node, {"CONFIG", "GET", "cluster-require-full-coverage"});
        for (std::size_t i = 1; i < reply.size(); i += 2) {
            if (reply[i].is_string()) {
                return reply[i].str() != "no";
            }
        }
    } catch (const RedisError&) {
    }
    return true;
}

}  // namespace

NodeManager::NodeManager(NodeManagerOptions options, NodeCommandRunner runner, TopologyListener on_change)
    : options_(std::move(options)),
      runner_(std::move(runner)),
      on_change_(std::move(on_change)),
      reinitialize_steps_(options_.reinitialize_steps.value_or(kDefaultReinitializeSteps)),
      table_(std::make_shared<const SlotTable>()) {
    if (options_.startup_nodes.empty()) {
        throw RedisClusterException("No startup nodes provided");
    }
    for (const auto& node : options_.startup_nodes) {
        if (node.host.empty() || node.port == 0) {
            throw RedisClusterConfigError("startup node '" + node_name(node.host, node.port) +
                                          "' needs a host and a port in 1..65535");
        }
    }
    if (reinitialize_steps_ == 0) {
        throw RedisClusterConfigError("reinitialize_steps must be at least 1");
    }
    if (!runner_) {
        throw RedisClusterConfigError("NodeManager needs a command runner");
    }
}

std::vector<HostPort> NodeManager::seeds() const {
    std::vector<HostPort> seeds;
    auto add = [&](const std::string& host, std::uint16_t port) {
        const bool known = std::any_of(seeds.begin(), seeds.end(), [&](const HostPort& seed) {
            return seed.port == port && same_host(seed.host, host);
        });
        if (!known) seeds.push_back(HostPort{host, port});
    };
    // With follow_cluster, the nodes seen last time are the freshest view of
    // the cluster and the startup nodes a last resort (their names may
    // resolve to new addresses when every known node is gone). Without it,
    // the startup nodes come first, but the known nodes still follow: a
    // dead startup node must not stop the client from following a failover.
    const auto known = slots();
    if (options_.nodemanager_follow_cluster) {
        for (const auto& node : known->nodes()) add(node.host, node.port);
    }
    for (const auto& node : options_.startup_nodes) add(node.host, node.port);
    for (const auto& node : known->nodes()) add(node.host, node.port);
    return seeds;
}

void NodeManager::initialize() {
    std::unique_lock refresh_lock(refresh_mutex_);
    if (refresh_running_) {
        // Someone is discovering right now: share their result.
        const auto round = refresh_round_;
        refresh_done_.wait(refresh_lock, [&] { return refresh_round_ != round; });
        if (refresh_error_) std::rethrow_exception(refresh_error_);
        return;
    }
    refresh_running_ = true;
    refresh_lock.unlock();
    std::shared_ptr<const SlotTable> installed;

    std::exception_ptr error;
    try {
        std::vector<SlotRange> merged;
        std::vector<std::string> failures;
        bool any_answer = false;
        std::size_t best_coverage = 0;
        for (const auto& seed : seeds()) {
            std::vector<SlotRange> ranges;
            try {
                ranges = parse_cluster_slots(runner_(seed, {"CLUSTER", "SLOTS"}), seed.host, options_.host_port_remap);
            } catch (const AuthenticationError& e) {
                // Wrong credentials are a configuration problem every seed shares.
                throw RedisClusterException("ERROR sending 'cluster slots' command to redis server: " +
                                            describe(seed) + ": " + e.what());
            } catch (const RedisError& e) {
                failures.push_back(describe(seed) + ": " + e.what());
                continue;
            }
            any_answer = true;
            merged.insert(merged.end(), ranges.begin(), ranges.end());
            auto candidate = std::make_shared<const SlotTable>(merged);  // throws on disagreement
            best_coverage = candidate->size();
            const bool complete = candidate->size() == kSlotCount;
            if (complete || (candidate->size() > 0 && (options_.skip_full_coverage_check ||
                                                       !requires_full_coverage(runner_, seed)))) {
                std::lock_guard table_lock(table_mutex_);
                table_ = std::move(candidate);
                installed = table_;
                ++generation_;
                redirect_counter_ = 0;
                last_discovery_ = std::chrono::steady_clock::now();
                failures.clear();
                break;
            }
            failures.push_back(describe(seed) + ": covers " + std::to_string(candidate->size()) + " of 16384 slots");
        }
        if (!failures.empty()) {
            if (!any_answer) {
                throw RedisClusterException(
                    "Redis Cluster cannot be connected. Please provide at least one reachable node: " +
                    join(failures, "; "));
            }
            throw RedisClusterException("All slots are not covered after query all startup_nodes. " +
                                        std::to_string(best_coverage) + " of 16384 covered: " +
                                        join(failures, "; "));
        }
    } catch (...) {
        error = std::current_exception();
    }

    refresh_lock.lock();
    refresh_running_ = false;
    refresh_error_ = error;
    ++refresh_round_;
    refresh_lock.unlock();
    refresh_done_.notify_all();
    if (installed) {
        if (on_change_) on_change_(*installed);
        // Kept alive for the call: an owner may let go meanwhile.
        std::vector<std::shared_ptr<const TopologyListener>> live;
        {
            std::lock_guard lock(listeners_mutex_);
            for (auto it = listeners_.begin(); it != listeners_.end();) {
                if (auto locked = it->lock()) {
                    live.push_back(std::move(locked));
                    ++it;
                } else {
                    it = listeners_.erase(it);
                }
            }
        }
        for (const auto& listener : live) (*listener)(*installed);
    }
    if (error) std::rethrow_exception(error);
}

void NodeManager::add_topology_listener(std::weak_ptr<const TopologyListener> listener) {
    std::lock_guard lock(listeners_mutex_);
    std::erase_if(listeners_, [](const std::weak_ptr<const TopologyListener>& known) { return known.expired(); });
    listeners_.push_back(std::move(listener));
}

void NodeManager::reset() { initialize(); }

void NodeManager::initialize_if_older_than(std::chrono::milliseconds min_age) {
    {
        std::lock_guard lock(table_mutex_);
        if (generation_ > 0 && std::chrono::steady_clock::now() - last_discovery_ < min_age) return;
    }
    initialize();
}

std::shared_ptr<const SlotTable> NodeManager::slots() const {
    std::lock_guard lock(table_mutex_);
    return table_;
}

std::vector<NodeInfo> NodeManager::all_nodes() const { return slots()->nodes(); }

std::vector<NodeInfo> NodeManager::get_nodes_by_server_type(std::string_view server_type) const {
    if (server_type != "master" && server_type != "slave") {
        throw RedisClusterConfigError("server_type must be 'master' or 'slave', got '" + std::string(server_type) + "'");
    }
    std::vector<NodeInfo> nodes;
    for (const auto& node : all_nodes()) {
        if (node.server_type == server_type) nodes.push_back(node);
    }
    return nodes;
}

NodeInfo NodeManager::get_master_node_by_slot(std::uint16_t slot) const {
    const auto table = slots();
    if (const NodeInfo* master = table->master(slot)) {
        return *master;
    }
    throw SlotNotCoveredError("Slot \"" + std::to_string(slot) + "\" not covered by the cluster. " +
                              "\"skip_full_coverage_check=" +
                              (options_.skip_full_coverage_check ? "true" : "false") + "\"");
}

NodeInfo NodeManager::random_node() const {
    const auto table = slots();
    const auto& nodes = table->nodes();
    if (!nodes.empty()) {
        std::uniform_int_distribution<std::size_t> pick(0, nodes.size() - 1);
        return nodes[pick(detail::thread_random())];
    }
    std::uniform_int_distribution<std::size_t> pick(0, options_.startup_nodes.size() - 1);
    const auto& seed = options_.startup_nodes[pick(detail::thread_random())];
    return make_node(seed.host, seed.port, "master");
}

const std::vector<StartupNode>& NodeManager::startup_nodes() const noexcept { return options_.startup_nodes; }

std::uint64_t NodeManager::generation() const {
    std::lock_guard lock(table_mutex_);
    return generation_;
}

bool NodeManager::apply_moved(std::uint16_t slot, const HostPort& target) {
    std::lock_guard lock(table_mutex_);
    const SlotTable& table = *table_;
    const NodeInfo* old_master = table.master(slot);
    if (old_master != nullptr && old_master->port == target.port && same_host(old_master->host, target.host)) {
        return false;
    }
    auto ranges = table.ranges();
    const auto shard = table[slot];
    const bool failover =
        old_master != nullptr && std::any_of(shard.begin() + 1, shard.end(), [&](const NodeInfo& replica) {
            return replica.port == target.port && same_host(replica.host, target.host);
        });
    const NodeInfo promoted = make_node(target.host, target.port, "master");
    if (failover) {
        // The replica took over: all of the old master's slots follow it.
        // The old master is dropped, not kept as a replica: it is most
        // likely down, and the next discovery will say where it went.
        const std::string old_name = old_master->name;
        for (auto& range : ranges) {
            if (range.master.name != old_name) continue;
            range.master = promoted;
            std::erase_if(range.replicas, [&](const NodeInfo& replica) { return replica.name == promoted.name; });
        }
    } else {
        // One slot moved (resharding): split its range around it and give
        // it to the target, with the target's replicas if it is known.
        std::vector<NodeInfo> target_replicas;
        for (std::size_t i = 0; i < table.shard_count(); ++i) {
            const auto nodes = table.shard(i);
            if (nodes.front().name == promoted.name) target_replicas.assign(nodes.begin() + 1, nodes.end());
        }
        std::vector<SlotRange> split;
        for (auto& range : ranges) {
            if (slot < range.first || slot > range.last) {
                split.push_back(std::move(range));
                continue;
            }
            if (range.first < slot) {
                split.push_back(SlotRange{range.first, static_cast<std::uint16_t>(slot - 1), range.master, range.replicas});
            }
            if (slot < range.last) {
                split.push_back(SlotRange{static_cast<std::uint16_t>(slot + 1), range.last, range.master, range.replicas});
            }
        }
        split.push_back(SlotRange{slot, slot, promoted, target_replicas});
        ranges = std::move(split);
    }
    table_ = std::make_shared<const SlotTable>(ranges);
    return true;
}

bool NodeManager::increment_reinitialize_counter(std::size_t count) {
    std::lock_guard lock(table_mutex_);
    redirect_counter_ += count;
    if (redirect_counter_ >= reinitialize_steps_) {
        redirect_counter_ = 0;
        return true;
    }
    return false;
}

}  // namespace rediscluster
