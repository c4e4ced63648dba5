// rediscluster-cli: run commands against a Redis Cluster through the library.
// `rediscluster-cli --help` prints the usage (kUsage below).

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "rediscluster/rediscluster.hpp"

namespace {

using namespace rediscluster;

// Every option main() accepts is listed here: this text is all an installed
// user has.
constexpr const char* kUsage =
    "Usage: rediscluster-cli [options] COMMAND [ARG...]   run one command, print its reply\n"
    "       rediscluster-cli [options] topology            nodes, roles and slot ranges\n"
    "       rediscluster-cli [options]                     a prompt: one command per line\n"
    "\n"
    "Options:\n"
    "  -h HOST                 a startup node's host (default 127.0.0.1)\n"
    "  -p PORT                 a startup node's port (default 7000)\n"
    "  --user USER             ACL user name\n"
    "  --pass PASSWORD         password (with --user, that user's; alone, AUTH PASSWORD)\n"
    "  --tls                   connect with TLS\n"
    "  --cacert FILE           CA certificates to verify the nodes with (default: the system's)\n"
    "  --cert FILE             client certificate, for nodes that require one\n"
    "  --key FILE              client private key (default: read from --cert)\n"
    "  --key-password PASS     passphrase of an encrypted --key\n"
    "  --no-verify             do not verify the nodes' certificates\n"
    "  --no-check-hostname     verify certificates without checking they name the host\n"
    "  --read-from-replicas    reads go to replicas\n"
    "  --timeout SECONDS       socket timeout (default 5)\n"
    "  --help                  print this help and exit (also -h with no host after it)\n"
    "\n"
    "Options come before the command: everything from the command on is sent as it is.\n";

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "rediscluster-cli: %s\n(rediscluster-cli --help lists the options)\n", message.c_str());
    std::exit(2);
}

[[noreturn]] void print_usage() {
    std::fputs(kUsage, stdout);
    std::exit(0);
}

// Splits a prompt line into arguments; double quotes group words.
std::vector<std::string> split_line(const std::string& line) {
    std::vector<std::string> args;
    std::string current;
    bool quoted = false;
    bool have = false;
    for (const char c : line) {
        if (c == '"') {
            quoted = !quoted;
            have = true;
        } else if (!quoted && (c == ' ' || c == '\t')) {
            if (have) args.push_back(current);
            current.clear();
            have = false;
        } else {
            current.push_back(c);
            have = true;
        }
    }
    if (quoted) throw DataError("unbalanced quotes");
    if (have) args.push_back(current);
    return args;
}

void print_reply(const Reply& reply, const std::string& indent = "") {
    switch (reply.type()) {
        case ReplyType::Null: std::printf("%s(nil)\n", indent.c_str()); return;
        case ReplyType::Integer: std::printf("%s(integer) %lld\n", indent.c_str(), static_cast<long long>(reply.integer())); return;
        case ReplyType::Error:
        case ReplyType::BulkError: std::printf("%s(error) %.*s\n", indent.c_str(), static_cast<int>(reply.str().size()), reply.str().data()); return;
        case ReplyType::Array:
        case ReplyType::Set:
        case ReplyType::Push:
        case ReplyType::Map:
            if (reply.size() == 0) std::printf("%s(empty)\n", indent.c_str());
            for (std::size_t i = 0; i < reply.size(); ++i) {
                std::printf("%s%zu)\n", indent.c_str(), i + 1);
                print_reply(reply[i], indent + "   ");
            }
            return;
        case ReplyType::BulkString:
        case ReplyType::SimpleString:
        case ReplyType::VerbatimString:
            std::printf("%s%.*s\n", indent.c_str(), static_cast<int>(reply.str().size()), reply.str().data());
            return;
        default: std::printf("%s%s\n", indent.c_str(), reply.to_debug_string().c_str()); return;
    }
}

void print_topology(const RedisCluster& rc) {
    const auto table = rc.connection_pool->nodes.slots();
    for (const auto& node : rc.connection_pool->nodes.all_nodes()) {
        std::printf("Node: %s:%u - %s\n", node.host.c_str(), node.port, node.server_type.c_str());
    }
    for (const auto& range : table->ranges()) {
        std::printf("Slots %u-%u: %s", range.first, range.last, range.master.name.c_str());
        for (const auto& replica : range.replicas) std::printf(" %s", replica.name.c_str());
        std::printf("\n");
    }
    std::printf("Total slots mapped: %zu\n", table->size());
}

}  // namespace

int main(int argc, char** argv) {
    RedisClusterOptions options;
    std::string host = "127.0.0.1";
    int port = 7000;
    bool tls = false;
    options.connection_kwargs.socket_timeout = std::chrono::seconds(5);
    std::vector<std::string> command;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage_error(arg + " needs a value");
            return argv[++i];
        };
        if (!command.empty()) {
            command.push_back(arg);
        } else if (arg == "--help" || (arg == "-h" && i + 1 == argc)) {
            // -h is the host, as in redis-cli; alone at the end it can
            // only be a request for help.
            print_usage();
        } else if (arg == "-h") {
            host = value();
        } else if (arg == "-p") {
            port = std::atoi(value().c_str());
            if (port <= 0 || port > 65535) usage_error("-p needs a port in 1..65535");
        } else if (arg == "--user") {
            options.connection_kwargs.username = value();
        } else if (arg == "--pass") {
            options.connection_kwargs.password = value();
        } else if (arg == "--tls") {
            tls = true;
        } else if (arg == "--cacert") {
            options.connection_kwargs.ssl_ca_certs = value();
        } else if (arg == "--cert") {
            options.connection_kwargs.ssl_certfile = value();
        } else if (arg == "--key") {
            options.connection_kwargs.ssl_keyfile = value();
        } else if (arg == "--key-password") {
            options.connection_kwargs.ssl_password = value();
        } else if (arg == "--no-verify") {
            options.connection_kwargs.ssl_cert_reqs = "none";
        } else if (arg == "--no-check-hostname") {
            options.connection_kwargs.ssl_check_hostname = false;
        } else if (arg == "--read-from-replicas") {
            options.read_from_replicas = true;
        } else if (arg == "--timeout") {
            const double seconds = std::atof(value().c_str());
            if (seconds <= 0) usage_error("--timeout needs a positive number of seconds");
            options.connection_kwargs.socket_timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
        } else if (arg.starts_with("-")) {
            usage_error("unknown option " + arg);
        } else {
            command.push_back(arg);
        }
    }
    options.startup_nodes = {{host, static_cast<std::uint16_t>(port)}};
    if (tls) options.connection_class = connection_class<SSLClusterConnection>();

    try {
        RedisCluster rc(options);
        if (command.size() == 1 && command[0] == "topology") {
            print_topology(rc);
            return 0;
        }
        if (!command.empty()) {
            print_reply(rc.execute_command_range(command));
            return 0;
        }
        std::string line;
        while (std::printf("%s:%d> ", host.c_str(), port), std::fflush(stdout), std::getline(std::cin, line)) {
            try {
                const auto args = split_line(line);
                if (args.empty()) continue;
                if (args.size() == 1 && (args[0] == "quit" || args[0] == "exit")) break;
                if (args.size() == 1 && args[0] == "topology") {
                    print_topology(rc);
                } else {
                    print_reply(rc.execute_command_range(args));
                }
            } catch (const ResponseError& e) {
                std::printf("(error) %s\n", e.what());
            } catch (const Error& e) {
                std::printf("(client error) %s\n", e.what());
            }
        }
        return 0;
    } catch (const ResponseError& e) {
        std::printf("(error) %s\n", e.what());
        return 1;
    } catch (const Error& e) {
        std::fprintf(stderr, "rediscluster-cli: %s\n", e.what());
        return 1;
    }
}
