#include <gtest/gtest.h>

#include "detail/command_table.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster::detail {
namespace {

Reply entry(std::string_view name, std::vector<std::string_view> flags, int first, int last, int step,
            std::vector<Reply> subcommands = {}) {
    std::vector<Reply> flag_replies;
    for (const auto flag : flags) flag_replies.push_back(Reply::simple_string(flag));
    std::vector<Reply> fields{Reply::bulk_string(name), Reply::integer(-2), Reply::set(std::move(flag_replies)),
                              Reply::integer(first), Reply::integer(last), Reply::integer(step),
                              Reply::set({}), Reply::set({}), Reply::array({})};
    fields.push_back(Reply::array(std::move(subcommands)));
    return Reply::array(std::move(fields));
}

TEST(CommandTable, ReadsPositionsFlagsAndSubcommands) {
    const auto table = CommandTable::parse(Reply::array({
        entry("get", {"readonly", "fast"}, 1, 1, 1),
        entry("georadius", {"write", "movablekeys"}, 1, 1, 1),
        entry("xinfo", {}, 0, 0, 0, {entry("xinfo|stream", {"readonly"}, 2, 2, 1)}),
        entry("mymodule.set", {"write"}, 1, -1, 2),
    }));
    EXPECT_EQ(table.size(), 5u);
    ASSERT_NE(table.find("GET", ""), nullptr);
    EXPECT_TRUE(table.find("GET", "")->read_only);
    EXPECT_TRUE(table.find("georadius", "")->movable_keys);
    const auto* stream = table.find("XINFO", "STREAM");
    ASSERT_NE(stream, nullptr);
    EXPECT_EQ(stream->first_key, 2);
    EXPECT_TRUE(stream->read_only);
    EXPECT_EQ(table.find("xinfo", "nosuch")->first_key, 0);  // falls back to the container
    EXPECT_EQ(table.find("MyModule.Set", "")->last_key, -1);
    EXPECT_EQ(table.find("nosuch", ""), nullptr);
}

TEST(CommandTable, WrongShapesAreProtocolErrorsNamingTheEntry) {
    EXPECT_THROW((void)CommandTable::parse(Reply::simple_string("OK")), ProtocolError);
    try {
        (void)CommandTable::parse(Reply::array({entry("get", {}, 1, 1, 1), Reply::array({Reply::integer(1)})}));
        FAIL() << "expected ProtocolError";
    } catch (const ProtocolError& e) {
        EXPECT_NE(std::string(e.what()).find("COMMAND entry 1"), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)CommandTable::parse(Reply::array({Reply::array({Reply::bulk_string("x"), Reply::integer(1),
                                                                       Reply::array({}), Reply::bulk_string("1"),
                                                                       Reply::integer(1), Reply::integer(1)})})),
                 ProtocolError);
}

}  // namespace
}  // namespace rediscluster::detail
