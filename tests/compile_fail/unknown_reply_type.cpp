// Must not compile: nothing converts a Reply to this type. The test that
// builds this file passes when the compiler stops with the static_assert's
// message (tests/CMakeLists.txt).

#include "rediscluster/resp.hpp"

struct NotAReplyType {};

void read_it(const rediscluster::Reply& reply) { (void)reply.as<std::vector<NotAReplyType>>(); }
