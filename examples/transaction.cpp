// A transfer between two accounts of one user, as a check-and-set
// transaction: WATCH the balances, read them under the watch, then move the
// money in MULTI ... EXEC, and start again when another client changed a
// balance in between. Both keys share the hash tag {user:1}, so one node
// serves them.
//
// Usage: transaction [port]   (default 7000; start the cluster first:
//                              scripts/local-cluster start)

#include <cstdio>
#include <cstdlib>
#include <string>

#include "rediscluster/rediscluster.hpp"

namespace {

// Moves `amount` from checking to savings; false when the funds are short.
bool transfer(rediscluster::RedisCluster& rc, long amount) {
    for (int attempt = 1;; ++attempt) {
        auto tx = rc.transaction("{user:1}");
        tx.watch("{user:1}:checking", "{user:1}:savings");
        const long checking = std::stol(tx.now().get("{user:1}:checking").value_or("0"));
        const long savings = std::stol(tx.now().get("{user:1}:savings").value_or("0"));
        if (checking < amount) {
            tx.discard();
            return false;
        }
        tx.set("{user:1}:checking", std::to_string(checking - amount))
            .set("{user:1}:savings", std::to_string(savings + amount));
        if (tx.exec()) return true;  // nullopt: a balance changed meanwhile
        std::printf("attempt %d: a balance changed, trying again\n", attempt);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
    try {
        rediscluster::RedisCluster rc({.startup_nodes = {{"127.0.0.1", port}}});
        (void)rc.set("{user:1}:checking", "100");
        (void)rc.set("{user:1}:savings", "0");
        const bool first = transfer(rc, 30);
        const bool second = transfer(rc, 80);  // only 70 left: refused
        const auto checking = rc.get("{user:1}:checking").value_or("?");
        const auto savings = rc.get("{user:1}:savings").value_or("?");
        std::printf("transfer 30: %s; transfer 80: %s; checking %s, savings %s\n", first ? "done" : "refused",
                    second ? "done" : "refused", checking.c_str(), savings.c_str());
        return first && !second && checking == "70" && savings == "30" ? 0 : 1;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "transaction: %s\n", e.what());
        return 1;
    }
}
