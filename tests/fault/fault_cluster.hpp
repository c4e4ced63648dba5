#pragma once

// A real local cluster of its own for one fault scenario: started fresh by
// scripts/local-cluster when the test begins, stopped (every node by its
// PID) when it ends, so a scenario that kills, freezes or reshapes nodes
// leaves nothing behind for the next one.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rediscluster/resp.hpp"

namespace rediscluster::test {

class FaultCluster {
public:
    /// Starts `nodes` nodes (masters first, then one replica each) on
    /// RC_FAULT_PORT.. with cluster-node-timeout `node_timeout_ms`. Throws
    /// std::runtime_error when the cluster does not come up healthy.
    explicit FaultCluster(int nodes = 6, int node_timeout_ms = 2000);
    /// Resumes frozen nodes and stops every node.
    ~FaultCluster();
    FaultCluster(const FaultCluster&) = delete;
    FaultCluster& operator=(const FaultCluster&) = delete;

    /// Port of node `index` (0..nodes-1 in start order).
    [[nodiscard]] std::uint16_t port(int index) const;
    [[nodiscard]] std::vector<std::uint16_t> ports() const;

    /// The PID of the node's redis-server, from its pid file.
    [[nodiscard]] pid_t pid(std::uint16_t port) const;
    /// Sends `signal` to the node's process (SIGSTOP, SIGCONT...).
    void signal(std::uint16_t port, int signal);
    /// SIGKILL, then waits until the process is gone.
    void kill(std::uint16_t port);
    /// Starts the node again on its port with its configuration and cluster
    /// state file, and waits until it answers PING.
    void restart(std::uint16_t port);

    /// "master", "slave", or "" when the node does not answer.
    [[nodiscard]] std::string role(std::uint16_t port) const;
    /// The master serving `slot`, as CLUSTER SLOTS on `asked` says (0 if none).
    [[nodiscard]] std::uint16_t master_of(std::uint16_t slot, std::uint16_t asked) const;
    /// The replicas of `master`, as CLUSTER SLOTS on `asked` says.
    [[nodiscard]] std::vector<std::uint16_t> replicas_of(std::uint16_t master, std::uint16_t asked) const;
    /// Node id (CLUSTER MYID).
    [[nodiscard]] std::string id(std::uint16_t port) const;
    /// Moves `slot` from the master `source` to the master `target` the way
    /// redis-cli --cluster reshard does: IMPORTING and MIGRATING, its keys
    /// MIGRATEd in batches, then SETSLOT NODE on the target, the source and
    /// the other masters.
    void migrate_slot(std::uint16_t slot, std::uint16_t source, std::uint16_t target) const;
    /// Whether every given node answers and reports cluster_state:ok: after
    /// a failover, the moment the cluster serves every slot again (a node
    /// may say CLUSTERDOWN for a while after the promotion).
    [[nodiscard]] bool serving(const std::vector<std::uint16_t>& ports) const;
    /// Whether every given node answers, reports cluster_state:ok, and
    /// lists all of them in CLUSTER SLOTS (replicas included).
    [[nodiscard]] bool healthy(const std::vector<std::uint16_t>& ports) const;

private:
    std::string dir_;
    std::uint16_t base_port_;
    int nodes_;
    std::vector<pid_t> frozen_;  // resumed by the destructor
};

/// One command on a fresh, direct connection (not the code under test),
/// with a short timeout.
Reply node_command(std::uint16_t port, std::initializer_list<std::string_view> command);
Reply node_command(std::uint16_t port, const std::vector<std::string>& command);

/// Waits (bounded) until `check` holds; returns whether it did.
bool eventually(const std::function<bool()>& check, std::chrono::milliseconds limit);

/// Makes `replica` take over its master (see support/failover.hpp).
bool fail_over_to(std::uint16_t replica, std::chrono::milliseconds limit);

/// A key whose slot is `slot`: "{<tag>}:<suffix>" with a tag found by search.
std::string key_in_slot(std::uint16_t slot, std::string_view suffix);

}  // namespace rediscluster::test
