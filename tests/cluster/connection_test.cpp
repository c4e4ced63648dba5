// ClusterConnection and SSLClusterConnection against real redis-server nodes:
// the plain cluster, the TLS cluster (tls-auth-clients yes) and the ACL
// cluster that CTest starts. Each option is checked by its effect.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "cluster_env.hpp"
#include "support/error_of.hpp"
#include "rediscluster/connection.hpp"
#include "rediscluster/slot.hpp"

extern char** environ;

namespace rediscluster {
namespace {

using test::error_of;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

ConnectionOptions plain(std::uint16_t port) {
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.socket_timeout = 5s;
    return options;
}

std::string tls_file(const std::string& name) { return test::tls_dir() + "/" + name; }

ConnectionOptions tls(const std::string& host = "127.0.0.1") {
    ConnectionOptions options;
    options.host = host;
    options.port = test::tls_port();
    options.socket_timeout = 5s;
    options.ssl_ca_certs = tls_file("ca.crt");
    options.ssl_certfile = tls_file("client.crt");
    options.ssl_keyfile = tls_file("client.key");
    return options;
}

std::string client_info(Connection& connection) { return std::string(connection.execute("CLIENT", "INFO").str()); }

// --- plain ------------------------------------------------------------------

TEST(ClusterConnection, ConnectsLazilyAndPings) {
    ClusterConnection connection(plain(test::plain_port()));
    EXPECT_FALSE(connection.is_connected());
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
    EXPECT_TRUE(connection.is_connected());
    EXPECT_GE(connection.native_handle(), 0);
    connection.disconnect();
    EXPECT_FALSE(connection.is_connected());
    connection.disconnect();  // idempotent
}

TEST(ClusterConnection, ClientNameIsSetOnConnect) {
    auto options = plain(test::plain_port());
    options.client_name = "rediscluster-test";
    ClusterConnection connection(options);
    EXPECT_NE(client_info(connection).find("name=rediscluster-test"), std::string::npos);
}

// A key whose slot the master of `replica_port` owns.
std::string key_served_by_master_of(std::uint16_t replica_port) {
    const auto role = test::node_command(replica_port, {"ROLE"});
    const auto master_port = role[2].integer();
    const auto slots = test::node_command(replica_port, {"CLUSTER", "SLOTS"});
    for (int i = 0;; ++i) {
        const auto key = "probe:" + std::to_string(i);
        for (const auto& range : slots.elements()) {
            if (range[2][1].integer() == master_port && key_slot(key) >= range[0].integer() &&
                key_slot(key) <= range[1].integer()) {
                return key;
            }
        }
    }
}

TEST(ClusterConnection, ReadonlyIsSentOnceOnConnect) {
    auto options = plain(test::plain_node(3));  // a replica of the fresh cluster
    const auto key = key_served_by_master_of(options.port);
    ClusterConnection plain_replica(options);
    EXPECT_THROW((void)plain_replica.execute("GET", key), MovedError);  // without READONLY: redirected

    options.readonly = true;
    ClusterConnection connection(options);
    EXPECT_NE(client_info(connection).find("flags=r"), std::string::npos);
    EXPECT_NO_THROW((void)connection.execute("GET", key));  // the replica serves the read
    const auto readonly_calls = test::info_field(options.port, "commandstats", "cmdstat_readonly", "calls");
    (void)connection.execute("GET", key);
    (void)connection.execute("GET", key);
    EXPECT_EQ(test::info_field(options.port, "commandstats", "cmdstat_readonly", "calls"), readonly_calls);
}

TEST(ClusterConnection, SelectIsRefusedClearlyByAClusterNode) {
    auto options = plain(test::plain_port());
    options.db = 1;
    ClusterConnection connection(options);
    const auto message = error_of<ConnectionError>([&] { connection.connect(); });
    EXPECT_NE(message.find("SELECT 1 failed on 127.0.0.1:"), std::string::npos) << message;
    EXPECT_FALSE(connection.is_connected());
}

TEST(ClusterConnection, KeepaliveAndNoDelayAreSetOnTheSocket) {
    auto options = plain(test::plain_port());
    options.socket_keepalive = true;
    options.socket_keepalive_options = {.idle = 30s, .interval = 5s, .count = 4};
    ClusterConnection connection(options);
    connection.connect();
    const int fd = connection.native_handle();
    auto option = [&](int level, int name) {
        int value = -1;
        socklen_t length = sizeof value;
        getsockopt(fd, level, name, &value, &length);
        return value;
    };
    EXPECT_EQ(option(SOL_SOCKET, SO_KEEPALIVE), 1);
    EXPECT_EQ(option(IPPROTO_TCP, TCP_KEEPIDLE), 30);
    EXPECT_EQ(option(IPPROTO_TCP, TCP_KEEPINTVL), 5);
    EXPECT_EQ(option(IPPROTO_TCP, TCP_KEEPCNT), 4);
    EXPECT_EQ(option(IPPROTO_TCP, TCP_NODELAY), 1);

    ClusterConnection without(plain(test::plain_port()));
    without.connect();
    int value = -1;
    socklen_t length = sizeof value;
    getsockopt(without.native_handle(), SOL_SOCKET, SO_KEEPALIVE, &value, &length);
    EXPECT_EQ(value, 0);
}

TEST(ClusterConnection, MovedFromARealNodeCarriesSlotAndTarget) {
    // Find a master that does not own "foo" and ask it anyway.
    const auto slots = test::node_command(test::plain_port(), {"CLUSTER", "SLOTS"});
    const auto slot = key_slot("foo");
    std::uint16_t owner = 0;
    std::uint16_t other = 0;
    for (const auto& range : slots.elements()) {
        const auto port = static_cast<std::uint16_t>(range[2][1].integer());
        if (slot >= range[0].integer() && slot <= range[1].integer()) owner = port;
        else other = port;
    }
    ClusterConnection connection(plain(other));
    try {
        (void)connection.execute("GET", "foo");
        FAIL() << "expected MovedError";
    } catch (const MovedError& e) {
        EXPECT_EQ(e.slot_id, slot);
        EXPECT_EQ(e.host, "127.0.0.1");
        EXPECT_EQ(e.port, owner);
    }
    EXPECT_TRUE(connection.is_connected());  // an error reply leaves the connection usable
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
}

TEST(ClusterConnection, BatchReadsEveryReplyInOrderWithErrorsAsValues) {
    ClusterConnection connection(plain(test::plain_port()));
    std::string batch;
    encode_command(batch, "PING");
    encode_command(batch, "NO-SUCH-COMMAND");
    encode_command(batch, "ECHO", "last");
    connection.send_packed_command(batch, 3);
    EXPECT_EQ(connection.pending_replies(), 3u);
    const auto replies = connection.read_responses(3);
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0], Reply::simple_string("PONG"));
    EXPECT_TRUE(replies[1].is_error());
    EXPECT_EQ(replies[2], Reply::bulk_string("last"));
    EXPECT_EQ(connection.pending_replies(), 0u);
}

TEST(ClusterConnection, InvalidUtf8WithStrictDecodingIsADataError) {
    const auto slot_owner = [] {
        const auto slots = test::node_command(test::plain_port(), {"CLUSTER", "SLOTS"});
        for (const auto& range : slots.elements()) {
            if (key_slot("utf8-probe") >= range[0].integer() && key_slot("utf8-probe") <= range[1].integer()) {
                return static_cast<std::uint16_t>(range[2][1].integer());
            }
        }
        return std::uint16_t{0};
    }();
    ClusterConnection writer(plain(slot_owner));
    (void)writer.execute("SET", "utf8-probe", std::string_view("ok\xff\xfe", 4));

    auto options = plain(slot_owner);
    options.decode_responses = true;
    ClusterConnection strict(options);
    const auto message = error_of<DataError>([&] { (void)strict.execute("GET", "utf8-probe"); });
    EXPECT_NE(message.find("not valid utf-8"), std::string::npos) << message;
    EXPECT_NE(message.find("offset 2"), std::string::npos) << message;

    options.encoding_errors = "replace";
    ClusterConnection replacing(options);
    EXPECT_EQ(replacing.execute("GET", "utf8-probe").str(), "ok\xEF\xBF\xBD\xEF\xBF\xBD");  // one U+FFFD per bad byte
    options.encoding = "latin-1";
    ClusterConnection latin1(options);
    EXPECT_EQ(latin1.execute("GET", "utf8-probe").str(), "ok\xC3\xBF\xC3\xBE");
}

TEST(ClusterConnection, ClosedPortIsAConnectionErrorAtOnce) {
    auto options = plain(1);
    options.socket_connect_timeout = 2s;
    ClusterConnection connection(options);
    const auto started = Clock::now();
    const auto message = error_of<ConnectionError>([&] { connection.connect(); });
    EXPECT_LT(Clock::now() - started, 2s);
    EXPECT_NE(message.find("127.0.0.1:1"), std::string::npos) << message;
    EXPECT_NE(message.find("refused"), std::string::npos) << message;
}

// A socket that listens but never reads: the kernel accepts the TCP
// connection, no reply ever comes. A PING to it fails with a TimeoutError
// once socket_timeout (300 ms) has passed, whether the read polls first
// (busy_poll) or not.
void expect_a_silent_listener_to_time_out(std::chrono::microseconds busy_poll) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    socklen_t length = sizeof address;
    getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);

    auto options = plain(ntohs(address.sin_port));
    options.socket_timeout = 300ms;
    options.busy_poll = busy_poll;
    ClusterConnection connection(options);
    const auto started = Clock::now();
    const auto message = error_of<TimeoutError>([&] { (void)connection.execute("PING"); });
    const auto waited = Clock::now() - started;
    EXPECT_GE(waited, 290ms);
    EXPECT_LT(waited, 2s);
    EXPECT_NE(message.find("Timeout reading from"), std::string::npos) << message;
    EXPECT_FALSE(connection.is_connected());
    ::close(listener);
}

TEST(ClusterConnection, AListenerThatNeverAnswersTimesOutWithinTheSocketTimeout) {
    expect_a_silent_listener_to_time_out(0us);
}

TEST(ClusterConnection, RetryOnTimeoutRetriesOnceOnAFreshConnection) {
    const auto port = test::plain_node(1);
    auto options = plain(port);
    options.socket_timeout = 500ms;
    ClusterConnection pauser(plain(port));

    ClusterConnection no_retry(options);
    no_retry.connect();
    (void)pauser.execute("CLIENT", "PAUSE", 800, "ALL");
    EXPECT_THROW((void)no_retry.execute("PING"), TimeoutError);
    std::this_thread::sleep_for(400ms);  // let the pause end

    options.retry_on_timeout = true;
    ClusterConnection retrying(options);
    retrying.connect();
    (void)pauser.execute("CLIENT", "PAUSE", 800, "ALL");
    EXPECT_EQ(retrying.execute("PING"), Reply::simple_string("PONG"));
}

TEST(ClusterConnection, InvalidOptionsAreConfigErrorsNamingTheField) {
    auto options = plain(test::plain_port());
    options.encoding = "utf-16";
    EXPECT_NE(error_of<RedisClusterConfigError>([&] { ClusterConnection c(options); }).find("utf-16"), std::string::npos);
    options = plain(test::plain_port());
    options.encoding_errors = "loose";
    EXPECT_NE(error_of<RedisClusterConfigError>([&] { ClusterConnection c(options); }).find("encoding_errors"), std::string::npos);
    options = plain(test::plain_port());
    options.socket_timeout = 0ms;
    EXPECT_NE(error_of<RedisClusterConfigError>([&] { ClusterConnection c(options); }).find("socket_timeout"), std::string::npos);
    options = plain(0);
    EXPECT_THROW(ClusterConnection{options}, RedisClusterConfigError);
    options = plain(test::plain_port());
    options.busy_poll = -1us;
    EXPECT_NE(error_of<RedisClusterConfigError>([&] { ClusterConnection c(options); }).find("busy_poll -1 us"), std::string::npos);
    options.busy_poll = 200ms;
    EXPECT_NE(error_of<RedisClusterConfigError>([&] { ClusterConnection c(options); }).find("busy_poll 200000 us"), std::string::npos);
    options = plain(test::plain_port());
    options.ssl_cert_reqs = "maybe";
    EXPECT_NE(error_of<RedisClusterConfigError>([&] { ClusterConnection c(options); }).find("ssl_cert_reqs"), std::string::npos);
}

// --- busy_poll: replies quicker and slower than the budget ---------------------

// Replies of every size, each the echo of what was sent, then one held back
// well past the budget (CLIENT PAUSE from another connection): the read
// polls, gives up, sleeps, and still gets it.
void expect_quick_and_slow_replies(Connection& connection, Connection& pauser) {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{70000}, std::size_t{1} << 20}) {
        for (int round = 0; round < 20; ++round) {
            const std::string payload(size, static_cast<char>('a' + round));
            ASSERT_EQ(connection.execute("ECHO", payload), Reply::bulk_string(payload)) << size << " bytes";
        }
    }
    connection.connect();
    (void)pauser.execute("CLIENT", "PAUSE", 300, "ALL");
    const auto started = Clock::now();
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
    EXPECT_GE(Clock::now() - started, 200ms) << "the pause did not hold the reply back";
    EXPECT_EQ(connection.execute("ECHO", "after"), Reply::bulk_string("after"));
    EXPECT_EQ(connection.pending_replies(), 0u);
}

TEST(ClusterConnection, BusyPollReadsRepliesThatComeWithinAndAfterTheBudget) {
    auto options = plain(test::plain_port());
    options.busy_poll = 200us;
    ClusterConnection connection(options);
    ClusterConnection pauser(plain(test::plain_port()));
    expect_quick_and_slow_replies(connection, pauser);
}

TEST(ClusterConnection, BusyPollKeepsTheSocketTimeout) {
    expect_a_silent_listener_to_time_out(100ms);  // the largest busy_poll allowed
}

// --- ACL --------------------------------------------------------------------

ConnectionOptions acl(std::optional<std::string> user, std::optional<std::string> password) {
    auto options = plain(test::acl_port());
    options.username = std::move(user);
    options.password = std::move(password);
    return options;
}

TEST(ClusterConnectionAcl, RightUserAndPasswordWork) {
    ClusterConnection connection(acl("alice", "wonderland"));
    EXPECT_EQ(connection.execute("ACL", "WHOAMI"), Reply::bulk_string("alice"));
}

TEST(ClusterConnectionAcl, WrongPasswordIsAnAuthenticationError) {
    ClusterConnection connection(acl("alice", "not-it"));
    const auto message = error_of<AuthenticationError>([&] { connection.connect(); });
    EXPECT_NE(message.find("WRONGPASS"), std::string::npos) << message;
    EXPECT_NE(message.find("AUTH failed on 127.0.0.1:" + std::to_string(test::acl_port())), std::string::npos)
        << message;
    EXPECT_FALSE(connection.is_connected());
    ClusterConnection unknown(acl("bob", "wonderland"));
    EXPECT_THROW(unknown.connect(), AuthenticationError);
    // The password alone is AUTH for the default user, disabled here.
    ClusterConnection default_user(acl(std::nullopt, "wonderland"));
    EXPECT_THROW(default_user.connect(), AuthenticationError);
}


TEST(ClusterConnectionAcl, NoCredentialsGiveNoauthAsAnAuthenticationError) {
    ClusterConnection connection(acl(std::nullopt, std::nullopt));
    EXPECT_THROW((void)connection.execute("GET", "x"), AuthenticationError);
}

// --- TLS --------------------------------------------------------------------

TEST(SSLClusterConnection, VerifiedConnectionWithClientCertificate) {
    SSLClusterConnection connection(tls());
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
    SSLClusterConnection by_name(tls("localhost"));  // DNS SAN, checked
    EXPECT_EQ(by_name.execute("PING"), Reply::simple_string("PONG"));
}

TEST(SSLClusterConnection, BusyPollReadsRepliesThatComeWithinAndAfterTheBudget) {
    auto options = tls();
    options.busy_poll = 200us;
    SSLClusterConnection connection(options);
    SSLClusterConnection pauser(tls());
    expect_quick_and_slow_replies(connection, pauser);
}

TEST(SSLClusterConnection, WrongCaIsRefused) {
    auto options = tls();
    options.ssl_ca_certs = tls_file("other-ca.crt");
    SSLClusterConnection connection(options);
    const auto message = error_of<ConnectionError>([&] { connection.connect(); });
    EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
    EXPECT_FALSE(connection.is_connected());
}

TEST(SSLClusterConnection, CertReqsNoneAcceptsAnUnverifiableServer) {
    auto options = tls();
    options.ssl_ca_certs = tls_file("other-ca.crt");
    options.ssl_cert_reqs = "none";
    SSLClusterConnection connection(options);
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
}

TEST(SSLClusterConnection, MissingClientCertificateIsRefusedWhenTheServerRequiresOne) {
    auto options = tls();
    options.ssl_certfile.reset();
    options.ssl_keyfile.reset();
    SSLClusterConnection connection(options);
    // With TLS 1.3 the refusal comes with the first reply (an alert, or a
    // reset when the server closed first); either way the error says why.
    const auto message = error_of<ConnectionError>([&] { (void)connection.execute("PING"); });
    EXPECT_NE(message.find("127.0.0.1:" + std::to_string(test::tls_port())), std::string::npos) << message;
    EXPECT_NE(message.find("the server asked for a client certificate and none is set"), std::string::npos)
        << message;
    EXPECT_NE(message.find("set ssl_certfile and ssl_keyfile"), std::string::npos) << message;
    EXPECT_FALSE(connection.is_connected());
}

TEST(SSLClusterConnection, EncryptedKeyNeedsItsPassword) {
    auto options = tls();
    options.ssl_keyfile = tls_file("client-encrypted.key");
    std::ifstream password_file(tls_file("client-key-password.txt"));
    std::string password;
    std::getline(password_file, password);
    options.ssl_password = password;
    SSLClusterConnection connection(options);
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));

    options.ssl_password = "wrong";
    const auto message = error_of<RedisClusterConfigError>([&] { SSLClusterConnection c(options); });
    EXPECT_NE(message.find("client-encrypted.key"), std::string::npos) << message;
}

TEST(SSLClusterConnection, UnreadableFilesAreConfigErrorsNamingTheFile) {
    auto options = tls();
    options.ssl_ca_certs = "/nonexistent/ca.crt";
    const auto message = error_of<RedisClusterConfigError>([&] { SSLClusterConnection c(options); });
    EXPECT_NE(message.find("ssl_ca_certs"), std::string::npos) << message;
    EXPECT_NE(message.find("/nonexistent/ca.crt"), std::string::npos) << message;
}

TEST(SSLClusterConnection, PlainConnectionToATlsPortFails) {
    auto options = plain(test::tls_port());
    options.socket_timeout = 1s;
    ClusterConnection connection(options);
    const auto message = error_of<RedisError>([&] { (void)connection.execute("PING"); });
    EXPECT_NE(message.find("the port may require TLS"), std::string::npos) << message;
    EXPECT_FALSE(connection.is_connected());
}

TEST(SSLClusterConnection, TlsConnectionToAPlainPortSaysThePortMayNotSpeakTls) {
    // A plain node reads the hello as an inline command: it waits for a
    // newline (a timeout), or answers an error reply if the hello's random
    // bytes hold one. Both errors say so.
    auto options = tls();
    options.port = test::plain_port();
    options.socket_connect_timeout = 500ms;
    SSLClusterConnection connection(options);
    const auto message = error_of<RedisError>([&] { connection.connect(); });
    EXPECT_NE(message.find("TLS handshake"), std::string::npos) << message;
    EXPECT_NE(message.find("speak TLS"), std::string::npos) << message;
    EXPECT_FALSE(connection.is_connected());
}

// A standalone TLS redis-server whose certificate names only
// not-this-host.invalid, started and stopped (by PID) by this fixture.
class WrongHostServer : public ::testing::Test {
protected:
    static constexpr std::uint16_t kPort = 7190;

    static void SetUpTestSuite() {
        const std::string port = std::to_string(kPort);
        std::vector<std::string> args = {"redis-server", "--port", "0", "--tls-port", port, "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--tls-cert-file", tls_file("wrong-host.crt"),
                                         "--tls-key-file", tls_file("wrong-host.key"), "--tls-ca-cert-file",
                                         tls_file("ca.crt"), "--tls-auth-clients", "no"};
        std::vector<char*> argv;
        for (auto& arg : args) argv.push_back(arg.data());
        argv.push_back(nullptr);
        ASSERT_EQ(posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ), 0);
        // Wait (bounded) until it accepts TLS connections.
        auto options = tls();
        options.port = kPort;
        options.ssl_check_hostname = false;
        for (int attempt = 0; attempt < 100; ++attempt) {
            try {
                SSLClusterConnection probe(options);
                if (probe.execute("PING") == Reply::simple_string("PONG")) return;
            } catch (const RedisError&) {
            }
            std::this_thread::sleep_for(50ms);
        }
        FAIL() << "the wrong-host TLS server did not start";
    }

    static void TearDownTestSuite() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
    }

    static inline pid_t pid_ = -1;
};

TEST_F(WrongHostServer, HostNotInTheCertificateIsRefusedWithHostnameCheck) {
    auto options = tls();
    options.port = kPort;
    SSLClusterConnection connection(options);
    const auto message = error_of<ConnectionError>([&] { connection.connect(); });
    EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
    EXPECT_NE(message.find("mismatch"), std::string::npos) << message;
}

TEST_F(WrongHostServer, WithoutHostnameCheckTheVerifiedCertificateIsAccepted) {
    auto options = tls();
    options.port = kPort;
    options.ssl_check_hostname = false;
    SSLClusterConnection connection(options);
    EXPECT_EQ(connection.execute("PING"), Reply::simple_string("PONG"));
}

}  // namespace
}  // namespace rediscluster
