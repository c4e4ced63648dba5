#pragma once

// Multi-key commands whose keys span slots: MGET, MSET, DEL, EXISTS,
// UNLINK and TOUCH. A cluster node refuses keys of different slots in one
// command (CROSSSLOT), so the client splits such a command into one part
// per slot, runs the parts as one batch (each retried on its own, like a
// pipeline's commands) and merges their replies into the one reply the
// command would have given. Planning and merging are pure functions here;
// the client core runs the parts.
//
// Not atomic: the parts run on different nodes, each on its own. MSETNX is
// not split, since "set all or none" cannot hold across nodes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "rediscluster/resp.hpp"

namespace rediscluster::detail {

struct MultiKeyPlan {
    /// How the parts' replies become one.
    enum class Merge {
        InKeyOrder,  // MGET: each key's value, in the order the keys were given
        AllOk,       // MSET: OK when every part said OK
        Sum,         // DEL, EXISTS, UNLINK, TOUCH: the parts' counts added
    };
    struct Part {
        std::uint16_t slot = 0;
        /// The part's keys, as their positions among the command's keys
        /// (0 is the first key), in the order given.
        std::vector<std::size_t> keys;
    };
    Merge merge = Merge::Sum;
    /// Arguments per key: 1, or 2 for MSET (key and value).
    std::size_t step = 1;
    std::size_t key_count = 0;
    /// One per slot, in the order of each slot's first key.
    std::vector<Part> parts;

    /// The arguments of part `index`: the command's name, then the part's
    /// keys (with their values for MSET), as views into `args`.
    void part_arguments(std::span<const std::string_view> args, std::size_t index,
                        std::vector<std::string_view>& out) const;
};

/// The split of `args` when it is one of the commands above and its keys
/// span slots; nullopt otherwise (the command then goes as it is, or is
/// refused as before). Cheap for every other command: it looks at the
/// argument count and name first. MSET with keys and values not in pairs
/// throws DataError naming the command.
[[nodiscard]] std::optional<MultiKeyPlan> plan_multi_key_split(std::span<const std::string_view> args);

/// The command's reply from its parts' replies (one per part, in plan
/// order, none an error). Throws ProtocolError naming the command when a
/// part's reply has the wrong shape.
[[nodiscard]] Reply merge_multi_key_replies(const MultiKeyPlan& plan, std::string_view name,
                                            std::span<Reply> part_replies);

}  // namespace rediscluster::detail
