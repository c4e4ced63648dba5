#include "detail/command_catalog.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "detail/small_vector.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::detail {

namespace {

// How long the client goes on without the server's table after failing to
// fetch it, before it asks again.
constexpr std::chrono::seconds kRetryFetchAfter{5};

// Key names; inline as many as CommandRoute::keys.
using KeyNames = SmallVector<std::string_view, 8>;

}  // namespace

std::shared_ptr<const CommandTable> CommandCatalog::server_commands() {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (server_commands_ || now - last_attempt_ < kRetryFetchAfter) return server_commands_;
    last_attempt_ = now;
    try {
        const std::string_view command[] = {"COMMAND"};
        const auto reply = run_(command);
        if (!reply.is_error()) server_commands_ = std::make_shared<const CommandTable>(CommandTable::parse(reply));
    } catch (const Error&) {
        // Unknown commands go to any node meanwhile and follow MOVED.
    }
    return server_commands_;
}

namespace {

// The target of a command without keys, by its request policy tip.
CommandRoute::Target target_of(RequestPolicy policy) {
    switch (policy) {
        case RequestPolicy::AllShards: return CommandRoute::Target::AllMasters;
        case RequestPolicy::AllNodes: return CommandRoute::Target::AllNodes;
        case RequestPolicy::Default:
        case RequestPolicy::MultiShard:  // has keys: routed by them, never here
        case RequestPolicy::Special: break;
    }
    return CommandRoute::Target::Random;
}

}  // namespace

CommandFacts CommandCatalog::analyse(std::span<const std::string_view> args) {
    auto route = route_command(args);
    KeyNames keys;
    for (const auto index : route.keys) keys.push_back(args[index]);
    Reply moved_keys;  // owns the keys COMMAND GETKEYS returned
    // Commands without keys (by the built-in table) go where the server's
    // tips say: every master, every node, or one node. Commands with keys
    // keep their slot (request_policy:multi_shard is not followed: MGET
    // and the like must share a slot), refused commands stay refused, and
    // blocking commands stay on one node (WAIT's all_shards would wait for
    // other connections' writes on every master).
    const bool keyless = route.target == CommandRoute::Target::AllMasters ||
                         route.target == CommandRoute::Target::AllNodes ||
                         route.target == CommandRoute::Target::Random;
    if (!route.known || (keyless && !route.blocking)) {
        const auto table = server_commands();
        const auto* spec = table ? table->find(args[0], args.size() > 1 ? args[1] : std::string_view()) : nullptr;
        if (spec != nullptr && spec->has_tips && keyless && !route.blocking) {
            route.target = target_of(spec->request_policy);
            route.response = spec->response_policy;
        }
        if (spec != nullptr && !route.known) {
            route.read_only = spec->read_only;
            if (spec->movable_keys) {
                std::vector<std::string_view> getkeys{"COMMAND", "GETKEYS"};
                getkeys.insert(getkeys.end(), args.begin(), args.end());
                moved_keys = run_(getkeys);
                // An error ("no key arguments"): any node will do.
                if (!moved_keys.is_error()) {
                    for (const auto& key : moved_keys.elements()) keys.push_back(key.str());
                }
            } else if (spec->first_key > 0) {
                const auto count = static_cast<int>(args.size());
                const int last = spec->last_key < 0 ? count + spec->last_key : spec->last_key;
                for (int i = spec->first_key; i <= last && i < count; i += std::max(spec->step, 1)) {
                    keys.push_back(args[static_cast<std::size_t>(i)]);
                }
            }
            if (!keys.empty()) route.target = CommandRoute::Target::Slot;
        }
    }
    if (route.target == CommandRoute::Target::Blocked) {
        throw RedisClusterException("Command: " + std::string(args[0]) + " is blocked in redis cluster mode: " +
                                    route.reason);
    }
    CommandFacts facts{.target = route.target,
                       .response = route.response,
                       .read_only = route.read_only,
                       .blocking = route.blocking,
                       .block_for = route.block_for};
    if (route.target == CommandRoute::Target::Slot) {
        const auto slot = key_slot(keys.front());
        for (const auto key : keys) {
            if (key_slot(key) != slot) {
                throw ClusterCrossSlotError(std::string(args[0]) + " - all keys must map to the same key slot");
            }
        }
        facts.slot = slot;
    }
    return facts;
}

}  // namespace rediscluster::detail
