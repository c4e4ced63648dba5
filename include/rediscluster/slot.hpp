#pragma once

// Hash slots: which of the 16384 slots of a Redis Cluster a key belongs to.
//
// key_slot() follows the cluster specification: CRC16 (XMODEM: polynomial
// 0x1021, initial value 0) of the key modulo 16384. When the key holds a
// hash tag, i.e. a '{' followed later by a '}' with at least one byte
// between the first '{' and the first '}' after it, only the bytes between
// them are hashed, so "{user1000}.following" and "{user1000}.followers" land
// in the same slot.
//
// Thread safety: every function here is pure and may be called concurrently.

#include <cstdint>
#include <string_view>

namespace rediscluster {

/// Number of hash slots in a Redis Cluster.
inline constexpr std::uint16_t kSlotCount = 16384;

/// CRC16/XMODEM of `data` (table-driven).
[[nodiscard]] std::uint16_t crc16(std::string_view data) noexcept;

/// The part of `key` that is hashed: the hash tag's content when the key has
/// a non-empty tag, otherwise the whole key.
[[nodiscard]] std::string_view hash_tag(std::string_view key) noexcept;

/// The hash slot (0..16383) of `key`.
[[nodiscard]] std::uint16_t key_slot(std::string_view key) noexcept;

}  // namespace rediscluster
