// Built against the installed rediscluster::asio; exits non-zero if it
// misbehaves. Needs no server: the client is built without discovering,
// and an operation launched after its end must complete with
// operation_aborted; a TLS client is built too.
#include <rediscluster/asio/async_cluster.hpp>
#include <rediscluster/asio/diagnostics.hpp>

#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>

#include <cstdio>
#include <optional>
#include <string>

int main() {
    asio::io_context io;
    std::optional<rediscluster::asio::AsyncRedisCluster> rc(
        std::in_place, io, rediscluster::RedisClusterOptions{.startup_nodes = {{"127.0.0.1", 7000}}, .init_slot_cache = false});
    auto late = rc->async_execute("GET", "foo", asio::experimental::deferred);
    rc.reset();
    std::error_code code;
    std::move(late)([&](std::error_code c, rediscluster::Reply) { code = c; });
    io.run();
    const std::error_code response = rediscluster::asio::error::response;
    // TLS: the client's asio::ssl context is made in the constructor (here
    // with the system's CA certificates), so OpenSSL must link too.
    rediscluster::RedisClusterOptions tls_options{.startup_nodes = {{"127.0.0.1", 7100}}, .init_slot_cache = false};
    tls_options.connection_class = rediscluster::connection_class<rediscluster::SSLClusterConnection>();
    rediscluster::asio::AsyncRedisCluster tls(io, tls_options);
    // A typed command after the end: operation_aborted, its message in
    // the Diagnostics.
    rediscluster::asio::Diagnostics diagnostics;
    std::error_code typed_code;
    tls.cancel();
    tls.commands([&](std::error_code c, std::optional<std::string>) { typed_code = c; }, diagnostics).get("foo");
    io.restart();
    io.run();
    const bool ok = code == asio::error::operation_aborted && typed_code == asio::error::operation_aborted &&
                    !diagnostics.client_message().empty() &&
                    std::string(response.category().name()) == "rediscluster.asio";
    std::puts(ok ? "consumer: installed rediscluster::asio works" : "consumer: unexpected result");
    return ok ? 0 : 1;
}
