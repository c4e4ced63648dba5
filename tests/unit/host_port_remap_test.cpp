#include <gtest/gtest.h>

#include "support/error_of.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster {
namespace {

using test::error_of;

TEST(HostPortRemap, EmptyRemapKeepsEveryAddress) {
    const HostPortRemap remap;
    EXPECT_TRUE(remap.empty());
    EXPECT_EQ(remap.apply({"10.0.0.1", 7000}), (HostPort{"10.0.0.1", 7000}));
}

TEST(HostPortRemap, ExactMapAsInTheSpec) {
    const HostPortRemap remap(std::map<HostPort, HostPort>{
        {{"internal-node1", 7000}, {"external-node1.example.com", 7000}},
        {{"internal-node2", 7001}, {"external-node2.example.com", 7001}},
    });
    EXPECT_EQ(remap.apply({"internal-node1", 7000}), (HostPort{"external-node1.example.com", 7000}));
    EXPECT_EQ(remap.apply({"INTERNAL-NODE2", 7001}), (HostPort{"external-node2.example.com", 7001}));
    EXPECT_EQ(remap.apply({"internal-node1", 7001}), (HostPort{"internal-node1", 7001}));
    EXPECT_THROW(HostPortRemap(std::map<HostPort, HostPort>{{{"", 1}, {"a", 1}}}), RedisClusterConfigError);
}

TEST(HostPortRemap, RulesRewriteHostPortOrBothFirstMatchWins) {
    const HostPortRemap remap(std::vector<HostPortRemapRule>{
        {.from_host = "10.0.0.1", .from_port = 7000, .to_host = "127.0.0.1", .to_port = 17000},
        {.from_host = "10.0.0.1", .to_host = "localhost"},
        {.from_port = 7005, .to_port = 17005},
        {.from_host = "10.0.0.1", .to_host = "never-reached"},
    });
    EXPECT_EQ(remap.apply({"10.0.0.1", 7000}), (HostPort{"127.0.0.1", 17000}));
    EXPECT_EQ(remap.apply({"10.0.0.1", 7001}), (HostPort{"localhost", 7001}));
    EXPECT_EQ(remap.apply({"10.9.9.9", 7005}), (HostPort{"10.9.9.9", 17005}));
    EXPECT_EQ(remap.apply({"10.9.9.9", 7006}), (HostPort{"10.9.9.9", 7006}));
}

TEST(HostPortRemap, HostNamesAreAcceptedUnlikeTheOriginal) {
    const HostPortRemap remap(std::vector<HostPortRemapRule>{{.from_host = "redis-0.internal", .to_host = "localhost"}});
    EXPECT_EQ(remap.apply({"redis-0.internal", 6379}), (HostPort{"localhost", 6379}));
}

TEST(HostPortRemap, IpAddressesCompareByValue) {
    const HostPortRemap remap(std::vector<HostPortRemapRule>{{.from_host = "::1", .to_host = "127.0.0.1"}});
    EXPECT_EQ(remap.apply({"0:0:0:0:0:0:0:1", 7000}).host, "127.0.0.1");
    EXPECT_EQ(remap.apply({"[::1]", 7000}).host, "127.0.0.1");
    EXPECT_TRUE(same_host("127.0.0.1", "127.0.0.1"));
    EXPECT_FALSE(same_host("127.0.0.1", "127.0.0.2"));
    EXPECT_TRUE(same_host("LocalHost", "localhost"));
}

TEST(HostPortRemap, EmptyRuleNeverMatches) {
    const HostPortRemap remap(std::vector<HostPortRemapRule>{{}});
    EXPECT_EQ(remap.apply({"10.0.0.1", 7000}), (HostPort{"10.0.0.1", 7000}));
}

TEST(HostPortRemap, RuleValidationUsesTheOriginalsMessages) {
    EXPECT_EQ(error_of<RedisClusterConfigError>([] { HostPortRemap(std::vector<HostPortRemapRule>{{.from_host = "a"}}); }),
              "Both from_host and to_host must be present in host_port_remap rule if either is defined "
              "(host_port_remap rule 0)");
    EXPECT_EQ(error_of<RedisClusterConfigError>([] {
                  HostPortRemap(std::vector<HostPortRemapRule>{{}, {.to_port = 1}});
              }),
              "Both from_port and to_port must be present in host_port_remap rule if either is defined "
              "(host_port_remap rule 1)");
    EXPECT_NE(error_of<RedisClusterConfigError>([] { HostPortRemap(std::vector<HostPortRemapRule>{{.from_host = "", .to_host = "b"}}); })
                  .find("must not be empty"),
              std::string::npos);
    EXPECT_NE(error_of<RedisClusterConfigError>([] { HostPortRemap(std::vector<HostPortRemapRule>{{.from_port = 0, .to_port = 1}}); })
                  .find("1..65535"),
              std::string::npos);
}

TEST(HostPortRemap, UntypedRulesAreValidated) {
    const auto remap = HostPortRemap::from_rules(
        {{{"from_host", "10.0.0.1"}, {"to_host", "127.0.0.1"}, {"from_port", "7000"}, {"to_port", "7100"}}});
    EXPECT_EQ(remap.apply({"10.0.0.1", 7000}), (HostPort{"127.0.0.1", 7100}));
    EXPECT_EQ(error_of<RedisClusterConfigError>([] { (void)HostPortRemap::from_rules({{{"from_hots", "a"}}}); }),
              "Invalid keys provided in host_port_remap rule: 'from_hots' (expected from_host, from_port, "
              "to_host, to_port) (host_port_remap rule 0)");
    EXPECT_EQ(error_of<RedisClusterConfigError>([] { (void)HostPortRemap::from_rules({{{"from_port", "7000x"}, {"to_port", "1"}}}); }),
              "from_port must be an integer in 1..65535, got '7000x' (host_port_remap rule 0)");
    EXPECT_THROW((void)HostPortRemap::from_rules({{{"from_port", "70000"}, {"to_port", "1"}}}), RedisClusterConfigError);
    EXPECT_THROW((void)HostPortRemap::from_rules({{{"from_host", "a"}}}), RedisClusterConfigError);
}

TEST(HostPortRemap, FunctionForm) {
    const HostPortRemap remap([](const HostPort& address) {
        return HostPort{"127.0.0.1", static_cast<std::uint16_t>(address.port + 100)};
    });
    EXPECT_FALSE(remap.empty());
    EXPECT_EQ(remap.apply({"10.1.2.3", 7000}), (HostPort{"127.0.0.1", 7100}));
}

}  // namespace
}  // namespace rediscluster
