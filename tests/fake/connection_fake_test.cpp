// ClusterConnection against scripted fake nodes: redirects a real cluster
// would not send (IPv6, empty host), broken and endless replies, nodes that
// never answer, the on_connect handshake, batches and retry_on_timeout.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "fake_node.hpp"
#include "rediscluster/connection.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::expect;
using test::FakeNode;
using test::ReceivedCommand;

const std::vector<std::string> kNoProblems;

ConnectionOptions options_for(const FakeNode& node, std::chrono::milliseconds socket_timeout = 3s) {
    ConnectionOptions options;
    options.host = node.host();
    options.port = node.port();
    options.socket_timeout = socket_timeout;
    options.socket_connect_timeout = 3s;
    return options;
}

// What `f` throws, caught as E; a test failure (and null) when it throws
// something else or nothing.
template <class E, class F>
std::unique_ptr<const E> thrown(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return std::make_unique<const E>(e);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what();
        return nullptr;
    }
    ADD_FAILURE() << "expected " << typeid(E).name() << ", nothing thrown";
    return nullptr;
}

// The dynamic type of what `f` throws.
template <class F>
std::string thrown_type(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return typeid(e).name();
    }
    return "(nothing thrown)";
}

std::chrono::milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// --- redirects -------------------------------------------------------------------

TEST(ConnectionFake, MovedToAnIPv6Address) {
    FakeNode node({{
        expect({"GET", "k"}, "-MOVED 3999 2001:db8::1:7000\r\n"),
        expect({"GET", "k"}, "$1\r\nv\r\n"),
    }});
    ClusterConnection connection(options_for(node));
    const auto moved = thrown<MovedError>([&] { (void)connection.execute("GET", "k"); });
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->slot_id, 3999);
    EXPECT_EQ(moved->host, "2001:db8::1");
    EXPECT_EQ(moved->port, 7000);
    EXPECT_STREQ(moved->what(), "3999 2001:db8::1:7000");
    // An error reply leaves the connection usable.
    EXPECT_TRUE(connection.is_connected());
    EXPECT_EQ(connection.pending_replies(), 0u);
    EXPECT_EQ(connection.execute("GET", "k"), Reply::bulk_string("v"));
    EXPECT_EQ(node.accepted_connections(), 1u);
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, AskIsAnAskErrorNotAMovedError) {
    FakeNode node({{expect({"GET", "k"}, "-ASK 12182 127.0.0.1:7002\r\n")}});
    ClusterConnection connection(options_for(node));
    EXPECT_EQ(thrown_type([&] { (void)connection.execute("GET", "k"); }), typeid(AskError).name());
    EXPECT_TRUE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, AskCarriesItsTarget) {
    FakeNode node({{expect({"GET", "k"}, "-ASK 12182 10.0.0.9:7002\r\n")}});
    ClusterConnection connection(options_for(node));
    const auto ask = thrown<AskError>([&] { (void)connection.execute("GET", "k"); });
    ASSERT_TRUE(ask);
    EXPECT_EQ(ask->slot_id, 12182);
    EXPECT_EQ(ask->host, "10.0.0.9");
    EXPECT_EQ(ask->port, 7002);
    EXPECT_STREQ(ask->what(), "12182 10.0.0.9:7002");
}

TEST(ConnectionFake, MovedWithAnEmptyHostMeansThisNode) {
    FakeNode node({{expect({"GET", "k"}, "-MOVED 3999 :7000\r\n")}});
    ClusterConnection connection(options_for(node));
    const auto moved = thrown<MovedError>([&] { (void)connection.execute("GET", "k"); });
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->host, "127.0.0.1");
    EXPECT_EQ(moved->port, 7000);
    EXPECT_EQ(moved->slot_id, 3999);
    EXPECT_EQ(node.problems(), kNoProblems);
}

// --- broken replies ------------------------------------------------------------------

TEST(ConnectionFake, TruncatedReplyThenCloseIsAConnectionError) {
    FakeNode node({{expect({"GET", "k"}, ""), test::send_then_close("$10\r\nabc")}});
    ClusterConnection connection(options_for(node, 5s));
    const auto start = Clock::now();
    const auto error = thrown<ConnectionError>([&] { (void)connection.execute("GET", "k"); });
    EXPECT_LT(since(start), 2s) << "the close is seen at once, not after socket_timeout";
    ASSERT_TRUE(error);
    EXPECT_NE(std::string(error->what()).find("127.0.0.1:" + std::to_string(node.port())), std::string::npos)
        << error->what();
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(connection.pending_replies(), 0u);
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, GarbageIsAProtocolErrorAndTheConnectionIsDropped) {
    FakeNode node({
        {expect({"GET", "k"}, "?oops\r\n"), test::hang()},
        {expect({"PING"}, "+PONG\r\n")},
    });
    ClusterConnection connection(options_for(node, 5s));
    const auto start = Clock::now();
    EXPECT_EQ(thrown_type([&] { (void)connection.execute("GET", "k"); }), typeid(ProtocolError).name());
    EXPECT_LT(since(start), 2s);
    EXPECT_FALSE(connection.is_connected());
    // The next command reconnects: the broken stream is never read again.
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
    EXPECT_EQ(node.accepted_connections(), 2u);
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, OversizedBulkHeaderFailsWithoutWaitingForTheBody) {
    FakeNode node({{expect({"GET", "k"}, "$999999999999\r\n"), test::hang()}});
    auto options = options_for(node, 3s);
    options.parser_limits.max_bulk_length = 1024;
    ClusterConnection connection(options);
    const auto start = Clock::now();
    const auto error = thrown<ProtocolError>([&] { (void)connection.execute("GET", "k"); });
    EXPECT_LT(since(start), 1500ms) << "must not wait for 999999999999 bytes nor for socket_timeout";
    ASSERT_TRUE(error);
    EXPECT_NE(std::string(error->what()).find("999999999999"), std::string::npos) << error->what();
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

// --- timeouts ---------------------------------------------------------------------------

TEST(ConnectionFake, NodeThatNeverAnswersTimesOut) {
    constexpr auto timeout = 300ms;
    FakeNode node({{expect({"GET", "k"}, ""), test::hang()}});
    ClusterConnection connection(options_for(node, timeout));
    const auto start = Clock::now();
    const auto error = thrown<TimeoutError>([&] { (void)connection.execute("GET", "k"); });
    const auto elapsed = since(start);
    EXPECT_GE(elapsed, timeout);
    EXPECT_LT(elapsed, timeout + 1500ms);
    ASSERT_TRUE(error);
    EXPECT_NE(std::string(error->what()).find("127.0.0.1:" + std::to_string(node.port())), std::string::npos)
        << error->what();
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(connection.pending_replies(), 0u);
    EXPECT_TRUE(node.wait_for_commands(1));
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, ReplyThatNeverEndsTimesOut) {
    constexpr auto timeout = 300ms;
    FakeNode node({{expect({"GET", "k"}, "$100\r\nabc"), test::hang()}});
    ClusterConnection connection(options_for(node, timeout));
    const auto start = Clock::now();
    EXPECT_EQ(thrown_type([&] { (void)connection.execute("GET", "k"); }), typeid(TimeoutError).name());
    const auto elapsed = since(start);
    EXPECT_GE(elapsed, timeout);
    EXPECT_LT(elapsed, timeout + 1500ms);
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, ConnectionClosedBeforeAnyReply) {
    FakeNode node({{expect({"GET", "k"}, ""), test::close_connection()}});
    ClusterConnection connection(options_for(node, 5s));
    const auto start = Clock::now();
    EXPECT_EQ(thrown_type([&] { (void)connection.execute("GET", "k"); }), typeid(ConnectionError).name());
    EXPECT_LT(since(start), 2s);
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, BusyPollSeesACloseOrACutReplyAtOnce) {
    FakeNode node({
        {expect({"GET", "k"}, ""), test::close_connection()},
        {test::expect({"GET", "k"}, ""), test::send_then_close("$10\r\nabc")},
    });
    auto options = options_for(node, 5s);
    options.busy_poll = 100ms;
    ClusterConnection connection(options);
    auto start = Clock::now();
    EXPECT_EQ(thrown_type([&] { (void)connection.execute("GET", "k"); }), typeid(ConnectionError).name());
    EXPECT_LT(since(start), 2s);
    EXPECT_FALSE(connection.is_connected());
    start = Clock::now();
    EXPECT_EQ(thrown_type([&] { (void)connection.execute("GET", "k"); }), typeid(IncompleteReplyError).name());
    EXPECT_LT(since(start), 2s);
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, ConnectionClosedRightAfterAccept) {
    FakeNode node({{test::close_connection()}});
    ClusterConnection connection(options_for(node, 5s));
    const auto start = Clock::now();
    // Whether the write or the read sees the close, it is a ConnectionError.
    EXPECT_TRUE(thrown<ConnectionError>([&] { (void)connection.execute("GET", "k"); }));
    EXPECT_LT(since(start), 2s);
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

// --- TLS mismatches: a hint in the error -------------------------------------------------

TEST(ConnectionFake, PlainConnectionClosedBeforeAnyReplyHintsThePortMayRequireTls) {
    FakeNode node({{expect({"GET", "k"}, ""), test::close_connection()}});
    ClusterConnection connection(options_for(node, 5s));
    const auto message = test::error_of<ConnectionError>([&] { (void)connection.execute("GET", "k"); });
    EXPECT_TRUE(message.starts_with("Connection closed by server " + node.host() + ":" + std::to_string(node.port())))
        << message;
    EXPECT_NE(message.find("the port may require TLS"), std::string::npos) << message;
    EXPECT_NE(message.find("SSLClusterConnection"), std::string::npos) << message;
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, PlainConnectionClosedAfterARepliedCommandHasNoTlsHint) {
    // Once the port has answered in RESP, TLS is not the problem.
    FakeNode node({{expect({"GET", "k"}, "$1\r\nv\r\n"), expect({"GET", "k"}, ""), test::close_connection()}});
    ClusterConnection connection(options_for(node, 5s));
    EXPECT_EQ(connection.execute("GET", "k"), Reply::bulk_string("v"));
    const auto message = test::error_of<ConnectionError>([&] { (void)connection.execute("GET", "k"); });
    EXPECT_TRUE(message.starts_with("Connection closed by server")) << message;
    EXPECT_EQ(message.find("TLS"), std::string::npos) << message;
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, TlsHelloAnsweredWithARespErrorHintsThePortDoesNotSpeakTls) {
    // What a plain Redis port sends back when the hello holds a newline
    // byte: an error reply to the "inline command" before it.
    FakeNode node({{test::send_at_once("-ERR unknown command '\x16\x03\x01', with args beginning with:\r\n"),
                    test::hang()}});
    auto options = options_for(node);
    options.ssl_cert_reqs = "none";
    SSLClusterConnection connection(options);
    const auto message = test::error_of<ConnectionError>([&] { connection.connect(); });
    EXPECT_TRUE(message.starts_with("TLS handshake with " + node.host() + ":" + std::to_string(node.port()) +
                                    " failed: "))
        << message;
    EXPECT_NE(message.find("looks like a Redis reply"), std::string::npos) << message;
    EXPECT_NE(message.find("probably does not speak TLS"), std::string::npos) << message;
    EXPECT_FALSE(connection.is_connected());
}

TEST(ConnectionFake, TlsHandshakeTimeoutWithNothingBackHintsThePortMayNotSpeakTls) {
    FakeNode node({{test::hang()}});
    auto options = options_for(node);
    options.ssl_cert_reqs = "none";
    options.socket_connect_timeout = 300ms;
    SSLClusterConnection connection(options);
    const auto message = test::error_of<TimeoutError>([&] { connection.connect(); });
    EXPECT_NE(message.find("TLS handshake did not finish in time"), std::string::npos) << message;
    EXPECT_NE(message.find("the port may not speak TLS"), std::string::npos) << message;
}

// --- on_connect ------------------------------------------------------------------------

TEST(ConnectionFake, OnConnectSendsAuthSetnameReadonlyInOrderOnce) {
    FakeNode node({{
        expect({"AUTH", "alice", "wonderland"}, "+OK\r\n"),
        expect({"CLIENT", "SETNAME", "fake-client"}, "+OK\r\n"),
        expect({"READONLY"}, "+OK\r\n"),
        expect({"GET", "a"}, "$1\r\n1\r\n"),
        expect({"GET", "b"}, "$1\r\n2\r\n"),
    }});
    auto options = options_for(node);
    options.username = "alice";
    options.password = "wonderland";
    options.client_name = "fake-client";
    options.readonly = true;
    ClusterConnection connection(options);
    EXPECT_EQ(connection.execute("GET", "a"), Reply::bulk_string("1"));
    EXPECT_EQ(connection.execute("GET", "b"), Reply::bulk_string("2"));
    const std::vector<ReceivedCommand> expected = {
        {0, {"AUTH", "alice", "wonderland"}},
        {0, {"CLIENT", "SETNAME", "fake-client"}},
        {0, {"READONLY"}},
        {0, {"GET", "a"}},
        {0, {"GET", "b"}},
    };
    EXPECT_EQ(node.commands(), expected) << test::to_string(node.commands());
    EXPECT_EQ(connection.pending_replies(), 0u);
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, ProtocolThreeIsOneHelloCarryingAuthAndSetname) {
    FakeNode node({{
        expect({"HELLO", "3", "AUTH", "alice", "wonderland", "SETNAME", "fake-client"},
               "%1\r\n+proto\r\n:3\r\n"),
        expect({"HGETALL", "h"}, "%1\r\n$1\r\nf\r\n$1\r\nv\r\n"),
    }});
    auto options = options_for(node);
    options.username = "alice";
    options.password = "wonderland";
    options.client_name = "fake-client";
    options.protocol = 3;
    ClusterConnection connection(options);
    EXPECT_EQ(connection.execute("HGETALL", "h"), Reply::map({Reply::bulk_string("f"), Reply::bulk_string("v")}));
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, ProtocolThreeWithAPasswordAloneAuthenticatesAsDefault) {
    FakeNode node({{expect({"HELLO", "3", "AUTH", "default", "secret"}, "%1\r\n+proto\r\n:3\r\n"),
                    expect({"PING"}, "+PONG\r\n")}});
    auto options = options_for(node);
    options.password = "secret";
    options.protocol = 3;
    ClusterConnection connection(options);
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, AServerThatRefusesHelloThreeIsAConfigErrorNamingIt) {
    FakeNode node({{expect({"HELLO", "3"}, "-ERR unknown command 'HELLO', with args beginning with: '3'\r\n")}});
    auto options = options_for(node);
    options.protocol = 3;
    ClusterConnection connection(options);
    const auto message = test::error_of<RedisClusterConfigError>([&] { (void)connection.execute("PING"); });
    EXPECT_NE(message.find("protocol 3: the server at " + node.host() + ":" + std::to_string(node.port()) +
                           " refused HELLO 3 (ERR unknown command 'HELLO'"),
              std::string::npos)
        << message;
    EXPECT_FALSE(connection.is_connected());
}

TEST(ConnectionFake, AProtocolOtherThanTwoOrThreeIsRefusedBeforeConnecting) {
    ConnectionOptions options;
    options.protocol = 4;
    EXPECT_EQ(test::error_of<RedisClusterConfigError>([&] { ClusterConnection connection(options); }),
              "invalid protocol 4: expected 2 (RESP2) or 3 (RESP3)");
}

TEST(ConnectionFake, PasswordWithoutUsernameIsAuthWithOneArgument) {
    FakeNode node({{expect({"AUTH", "secret"}, "+OK\r\n"), expect({"PING"}, "+PONG\r\n")}});
    auto options = options_for(node);
    options.password = "secret";
    ClusterConnection connection(options);
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, WrongPasswordIsAnAuthenticationError) {
    FakeNode node({{expect({"AUTH", "alice", "wrong"},
                           "-WRONGPASS invalid username-password pair or user is disabled.\r\n")}});
    auto options = options_for(node);
    options.username = "alice";
    options.password = "wrong";
    options.client_name = "fake-client";
    ClusterConnection connection(options);
    const auto error = thrown<AuthenticationError>([&] { connection.connect(); });
    ASSERT_TRUE(error);
    EXPECT_NE(std::string(error->what()).find("WRONGPASS"), std::string::npos) << error->what();
    EXPECT_FALSE(connection.is_connected());
    // The handshake stopped at AUTH.
    EXPECT_EQ(node.commands().size(), 1u) << test::to_string(node.commands());
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, InvalidUsernamePasswordPairWithoutWrongpassIsAnAuthenticationError) {
    // WRONGPASS's text under the generic ERR code.
    FakeNode node({{expect({"AUTH", "alice", "wrong"}, "-ERR invalid username-password pair\r\n")}});
    auto options = options_for(node);
    options.username = "alice";
    options.password = "wrong";
    ClusterConnection connection(options);
    const auto message = test::error_of<AuthenticationError>([&] { connection.connect(); });
    EXPECT_EQ(message, "AUTH failed on " + node.host() + ":" + std::to_string(node.port()) +
                           ": ERR invalid username-password pair");
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, NoauthDuringTheHandshakeIsAnAuthenticationErrorNamingTheNode) {
    // No password set, but the server wants one: the first handshake
    // command meets NOAUTH.
    FakeNode node({{expect({"CLIENT", "SETNAME", "fake-client"}, "-NOAUTH Authentication required.\r\n")}});
    auto options = options_for(node);
    options.client_name = "fake-client";
    ClusterConnection connection(options);
    const auto message = test::error_of<AuthenticationError>([&] { connection.connect(); });
    EXPECT_EQ(message, "CLIENT SETNAME failed on " + node.host() + ":" + std::to_string(node.port()) +
                           ": NOAUTH Authentication required.");
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, RefusedReadonlyIsAConnectionErrorNamingTheStep) {
    FakeNode node({{expect({"READONLY"}, "-ERR This instance has cluster support disabled\r\n")}});
    auto options = options_for(node);
    options.readonly = true;
    ClusterConnection connection(options);
    std::string type;
    std::string message;
    try {
        (void)connection.execute("GET", "k");
    } catch (const std::exception& e) {
        type = typeid(e).name();
        message = e.what();
    }
    // Neither a ResponseError (the command never ran) nor an
    // AuthenticationError (the credentials are fine).
    EXPECT_EQ(type, typeid(ConnectionError).name());
    EXPECT_TRUE(message.starts_with("READONLY command failed")) << message;
    EXPECT_NE(message.find("cluster support disabled"), std::string::npos) << message;
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, RefusedClientSetnameNamesTheStepAndTheNode) {
    FakeNode node({{expect({"CLIENT", "SETNAME", "fake-client"}, "-ERR unknown subcommand 'SETNAME'\r\n")}});
    auto options = options_for(node);
    options.client_name = "fake-client";
    ClusterConnection connection(options);
    const auto message = test::error_of<ConnectionError>([&] { connection.connect(); });
    EXPECT_NE(message.find("CLIENT SETNAME failed on " + node.host() + ":" + std::to_string(node.port())),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("unknown subcommand"), std::string::npos) << message;
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, HandshakeThatNeverAnswersIsBoundedBySocketConnectTimeout) {
    // on_connect shares the connect budget: an AUTH that is never answered
    // fails after socket_connect_timeout, not after socket_timeout.
    FakeNode node({{expect({"AUTH", "secret"}, ""), test::hang()}});
    auto options = options_for(node, 10s);
    options.socket_connect_timeout = 300ms;
    options.password = "secret";
    ClusterConnection connection(options);
    const auto start = Clock::now();
    const auto error = thrown<TimeoutError>([&] { connection.connect(); });
    const auto elapsed = since(start);
    EXPECT_GE(elapsed, 300ms);
    EXPECT_LT(elapsed, 300ms + 1500ms);
    ASSERT_TRUE(error);
    EXPECT_TRUE(std::string(error->what()).starts_with("Timeout connecting to 127.0.0.1:")) << error->what();
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

// --- batches ----------------------------------------------------------------------------

TEST(ConnectionFake, BatchWithAnErrorInTheMiddleReturnsEveryReply) {
    FakeNode node({{
        expect({"SET", "a", "1"}, "+OK\r\n"),
        expect({"LPUSH", "a", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        expect({"GET", "a"}, "$1\r\n1\r\n"),
    }});
    ClusterConnection connection(options_for(node));
    std::string packed;
    encode_command(packed, "SET", "a", 1);
    encode_command(packed, "LPUSH", "a", "x");
    encode_command(packed, "GET", "a");
    connection.send_packed_command(packed, 3);
    EXPECT_EQ(connection.pending_replies(), 3u);
    const auto replies = connection.read_responses(3);
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0], Reply::simple_string("OK"));
    EXPECT_EQ(replies[1], Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value"));
    EXPECT_EQ(replies[2], Reply::bulk_string("1"));
    EXPECT_EQ(connection.pending_replies(), 0u);
    EXPECT_TRUE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

// --- retry_on_timeout --------------------------------------------------------------------

TEST(ConnectionFake, RetryOnTimeoutRetriesOnceOnAFreshConnection) {
    FakeNode node({
        {expect({"GET", "k"}, ""), test::hang()},
        {expect({"GET", "k"}, "$1\r\nv\r\n")},
    });
    auto options = options_for(node, 300ms);
    options.retry_on_timeout = true;
    ClusterConnection connection(options);
    EXPECT_EQ(connection.execute("GET", "k"), Reply::bulk_string("v"));
    const std::vector<ReceivedCommand> expected = {{0, {"GET", "k"}}, {1, {"GET", "k"}}};
    EXPECT_EQ(node.commands(), expected) << test::to_string(node.commands());
    EXPECT_TRUE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, WithoutRetryOnTimeoutTheTimeoutIsThrown) {
    FakeNode node({{expect({"GET", "k"}, ""), test::hang()}});
    ClusterConnection connection(options_for(node, 300ms));
    EXPECT_TRUE(thrown<TimeoutError>([&] { (void)connection.execute("GET", "k"); }));
    EXPECT_EQ(node.accepted_connections(), 1u);
    EXPECT_EQ(node.commands().size(), 1u);
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(ConnectionFake, RetryOnTimeoutRetriesOnlyOnce) {
    FakeNode node({
        {expect({"GET", "k"}, ""), test::hang()},
        {expect({"GET", "k"}, ""), test::hang()},
    });
    auto options = options_for(node, 300ms);
    options.retry_on_timeout = true;
    ClusterConnection connection(options);
    const auto start = Clock::now();
    EXPECT_TRUE(thrown<TimeoutError>([&] { (void)connection.execute("GET", "k"); }));
    EXPECT_GE(since(start), 600ms);
    EXPECT_EQ(node.accepted_connections(), 2u);
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(node.problems(), kNoProblems);
}

// --- the fake node itself ------------------------------------------------------------------
// The tests above trust the fake to notice a client that strays from the
// script; these check that it does, and that it never outlives its use.

TEST(FakeNode, ReportsACommandThatDoesNotMatchTheScriptAndCloses) {
    FakeNode node({{expect({"GET", "expected"}, "$1\r\nv\r\n")}});
    ClusterConnection connection(options_for(node));
    EXPECT_TRUE(thrown<ConnectionError>([&] { (void)connection.execute("GET", "other"); }));
    ASSERT_EQ(node.problems().size(), 1u);
    EXPECT_NE(node.problems()[0].find("expected GET expected, got GET other"), std::string::npos)
        << node.problems()[0];
    EXPECT_EQ(node.commands(), (std::vector<ReceivedCommand>{{0, {"GET", "other"}}}));
}

TEST(FakeNode, ReportsACommandAfterTheEndOfTheScript) {
    FakeNode node({{expect({"PING"}, "+PONG\r\n")}});
    ClusterConnection connection(options_for(node));
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
    EXPECT_TRUE(thrown<ConnectionError>([&] { (void)connection.execute("PING"); }));
    ASSERT_EQ(node.problems().size(), 1u);
    EXPECT_NE(node.problems()[0].find("after the end of the script"), std::string::npos) << node.problems()[0];
}

TEST(FakeNode, ReportsAConnectionWithoutAScript) {
    FakeNode node(std::vector<test::FakeScript>{});
    ClusterConnection connection(options_for(node));
    EXPECT_TRUE(thrown<ConnectionError>([&] { (void)connection.execute("PING"); }));
    EXPECT_EQ(node.accepted_connections(), 1u);
    EXPECT_EQ(node.problems(), std::vector<std::string>{"connection 0 has no script"});
}

TEST(FakeNode, AnswersAPipelineInOrder) {
    FakeNode node({{test::expect_any("+A\r\n"), test::expect_any("+B\r\n")}});
    ClusterConnection connection(options_for(node));
    std::string packed;
    encode_command(packed, "X");
    encode_command(packed, "Y", "1");
    connection.send_packed_command(packed, 2);
    EXPECT_EQ(connection.read_responses(2),
              (std::vector<Reply>{Reply::simple_string("A"), Reply::simple_string("B")}));
    EXPECT_EQ(node.commands(), (std::vector<ReceivedCommand>{{0, {"X"}}, {0, {"Y", "1"}}}));
    EXPECT_EQ(node.problems(), kNoProblems);
}

TEST(FakeNode, DestructorStopsAHangingNodePromptly) {
    auto node = std::make_unique<FakeNode>(std::vector<test::FakeScript>{{expect({"GET", "k"}, ""), test::hang()}});
    ClusterConnection connection(options_for(*node, 10s));
    connection.send_command("GET", "k");
    ASSERT_TRUE(node->wait_for_commands(1));
    const auto start = Clock::now();
    node.reset();
    EXPECT_LT(since(start), 500ms);
    // Its sockets are closed: the client sees the end of the stream at once.
    const auto read_start = Clock::now();
    EXPECT_TRUE(thrown<ConnectionError>([&] { (void)connection.read_response(); }));
    EXPECT_LT(since(read_start), 2s);
}

TEST(FakeNode, StopsByItselfAfterItsLifetime) {
    FakeNode node({{expect({"GET", "k"}, ""), test::hang()}}, 300ms);
    ClusterConnection connection(options_for(node, 10s));
    const auto start = Clock::now();
    EXPECT_TRUE(thrown<ConnectionError>([&] { (void)connection.execute("GET", "k"); }));
    EXPECT_LT(since(start), 2s);
    // No one would answer a new connection: it is refused, not left waiting.
    ClusterConnection late(options_for(node, 10s));
    EXPECT_TRUE(thrown<ConnectionError>([&] { late.connect(); }));
    EXPECT_EQ(node.problems(), kNoProblems);
}

}  // namespace
}  // namespace rediscluster
