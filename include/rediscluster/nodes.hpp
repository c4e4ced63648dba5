#pragma once

// Cluster topology: which nodes exist and which node serves each slot.
//
//  - StartupNode, NodeInfo: the spec's node records.
//  - HostPortRemap: rewrites the addresses the cluster announces (for NAT,
//    port forwarding, containers) before the client uses them.
//  - SlotTable: an immutable snapshot mapping each of the 16384 slots to its
//    master and replicas, with O(1) lookup.
//  - parse_cluster_slots(): turns a CLUSTER SLOTS reply into slot ranges,
//    following the endpoint rules of the cluster specification.
//  - NodeManager: discovers the topology from startup nodes and keeps the
//    current SlotTable.
//
// Thread safety: StartupNode, NodeInfo, HostPort, SlotRange are plain values.
// HostPortRemap and SlotTable are immutable after construction and safe to
// share between threads. NodeManager is safe to use from many threads at
// once (see its comment).

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rediscluster/resp.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {

/// A node to bootstrap discovery from: `{.host = "127.0.0.1", .port = 7000}`.
struct StartupNode {
    std::string host = {};
    std::uint16_t port = 0;

    bool operator==(const StartupNode&) const = default;
};

/// The "host:port" name the library uses for a node (IPv6 hosts are not
/// bracketed, as Redis itself prints them in MOVED replies).
[[nodiscard]] std::string node_name(std::string_view host, std::uint16_t port);

/// A node of the cluster as the client knows it.
struct NodeInfo {
    std::string host;
    std::uint16_t port = 0;
    /// "host:port"
    std::string name;
    /// "master" or "slave", the spec's words.
    std::string server_type;

    [[nodiscard]] bool is_master() const noexcept { return server_type == "master"; }
    bool operator==(const NodeInfo&) const = default;
};

/// Makes a NodeInfo with its name filled in.
[[nodiscard]] NodeInfo make_node(std::string host, std::uint16_t port, std::string server_type);

// ---------------------------------------------------------------------------
// Host/port remapping

/// An address as announced by the cluster or as remapped.
struct HostPort {
    std::string host;
    std::uint16_t port = 0;

    auto operator<=>(const HostPort&) const = default;
};

/// One rule of the original's list form. Hosts come in pairs and ports come
/// in pairs: from_host without to_host (or the reverse) is an error, and so
/// is from_port without to_port. A rule with only hosts rewrites the host
/// of every port; one with only ports rewrites the port on every host. Host
/// names are accepted as well as IP addresses.
struct HostPortRemapRule {
    std::optional<std::string> from_host = std::nullopt;
    std::optional<std::uint16_t> from_port = std::nullopt;
    std::optional<std::string> to_host = std::nullopt;
    std::optional<std::uint16_t> to_port = std::nullopt;
};

/// Rewrites cluster-announced addresses, applied to everything the client
/// learns: CLUSTER SLOTS endpoints and MOVED/ASK targets. Startup nodes are
/// used as given. Three forms, as the spec and the original allow:
///
/// ```
///   HostPortRemap exact({{{"10.0.0.1", 7000}, {"redis.example.com", 17000}}});   // map
///   HostPortRemap rules({{.from_host = "10.0.0.1", .to_host = "127.0.0.1"}});    // rule list
///   HostPortRemap custom([](const HostPort& a) { return HostPort{"127.0.0.1", a.port}; });
/// ```
/// The first matching entry wins; an address nothing matches is kept.
/// Host comparison ignores ASCII case, and IP addresses compare by value
/// ("::1" matches "0:0:0:0:0:0:0:1").
class HostPortRemap {
public:
    using Function = std::function<HostPort(const HostPort&)>;

    /// No remapping.
    HostPortRemap() = default;
    /// The spec's form: exact (host, port) → (host, port).
    HostPortRemap(std::map<HostPort, HostPort> exact);  // NOLINT: implicit on purpose
    /// The original's rule list. Throws RedisClusterConfigError for an
    /// invalid rule, with the original's messages.
    HostPortRemap(std::vector<HostPortRemapRule> rules);  // NOLINT
    /// Any function (thread-safe: it may be called from several threads).
    HostPortRemap(Function function);  // NOLINT

    /// The original's untyped form: each rule a map with keys "from_host",
    /// "from_port", "to_host", "to_port" (ports as decimal text). Throws
    /// RedisClusterConfigError for unknown keys, unpaired keys, empty hosts
    /// or ports that are not integers in 1..65535.
    static HostPortRemap from_rules(const std::vector<std::map<std::string, std::string>>& rules);

    [[nodiscard]] HostPort apply(const HostPort& address) const;
    [[nodiscard]] bool empty() const noexcept;

private:
    std::map<HostPort, HostPort> exact_;
    std::vector<HostPortRemapRule> rules_;
    Function function_;
};

/// True when two host strings name the same host as far as the client can
/// tell without DNS: equal ignoring ASCII case, or equal IP addresses.
[[nodiscard]] bool same_host(std::string_view a, std::string_view b);

// ---------------------------------------------------------------------------
// Slot table

/// A contiguous range of slots served by one master and its replicas.
struct SlotRange {
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    NodeInfo master;
    std::vector<NodeInfo> replicas;
    /// The master's config epoch as the answering node knew it (CLUSTER
    /// NODES), 0 when unknown. The cluster gives every new owner of a slot
    /// an epoch above the last owner's, so discovery settles disagreeing
    /// answers by it.
    std::uint64_t config_epoch = 0;

    bool operator==(const SlotRange&) const = default;
};

/// Which nodes serve each slot. Immutable once built; lookups are O(1).
class SlotTable {
public:
    /// No slot covered.
    SlotTable();
    /// Builds the table from ranges. Throws ClusterError when two ranges
    /// give one slot different masters.
    explicit SlotTable(const std::vector<SlotRange>& ranges);

    /// The master then the replicas of `slot`; empty when not covered.
    [[nodiscard]] std::span<const NodeInfo> operator[](std::uint16_t slot) const noexcept;
    /// The master of `slot`, or nullptr when not covered.
    [[nodiscard]] const NodeInfo* master(std::uint16_t slot) const noexcept;
    [[nodiscard]] bool covered(std::uint16_t slot) const noexcept;
    /// Number of covered slots (16384 when the cluster is fully covered),
    /// as `len(slots)` counts them in the spec's monitoring example.
    [[nodiscard]] std::size_t size() const noexcept { return covered_slots_; }
    /// Every distinct node, masters first, in slot order.
    [[nodiscard]] const std::vector<NodeInfo>& nodes() const noexcept { return nodes_; }
    /// The ranges the table was built from, merged where adjacent slots share
    /// the same nodes, in slot order.
    [[nodiscard]] std::vector<SlotRange> ranges() const;
    /// Index of a shard (a master and its replicas) per slot, -1 if uncovered.
    [[nodiscard]] int shard_of(std::uint16_t slot) const noexcept { return slot_shard_[slot]; }
    /// Master then replicas of shard `index`.
    [[nodiscard]] std::span<const NodeInfo> shard(std::size_t index) const noexcept { return shards_[index]; }
    [[nodiscard]] std::size_t shard_count() const noexcept { return shards_.size(); }
    /// The config epoch of the master of `slot` (0 when unknown or uncovered).
    [[nodiscard]] std::uint64_t config_epoch(std::uint16_t slot) const noexcept;

private:
    std::vector<std::vector<NodeInfo>> shards_;
    std::vector<std::uint64_t> shard_epochs_;  // per shard, the highest epoch given for its master
    std::array<std::int16_t, kSlotCount> slot_shard_;
    std::vector<NodeInfo> nodes_;
    std::size_t covered_slots_ = 0;
};

/// Parses a CLUSTER SLOTS reply from the node at `responder_host`, with the
/// endpoint rules of the cluster specification: an empty host (or NULL)
/// means the responder's own host; "?" means the endpoint is unknown and is
/// skipped (a range whose master is unknown is left uncovered); host names
/// are kept as names. Fields after host and port (node id, networking
/// metadata) are ignored. `remap` is applied to every endpoint.
/// Throws ProtocolError naming the entry and what was expected when the
/// reply does not have the documented shape.
[[nodiscard]] std::vector<SlotRange> parse_cluster_slots(const Reply& reply,
                                                         std::string_view responder_host,
                                                         const HostPortRemap& remap = {});

/// Parses a CLUSTER SHARDS reply (Redis 7.0+) from the node at
/// `responder_host` into the same ranges parse_cluster_slots() returns: one
/// SlotRange per start/end pair of each shard, the shard's master first,
/// then its replicas in reply order. Each shard and each node may be a
/// RESP3 map or a RESP2 flat array of keys and values; unknown keys are
/// ignored, and a key given twice counts at its first occurrence.
///
/// A node's address is its "endpoint", with the rules of
/// parse_cluster_slots(): empty (or NULL) means `responder_host`, "?" means
/// unknown and the node is skipped. Its port is "port", or "tls-port" when
/// "port" is 0 or absent (a TLS-only cluster announces only "tls-port"); a
/// node with neither is skipped like a port-0 node of CLUSTER SLOTS. This
/// parser does not know whether the client speaks TLS, so in a cluster that
/// announces both ports it returns the plaintext one.
///
/// Replicas whose "health" is not "online" ("fail", "failed", "loading")
/// are left out, which CLUSTER SLOTS cannot do for loading replicas. A
/// missing "health" counts as "online". A master is kept whatever its
/// health: it is still the slots' owner until a replica takes over. A shard
/// without slots yields no range; one whose master is unknown ("?", no
/// port, or no node with role "master") leaves its slots uncovered.
/// `remap` is applied to every endpoint.
///
/// Throws ProtocolError naming the shard, the node and the field, and what
/// was expected, when the reply does not have the documented shape (a
/// missing "slots", "nodes", "role" or "endpoint", a role other than
/// "master" or "replica", two masters in one shard, a slot outside
/// 0..16383, an odd count of slot numbers, a start after its end, a port
/// outside 0..65535). Pure and reentrant.
[[nodiscard]] std::vector<SlotRange> parse_cluster_shards(const Reply& reply,
                                                          std::string_view responder_host,
                                                          const HostPortRemap& remap = {});

// ---------------------------------------------------------------------------
// NodeManager

/// Runs commands on a node during discovery: sends them together over one
/// connection and returns their replies in order, error replies as values
/// (Reply::is_error()). Throws the library's typed errors when the node
/// cannot be reached or its connection fails (AuthenticationError for
/// wrong credentials). The pools supply one that uses their connection
/// options (TLS, credentials, timeouts).
using NodeCommandRunner =
    std::function<std::vector<Reply>(const HostPort& node, const std::vector<std::vector<std::string>>& commands)>;

/// Called after every discovery that installed a new slot table, with that
/// table; no NodeManager lock is held during the call.
using TopologyListener = std::function<void(const SlotTable&)>;

/// Options of NodeManager; the names are the spec's.
struct NodeManagerOptions {
    /// Nodes to bootstrap from. At least one is required.
    std::vector<StartupNode> startup_nodes;
    /// A MOVED reply patches the slot map at once; a full re-discovery
    /// follows after this many MOVED replies (see record_moved()). Unset:
    /// 25, as in the original.
    std::optional<std::size_t> reinitialize_steps;
    /// Accept a slot map that does not cover all 16384 slots without asking
    /// the node whether the cluster requires full coverage.
    bool skip_full_coverage_check = false;
    /// Which nodes discovery draws from: with this set, the nodes found by
    /// the previous discovery, then the startup nodes; otherwise the startup
    /// nodes, then the known nodes (the original stopped at the startup
    /// nodes, so a client whose only startup node died could not follow a
    /// failover). Either way the startup nodes stay candidates, so names
    /// that resolve to new addresses are found again.
    bool nodemanager_follow_cluster = false;
    /// Applied to every endpoint learnt from the cluster.
    HostPortRemap host_port_remap;
    /// How many nodes each discovery hears from (default 3). More are asked
    /// only while the answers so far leave slots uncovered, or fail.
    std::size_t discovery_nodes = 3;
};

/// Discovers the cluster's topology and keeps the current slot table.
///
/// How discovery chooses between views: it asks a few nodes (see
/// discovery_nodes) for CLUSTER SHARDS (CLUSTER SLOTS on servers without
/// it) and CLUSTER NODES, in one round trip each. The node that sent the
/// last MOVED is asked first; the others are taken in turn, from a place
/// in the list that moves on each time and starts at random, so clients do
/// not all ask the same node. Answers are merged by each master's config
/// epoch, as the cluster itself settles conflicts: per slot, the claim with
/// the highest epoch wins. A slot learned from a MOVED keeps that owner
/// until an answer names it, or names another owner with a newer epoch, so
/// a node that has not yet heard of a failover cannot move the map back.
///
/// Thread safety: every method may be called from any thread. Readers get
/// an immutable snapshot (a shared_ptr) and never wait for discovery.
/// Discovery is single-flight: callers that arrive while one runs wait for
/// it and share its result (or its exception) instead of starting another;
/// no lock is held while talking to nodes.
class NodeManager {
public:
    /// Throws RedisClusterException when there is no startup node, and
    /// RedisClusterConfigError for a startup node with an empty host or port
    /// 0, or discovery_nodes 0. `on_change`, when given, hears of every new
    /// slot table.
    NodeManager(NodeManagerOptions options, NodeCommandRunner runner, TopologyListener on_change = {});
    ~NodeManager();
    /// Discovers the topology now (see the class comment), until the answers
    /// cover every slot (or, when full coverage is not required, any slot).
    /// On failure the previous table is kept and RedisClusterException says
    /// why each node failed; wrong credentials throw AuthenticationError at
    /// once.
    void initialize();
    /// Same as initialize().
    void reset();
    /// initialize(), unless the last discovery ended too recently: 100 ms
    /// after a success, twice as long after each failure in a row up to
    /// 3 s (±20 % jitter). Joins a discovery that is running. Returns
    /// whether a discovery ran or was joined. Commands that fail over and
    /// over call this, so the cluster sees few discoveries however many
    /// commands there are, and fewer still while it cannot be reached.
    bool refresh_if_due();

    /// The current slot table (empty before the first initialize()).
    [[nodiscard]] std::shared_ptr<const SlotTable> slots() const;
    /// Every known node, masters and replicas.
    [[nodiscard]] std::vector<NodeInfo> all_nodes() const;
    /// Masters and replicas: "master" or "slave"; anything else throws
    /// RedisClusterConfigError.
    [[nodiscard]] std::vector<NodeInfo> get_nodes_by_server_type(std::string_view server_type) const;
    /// The master of `slot`. Throws SlotNotCoveredError naming the slot.
    [[nodiscard]] NodeInfo get_master_node_by_slot(std::uint16_t slot) const;
    /// A node chosen uniformly among all known nodes; the startup nodes when
    /// none is known yet.
    [[nodiscard]] NodeInfo random_node() const;
    /// The startup nodes, as given.
    [[nodiscard]] const std::vector<StartupNode>& startup_nodes() const noexcept;
    [[nodiscard]] const NodeManagerOptions& options() const noexcept;
    /// How many times a discovery completed.
    [[nodiscard]] std::uint64_t generation() const;
    /// How many discoveries were started, successful or not.
    [[nodiscard]] std::uint64_t discovery_attempts() const;

    /// Records a MOVED for `slot` to `target` (already remapped): the slot
    /// now maps to the target at once. When the target was a replica of the
    /// slot's old master, that is a failover: every slot of the old master
    /// moves to the target, which becomes the master. Returns true when the
    /// table changed.
    bool apply_moved(std::uint16_t slot, const HostPort& target);

    /// A MOVED reply from `sender` (the node that answered): apply_moved(),
    /// and `sender` is asked first by the next discovery. Returns true when
    /// a full discovery should follow now: the target was unknown or a
    /// replica (a failover), or reinitialize_steps MOVED replies have been
    /// counted since the last discovery.
    bool record_moved(std::uint16_t slot, const HostPort& target, const std::optional<HostPort>& sender);

    /// Counts `count` redirects; returns true each time the count reaches
    /// reinitialize_steps (the caller then re-discovers). Never skips a
    /// threshold, unlike the original's modulo test.
    bool increment_reinitialize_counter(std::size_t count = 1);

    /// Also tells `listener` of every new slot table, after `on_change`,
    /// for as long as the listener lives: only a weak reference is kept,
    /// so an owner that goes away (a client over a pool it shares) needs
    /// no unsubscribing. Called on the thread that ran the discovery, with
    /// no NodeManager lock held. Thread-safe.
    void add_topology_listener(std::weak_ptr<const TopologyListener> listener);

private:
    struct View;
    struct Pins;
    // Runs one discovery: no lock is held. Returns the table it installed.
    std::shared_ptr<const SlotTable> discover();
    // Discovery, single-flight; `forced` ignores the refresh policy.
    bool run_discovery(bool forced);
    std::vector<HostPort> candidates();
    View ask(const HostPort& node) const;
    bool requires_full_coverage(const HostPort& node) const;
    bool apply_moved_locked(std::uint16_t slot, const HostPort& target);
    bool count_redirects_locked(std::size_t count);

    // Options, the current table and the discovery's single-flight state,
    // with the locks that guard them.
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace rediscluster
