// The scans: ClusterScanCursor, and each SCAN, SSCAN, HSCAN and ZSCAN call
// encoded, run through the driver and read. Where a call goes is
// ClusterScan's decision (cluster_scan.cpp); retries are the driver's.

#include <charconv>

#include "detail/blocking_driver.hpp"
#include "detail/client_core.hpp"
#include "detail/request.hpp"
#include "detail/scan_calls.hpp"
#include "rediscluster/commands.hpp"
#include "rediscluster/error_reply.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {

// --- ClusterScanCursor ------------------------------------------------------

ClusterScanCursor::ClusterScanCursor() noexcept = default;
ClusterScanCursor::~ClusterScanCursor() = default;
ClusterScanCursor::ClusterScanCursor(const ClusterScanCursor& other)
    : state_(other.state_ ? std::make_unique<detail::ClusterScan>(*other.state_) : nullptr) {}
ClusterScanCursor& ClusterScanCursor::operator=(const ClusterScanCursor& other) {
    if (this != &other) state_ = other.state_ ? std::make_unique<detail::ClusterScan>(*other.state_) : nullptr;
    return *this;
}
ClusterScanCursor::ClusterScanCursor(ClusterScanCursor&& other) noexcept = default;
ClusterScanCursor& ClusterScanCursor::operator=(ClusterScanCursor&& other) noexcept = default;

bool ClusterScanCursor::done() const noexcept { return state_ && state_->done(); }
std::size_t ClusterScanCursor::shards() const noexcept { return state_ ? state_->shard_count() : 0; }
std::size_t ClusterScanCursor::shards_done() const noexcept { return state_ ? state_->shards_done() : 0; }
std::size_t ClusterScanCursor::restarts() const noexcept { return state_ ? state_->restarts() : 0; }

}  // namespace rediscluster

namespace rediscluster::detail {

namespace {

// The text of a number, in a buffer of its own.
struct NumberText {
    char digits[24];
    std::size_t length = 0;

    explicit NumberText(std::uint64_t value) {
        length = static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, value).ptr - digits);
    }
    [[nodiscard]] std::string_view view() const noexcept { return {digits, length}; }
};

// Runs `name [key] cursor [MATCH m] [COUNT n] [TYPE t]`, routed by `slot`,
// as one command of the driver. Returns the reply's cursor, and the reply
// (its page is reply[1]).
std::pair<std::uint64_t, Reply> run_scan_command(ClientCore& core, std::string_view name, std::string_view key,
                                                 std::uint64_t cursor, std::uint16_t slot, const ScanOptions& options) {
    const NumberText cursor_text(cursor);
    const NumberText count_text(options.count.value_or(0));
    std::string_view args[9];
    std::size_t count = 0;
    args[count++] = name;
    if (name != "SCAN") args[count++] = key;
    args[count++] = cursor_text.view();
    if (!options.match.empty()) {
        args[count++] = "MATCH";
        args[count++] = options.match;
    }
    if (options.count) {
        args[count++] = "COUNT";
        args[count++] = count_text.view();
    }
    if (!options.type.empty()) {
        args[count++] = "TYPE";
        args[count++] = options.type;
    }

    // To the slot's master, never a replica (read_only stays false): the
    // cursor must come back to the node that issued it.
    const CommandFacts facts{.target = CommandRoute::Target::Slot, .slot = slot, .read_only = false};
    ThreadRequest lease;
    lease.get().add(std::span<const std::string_view>(args, count), facts);
    Reply reply;
    if (const auto failure = core.driver().run(lease.get(), 0, reply)) raise(*failure, reply);
    if (reply.is_error()) throw_error_reply(reply.str());

    const auto malformed = [&](std::string_view what) {
        return ProtocolError(std::string(name) + ": expected a cursor and an array, got " + reply.to_debug_string() +
                             " (" + std::string(what) + ")");
    };
    if (!reply.is_aggregate() || reply.size() != 2) throw malformed("not two elements");
    if (!reply[0].is_string()) throw malformed("the cursor is not a string");
    if (!reply[1].is_aggregate()) throw malformed("the page is not an array");
    const auto text = reply[0].str();
    std::uint64_t next = 0;
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), next);
    if (text.empty() || parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size()) {
        throw malformed("the cursor is not a number");
    }
    return {next, std::move(reply)};
}

// How each kind of collection scan is named and read.
template <class Item>
struct Collection;

template <>
struct Collection<std::string> {
    static constexpr std::string_view name = "SSCAN";
    static std::vector<std::string> read(const Reply& page) {
        std::vector<std::string> items;
        items.reserve(page.size());
        for (const auto& element : page.elements()) items.emplace_back(element.str());
        return items;
    }
};

template <class Second, class ReadSecond>
std::vector<std::pair<std::string, Second>> read_pairs(std::string_view name, const Reply& page, ReadSecond read_second) {
    const auto& elements = page.elements();
    if (elements.size() % 2 != 0) {
        throw ProtocolError(std::string(name) + ": expected pairs, got " + std::to_string(elements.size()) + " elements");
    }
    std::vector<std::pair<std::string, Second>> items;
    items.reserve(elements.size() / 2);
    for (std::size_t i = 0; i < elements.size(); i += 2) {
        items.emplace_back(std::string(elements[i].str()), read_second(elements[i + 1]));
    }
    return items;
}

template <>
struct Collection<HashField> {
    static constexpr std::string_view name = "HSCAN";
    static std::vector<HashField> read(const Reply& page) {
        return read_pairs<std::string>(name, page, [](const Reply& value) { return std::string(value.str()); });
    }
};

template <>
struct Collection<ScoredMember> {
    static constexpr std::string_view name = "ZSCAN";
    static std::vector<ScoredMember> read(const Reply& page) {
        return read_pairs<double>(name, page, [](const Reply& score) {
            if (score.type() == ReplyType::Double) return score.double_value();
            // "inf" and "-inf" included.
            const auto text = score.str();
            double value = 0;
            const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
            if (text.empty() || parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size()) {
                throw ProtocolError("ZSCAN: a score is not a number: '" + std::string(text) + "'");
            }
            return value;
        });
    }
};

// The next page `scan` plans, by `name` (with `key` for a collection).
template <class Item>
std::vector<Item> next_planned_page(ClientCore& core, ClusterScan& scan, std::string_view name, std::string_view key,
                                    const ScanOptions& options) {
    auto& nodes = core.pool().nodes;
    // Work on a copy: a call that throws leaves `scan` as it was.
    ClusterScan next = scan;
    const auto call = next.next_call(*nodes.slots());
    const auto [cursor, reply] = run_scan_command(core, name, key, call.cursor, call.slot, options);
    auto items = Collection<Item>::read(reply[1]);
    next.record_reply(*nodes.slots(), cursor);
    scan = std::move(next);
    return items;
}

template <class Item>
void check_collection_options(const ScanOptions& options) {
    if (!options.type.empty()) {
        throw DataError(std::string(Collection<Item>::name) + ": TYPE applies to SCAN only");
    }
}

}  // namespace

ClusterScan plan_cluster_scan(ClientCore& core) {
    auto& nodes = core.pool().nodes;
    auto table = nodes.slots();
    if (table->size() == 0) {
        // Not discovered yet (init_slot_cache off): one discovery, as the
        // first command would make.
        (void)nodes.refresh_if_due();
        table = nodes.slots();
    }
    return ClusterScan(plan_scan_shards(*table));
}

std::vector<std::string> next_scan_page(ClientCore& core, ClusterScan& scan, const ScanOptions& options) {
    if (scan.done()) return {};
    return next_planned_page<std::string>(core, scan, "SCAN", {}, options);
}

ScanRange<std::string> cluster_scan_range(std::shared_ptr<ClientCore> core, ScanOptions options) {
    return ScanRange<std::string>(
        [core = std::move(core), options = std::move(options),
         scan = std::optional<ClusterScan>()]() mutable -> std::optional<std::vector<std::string>> {
            if (!scan) scan = plan_cluster_scan(*core);
            if (scan->done()) return std::nullopt;
            return next_scan_page(*core, *scan, options);
        });
}

template <class Item>
ScanPage<Item> collection_scan_page(ClientCore& core, std::string_view key, std::uint64_t cursor,
                                    const ScanOptions& options) {
    check_collection_options<Item>(options);
    const auto [next, reply] = run_scan_command(core, Collection<Item>::name, key, cursor, key_slot(key), options);
    return {.cursor = next, .items = Collection<Item>::read(reply[1])};
}

template <class Item>
ScanRange<Item> collection_scan_range(std::shared_ptr<ClientCore> core, std::string key, ScanOptions options) {
    check_collection_options<Item>(options);
    // A collection lives in one slot: a scan of one shard, started again
    // when that slot's master changes.
    ClusterScan scan({single_slot_shard(key_slot(key))});
    return ScanRange<Item>([core = std::move(core), key = std::move(key), options = std::move(options),
                            scan = std::move(scan)]() mutable -> std::optional<std::vector<Item>> {
        if (scan.done()) return std::nullopt;
        return next_planned_page<Item>(*core, scan, Collection<Item>::name, key, options);
    });
}

template ScanPage<std::string> collection_scan_page(ClientCore&, std::string_view, std::uint64_t, const ScanOptions&);
template ScanPage<HashField> collection_scan_page(ClientCore&, std::string_view, std::uint64_t, const ScanOptions&);
template ScanPage<ScoredMember> collection_scan_page(ClientCore&, std::string_view, std::uint64_t, const ScanOptions&);
template ScanRange<std::string> collection_scan_range(std::shared_ptr<ClientCore>, std::string, ScanOptions);
template ScanRange<HashField> collection_scan_range(std::shared_ptr<ClientCore>, std::string, ScanOptions);
template ScanRange<ScoredMember> collection_scan_range(std::shared_ptr<ClientCore>, std::string, ScanOptions);

}  // namespace rediscluster::detail
