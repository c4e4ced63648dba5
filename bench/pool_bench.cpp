// Borrowing a connection from a pool and giving it back, alone and with
// eight threads contending for the same pool: the fixed cost every command
// pays before its first byte goes out.
//
// No Redis server is needed. A pool only takes back connections that are
// connected (an unconnected one is dropped and the next borrow builds a new
// one), so the connections must really connect: they connect to listening
// sockets of this process, whose handshakes the kernel completes. Nothing
// is ever sent on them. The slot map is fed through NodeManager::apply_moved
// instead of discovery, which would need a node answering CLUSTER SLOTS.

#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "detail/pool_core.hpp"
#include "rediscluster/pool.hpp"
#include "topology_inputs.hpp"

namespace {

using namespace rediscluster::bench;
using rediscluster::ClusterBlockingConnectionPool;
using rediscluster::ClusterConnectionPool;
using rediscluster::NodeInfo;

constexpr int kMaxThreads = 8;

// Three TCP ports on 127.0.0.1 that take connections and never answer.
// They are never accept()ed: the kernel completes each handshake into the
// listen backlog, which is all a connect() needs.
class SilentListeners {
public:
    SilentListeners() {
        for (std::size_t i = 0; i < fds_.size(); ++i) {
            fds_[i] = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_port = 0;  // any free port: never collides with a cluster
            ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
            socklen_t length = sizeof address;
            if (fds_[i] < 0 || ::bind(fds_[i], reinterpret_cast<sockaddr*>(&address), length) != 0 ||
                ::listen(fds_[i], SOMAXCONN) != 0 ||
                ::getsockname(fds_[i], reinterpret_cast<sockaddr*>(&address), &length) != 0) {
                throw std::runtime_error("pool_bench: cannot listen on 127.0.0.1");
            }
            ports_[i] = ntohs(address.sin_port);
        }
    }
    ~SilentListeners() {
        for (const int fd : fds_) ::close(fd);
    }
    SilentListeners(const SilentListeners&) = delete;
    SilentListeners& operator=(const SilentListeners&) = delete;

    [[nodiscard]] std::uint16_t port(std::size_t i) const { return ports_[i]; }

private:
    std::array<int, 3> fds_{};
    std::array<std::uint16_t, 3> ports_{};
};

// One pool per pool class, shared by every benchmark and thread using it,
// with the three-master slot map and kMaxThreads connected connections per
// master already idle, so the timed loops only ever reuse.
template <class Pool>
class PoolFixture {
public:
    PoolFixture()
        : pool_(rediscluster::ClusterConnectionPoolOptions{.startup_nodes = {{"127.0.0.1", listeners_.port(0)}},
                                                           .init_slot_cache = false}) {
        for (std::size_t shard = 0; shard < 3; ++shard) {
            const rediscluster::HostPort master{"127.0.0.1", listeners_.port(shard)};
            // Slot by slot in increasing order: adjacent slots of one master
            // merge, so the table stays three ranges and this stays fast.
            for (unsigned slot = kThreeMasterRanges[shard].first; slot <= kThreeMasterRanges[shard].last; ++slot) {
                pool_.nodes.apply_moved(static_cast<std::uint16_t>(slot), master);
            }
            masters_.push_back(*pool_.nodes.slots()->master(kThreeMasterRanges[shard].first));
        }
        std::vector<rediscluster::PooledConnection> leases;
        for (const auto& master : masters_) {
            for (int i = 0; i < kMaxThreads; ++i) {
                leases.push_back(pool_.get_connection_by_node(master));
                leases.back()->connect();
            }
        }
    }

    Pool& pool() { return pool_; }
    const std::vector<NodeInfo>& masters() const { return masters_; }

private:
    SilentListeners listeners_;
    Pool pool_;
    std::vector<NodeInfo> masters_;
};

template <class Pool>
PoolFixture<Pool>& fixture() {
    static PoolFixture<Pool> instance;  // built once, by whichever thread comes first
    return instance;
}

// Each thread starts at its own place in the slot sequence, so threads do
// not ask for the same node in lockstep.
std::size_t start_index(const benchmark::State& state) { return static_cast<std::size_t>(state.thread_index()) * 509; }

// Throughput, and the connections alive at the end: 3 x kMaxThreads when
// every borrow reused one, more if the timed loop had to create some.
void report(benchmark::State& state, const ClusterConnectionPool& pool) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    if (state.thread_index() == 0) {
        state.counters["connections"] = static_cast<double>(pool.created_connections());
    }
}

template <class Pool>
void BM_PoolBorrowBySlot(benchmark::State& state) {
    auto& pool = fixture<Pool>().pool();
    const auto slots = random_slots();
    std::size_t i = start_index(state);
    for (auto _ : state) {
        auto lease = pool.get_connection_by_slot(slots[i++ & 4095]);
        if (!lease->is_connected()) lease->connect();  // only if the pool had to grow
        benchmark::DoNotOptimize(lease.get());
    }  // the lease goes back here
    report(state, pool);
}
BENCHMARK_TEMPLATE(BM_PoolBorrowBySlot, ClusterConnectionPool)->Threads(1)->Threads(kMaxThreads)->UseRealTime();
BENCHMARK_TEMPLATE(BM_PoolBorrowBySlot, ClusterBlockingConnectionPool)->Threads(1)->Threads(kMaxThreads)->UseRealTime();

template <class Pool>
void BM_PoolBorrowByNode(benchmark::State& state) {
    auto& fix = fixture<Pool>();
    const auto& masters = fix.masters();
    std::size_t i = start_index(state);
    for (auto _ : state) {
        auto lease = fix.pool().get_connection_by_node(masters[i++ % masters.size()]);
        if (!lease->is_connected()) lease->connect();
        benchmark::DoNotOptimize(lease.get());
    }
    report(state, fix.pool());
}
BENCHMARK_TEMPLATE(BM_PoolBorrowByNode, ClusterConnectionPool)->Threads(1)->Threads(kMaxThreads)->UseRealTime();
BENCHMARK_TEMPLATE(BM_PoolBorrowByNode, ClusterBlockingConnectionPool)->Threads(1)->Threads(kMaxThreads)->UseRealTime();

// The accounting alone (src/detail/pool_core.hpp), around a stand-in
// connection: what the pools add on top is the slot lookup and the lease.
struct StandInConnection {
    int id = 0;
};
using Core = rediscluster::detail::PoolCore<StandInConnection>;

// The limits ClusterConnectionPool and ClusterBlockingConnectionPool give
// their core by default.
struct NonBlocking {
    static constexpr rediscluster::detail::PoolLimits limits{};
};
struct Blocking {
    static constexpr rediscluster::detail::PoolLimits limits{
        .max_total = std::size_t{50}, .blocking = true, .timeout = std::chrono::seconds(20)};
};

template <class Kind>
Core& core() {
    static Core instance(Kind::limits, [](const NodeInfo&) { return std::make_unique<StandInConnection>(); });
    return instance;
}

template <class Kind>
void BM_PoolCoreAcquireRelease(benchmark::State& state) {
    auto& pool = core<Kind>();
    const std::vector<NodeInfo> masters = {rediscluster::make_node("127.0.0.1", 7000, "master"),
                                           rediscluster::make_node("127.0.0.1", 7001, "master"),
                                           rediscluster::make_node("127.0.0.1", 7002, "master")};
    std::size_t i = start_index(state);
    for (auto _ : state) {
        const NodeInfo& node = masters[i++ % masters.size()];
        auto borrowed = pool.acquire(node);
        benchmark::DoNotOptimize(borrowed.connection.get());
        pool.release(node, std::move(borrowed), true);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK_TEMPLATE(BM_PoolCoreAcquireRelease, NonBlocking)->Threads(1)->Threads(kMaxThreads)->UseRealTime();
BENCHMARK_TEMPLATE(BM_PoolCoreAcquireRelease, Blocking)->Threads(1)->Threads(kMaxThreads)->UseRealTime();

}  // namespace
