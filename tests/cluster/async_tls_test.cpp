// AsyncRedisCluster over TLS, against the real TLS cluster (3 masters,
// tls-auth-clients yes): the blocking client's options and switch
// (connection_class<SSLClusterConnection>()), mutual TLS, and how bad
// files and refused handshakes are reported.

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include "cluster/async_env.hpp"
#include "rediscluster/asio/async_cluster.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using asio_error = rediscluster::asio::error;
using rediscluster::asio::AsyncRedisCluster;

std::string tls_file(const std::string& name) { return test::tls_dir() + "/" + name; }

RedisClusterOptions tls_options() {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", test::tls_port()}};
    options.connection_class = connection_class<SSLClusterConnection>();
    options.connection_kwargs.socket_timeout = 5s;
    options.connection_kwargs.ssl_ca_certs = tls_file("ca.crt");
    options.connection_kwargs.ssl_certfile = tls_file("client.crt");
    options.connection_kwargs.ssl_keyfile = tls_file("client.key");
    return options;
}

// TLS options whose blocking connections (the discovery's) are made with
// the right settings whatever connection_kwargs say: the client's own
// asynchronous connections, which use connection_kwargs, are then the ones
// that meet the problem under test.
RedisClusterOptions tls_options_discovering_with_the_right_settings() {
    auto options = tls_options();
    options.connection_class = [](ConnectionOptions kwargs) {
        const auto right = tls_options().connection_kwargs;
        kwargs.ssl_ca_certs = right.ssl_ca_certs;
        kwargs.ssl_certfile = right.ssl_certfile;
        kwargs.ssl_keyfile = right.ssl_keyfile;
        kwargs.ssl_cert_reqs = right.ssl_cert_reqs;
        return std::make_unique<SSLClusterConnection>(std::move(kwargs));
    };
    options.command_timeout = 1s;
    return options;
}

using test::run_until;

struct Outcome {
    std::error_code code;
    Reply reply;
};

// Runs one GET and returns how it completed.
std::optional<Outcome> get_once(::asio::io_context& io, AsyncRedisCluster& rc, const std::string& key) {
    std::optional<Outcome> outcome;
    rc.async_execute("GET", key, [&](std::error_code code, Reply reply) { outcome = Outcome{code, std::move(reply)}; });
    if (!run_until(io, [&] { return outcome.has_value(); })) return std::nullopt;
    return outcome;
}

TEST(AsyncClient, TlsConcurrentCommandsOnEveryNodeWithAClientCertificate) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, tls_options());
    constexpr int kCount = 1000;
    std::atomic<int> finished = 0;
    std::atomic<int> wrong = 0;
    std::set<std::uint16_t> masters;
    for (int i = 0; i < kCount; ++i) {
        const std::string key = "async:tls:" + std::to_string(i);
        masters.insert(rc.connection_pool()->nodes.get_master_node_by_slot(key_slot(key)).port);
        ::asio::co_spawn(
            io,
            [&, key, i]() -> ::asio::awaitable<void> {
                (void)co_await rc.async_execute("SET", key, "value-" + std::to_string(i), ::asio::use_awaitable);
                const Reply got = co_await rc.async_execute("GET", key, ::asio::use_awaitable);
                if (got.str() != "value-" + std::to_string(i)) ++wrong;
                ++finished;
            },
            [&](const std::exception_ptr& error) {
                if (!error) return;
                ++wrong;
                ++finished;
            });
    }
    ASSERT_TRUE(run_until(io, [&] { return finished == kCount; })) << finished << " of " << kCount;
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(masters.size(), 3U);  // the keys spread over every master
}

TEST(AsyncClient, TlsConnectionKilledByTheServerIsMadeAgain) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, tls_options());
    const std::string key = "async:tls:again";
    const auto node = rc.connection_pool()->nodes.get_master_node_by_slot(key_slot(key));
    for (int round = 0; round < 3; ++round) {
        std::optional<Outcome> set;
        rc.async_execute("SET", key, round, [&](std::error_code code, Reply reply) {
            set = Outcome{code, std::move(reply)};
        });
        ASSERT_TRUE(run_until(io, [&] { return set.has_value(); }));
        EXPECT_FALSE(set->code) << set->code.message() << ": " << set->reply.str();
        // The server drops every other client's connection, the async
        // client's (its read pending) among them: the next command makes a
        // new TLS connection.
        auto kwargs = tls_options().connection_kwargs;
        kwargs.host = node.host;
        kwargs.port = node.port;
        SSLClusterConnection killer(kwargs);
        EXPECT_GE(killer.execute("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").integer(), 1);
        const auto got = get_once(io, rc, key);
        ASSERT_TRUE(got);
        EXPECT_FALSE(got->code) << got->code.message() << ": " << got->reply.str();
        EXPECT_EQ(got->reply.str(), std::to_string(round));
    }
}

TEST(AsyncClient, TlsEncryptedKeyNeedsItsPassword) {
    auto options = tls_options();
    options.connection_kwargs.ssl_keyfile = tls_file("client-encrypted.key");
    std::ifstream password_file(tls_file("client-key-password.txt"));
    std::string password;
    std::getline(password_file, password);
    options.connection_kwargs.ssl_password = password;
    {
        ::asio::io_context io;
        AsyncRedisCluster rc(io, options);
        const auto got = get_once(io, rc, "async:tls:encrypted-key");
        ASSERT_TRUE(got);
        EXPECT_FALSE(got->code) << got->code.message() << ": " << got->reply.str();
    }
    options.connection_kwargs.ssl_password = "wrong";
    ::asio::io_context io;
    try {
        AsyncRedisCluster rc(io, options);
        ADD_FAILURE() << "a wrong ssl_password was taken";
    } catch (const RedisClusterConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("client-encrypted.key"), std::string::npos) << e.what();
    }
}

TEST(AsyncClient, TlsCertReqsNoneAcceptsAnUnverifiableServer) {
    auto options = tls_options();
    options.connection_kwargs.ssl_ca_certs = tls_file("other-ca.crt");
    options.connection_kwargs.ssl_cert_reqs = "none";
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    std::optional<Outcome> set;
    rc.async_execute("SET", "async:tls:none", "v", [&](std::error_code code, Reply reply) {
        set = Outcome{code, std::move(reply)};
    });
    ASSERT_TRUE(run_until(io, [&] { return set.has_value(); }));
    EXPECT_FALSE(set->code) << set->code.message() << ": " << set->reply.str();
    const auto got = get_once(io, rc, "async:tls:none");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->reply.str(), "v");
}

TEST(AsyncClient, TlsWrongCaFailsTheCommandsNamingTheNodeAndTheReason) {
    auto options = tls_options_discovering_with_the_right_settings();
    options.connection_kwargs.ssl_ca_certs = tls_file("other-ca.crt");
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    const std::string key = "async:tls:wrong-ca";
    const auto node = rc.connection_pool()->nodes.get_master_node_by_slot(key_slot(key));
    const auto outcome = get_once(io, rc, key);
    ASSERT_TRUE(outcome);
    // A connection that fails is retried, as by the blocking client, until
    // command_timeout: then the error lists the attempts (ClusterError).
    EXPECT_EQ(outcome->code, asio_error::budget_exhausted) << outcome->code.message() << ": " << outcome->reply.str();
    const std::string message(outcome->reply.str());
    EXPECT_NE(message.find("TLS handshake with " + node.name + " failed"), std::string::npos) << message;
    EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
}

TEST(AsyncClient, TlsWithoutAClientCertificateTheServerRefusesAndTheErrorSaysWhy) {
    auto options = tls_options_discovering_with_the_right_settings();
    options.connection_kwargs.ssl_certfile.reset();
    options.connection_kwargs.ssl_keyfile.reset();
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    const std::string key = "async:tls:no-certificate";
    const auto node = rc.connection_pool()->nodes.get_master_node_by_slot(key_slot(key));
    const auto outcome = get_once(io, rc, key);
    ASSERT_TRUE(outcome);
    // A connection that fails is retried, as by the blocking client, until
    // command_timeout: then the error lists the attempts (ClusterError).
    EXPECT_EQ(outcome->code, asio_error::budget_exhausted) << outcome->code.message() << ": " << outcome->reply.str();
    const std::string message(outcome->reply.str());
    EXPECT_NE(message.find(node.name), std::string::npos) << message;
    EXPECT_NE(message.find("the server asked for a client certificate and none is set"), std::string::npos)
        << message;
    EXPECT_NE(message.find("set ssl_certfile and ssl_keyfile"), std::string::npos) << message;
}

TEST(AsyncClient, TlsToAPortThatDoesNotSpeakTlsSaysSoWithinTheConnectTimeout) {
    // Discovered from the TLS cluster, its nodes taken for the plain
    // cluster's (host_port_remap): the TLS hello goes to plain nodes, which
    // read it as the start of an inline command.
    auto options = tls_options();
    options.host_port_remap = HostPortRemap([](const HostPort& announced) {
        return HostPort{announced.host,
                        static_cast<std::uint16_t>(announced.port - test::tls_port() + test::plain_port())};
    });
    options.connection_kwargs.socket_connect_timeout = 300ms;
    options.command_timeout = 1s;
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    const std::string key = "async:tls:plain-port";
    const auto node = rc.connection_pool()->nodes.get_master_node_by_slot(key_slot(key));
    EXPECT_GE(node.port, test::plain_port());
    EXPECT_LT(node.port, test::tls_port());
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = get_once(io, rc, key);
    ASSERT_TRUE(outcome);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    EXPECT_EQ(outcome->code, asio_error::budget_exhausted) << outcome->code.message() << ": " << outcome->reply.str();
    const std::string message(outcome->reply.str());
    // Mostly a timeout (the node waits for the end of the line); an error
    // reply when the hello's random bytes hold a newline.
    EXPECT_NE(message.find(node.name), std::string::npos) << message;
    EXPECT_NE(message.find("TLS handshake"), std::string::npos) << message;
    EXPECT_NE(message.find("speak TLS"), std::string::npos) << message;
}

TEST(AsyncClient, TlsUnusableFilesAreConfigErrorsNamingTheFile) {
    ::asio::io_context io;
    const auto refusal = [&](const RedisClusterOptions& options) -> std::string {
        try {
            AsyncRedisCluster rc(io, options);
        } catch (const RedisClusterConfigError& e) {
            return e.what();
        }
        return "no RedisClusterConfigError";
    };
    auto no_certificate = tls_options();
    no_certificate.connection_kwargs.ssl_certfile = "/nonexistent/client.crt";
    auto message = refusal(no_certificate);
    EXPECT_NE(message.find("ssl_certfile"), std::string::npos) << message;
    EXPECT_NE(message.find("/nonexistent/client.crt"), std::string::npos) << message;

    auto no_key = tls_options();
    no_key.connection_kwargs.ssl_keyfile = "/nonexistent/client.key";
    message = refusal(no_key);
    EXPECT_NE(message.find("/nonexistent/client.key"), std::string::npos) << message;

    auto no_ca = tls_options();
    no_ca.connection_kwargs.ssl_ca_certs = "/nonexistent/ca.crt";
    message = refusal(no_ca);
    EXPECT_NE(message.find("ssl_ca_certs"), std::string::npos) << message;
    EXPECT_NE(message.find("/nonexistent/ca.crt"), std::string::npos) << message;

    // The client's own connections use connection_kwargs' files, whatever
    // files connection_class makes its connections with.
    auto own_factory = tls_options_discovering_with_the_right_settings();
    own_factory.connection_kwargs.ssl_certfile = "/nonexistent/client.crt";
    message = refusal(own_factory);
    EXPECT_NE(message.find("/nonexistent/client.crt"), std::string::npos) << message;
}

}  // namespace
}  // namespace rediscluster
