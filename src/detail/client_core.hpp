#pragma once

// What a RedisCluster is made of, behind its public face: the pool, the
// shared connections, the background refresher, the command catalog and
// the blocking driver. Pipelines share it (and keep it alive).

#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "detail/background_refresher.hpp"
#include "detail/blocking_driver.hpp"
#include "detail/command_catalog.hpp"
#include "detail/multiplexed_connection.hpp"
#include "detail/request.hpp"
#include "rediscluster/client.hpp"

namespace rediscluster::detail {

/// Checks `options` (RedisClusterConfigError naming what is wrong) and
/// returns the pool they ask for: the one given, or a new one of the kind
/// they name (which discovers the cluster when init_slot_cache).
[[nodiscard]] std::shared_ptr<ClusterConnectionPool> make_client_pool(RedisClusterOptions& options);

class ClientCore {
public:
    /// `options` already validated; `pool` is the client's.
    ClientCore(std::shared_ptr<ClusterConnectionPool> pool, const RedisClusterOptions& options);
    ClientCore(const ClientCore&) = delete;
    ClientCore& operator=(const ClientCore&) = delete;

    /// Analyses `args` and runs them as one command, its reply into
    /// `reply`; a multi-key command whose keys span slots (MGET, MSET, DEL,
    /// EXISTS, UNLINK, TOUCH) runs as one part per slot, merged. Bad
    /// arguments throw (DataError, ClusterCrossSlotError, a refused
    /// command); a failure of the command is returned.
    std::optional<CommandFailure> run(std::span<const std::string_view> args, Reply& reply);
    /// The same for a command that arrived encoded.
    std::optional<CommandFailure> run_packed(std::string_view packed, Reply& reply);

    [[nodiscard]] CommandCatalog& catalog() noexcept { return catalog_; }
    [[nodiscard]] BlockingDriver& driver() noexcept { return driver_; }
    [[nodiscard]] ClusterConnectionPool& pool() noexcept { return *pool_; }
    /// Asks for a discovery in the background (single-flight).
    void request_refresh() { refresher_.request(); }

private:
    std::optional<CommandFailure> run_request(const Request& request, Reply& reply);
    // Runs a multi-key command whose keys span slots as one part per
    // slot, and sets `split`; leaves any other command alone.
    std::optional<CommandFailure> run_maybe_split(std::span<const std::string_view> args, Reply& reply, bool& split);

    std::shared_ptr<ClusterConnectionPool> pool_;
    std::shared_ptr<Multiplexer> multiplexer_;  // with multiplexed_connections only
    // Drops the multiplexer's entries for nodes that left; the pool's
    // NodeManager holds it weakly, as the pool may outlive this client.
    std::shared_ptr<const TopologyListener> forget_departed_nodes_;
    BackgroundRefresher refresher_;
    CommandCatalog catalog_;
    BlockingDriver driver_;
};

}  // namespace rediscluster::detail
