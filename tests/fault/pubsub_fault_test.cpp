// Sharded subscriptions through a planned failover and a slot migration.
// A publisher sends numbered messages on two shard channels without a
// pause; the first channel's master fails over (CLUSTER FAILOVER), then
// the second channel's slot migrates to another master. Each time the
// server drops the subscription (SUNSUBSCRIBE unasked); the PubSub must
// make it again on the slot's new owner, say so (resubscribed), and miss
// no message that a server acknowledged delivering to it. The gap, from
// the fault until messages flow again, is reported.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "fault_support.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

struct Channel {
    std::string name;
    std::uint16_t slot = 0;
    // Under the lock: numbers the server said it delivered to one subscriber.
    std::vector<int> acknowledged;
    std::vector<int> received;
    std::vector<Clock::time_point> received_at;
    std::optional<Clock::time_point> resubscribed_at;
    std::string resubscribed_on;
};

std::string ms(Clock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

// The first message received at or after `since`; nullopt when none.
std::optional<Clock::time_point> first_after(const Channel& channel, Clock::time_point since) {
    for (const auto at : channel.received_at) {
        if (at >= since) return at;
    }
    return std::nullopt;
}

TEST(FaultPubSub, ShardSubscriptionsFollowAFailoverAndAMigration) {
    FaultCluster cluster;
    auto options = fault_client_options(cluster, 2s);
    RedisCluster rc(options);
    // Two channels on different masters.
    Channel failing;
    Channel moving;
    failing.name = key_in_slot(1000, "orders");
    moving.name = key_in_slot(9000, "orders");
    failing.slot = key_slot(failing.name);
    moving.slot = key_slot(moving.name);
    const auto failing_master = cluster.master_of(failing.slot, cluster.port(0));
    const auto moving_master = cluster.master_of(moving.slot, cluster.port(0));
    ASSERT_NE(failing_master, moving_master);

    auto pubsub = rc.pubsub();
    pubsub.ssubscribe({failing.name, moving.name});

    std::mutex mutex;
    std::atomic<bool> publishing{true};
    std::atomic<int> publish_errors{0};
    std::thread publisher([&] {
        for (int n = 0; publishing && n < 200'000; ++n) {
            for (auto* channel : {&failing, &moving}) {
                try {
                    if (rc.spublish(channel->name, std::to_string(n)) == 1) {
                        std::lock_guard lock(mutex);
                        channel->acknowledged.push_back(n);
                    }
                } catch (const Error&) {
                    ++publish_errors;
                }
            }
            std::this_thread::sleep_for(1ms);
        }
    });
    std::atomic<bool> consuming{true};
    std::thread consumer([&] {
        while (consuming) {
            auto message = pubsub.get_message(50ms);
            if (!message) continue;
            std::lock_guard lock(mutex);
            auto& channel = message->channel == failing.name ? failing : moving;
            if (message->kind == PubSubMessage::Kind::smessage) {
                channel.received.push_back(std::stoi(message->payload));
                channel.received_at.push_back(Clock::now());
            } else if (message->kind == PubSubMessage::Kind::resubscribed) {
                channel.resubscribed_at = Clock::now();
                channel.resubscribed_on = message->node;
            }
        }
    });
    // Whatever ends the test early (a failed assertion, an exception), the
    // threads stop and are joined, so the failure is reported rather than
    // ending the process.
    struct StopAndJoin {
        std::atomic<bool>& publishing;
        std::atomic<bool>& consuming;
        std::thread& publisher;
        std::thread& consumer;
        ~StopAndJoin() {
            publishing = false;
            consuming = false;
            if (publisher.joinable()) publisher.join();
            if (consumer.joinable()) consumer.join();
        }
    } stop_and_join{publishing, consuming, publisher, consumer};
    std::this_thread::sleep_for(300ms);

    // 1. Planned failover of the first channel's master.
    const auto replicas = cluster.replicas_of(failing_master, cluster.port(0));
    ASSERT_FALSE(replicas.empty());
    const auto failover_started = Clock::now();
    ASSERT_TRUE(fail_over_to(replicas.front(), 30s)) << "the replica did not take over";
    const auto promoted = Clock::now();
    ASSERT_TRUE(eventually(
        [&] {
            std::lock_guard lock(mutex);
            return failing.resubscribed_at && first_after(failing, *failing.resubscribed_at);
        },
        15s))
        << "the subscription did not follow the failover";

    // 2. The second channel's slot migrates to the first channel's new
    // master, once every node has heard it is one (SETSLOT NODE refuses a
    // target a node still takes for a replica).
    ASSERT_TRUE(eventually(
        [&] {
            for (const auto port : cluster.ports()) {
                if (cluster.master_of(failing.slot, port) != replicas.front()) return false;
            }
            return true;
        },
        15s))
        << "the cluster did not agree on the new master";
    const auto migration_started = Clock::now();
    cluster.migrate_slot(moving.slot, moving_master, replicas.front());
    const auto migrated = Clock::now();
    ASSERT_TRUE(eventually(
        [&] {
            std::lock_guard lock(mutex);
            return moving.resubscribed_at && first_after(moving, *moving.resubscribed_at);
        },
        15s))
        << "the subscription did not follow the migration";
    std::this_thread::sleep_for(300ms);
    publishing = false;
    publisher.join();
    // What was acknowledged has been sent; let it arrive.
    std::this_thread::sleep_for(300ms);
    consuming = false;
    consumer.join();

    std::lock_guard lock(mutex);
    EXPECT_EQ(failing.resubscribed_on, "127.0.0.1:" + std::to_string(replicas.front()));
    EXPECT_EQ(moving.resubscribed_on, "127.0.0.1:" + std::to_string(replicas.front()));
    // Every message a server acknowledged delivering reached the consumer,
    // in the order published. The nodes of a shard each deliver SPUBLISH to
    // their own subscribers, the replicas from a copy relayed over the
    // cluster bus: a copy that reaches the new master late, after the
    // subscription moved there, is delivered again. So repeats of earlier
    // messages may follow (counted, not failed), and a message the old
    // master no longer delivered may arrive from the new one.
    std::size_t repeats = 0;
    std::size_t unacknowledged = 0;
    for (auto* channel : {&failing, &moving}) {
        const std::set<int> acknowledged(channel->acknowledged.begin(), channel->acknowledged.end());
        std::set<int> seen;
        std::vector<int> first_deliveries;
        for (const int n : channel->received) {
            if (!seen.insert(n).second) {
                ++repeats;
            } else if (acknowledged.contains(n)) {
                first_deliveries.push_back(n);
            } else {
                ++unacknowledged;
            }
        }
        EXPECT_EQ(first_deliveries, channel->acknowledged) << channel->name;
    }
    const auto gap = [&](const Channel& channel, Clock::time_point fault) {
        const auto back = first_after(channel, *channel.resubscribed_at);
        return back ? ms(*back - fault) : std::string("never");
    };
    const auto lost_failing = failing.acknowledged.empty() ? 0 : failing.acknowledged.back() + 1 -
                                                                     static_cast<int>(failing.acknowledged.size());
    report("Sharded pub/sub: planned failover, then slot migration (`tests/fault/pubsub_fault_test.cpp`)",
           "2 shard channels, SPUBLISH about every ms each; " + std::to_string(failing.received.size()) + " + " +
               std::to_string(moving.received.size()) + " messages received",
           "0 acknowledged messages lost or out of order; " + std::to_string(publish_errors.load()) +
               " SPUBLISH errors; " + std::to_string(lost_failing) +
               " numbers of the failing channel not delivered while it was away; " + std::to_string(repeats) +
               " repeats and " + std::to_string(unacknowledged) + " unacknowledged arrivals from the new master",
           "failover: promoted " + ms(promoted - failover_started) + " after CLUSTER FAILOVER, messages again " +
               gap(failing, promoted) + " after the promotion; migration: took " +
               ms(migrated - migration_started) + ", messages again " + gap(moving, migrated) + " after it",
           "-");
    EXPECT_EQ(publish_errors.load(), 0);
}

}  // namespace
}  // namespace rediscluster::test
