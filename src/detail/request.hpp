#pragma once

// A Request: encoded commands, and for each the facts fixed when it was
// added (where it goes, whether it only reads, whether it blocks). A
// command is analysed once, when it is added; the drivers read the facts
// and never parse the command again.
//
// A Request keeps its storage when cleared, so one reused for command
// after command (the per-thread one of RedisCluster, a reused Pipeline)
// does not allocate in steady state.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detail/command_routing.hpp"
#include "detail/small_vector.hpp"
#include "detail/thread_lease.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster::detail {

/// What is known about a command before it is sent.
struct CommandFacts {
    /// Slot, AllMasters, AllNodes or Random; a Blocked command never gets
    /// this far.
    CommandRoute::Target target = CommandRoute::Target::Random;
    /// How the replies of AllMasters and AllNodes combine.
    ResponsePolicy response = ResponsePolicy::Default;
    /// The keys' slot (Target::Slot).
    std::optional<std::uint16_t> slot = std::nullopt;
    /// The slot only picks a shard: a part of a command sent to every
    /// master, which has no key. A MOVED is then followed, never recorded
    /// against the slot.
    bool slot_picks_shard = false;
    /// This exact node and no other (a part of a command sent to every
    /// node, replicas included); unset: by the slot, or any master.
    std::optional<HostPort> node = std::nullopt;
    /// Only reads: a replica may serve it.
    bool read_only = false;
    /// Blocks its connection on the server (BLPOP...).
    bool blocking = false;
    /// Blocking commands: how long the server may keep the reply back (the
    /// command's own timeout). Its read and its budget are lengthened by
    /// as much, so that neither socket_timeout nor command_timeout cuts a
    /// wait the caller asked for.
    std::optional<BlockTime> block_for = std::nullopt;
};

class Request {
public:
    /// Encodes `args` (args[0] is the name) as one command with `facts`.
    void add(std::span<const std::string_view> args, const CommandFacts& facts);
    /// Adds a command that arrived encoded; `name` is a view of its name
    /// inside `packed`.
    void add_encoded(std::string_view packed, std::string_view name, const CommandFacts& facts);
    /// Drops every command, keeping the storage.
    void clear() noexcept {
        text_.clear();
        commands_.clear();
    }

    [[nodiscard]] std::size_t size() const noexcept { return commands_.size(); }
    [[nodiscard]] bool empty() const noexcept { return commands_.empty(); }
    /// The i-th command, encoded.
    [[nodiscard]] std::string_view packed(std::size_t i) const noexcept {
        return std::string_view(text_).substr(commands_[i].offset, commands_[i].length);
    }
    /// Its name, as given.
    [[nodiscard]] std::string_view name(std::size_t i) const noexcept {
        return std::string_view(text_).substr(commands_[i].name_offset, commands_[i].name_length);
    }
    [[nodiscard]] const CommandFacts& facts(std::size_t i) const noexcept { return commands_[i].facts; }
    /// Drops every command and frees the storage.
    void release_storage() noexcept {
        std::string().swap(text_);
        std::vector<Command>().swap(commands_);
    }
    /// Bytes the encoded text may grow to without allocating.
    [[nodiscard]] std::size_t capacity() const noexcept { return text_.capacity(); }

private:
    struct Command {
        CommandFacts facts;
        std::size_t offset = 0;
        std::size_t length = 0;
        std::size_t name_offset = 0;
        std::size_t name_length = 0;
    };
    std::string text_;
    std::vector<Command> commands_;
};

/// Lends the calling thread's Request for one command: reusing it keeps the
/// capacity earlier commands left, so a command does not allocate to be
/// encoded. A second lease on the same thread while the first is alive (a
/// command started from inside another, as when the client fetches the
/// server's COMMAND table) gets a Request of its own instead.
class ThreadRequest {
public:
    ThreadRequest() noexcept { lease_.get().clear(); }
    ~ThreadRequest();
    ThreadRequest(const ThreadRequest&) = delete;
    ThreadRequest& operator=(const ThreadRequest&) = delete;

    /// Empty at the start of the lease.
    [[nodiscard]] Request& get() noexcept { return lease_.get(); }

private:
    ThreadLease<Request> lease_;
};

/// The arguments of an encoded command, as views into it; inline up to 16,
/// which covers nearly every command without touching the heap.
using PackedArguments = SmallVector<std::string_view, 16>;

/// The arguments of an encoded command (as encode_command writes them).
/// Throws DataError naming the problem when `packed` is not one whole
/// command. For commands that arrive encoded (execute_packed); the
/// client's own commands are never parsed back.
[[nodiscard]] PackedArguments parse_packed_command(std::string_view packed);

}  // namespace rediscluster::detail
