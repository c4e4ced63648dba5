#include "detail/command_policy.hpp"

#include <array>
#include <cstddef>

namespace rediscluster::detail {
namespace {

constexpr std::string_view kRequestPrefix = "request_policy:";
constexpr std::string_view kResponsePrefix = "response_policy:";

// The names the server uses, in the order of the enumerations.
constexpr std::array<std::string_view, 5> kRequestNames = {"default", "all_shards", "all_nodes", "multi_shard",
                                                           "special"};
constexpr std::array<std::string_view, 9> kResponseNames = {
    "default", "one_succeeded", "all_succeeded", "agg_logical_and", "agg_logical_or", "agg_min", "agg_max", "agg_sum",
    "special"};

template <class Policy, std::size_t N>
std::optional<Policy> find_policy(const std::array<std::string_view, N>& names, std::string_view value) {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == value) return static_cast<Policy>(i);
    }
    return std::nullopt;
}

}  // namespace

PolicyTip parse_policy_tip(std::string_view tip) noexcept {
    PolicyTip parsed;
    // The server writes tips in lower case; so does its documentation.
    if (tip.starts_with(kRequestPrefix)) {
        parsed.request = find_policy<RequestPolicy>(kRequestNames, tip.substr(kRequestPrefix.size()));
    } else if (tip.starts_with(kResponsePrefix)) {
        parsed.response = find_policy<ResponsePolicy>(kResponseNames, tip.substr(kResponsePrefix.size()));
    }
    return parsed;
}

std::string_view to_string(RequestPolicy policy) noexcept { return kRequestNames[static_cast<std::size_t>(policy)]; }
std::string_view to_string(ResponsePolicy policy) noexcept { return kResponseNames[static_cast<std::size_t>(policy)]; }

}  // namespace rediscluster::detail
