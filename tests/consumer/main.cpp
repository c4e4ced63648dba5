// Built against the installed library; exits non-zero if it misbehaves.
#include <rediscluster/rediscluster.hpp>

#include <cstdio>
#include <string>

int main() {
    std::string command;
    rediscluster::encode_command(command, "GET", "foo");
    rediscluster::ReplyParser parser;
    parser.feed("$3\r\nbar\r\n");
    const auto reply = parser.next();
    const bool ok = rediscluster::key_slot("foo") == 12182 &&
                    command == "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n" && reply && reply->str() == "bar";
    std::puts(ok ? "consumer: installed rediscluster works" : "consumer: unexpected result");
    return ok ? 0 : 1;
}
