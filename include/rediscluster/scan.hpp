#pragma once

// Walking the keys of a whole cluster (SCAN on every master) and the
// members of one collection (SSCAN, HSCAN, ZSCAN), a page at a time.
//
// ```
//   for (const std::string& key : rc.scan_iter({.match = "user:*", .count = 1000})) {
//       ...
//   }
//
//   rediscluster::ClusterScanCursor cursor;       // one page at a time
//   do {
//       for (auto& key : rc.scan(cursor, {.type = "hash"})) ...;
//   } while (!cursor.done());
// ```
//
// What a cluster-wide scan promises. SCAN runs on each master in turn (each
// visited once, however many slot ranges it serves); a SCAN cursor only
// means something on the node that issued it (every server hashes keys
// with its own random seed). So when the master serving a shard changes
// during the scan (a failover, or the shard's slots moving away), that
// shard's walk starts again at cursor 0 on its new master:
//  - a key present on the cluster from the start of the scan to its end is
//    returned at least once, failovers included;
//  - a key may be returned more than once (after such a restart, and as
//    SCAN itself allows when a node's table grows or shrinks): callers
//    that need each key once deduplicate;
//  - a key written, deleted, or moved between shards (a slot migration)
//    during the scan may or may not be returned.
// The collection scans (sscan_iter, hscan_iter, zscan_iter) promise the
// same for the members of one key, restarting when the key's master
// changes; the one-step sscan(), hscan() and zscan() pass the cursor as
// given and leave that to the caller. One case is left out: while the
// key's slot is being migrated, the client's map does not change (the
// calls follow ASK redirects), so a key moved between two calls gets a
// cursor from the other node, and members may then be missed.
//
// Thread safety: a ClusterScanCursor and a ScanRange belong to one thread
// at a time (they are plain state, not synchronized); the client they run
// on may be shared, and many scans may run at once on one client.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rediscluster {

namespace detail {
class ClusterScan;
}

/// Options of every scan. Each is sent as the command's own option.
struct ScanOptions {
    /// MATCH: only keys (members, fields) matching this glob-style pattern
    /// ("user:*"). The server filters after reading a page, so a page may
    /// be empty while the scan goes on. Empty: everything.
    std::string match = {};
    /// COUNT: roughly how many entries each node looks at per call (a hint:
    /// more means fewer round trips and longer calls). Unset: the server's
    /// default (10).
    std::optional<std::size_t> count = std::nullopt;
    /// TYPE: only keys of this type ("string", "hash", "list", "set",
    /// "zset", "stream"). Cluster-wide scans only; the collection scans
    /// throw DataError when it is set. Empty: every type.
    std::string type = {};
};

/// Where a cluster-wide scan stands: which masters it has still to visit,
/// and the cursor on the current one. A default-constructed cursor is at
/// the start; the first RedisCluster::scan() with it takes the masters of
/// the slot map of that moment. Copies are independent (a copy resumes
/// from the same place).
class ClusterScanCursor {
public:
    /// At the start.
    ClusterScanCursor() noexcept;
    ~ClusterScanCursor();
    ClusterScanCursor(const ClusterScanCursor& other);
    ClusterScanCursor& operator=(const ClusterScanCursor& other);
    ClusterScanCursor(ClusterScanCursor&& other) noexcept;
    ClusterScanCursor& operator=(ClusterScanCursor&& other) noexcept;

    /// True once every master has been walked to the end.
    [[nodiscard]] bool done() const noexcept;
    /// Masters the scan visits (0 before its first call).
    [[nodiscard]] std::size_t shards() const noexcept;
    /// Masters walked to the end so far.
    [[nodiscard]] std::size_t shards_done() const noexcept;
    /// How many times a shard's walk started again at 0 because its master
    /// changed (each may return keys a second time).
    [[nodiscard]] std::size_t restarts() const noexcept;

private:
    friend class RedisCluster;
    std::unique_ptr<detail::ClusterScan> state_;  // null: not started
};

/// One page of a collection scan (sscan, hscan, zscan): the cursor to pass
/// next (0: the scan is over) and the items of this page.
template <class Item>
struct ScanPage {
    std::uint64_t cursor = 0;
    std::vector<Item> items = {};
};

/// A scan as a C++20 input range: iterating fetches pages lazily, one call
/// to the server per page, as the iteration reaches it. Works with
/// range-for and the std::ranges algorithms and views:
///
/// ```
///   std::vector<std::string> all;
///   std::ranges::copy(rc.scan_iter({.match = "session:*"}), std::back_inserter(all));
///   for (auto& key : rc.scan_iter() | std::views::take(100)) ...
/// ```
///
/// Its end is a sentinel (std::default_sentinel_t), not an iterator:
/// algorithms that need a common range (a container's (first, last)
/// constructor) take it through std::views::common or a loop.
///
/// An input range: it can be walked once, and begin() may be called once.
/// Moving the range invalidates its iterators. Dereferencing gives a
/// mutable reference, so items may be moved out. A failed call to the
/// server throws from begin() or ++ (after the client's own retries); the
/// range then stays where it was, and incrementing again retries that page.
/// Thread safety: one thread at a time.
template <class Item>
class ScanRange {
public:
    /// The next page, or nullopt when the scan is over. A page may be empty
    /// while the scan goes on (MATCH and TYPE filter after reading).
    using PageSource = std::function<std::optional<std::vector<Item>>()>;

    /// A range over what `next_page` returns, page after page.
    explicit ScanRange(PageSource next_page) : next_page_(std::move(next_page)) {}
    ScanRange(ScanRange&&) noexcept = default;
    ScanRange& operator=(ScanRange&&) noexcept = default;
    ScanRange(const ScanRange&) = delete;
    ScanRange& operator=(const ScanRange&) = delete;

    class iterator {
    public:
        using value_type = Item;
        using difference_type = std::ptrdiff_t;
        using iterator_concept = std::input_iterator_tag;

        iterator() = default;
        Item& operator*() const { return range_->page_[range_->at_]; }
        Item* operator->() const { return &**this; }
        iterator& operator++() {
            ++range_->at_;
            range_->fill();
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return it.at_end();
        }

    private:
        friend class ScanRange;
        explicit iterator(ScanRange* range) : range_(range) {}
        [[nodiscard]] bool at_end() const noexcept { return range_ == nullptr || range_->at_end(); }
        ScanRange* range_ = nullptr;
    };

    /// Fetches the first page(s), up to the first item or the end.
    iterator begin() {
        fill();
        return iterator(this);
    }
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

private:
    [[nodiscard]] bool at_end() const noexcept { return finished_ && at_ >= page_.size(); }
    // Moves on to the next page while the current one is used up; pages
    // may be empty, so this may take several calls.
    void fill() {
        while (at_ >= page_.size() && !finished_) {
            auto next = next_page_();
            if (!next) {
                finished_ = true;
                page_.clear();
            } else {
                page_ = std::move(*next);
            }
            at_ = 0;
        }
    }

    PageSource next_page_;
    std::vector<Item> page_;
    std::size_t at_ = 0;
    bool finished_ = false;
};

}  // namespace rediscluster
