// The hints added to connection errors that look like a TLS mismatch
// (src/detail/tls_hints.hpp): each rule alone, without sockets.

#include "detail/tls_hints.hpp"

#include <gtest/gtest.h>

namespace rediscluster::detail {
namespace {

bool has(const std::string& hint, std::string_view text) { return hint.find(text) != std::string::npos; }

TEST(TlsFailureHint, ARespReplyToTheHelloMeansAPlainPort) {
    for (const std::string_view bytes : {"-ERR unk", "+OK\r\n", "*1\r\n", "$3\r\n", ":1\r\n"}) {
        const auto hint = tls_failure_hint({.first_bytes = bytes, .not_tls = true});
        EXPECT_TRUE(has(hint, "looks like a Redis reply")) << bytes << ": " << hint;
        EXPECT_TRUE(has(hint, "probably does not speak TLS")) << hint;
    }
}

TEST(TlsFailureHint, OtherBytesThatAreNotTlsOnlyMayMeanAPlainPort) {
    const auto hint = tls_failure_hint({.first_bytes = "HTTP/1.1"});
    EXPECT_TRUE(has(hint, "may not speak TLS")) << hint;
    EXPECT_FALSE(has(hint, "Redis reply")) << hint;
    EXPECT_TRUE(has(tls_failure_hint({.not_tls = true}), "may not speak TLS"));
}

TEST(TlsFailureHint, BytesThatStartATlsRecordAreNoSignOfAPlainPort) {
    // An alert record: 21, version 3.3, length 2, fatal, handshake failure.
    const std::string alert("\x15\x03\x03\x00\x02\x02\x28", 7);
    EXPECT_EQ(tls_failure_hint({.first_bytes = alert, .have_certificate = true}), "");
    EXPECT_FALSE(has(tls_failure_hint({.first_bytes = alert, .peer_aborted = true}), "speak TLS"));
}

TEST(TlsFailureHint, ASilentTimeoutMayMeanAPlainPort) {
    EXPECT_TRUE(has(tls_failure_hint({.timed_out = true}), "sent nothing back: the port may not speak TLS"));
    // The server did answer in TLS: slow, not plain.
    EXPECT_EQ(tls_failure_hint({.first_bytes = "\x16\x03\x03", .timed_out = true, .have_certificate = true}), "");
}

TEST(TlsFailureHint, AnAbortAfterACertificateRequestWithoutOneProbablyMeansItIsRequired) {
    const auto hint = tls_failure_hint(
        {.peer_aborted = true, .handshake_complete = true, .certificate_requested = true, .have_certificate = false});
    EXPECT_TRUE(has(hint, "asked for a client certificate and none is set")) << hint;
    EXPECT_TRUE(has(hint, "probably")) << hint;
    EXPECT_TRUE(has(hint, "tls-auth-clients yes")) << hint;
    EXPECT_TRUE(has(hint, "ssl_certfile and ssl_keyfile")) << hint;
}

TEST(TlsFailureHint, AnAbortDuringTheHandshakeWithoutACertificateMayMeanOneIsRequired) {
    const auto hint = tls_failure_hint({.peer_aborted = true, .have_certificate = false});
    EXPECT_TRUE(has(hint, "may require a client certificate (tls-auth-clients yes)")) << hint;
}

TEST(TlsFailureHint, NoCertificateHintWhenOneWasSentOrNeverAskedFor) {
    EXPECT_EQ(tls_failure_hint({.peer_aborted = true, .certificate_requested = true, .have_certificate = true}), "");
    // A completed handshake without a request: the server does not want one.
    EXPECT_EQ(tls_failure_hint({.peer_aborted = true, .handshake_complete = true}), "");
    // Failures that are not the server's doing.
    EXPECT_EQ(tls_failure_hint({.certificate_requested = true}), "");
}

TEST(TlsFailureHint, ThePlainSideHintNamesTheTlsClass) {
    EXPECT_TRUE(has(std::string(kPlainClientOnTlsPortHint), "may require TLS"));
    EXPECT_TRUE(has(std::string(kPlainClientOnTlsPortHint), "SSLClusterConnection"));
}

}  // namespace
}  // namespace rediscluster::detail
