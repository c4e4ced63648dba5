// Error replies: which exception a server's error text becomes, and the
// target a MOVED or ASK redirect carries. Pure functions, no server.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <typeinfo>

#include "rediscluster/error_reply.hpp"
#include "rediscluster/errors.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

// The exception throw_error_reply(text) throws, caught as E; null when it
// throws something that is not an E (or, impossibly, nothing).
template <class E>
std::unique_ptr<const E> thrown_as(std::string_view text, std::string_view current_host = {}) {
    try {
        throw_error_reply(text, current_host);
    } catch (const E& e) {
        return std::make_unique<const E>(e);
    } catch (...) {
    }
    return nullptr;
}

// The dynamic type of what throw_error_reply(text) throws, mangled (the
// names are readable enough in a failure message).
std::string thrown_type(std::string_view text) {
    try {
        throw_error_reply(text);
    } catch (const std::exception& e) {
        return typeid(e).name();
    }
    return "(nothing thrown)";
}

template <class E>
std::string type_name() {
    return typeid(E).name();
}

// The message of the ResponseError parse_redirect(text) throws.
std::string redirect_error(std::string_view text) {
    return test::error_of<ResponseError>([&] { (void)parse_redirect(text); });
}

// --- classify_error_reply ----------------------------------------------------

struct KindCase {
    std::string text;
    ErrorReplyKind kind;
};

TEST(ClassifyErrorReply, EveryKindFromRealServerTexts) {
    const KindCase cases[] = {
        {"MOVED 3999 127.0.0.1:6381", ErrorReplyKind::moved},
        {"ASK 3999 127.0.0.1:6381", ErrorReplyKind::ask},
        {"TRYAGAIN Multiple keys request during rehashing of slot", ErrorReplyKind::try_again},
        {"CLUSTERDOWN The cluster is down", ErrorReplyKind::cluster_down},
        {"CLUSTERDOWN Hash slot not served", ErrorReplyKind::cluster_down},
        {"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
         ErrorReplyKind::master_down},
        {"CROSSSLOT Keys in request don't hash to the same slot", ErrorReplyKind::cross_slot},
        {"LOADING Redis is loading the dataset in memory", ErrorReplyKind::loading},
        {"NOAUTH Authentication required.", ErrorReplyKind::authentication},
        {"WRONGPASS invalid username-password pair or user is disabled.", ErrorReplyKind::authentication},
        {"ERR invalid password", ErrorReplyKind::authentication},
        {"ERR invalid username-password pair", ErrorReplyKind::authentication},
        {"ERR AUTH <password> called without any password configured for the default user. "
         "Are you sure your configuration is correct?",
         ErrorReplyKind::authentication},
        {"ERR Client sent AUTH, but no password is set", ErrorReplyKind::authentication},
        {"READONLY You can't write against a read only replica.", ErrorReplyKind::read_only},
        {"NOSCRIPT No matching script. Please use EVAL.", ErrorReplyKind::no_script},
        {"ERR max number of clients reached", ErrorReplyKind::max_clients},
        {"EXECABORT Transaction discarded because of previous errors.", ErrorReplyKind::exec_abort},
        {"ERR unknown command 'FOO', with args beginning with: ", ErrorReplyKind::other},
        {"WRONGTYPE Operation against a key holding the wrong kind of value", ErrorReplyKind::other},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(classify_error_reply(c.text), c.kind) << c.text;
    }
}

TEST(ClassifyErrorReply, TheBareWordIsEnough) {
    EXPECT_EQ(classify_error_reply("TRYAGAIN"), ErrorReplyKind::try_again);
    EXPECT_EQ(classify_error_reply("CLUSTERDOWN"), ErrorReplyKind::cluster_down);
    EXPECT_EQ(classify_error_reply("NOAUTH"), ErrorReplyKind::authentication);
    EXPECT_EQ(classify_error_reply("READONLY"), ErrorReplyKind::read_only);
}

TEST(ClassifyErrorReply, OnlyWholeWordsCount) {
    // A word that merely starts like a known one is something else.
    EXPECT_EQ(classify_error_reply("MOVEDX 1 h:1"), ErrorReplyKind::other);
    EXPECT_EQ(classify_error_reply("ASKING is not an error"), ErrorReplyKind::other);
    EXPECT_EQ(classify_error_reply("LOADINGS"), ErrorReplyKind::other);
    EXPECT_EQ(classify_error_reply("READONLYX"), ErrorReplyKind::other);
    EXPECT_EQ(classify_error_reply("NOSCRIPTS"), ErrorReplyKind::other);
    EXPECT_EQ(classify_error_reply("ERRinvalid password"), ErrorReplyKind::other);
    // The words are upper case on the wire; lower case is not theirs.
    EXPECT_EQ(classify_error_reply("moved 1 h:1"), ErrorReplyKind::other);
    EXPECT_EQ(classify_error_reply(""), ErrorReplyKind::other);
}

TEST(ClassifyErrorReply, OtherErrTextsAreNotAuthentication) {
    EXPECT_EQ(classify_error_reply("ERR AUTH is fine"), ErrorReplyKind::other);
    EXPECT_EQ(classify_error_reply("ERR syntax error"), ErrorReplyKind::other);
    EXPECT_EQ(classify_error_reply("ERR"), ErrorReplyKind::other);
}

// --- parse_redirect ------------------------------------------------------------

TEST(ParseRedirect, MovedIPv4) {
    const auto redirect = parse_redirect("MOVED 3999 127.0.0.1:6381");
    ASSERT_TRUE(redirect);
    EXPECT_EQ(*redirect, (Redirect{.moved = true, .slot = 3999, .host = "127.0.0.1", .port = 6381}));
}

TEST(ParseRedirect, AskIPv4) {
    const auto redirect = parse_redirect("ASK 12182 10.0.0.7:7002");
    ASSERT_TRUE(redirect);
    EXPECT_EQ(*redirect, (Redirect{.moved = false, .slot = 12182, .host = "10.0.0.7", .port = 7002}));
}

TEST(ParseRedirect, IPv6SplitsAtTheLastColon) {
    const auto redirect = parse_redirect("MOVED 3999 2001:db8::1:7000");
    ASSERT_TRUE(redirect);
    EXPECT_EQ(redirect->host, "2001:db8::1");
    EXPECT_EQ(redirect->port, 7000);
    EXPECT_EQ(redirect->slot, 3999);

    const auto ask = parse_redirect("ASK 0 ::1:6379");
    ASSERT_TRUE(ask);
    EXPECT_FALSE(ask->moved);
    EXPECT_EQ(ask->host, "::1");
    EXPECT_EQ(ask->port, 6379);
}

TEST(ParseRedirect, BracketedIPv6LosesItsBrackets) {
    const auto redirect = parse_redirect("MOVED 1 [::1]:7000");
    ASSERT_TRUE(redirect);
    EXPECT_EQ(redirect->host, "::1");
    EXPECT_EQ(redirect->port, 7000);
}

TEST(ParseRedirect, HostNameIsKept) {
    const auto redirect = parse_redirect("MOVED 7 redis-3.example.com:6380");
    ASSERT_TRUE(redirect);
    EXPECT_EQ(redirect->host, "redis-3.example.com");
    EXPECT_EQ(redirect->port, 6380);
}

TEST(ParseRedirect, EmptyHostMeansTheNodeThatAnswered) {
    const auto redirect = parse_redirect("MOVED 3999 :7000");
    ASSERT_TRUE(redirect);
    EXPECT_EQ(redirect->host, "");
    EXPECT_EQ(redirect->port, 7000);
}

TEST(ParseRedirect, SlotAndPortBounds) {
    EXPECT_EQ(parse_redirect("MOVED 0 h:1")->slot, 0);
    EXPECT_EQ(parse_redirect("MOVED 16383 h:1")->slot, 16383);
    EXPECT_EQ(parse_redirect("MOVED 1 h:65535")->port, 65535);
    EXPECT_EQ(parse_redirect("MOVED 1 h:1")->port, 1);
}

TEST(ParseRedirect, OtherErrorsAreNotRedirects) {
    EXPECT_EQ(parse_redirect("ERR unknown command"), std::nullopt);
    EXPECT_EQ(parse_redirect("TRYAGAIN"), std::nullopt);
    EXPECT_EQ(parse_redirect("MOVEDX 1 h:1"), std::nullopt);
    EXPECT_EQ(parse_redirect("ASKING"), std::nullopt);
    EXPECT_EQ(parse_redirect(""), std::nullopt);
}

struct MalformedCase {
    std::string text;
    std::string why;  // a part of the message saying what is wrong
};

TEST(ParseRedirect, MalformedRedirectsThrowResponseErrorQuotingTheText) {
    const MalformedCase cases[] = {
        {"MOVED", "expected \"<slot> <host>:<port>\""},
        {"ASK", "expected \"<slot> <host>:<port>\""},
        {"MOVED 3999", "found no address"},
        {"ASK 3999", "found no address"},
        {"MOVED 16384 127.0.0.1:7000", "slot \"16384\" is not a number from 0 to 16383"},
        {"MOVED 99999 127.0.0.1:7000", "slot \"99999\""},
        {"MOVED -1 127.0.0.1:7000", "slot \"-1\""},
        {"MOVED +1 127.0.0.1:7000", "slot \"+1\""},
        {"MOVED abc 127.0.0.1:7000", "slot \"abc\""},
        {"MOVED 12a 127.0.0.1:7000", "slot \"12a\""},
        {"MOVED  127.0.0.1:7000", "slot \"\""},
        {"MOVED 3999 127.0.0.1:0", "port \"0\" is not a number from 1 to 65535"},
        {"MOVED 3999 127.0.0.1:70000", "port \"70000\""},
        {"MOVED 3999 127.0.0.1:65536", "port \"65536\""},
        {"MOVED 3999 127.0.0.1:700000", "port \"700000\""},
        {"MOVED 3999 127.0.0.1:", "port \"\""},
        {"MOVED 3999 127.0.0.1:7x00", "port \"7x00\""},
        {"ASK 3999 127.0.0.1:http", "port \"http\""},
        {"MOVED 3999 127.0.0.1", "has no port"},
        {"MOVED 3999 [::1]", "port \"1]\""},
        {"MOVED 3999 127.0.0.1:7000 extra", "unexpected text after the address"},
    };
    for (const auto& c : cases) {
        const auto message = redirect_error(c.text);
        EXPECT_NE(message.find("\"" + c.text + "\""), std::string::npos) << "quotes the text: " << message;
        EXPECT_NE(message.find(c.why), std::string::npos) << "for " << c.text << ": " << message;
    }
}

TEST(ParseRedirect, MalformedRedirectIsAPlainResponseError) {
    // Not an AskError: there is no target to follow.
    EXPECT_EQ(thrown_type("MOVED 16384 127.0.0.1:7000"), type_name<ResponseError>());
    EXPECT_EQ(thrown_type("ASK x h:1"), type_name<ResponseError>());
}

// --- throw_error_reply -----------------------------------------------------------

TEST(ThrowErrorReply, MovedCarriesSlotAndTarget) {
    const auto moved = thrown_as<MovedError>("MOVED 12182 127.0.0.1:7002");
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->slot_id, 12182);
    EXPECT_EQ(moved->host, "127.0.0.1");
    EXPECT_EQ(moved->port, 7002);
    EXPECT_EQ(moved->node_addr(), "127.0.0.1:7002");
    EXPECT_STREQ(moved->what(), "12182 127.0.0.1:7002");
    EXPECT_EQ(thrown_type("MOVED 12182 127.0.0.1:7002"), type_name<MovedError>());
}

TEST(ThrowErrorReply, AskCarriesSlotAndTargetAndIsNotMoved) {
    const auto ask = thrown_as<AskError>("ASK 3999 127.0.0.1:6381");
    ASSERT_TRUE(ask);
    EXPECT_EQ(ask->slot_id, 3999);
    EXPECT_EQ(ask->host, "127.0.0.1");
    EXPECT_EQ(ask->port, 6381);
    EXPECT_STREQ(ask->what(), "3999 127.0.0.1:6381");
    EXPECT_EQ(thrown_type("ASK 3999 127.0.0.1:6381"), type_name<AskError>());
    EXPECT_FALSE(thrown_as<MovedError>("ASK 3999 127.0.0.1:6381"));
}

TEST(ThrowErrorReply, RedirectsAreResponseErrors) {
    EXPECT_TRUE(thrown_as<ResponseError>("MOVED 1 h:1"));
    EXPECT_TRUE(thrown_as<AskError>("MOVED 1 h:1"));  // MovedError derives from AskError
    EXPECT_TRUE(thrown_as<ResponseError>("ASK 1 h:1"));
}

TEST(ThrowErrorReply, IPv6RedirectTarget) {
    const auto moved = thrown_as<MovedError>("MOVED 3999 2001:db8::1:7000");
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->host, "2001:db8::1");
    EXPECT_EQ(moved->port, 7000);
    EXPECT_EQ(moved->node_addr(), "2001:db8::1:7000");

    const auto bracketed = thrown_as<AskError>("ASK 5 [::1]:7001");
    ASSERT_TRUE(bracketed);
    EXPECT_EQ(bracketed->host, "::1");
    EXPECT_EQ(bracketed->port, 7001);
}

TEST(ThrowErrorReply, EmptyHostIsTheNodeThatAnswered) {
    const auto moved = thrown_as<MovedError>("MOVED 3999 :7000", "10.0.0.5");
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->host, "10.0.0.5");
    EXPECT_EQ(moved->port, 7000);
    EXPECT_EQ(moved->slot_id, 3999);
    // The message stays the server's text after the word.
    EXPECT_STREQ(moved->what(), "3999 :7000");

    const auto ask = thrown_as<AskError>("ASK 1 :7001", "node-a");
    ASSERT_TRUE(ask);
    EXPECT_EQ(ask->host, "node-a");
}

TEST(ThrowErrorReply, NonEmptyHostIsNotReplaced) {
    const auto moved = thrown_as<MovedError>("MOVED 3999 127.0.0.2:7000", "10.0.0.5");
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->host, "127.0.0.2");
}

TEST(ThrowErrorReply, EmptyHostWithoutCurrentHostStaysEmpty) {
    const auto moved = thrown_as<MovedError>("MOVED 3999 :7000");
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->host, "");
}

TEST(ThrowErrorReply, MalformedRedirectThrowsResponseError) {
    const auto error = thrown_as<ResponseError>("MOVED 3999 127.0.0.1:0", "h");
    ASSERT_TRUE(error);
    EXPECT_NE(std::string(error->what()).find("MOVED 3999 127.0.0.1:0"), std::string::npos) << error->what();
    EXPECT_FALSE(thrown_as<AskError>("MOVED 3999 127.0.0.1:0", "h"));
}

struct TypeCase {
    std::string text;
    std::string type;
};

TEST(ThrowErrorReply, EachKindHasItsExactTypeAndKeepsTheWholeText) {
    const TypeCase cases[] = {
        {"TRYAGAIN Multiple keys request during rehashing of slot", type_name<TryAgainError>()},
        {"CLUSTERDOWN The cluster is down", type_name<ClusterDownError>()},
        {"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
         type_name<MasterDownError>()},
        {"CROSSSLOT Keys in request don't hash to the same slot", type_name<ClusterCrossSlotError>()},
        {"LOADING Redis is loading the dataset in memory", type_name<BusyLoadingError>()},
        {"NOAUTH Authentication required.", type_name<AuthenticationError>()},
        {"WRONGPASS invalid username-password pair or user is disabled.", type_name<AuthenticationError>()},
        {"ERR invalid password", type_name<AuthenticationError>()},
        {"ERR invalid username-password pair", type_name<AuthenticationError>()},
        {"ERR AUTH <password> called without any password configured for the default user. "
         "Are you sure your configuration is correct?",
         type_name<AuthenticationError>()},
        {"ERR Client sent AUTH, but no password is set", type_name<AuthenticationError>()},
        {"READONLY You can't write against a read only replica.", type_name<ReadOnlyError>()},
        {"NOSCRIPT No matching script. Please use EVAL.", type_name<NoScriptError>()},
        {"ERR max number of clients reached", type_name<ConnectionError>()},
        {"EXECABORT Transaction discarded because of previous errors.", type_name<ExecAbortError>()},
        {"WRONGTYPE Operation against a key holding the wrong kind of value", type_name<ResponseError>()},
        {"ERR unknown command 'FOO', with args beginning with: ", type_name<ResponseError>()},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(thrown_type(c.text), c.type) << c.text;
        // Every kind but the redirects keeps the server's whole text.
        const auto error = thrown_as<Error>(c.text);
        ASSERT_TRUE(error) << c.text;
        EXPECT_EQ(error->what(), c.text);
    }
}

TEST(ThrowErrorReply, ClusterDownIsCaughtAsClusterErrorAndAsResponseError) {
    const std::string text = "CLUSTERDOWN The cluster is down";
    EXPECT_TRUE(thrown_as<ClusterDownError>(text));
    EXPECT_TRUE(thrown_as<ClusterError>(text));
    EXPECT_TRUE(thrown_as<ResponseError>(text));
    EXPECT_TRUE(thrown_as<RedisError>(text));
    EXPECT_FALSE(thrown_as<ConnectionError>(text));
    EXPECT_STREQ(thrown_as<ClusterError>(text)->what(), text.c_str());
}

TEST(ThrowErrorReply, MasterDownIsAClusterDown) {
    const std::string text = "MASTERDOWN Link with MASTER is down";
    EXPECT_TRUE(thrown_as<ClusterDownError>(text));
    EXPECT_TRUE(thrown_as<ClusterError>(text));
    EXPECT_TRUE(thrown_as<ResponseError>(text));
}

TEST(ThrowErrorReply, CrossSlotKeepsTheServersTextNotTheDefault) {
    const auto error = thrown_as<ClusterCrossSlotError>("CROSSSLOT Keys in request don't hash to the same slot!");
    ASSERT_TRUE(error);
    EXPECT_STREQ(error->what(), "CROSSSLOT Keys in request don't hash to the same slot!");
}

TEST(ThrowErrorReply, ConnectionKindsAreNotResponseErrors) {
    // A pool decides to drop the connection by catching ConnectionError;
    // these must not be mistaken for a command's own error.
    EXPECT_FALSE(thrown_as<ResponseError>("LOADING Redis is loading the dataset in memory"));
    EXPECT_FALSE(thrown_as<ResponseError>("NOAUTH Authentication required."));
    EXPECT_FALSE(thrown_as<ResponseError>("ERR max number of clients reached"));
    EXPECT_TRUE(thrown_as<ConnectionError>("LOADING Redis is loading the dataset in memory"));
    EXPECT_TRUE(thrown_as<ConnectionError>("WRONGPASS invalid username-password pair or user is disabled."));
    EXPECT_FALSE(thrown_as<AuthenticationError>("ERR max number of clients reached"));
}

TEST(ThrowErrorReply, OrdinaryErrorsAreResponseErrorsOnly) {
    const std::string text = "WRONGTYPE Operation against a key holding the wrong kind of value";
    const auto error = thrown_as<ResponseError>(text);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->what(), text);
    EXPECT_FALSE(thrown_as<AskError>(text));
    EXPECT_FALSE(thrown_as<ClusterError>(text));
    EXPECT_FALSE(thrown_as<ConnectionError>(text));
}

TEST(ThrowErrorReply, EmptyTextIsAResponseError) {
    EXPECT_EQ(thrown_type(""), type_name<ResponseError>());
}

}  // namespace
}  // namespace rediscluster
