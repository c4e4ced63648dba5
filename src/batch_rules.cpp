#include "detail/batch_rules.hpp"

#include <string>

#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::detail {

void check_pipelined(const CommandFacts& facts, std::string_view name) {
    const auto refuse = [&](std::string_view why) {
        throw RedisClusterException("Command: " + std::string(name) + " cannot be pipelined: " + std::string(why) +
                                    "; run it on the client");
    };
    if (facts.blocking) refuse("it blocks its connection");
    if (facts.target == CommandRoute::Target::AllMasters) refuse("it runs on every master");
    if (facts.target == CommandRoute::Target::AllNodes) refuse("it runs on every node");
}

void check_in_transaction(const CommandFacts& facts, std::string_view name, std::uint16_t slot, bool at_once) {
    const std::string use = at_once ? "run at once in a transaction" : "queued in a transaction";
    if (facts.target == CommandRoute::Target::AllMasters || facts.target == CommandRoute::Target::AllNodes) {
        throw RedisClusterException("Command: " + std::string(name) + " cannot be " + use +
                                    ": it runs on several nodes; run it on the client");
    }
    if (facts.blocking && at_once) {
        throw RedisClusterException("Command: " + std::string(name) + " cannot be " + use +
                                    ": it would block the transaction's connection");
    }
    if (facts.slot && *facts.slot != slot) {
        throw ClusterCrossSlotError(std::string(name) + ": its keys are in slot " + std::to_string(*facts.slot) +
                                    ", the transaction's slot is " + std::to_string(slot));
    }
}

void check_watched_keys(std::span<const std::string_view> keys, std::uint16_t slot) {
    if (keys.empty()) throw DataError("WATCH needs at least one key");
    for (const auto key : keys) {
        if (key_slot(key) != slot) {
            throw ClusterCrossSlotError("WATCH: key '" + std::string(key) + "' is in slot " +
                                        std::to_string(key_slot(key)) + ", the transaction's slot is " +
                                        std::to_string(slot));
        }
    }
}

}  // namespace rediscluster::detail
