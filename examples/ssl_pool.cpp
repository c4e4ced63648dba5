// The spec's "SSL/TLS Configuration" example: a pool of SSLClusterConnection
// with a CA, a client certificate and its key.
//
// Usage: ssl_pool PORT TLS_DIR    (a TLS cluster: scripts/local-cluster start --tls
//                                  --base-port PORT; TLS_DIR is its tls/ folder)

#include <cstdio>
#include <cstdlib>
#include <string>

#include "rediscluster/rediscluster.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: ssl_pool PORT TLS_DIR\n");
        return 2;
    }
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    const std::string tls_dir = argv[2];
    try {
        auto pool = std::make_shared<rediscluster::ClusterConnectionPool>(rediscluster::ClusterConnectionPoolOptions{
            .startup_nodes = {{"localhost", port}},
            .connection_class = rediscluster::connection_class<rediscluster::SSLClusterConnection>(),
            .connection_kwargs = {.ssl_cert_reqs = "required",
                                  .ssl_ca_certs = tls_dir + "/ca.crt",
                                  .ssl_certfile = tls_dir + "/client.crt",
                                  .ssl_keyfile = tls_dir + "/client.key"},
        });
        rediscluster::RedisCluster rc({.connection_pool = pool});
        rc.set("tls:greeting", "hello over TLS");
        std::printf("GET tls:greeting -> %s (%zu TLS connections)\n", rc.get("tls:greeting")->c_str(),
                    pool->created_connections());
        return 0;
    } catch (const rediscluster::Error& e) {
        std::fprintf(stderr, "ssl_pool: %s\n", e.what());
        return 1;
    }
}
