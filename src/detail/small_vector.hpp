#pragma once

// A vector that keeps its first N elements inside itself and goes to the
// heap only beyond them. Per-command lists (a command's arguments, its key
// positions) are nearly always short, and building them on every command
// must not allocate.
//
// Only for trivially copyable elements (string views, indices): that keeps
// it a thin wrapper with the copy and move of its members, and no element
// is ever constructed or destroyed by hand.

#include <array>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

namespace rediscluster::detail {

template <class T, std::size_t InlineCapacity>
class SmallVector {
    static_assert(std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>,
                  "SmallVector holds plain values only");

public:
    using value_type = T;
    using size_type = std::size_t;
    using iterator = T*;
    using const_iterator = const T*;

    SmallVector() = default;

    void push_back(const T& value) {
        if (!spilled_.empty()) {
            spilled_.push_back(value);
        } else if (inline_size_ < InlineCapacity) {
            inline_[inline_size_++] = value;
        } else {
            // Full inline: from now on every element lives on the heap.
            // `value` may be one of inline_, which stays untouched.
            spilled_.reserve(2 * InlineCapacity);
            spilled_.assign(inline_.begin(), inline_.end());
            spilled_.push_back(value);
        }
    }

    /// Empties it; heap capacity, if any, is kept for the next elements.
    void clear() noexcept {
        inline_size_ = 0;
        spilled_.clear();
    }

    [[nodiscard]] T* data() noexcept { return spilled_.empty() ? inline_.data() : spilled_.data(); }
    [[nodiscard]] const T* data() const noexcept { return spilled_.empty() ? inline_.data() : spilled_.data(); }
    [[nodiscard]] std::size_t size() const noexcept { return spilled_.empty() ? inline_size_ : spilled_.size(); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }

    [[nodiscard]] T* begin() noexcept { return data(); }
    [[nodiscard]] T* end() noexcept { return data() + size(); }
    [[nodiscard]] const T* begin() const noexcept { return data(); }
    [[nodiscard]] const T* end() const noexcept { return data() + size(); }

    /// Unchecked, as std::vector's.
    [[nodiscard]] T& operator[](std::size_t index) noexcept { return data()[index]; }
    [[nodiscard]] const T& operator[](std::size_t index) const noexcept { return data()[index]; }
    [[nodiscard]] T& front() noexcept { return data()[0]; }
    [[nodiscard]] const T& front() const noexcept { return data()[0]; }

    /// Same elements in the same order (e.g. against a std::vector).
    friend bool operator==(const SmallVector& a, std::span<const T> b) noexcept {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < b.size(); ++i) {
            if (!(a[i] == b[i])) return false;
        }
        return true;
    }

private:
    // Invariant: either spilled_ is empty and the elements are
    // inline_[0, inline_size_), or spilled_ holds all of them.
    std::array<T, InlineCapacity> inline_{};
    std::size_t inline_size_ = 0;
    std::vector<T> spilled_;
};

}  // namespace rediscluster::detail
