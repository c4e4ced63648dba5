#include "rediscluster/client.hpp"

#include <algorithm>
#include <charconv>
#include <random>

#include "detail/command_routing.hpp"
#include "detail/command_table.hpp"
#include "detail/multiplexed_connection.hpp"
#include "detail/random.hpp"
#include "detail/retry_policy.hpp"
#include "detail/small_vector.hpp"
#include "rediscluster/error_reply.hpp"

namespace rediscluster {
namespace {

using detail::CommandRoute;
using detail::Failure;
using detail::RetryDecision;

// How often the refresher looks again when a refresh was asked for before
// the refresh policy allows the next discovery.
constexpr std::chrono::milliseconds kRefreshPoll{20};

// Attempts a failure message lists, the last ones: a command that waited
// out a failover may have made dozens.
constexpr std::size_t kAttemptsShown = 8;

// The wait before the next periodic refresh: `interval` ±10 %.
std::chrono::milliseconds jittered(std::chrono::milliseconds interval) {
    const auto spread = interval.count() / 10;
    std::uniform_int_distribution<std::int64_t> pick(-spread, spread);
    return interval + std::chrono::milliseconds(pick(detail::thread_random()));
}

// The arguments of an encoded command, as views into it; inline up to 16,
// which covers nearly every command without touching the heap.
using Arguments = detail::SmallVector<std::string_view, 16>;
// Key names; inline as many as CommandRoute::keys.
using KeyNames = detail::SmallVector<std::string_view, 8>;

Arguments split_packed(std::string_view packed) {
    Arguments args;
    auto read_number = [&](std::size_t& at) {
        std::size_t value = 0;
        const auto end = packed.find('\r', at);
        std::from_chars(packed.data() + at, packed.data() + end, value);
        at = end + 2;
        return value;
    };
    std::size_t at = 1;  // after '*'
    const auto count = read_number(at);
    for (std::size_t i = 0; i < count; ++i) {
        ++at;  // '$'
        const auto length = read_number(at);
        args.push_back(packed.substr(at, length));
        at += length + 2;
    }
    return args;
}

std::shared_ptr<ClusterConnectionPool> make_pool(RedisClusterOptions& options) {
    if (options.connection_kwargs.db != 0) {
        throw RedisClusterConfigError("Argument 'db' is not possible to use in cluster mode");
    }
    if (options.cluster_down_retry_attempts && *options.cluster_down_retry_attempts < 0) {
        throw RedisClusterConfigError("cluster_down_retry_attempts must not be negative");
    }
    if (options.command_timeout && options.command_timeout->count() <= 0) {
        throw RedisClusterConfigError("command_timeout must be positive (unset means socket_timeout)");
    }
    if (options.periodic_refresh_interval.count() < 0) {
        throw RedisClusterConfigError("periodic_refresh_interval must not be negative (zero turns it off)");
    }
    if (options.connection_pool) return options.connection_pool;
    ClusterConnectionPoolOptions pool_options;
    pool_options.startup_nodes = options.startup_nodes;
    pool_options.init_slot_cache = options.init_slot_cache;
    pool_options.connection_class = options.connection_class;
    pool_options.max_connections = options.max_connections;
    pool_options.max_connections_per_node = options.max_connections_per_node;
    pool_options.reinitialize_steps = options.reinitialize_steps;
    pool_options.skip_full_coverage_check = options.skip_full_coverage_check;
    pool_options.nodemanager_follow_cluster = options.nodemanager_follow_cluster;
    pool_options.host_port_remap = options.host_port_remap;
    pool_options.connection_kwargs = options.connection_kwargs;
    if (options.readonly_mode) return std::make_shared<ClusterReadOnlyConnectionPool>(pool_options);
    if (options.read_from_replicas) return std::make_shared<ClusterWithReadReplicasConnectionPool>(pool_options);
    return std::make_shared<ClusterConnectionPool>(pool_options);
}

std::optional<std::string> optional_string(const Reply& reply) {
    if (reply.is_null()) return std::nullopt;
    return std::string(reply.str());
}

// For a reply about to be dropped: its string moves instead of being copied.
std::optional<std::string> optional_string(Reply&& reply) {
    if (reply.is_null()) return std::nullopt;
    return std::move(reply).take_str();
}

// Each thread's command buffer (detail::CommandBuffer). A buffer that grew
// past this for a large command is freed afterwards rather than kept for
// the thread's lifetime.
constexpr std::size_t kMaxKeptCommandBuffer = 64 * 1024;

struct ThreadCommandBuffer {
    std::string text;
    bool lent = false;
};
thread_local ThreadCommandBuffer thread_command_buffer;

std::vector<std::string> strings(const Reply& reply) {
    std::vector<std::string> out;
    out.reserve(reply.size());
    for (const auto& element : reply.elements()) out.emplace_back(element.str());
    return out;
}

NodeInfo random_master(const ClusterConnectionPool& pool) {
    auto masters = pool.get_nodes_by_server_type("master");
    if (masters.empty()) return pool.nodes.random_node();
    return masters[std::uniform_int_distribution<std::size_t>(0, masters.size() - 1)(detail::thread_random())];
}

}  // namespace

detail::CommandBuffer::CommandBuffer() noexcept {
    auto& shared = thread_command_buffer;
    if (shared.lent) {
        text_ = &own_;
        return;
    }
    shared.lent = true;
    shared.text.clear();
    text_ = &shared.text;
}

detail::CommandBuffer::~CommandBuffer() {
    if (text_ == &own_) return;
    auto& shared = thread_command_buffer;
    if (shared.text.capacity() > kMaxKeptCommandBuffer) std::string().swap(shared.text);
    shared.lent = false;
}

RedisCluster::RedisCluster(RedisClusterOptions options)
    : connection_pool(make_pool(options)),
      read_from_replicas_(options.read_from_replicas),
      cluster_down_retry_attempts_(options.cluster_down_retry_attempts),
      retry_on_timeout_(connection_pool->options().connection_kwargs.retry_on_timeout),
      command_timeout_(options.command_timeout ? options.command_timeout
                                               : connection_pool->options().connection_kwargs.socket_timeout),
      periodic_refresh_interval_(options.periodic_refresh_interval),
      multiplexer_(options.multiplexed_connections ? std::make_shared<detail::Multiplexer>() : nullptr),
      refresher_([this] { refresh_loop(); }) {
    if (multiplexer_) {
        // Holds the multiplexer itself, not `this`: a discovery that
        // started before this client went away may still call it.
        forget_departed_nodes_ = std::make_shared<const TopologyListener>(
            [multiplexer = multiplexer_](const SlotTable& table) { multiplexer->forget_nodes_not_in(table); });
        connection_pool->nodes.add_topology_listener(forget_departed_nodes_);
    }
}

RedisCluster::~RedisCluster() {
    {
        std::lock_guard lock(refresh_mutex_);
        stopping_ = true;
    }
    refresh_wake_.notify_all();
    refresher_.join();
}

void RedisCluster::request_refresh() {
    {
        std::lock_guard lock(refresh_mutex_);
        refresh_requested_ = true;
    }
    refresh_wake_.notify_one();
}

void RedisCluster::refresh_loop() {
    std::unique_lock lock(refresh_mutex_);
    const bool periodic = periodic_refresh_interval_.count() > 0;
    auto next_periodic = std::chrono::steady_clock::now() + jittered(periodic_refresh_interval_);
    while (true) {
        const auto woken = [&] { return refresh_requested_ || stopping_; };
        if (periodic) {
            refresh_wake_.wait_until(lock, next_periodic, woken);  // false: time for the periodic one
        } else {
            refresh_wake_.wait(lock, woken);
        }
        if (stopping_) return;
        next_periodic = std::chrono::steady_clock::now() + jittered(periodic_refresh_interval_);
        refresh_requested_ = false;
        lock.unlock();
        // A refresh asked for too soon after the last discovery (the
        // refresh policy spaces them out) waits until it is due: requests
        // meanwhile coalesce into it.
        bool done = false;
        while (!done) {
            try {
                done = connection_pool->nodes.refresh_if_due();
            } catch (const Error&) {
                done = true;  // the next failure asks again; commands keep their own retries
            }
            lock.lock();
            if (stopping_) return;
            if (!done) refresh_wake_.wait_for(lock, kRefreshPoll, [&] { return stopping_; });
            lock.unlock();
        }
        lock.lock();
    }
}

std::shared_ptr<const detail::CommandTable> RedisCluster::server_commands() {
    std::lock_guard lock(commands_mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (server_commands_ || now - commands_last_attempt_ < std::chrono::seconds(5)) return server_commands_;
    commands_last_attempt_ = now;
    try {
        std::string packed;
        encode_command(packed, "COMMAND");
        Reply commands;
        run_on_slot(commands, packed, std::nullopt, false, "COMMAND");
        server_commands_ = std::make_shared<const detail::CommandTable>(detail::CommandTable::parse(commands));
    } catch (const Error&) {
        // Unknown commands go to any node meanwhile and follow MOVED.
    }
    return server_commands_;
}

Reply RedisCluster::execute_packed(std::string_view packed) {
    Reply reply;
    execute_packed_into(reply, packed);
    return reply;
}

Reply& RedisCluster::execute_packed_into(Reply& reply, std::string_view packed) {
    const auto args = split_packed(packed);
    auto route = detail::route_command(args);
    KeyNames keys;
    for (const auto index : route.keys) keys.push_back(args[index]);
    Reply moved_keys;  // owns the keys COMMAND GETKEYS returned
    if (!route.known) {
        const auto table = server_commands();
        const auto* spec = table ? table->find(args[0], args.size() > 1 ? args[1] : std::string_view()) : nullptr;
        if (spec != nullptr) {
            route.read_only = spec->read_only;
            if (spec->movable_keys) {
                std::vector<std::string_view> getkeys{"COMMAND", "GETKEYS"};
                getkeys.insert(getkeys.end(), args.begin(), args.end());
                std::string request;
                encode_command_range(request, getkeys);
                try {
                    run_on_slot(moved_keys, request, std::nullopt, false, "COMMAND GETKEYS");
                    for (const auto& key : moved_keys.elements()) keys.push_back(key.str());
                } catch (const ResponseError&) {
                    // "no key arguments": any node will do
                }
            } else if (spec->first_key > 0) {
                const auto count = static_cast<int>(args.size());
                const int last = spec->last_key < 0 ? count + spec->last_key : spec->last_key;
                for (int i = spec->first_key; i <= last && i < count; i += std::max(spec->step, 1)) {
                    keys.push_back(args[static_cast<std::size_t>(i)]);
                }
            }
            if (!keys.empty()) route.target = CommandRoute::Target::Slot;
        }
    }
    switch (route.target) {
        case CommandRoute::Target::Blocked:
            throw RedisClusterException("Command: " + std::string(args[0]) + " is blocked in redis cluster mode: " +
                                        route.reason);
        case CommandRoute::Target::AllMasters:
            reply = run_on_all_masters(packed, static_cast<int>(route.combine));
            return reply;
        case CommandRoute::Target::Random:
            run_on_slot(reply, packed, std::nullopt, false, args[0]);
            return reply;
        case CommandRoute::Target::Slot: break;
    }
    const auto slot = key_slot(keys.front());
    for (const auto key : keys) {
        if (key_slot(key) != slot) {
            throw ClusterCrossSlotError(std::string(args[0]) + " - all keys must map to the same key slot");
        }
    }
    run_on_slot(reply, packed, slot, route.read_only, args[0], multiplexer_ && !detail::blocks_connection(args));
    return reply;
}

void RedisCluster::run_on_slot(Reply& out, std::string_view packed, std::optional<std::uint16_t> slot, bool read_only,
                               std::string_view command_name, bool shareable) {
    detail::RetryLimits limits;
    limits.cluster_down_retry_attempts = cluster_down_retry_attempts_;
    limits.retry_on_timeout = retry_on_timeout_;
    std::optional<NodeInfo> ask_target;
    detail::RetryCounts counts;
    std::vector<std::string> history;
    const auto started = std::chrono::steady_clock::now();
    for (;;) {
        PooledConnection connection;
        std::shared_ptr<detail::MultiplexedConnection> shared;
        Failure failure{};
        std::exception_ptr error;
        std::optional<HostPort> redirect;
        try {
            if (shareable && slot && !ask_target && !(read_only && read_from_replicas_)) {
                shared = multiplexer_->connection_to(*connection_pool, connection_pool->nodes.get_master_node_by_slot(*slot));
                shared->execute(packed, out);
                if (out.is_error()) throw_error_reply(out.str(), shared->node().host);
                return;
            }
            if (ask_target) {
                connection = connection_pool->get_connection_by_node(*ask_target);
            } else if (slot) {
                connection = connection_pool->get_connection_by_slot(*slot, read_only && read_from_replicas_);
            } else {
                connection = connection_pool->get_connection_by_node(random_master(*connection_pool));
            }
            if (ask_target) {
                // ASKING and the command in one write; ASKING's reply first.
                std::string batch;
                encode_command(batch, "ASKING");
                batch.append(packed);
                connection->send_packed_command(batch, 2);
                const auto asking = connection->read_responses(1);
                if (asking.front().is_error()) throw_error_reply(asking.front().str(), connection->host());
            } else {
                connection->send_packed_command(packed, 1);
            }
            connection->read_response(out);
            return;
        } catch (const MovedError& e) {
            failure = Failure::Moved;
            redirect = HostPort{e.host, e.port};
            error = std::current_exception();
        } catch (const AskError& e) {
            failure = Failure::Ask;
            redirect = HostPort{e.host, e.port};
            error = std::current_exception();
        } catch (const TryAgainError&) {
            failure = Failure::TryAgain;
            error = std::current_exception();
        } catch (const ClusterDownError&) {
            failure = Failure::ClusterDown;
            error = std::current_exception();
        } catch (const ReadOnlyError&) {
            failure = Failure::ReadOnly;
            error = std::current_exception();
        } catch (const BusyLoadingError&) {
            failure = Failure::Loading;
            error = std::current_exception();
        } catch (const AuthenticationError&) {
            throw;  // wrong credentials do not get better by retrying
        } catch (const SlotNotCoveredError&) {
            failure = Failure::SlotNotCovered;
            error = std::current_exception();
        } catch (const TimeoutError&) {
            failure = Failure::Timeout;
            error = std::current_exception();
        } catch (const IncompleteReplyError&) {
            failure = Failure::Interrupted;
            error = std::current_exception();
        } catch (const ConnectionError& e) {
            failure = std::string_view(e.what()).starts_with("No connection available") ? Failure::NoConnection
                                                                                          : Failure::Connection;
            error = std::current_exception();
        } catch (const ProtocolError&) {
            failure = Failure::Interrupted;  // the node answered, but not in RESP: the command ran
            error = std::current_exception();
        }
        // Any other error (WRONGTYPE, syntax...) propagates: the connection
        // it came on is healthy and goes back to the pool.

        ++counts.attempts;
        if (failure == Failure::Moved || failure == Failure::Ask) ++counts.redirects;
        if (failure == Failure::ClusterDown) ++counts.cluster_down_seen;
        const NodeInfo* used = connection ? &connection.node() : shared ? &shared->node() : nullptr;
        const std::string node = used != nullptr ? used->name : std::string("(no connection)");
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            if (history.size() == kAttemptsShown) history.erase(history.begin());
            history.push_back("attempt " + std::to_string(counts.attempts) + " on " + node + ": " + e.what());
        }
        std::optional<std::chrono::milliseconds> time_left;
        if (command_timeout_) {
            time_left = *command_timeout_ - std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - started);
        }
        const RetryDecision decision = detail::decide_retry(failure, counts, limits, time_left);
        // (A shared connection closed itself on an I/O failure.)
        if (decision.close_connection && connection) connection->disconnect();
        if (decision.mark_node_failed && used != nullptr) connection_pool->mark_node_failed(*used);
        connection.release();
        shared.reset();
        if (redirect) {
            *redirect = connection_pool->options().host_port_remap.apply(*redirect);
        }
        if (decision.update_slot_map && redirect && slot) {
            std::optional<HostPort> sender;
            if (used != nullptr) sender = HostPort{used->host, used->port};
            if (connection_pool->nodes.record_moved(*slot, *redirect, sender)) request_refresh();
        }
        switch (decision.refresh) {
            case RetryDecision::Refresh::None: break;
            case RetryDecision::Refresh::InBackground: request_refresh(); break;
            case RetryDecision::Refresh::BeforeRetry:
                try {
                    (void)connection_pool->nodes.refresh_if_due();
                } catch (const Error&) {
                    // The retry goes by the map we have; the next failure asks again.
                }
                break;
        }
        if (decision.action == RetryDecision::Action::Fail) {
            if (decision.out_of_attempts || (decision.out_of_time && counts.attempts > 1)) {
                std::string what;
                if (static_cast<std::size_t>(counts.attempts) > history.size()) {
                    what = "\n  (the first " + std::to_string(counts.attempts - static_cast<int>(history.size())) +
                           " not shown)";
                }
                for (const auto& line : history) what += "\n  " + line;
                const std::string reason =
                    decision.out_of_time ? "command_timeout of " + std::to_string(command_timeout_->count()) + " ms spent"
                                         : "TTL exhausted";
                throw ClusterError(reason + ": " + std::string(command_name) + " failed after " +
                                   std::to_string(counts.attempts) + " attempts:" + what);
            }
            std::rethrow_exception(error);
        }
        ask_target.reset();
        if (decision.action == RetryDecision::Action::RetryAsking && redirect) {
            ask_target = make_node(redirect->host, redirect->port, "master");
        } else if (decision.action == RetryDecision::Action::RetryMoved && redirect && !slot) {
            ask_target = make_node(redirect->host, redirect->port, "master");  // keyless: go where told
        }
        if (decision.delay.count() > 0) std::this_thread::sleep_for(decision.delay);
    }
}

Reply RedisCluster::run_on_all_masters(std::string_view packed, int combine_code) {
    const auto combine = static_cast<CommandRoute::Combine>(combine_code);
    std::vector<Reply> replies;
    std::vector<std::string> names;
    for (const auto& master : connection_pool->get_nodes_by_server_type("master")) {
        auto connection = connection_pool->get_connection_by_node(master);
        connection->send_packed_command(packed, 1);
        replies.push_back(connection->read_response());
        names.push_back(master.name);
    }
    if (replies.empty()) throw RedisClusterException("no master is known: the cluster was not discovered");
    switch (combine) {
        case CommandRoute::Combine::Sum: {
            std::int64_t total = 0;
            for (const auto& reply : replies) total += reply.integer();
            return Reply::integer(total);
        }
        case CommandRoute::Combine::Concat: {
            std::vector<Reply> all;
            for (const auto& reply : replies) {
                for (const auto& element : reply.elements()) all.push_back(element);
            }
            return Reply::array(std::move(all));
        }
        case CommandRoute::Combine::PerNode: {
            std::vector<Reply> map;
            for (std::size_t i = 0; i < replies.size(); ++i) {
                map.push_back(Reply::bulk_string(names[i]));
                map.push_back(std::move(replies[i]));
            }
            return Reply::map(std::move(map));
        }
        case CommandRoute::Combine::AllOk:
        case CommandRoute::Combine::First:
        case CommandRoute::Combine::None: break;
    }
    return replies.front();
}

// --- typed methods ----------------------------------------------------------

std::optional<std::string> RedisCluster::get(std::string_view key) { return optional_string(execute_command("GET", key)); }

bool RedisCluster::set(std::string_view key, std::string_view value, std::optional<std::chrono::milliseconds> px,
                       bool nx, bool xx) {
    if (nx && xx) throw DataError("SET: nx and xx exclude each other");
    // SET key value [PX ms] [NX|XX], as views: nothing here is copied.
    std::array<std::string_view, 7> args{"SET", key, value};
    std::size_t count = 3;
    char milliseconds[24];  // any 64-bit integer
    if (px) {
        const auto written = std::to_chars(milliseconds, milliseconds + sizeof milliseconds, px->count()).ptr;
        args[count++] = "PX";
        args[count++] = std::string_view(milliseconds, static_cast<std::size_t>(written - milliseconds));
    }
    if (nx) args[count++] = "NX";
    if (xx) args[count++] = "XX";
    // The reply is +OK or null, both held inline by a Reply.
    Reply reply;
    return !execute_command_range_into(reply, std::span<const std::string_view>(args.data(), count)).is_null();
}

std::int64_t RedisCluster::incr(std::string_view key) { return execute_command("INCR", key).integer(); }
std::int64_t RedisCluster::incrby(std::string_view key, std::int64_t amount) {
    return execute_command("INCRBY", key, amount).integer();
}
std::int64_t RedisCluster::decr(std::string_view key) { return execute_command("DECR", key).integer(); }

std::vector<std::optional<std::string>> RedisCluster::mget(std::span<const std::string_view> keys) {
    std::vector<std::string_view> args{"MGET"};
    args.insert(args.end(), keys.begin(), keys.end());
    const auto reply = execute_command_range(args);
    std::vector<std::optional<std::string>> values;
    for (const auto& element : reply.elements()) values.push_back(optional_string(element));
    return values;
}

std::int64_t RedisCluster::del(std::span<const std::string_view> keys) {
    std::vector<std::string_view> args{"DEL"};
    args.insert(args.end(), keys.begin(), keys.end());
    return execute_command_range(args).integer();
}
std::int64_t RedisCluster::del(std::string_view key) { return execute_command("DEL", key).integer(); }
std::int64_t RedisCluster::exists(std::string_view key) { return execute_command("EXISTS", key).integer(); }
bool RedisCluster::expire(std::string_view key, std::chrono::seconds ttl) {
    return execute_command("EXPIRE", key, ttl.count()).integer() == 1;
}
std::int64_t RedisCluster::ttl(std::string_view key) { return execute_command("TTL", key).integer(); }

std::int64_t RedisCluster::hset(std::string_view key, std::string_view field, std::string_view value) {
    return execute_command("HSET", key, field, value).integer();
}
std::optional<std::string> RedisCluster::hget(std::string_view key, std::string_view field) {
    return optional_string(execute_command("HGET", key, field));
}
std::vector<std::pair<std::string, std::string>> RedisCluster::hgetall(std::string_view key) {
    const auto reply = execute_command("HGETALL", key);
    std::vector<std::pair<std::string, std::string>> pairs;
    for (std::size_t i = 0; i + 1 < reply.size(); i += 2) pairs.emplace_back(reply[i].str(), reply[i + 1].str());
    return pairs;
}
std::int64_t RedisCluster::hdel(std::string_view key, std::string_view field) {
    return execute_command("HDEL", key, field).integer();
}
std::int64_t RedisCluster::hincrby(std::string_view key, std::string_view field, std::int64_t amount) {
    return execute_command("HINCRBY", key, field, amount).integer();
}

std::int64_t RedisCluster::lpush(std::string_view key, std::string_view value) {
    return execute_command("LPUSH", key, value).integer();
}
std::int64_t RedisCluster::rpush(std::string_view key, std::string_view value) {
    return execute_command("RPUSH", key, value).integer();
}
std::optional<std::string> RedisCluster::lpop(std::string_view key) { return optional_string(execute_command("LPOP", key)); }
std::optional<std::string> RedisCluster::rpop(std::string_view key) { return optional_string(execute_command("RPOP", key)); }
std::vector<std::string> RedisCluster::lrange(std::string_view key, std::int64_t start, std::int64_t stop) {
    return strings(execute_command("LRANGE", key, start, stop));
}
std::int64_t RedisCluster::llen(std::string_view key) { return execute_command("LLEN", key).integer(); }

std::int64_t RedisCluster::sadd(std::string_view key, std::string_view member) {
    return execute_command("SADD", key, member).integer();
}
std::int64_t RedisCluster::srem(std::string_view key, std::string_view member) {
    return execute_command("SREM", key, member).integer();
}
std::vector<std::string> RedisCluster::smembers(std::string_view key) { return strings(execute_command("SMEMBERS", key)); }
bool RedisCluster::sismember(std::string_view key, std::string_view member) {
    return execute_command("SISMEMBER", key, member).integer() == 1;
}

std::int64_t RedisCluster::zadd(std::string_view key, double score, std::string_view member) {
    return execute_command("ZADD", key, score, member).integer();
}
std::optional<double> RedisCluster::zscore(std::string_view key, std::string_view member) {
    const auto reply = execute_command("ZSCORE", key, member);
    if (reply.is_null()) return std::nullopt;
    if (reply.type() == ReplyType::Double) return reply.double_value();
    double value = 0;
    const auto text = reply.str();
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc{}) throw DataError("ZSCORE: not a number: '" + std::string(text) + "'");
    return value;
}
std::vector<std::string> RedisCluster::zrange(std::string_view key, std::int64_t start, std::int64_t stop) {
    return strings(execute_command("ZRANGE", key, start, stop));
}
std::int64_t RedisCluster::zrem(std::string_view key, std::string_view member) {
    return execute_command("ZREM", key, member).integer();
}

bool RedisCluster::ping() { return execute_command("PING").is_string(); }
std::int64_t RedisCluster::dbsize() { return execute_command("DBSIZE").integer(); }
void RedisCluster::flushall() { (void)execute_command("FLUSHALL"); }

}  // namespace rediscluster
