#include "fault_cluster.hpp"

#include "support/failover.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>

#include "rediscluster/connection.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster::test {
namespace {

using namespace std::chrono_literals;

// Runs a program with its arguments (no shell) and returns its exit status.
int run(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const pid_t child = ::fork();
    if (child < 0) throw std::runtime_error("fork failed");
    if (child == 0) {
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) throw std::runtime_error("waitpid failed");
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// A killed process stays a zombie until whoever adopted it reaps it, which
// can take seconds; it no longer runs, so it counts as gone (as the
// local-cluster script counts it).
bool process_alive(pid_t pid) {
    if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto name_end = line.rfind(')');  // "pid (name) state ..."
    if (name_end == std::string::npos || name_end + 2 >= line.size()) return !line.empty();
    const char state = line[name_end + 2];
    return state != 'Z' && state != 'X';
}

}  // namespace

Reply node_command(std::uint16_t port, const std::vector<std::string>& command) {
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.socket_timeout = 2s;
    options.socket_connect_timeout = 2s;
    ClusterConnection connection(options);
    connection.send_command_range(command);
    return connection.read_response();
}

Reply node_command(std::uint16_t port, std::initializer_list<std::string_view> command) {
    return node_command(port, std::vector<std::string>(command.begin(), command.end()));
}

bool eventually(const std::function<bool()>& check, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (check()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return check();
}

bool fail_over_to(std::uint16_t replica, std::chrono::milliseconds limit) {
    return test::fail_over_to(
        replica, [](std::uint16_t port, std::initializer_list<std::string_view> args) { return node_command(port, args); },
        limit);
}

std::string key_in_slot(std::uint16_t slot, std::string_view suffix) {
    for (unsigned tag = 0;; ++tag) {
        const std::string hash_tag = "t" + std::to_string(tag);
        if (key_slot(hash_tag) == slot) return "{" + hash_tag + "}:" + std::string(suffix);
    }
}

FaultCluster::FaultCluster(int nodes, int node_timeout_ms)
    : dir_(RC_FAULT_DIR), base_port_(RC_FAULT_PORT), nodes_(nodes) {
    const std::string script = RC_CLUSTER_SCRIPT;
    // A cluster left over by an interrupted run would hold the ports.
    (void)run({script, "stop", "--base-port", std::to_string(base_port_), "--dir", dir_});
    const int status = run({script, "start", "--base-port", std::to_string(base_port_), "--dir", dir_, "--nodes",
                            std::to_string(nodes), "--replicas", "1", "--node-timeout", std::to_string(node_timeout_ms)});
    if (status != 0) {
        (void)run({script, "stop", "--base-port", std::to_string(base_port_), "--dir", dir_});
        throw std::runtime_error("local-cluster start failed with status " + std::to_string(status));
    }
}

FaultCluster::~FaultCluster() {
    for (const pid_t pid : frozen_) ::kill(pid, SIGCONT);
    (void)run({RC_CLUSTER_SCRIPT, "stop", "--base-port", std::to_string(base_port_), "--dir", dir_});
}

std::uint16_t FaultCluster::port(int index) const { return static_cast<std::uint16_t>(base_port_ + index); }

std::vector<std::uint16_t> FaultCluster::ports() const {
    std::vector<std::uint16_t> all;
    for (int i = 0; i < nodes_; ++i) all.push_back(port(i));
    return all;
}

pid_t FaultCluster::pid(std::uint16_t node_port) const {
    std::ifstream file(dir_ + "/node-" + std::to_string(node_port) + "/redis.pid");
    pid_t value = 0;
    if (!(file >> value)) throw std::runtime_error("no pid file for node " + std::to_string(node_port));
    return value;
}

void FaultCluster::signal(std::uint16_t node_port, int signal_number) {
    const pid_t target = pid(node_port);
    if (::kill(target, signal_number) != 0) throw std::runtime_error("kill failed for node " + std::to_string(node_port));
    if (signal_number == SIGSTOP) frozen_.push_back(target);
    if (signal_number == SIGCONT) std::erase(frozen_, target);
}

void FaultCluster::kill(std::uint16_t node_port) {
    const pid_t target = pid(node_port);
    ::kill(target, SIGKILL);
    if (!eventually([&] { return !process_alive(target); }, 5s)) {
        throw std::runtime_error("node " + std::to_string(node_port) + " survived SIGKILL");
    }
}

void FaultCluster::restart(std::uint16_t node_port) {
    const std::string node_dir = dir_ + "/node-" + std::to_string(node_port);
    if (run({"/usr/bin/redis-server", node_dir + "/redis.conf"}) != 0) {
        throw std::runtime_error("redis-server failed to start again on " + std::to_string(node_port));
    }
    const bool up = eventually(
        [&] {
            try {
                return node_command(node_port, {"PING"}).str() == "PONG";
            } catch (const Error&) {
                return false;
            }
        },
        10s);
    if (!up) throw std::runtime_error("node " + std::to_string(node_port) + " does not answer after restart");
}

bool FaultCluster::serving(const std::vector<std::uint16_t>& ports) const {
    for (const auto node_port : ports) {
        try {
            const std::string info(node_command(node_port, {"CLUSTER", "INFO"}).str());
            if (info.find("cluster_state:ok") == std::string::npos) return false;
        } catch (const Error&) {
            return false;
        }
    }
    return true;
}

std::string FaultCluster::role(std::uint16_t node_port) const {
    try {
        return std::string(node_command(node_port, {"ROLE"})[0].str());
    } catch (const Error&) {
        return "";
    }
}

std::uint16_t FaultCluster::master_of(std::uint16_t slot, std::uint16_t asked) const {
    const auto slots = node_command(asked, {"CLUSTER", "SLOTS"});
    for (const auto& range : slots.elements()) {
        if (slot >= range[0].integer() && slot <= range[1].integer()) {
            return static_cast<std::uint16_t>(range[2][1].integer());
        }
    }
    return 0;
}

std::vector<std::uint16_t> FaultCluster::replicas_of(std::uint16_t master, std::uint16_t asked) const {
    const auto slots = node_command(asked, {"CLUSTER", "SLOTS"});
    for (const auto& range : slots.elements()) {
        if (range[2][1].integer() != master) continue;
        std::vector<std::uint16_t> replicas;
        for (std::size_t i = 3; i < range.size(); ++i) replicas.push_back(static_cast<std::uint16_t>(range[i][1].integer()));
        return replicas;
    }
    return {};
}

std::string FaultCluster::id(std::uint16_t node_port) const {
    return std::string(node_command(node_port, {"CLUSTER", "MYID"}).str());
}

bool FaultCluster::healthy(const std::vector<std::uint16_t>& expected) const {
    try {
        for (const auto node_port : expected) {
            const std::string info(node_command(node_port, {"CLUSTER", "INFO"}).str());
            if (info.find("cluster_state:ok") == std::string::npos) return false;
            std::set<std::int64_t> listed;
            for (const auto& range : node_command(node_port, {"CLUSTER", "SLOTS"}).elements()) {
                for (std::size_t i = 2; i < range.size(); ++i) listed.insert(range[i][1].integer());
            }
            if (listed.size() < expected.size()) return false;
        }
        return true;
    } catch (const Error&) {
        return false;
    }
}

void FaultCluster::migrate_slot(std::uint16_t slot, std::uint16_t source, std::uint16_t target) const {
    const auto slot_text = std::to_string(slot);
    const auto source_id = id(source);
    const auto target_id = id(target);
    (void)node_command(target, {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", source_id});
    (void)node_command(source, {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", target_id});
    for (;;) {
        const auto keys = node_command(source, {"CLUSTER", "GETKEYSINSLOT", slot_text, "20"});
        if (keys.size() == 0) break;
        std::vector<std::string> migrate{"MIGRATE", "127.0.0.1", std::to_string(target), "", "0", "5000", "KEYS"};
        for (const auto& key : keys.elements()) migrate.emplace_back(key.str());
        (void)node_command(source, migrate);
    }
    // The target first: until it owns the slot, it would send the
    // source's MOVED straight back.
    std::vector<std::uint16_t> order{target, source};
    for (const auto port : ports()) {
        if (port != target && port != source && role(port) == "master") order.push_back(port);
    }
    for (const auto port : order) (void)node_command(port, {"CLUSTER", "SETSLOT", slot_text, "NODE", target_id});
}


}  // namespace rediscluster::test
