#pragma once

// What a Transaction holds behind its public face: the client's core, the
// pinned connection and watched keys, and the queued commands.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detail/batch_rules.hpp"
#include "detail/blocking_driver.hpp"
#include "detail/client_core.hpp"
#include "detail/request.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/transaction.hpp"

namespace rediscluster {

namespace detail {

// Also the state of an asynchronous transaction that watches (its steps
// run through the blocking driver).
struct TransactionState {
    TransactionState(std::shared_ptr<ClientCore> client, std::uint16_t slot) : core(std::move(client)) {
        pinned.slot = slot;
    }
    ~TransactionState() { core->driver().unpin(pinned, false); }
    TransactionState(const TransactionState&) = delete;
    TransactionState& operator=(const TransactionState&) = delete;

    // Refuses a call on a transaction that has run or was discarded.
    void check_open() const {
        if (finished) {
            throw TransactionError("the transaction has already run (exec) or was discarded: start a new one with "
                                   "RedisCluster::transaction()");
        }
    }
    // The facts of a command for this transaction (`at_once`: for now(),
    // else queued): its keys must be in the transaction's slot.
    CommandFacts analyse(std::span<const std::string_view> args, bool at_once) const {
        auto facts = core->catalog().analyse(args);
        check_in_transaction(facts, args[0], pinned.slot, at_once);
        return facts;
    }

    // MULTI, `commands` and EXEC over the pinned connection, which is
    // given back however it ends; the transaction has then run.
    std::optional<CommandFailure> exec(const Request& commands, Reply& reply, std::vector<Reply>& queued_replies) {
        finished = true;
        auto& driver = core->driver();
        struct Unpin {
            BlockingDriver& driver;
            PinnedTransaction& pinned;
            ~Unpin() { driver.unpin(pinned, true); }
        } unpin{driver, pinned};
        return driver.exec(pinned, commands, reply, queued_replies);
    }

    std::shared_ptr<ClientCore> core;
    PinnedTransaction pinned;
    Request queued;
    std::vector<Reply> replies;  // exec()'s, kept when it throws
    bool finished = false;
};

}  // namespace detail

struct Transaction::State : detail::TransactionState {
    using TransactionState::TransactionState;
};

}  // namespace rediscluster
