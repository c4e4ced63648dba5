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
    /// A part: the keys order[first .. first + count), all in `slot`.
    struct Part {
        std::uint16_t slot = 0;
        std::size_t first = 0;
        std::size_t count = 0;
    };
    Merge merge = Merge::Sum;
    /// Arguments per key: 1, or 2 for MSET (key and value).
    std::size_t step = 1;
    std::size_t key_count = 0;
    /// The keys, as their positions among the command's keys (0 is the
    /// first), grouped by part; within a part, in the order given.
    std::vector<std::size_t> order;
    /// One per slot, in the order of each slot's first key.
    std::vector<Part> parts;

    /// The keys of part `index`.
    [[nodiscard]] std::span<const std::size_t> keys_of(std::size_t index) const noexcept {
        return std::span<const std::size_t>(order).subspan(parts[index].first, parts[index].count);
    }
    /// Whether part `index` is sent as a GET: an MGET part of one key,
    /// whose reply is then a value rather than an array of one (which
    /// would cost an allocation per key).
    [[nodiscard]] bool sent_as_get(std::size_t index) const noexcept {
        return merge == Merge::InKeyOrder && parts[index].count == 1;
    }
    /// The arguments of part `index`: the command's name (GET when
    /// sent_as_get()), then the part's keys (with their values for MSET),
    /// as views into `args`.
    void part_arguments(std::span<const std::string_view> args, std::size_t index,
                        std::vector<std::string_view>& out) const;

private:
    friend bool plan_multi_key_split(std::span<const std::string_view> args, MultiKeyPlan& plan);
    std::vector<std::uint64_t> sorted_;  // slot and position, packed for sorting
};

/// Whether `args` may be split: a command above with two keys at least.
/// Only a look at the argument count and the name.
[[nodiscard]] bool may_split_by_slot(std::span<const std::string_view> args) noexcept;

/// Plans the split of `args` into `plan` (whose storage is reused) when it
/// is one of the commands above and its keys span slots; false otherwise
/// (the command then goes as it is, or is refused as before). Cheap for
/// every other command: it looks at the argument count and name first.
/// MSET with keys and values not in pairs throws DataError naming the
/// command.
bool plan_multi_key_split(std::span<const std::string_view> args, MultiKeyPlan& plan);

/// Makes the reply of a part sent as a GET what MGET would have answered:
/// MGET reads a key that holds no string as null, where GET says WRONGTYPE.
void as_mget_answer(Reply& reply);

/// The command's reply, into `out`, from its parts' replies (one per part,
/// in plan order, none an error). MGET's values are swapped in, not
/// copied: the parts' replies get the storage `out` held, so a caller that
/// reuses both allocates nothing per key in steady state. Throws
/// ProtocolError naming the command when a part's reply has the wrong
/// shape (`out` is then unspecified).
void merge_multi_key_replies(const MultiKeyPlan& plan, std::string_view name, std::span<Reply> part_replies,
                             Reply& out);

}  // namespace rediscluster::detail
