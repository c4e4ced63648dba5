#include <gtest/gtest.h>

#include <optional>

#include "rediscluster/errors.hpp"

namespace rediscluster {
namespace {

// Each catch below is what a Python user of the original could write; the
// C++ hierarchy must let the same handler catch the same errors.
template <class Caught, class Thrown>
bool caught_as(const Thrown& error) {
    try {
        throw error;
    } catch (const Caught&) {
        return true;
    } catch (...) {
        return false;
    }
}

TEST(Errors, EverythingIsAnErrorAndAStdException) {
    EXPECT_TRUE(caught_as<Error>(MovedError("1 h:1", 1, "h", 1)));
    EXPECT_TRUE(caught_as<std::exception>(SlotNotCoveredError("x")));
    EXPECT_TRUE(caught_as<std::runtime_error>(RedisClusterConfigError("x")));
    EXPECT_TRUE(caught_as<Error>(ClusterDownError("CLUSTERDOWN")));
}

TEST(Errors, ConnectionFamily) {
    EXPECT_TRUE(caught_as<ConnectionError>(AuthenticationError("x")));
    EXPECT_TRUE(caught_as<ConnectionError>(BusyLoadingError("x")));
    EXPECT_TRUE(caught_as<RedisError>(ConnectionError("x")));
    EXPECT_FALSE(caught_as<ConnectionError>(TimeoutError("x")));
    EXPECT_TRUE(caught_as<RedisError>(TimeoutError("x")));
}

TEST(Errors, ResponseFamily) {
    EXPECT_TRUE(caught_as<AskError>(MovedError("1 h:1", 1, "h", 1)));
    EXPECT_TRUE(caught_as<ResponseError>(MovedError("1 h:1", 1, "h", 1)));
    EXPECT_FALSE(caught_as<MovedError>(AskError("1 h:1", 1, "h", 1)));
    EXPECT_TRUE(caught_as<ResponseError>(TryAgainError("x")));
    EXPECT_TRUE(caught_as<ResponseError>(ClusterCrossSlotError()));
    EXPECT_TRUE(caught_as<ResponseError>(ReadOnlyError("x")));
    EXPECT_FALSE(caught_as<ConnectionError>(ResponseError("x")));
}

TEST(Errors, ClusterDownIsBothAClusterErrorAndAResponseError) {
    EXPECT_TRUE(caught_as<ClusterError>(ClusterDownError("x")));
    EXPECT_TRUE(caught_as<ResponseError>(ClusterDownError("x")));
    EXPECT_TRUE(caught_as<ClusterDownError>(MasterDownError("x")));
    EXPECT_TRUE(caught_as<ClusterError>(MasterDownError("x")));
    EXPECT_TRUE(caught_as<RedisError>(MasterDownError("x")));
}

TEST(Errors, ClientSideFamiliesAreNotRedisErrors) {
    EXPECT_TRUE(caught_as<RedisClusterException>(SlotNotCoveredError("x")));
    EXPECT_FALSE(caught_as<RedisError>(SlotNotCoveredError("x")));
    EXPECT_FALSE(caught_as<RedisError>(RedisClusterConfigError("x")));
    EXPECT_FALSE(caught_as<RedisClusterException>(RedisClusterConfigError("x")));
}

TEST(Errors, ProtocolAndDataErrorsAreRedisErrors) {
    EXPECT_TRUE(caught_as<RedisError>(ProtocolError("x")));
    EXPECT_TRUE(caught_as<RedisError>(DataError("x")));
    EXPECT_FALSE(caught_as<ResponseError>(ProtocolError("x")));
}

TEST(Errors, RedirectsCarryTheirTarget) {
    const MovedError moved("3999 127.0.0.1:6381", 3999, "127.0.0.1", 6381);
    EXPECT_EQ(moved.slot_id, 3999);
    EXPECT_EQ(moved.host, "127.0.0.1");
    EXPECT_EQ(moved.port, 6381);
    EXPECT_EQ(moved.node_addr(), "127.0.0.1:6381");
    EXPECT_STREQ(moved.what(), "3999 127.0.0.1:6381");
}

TEST(Errors, CanBeStoredAndReassignedWithoutWarnings) {
    // Built with -Werror: a generated move assignment of the virtual bases
    // would warn (-Wvirtual-move-assign) right here.
    std::optional<MovedError> moved;
    moved = MovedError("1 a:1", 1, "a", 1);
    moved = MovedError("2 b:2", 2, "b", 2);
    EXPECT_EQ(moved->port, 2);
    std::optional<ClusterDownError> down;
    down = ClusterDownError("CLUSTERDOWN x");
    down = ClusterDownError("CLUSTERDOWN y");
    EXPECT_STREQ(down->what(), "CLUSTERDOWN y");
}

TEST(Errors, CrossSlotHasTheOriginalsMessage) {
    EXPECT_STREQ(ClusterCrossSlotError().what(), "Keys in request don't hash to the same slot");
}

}  // namespace
}  // namespace rediscluster
