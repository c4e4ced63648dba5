#pragma once

// The scans' calls (SCAN, SSCAN, HSCAN, ZSCAN) through the client core:
// each call is one command run by the core's driver, with the client's
// retries, redirects, refreshes and backoff; where it goes and which
// cursor it carries is decided by ClusterScan (cluster_scan.hpp).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/cluster_scan.hpp"
#include "rediscluster/scan.hpp"

namespace rediscluster::detail {

class ClientCore;

/// A cluster-wide scan of the masters `core`'s slot table lists now (after
/// a discovery when it lists none yet).
[[nodiscard]] ClusterScan plan_cluster_scan(ClientCore& core);
/// The next page of `scan` (empty once it is done). Throws as a command
/// does; `scan` is then unchanged, so the same page may be asked again.
std::vector<std::string> next_scan_page(ClientCore& core, ClusterScan& scan, const ScanOptions& options);
/// A cluster-wide scan as a range; the range keeps `core` alive.
[[nodiscard]] ScanRange<std::string> cluster_scan_range(std::shared_ptr<ClientCore> core, ScanOptions options);

/// Members of a set, fields and values of a hash, members and scores of a
/// sorted set.
using HashField = std::pair<std::string, std::string>;
using ScoredMember = std::pair<std::string, double>;

/// One SSCAN (Item std::string), HSCAN (HashField) or ZSCAN (ScoredMember)
/// of `key` from `cursor`, as given.
template <class Item>
[[nodiscard]] ScanPage<Item> collection_scan_page(ClientCore& core, std::string_view key, std::uint64_t cursor,
                                                  const ScanOptions& options);
/// The whole collection as a range, started again when the key's master
/// changes; the range keeps `core` alive.
template <class Item>
[[nodiscard]] ScanRange<Item> collection_scan_range(std::shared_ptr<ClientCore> core, std::string key,
                                                    ScanOptions options);

}  // namespace rediscluster::detail
