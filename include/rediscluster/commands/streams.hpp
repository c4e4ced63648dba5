#pragma once

// Typed commands on streams (part of Commands, commands.hpp).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// One stream entry: its ID and its fields and values, in order.
struct StreamEntry {
    std::string id;
    std::vector<std::pair<std::string, std::string>> fields;

    bool operator==(const StreamEntry&) const = default;
};

/// What XPENDING without a range says about a group's pending entries.
struct StreamPendingSummary {
    /// Entries delivered and not yet acknowledged.
    std::int64_t count = 0;
    /// The lowest and highest pending IDs; nullopt when none is pending.
    std::optional<std::string> smallest_id;
    std::optional<std::string> largest_id;
    /// Each consumer with pending entries, and how many it has.
    std::vector<std::pair<std::string, std::int64_t>> consumers;
};

/// What XAUTOCLAIM returns.
struct StreamAutoClaim {
    /// Where the next XAUTOCLAIM should start; "0-0" when the scan is over.
    std::string next_id;
    /// The entries claimed.
    std::vector<StreamEntry> entries;
    /// IDs that were pending but no longer exist (Redis 7 and later; empty
    /// before).
    std::vector<std::string> deleted_ids;
};

/// Options of XADD.
struct XAddOptions {
    /// MAXLEN: trim the stream to about this many entries. Default unset.
    std::optional<std::int64_t> maxlen = std::nullopt;
    /// Trim with "~" (cheaper, the stream may keep a few more). Default false.
    bool approximate = false;
};

namespace detail {

template <>
struct ReplyConverter<StreamEntry> {
    static constexpr bool known = true;
    static std::string name() { return "StreamEntry"; }
    static StreamEntry read(const Reply& reply) {
        // [id, [field, value, ...]]; XCLAIM gives nil for a deleted entry's
        // fields in old servers, read as none.
        using Fields = std::optional<std::vector<std::pair<std::string, std::string>>>;
        auto [id, fields] = ReplyConverter<std::pair<std::string, Fields>>::read(reply);
        return {std::move(id), std::move(fields).value_or(Fields::value_type{})};
    }
};

template <>
struct ReplyConverter<StreamPendingSummary> {
    static constexpr bool known = true;
    static std::string name() { return "StreamPendingSummary"; }
    static StreamPendingSummary read(const Reply& reply) {
        using Consumers = std::optional<std::vector<std::pair<std::string, std::int64_t>>>;
        auto [count, smallest, largest, consumers] =
            ReplyConverter<std::tuple<std::int64_t, std::optional<std::string>, std::optional<std::string>,
                                      Consumers>>::read(reply);
        return {count, std::move(smallest), std::move(largest), std::move(consumers).value_or(Consumers::value_type{})};
    }
};

template <>
struct ReplyConverter<StreamAutoClaim> {
    static constexpr bool known = true;
    static std::string name() { return "StreamAutoClaim"; }
    static StreamAutoClaim read(const Reply& reply) {
        // Redis 6.2 sends [next, entries]; Redis 7 adds the deleted IDs.
        if (is_list(reply) && reply.size() == 2) {
            auto [next, entries] = ReplyConverter<std::pair<std::string, std::vector<StreamEntry>>>::read(reply);
            return {std::move(next), std::move(entries), {}};
        }
        auto [next, entries, deleted] =
            ReplyConverter<std::tuple<std::string, std::vector<StreamEntry>, std::vector<std::string>>>::read(reply);
        return {std::move(next), std::move(entries), std::move(deleted)};
    }
};

// XREADGROUP of one stream: the entries of that stream, from
// [[key, entries]] (RESP2), {key: entries} (RESP3), or null (nothing new).
struct OneStreamEntries {
    using type = std::vector<StreamEntry>;
    static type read(Reply&& reply) {
        auto streams =
            std::move(reply).as<std::optional<std::vector<std::pair<std::string, std::vector<StreamEntry>>>>>();
        if (!streams || streams->empty()) return {};
        return std::move(streams->front().second);
    }
};

}  // namespace detail

/// XADD, XRANGE, XREADGROUP and the other commands on streams. XREADGROUP
/// here reads one stream without BLOCK, so it runs in a Pipeline too.
template <class Runner>
class StreamCommands {
public:
    /// XADD: appends an entry with ID `id` ("*": the server picks one) and
    /// returns the ID it got.
    decltype(auto) xadd(std::string_view key, std::string_view id,
                        std::span<const std::pair<std::string_view, std::string_view>> fields,
                        const XAddOptions& options = {}) {
        detail::require_some("XADD", "field", fields.size());
        detail::CommandArgs args("XADD");
        args.add(key);
        if (options.maxlen) {
            args.add("MAXLEN").add(options.approximate ? "~" : "=").add(*options.maxlen);
        }
        args.add(id).add_pairs(fields);
        return detail::run_args<reply_readers::As<std::string>>(self(), args);
    }
    decltype(auto) xlen(std::string_view key) { return run<reply_readers::Integer>("XLEN", key); }
    /// XRANGE: entries from `start` to `end` ("-" and "+" are the ends),
    /// at most `count` when given.
    decltype(auto) xrange(std::string_view key, std::string_view start = "-", std::string_view end = "+",
                          std::optional<std::int64_t> count = std::nullopt) {
        return range("XRANGE", key, start, end, count);
    }
    /// XREVRANGE: XRANGE from the newest; note `end` comes first.
    decltype(auto) xrevrange(std::string_view key, std::string_view end = "+", std::string_view start = "-",
                             std::optional<std::int64_t> count = std::nullopt) {
        return range("XREVRANGE", key, end, start, count);
    }
    /// XDEL: how many entries were deleted.
    decltype(auto) xdel(std::string_view key, std::span<const std::string_view> ids) {
        return with_ids<reply_readers::Integer>("XDEL", key, {}, ids);
    }
    /// XTRIM MAXLEN: how many entries were removed.
    decltype(auto) xtrim(std::string_view key, std::int64_t maxlen, bool approximate = false) {
        return run<reply_readers::Integer>("XTRIM", key, "MAXLEN", approximate ? "~" : "=", maxlen);
    }

    /// XGROUP CREATE (true: OK); `id` "$" reads only new entries, "0" the
    /// whole stream; `mkstream` creates a missing stream. An existing group
    /// is a ResponseError (BUSYGROUP).
    decltype(auto) xgroup_create(std::string_view key, std::string_view group, std::string_view id = "$",
                                 bool mkstream = false) {
        if (mkstream) return run<reply_readers::As<bool>>("XGROUP", "CREATE", key, group, id, "MKSTREAM");
        return run<reply_readers::As<bool>>("XGROUP", "CREATE", key, group, id);
    }
    /// XREADGROUP of one stream, without blocking: the entries delivered to
    /// `consumer` (`id` ">": new ones; "0": its pending ones), empty when
    /// there is none.
    decltype(auto) xreadgroup(std::string_view group, std::string_view consumer, std::string_view key,
                              std::string_view id = ">", std::optional<std::int64_t> count = std::nullopt) {
        detail::CommandArgs args("XREADGROUP");
        args.add("GROUP").add(group).add(consumer);
        if (count) args.add("COUNT").add(*count);
        args.add("STREAMS").add(key).add(id);
        return detail::run_args<detail::OneStreamEntries>(self(), args);
    }
    /// XACK: how many entries were acknowledged.
    decltype(auto) xack(std::string_view key, std::string_view group, std::span<const std::string_view> ids) {
        return with_ids<reply_readers::Integer>("XACK", key, group, ids);
    }
    /// XPENDING summary of a group.
    decltype(auto) xpending(std::string_view key, std::string_view group) {
        return run<reply_readers::As<StreamPendingSummary>>("XPENDING", key, group);
    }
    /// XCLAIM: gives `consumer` the entries idle for at least `min_idle`;
    /// the entries claimed.
    decltype(auto) xclaim(std::string_view key, std::string_view group, std::string_view consumer,
                          std::chrono::milliseconds min_idle, std::span<const std::string_view> ids) {
        detail::require_some("XCLAIM", "ID", ids.size());
        detail::CommandArgs args("XCLAIM");
        args.add(key).add(group).add(consumer).add(min_idle.count()).add_all(ids);
        return detail::run_args<reply_readers::As<std::vector<StreamEntry>>>(self(), args);
    }
    /// XAUTOCLAIM: XCLAIM of the entries idle for at least `min_idle`,
    /// scanning from `start`.
    decltype(auto) xautoclaim(std::string_view key, std::string_view group, std::string_view consumer,
                              std::chrono::milliseconds min_idle, std::string_view start = "0-0",
                              std::optional<std::int64_t> count = std::nullopt) {
        detail::CommandArgs args("XAUTOCLAIM");
        args.add(key).add(group).add(consumer).add(min_idle.count()).add(start);
        if (count) args.add("COUNT").add(*count);
        return detail::run_args<reply_readers::As<StreamAutoClaim>>(self(), args);
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
    template <class Reader, class... Args>
    decltype(auto) run(const Args&... args) {
        return detail::run<Reader>(self(), args...);
    }
    decltype(auto) range(std::string_view command, std::string_view key, std::string_view from,
                         std::string_view to, std::optional<std::int64_t> count) {
        detail::CommandArgs args(command);
        args.add(key).add(from).add(to);
        if (count) args.add("COUNT").add(*count);
        return detail::run_args<reply_readers::As<std::vector<StreamEntry>>>(self(), args);
    }
    template <class Reader>
    decltype(auto) with_ids(std::string_view command, std::string_view key, std::string_view group,
                            std::span<const std::string_view> ids) {
        detail::require_some(command, "ID", ids.size());
        detail::CommandArgs args(command);
        args.add(key);
        if (!group.empty()) args.add(group);
        args.add_all(ids);
        return detail::run_args<Reader>(self(), args);
    }
};

}  // namespace rediscluster
