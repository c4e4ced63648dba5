// RedisCluster's scripts: SCRIPT LOAD on every master, and EVALSHA that
// falls back to EVAL when a node does not hold the script.

#include <openssl/evp.h>

#include <array>

#include "rediscluster/client.hpp"

namespace rediscluster {
namespace {

// The script's SHA1 in lower-case hex, the name Redis caches it under.
std::string script_sha1(std::string_view script) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(script.data(), script.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) {
        throw DataError("eval_cached: the script's SHA1 could not be computed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(std::size_t{size} * 2);
    for (unsigned int i = 0; i < size; ++i) {
        hex.push_back(kHex[digest[i] >> 4]);
        hex.push_back(kHex[digest[i] & 0x0f]);
    }
    return hex;
}

}  // namespace

std::string RedisCluster::script_load(std::string_view script) {
    return command<std::string>("SCRIPT", "LOAD", script);
}

Reply RedisCluster::eval_cached(std::string_view script, std::span<const std::string_view> keys,
                                std::span<const std::string_view> args) {
    const auto sha1 = script_sha1(script);
    try {
        return evalsha(sha1, keys, args);
    } catch (const NoScriptError&) {
        // EVAL caches the script on the node that runs it, so the next
        // EVALSHA there succeeds.
        return eval(script, keys, args);
    }
}

}  // namespace rediscluster
