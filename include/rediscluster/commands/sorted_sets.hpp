#pragma once

// Typed commands on sorted sets, blocking pops included (part of Commands,
// commands.hpp).

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "rediscluster/commands/base.hpp"
#include "rediscluster/commands/lists.hpp"  // detail::timeout_seconds

namespace rediscluster {

/// One end of a score range: a number (`1.5`), or the command's own syntax
/// as text: "-inf", "+inf", "(1.5" (exclusive). Text is viewed, not copied.
class ScoreBound {
public:
    ScoreBound(double score) noexcept : text_(score) {}  // NOLINT: implicit on purpose
    template <class Text>
        requires std::convertible_to<const Text&, std::string_view>
    ScoreBound(const Text& text) noexcept : text_(std::string_view(text)) {}  // NOLINT: implicit on purpose
    [[nodiscard]] std::string_view view() const noexcept { return text_.view(); }

private:
    ArgumentText text_;
};

/// Options of ZADD with many members. nx excludes xx, gt and lt; gt
/// excludes lt (DataError before anything is sent).
struct ZAddOptions {
    /// NX: only add new members, never update scores. Default false.
    bool nx = false;
    /// XX: only update existing members, never add. Default false.
    bool xx = false;
    /// GT: update a score only when the new one is greater. Default false.
    bool gt = false;
    /// LT: update a score only when the new one is less. Default false.
    bool lt = false;
    /// CH: count changed members too, not only added ones. Default false.
    bool ch = false;
};

/// A member and its score, as sorted-set commands read WITHSCORES.
using ScoredMember = std::pair<std::string, double>;

/// ZADD, ZRANGE, ZPOPMIN, BZPOPMIN and the other commands on sorted sets.
///
/// Blocking pops (bzpopmin, bzpopmax) take a timeout as BLPOP does (see
/// ListCommands) and are refused by a Pipeline when added.
template <class Runner>
class SortedSetCommands {
public:
    decltype(auto) zadd(std::string_view key, double score, std::string_view member) {
        return run<reply_readers::Integer>("ZADD", key, score, member);
    }
    /// ZADD of many (member, score) pairs: how many were added (with ch:
    /// added or changed).
    decltype(auto) zadd(std::string_view key, std::span<const std::pair<std::string_view, double>> members,
                        const ZAddOptions& options = {}) {
        if (options.nx && (options.xx || options.gt || options.lt)) {
            throw DataError("ZADD: nx excludes xx, gt and lt");
        }
        if (options.gt && options.lt) throw DataError("ZADD: gt and lt exclude each other");
        detail::require_some("ZADD", "member", members.size());
        detail::CommandArgs args("ZADD");
        args.add(key);
        if (options.nx) args.add("NX");
        if (options.xx) args.add("XX");
        if (options.gt) args.add("GT");
        if (options.lt) args.add("LT");
        if (options.ch) args.add("CH");
        for (const auto& [member, score] : members) args.add(score).add(member);
        return detail::run_args<reply_readers::Integer>(self(), args);
    }
    /// ZINCRBY: the member's new score.
    decltype(auto) zincrby(std::string_view key, double increment, std::string_view member) {
        return run<reply_readers::As<double>>("ZINCRBY", key, increment, member);
    }
    decltype(auto) zcard(std::string_view key) { return run<reply_readers::Integer>("ZCARD", key); }
    /// ZCOUNT: members with a score between min and max.
    decltype(auto) zcount(std::string_view key, const ScoreBound& min, const ScoreBound& max) {
        return run<reply_readers::Integer>("ZCOUNT", key, min.view(), max.view());
    }
    decltype(auto) zscore(std::string_view key, std::string_view member) {
        return run<reply_readers::OptionalDouble>("ZSCORE", key, member);
    }
    /// ZRANK: the member's rank by ascending score, nullopt when absent.
    decltype(auto) zrank(std::string_view key, std::string_view member) {
        return run<reply_readers::As<std::optional<std::int64_t>>>("ZRANK", key, member);
    }
    /// ZREVRANK: the rank by descending score.
    decltype(auto) zrevrank(std::string_view key, std::string_view member) {
        return run<reply_readers::As<std::optional<std::int64_t>>>("ZREVRANK", key, member);
    }
    /// ZRANGE by rank: the members.
    decltype(auto) zrange(std::string_view key, std::int64_t start, std::int64_t stop) {
        return run<reply_readers::Strings>("ZRANGE", key, start, stop);
    }
    /// ZRANGE ... WITHSCORES: members and scores.
    decltype(auto) zrange_withscores(std::string_view key, std::int64_t start, std::int64_t stop) {
        return run<reply_readers::As<std::vector<ScoredMember>>>("ZRANGE", key, start, stop, "WITHSCORES");
    }
    /// ZREVRANGE: by rank, highest score first.
    decltype(auto) zrevrange(std::string_view key, std::int64_t start, std::int64_t stop) {
        return run<reply_readers::Strings>("ZREVRANGE", key, start, stop);
    }
    decltype(auto) zrevrange_withscores(std::string_view key, std::int64_t start, std::int64_t stop) {
        return run<reply_readers::As<std::vector<ScoredMember>>>("ZREVRANGE", key, start, stop, "WITHSCORES");
    }
    /// ZRANGEBYSCORE: members with a score between min and max, ascending.
    decltype(auto) zrangebyscore(std::string_view key, const ScoreBound& min, const ScoreBound& max) {
        return run<reply_readers::Strings>("ZRANGEBYSCORE", key, min.view(), max.view());
    }
    decltype(auto) zrangebyscore_withscores(std::string_view key, const ScoreBound& min, const ScoreBound& max) {
        return run<reply_readers::As<std::vector<ScoredMember>>>("ZRANGEBYSCORE", key, min.view(), max.view(),
                                                                 "WITHSCORES");
    }
    decltype(auto) zrem(std::string_view key, std::string_view member) {
        return run<reply_readers::Integer>("ZREM", key, member);
    }
    /// ZREM of many members: how many were there.
    decltype(auto) zrem(std::string_view key, std::span<const std::string_view> members) {
        detail::require_some("ZREM", "member", members.size());
        detail::CommandArgs args("ZREM");
        args.add(key).add_all(members);
        return detail::run_args<reply_readers::Integer>(self(), args);
    }
    /// ZREMRANGEBYSCORE: how many members were removed.
    decltype(auto) zremrangebyscore(std::string_view key, const ScoreBound& min, const ScoreBound& max) {
        return run<reply_readers::Integer>("ZREMRANGEBYSCORE", key, min.view(), max.view());
    }
    /// ZPOPMIN: up to `count` members with the lowest scores, lowest first.
    decltype(auto) zpopmin(std::string_view key, std::int64_t count = 1) {
        return run<reply_readers::As<std::vector<ScoredMember>>>("ZPOPMIN", key, count);
    }
    /// ZPOPMAX: up to `count` members with the highest scores, highest first.
    decltype(auto) zpopmax(std::string_view key, std::int64_t count = 1) {
        return run<reply_readers::As<std::vector<ScoredMember>>>("ZPOPMAX", key, count);
    }
    /// BZPOPMIN: the key, member and score popped, or nullopt when the
    /// timeout expired. Keys must share a slot.
    decltype(auto) bzpopmin(std::span<const std::string_view> keys, std::chrono::milliseconds timeout) {
        return blocking_pop("BZPOPMIN", keys, timeout);
    }
    decltype(auto) bzpopmin(std::string_view key, std::chrono::milliseconds timeout) {
        return blocking_pop("BZPOPMIN", std::span<const std::string_view>(&key, 1), timeout);
    }
    /// BZPOPMAX: BZPOPMIN of the highest score.
    decltype(auto) bzpopmax(std::span<const std::string_view> keys, std::chrono::milliseconds timeout) {
        return blocking_pop("BZPOPMAX", keys, timeout);
    }
    decltype(auto) bzpopmax(std::string_view key, std::chrono::milliseconds timeout) {
        return blocking_pop("BZPOPMAX", std::span<const std::string_view>(&key, 1), timeout);
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
    template <class Reader, class... Args>
    decltype(auto) run(const Args&... args) {
        return detail::run<Reader>(self(), args...);
    }
    decltype(auto) blocking_pop(std::string_view command, std::span<const std::string_view> keys,
                                std::chrono::milliseconds timeout) {
        detail::require_some(command, "key", keys.size());
        detail::CommandArgs args(command);
        args.add_all(keys).add(detail::timeout_seconds(timeout));
        return detail::run_args<reply_readers::As<std::optional<std::tuple<std::string, std::string, double>>>>(
            self(), args);
    }
};

}  // namespace rediscluster
