#pragma once

// An allocator that keeps the blocks it frees for the next allocation of
// the same size on the same thread. For the asynchronous client's
// operations: each command makes one, of one size, and frees it a moment
// later, nearly always on the thread that made it (the caller's, which
// is also the executor's on a one-thread io_context). The general heap
// keeps only a few blocks of a size at hand; with a thousand commands in
// flight, most allocations would go the long way.

#include <cstddef>
#include <new>
#include <vector>

namespace rediscluster::asio {

template <class T>
class RecyclingAllocator {
public:
    using value_type = T;

    RecyclingAllocator() noexcept = default;
    template <class U>
    RecyclingAllocator(const RecyclingAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)

    T* allocate(std::size_t count) {
        if (count == 1 && !cache().blocks.empty()) {
            void* block = cache().blocks.back();
            cache().blocks.pop_back();
            return static_cast<T*>(block);
        }
        return static_cast<T*>(::operator new(count * sizeof(T)));
    }
    void deallocate(T* pointer, std::size_t count) noexcept {
        auto& kept = cache();
        if (count == 1 && kept.blocks.size() < kKept) {
            try {
                kept.blocks.push_back(pointer);
                return;
            } catch (const std::bad_alloc&) {
                // Freed below instead.
            }
        }
        ::operator delete(pointer);
    }

    template <class U>
    bool operator==(const RecyclingAllocator<U>&) const noexcept {
        return true;
    }

private:
    // Enough for the commands in flight of a busy thread; the rest go back
    // to the heap.
    static constexpr std::size_t kKept = 4096;

    // The blocks of one size kept by one thread, freed when it ends.
    struct Cache {
        std::vector<void*> blocks;
        ~Cache() {
            for (void* block : blocks) ::operator delete(block);
        }
    };
    static Cache& cache() {
        thread_local Cache kept;
        return kept;
    }
};

}  // namespace rediscluster::asio
