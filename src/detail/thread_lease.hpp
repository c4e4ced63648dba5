#pragma once

// ThreadLease<T>: lends the calling thread's T for one use, so that what
// it grew to (a buffer's capacity) serves the thread's next use instead of
// being allocated again. A second lease on the same thread while the first
// is alive (work started from inside other work) gets a T of its own.

#include <optional>

namespace rediscluster::detail {

template <class T>
class ThreadLease {
public:
    ThreadLease() {
        auto& slot = thread_slot();
        if (slot.lent) {
            value_ = &own_.emplace();
        } else {
            slot.lent = true;
            value_ = &slot.value;
        }
    }
    ~ThreadLease() {
        if (!own_) thread_slot().lent = false;
    }
    ThreadLease(const ThreadLease&) = delete;
    ThreadLease& operator=(const ThreadLease&) = delete;

    [[nodiscard]] T& get() noexcept { return *value_; }
    T* operator->() const noexcept { return value_; }

private:
    struct Slot {
        T value;
        bool lent = false;
    };
    static Slot& thread_slot() {
        thread_local Slot slot;
        return slot;
    }

    T* value_;
    std::optional<T> own_;  // only when the thread's is lent already
};

}  // namespace rediscluster::detail
