#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>

#include "detail/random.hpp"
#include "detail/refresh_policy.hpp"
#include "detail/topology_merge.hpp"
#include "rediscluster/error_reply.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster {

struct NodeManager::Pins {
    std::vector<detail::MovedPin> list;
    std::uint64_t version = 0;  // bumped by every MOVED, so a discovery can tell it raced one
};

struct NodeManager::View {
    HostPort node;
    std::vector<SlotRange> ranges;
};

namespace {

constexpr std::size_t kDefaultReinitializeSteps = 25;
constexpr detail::RefreshPolicy kRefreshPolicy{};

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const auto& part : parts) {
        if (!out.empty()) out.append(separator);
        out.append(part);
    }
    return out;
}

std::string describe(const HostPort& node) { return node_name(node.host, node.port); }

bool same_address(const HostPort& address, std::string_view host, std::uint16_t port) {
    return address.port == port && same_host(address.host, host);
}

bool same_node(const NodeInfo& node, const HostPort& address) { return same_address(address, node.host, node.port); }

std::size_t covered_by(const std::vector<SlotRange>& ranges) {
    std::size_t covered = 0;
    for (const auto& range : ranges) covered += static_cast<std::size_t>(range.last - range.first) + 1;
    return covered;
}

// Pins `pin`'s slots, replacing what older pins said of them.
void add_pin(std::vector<detail::MovedPin>& pins, detail::MovedPin pin) {
    std::vector<detail::MovedPin> kept;
    for (auto& old : pins) {
        if (old.last < pin.first || old.first > pin.last) {
            kept.push_back(std::move(old));
            continue;
        }
        if (old.first < pin.first) {
            auto left = old;
            left.last = static_cast<std::uint16_t>(pin.first - 1);
            kept.push_back(std::move(left));
        }
        if (old.last > pin.last) {
            auto right = old;
            right.first = static_cast<std::uint16_t>(pin.last + 1);
            kept.push_back(std::move(right));
        }
    }
    kept.push_back(std::move(pin));
    pins = std::move(kept);
}

}  // namespace

struct NodeManager::State {
    NodeManagerOptions options;
    NodeCommandRunner runner;
    TopologyListener on_change;
    std::size_t reinitialize_steps = 0;

    std::mutex listeners_mutex;  // guards listeners
    std::vector<std::weak_ptr<const TopologyListener>> listeners;

    std::mutex table_mutex;  // guards the members down to the next blank line
    std::shared_ptr<const SlotTable> table;
    std::uint64_t generation = 0;
    std::size_t redirect_counter = 0;
    std::unique_ptr<Pins> pins;  // slots learned from MOVED replies
    std::optional<HostPort> ask_first;
    std::size_t rotation = 0;

    std::mutex refresh_mutex;  // guards the single-flight state below
    std::condition_variable refresh_done;
    bool refresh_running = false;
    std::uint64_t refresh_round = 0;
    std::exception_ptr refresh_error;
    std::uint64_t attempts = 0;
    int failures_in_a_row = 0;
    std::chrono::steady_clock::time_point next_discovery_due{};
};

NodeManager::NodeManager(NodeManagerOptions options, NodeCommandRunner runner, TopologyListener on_change)
    : state_(std::make_unique<State>()) {
    state_->options = std::move(options);
    state_->runner = std::move(runner);
    state_->on_change = std::move(on_change);
    state_->reinitialize_steps = state_->options.reinitialize_steps.value_or(kDefaultReinitializeSteps);
    state_->table = std::make_shared<const SlotTable>();
    state_->pins = std::make_unique<Pins>();
    // Clients started together must not all ask the same node first.
    state_->rotation = std::uniform_int_distribution<std::size_t>(0, 1u << 16)(detail::thread_random());
    if (state_->options.startup_nodes.empty()) {
        throw RedisClusterException("No startup nodes provided");
    }
    for (const auto& node : state_->options.startup_nodes) {
        if (node.host.empty() || node.port == 0) {
            throw RedisClusterConfigError("startup node '" + node_name(node.host, node.port) +
                                          "' needs a host and a port in 1..65535");
        }
    }
    if (state_->reinitialize_steps == 0) {
        throw RedisClusterConfigError("reinitialize_steps must be at least 1");
    }
    if (state_->options.discovery_nodes == 0) {
        throw RedisClusterConfigError("discovery_nodes must be at least 1");
    }
    if (!state_->runner) {
        throw RedisClusterConfigError("NodeManager needs a command runner");
    }
}

NodeManager::~NodeManager() = default;

const NodeManagerOptions& NodeManager::options() const noexcept { return state_->options; }

std::vector<HostPort> NodeManager::candidates() {
    std::vector<HostPort> nodes;
    auto add = [&](const std::string& host, std::uint16_t port) {
        const bool known =
            std::any_of(nodes.begin(), nodes.end(), [&](const HostPort& node) { return same_address(node, host, port); });
        if (!known) nodes.push_back(HostPort{host, port});
    };
    const auto known = slots();
    if (state_->options.nodemanager_follow_cluster) {
        for (const auto& node : known->nodes()) add(node.host, node.port);
    }
    for (const auto& node : state_->options.startup_nodes) add(node.host, node.port);
    for (const auto& node : known->nodes()) add(node.host, node.port);

    std::optional<HostPort> first;
    std::size_t start = 0;
    {
        std::lock_guard lock(state_->table_mutex);
        first = std::exchange(state_->ask_first, std::nullopt);
        // The first discovery takes the startup nodes in the order given;
        // later ones start one place further each time.
        if (!known->nodes().empty()) start = state_->rotation++ % nodes.size();
    }
    std::rotate(nodes.begin(), nodes.begin() + static_cast<std::ptrdiff_t>(start), nodes.end());
    if (first) {
        std::erase_if(nodes, [&](const HostPort& node) { return same_address(node, first->host, first->port); });
        nodes.insert(nodes.begin(), *first);
    }
    return nodes;
}

NodeManager::View NodeManager::ask(const HostPort& node) const {
    const auto& remap = state_->options.host_port_remap;
    auto replies = state_->runner(node, {{"CLUSTER", "SHARDS"}, {"CLUSTER", "NODES"}});
    if (replies.size() != 2) {
        throw ProtocolError("discovery expected 2 replies from " + describe(node) + ", got " +
                            std::to_string(replies.size()));
    }
    View view{node, {}};
    if (!replies[0].is_error()) {
        view.ranges = parse_cluster_shards(replies[0], node.host, remap);
    } else {
        // A server before 7.0 has no CLUSTER SHARDS.
        auto slots = state_->runner(node, {{"CLUSTER", "SLOTS"}});
        if (slots.size() != 1) {
            throw ProtocolError("discovery expected 1 reply from " + describe(node) + ", got " +
                                std::to_string(slots.size()));
        }
        if (slots[0].is_error()) throw_error_reply(slots[0].str(), node.host);
        view.ranges = parse_cluster_slots(slots[0], node.host, remap);
    }
    // Without epochs (CLUSTER NODES refused, say by an ACL) the answer
    // still counts, below any answer that has them.
    if (!replies[1].is_error()) {
        detail::assign_config_epochs(view.ranges, detail::parse_config_epochs(replies[1], node.host, remap));
    }
    return view;
}

// Whether the cluster refuses to serve when a slot is uncovered. A node that
// cannot tell (CONFIG disabled, no permission) is taken to require it: the
// safe reading.
bool NodeManager::requires_full_coverage(const HostPort& node) const {
    try {
        const auto replies = state_->runner(node, {{"CONFIG", "GET", "cluster-require-full-coverage"}});
        if (replies.size() != 1) return true;
        const Reply& reply = replies.front();
        // RESP2 answers a flat array of names and values, RESP3 a map,
        // which holds them the same way.
        const bool pairs = reply.type() == ReplyType::Array || reply.type() == ReplyType::Map;
        for (std::size_t i = 1; pairs && i < reply.size(); i += 2) {
            if (reply[i].is_string()) return reply[i].str() != "no";
        }
    } catch (const RedisError&) {
    }
    return true;
}

std::shared_ptr<const SlotTable> NodeManager::discover() {
    std::vector<View> views;
    std::vector<std::vector<SlotRange>> answers;
    std::vector<std::string> failures;
    std::size_t covered = 0;
    // Asked once, when enough nodes have answered and slots stay uncovered.
    std::optional<bool> partial_accepted;
    const auto partial_is_accepted = [&] {
        if (covered == 0) return false;
        if (!partial_accepted) {
            partial_accepted = state_->options.skip_full_coverage_check || !requires_full_coverage(views.front().node);
        }
        return *partial_accepted;
    };
    for (const auto& node : candidates()) {
        if (answers.size() >= state_->options.discovery_nodes && (covered == kSlotCount || partial_is_accepted())) {
            break;
        }
        try {
            views.push_back(ask(node));
        } catch (const AuthenticationError& e) {
            // Wrong credentials are a configuration problem every node shares.
            // (The connection's message may name the node already.)
            const std::string what = e.what();
            const bool named = what.find(describe(node)) != std::string::npos;
            throw AuthenticationError("ERROR sending 'cluster slots' command to redis server: " +
                                      (named ? what : describe(node) + ": " + what));
        } catch (const RedisError& e) {
            failures.push_back(describe(node) + ": " + e.what());
            continue;
        }
        answers.push_back(views.back().ranges);
        covered = detail::merge_topology(answers, {}).covered;
    }
    if (views.empty()) {
        throw RedisClusterException("Redis Cluster cannot be connected. Please provide at least one reachable node: " +
                                    join(failures, "; "));
    }
    if (covered < kSlotCount && !partial_is_accepted()) {
        for (const auto& view : views) {
            failures.push_back(describe(view.node) + ": covers " + std::to_string(covered_by(view.ranges)) +
                               " of 16384 slots");
        }
        throw RedisClusterException("All slots are not covered after query all startup_nodes. " +
                                    std::to_string(covered) + " of 16384 covered: " + join(failures, "; "));
    }

    // Merged outside the lock (commands read the table meanwhile), then
    // again if a MOVED came in while merging.
    for (;;) {
        std::vector<detail::MovedPin> pins;
        std::uint64_t version = 0;
        {
            std::lock_guard lock(state_->table_mutex);
            pins = state_->pins->list;
            version = state_->pins->version;
        }
        auto merged = detail::merge_topology(answers, pins);
        auto table = std::make_shared<const SlotTable>(merged.ranges);
        std::lock_guard lock(state_->table_mutex);
        if (state_->pins->version != version) continue;
        state_->pins->list = std::move(merged.pins);
        state_->table = std::move(table);
        ++state_->generation;
        state_->redirect_counter = 0;
        return state_->table;
    }
}

bool NodeManager::run_discovery(bool forced) {
    std::unique_lock refresh_lock(state_->refresh_mutex);
    if (state_->refresh_running) {
        // Someone is discovering right now: share their result.
        const auto round = state_->refresh_round;
        state_->refresh_done.wait(refresh_lock, [&] { return state_->refresh_round != round; });
        if (state_->refresh_error) std::rethrow_exception(state_->refresh_error);
        return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!forced && state_->attempts > 0 && now < state_->next_discovery_due) return false;
    state_->refresh_running = true;
    ++state_->attempts;
    refresh_lock.unlock();

    std::shared_ptr<const SlotTable> installed;
    std::exception_ptr error;
    try {
        installed = discover();
    } catch (...) {
        error = std::current_exception();
    }

    refresh_lock.lock();
    state_->refresh_running = false;
    state_->refresh_error = error;
    ++state_->refresh_round;
    state_->failures_in_a_row = error ? state_->failures_in_a_row + 1 : 0;
    const double jitter = std::uniform_real_distribution<double>(-1.0, 1.0)(detail::thread_random());
    state_->next_discovery_due = std::chrono::steady_clock::now() + kRefreshPolicy.wait_after(state_->failures_in_a_row, jitter);
    refresh_lock.unlock();
    state_->refresh_done.notify_all();
    if (installed) {
        if (state_->on_change) state_->on_change(*installed);
        // Kept alive for the call: an owner may let go meanwhile.
        std::vector<std::shared_ptr<const TopologyListener>> live;
        {
            std::lock_guard lock(state_->listeners_mutex);
            for (auto it = state_->listeners.begin(); it != state_->listeners.end();) {
                if (auto locked = it->lock()) {
                    live.push_back(std::move(locked));
                    ++it;
                } else {
                    it = state_->listeners.erase(it);
                }
            }
        }
        for (const auto& listener : live) (*listener)(*installed);
    }
    if (error) std::rethrow_exception(error);
    return true;
}

void NodeManager::initialize() { (void)run_discovery(true); }

void NodeManager::add_topology_listener(std::weak_ptr<const TopologyListener> listener) {
    std::lock_guard lock(state_->listeners_mutex);
    std::erase_if(state_->listeners, [](const std::weak_ptr<const TopologyListener>& known) { return known.expired(); });
    state_->listeners.push_back(std::move(listener));
}

void NodeManager::reset() { initialize(); }

bool NodeManager::refresh_if_due() { return run_discovery(false); }

std::uint64_t NodeManager::discovery_attempts() const {
    std::lock_guard lock(state_->refresh_mutex);
    return state_->attempts;
}

std::shared_ptr<const SlotTable> NodeManager::slots() const {
    std::lock_guard lock(state_->table_mutex);
    return state_->table;
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
                              (state_->options.skip_full_coverage_check ? "true" : "false") + "\"");
}

NodeInfo NodeManager::random_node() const {
    const auto table = slots();
    const auto& nodes = table->nodes();
    if (!nodes.empty()) {
        std::uniform_int_distribution<std::size_t> pick(0, nodes.size() - 1);
        return nodes[pick(detail::thread_random())];
    }
    std::uniform_int_distribution<std::size_t> pick(0, state_->options.startup_nodes.size() - 1);
    const auto& seed = state_->options.startup_nodes[pick(detail::thread_random())];
    return make_node(seed.host, seed.port, "master");
}

const std::vector<StartupNode>& NodeManager::startup_nodes() const noexcept { return state_->options.startup_nodes; }

std::uint64_t NodeManager::generation() const {
    std::lock_guard lock(state_->table_mutex);
    return state_->generation;
}

bool NodeManager::apply_moved(std::uint16_t slot, const HostPort& target) {
    std::lock_guard lock(state_->table_mutex);
    return apply_moved_locked(slot, target);
}

bool NodeManager::apply_moved_locked(std::uint16_t slot, const HostPort& target) {
    const SlotTable& table = *state_->table;
    const NodeInfo* old_master = table.master(slot);
    if (old_master != nullptr && same_node(*old_master, target)) {
        return false;
    }
    auto ranges = table.ranges();
    const auto shard = table[slot];
    const bool failover = old_master != nullptr && std::any_of(shard.begin() + 1, shard.end(), [&](const NodeInfo& replica) {
                              return same_node(replica, target);
                          });
    const std::uint64_t displaced_epoch = table.config_epoch(slot);
    const NodeInfo promoted = make_node(target.host, target.port, "master");
    ++state_->pins->version;
    if (failover) {
        // The replica took over: all of the old master's slots follow it.
        // The old master is dropped, not kept as a replica: it is most
        // likely down, and the next discovery will say where it went.
        const std::string old_name = old_master->name;
        for (auto& range : ranges) {
            if (range.master.name != old_name) continue;
            range.master = promoted;
            range.config_epoch = displaced_epoch + 1;
            std::erase_if(range.replicas, [&](const NodeInfo& replica) { return replica.name == promoted.name; });
            add_pin(state_->pins->list, detail::MovedPin{range.first, range.last, promoted, range.replicas, displaced_epoch});
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
                split.push_back(SlotRange{range.first, static_cast<std::uint16_t>(slot - 1), range.master,
                                          range.replicas, range.config_epoch});
            }
            if (slot < range.last) {
                split.push_back(SlotRange{static_cast<std::uint16_t>(slot + 1), range.last, range.master,
                                          range.replicas, range.config_epoch});
            }
        }
        split.push_back(SlotRange{slot, slot, promoted, target_replicas, displaced_epoch + 1});
        add_pin(state_->pins->list, detail::MovedPin{slot, slot, promoted, target_replicas, displaced_epoch});
        ranges = std::move(split);
    }
    state_->table = std::make_shared<const SlotTable>(ranges);
    return true;
}

bool NodeManager::record_moved(std::uint16_t slot, const HostPort& target, const std::optional<HostPort>& sender) {
    std::lock_guard lock(state_->table_mutex);
    const SlotTable& table = *state_->table;
    const auto& nodes = table.nodes();
    const bool known = std::any_of(nodes.begin(), nodes.end(), [&](const NodeInfo& node) { return same_node(node, target); });
    const bool was_replica = std::any_of(nodes.begin(), nodes.end(), [&](const NodeInfo& node) {
        return !node.is_master() && same_node(node, target);
    });
    (void)apply_moved_locked(slot, target);
    if (sender) state_->ask_first = *sender;
    // A node the map does not know, or a replica that answers for a slot,
    // is a change of topology, not a slot on the move: look at once.
    if (!known || was_replica) return true;
    return count_redirects_locked(1);
}

bool NodeManager::increment_reinitialize_counter(std::size_t count) {
    std::lock_guard lock(state_->table_mutex);
    return count_redirects_locked(count);
}

bool NodeManager::count_redirects_locked(std::size_t count) {
    state_->redirect_counter += count;
    if (state_->redirect_counter >= state_->reinitialize_steps) {
        state_->redirect_counter = 0;
        return true;
    }
    return false;
}

}  // namespace rediscluster
