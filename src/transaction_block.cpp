#include "detail/transaction_block.hpp"

#include "detail/classify.hpp"

namespace rediscluster::detail {

BlockVerdict decide_block(std::span<const Reply> block) noexcept {
    using Decider = BlockVerdict::Decider;
    if (block.front().is_error()) return {Decider::Multi, 0};
    // The first queued command the cluster turned away decides: its EXEC
    // can only say EXECABORT, which hides why.
    for (std::size_t i = 1; i + 1 < block.size(); ++i) {
        if (block[i].is_error() && classify_error_reply_text(block[i].str())) return {Decider::Queued, i};
    }
    return {Decider::Exec, block.size() - 1};
}

}  // namespace rediscluster::detail
