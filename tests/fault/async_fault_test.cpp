// The fault scenarios of the blocking client, against AsyncRedisCluster:
// one thread runs the io_context, on which 1000 coroutines each SET one of
// their own keys and GET it back (AsyncWriteReadLoad), while a replica is
// promoted, a master is killed, slots move, a master freezes and fails
// over, or connections are killed under a small max_inflight. Each
// scenario asserts what its blocking counterpart asserts for the same
// fault, with the errors as the codes of error.hpp.

#include <gtest/gtest.h>

#include <csignal>
#include <optional>
#include <set>

#include "async_load.hpp"
#include "fault_support.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

// Under ThreadSanitizer, which runs the client's one thread about ten
// times slower, a tenth as many: the races are between threads, and a
// thread saturated by 1000 coroutines would stretch every call past the
// bounds the scenarios judge.
constexpr int kCoroutines = 1000 / static_cast<int>(kLoadScale);
constexpr std::size_t kKeysPerCoroutine = 4;
// Bounds of every load: it stops by itself at the latest then (each
// scenario stops it well before).
constexpr std::size_t kOpsPerCoroutine = 100'000;
constexpr auto kLoadLimit = 40s;
// Operations before the fault is injected: a few per coroutine.
constexpr std::size_t kWarmUpOps = 5000 / kLoadScale;

std::string own_key(int coroutine, std::size_t i) {
    return "c" + std::to_string(coroutine) + ":" + std::to_string(i % kKeysPerCoroutine);
}

std::string load_text(const std::vector<OpRecord>& records) {
    return std::to_string(kCoroutines) + " coroutines SET+GET on one thread, " + std::to_string(records.size()) + " ops";
}

// Errors whose text does not start with one of `codes` (the code names of
// describe_error()); the first one in `example`.
std::size_t errors_outside(const std::vector<OpRecord>& records, const std::set<std::string>& codes, std::string& example) {
    std::size_t outside = 0;
    for (const auto& record : records) {
        if (record.error.empty()) continue;
        if (codes.contains(record.error.substr(0, record.error.find(':')))) continue;
        if (outside++ == 0) example = record.error;
    }
    return outside;
}

// The codes of a node that fails under the client: its connection lost or
// silent, the retries out of time, the cluster down until it fails over.
const std::set<std::string> kNodeFailureCodes{"connection", "timeout", "interrupted", "cluster_down",
                                              "budget_exhausted"};

// A master of `cluster` killed under 1000 coroutines' load through a
// client with `options`, its replica promoted, and the load run 2 s more;
// then the acknowledged writes that cannot be read back. (Writes the
// killed master acknowledged just before it died may not have reached its
// replica, replication being asynchronous: the cluster's loss, which the
// scenarios report, as the blocking ones do.)
struct KilledUnderLoad {
    std::vector<OpRecord> records;
    std::vector<std::string> lost;
    std::vector<std::uint16_t> survivors;
    Clock::time_point killed_at;
    Clock::time_point promoted_at;
};

// Empty when the load did not start or no replica took over.
std::optional<KilledUnderLoad> kill_a_master_under_load(FaultCluster& cluster, const RedisClusterOptions& options) {
    const auto master = cluster.port(0);
    KilledUnderLoad run;
    const auto replica = cluster.replicas_of(master, cluster.port(1)).at(0);
    AsyncWriteReadLoad load(options, {}, kCoroutines, kOpsPerCoroutine, kLoadLimit, own_key);
    if (!eventually([&] { return load.completed() > kWarmUpOps; }, 20s)) return std::nullopt;
    run.killed_at = Clock::now();
    cluster.kill(master);
    run.survivors = without(cluster.ports(), master);
    if (!wait_for_takeover(cluster, replica, run.survivors)) return std::nullopt;
    run.promoted_at = Clock::now();
    std::this_thread::sleep_for(2s);  // the load goes on after the promotion
    run.records = load.stop();
    auto reader_options = options;
    reader_options.startup_nodes = {{"127.0.0.1", replica}};  // not the killed node
    RedisCluster reader(reader_options);
    run.lost = lost_writes(reader, load.acknowledged());
    return run;
}

TEST(FaultAsync, PlannedFailoverUnderLoadReachesNoCoroutineAndLosesNothing) {
    FaultCluster cluster;
    const auto master = cluster.port(0);
    const auto replica = cluster.replicas_of(master, cluster.port(1)).at(0);

    AsyncWriteReadLoad load(fault_client_options(cluster, 2s), {}, kCoroutines, kOpsPerCoroutine, kLoadLimit, own_key);
    ASSERT_TRUE(eventually([&] { return load.completed() > kWarmUpOps; }, 20s));

    const auto failover_at = Clock::now();
    ASSERT_TRUE(fail_over_to(replica, 30s)) << "the replica did not take over";
    const auto promoted_at = Clock::now();
    std::this_thread::sleep_for(2s);  // the load goes on after the promotion
    const auto records = load.stop();

    const auto summary = expect_no_error(records);
    RedisCluster reader(fault_client_options(cluster, 2s));
    const auto lost = lost_writes(reader, load.acknowledged());
    EXPECT_TRUE(lost.empty()) << lost.size() << " acknowledged writes unreadable, e.g. " << lost.front();
    // The writes after the failover really went to the new master.
    EXPECT_GT(command_calls(replica, "set"), 0);
    EXPECT_EQ(load.connection_pool()->get_master_node_by_slot(0).port, replica);

    report("planned failover (CLUSTER FAILOVER), async", load_text(records),
           std::to_string(summary.errors) + " errors, " + std::to_string(lost.size()) + " writes lost",
           "promoted after " + millis(promoted_at - failover_at) + "; max call " + millis(summary.max_duration),
           std::to_string(connections_seen(cluster.ports())) + " on servers");
}

TEST(FaultAsync, MasterKilledUnderLoadFailsOnlyInsideTheWindowAndRecovers) {
    constexpr auto kSocketTimeout = 1s;
    FaultCluster cluster;
    const auto run = kill_a_master_under_load(cluster, fault_client_options(cluster, kSocketTimeout));
    ASSERT_TRUE(run) << "the load did not start, or no replica took over";
    const auto& [records, lost, survivors, killed_at, promoted_at] = *run;

    // Errors only inside the failure window, each of a node failure's codes.
    const auto window = expect_failure_window(records, killed_at, promoted_at, kSocketTimeout);
    const auto& summary = window.summary;
    std::string unexpected;
    EXPECT_EQ(errors_outside(records, kNodeFailureCodes, unexpected), 0u) << unexpected;

    report("master killed (SIGKILL), async", load_text(records),
           std::to_string(summary.errors) + " errors (first " + summary.first_error_text.substr(0, 40) +
               "), all between the kill and " + millis(window.after_recovery) + " after the promotion; " +
               std::to_string(lost.size()) + " acknowledged writes lost by the cluster",
           "failover " + millis(promoted_at - killed_at) + "; client unavailable for its slots " + millis(window.unavailable) +
               "; max call " + millis(summary.max_duration),
           std::to_string(connections_seen(survivors)) + " on the surviving servers");
}

TEST(FaultAsync, AKilledMasterSurfacesNoErrorWithTheDefaultBudget) {
    // Default timeouts (socket_timeout 10 s, so command_timeout 10 s), as
    // in FaultTopology's blocking twin: the promotion comes within the
    // budget (cluster-node-timeout 2 s), so calls wait for it and none fails.
    FaultCluster cluster;
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", cluster.port(0)}};
    options.connection_kwargs.client_name = kClientName;
    const auto run = kill_a_master_under_load(cluster, options);
    ASSERT_TRUE(run) << "the load did not start, or no replica took over";
    const auto& [records, lost, survivors, killed_at, promoted_at] = *run;

    const auto summary = summarize(records);
    EXPECT_EQ(summary.errors, 0u) << summary.first_error_text;
    // A GET that misses its own SET means the killed master acknowledged
    // the SET and died before its replica had it: the cluster's loss.
    // After the promotion there is none.
    EXPECT_EQ(summarize(started_between(records, promoted_at, Clock::time_point::max())).wrong_answers, 0u);
    // Calls waited for the promotion, and not much past it.
    const auto failover = promoted_at - killed_at;
    EXPECT_GE(summary.max_duration, failover / 2) << millis(summary.max_duration);
    EXPECT_LE(summary.max_duration, failover + 1500ms) << millis(summary.max_duration);

    report("master killed, default budget, async", load_text(records),
           std::to_string(summary.errors) + " errors; " + std::to_string(summary.wrong_answers + lost.size()) +
               " acknowledged writes lost by the cluster",
           "failover " + millis(failover) + "; longest call " + millis(summary.max_duration) + ", p99 " +
               millis(summary.p99_duration),
           std::to_string(connections_seen(survivors)) + " on the surviving servers");
}

TEST(FaultAsync, SlotsMovedUnderLoadReachNoCoroutineAndLoseNoKey) {
    constexpr std::uint16_t kFirstSlot = 100;
    constexpr std::uint16_t kSlots = 20;
    constexpr std::size_t kKeysBefore = 50;  // per slot, written before the move
    FaultCluster cluster;
    const auto source = cluster.master_of(kFirstSlot, cluster.port(0));
    const auto target = cluster.master_of(static_cast<std::uint16_t>(kFirstSlot + 8192), cluster.port(0));
    ASSERT_NE(source, target);

    RedisCluster reader(fault_client_options(cluster, 2s));
    std::vector<std::string> tags;
    AcknowledgedWrites expected(1);
    for (std::uint16_t i = 0; i < kSlots; ++i) {
        tags.push_back(hash_tag_in_slot(static_cast<std::uint16_t>(kFirstSlot + i)));
        for (std::size_t k = 0; k < kKeysBefore; ++k) {
            const auto name = tags.back() + ":before:" + std::to_string(k);
            reader.set(name, "b" + std::to_string(k));
            expected[0][name] = "b" + std::to_string(k);
        }
    }

    // Every coroutine writes and reads its own keys in the moving slots,
    // going round them.
    AsyncWriteReadLoad load(fault_client_options(cluster, 2s), {}, kCoroutines, kOpsPerCoroutine, kLoadLimit,
                            [&](int coroutine, std::size_t i) {
                                return tags[(static_cast<std::size_t>(coroutine) + i) % kSlots] + ":c" +
                                       std::to_string(coroutine);
                            });
    ASSERT_TRUE(eventually([&] { return load.completed() > kWarmUpOps; }, 20s));

    const auto started = Clock::now();
    for (std::uint16_t i = 0; i < kSlots; ++i) cluster.migrate_slot(static_cast<std::uint16_t>(kFirstSlot + i), source, target);
    const auto finished = Clock::now();
    std::this_thread::sleep_for(1s);  // the load goes on after the move
    const auto records = load.stop();

    const auto summary = expect_no_error(records);
    // Every moved slot is the target's, with nothing left on the source.
    for (std::uint16_t i = 0; i < kSlots; ++i) {
        const auto slot = static_cast<std::uint16_t>(kFirstSlot + i);
        EXPECT_EQ(cluster.master_of(slot, cluster.port(2)), target);
        EXPECT_EQ(node_command(source, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}).integer(), 0);
    }
    const auto lost_before = lost_writes(reader, expected);
    const auto lost = lost_writes(reader, load.acknowledged());
    std::size_t keys = expected[0].size();
    for (const auto& own : load.acknowledged()) keys += own.size();
    EXPECT_TRUE(lost_before.empty()) << lost_before.size() << " keys written before the move lost";
    EXPECT_TRUE(lost.empty()) << lost.size() << " acknowledged writes unreadable, e.g. " << lost.front();
    // The client followed: its map sends the slots to the target.
    EXPECT_EQ(load.connection_pool()->get_master_node_by_slot(kFirstSlot).port, target);

    report("slot migration (" + std::to_string(kSlots) + " slots, MIGRATE + SETSLOT NODE), async", load_text(records),
           std::to_string(summary.errors) + " errors, " + std::to_string(lost.size() + lost_before.size()) + " of " +
               std::to_string(keys) + " keys lost",
           "migration took " + millis(finished - started) + ", " + std::to_string(command_calls(target, "asking")) +
               " ASKING on the target; max call " + millis(summary.max_duration) + ", p99 " +
               millis(summary.p99_duration),
           std::to_string(connections_seen(cluster.ports())) + " on servers");
}

// The blocking frozen-node scenario, carried on until the frozen master is
// failed over: half the coroutines use its slots, half the others, and an
// open-loop stream its slots too.
TEST(FaultAsync, FrozenMasterTimesOutOnlyItsSlotsUntilItsReplicaTakesOver) {
    constexpr auto kSocketTimeout = 250ms;
    constexpr int kPerSide = kCoroutines / 2;
    // The stated bound for commands of the other slots while a node is
    // frozen (the blocking scenario's): their connections never wait on it.
    constexpr auto kUnaffectedBound = 100ms;
    FaultCluster cluster;
    const auto frozen = cluster.port(0);
    const auto replica = cluster.replicas_of(frozen, cluster.port(1)).at(0);
    const auto survivors = without(cluster.ports(), frozen);

    // The other masters serve their slots through the failover (by
    // default a cluster missing a master answers CLUSTERDOWN for every
    // slot until the promotion): what the other side measures is the
    // client alone, as in the blocking scenario.
    for (const auto port : cluster.ports()) {
        (void)node_command(port, {"CONFIG", "SET", "cluster-require-full-coverage", "no"});
    }
    const auto options = fault_client_options(cluster, kSocketTimeout);
    std::vector<std::string> frozen_tags;
    std::vector<std::string> other_tags;
    {
        RedisCluster mapper(options);
        frozen_tags = tags_of(*mapper.connection_pool, frozen, true, 64);
        other_tags = tags_of(*mapper.connection_pool, frozen, false, 64);
    }
    AsyncWriteReadLoad load(options, {}, kCoroutines, kOpsPerCoroutine, kLoadLimit, [&](int coroutine, std::size_t i) {
        if (coroutine < 0) return frozen_tags[i % frozen_tags.size()] + ":open:" + std::to_string(i);
        const auto& tags = coroutine < kPerSide ? frozen_tags : other_tags;
        return tags[(static_cast<std::size_t>(coroutine) * 7 + i) % tags.size()] + ":" + std::to_string(coroutine);
    });
    // And new operations on its slots every 5 ms, whatever became of the
    // earlier ones (coroutine -1, on the frozen side): the frozen node's
    // connection goes on being written to, which must not postpone its
    // commands' socket timeout.
    load.start_open_loop(5ms);
    ASSERT_TRUE(eventually([&] { return load.completed() > kWarmUpOps; }, 20s));

    const auto frozen_at = Clock::now();
    cluster.signal(frozen, SIGSTOP);
    ASSERT_TRUE(wait_for_takeover(cluster, replica, survivors));
    const auto promoted_at = Clock::now();
    std::this_thread::sleep_for(2s);  // the load goes on after the promotion
    const auto records = load.stop();
    cluster.signal(frozen, SIGCONT);

    const auto [frozen_side, other_side] = split_by_thread(records, kPerSide);

    // The other slots: no error, latency within the stated bound, even
    // while the node was frozen.
    const auto others_during = expect_unharmed(other_side, frozen_at, promoted_at, kUnaffectedBound);

    // The frozen node's slots: only a silent or lost node's errors, only
    // once it was frozen, and every call within the configured timeouts. A command
    // still queued, unwritten, on the shared connection when the socket
    // timeout strikes never left, so it is retried (the blocking client's
    // threads, each on a connection of its own, seldom meet that case):
    // the machine allows the retry while the command's budget
    // (command_timeout, the socket timeout here) lasts, and waits for a
    // discovery first, which may itself wait a socket timeout on the frozen
    // seed; a discovery that spent the budget ends the command there.
    constexpr auto kCommandBound = 2 * kSocketTimeout + 250ms;
    const auto mine = summarize(frozen_side);
    EXPECT_LE(mine.max_duration, kCommandBound) << millis(mine.max_duration);
    // A command whose retries of a connection lost that way ran out of
    // budget ends in budget_exhausted, its attempts each a timeout.
    std::string unexpected;
    EXPECT_EQ(errors_outside(frozen_side, {"timeout", "connection", "budget_exhausted"}, unexpected), 0u) << unexpected;
    std::size_t timeouts = 0;
    for (const auto& record : frozen_side) {
        if (record.error.empty()) continue;
        EXPECT_GE(record.start + record.duration, frozen_at);
        if (record.error.starts_with("timeout:")) ++timeouts;
    }
    EXPECT_GT(timeouts, 0u);
    // Recovered within 1 s of the promotion: nothing fails after that.
    const auto after = summarize(started_between(frozen_side, promoted_at + 1s, Clock::time_point::max()));
    EXPECT_EQ(after.errors, 0u) << after.first_error_text;
    EXPECT_GT(after.operations, 0u);
    const auto recovered_in = mine.last_error_end > promoted_at ? mine.last_error_end - promoted_at : Clock::duration{};

    report("frozen master (SIGSTOP until failed over, socket_timeout " + millis(kSocketTimeout) + "), async",
           std::to_string(kPerSide) + " coroutines on its slots + " + std::to_string(kPerSide) +
               " on the others, SET+GET on one thread, " + std::to_string(records.size()) + " ops",
           std::to_string(mine.errors) + " errors on its slots (" + std::to_string(timeouts) + " timeouts, max " +
               millis(mine.max_duration) + "), 0 on the others (max " + millis(others_during.max_duration) +
               " while frozen)",
           "promoted " + millis(promoted_at - frozen_at) + " after SIGSTOP; last error " + millis(recovered_in) +
               " after the promotion",
           std::to_string(connections_seen(survivors)) + " on the surviving servers");
}

// The blocking pool-stress scenario's faults (client connections killed
// every 20 ms, a master frozen for 400 ms every second) over a
// max_inflight of 16: most commands wait in a connection's backlog, and
// that backlog is failed with the connection.
TEST(FaultAsync, ManyCoroutinesOverSixteenInflightWithFailingNodes) {
    constexpr std::size_t kMaxInflight = 16;
    // Per coroutine: a few seconds of load (under ThreadSanitizer, of a
    // tenth as many coroutines at a tenth of the speed, half as many).
    constexpr std::size_t kOps = kLoadScale == 1 ? 200 : 100;
    constexpr auto kSocketTimeout = 300ms;
    FaultCluster cluster;
    const std::vector<std::uint16_t> masters{cluster.port(0), cluster.port(1), cluster.port(2)};

    const auto started = Clock::now();
    AsyncWriteReadLoad load(fault_client_options(cluster, kSocketTimeout), {.max_inflight = kMaxInflight}, kCoroutines,
                            kOps, kLoadLimit, own_key);

    constexpr auto kAllOps = kCoroutines * kOps;
    const auto injected = inject_node_failures(cluster, masters, [&] {
        return load.completed() < kAllOps - kAllOps / 10 && Clock::now() - started < kLoadLimit;
    });
    (void)eventually([&] { return load.completed() >= kAllOps; }, 10s);
    const auto records = load.stop();
    const auto elapsed = Clock::now() - started;

    // No command hung: every coroutine did all its operations, each within
    // the command's budget (its wait in the backlog included) and one more
    // socket timeout for the attempt under way when the budget ran out.
    const auto summary = summarize(records);
    EXPECT_EQ(summary.operations, kAllOps);
    EXPECT_EQ(summary.wrong_answers, 0u);
    EXPECT_LE(summary.max_duration, 2 * kSocketTimeout + 500ms) << millis(summary.max_duration);
    // Only a lost or silent connection's errors (the blocking scenario's
    // TimeoutError, ConnectionError, IncompleteReplyError, ClusterError).
    std::string unexpected;
    EXPECT_EQ(errors_outside(records, {"connection", "timeout", "interrupted", "cluster_down", "budget_exhausted",
                                       "moved_exhausted"},
                             unexpected),
              0u)
        << unexpected;

    report("max_inflight " + std::to_string(kMaxInflight) + " with " + std::to_string(injected.kills) + " CLIENT KILLs, " +
               std::to_string(injected.freezes) + " 400 ms freezes, async",
           std::to_string(kCoroutines) + " coroutines, " + std::to_string(summary.operations) + " SET+GET in " +
               millis(elapsed),
           std::to_string(summary.errors) + " typed errors (first " + summary.first_error_text.substr(0, 60) +
               "), no hang",
           "max call " + millis(summary.max_duration) + ", p99 " + millis(summary.p99_duration),
           std::to_string(connections_seen(cluster.ports())) + " on servers");
}

}  // namespace
}  // namespace rediscluster::test
