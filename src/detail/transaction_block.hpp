#pragma once

// How a MULTI ... EXEC block ended, read from its replies: which one of
// them decides. Both drivers send the block in one write and read its
// replies together; this is where they agree on what those replies mean.

#include <cstddef>
#include <span>

#include "rediscluster/resp.hpp"

namespace rediscluster::detail {

struct BlockVerdict {
    enum class Decider {
        /// MULTI was refused (redirected, told to wait, or refused
        /// outright): nothing was queued.
        Multi,
        /// A command was redirected or told to wait while being queued:
        /// EXEC aborted, nothing ran, and the block goes again.
        Queued,
        /// EXEC's reply: what ran (an array), a watch that fired (null), a
        /// refusal (EXECABORT, or a redirect of EXEC itself).
        Exec,
    };
    Decider decider;
    /// The deciding reply's place in the block's replies.
    std::size_t index;
};

/// `block` holds MULTI's reply, one per queued command, and EXEC's, in that
/// order (at least two). The deciding reply is to be judged as a single
/// command's reply: a redirect or TRYAGAIN in it sends the block again.
[[nodiscard]] BlockVerdict decide_block(std::span<const Reply> block) noexcept;

}  // namespace rediscluster::detail
