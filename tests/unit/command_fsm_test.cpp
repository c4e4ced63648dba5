// Every transition of a command's state machine, without sockets: the test
// plays the driver, reporting events and checking the actions.

#include <gtest/gtest.h>

#include "detail/classify.hpp"
#include "detail/command_fsm.hpp"

namespace rediscluster::detail {
namespace {

using namespace std::chrono_literals;
using Kind = CommandAction::Kind;
using EventKind = CommandEvent::Kind;
using Refresh = RetryDecision::Refresh;

const Clock::time_point kStart = Clock::time_point() + 1h;
const NodeInfo kNode = make_node("127.0.0.1", 7000, "master");

CommandEvent failed(Failure failure, Clock::duration after = 0ms, std::optional<HostPort> redirect = std::nullopt,
                    std::string_view description = "what happened") {
    return {.kind = EventKind::Failed,
            .now = kStart + after,
            .failure = failure,
            .description = description,
            .node = &kNode,
            .redirect = std::move(redirect)};
}

CommandMachine machine(std::optional<std::uint16_t> slot = 42, std::optional<std::chrono::milliseconds> budget = 10s,
                       RetryLimits limits = {}) {
    return CommandMachine(slot, "GET", limits, budget, kStart);
}

TEST(CommandMachine, StartSendsByTheSlotMapThenAReplyIsDone) {
    auto fsm = machine();
    const auto send = fsm.resume({.kind = EventKind::Start});
    EXPECT_EQ(send.kind, Kind::Send);
    EXPECT_FALSE(send.node);
    EXPECT_FALSE(send.asking);
    EXPECT_EQ(fsm.resume({.kind = EventKind::Replied}).kind, Kind::Done);
    EXPECT_TRUE(fsm.finished());
    EXPECT_EQ(fsm.counts().attempts, 0);
}

TEST(CommandMachine, MovedRecordsTheNewOwnerThenSendsByTheUpdatedMap) {
    auto fsm = machine();
    (void)fsm.resume({.kind = EventKind::Start});
    const auto update = fsm.resume(failed(Failure::Moved, 1ms, HostPort{"127.0.0.1", 7001}));
    ASSERT_EQ(update.kind, Kind::UpdateTopology);
    ASSERT_NE(update.moved_to, nullptr);
    EXPECT_EQ(*update.moved_to, (HostPort{"127.0.0.1", 7001}));
    ASSERT_NE(update.moved_sender, nullptr);
    EXPECT_EQ(*update.moved_sender, (HostPort{"127.0.0.1", 7000}));
    EXPECT_EQ(update.refresh, Refresh::None);
    const auto send = fsm.resume({.kind = EventKind::TopologyUpdated});
    EXPECT_EQ(send.kind, Kind::Send);
    EXPECT_FALSE(send.node) << "a keyed command follows the map, which now names the new owner";
    EXPECT_EQ(fsm.counts().redirects, 1);
}

TEST(CommandMachine, MovedForACommandWithoutKeysGoesWhereItWasTold) {
    auto fsm = machine(std::nullopt);
    (void)fsm.resume({.kind = EventKind::Start});
    const auto send = fsm.resume(failed(Failure::Moved, 1ms, HostPort{"127.0.0.1", 7001}));
    ASSERT_EQ(send.kind, Kind::Send) << "no slot to record: no topology update";
    ASSERT_NE(send.node, nullptr);
    EXPECT_EQ(*send.node, (HostPort{"127.0.0.1", 7001}));
    EXPECT_FALSE(send.asking);
}

TEST(CommandMachine, AskSendsAskingToTheTargetOnceWithoutTouchingTheMap) {
    auto fsm = machine();
    (void)fsm.resume({.kind = EventKind::Start});
    const auto send = fsm.resume(failed(Failure::Ask, 1ms, HostPort{"127.0.0.1", 7002}));
    ASSERT_EQ(send.kind, Kind::Send);
    ASSERT_NE(send.node, nullptr);
    EXPECT_EQ(*send.node, (HostPort{"127.0.0.1", 7002}));
    EXPECT_TRUE(send.asking);
    // A later retry routes by the map again, without ASKING.
    const auto again = fsm.resume(failed(Failure::TryAgain, 2ms));
    ASSERT_EQ(again.kind, Kind::Backoff);
    const auto resend = fsm.resume({.kind = EventKind::BackoffOver});
    EXPECT_EQ(resend.kind, Kind::Send);
    EXPECT_FALSE(resend.node);
    EXPECT_FALSE(resend.asking);
}

TEST(CommandMachine, TryAgainBacksOffThenSendsAgain) {
    auto fsm = machine();
    (void)fsm.resume({.kind = EventKind::Start});
    const auto backoff = fsm.resume(failed(Failure::TryAgain, 1ms));
    ASSERT_EQ(backoff.kind, Kind::Backoff);
    EXPECT_EQ(backoff.delay, 5ms);
    EXPECT_EQ(fsm.resume({.kind = EventKind::BackoffOver}).kind, Kind::Send);
    const auto second = fsm.resume(failed(Failure::TryAgain, 10ms));
    ASSERT_EQ(second.kind, Kind::Backoff);
    EXPECT_EQ(second.delay, 10ms) << "the backoff grows while the failure lasts";
}

TEST(CommandMachine, ClusterDownRefreshesBeforeBackingOff) {
    auto fsm = machine();
    (void)fsm.resume({.kind = EventKind::Start});
    const auto update = fsm.resume(failed(Failure::ClusterDown, 1ms));
    ASSERT_EQ(update.kind, Kind::UpdateTopology);
    EXPECT_EQ(update.refresh, Refresh::BeforeRetry);
    EXPECT_FALSE(update.moved_to);
    const auto backoff = fsm.resume({.kind = EventKind::TopologyUpdated});
    ASSERT_EQ(backoff.kind, Kind::Backoff);
    EXPECT_EQ(backoff.delay, 25ms);
    EXPECT_EQ(fsm.resume({.kind = EventKind::BackoffOver}).kind, Kind::Send);
}

TEST(CommandMachine, ClusterDownWithALimitFailsAsItCameOnceTheLimitIsPassed) {
    auto fsm = machine(42, 10s, RetryLimits{.cluster_down_retry_attempts = 0});
    (void)fsm.resume({.kind = EventKind::Start});
    const auto fail = fsm.resume(failed(Failure::ClusterDown, 1ms));
    EXPECT_EQ(fail.kind, Kind::Fail);
    EXPECT_FALSE(fail.exhausted) << "the CLUSTERDOWN reply itself is the answer";
    EXPECT_TRUE(fsm.finished());
}

TEST(CommandMachine, AConnectionLossMarksTheNodeRefreshesAndRetriesAtOnce) {
    auto fsm = machine();
    (void)fsm.resume({.kind = EventKind::Start});
    const auto update = fsm.resume(failed(Failure::Connection, 1ms));
    ASSERT_EQ(update.kind, Kind::UpdateTopology);
    ASSERT_NE(update.failed_node, nullptr);
    EXPECT_EQ(*update.failed_node, kNode);
    EXPECT_EQ(update.refresh, Refresh::BeforeRetry);
    EXPECT_EQ(fsm.resume({.kind = EventKind::TopologyUpdated}).kind, Kind::Send) << "the first retry waits for nothing";
    (void)fsm.resume(failed(Failure::Connection, 2ms));
    const auto backoff = fsm.resume({.kind = EventKind::TopologyUpdated});
    ASSERT_EQ(backoff.kind, Kind::Backoff);
    EXPECT_EQ(backoff.delay, 25ms);
}

TEST(CommandMachine, ATimeoutIsNotRetriedByDefaultButTheNodeIsMarkedFirst) {
    auto fsm = machine();
    (void)fsm.resume({.kind = EventKind::Start});
    const auto update = fsm.resume(failed(Failure::Timeout, 1ms));
    ASSERT_EQ(update.kind, Kind::UpdateTopology) << "the topology update happens even though the command gives up";
    ASSERT_NE(update.failed_node, nullptr);
    EXPECT_EQ(*update.failed_node, kNode);
    EXPECT_EQ(update.refresh, Refresh::InBackground);
    const auto fail = fsm.resume({.kind = EventKind::TopologyUpdated});
    EXPECT_EQ(fail.kind, Kind::Fail);
    EXPECT_FALSE(fail.exhausted) << "the timeout itself is the answer: the command may have run";
}

TEST(CommandMachine, ATimeoutIsRetriedWithRetryOnTimeout) {
    auto fsm = machine(42, 10s, RetryLimits{.retry_on_timeout = true});
    (void)fsm.resume({.kind = EventKind::Start});
    (void)fsm.resume(failed(Failure::Interrupted, 1ms));
    const auto backoff = fsm.resume({.kind = EventKind::TopologyUpdated});
    ASSERT_EQ(backoff.kind, Kind::Backoff);
    EXPECT_EQ(fsm.resume({.kind = EventKind::BackoffOver}).kind, Kind::Send);
}

TEST(CommandMachine, AFatalFailureEndsAtOnceWithoutCountingAsARedirect) {
    auto fsm = machine();
    (void)fsm.resume({.kind = EventKind::Start});
    const auto fail = fsm.resume(failed(Failure::Fatal, 1ms));
    EXPECT_EQ(fail.kind, Kind::Fail);
    EXPECT_FALSE(fail.exhausted);
    EXPECT_EQ(fsm.counts().redirects, 0);
}

TEST(CommandMachine, TheBudgetSpentEndsWithAMessageListingTheLastAttempts) {
    auto fsm = machine(42, 100ms);
    (void)fsm.resume({.kind = EventKind::Start});
    auto action = fsm.resume(failed(Failure::TryAgain, 10ms, std::nullopt, "TRYAGAIN first"));
    ASSERT_EQ(action.kind, Kind::Backoff);
    (void)fsm.resume({.kind = EventKind::BackoffOver});
    // 98 ms in, the next backoff (10 ms) would not end within the budget.
    action = fsm.resume(failed(Failure::TryAgain, 98ms, std::nullopt, "TRYAGAIN second"));
    ASSERT_EQ(action.kind, Kind::Fail);
    EXPECT_TRUE(action.exhausted);
    EXPECT_EQ(action.message.rfind("command_timeout of 100 ms spent: GET failed after 2 attempts:", 0), 0U)
        << action.message;
    EXPECT_NE(action.message.find("attempt 1 on 127.0.0.1:7000: TRYAGAIN first"), std::string::npos) << action.message;
    EXPECT_NE(action.message.find("attempt 2 on 127.0.0.1:7000: TRYAGAIN second"), std::string::npos) << action.message;
}

TEST(CommandMachine, ATopologyUpdateThatSpentTheBudgetEndsTheCommandInsteadOfSendingAgain) {
    auto fsm = machine(42, 100ms);
    (void)fsm.resume({.kind = EventKind::Start});
    const auto update = fsm.resume(failed(Failure::Connection, 10ms, std::nullopt, "connection lost"));
    ASSERT_EQ(update.kind, Kind::UpdateTopology);
    ASSERT_EQ(update.refresh, Refresh::BeforeRetry);
    // The discovery waited on a silent node until past the budget.
    const auto action = fsm.resume({.kind = EventKind::TopologyUpdated, .now = kStart + 150ms});
    ASSERT_EQ(action.kind, Kind::Fail);
    EXPECT_TRUE(action.exhausted);
    EXPECT_EQ(action.message.rfind("command_timeout of 100 ms spent: GET failed after 1 attempts:", 0), 0U)
        << action.message;
    EXPECT_NE(action.message.find("connection lost"), std::string::npos) << action.message;
    EXPECT_TRUE(fsm.finished());

    // Within the budget, the retry goes.
    auto in_time = machine(42, 100ms);
    (void)in_time.resume({.kind = EventKind::Start});
    (void)in_time.resume(failed(Failure::Connection, 10ms));
    EXPECT_EQ(in_time.resume({.kind = EventKind::TopologyUpdated, .now = kStart + 50ms}).kind, Kind::Send);
}

TEST(CommandMachine, RedirectLoopsEndAfterTheirTtlAndShowOnlyTheLastAttempts) {
    auto fsm = machine(42, 10s);
    auto action = fsm.resume({.kind = EventKind::Start});
    int sends = 0;
    while (action.kind != Kind::Fail) {
        if (action.kind == Kind::Send) ++sends;
        action = action.kind == Kind::Send ? fsm.resume(failed(Failure::Ask, 1ms, HostPort{"127.0.0.1", 7001}))
                                           : fsm.resume({.kind = EventKind::TopologyUpdated});
        ASSERT_LE(sends, 100) << "the loop must end";
    }
    EXPECT_EQ(sends, 16);
    EXPECT_TRUE(action.exhausted);
    EXPECT_EQ(action.message.rfind("TTL exhausted: GET failed after 16 attempts:", 0), 0U) << action.message;
    EXPECT_NE(action.message.find("(the first 8 not shown)"), std::string::npos) << action.message;
}

TEST(CommandMachine, WithoutABudgetAttemptsAreCounted) {
    auto fsm = machine(42, std::nullopt);
    auto action = fsm.resume({.kind = EventKind::Start});
    int attempts = 0;
    while (action.kind != Kind::Fail) {
        if (action.kind == Kind::Send) {
            ++attempts;
            action = fsm.resume(failed(Failure::TryAgain, 1ms));
        } else {
            action = fsm.resume({.kind = EventKind::BackoffOver});
        }
        ASSERT_LE(attempts, 100);
    }
    EXPECT_EQ(attempts, 16);
    EXPECT_TRUE(action.exhausted);
}

TEST(CommandMachine, AFailureThatGivesUpStillRecordsTheMoved) {
    // Redirect limit reached by a MOVED: the map is still corrected for
    // the next command.
    auto fsm = machine(42, 10s, RetryLimits{.max_redirects = 1});
    (void)fsm.resume({.kind = EventKind::Start});
    const auto update = fsm.resume(failed(Failure::Moved, 1ms, HostPort{"127.0.0.1", 7001}));
    ASSERT_EQ(update.kind, Kind::UpdateTopology);
    EXPECT_EQ(update.refresh, Refresh::InBackground);
    const auto fail = fsm.resume({.kind = EventKind::TopologyUpdated});
    EXPECT_EQ(fail.kind, Kind::Fail);
    EXPECT_TRUE(fail.exhausted);
}

TEST(CommandMachine, AnEventTheStateDoesNotExpectFailsTheCommandNamingIt) {
    auto fsm = machine();
    const auto fail = fsm.resume({.kind = EventKind::Replied});  // before Start
    EXPECT_EQ(fail.kind, Kind::Fail);
    EXPECT_NE(fail.message.find("Replied"), std::string::npos) << fail.message;
    EXPECT_EQ(fsm.resume({.kind = EventKind::Start}).kind, Kind::Fail) << "a finished machine stays finished";
}

TEST(Classify, ErrorRepliesThatAreClusterFailures) {
    EXPECT_EQ(classify_error_reply_text("MOVED 1 127.0.0.1:7000"), Failure::Moved);
    EXPECT_EQ(classify_error_reply_text("ASK 1 127.0.0.1:7000"), Failure::Ask);
    EXPECT_EQ(classify_error_reply_text("TRYAGAIN Multiple keys request during rehashing of slot"), Failure::TryAgain);
    EXPECT_EQ(classify_error_reply_text("CLUSTERDOWN The cluster is down"), Failure::ClusterDown);
    EXPECT_EQ(classify_error_reply_text("MASTERDOWN Link with MASTER is down"), Failure::ClusterDown);
    EXPECT_EQ(classify_error_reply_text("READONLY You can't write against a read only replica."), Failure::ReadOnly);
    EXPECT_EQ(classify_error_reply_text("LOADING Redis is loading the dataset in memory"), Failure::Loading);
    EXPECT_EQ(classify_error_reply_text("ERR max number of clients reached"), Failure::Connection);
    EXPECT_EQ(classify_error_reply_text("WRONGTYPE Operation against a key holding the wrong kind of value"),
              std::nullopt);
    EXPECT_EQ(classify_error_reply_text("CROSSSLOT Keys in request don't hash to the same slot"), std::nullopt);
    EXPECT_EQ(classify_error_reply_text("NOAUTH Authentication required."), std::nullopt);
}

TEST(Classify, ExceptionsOfTheIoLayer) {
    EXPECT_EQ(classify(TimeoutError("Timeout reading from 127.0.0.1:7000")), Failure::Timeout);
    EXPECT_EQ(classify(IncompleteReplyError("connection closed mid-reply")), Failure::Interrupted);
    EXPECT_EQ(classify(ProtocolError("expected a type byte")), Failure::Interrupted);
    EXPECT_EQ(classify(ConnectionError("Connection refused")), Failure::Connection);
    EXPECT_EQ(classify(ConnectionError("No connection available within 20000 ms")), Failure::NoConnection);
    EXPECT_EQ(classify(AuthenticationError("WRONGPASS")), Failure::Fatal);
    EXPECT_EQ(classify(BusyLoadingError("LOADING")), Failure::Loading);
    EXPECT_EQ(classify(SlotNotCoveredError("slot 5 is not covered")), Failure::SlotNotCovered);
    EXPECT_EQ(classify(RedisClusterException("at the cap of 1 connection")), Failure::Fatal);
}

}  // namespace
}  // namespace rediscluster::detail
