#include <gtest/gtest.h>

#include <string>

#include "rediscluster/slot.hpp"

namespace rediscluster {
namespace {

struct SlotCase {
    std::string key;
    std::uint16_t slot;
};

TEST(KeySlot, MatchesTheClusterSpecificationVectors) {
    const SlotCase cases[] = {
        {"foo", 12182},
        {"{foo}bar", 12182},
        {"{foo}", 12182},
        {"1337", 4314},
        {"123456789", 12739},  // CRC16/XMODEM check value 0x31C3 % 16384
        {"", 0},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(key_slot(c.key), c.slot) << "key \"" << c.key << "\"";
    }
}

TEST(Crc16, HasTheXmodemCheckValue) { EXPECT_EQ(crc16("123456789"), 0x31C3); }

TEST(HashTag, EmptyTagHashesTheWholeKey) {
    EXPECT_EQ(hash_tag("{}foo"), "{}foo");
    EXPECT_EQ(key_slot("{}foo"), crc16("{}foo") % 16384);
    EXPECT_NE(key_slot("{}foo"), key_slot("foo"));
}

TEST(HashTag, FirstBraceThenFirstClosingBraceAfterIt) {
    EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}");
    EXPECT_EQ(key_slot("foo{}{bar}"), crc16("foo{}{bar}") % 16384);
    EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");
    EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
    EXPECT_EQ(hash_tag("foo{bar}{zap}"), "bar");
    EXPECT_EQ(hash_tag("{user1000}.following"), "user1000");
}

TEST(HashTag, UnclosedOrMissingBraceHashesTheWholeKey) {
    EXPECT_EQ(hash_tag("foo{bar"), "foo{bar");
    EXPECT_EQ(hash_tag("foo}bar{"), "foo}bar{");
    EXPECT_EQ(hash_tag("plain"), "plain");
}

TEST(KeySlot, BinaryKeysAreHashedByteForByte) {
    const std::string with_nul("a\0b", 3);
    EXPECT_EQ(key_slot(with_nul), crc16(with_nul) % 16384);
    EXPECT_NE(key_slot(with_nul), key_slot("a"));
    const std::string high_bytes = "\xff\xfe\x80";
    EXPECT_LT(key_slot(high_bytes), kSlotCount);
}

TEST(KeySlot, TaggedKeysShareASlot) {
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(key_slot("{tag}" + std::to_string(i)), key_slot("tag"));
    }
}

}  // namespace
}  // namespace rediscluster
