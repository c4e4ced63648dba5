#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "detail/ascii.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"

namespace rediscluster {
namespace {

std::string_view without_brackets(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        return host.substr(1, host.size() - 2);
    }
    return host;
}

// The binary form of an IP literal (family and 16 bytes), if it is one.
std::optional<std::pair<int, std::array<unsigned char, 16>>> ip_bytes(std::string_view host) {
    const std::string text(without_brackets(host));
    std::array<unsigned char, 16> bytes{};
    if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
        return std::pair{AF_INET, bytes};
    }
    if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
        return std::pair{AF_INET6, bytes};
    }
    return std::nullopt;
}

[[noreturn]] void invalid_rule(std::size_t index, const std::string& message) {
    throw RedisClusterConfigError(message + " (host_port_remap rule " + std::to_string(index) + ")");
}

void validate(const std::vector<HostPortRemapRule>& rules) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const auto& rule = rules[i];
        if (rule.from_host.has_value() != rule.to_host.has_value()) {
            invalid_rule(i, "Both from_host and to_host must be present in host_port_remap rule if either is defined");
        }
        if (rule.from_port.has_value() != rule.to_port.has_value()) {
            invalid_rule(i, "Both from_port and to_port must be present in host_port_remap rule if either is defined");
        }
        if ((rule.from_host && rule.from_host->empty()) || (rule.to_host && rule.to_host->empty())) {
            invalid_rule(i, "from_host and to_host in host_port_remap rule must not be empty");
        }
        if ((rule.from_port && *rule.from_port == 0) || (rule.to_port && *rule.to_port == 0)) {
            invalid_rule(i, "from_port and to_port in host_port_remap rule must be in 1..65535");
        }
    }
}

std::uint16_t parse_port(std::size_t index, const std::string& key, const std::string& value) {
    unsigned number = 0;
    const auto* end = value.data() + value.size();
    const auto result = std::from_chars(value.data(), end, number);
    if (value.empty() || result.ec != std::errc{} || result.ptr != end || number == 0 || number > 65535) {
        invalid_rule(index, key + " must be an integer in 1..65535, got '" + value + "'");
    }
    return static_cast<std::uint16_t>(number);
}

bool rule_matches(const HostPortRemapRule& rule, const HostPort& address) {
    if (!rule.from_host && !rule.from_port) {
        return false;  // an empty rule never matches, as in the original
    }
    return (!rule.from_host || same_host(*rule.from_host, address.host)) &&
           (!rule.from_port || *rule.from_port == address.port);
}

}  // namespace

bool same_host(std::string_view a, std::string_view b) {
    a = without_brackets(a);
    b = without_brackets(b);
    if (detail::equal_ignoring_case(a, b)) {
        return true;
    }
    const auto x = ip_bytes(a);
    const auto y = ip_bytes(b);
    return x && y && *x == *y;
}

HostPortRemap::HostPortRemap(std::map<HostPort, HostPort> exact) : exact_(std::move(exact)) {
    for (const auto& [from, to] : exact_) {
        if (from.host.empty() || to.host.empty() || from.port == 0 || to.port == 0) {
            throw RedisClusterConfigError("host_port_remap entry " + from.host + ":" + std::to_string(from.port) +
                                          " -> " + to.host + ":" + std::to_string(to.port) +
                                          " needs non-empty hosts and ports in 1..65535");
        }
    }
}

HostPortRemap::HostPortRemap(std::vector<HostPortRemapRule> rules) : rules_(std::move(rules)) {
    validate(rules_);
}

HostPortRemap::HostPortRemap(Function function) : function_(std::move(function)) {}

HostPortRemap HostPortRemap::from_rules(const std::vector<std::map<std::string, std::string>>& rules) {
    std::vector<HostPortRemapRule> typed;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        HostPortRemapRule rule;
        for (const auto& [key, value] : rules[i]) {
            if (key == "from_host") {
                rule.from_host = value;
            } else if (key == "to_host") {
                rule.to_host = value;
            } else if (key == "from_port") {
                rule.from_port = parse_port(i, key, value);
            } else if (key == "to_port") {
                rule.to_port = parse_port(i, key, value);
            } else {
                invalid_rule(i, "Invalid keys provided in host_port_remap rule: '" + key +
                                    "' (expected from_host, from_port, to_host, to_port)");
            }
        }
        typed.push_back(std::move(rule));
    }
    return HostPortRemap(std::move(typed));
}

HostPort HostPortRemap::apply(const HostPort& address) const {
    if (function_) {
        return function_(address);
    }
    for (const auto& [from, to] : exact_) {
        if (from.port == address.port && same_host(from.host, address.host)) {
            return to;
        }
    }
    for (const auto& rule : rules_) {
        if (rule_matches(rule, address)) {
            return HostPort{rule.to_host.value_or(address.host), rule.to_port.value_or(address.port)};
        }
    }
    return address;
}

bool HostPortRemap::empty() const noexcept { return !function_ && exact_.empty() && rules_.empty(); }

}  // namespace rediscluster
