// A pipeline across slots: 100 users written and read back with one
// execute() each, the commands grouped by node and sent together, the
// replies in the order the commands were added.
//
// Usage: pipeline [port]      (default 7000; start the cluster first:
//                              scripts/local-cluster start)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "rediscluster/rediscluster.hpp"

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 7000);
    try {
        rediscluster::RedisCluster rc({.startup_nodes = {{"127.0.0.1", port}}});
        constexpr int kUsers = 100;

        auto pipe = rc.pipeline();
        for (int i = 0; i < kUsers; ++i) {
            const std::string key = "example:user:" + std::to_string(i);
            pipe.set(key, "name-" + std::to_string(i), 60s).incr("example:visits:" + std::to_string(i));
        }
        const auto written = pipe.execute();  // throws the first error, if any
        std::printf("%zu replies from one execute()\n", written.size());

        for (int i = 0; i < kUsers; ++i) pipe.get("example:user:" + std::to_string(i));
        const auto read = pipe.execute();
        int wrong = 0;
        for (int i = 0; i < kUsers; ++i) {
            if (read[static_cast<std::size_t>(i)].str() != "name-" + std::to_string(i)) ++wrong;
        }
        std::printf("read back %d users, %d wrong; user 42 is %s\n", kUsers, wrong,
                    std::string(read[42].str()).c_str());
        return wrong == 0 ? 0 : 1;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "pipeline: %s\n", e.what());
        return 1;
    }
}
