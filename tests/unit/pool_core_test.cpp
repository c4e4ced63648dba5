#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "detail/pool_core.hpp"

namespace rediscluster::detail {
namespace {

using namespace std::chrono_literals;

struct FakeConnection {
    explicit FakeConnection(std::string node_name, std::atomic<int>& alive) : node(std::move(node_name)), alive_(alive) {
        ++alive_;
    }
    ~FakeConnection() { --alive_; }
    FakeConnection(const FakeConnection&) = delete;
    FakeConnection& operator=(const FakeConnection&) = delete;
    std::string node;
    std::atomic<int>& alive_;
};

struct Fixture {
    std::atomic<int> alive{0};
    std::atomic<int> made{0};
    PoolCore<FakeConnection> pool;

    explicit Fixture(PoolLimits limits)
        : pool(limits, [this](const NodeInfo& node) {
              ++made;
              return std::make_unique<FakeConnection>(node.name, alive);
          }) {}
};

const NodeInfo a = make_node("127.0.0.1", 7000, "master");
const NodeInfo b = make_node("127.0.0.1", 7001, "master");
const NodeInfo c = make_node("127.0.0.1", 7002, "master");

TEST(PoolCore, ReusesIdleConnectionsLastInFirstOut) {
    Fixture f({});
    auto first = f.pool.acquire(a);
    auto second = f.pool.acquire(a);
    auto* second_ptr = second.connection.get();
    f.pool.release(a, std::move(first), true);
    f.pool.release(a, std::move(second), true);
    EXPECT_EQ(f.pool.idle_connections(a.name), 2u);
    auto again = f.pool.acquire(a);
    EXPECT_EQ(again.connection.get(), second_ptr);
    EXPECT_EQ(f.made.load(), 2);
    EXPECT_EQ(f.pool.created_connections(), 2u);
    f.pool.release(a, std::move(again), true);
}

TEST(PoolCore, BrokenConnectionsAreClosedAndUncounted) {
    Fixture f({});
    auto borrowed = f.pool.acquire(a);
    EXPECT_EQ(f.pool.created_connections(), 1u);
    f.pool.release(a, std::move(borrowed), false);
    EXPECT_EQ(f.pool.created_connections(), 0u);
    EXPECT_EQ(f.alive.load(), 0);
}

TEST(PoolCore, PerNodeCapThrowsNamingNodeAndCap) {
    Fixture f({.max_total = std::nullopt, .max_per_node = 2});
    auto one = f.pool.acquire(a);
    auto two = f.pool.acquire(a);
    try {
        (void)f.pool.acquire(a);
        FAIL() << "expected RedisClusterException";
    } catch (const RedisClusterException& e) {
        EXPECT_STREQ(e.what(), "Too many connections (2) for node: 127.0.0.1:7000; max_connections_per_node is 2");
    }
    auto other = f.pool.acquire(b);  // other nodes are not affected
    EXPECT_EQ(f.pool.created_connections(), 3u);
    f.pool.release(a, std::move(one), true);
    f.pool.release(a, std::move(two), true);
    f.pool.release(b, std::move(other), true);
}

TEST(PoolCore, TotalCapThrowsWhenNothingIdleCanBeClosed) {
    Fixture f({.max_total = 2, .max_per_node = std::nullopt});
    auto one = f.pool.acquire(a);
    auto two = f.pool.acquire(b);
    try {
        (void)f.pool.acquire(c);
        FAIL() << "expected RedisClusterException";
    } catch (const RedisClusterException& e) {
        EXPECT_STREQ(e.what(), "Too many connections (2) across the cluster for node: 127.0.0.1:7002; max_connections is 2");
    }
    f.pool.release(a, std::move(one), true);
    f.pool.release(b, std::move(two), true);
}

TEST(PoolCore, BothCapsHoldAtOnce) {
    Fixture f({.max_total = 3, .max_per_node = 2});
    auto a1 = f.pool.acquire(a);
    auto a2 = f.pool.acquire(a);
    EXPECT_THROW((void)f.pool.acquire(a), RedisClusterException);  // per node
    auto b1 = f.pool.acquire(b);
    EXPECT_THROW((void)f.pool.acquire(b), RedisClusterException);  // total
    for (auto* borrowed : {&a1, &a2}) f.pool.release(a, std::move(*borrowed), true);
    f.pool.release(b, std::move(b1), true);
}

TEST(PoolCore, AtTheTotalCapTheLongestIdleConnectionToAnotherNodeMakesRoom) {
    Fixture f({.max_total = 2, .max_per_node = std::nullopt});
    auto one = f.pool.acquire(a);
    auto two = f.pool.acquire(b);
    f.pool.release(a, std::move(one), true);  // a idles longest
    std::this_thread::sleep_for(2ms);
    f.pool.release(b, std::move(two), true);
    auto three = f.pool.acquire(c);  // no wait, no error
    EXPECT_EQ(f.pool.created_connections(), 2u);
    EXPECT_EQ(f.pool.idle_connections(a.name), 0u);
    EXPECT_EQ(f.pool.idle_connections(b.name), 1u);
    EXPECT_EQ(f.alive.load(), 2);
    f.pool.release(c, std::move(three), true);
}

TEST(PoolCore, BlockingAcquireTimesOutWithAClearError) {
    Fixture f({.max_total = 1, .max_per_node = std::nullopt, .blocking = true, .timeout = 100ms});
    auto held = f.pool.acquire(a);
    const auto started = std::chrono::steady_clock::now();
    try {
        (void)f.pool.acquire(a);
        FAIL() << "expected ConnectionError";
    } catch (const ConnectionError& e) {
        const std::string message = e.what();
        EXPECT_EQ(message.rfind("No connection available for 127.0.0.1:7000 after waiting ", 0), 0u) << message;
        EXPECT_NE(message.find("max_connections is 1"), std::string::npos) << message;
    }
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_GE(waited, 100ms);
    EXPECT_LT(waited, 2s);
    EXPECT_EQ(f.pool.waiting(), 0u);
    // Nothing was lost by the timeout: the held connection still returns.
    f.pool.release(a, std::move(held), true);
    EXPECT_EQ(f.pool.created_connections(), 1u);
    auto again = f.pool.acquire(a);
    EXPECT_EQ(f.made.load(), 1);
    f.pool.release(a, std::move(again), true);
}

TEST(PoolCore, BlockedCallerGetsTheReleasedConnection) {
    Fixture f({.max_total = 1, .max_per_node = std::nullopt, .blocking = true, .timeout = 5s});
    auto held = f.pool.acquire(a);
    auto* held_ptr = held.connection.get();
    FakeConnection* got = nullptr;
    std::thread waiter([&] {
        auto borrowed = f.pool.acquire(a);
        got = borrowed.connection.get();
        f.pool.release(a, std::move(borrowed), true);
    });
    while (f.pool.waiting() == 0) std::this_thread::yield();
    f.pool.release(a, std::move(held), true);
    waiter.join();
    EXPECT_EQ(got, held_ptr);
    EXPECT_EQ(f.made.load(), 1);
}

TEST(PoolCore, WaitersAreServedFirstComeFirstServed) {
    Fixture f({.max_total = 1, .max_per_node = std::nullopt, .blocking = true, .timeout = 5s});
    auto held = f.pool.acquire(a);
    std::mutex order_mutex;
    std::vector<int> order;
    std::vector<std::thread> waiters;
    for (int i = 0; i < 4; ++i) {
        waiters.emplace_back([&, i] {
            auto borrowed = f.pool.acquire(a);
            {
                std::lock_guard lock(order_mutex);
                order.push_back(i);
            }
            f.pool.release(a, std::move(borrowed), true);
        });
        // Queue them in a known order.
        while (f.pool.waiting() != static_cast<std::size_t>(i + 1)) std::this_thread::yield();
    }
    f.pool.release(a, std::move(held), true);
    for (auto& t : waiters) t.join();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(PoolCore, AReleaseForAnotherNodeMakesRoomForABlockedCaller) {
    Fixture f({.max_total = 1, .max_per_node = std::nullopt, .blocking = true, .timeout = 5s});
    auto held = f.pool.acquire(a);
    std::string got;
    std::thread waiter([&] {
        auto borrowed = f.pool.acquire(b);
        got = borrowed.connection->node;
        f.pool.release(b, std::move(borrowed), true);
    });
    while (f.pool.waiting() == 0) std::this_thread::yield();
    const auto started = std::chrono::steady_clock::now();
    f.pool.release(a, std::move(held), true);
    waiter.join();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);  // served at once, not after the timeout
    EXPECT_EQ(got, b.name);
    EXPECT_EQ(f.pool.created_connections(), 1u);
    EXPECT_EQ(f.pool.idle_connections(a.name), 0u);
}

TEST(PoolCore, ABrokenConnectionFreesCapacityForAWaiter) {
    Fixture f({.max_total = std::nullopt, .max_per_node = 1, .blocking = true, .timeout = 5s});
    auto held = f.pool.acquire(a);
    bool served = false;
    std::thread waiter([&] {
        auto borrowed = f.pool.acquire(a);
        served = true;
        f.pool.release(a, std::move(borrowed), true);
    });
    while (f.pool.waiting() == 0) std::this_thread::yield();
    f.pool.release(a, std::move(held), false);
    waiter.join();
    EXPECT_TRUE(served);
    EXPECT_EQ(f.made.load(), 2);
    EXPECT_EQ(f.pool.created_connections(), 1u);
}

TEST(PoolCore, FactoryFailureGivesTheReservationBack) {
    std::atomic<int> alive{0};
    bool fail = true;
    PoolCore<FakeConnection> pool({.max_total = 1}, [&](const NodeInfo& node) {
        if (fail) throw ConnectionError("cannot create");
        return std::make_unique<FakeConnection>(node.name, alive);
    });
    EXPECT_THROW((void)pool.acquire(a), ConnectionError);
    EXPECT_EQ(pool.created_connections(), 0u);
    fail = false;
    auto borrowed = pool.acquire(a);
    EXPECT_EQ(pool.created_connections(), 1u);
    pool.release(a, std::move(borrowed), true);
}

TEST(PoolCore, DisconnectClosesIdleNowAndInUseOnReturn) {
    Fixture f({});
    auto idle = f.pool.acquire(a);
    auto busy = f.pool.acquire(b);
    f.pool.release(a, std::move(idle), true);
    f.pool.disconnect();
    EXPECT_EQ(f.alive.load(), 1);
    EXPECT_EQ(f.pool.created_connections(), 1u);
    f.pool.release(b, std::move(busy), true);  // from before the disconnect: closed
    EXPECT_EQ(f.alive.load(), 0);
    EXPECT_EQ(f.pool.created_connections(), 0u);
}

TEST(PoolCore, CloseIdleIfClosesOnlyTheChosenNodesIdleConnections) {
    Fixture f({});
    auto a1 = f.pool.acquire(a);
    auto a2 = f.pool.acquire(a);
    auto b1 = f.pool.acquire(b);
    f.pool.release(a, std::move(a1), true);
    f.pool.release(b, std::move(b1), true);
    f.pool.close_idle_if([&](const std::string& name) { return name == a.name; });
    EXPECT_EQ(f.pool.idle_connections(a.name), 0u);
    EXPECT_EQ(f.pool.idle_connections(b.name), 1u);
    EXPECT_EQ(f.pool.created_connections(a.name), 1u);  // the borrowed one is untouched
    EXPECT_EQ(f.alive.load(), 2);
    f.pool.release(a, std::move(a2), true);  // still reusable afterwards
    EXPECT_EQ(f.pool.idle_connections(a.name), 1u);
}

TEST(PoolCore, ManyThreadsNoLeakNoDeadlock) {
    Fixture f({.max_total = 8, .max_per_node = 4, .blocking = true, .timeout = 10s});
    const NodeInfo nodes[] = {a, b, c};
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 32; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                const auto& node = nodes[(t + i) % 3];
                try {
                    auto borrowed = f.pool.acquire(node);
                    EXPECT_EQ(borrowed.connection->node, node.name);
                    f.pool.release(node, std::move(borrowed), (i % 17) != 0);
                } catch (const ConnectionError&) {
                    ++failures;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_LE(f.pool.created_connections(), 8u);
    EXPECT_EQ(static_cast<std::size_t>(f.alive.load()), f.pool.created_connections());
    EXPECT_EQ(f.pool.waiting(), 0u);
}

}  // namespace
}  // namespace rediscluster::detail
