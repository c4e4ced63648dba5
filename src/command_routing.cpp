#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "detail/ascii.hpp"
#include "detail/command_routing.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {
namespace {

using Target = CommandRoute::Target;

// Key positions of commands whose keys sit at fixed places:
// first key, last key (negative counts from the end), step.
struct KeySpec {
    std::string_view name;
    int first;
    int last;
    int step;
    bool read_only;
};

// clang-format off
constexpr std::array kFixedKeys = std::to_array<KeySpec>({
    // strings
    {"APPEND", 1, 1, 1, false}, {"DECR", 1, 1, 1, false}, {"DECRBY", 1, 1, 1, false},
    {"GET", 1, 1, 1, true}, {"GETDEL", 1, 1, 1, false}, {"GETEX", 1, 1, 1, false},
    {"GETRANGE", 1, 1, 1, true}, {"GETSET", 1, 1, 1, false}, {"INCR", 1, 1, 1, false},
    {"INCRBY", 1, 1, 1, false}, {"INCRBYFLOAT", 1, 1, 1, false}, {"MGET", 1, -1, 1, true},
    {"MSET", 1, -1, 2, false}, {"MSETNX", 1, -1, 2, false}, {"PSETEX", 1, 1, 1, false},
    {"SET", 1, 1, 1, false}, {"SETEX", 1, 1, 1, false}, {"SETNX", 1, 1, 1, false},
    {"SETRANGE", 1, 1, 1, false}, {"STRLEN", 1, 1, 1, true}, {"SUBSTR", 1, 1, 1, true},
    {"LCS", 1, 2, 1, true},
    // bits
    {"BITCOUNT", 1, 1, 1, true}, {"BITFIELD", 1, 1, 1, false}, {"BITFIELD_RO", 1, 1, 1, true},
    {"BITOP", 2, -1, 1, false}, {"BITPOS", 1, 1, 1, true}, {"GETBIT", 1, 1, 1, true},
    {"SETBIT", 1, 1, 1, false},
    // keys
    {"COPY", 1, 2, 1, false}, {"DEL", 1, -1, 1, false}, {"DUMP", 1, 1, 1, true},
    {"EXISTS", 1, -1, 1, true}, {"EXPIRE", 1, 1, 1, false}, {"EXPIREAT", 1, 1, 1, false},
    {"EXPIRETIME", 1, 1, 1, true}, {"PERSIST", 1, 1, 1, false}, {"PEXPIRE", 1, 1, 1, false},
    {"PEXPIREAT", 1, 1, 1, false}, {"PEXPIRETIME", 1, 1, 1, true}, {"PTTL", 1, 1, 1, true},
    {"RENAME", 1, 2, 1, false}, {"RENAMENX", 1, 2, 1, false}, {"RESTORE", 1, 1, 1, false},
    {"TOUCH", 1, -1, 1, true}, {"TTL", 1, 1, 1, true}, {"TYPE", 1, 1, 1, true},
    {"UNLINK", 1, -1, 1, false},
    // hashes
    {"HDEL", 1, 1, 1, false}, {"HEXISTS", 1, 1, 1, true}, {"HGET", 1, 1, 1, true},
    {"HGETALL", 1, 1, 1, true}, {"HINCRBY", 1, 1, 1, false}, {"HINCRBYFLOAT", 1, 1, 1, false},
    {"HKEYS", 1, 1, 1, true}, {"HLEN", 1, 1, 1, true}, {"HMGET", 1, 1, 1, true},
    {"HMSET", 1, 1, 1, false}, {"HRANDFIELD", 1, 1, 1, true}, {"HSCAN", 1, 1, 1, false},
    {"HSET", 1, 1, 1, false}, {"HSETNX", 1, 1, 1, false}, {"HSTRLEN", 1, 1, 1, true},
    {"HVALS", 1, 1, 1, true},
    // lists
    {"BLMOVE", 1, 2, 1, false}, {"BLPOP", 1, -2, 1, false}, {"BRPOP", 1, -2, 1, false},
    {"BRPOPLPUSH", 1, 2, 1, false}, {"LINDEX", 1, 1, 1, true}, {"LINSERT", 1, 1, 1, false},
    {"LLEN", 1, 1, 1, true}, {"LMOVE", 1, 2, 1, false}, {"LPOP", 1, 1, 1, false},
    {"LPOS", 1, 1, 1, true}, {"LPUSH", 1, 1, 1, false}, {"LPUSHX", 1, 1, 1, false},
    {"LRANGE", 1, 1, 1, true}, {"LREM", 1, 1, 1, false}, {"LSET", 1, 1, 1, false},
    {"LTRIM", 1, 1, 1, false}, {"RPOP", 1, 1, 1, false}, {"RPOPLPUSH", 1, 2, 1, false},
    {"RPUSH", 1, 1, 1, false}, {"RPUSHX", 1, 1, 1, false},
    // sets
    {"SADD", 1, 1, 1, false}, {"SCARD", 1, 1, 1, true}, {"SDIFF", 1, -1, 1, true},
    {"SDIFFSTORE", 1, -1, 1, false}, {"SINTER", 1, -1, 1, true}, {"SINTERSTORE", 1, -1, 1, false},
    {"SISMEMBER", 1, 1, 1, true}, {"SMEMBERS", 1, 1, 1, true}, {"SMISMEMBER", 1, 1, 1, true},
    {"SMOVE", 1, 2, 1, false}, {"SPOP", 1, 1, 1, false}, {"SRANDMEMBER", 1, 1, 1, true},
    {"SREM", 1, 1, 1, false}, {"SSCAN", 1, 1, 1, false}, {"SUNION", 1, -1, 1, true},
    {"SUNIONSTORE", 1, -1, 1, false},
    // sorted sets
    {"BZPOPMAX", 1, -2, 1, false}, {"BZPOPMIN", 1, -2, 1, false}, {"ZADD", 1, 1, 1, false},
    {"ZCARD", 1, 1, 1, true}, {"ZCOUNT", 1, 1, 1, true}, {"ZINCRBY", 1, 1, 1, false},
    {"ZLEXCOUNT", 1, 1, 1, true}, {"ZMSCORE", 1, 1, 1, true}, {"ZPOPMAX", 1, 1, 1, false},
    {"ZPOPMIN", 1, 1, 1, false}, {"ZRANDMEMBER", 1, 1, 1, true}, {"ZRANGE", 1, 1, 1, true},
    {"ZRANGEBYLEX", 1, 1, 1, true}, {"ZRANGEBYSCORE", 1, 1, 1, true}, {"ZRANGESTORE", 1, 2, 1, false},
    {"ZRANK", 1, 1, 1, true}, {"ZREM", 1, 1, 1, false}, {"ZREMRANGEBYLEX", 1, 1, 1, false},
    {"ZREMRANGEBYRANK", 1, 1, 1, false}, {"ZREMRANGEBYSCORE", 1, 1, 1, false},
    {"ZREVRANGE", 1, 1, 1, true}, {"ZREVRANGEBYLEX", 1, 1, 1, true},
    {"ZREVRANGEBYSCORE", 1, 1, 1, true}, {"ZREVRANK", 1, 1, 1, true}, {"ZSCAN", 1, 1, 1, false},
    {"ZSCORE", 1, 1, 1, true},
    // hyperloglog, geo, streams
    {"PFADD", 1, 1, 1, false}, {"PFCOUNT", 1, -1, 1, true}, {"PFMERGE", 1, -1, 1, false},
    {"GEOADD", 1, 1, 1, false}, {"GEODIST", 1, 1, 1, true}, {"GEOHASH", 1, 1, 1, true},
    {"GEOPOS", 1, 1, 1, true}, {"GEORADIUS_RO", 1, 1, 1, true},
    {"GEORADIUSBYMEMBER_RO", 1, 1, 1, true}, {"GEOSEARCH", 1, 1, 1, true},
    {"GEOSEARCHSTORE", 1, 2, 1, false},
    {"XACK", 1, 1, 1, false}, {"XADD", 1, 1, 1, false}, {"XAUTOCLAIM", 1, 1, 1, false},
    {"XCLAIM", 1, 1, 1, false}, {"XDEL", 1, 1, 1, false}, {"XLEN", 1, 1, 1, true},
    {"XPENDING", 1, 1, 1, true}, {"XRANGE", 1, 1, 1, true}, {"XREVRANGE", 1, 1, 1, true},
    {"XTRIM", 1, 1, 1, false}, {"XSETID", 1, 1, 1, false},
    // pub/sub: the channel goes where a key of its name would. SPUBLISH
    // must; PUBLISH could go anywhere (the cluster relays it to every
    // node), but a channel published through one node keeps its order.
    {"PUBLISH", 1, 1, 1, false}, {"SPUBLISH", 1, 1, 1, false},
    // subcommand-style, key at 2
    {"OBJECT", 2, 2, 1, true},
});
// clang-format on

// Commands whose key count is an argument: the index of the count, and
// whether a destination key comes first (ZUNIONSTORE dest numkeys ...).
struct CountedKeys {
    std::string_view name;
    std::size_t count_at;
    bool destination_first;
    bool read_only;
};
constexpr std::array kCountedKeys = std::to_array<CountedKeys>({
    {"EVAL", 2, false, false},       {"EVALSHA", 2, false, false},   {"EVAL_RO", 2, false, true},
    {"EVALSHA_RO", 2, false, true},  {"FCALL", 2, false, false},     {"FCALL_RO", 2, false, true},
    {"ZUNIONSTORE", 2, true, false}, {"ZINTERSTORE", 2, true, false}, {"ZDIFFSTORE", 2, true, false},
    {"ZUNION", 1, false, true},      {"ZINTER", 1, false, true},     {"ZDIFF", 1, false, true},
    {"ZINTERCARD", 1, false, true},  {"SINTERCARD", 1, false, true}, {"LMPOP", 1, false, false},
    {"ZMPOP", 1, false, false},      {"BLMPOP", 2, false, false},    {"BZMPOP", 2, false, false},
});

// Commands with rules of their own (route_special): whole-cluster
// commands, commands a cluster client refuses, and commands whose keys
// must be found in their arguments.
constexpr auto kSpecialNames = std::to_array<std::string_view>({
    "PING", "DBSIZE", "KEYS", "FLUSHALL", "FLUSHDB", "INFO", "SCRIPT", "FUNCTION",
    "SELECT", "MOVE", "SWAPDB",
    "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH",
    "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR", "SYNC", "PSYNC",
    "SCAN",
    "READONLY", "READWRITE", "ASKING", "AUTH", "HELLO", "QUIT", "RESET",
    "XREAD", "XREADGROUP", "SORT", "SORT_RO", "MEMORY",
});

// Every name above, in one index, so that a command costs one lookup
// rather than a comparison with each name in turn.
enum class Rule : std::uint8_t {
    FixedKeys,    // kFixedKeys[index]
    CountedKeys,  // kCountedKeys[index]
    Special,      // route_special
};

struct CommandEntry {
    std::string_view name;  // upper case, as in the tables
    Rule rule = Rule::Special;
    std::uint16_t index = 0;
};

// The index's order: by length, then by letters ignoring ASCII case. Most
// probes of a binary search then settle on the length alone, and a name
// matches an entry exactly when it is equal to it ignoring case.
constexpr bool name_less(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return a.size() < b.size();
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(ascii_upper(a[i]));
        const auto y = static_cast<unsigned char>(ascii_upper(b[i]));
        if (x != y) return x < y;
    }
    return false;
}

constexpr auto kCommandIndex = [] {
    std::array<CommandEntry, kFixedKeys.size() + kCountedKeys.size() + kSpecialNames.size()> index{};
    std::size_t at = 0;
    for (std::size_t i = 0; i < kFixedKeys.size(); ++i) {
        index[at++] = {kFixedKeys[i].name, Rule::FixedKeys, static_cast<std::uint16_t>(i)};
    }
    for (std::size_t i = 0; i < kCountedKeys.size(); ++i) {
        index[at++] = {kCountedKeys[i].name, Rule::CountedKeys, static_cast<std::uint16_t>(i)};
    }
    for (const auto name : kSpecialNames) index[at++] = {name, Rule::Special, 0};
    std::sort(index.begin(), index.end(),
              [](const CommandEntry& a, const CommandEntry& b) { return name_less(a.name, b.name); });
    return index;
}();

// A name in two places would make the answer depend on which one the
// search hits first; the tables used to be scanned in order instead.
constexpr bool names_are_unique() {
    for (std::size_t i = 1; i < kCommandIndex.size(); ++i) {
        if (!name_less(kCommandIndex[i - 1].name, kCommandIndex[i].name)) return false;
    }
    return true;
}
static_assert(names_are_unique(), "a command name appears twice in the routing tables");

const CommandEntry* search_command(std::string_view name) noexcept {
    const auto found = std::lower_bound(kCommandIndex.begin(), kCommandIndex.end(), name,
                                        [](const CommandEntry& entry, std::string_view wanted) {
                                            return name_less(entry.name, wanted);
                                        });
    if (found == kCommandIndex.end() || name_less(name, found->name)) return nullptr;
    return &*found;
}

// The entry of a command name in any case; nullptr when none. Every
// command looks its name up, often more than once: a thread remembers its
// last few names, byte for byte as given, before searching the index.
const CommandEntry* find_command(std::string_view name) noexcept {
    struct Remembered {
        std::array<char, 16> bytes{};
        std::size_t size = 0;  // 0: nothing remembered
        const CommandEntry* entry = nullptr;
    };
    thread_local std::array<Remembered, 8> remembered;
    if (name.empty() || name.size() > Remembered{}.bytes.size()) return search_command(name);
    auto& place = remembered[(name.size() + static_cast<unsigned char>(name[0])) % remembered.size()];
    if (place.size == name.size() && std::memcmp(place.bytes.data(), name.data(), name.size()) == 0) return place.entry;
    const auto* entry = search_command(name);
    std::memcpy(place.bytes.data(), name.data(), name.size());
    place.size = name.size();
    place.entry = entry;
    return entry;
}

CommandRoute to_every(Target target, ResponsePolicy response) {
    CommandRoute route;
    route.target = target;
    route.response = response;
    return route;
}

CommandRoute blocked(std::string reason) {
    CommandRoute route;
    route.target = Target::Blocked;
    route.reason = std::move(reason);
    return route;
}

// Not in the table: keyless commands (CLUSTER INFO, TIME, ECHO, ...) and
// commands this table does not know; the client asks the server's COMMAND
// table about the latter.
CommandRoute unknown() {
    CommandRoute route;
    route.target = Target::Random;
    route.known = false;
    return route;
}

std::size_t key_count(std::string_view name, std::string_view text, std::size_t available) {
    std::size_t count = 0;
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, count);
    if (text.empty() || result.ec != std::errc{} || result.ptr != end) {
        throw DataError(std::string(name) + ": the key count must be a number, got '" + std::string(text) + "'");
    }
    if (count > available) {
        throw DataError(std::string(name) + ": " + std::to_string(count) + " keys announced but only " +
                        std::to_string(available) + " arguments follow");
    }
    return count;
}

CommandRoute route_fixed(const KeySpec& spec, std::span<const std::string_view> args) {
    // Keys and values in pairs (MSET, MSETNX): an odd count would be sent
    // only for the server to refuse it, or, split by slot, to lose a value.
    if (spec.step == 2 && (args.size() - 1) % 2 != 0) {
        throw DataError(std::string(spec.name) + ": keys and values must come in pairs, got " +
                        std::to_string(args.size() - 1) + " arguments");
    }
    CommandRoute route;
    route.target = Target::Slot;
    route.read_only = spec.read_only;
    const auto arg_count = static_cast<int>(args.size());
    const int last = spec.last < 0 ? arg_count + spec.last : spec.last;
    for (int i = spec.first; i <= last && i < arg_count; i += spec.step) {
        route.keys.push_back(static_cast<std::size_t>(i));
    }
    if (route.keys.empty()) {
        throw DataError("No way to dispatch this command to Redis Cluster. Missing key: " + std::string(spec.name));
    }
    return route;
}

CommandRoute route_counted(const CountedKeys& spec, std::span<const std::string_view> args) {
    CommandRoute route;
    route.target = Target::Slot;
    route.read_only = spec.read_only;
    if (args.size() <= spec.count_at) {
        throw DataError(std::string(spec.name) + ": the key count is missing");
    }
    const auto first = spec.count_at + 1;
    const auto count = key_count(spec.name, args[spec.count_at], args.size() - first);
    if (spec.destination_first) route.keys.push_back(1);
    for (std::size_t i = 0; i < count; ++i) route.keys.push_back(first + i);
    if (route.keys.empty()) {
        route.target = Target::Random;  // EVAL with no key runs anywhere
    }
    return route;
}

// `name` is the command's entry in kSpecialNames (upper case).
CommandRoute route_special(std::string_view name, std::span<const std::string_view> args) {
    const std::string_view sub = args.size() > 1 ? args[1] : std::string_view();
    const auto sub_is = [&](std::string_view wanted) { return equal_ignoring_case(sub, wanted); };

    // Whole-cluster commands, with the policies Redis 7 gives them.
    if (name == "PING" && args.size() == 1) return to_every(Target::AllMasters, ResponsePolicy::AllSucceeded);
    if (name == "DBSIZE") return to_every(Target::AllMasters, ResponsePolicy::AggSum);
    if (name == "KEYS") return to_every(Target::AllMasters, ResponsePolicy::Default);
    if (name == "FLUSHALL" || name == "FLUSHDB") return to_every(Target::AllMasters, ResponsePolicy::AllSucceeded);
    if (name == "INFO") return to_every(Target::AllMasters, ResponsePolicy::Special);
    if (name == "SCRIPT" && (sub_is("LOAD") || sub_is("FLUSH"))) {
        return to_every(Target::AllNodes, ResponsePolicy::AllSucceeded);
    }
    if (name == "FUNCTION" && (sub_is("LOAD") || sub_is("DELETE") || sub_is("FLUSH"))) {
        return to_every(Target::AllMasters, ResponsePolicy::AllSucceeded);
    }

    // Commands a cluster client cannot run for the caller.
    if (name == "SELECT" || name == "MOVE" || name == "SWAPDB") {
        return blocked(std::string(name) + " is not possible in cluster mode: a cluster has database 0 only");
    }
    if (name == "MULTI" || name == "EXEC" || name == "DISCARD" || name == "WATCH" || name == "UNWATCH") {
        return blocked(std::string(name) + " needs one connection for several commands: use RedisCluster::transaction()");
    }
    if (name == "SUBSCRIBE" || name == "PSUBSCRIBE" || name == "SSUBSCRIBE" || name == "UNSUBSCRIBE" ||
        name == "PUNSUBSCRIBE" || name == "SUNSUBSCRIBE") {
        return blocked(std::string(name) + " turns the connection into a stream of messages: use rc.pubsub()");
    }
    if (name == "MONITOR" || name == "SYNC" || name == "PSYNC") {
        return blocked(std::string(name) + " turns the connection into a stream; it cannot run through execute_command");
    }
    if (name == "SCAN") {
        return blocked("SCAN walks one node and its cursor means nothing on another: "
                       "use rc.scan(cursor) or rc.scan_iter(), which visit every master");
    }
    if (name == "READONLY" || name == "READWRITE" || name == "ASKING" || name == "AUTH" || name == "HELLO" ||
        name == "QUIT" || name == "RESET") {
        return blocked(std::string(name) + " changes connection state the client manages itself");
    }

    CommandRoute route;
    route.target = Target::Slot;
    if (name == "XREAD" || name == "XREADGROUP") {
        // Keys are the first half of what follows STREAMS.
        const auto streams = std::find_if(args.begin(), args.end(), [](std::string_view a) { return equal_ignoring_case(a, "STREAMS"); });
        const auto after = static_cast<std::size_t>(args.end() - streams) - 1;
        if (streams == args.end() || after == 0 || after % 2 != 0) {
            throw DataError(std::string(name) + ": expected STREAMS followed by keys and as many IDs");
        }
        const auto first = static_cast<std::size_t>(streams - args.begin()) + 1;
        for (std::size_t i = 0; i < after / 2; ++i) route.keys.push_back(first + i);
        route.read_only = name == "XREAD";
        return route;
    }
    if (name == "SORT" || name == "SORT_RO") {
        route.keys.push_back(1);
        for (std::size_t i = 2; i + 1 < args.size(); ++i) {
            if (equal_ignoring_case(args[i], "STORE")) route.keys.push_back(i + 1);
        }
        route.read_only = name == "SORT_RO";
        return route;
    }
    if (name == "MEMORY" && sub_is("USAGE") && args.size() > 2) {
        route.keys.push_back(2);
        route.read_only = true;
        return route;
    }
    return unknown();  // PING with an argument, SCRIPT EXISTS, MEMORY STATS, ...
}

}  // namespace

namespace {

// Where a blocking command keeps its timeout, and in what unit.
struct TimeoutArgument {
    std::size_t index = 0;  // past the end when the argument is missing
    bool in_seconds = false;
};

// The timeout argument of a command that blocks; unset for one that does
// not. Cheap: most commands are settled by their first letter.
std::optional<TimeoutArgument> timeout_argument(std::span<const std::string_view> args) noexcept {
    if (args.empty() || args[0].empty()) return std::nullopt;
    const char first = ascii_upper(args[0][0]);
    if (first != 'B' && first != 'W' && first != 'X') return std::nullopt;
    const auto name_is = [&](std::string_view name) { return equal_ignoring_case(args[0], name); };
    const auto last = args.size() > 1 ? args.size() - 1 : args.size();
    if (name_is("BLPOP") || name_is("BRPOP") || name_is("BRPOPLPUSH") || name_is("BLMOVE") || name_is("BZPOPMIN") ||
        name_is("BZPOPMAX")) {
        return TimeoutArgument{last, true};
    }
    if (name_is("BLMPOP") || name_is("BZMPOP")) return TimeoutArgument{1, true};
    if (name_is("WAIT")) return TimeoutArgument{2, false};
    if (name_is("WAITAOF")) return TimeoutArgument{3, false};
    if (name_is("XREAD") || name_is("XREADGROUP")) {
        // Options come before STREAMS; what follows it are keys and IDs,
        // any of which may be spelled "BLOCK".
        std::size_t i = name_is("XREADGROUP") && args.size() > 1 && equal_ignoring_case(args[1], "GROUP") ? 4U : 1U;
        while (i < args.size() && !equal_ignoring_case(args[i], "STREAMS")) {
            if (equal_ignoring_case(args[i], "BLOCK")) return TimeoutArgument{i + 1, false};
            i += equal_ignoring_case(args[i], "COUNT") ? 2U : 1U;
        }
    }
    return std::nullopt;
}

[[noreturn]] void bad_timeout(std::string_view name, std::string_view text, std::string_view problem) {
    throw DataError(std::string(name) + ": the timeout " + std::string(problem) + ", got '" + std::string(text) + "'");
}

// Far beyond any wait anyone means, and far from overflowing when added to
// a socket timeout (about 30 years).
constexpr std::int64_t kLongestBlockMs = std::int64_t{1} << 50;

BlockTime parse_block_time(std::string_view name, std::string_view text, bool in_seconds) {
    const auto* end = text.data() + text.size();
    std::int64_t ms = 0;
    if (in_seconds) {
        // A decimal number of seconds ("0.5"), as the server reads it.
        double seconds = 0;
        const auto result = std::from_chars(text.data(), end, seconds, std::chars_format::general);
        if (text.empty() || result.ec != std::errc{} || result.ptr != end || !std::isfinite(seconds)) {
            bad_timeout(name, text, "must be a number of seconds");
        }
        if (seconds < 0) bad_timeout(name, text, "must not be negative");
        const double rounded = std::ceil(seconds * 1000.0);  // a wait of 0.0001 s is not forever
        if (rounded > static_cast<double>(kLongestBlockMs)) bad_timeout(name, text, "is out of range");
        ms = static_cast<std::int64_t>(rounded);
    } else {
        const auto result = std::from_chars(text.data(), end, ms);
        if (result.ec == std::errc::result_out_of_range) bad_timeout(name, text, "is out of range");
        if (text.empty() || result.ec != std::errc{} || result.ptr != end) {
            bad_timeout(name, text, "must be a whole number of milliseconds");
        }
        if (ms < 0) bad_timeout(name, text, "must not be negative");
        if (ms > kLongestBlockMs) bad_timeout(name, text, "is out of range");
    }
    return BlockTime{std::chrono::milliseconds(ms)};
}

}  // namespace

bool command_blocks(std::span<const std::string_view> args) noexcept { return timeout_argument(args).has_value(); }

std::optional<BlockTime> command_block_time(std::span<const std::string_view> args) {
    const auto argument = timeout_argument(args);
    if (!argument) return std::nullopt;
    if (argument->index == 0 || argument->index >= args.size()) {
        throw DataError(std::string(args[0]) + ": the timeout is missing");
    }
    return parse_block_time(args[0], args[argument->index], argument->in_seconds);
}

std::optional<std::chrono::milliseconds> extended_by(std::optional<std::chrono::milliseconds> limit,
                                                     const std::optional<BlockTime>& block) noexcept {
    if (!block) return limit;
    if (!limit || block->forever()) return std::nullopt;
    if (*limit > std::chrono::milliseconds::max() - block->time) return std::chrono::milliseconds::max();
    return *limit + block->time;
}

bool command_is_read_only(std::string_view name) noexcept {
    const auto* entry = find_command(name);
    if (entry == nullptr) return false;
    switch (entry->rule) {
        case Rule::FixedKeys: return kFixedKeys[entry->index].read_only;
        case Rule::CountedKeys: return kCountedKeys[entry->index].read_only;
        case Rule::Special: return entry->name == "XREAD" || entry->name == "SORT_RO";
    }
    return false;
}

namespace {

CommandRoute route_by_table(std::span<const std::string_view> args) {
    const auto* entry = find_command(args[0]);
    if (entry == nullptr) return unknown();
    switch (entry->rule) {
        case Rule::FixedKeys: return route_fixed(kFixedKeys[entry->index], args);
        case Rule::CountedKeys: return route_counted(kCountedKeys[entry->index], args);
        case Rule::Special: return route_special(entry->name, args);
    }
    return unknown();
}

}  // namespace

CommandRoute route_command(std::span<const std::string_view> args) {
    if (args.empty()) throw DataError("Unable to determine command to use: the command is empty");
    auto route = route_by_table(args);
    route.block_for = command_block_time(args);
    route.blocking = route.block_for.has_value();
    return route;
}

}  // namespace rediscluster::detail
