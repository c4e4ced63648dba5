// decide_block: which reply of a MULTI ... EXEC block decides how it ended.

#include <gtest/gtest.h>

#include <vector>

#include "detail/transaction_block.hpp"

namespace rediscluster::detail {
namespace {

using Decider = BlockVerdict::Decider;

Reply queued() { return Reply::simple_string("QUEUED"); }

TEST(DecideBlock, ARefusedMultiDecidesWhateverFollows) {
    const std::vector<Reply> block{Reply::error("MOVED 12 127.0.0.1:7001"), Reply::error("ERR EXEC without MULTI"),
                                   Reply::error("ERR EXEC without MULTI")};
    const auto verdict = decide_block(block);
    EXPECT_EQ(verdict.decider, Decider::Multi);
    EXPECT_EQ(verdict.index, 0U);
}

TEST(DecideBlock, TheFirstQueuedCommandTheClusterTurnedAwayDecidesNotExecAbort) {
    const std::vector<Reply> block{Reply::simple_string("OK"), queued(),
                                   Reply::error("ERR wrong number of arguments for 'get' command"),
                                   Reply::error("ASK 12 127.0.0.1:7002"), Reply::error("TRYAGAIN Multiple keys"),
                                   Reply::error("EXECABORT Transaction discarded because of previous errors.")};
    const auto verdict = decide_block(block);
    EXPECT_EQ(verdict.decider, Decider::Queued);
    EXPECT_EQ(verdict.index, 3U);  // the ASK, not the argument error before it
}

TEST(DecideBlock, ACommandRefusedForItsOwnSakeLeavesItToExecAbort) {
    const std::vector<Reply> block{Reply::simple_string("OK"),
                                   Reply::error("ERR wrong number of arguments for 'get' command"), queued(),
                                   Reply::error("EXECABORT Transaction discarded because of previous errors.")};
    const auto verdict = decide_block(block);
    EXPECT_EQ(verdict.decider, Decider::Exec);
    EXPECT_EQ(verdict.index, 3U);
}

TEST(DecideBlock, ExecDecidesWhenEverythingWasQueued) {
    const std::vector<Reply> ran{Reply::simple_string("OK"), queued(), queued(),
                                 Reply::array({Reply::integer(1), Reply::error("WRONGTYPE Operation against a key")})};
    EXPECT_EQ(decide_block(ran).decider, Decider::Exec);
    EXPECT_EQ(decide_block(ran).index, 3U);
    const std::vector<Reply> watch_fired{Reply::simple_string("OK"), queued(), Reply::null()};
    EXPECT_EQ(decide_block(watch_fired).decider, Decider::Exec);
    const std::vector<Reply> nothing_queued{Reply::simple_string("OK"), Reply::error("MOVED 3 127.0.0.1:7000")};
    EXPECT_EQ(decide_block(nothing_queued).decider, Decider::Exec);
    EXPECT_EQ(decide_block(nothing_queued).index, 1U);
}

}  // namespace
}  // namespace rediscluster::detail
