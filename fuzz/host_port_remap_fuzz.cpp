// libFuzzer target for remap rules in the original's untyped form: the input
// is split into rules and key=value pairs; validation must either accept
// (and then remap without crashing) or throw RedisClusterConfigError.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace rediscluster;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // Rules are separated by '\n', pairs by ';', key and value by '='.
    std::vector<std::map<std::string, std::string>> rules(1);
    std::string_view rest = input;
    while (!rest.empty()) {
        const auto end = rest.find_first_of(";\n");
        const auto pair = rest.substr(0, end);
        const auto equals = pair.find('=');
        if (equals != std::string_view::npos) {
            rules.back()[std::string(pair.substr(0, equals))] = std::string(pair.substr(equals + 1));
        }
        if (end == std::string_view::npos) break;
        if (rest[end] == '\n') rules.emplace_back();
        rest.remove_prefix(end + 1);
    }
    try {
        const auto remap = HostPortRemap::from_rules(rules);
        (void)remap.apply({"10.0.0.1", 7000});
        (void)remap.apply({"::1", 7001});
        (void)remap.apply({"localhost", 1});
    } catch (const RedisClusterConfigError&) {
    }
    return 0;
}
