// A cluster-wide SCAN through a failover of the shard it is walking: a
// master killed (the next call waits out the failover through the client's
// own retries), and a planned failover the client learns of from a MOVED.
// Every key must be seen; keys may come twice, and only keys of the shard
// that failed over (its walk starts again on the new master).

#include <gtest/gtest.h>

#include <unordered_map>

#include "fault_support.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

const std::size_t kKeys = 100'000 / kLoadScale;
constexpr std::size_t kBatch = 5'000;
// Scaled with the keys, so that a shard takes as many pages (about 33)
// under ThreadSanitizer as without it.
const std::size_t kPageCount = 1'000 / kLoadScale;

std::string key_of(std::size_t i) { return "scanfault:" + std::to_string(i); }

RedisClusterOptions scan_options(const FaultCluster& cluster) {
    auto options = fault_client_options(cluster, 2s);
    // Long enough for a call to wait out a failover (node timeout 2 s,
    // then the election).
    options.command_timeout = 20s;
    return options;
}

void load_keys(RedisCluster& rc) {
    for (std::size_t first = 0; first < kKeys; first += kBatch) {
        auto pipe = rc.pipeline();
        for (std::size_t i = first; i < std::min(kKeys, first + kBatch); ++i) pipe.set(key_of(i), "v");
        for (const auto& reply : pipe.execute()) ASSERT_EQ(reply.str(), "OK");
    }
}

// Every replica holds as many keys as its master: nothing the scan must
// find is lost with a master.
bool replicas_caught_up(const FaultCluster& cluster, const std::vector<std::uint16_t>& masters) {
    for (const auto master : masters) {
        const auto keys = node_command(master, {"DBSIZE"}).integer();
        for (const auto replica : cluster.replicas_of(master, master)) {
            if (node_command(replica, {"DBSIZE"}).integer() != keys) return false;
        }
    }
    return true;
}

// What a scan returned, key by key.
struct Seen {
    std::unordered_map<std::string, int> times;
    std::size_t pages = 0;

    void add(std::vector<std::string>&& page) {
        ++pages;
        for (auto& key : page) ++times[std::move(key)];
    }
    [[nodiscard]] std::size_t missing() const {
        std::size_t count = 0;
        for (std::size_t i = 0; i < kKeys; ++i) if (!times.contains(key_of(i))) ++count;
        return count;
    }
    // Keys returned more than once, and how many of them were not served
    // by `master` when the scan began.
    [[nodiscard]] std::pair<std::size_t, std::size_t> duplicates(const SlotTable& at_start, std::uint16_t master) const {
        std::size_t repeated = 0;
        std::size_t elsewhere = 0;
        for (const auto& [key, count] : times) {
            if (count < 2) continue;
            ++repeated;
            const NodeInfo* owner = at_start.master(key_slot(key));
            if (owner == nullptr || owner->port != master) ++elsewhere;
        }
        return {repeated, elsewhere};
    }
};

// Scans until the first shard (slot 0's master) has returned `pages`
// pages, and is not done.
void scan_into_first_shard(RedisCluster& rc, ClusterScanCursor& cursor, Seen& seen, std::size_t pages) {
    while (seen.pages < pages) {
        seen.add(rc.scan(cursor, {.count = kPageCount}));
        ASSERT_EQ(cursor.shards_done(), 0u) << "the first shard ended before the failover";
    }
}

void scan_to_the_end(RedisCluster& rc, ClusterScanCursor& cursor, Seen& seen) {
    while (!cursor.done()) seen.add(rc.scan(cursor, {.count = kPageCount}));
}

TEST(FaultScan, AMasterKilledMidScanLosesNoKey) {
    FaultCluster cluster;
    RedisCluster rc(scan_options(cluster));

    // A fresh cluster: the scan visits every master and ends with nothing.
    std::size_t before_load = 0;
    for ([[maybe_unused]] auto& key : rc.scan_iter({.count = kPageCount})) ++before_load;
    EXPECT_EQ(before_load, 0u);

    load_keys(rc);
    const auto table = rc.connection_pool->nodes.slots();
    const auto master = table->master(0)->port;
    const auto replicas = cluster.replicas_of(master, cluster.port(1));
    ASSERT_FALSE(replicas.empty());
    std::vector<std::uint16_t> masters;
    for (std::size_t i = 0; i < table->shard_count(); ++i) masters.push_back(table->shard(i).front().port);
    ASSERT_TRUE(eventually([&] { return replicas_caught_up(cluster, masters); }, 20s)) << "replication lags";

    ClusterScanCursor cursor;
    Seen seen;
    const auto scan_started = Clock::now();
    scan_into_first_shard(rc, cursor, seen, 5);
    ASSERT_EQ(cursor.shards(), 3u);

    const auto killed_at = Clock::now();
    cluster.kill(master);
    // The next call finds the master gone, and waits out the failover
    // through the client's retries and refreshes.
    scan_to_the_end(rc, cursor, seen);
    const auto finished_at = Clock::now();

    EXPECT_EQ(cluster.role(replicas.front()), "master");
    EXPECT_EQ(seen.missing(), 0u);
    EXPECT_GE(cursor.restarts(), 1u) << "the walk of the failed shard did not start again";
    const auto [repeated, elsewhere] = seen.duplicates(*table, master);
    EXPECT_EQ(elsewhere, 0u) << "keys of shards that did not fail over came twice";
    std::cout << "SCAN through a killed master: " << seen.times.size() << " keys, " << repeated
              << " returned twice (all of the failed shard), " << cursor.restarts() << " restart(s), "
              << seen.pages << " pages" << std::endl;
    report("master killed during SCAN", std::to_string(kKeys) + " keys, SCAN COUNT " + std::to_string(kPageCount),
           std::to_string(seen.missing()) + " keys missed, " + std::to_string(repeated) +
               " returned twice (all of the failed shard)",
           "scan took " + millis(finished_at - scan_started) + ", " + millis(finished_at - killed_at) + " after the kill",
           "-");
}

TEST(FaultScan, APlannedFailoverMidScanRestartsOnlyThatShard) {
    FaultCluster cluster;
    RedisCluster rc(scan_options(cluster));
    load_keys(rc);
    const auto table = rc.connection_pool->nodes.slots();
    const auto master = table->master(0)->port;
    const auto replicas = cluster.replicas_of(master, cluster.port(1));
    ASSERT_FALSE(replicas.empty());

    ClusterScanCursor cursor;
    Seen seen;
    scan_into_first_shard(rc, cursor, seen, 5);

    ASSERT_TRUE(fail_over_to(replicas.front(), 30s)) << "the replica did not take over";
    // The demoted master still answers SCAN over the same data; the client
    // learns of the new master from the MOVED a read of that shard gets.
    const auto probe = key_in_slot(0, "scanfault-probe");
    ASSERT_TRUE(eventually(
        [&] {
            (void)rc.get(probe);
            return rc.connection_pool->nodes.slots()->master(0)->port == replicas.front();
        },
        10s));
    scan_to_the_end(rc, cursor, seen);

    EXPECT_EQ(seen.missing(), 0u);
    EXPECT_EQ(cursor.restarts(), 1u);
    const auto [repeated, elsewhere] = seen.duplicates(*table, master);
    EXPECT_GT(repeated, 0u) << "the failed-over shard was not walked again";
    EXPECT_EQ(elsewhere, 0u);
    std::cout << "SCAN through a planned failover: " << seen.times.size() << " keys, " << repeated
              << " returned twice (all of the failed-over shard)" << std::endl;
}

}  // namespace
}  // namespace rediscluster::test
