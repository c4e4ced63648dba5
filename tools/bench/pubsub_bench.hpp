#pragma once

// rediscluster-bench -t pubsub: --ops messages of --value-size bytes,
// published round robin on --channels channels (pipelines of --pipeline
// PUBLISH, default 100) and received by one PubSub subscribed to them all;
// messages per second from the first publish to the last message
// received, and the client CPU per message (publisher and subscriber
// together, both in this process). With --compare, the server's own rate:
// redis-benchmark running PUBLISH on the first channel's master
// (-c 8 -P 16) while the PubSub stays subscribed to that channel, so the
// server delivers every message as in our run.

#include <cstdio>

#include "bench/options.hpp"

namespace rediscluster {
class RedisCluster;
}

namespace rediscluster_bench {

/// Runs the pub/sub benchmark and prints its report to `out`. Returns the
/// exit status (1 when a message was lost or redis-benchmark failed).
int run_pubsub_bench(rediscluster::RedisCluster& client, const BenchOptions& options, std::FILE* out);

}  // namespace rediscluster_bench
