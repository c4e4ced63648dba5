// Must not compile: rc.command<T>() of a T nothing converts a Reply to.
// The test that builds this file passes when the compiler stops with the
// static_assert's message (tests/CMakeLists.txt).

#include "rediscluster/client.hpp"

struct NotAReplyType {};

void run_it(rediscluster::RedisCluster& rc) { (void)rc.command<std::optional<NotAReplyType>>("GET", "k"); }
