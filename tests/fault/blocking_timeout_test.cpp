// Blocking commands wait as long as they asked, however short the socket
// timeout: the read of their reply lasts their own block time plus
// socket_timeout, and a block time of 0 waits without a deadline.

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "fault_support.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

TEST(FaultBlockingTimeout, BlockingPopsOutwaitTheSocketTimeoutUntilAPushWakesThem) {
    FaultCluster cluster;
    // socket_timeout 2 s and the command budget with it: both would end a
    // wait of 12 s long before the push, were they not lengthened.
    auto options = fault_client_options(cluster, 2s);
    options.command_timeout = 2s;
    RedisCluster waiter_15s(options);
    RedisCluster waiter_forever(options);
    RedisCluster pusher(options);
    const std::string timed_key = "blocking-timeout:15s";
    const std::string forever_key = "blocking-timeout:forever";
    (void)pusher.execute_command("DEL", timed_key);
    (void)pusher.execute_command("DEL", forever_key);

    // Both wait at once, so the scenario lasts as long as the longer one.
    const auto started = Clock::now();
    auto timed = std::async(std::launch::async, [&] {
        const auto reply = waiter_15s.execute_command("BLPOP", timed_key, 15);
        return std::make_pair(reply, Clock::now() - started);
    });
    auto forever = std::async(std::launch::async, [&] {
        const auto reply = waiter_forever.execute_command("BLPOP", forever_key, 0);
        return std::make_pair(reply, Clock::now() - started);
    });
    std::this_thread::sleep_until(started + 3s);
    EXPECT_EQ(pusher.execute_command("RPUSH", forever_key, "woken after 3 s"), Reply::integer(1));
    std::this_thread::sleep_until(started + 12s);
    EXPECT_EQ(pusher.execute_command("RPUSH", timed_key, "woken after 12 s"), Reply::integer(1));

    const auto [forever_reply, forever_took] = forever.get();
    ASSERT_TRUE(forever_reply.is_aggregate()) << forever_reply.to_debug_string();
    EXPECT_EQ(forever_reply[1].str(), "woken after 3 s");
    EXPECT_GE(forever_took, 2900ms);

    const auto [timed_reply, timed_took] = timed.get();
    ASSERT_TRUE(timed_reply.is_aggregate()) << timed_reply.to_debug_string();
    EXPECT_EQ(timed_reply[0].str(), timed_key);
    EXPECT_EQ(timed_reply[1].str(), "woken after 12 s");
    EXPECT_GE(timed_took, 11900ms);
    EXPECT_LT(timed_took, 15s);
}

}  // namespace
}  // namespace rediscluster::test
