#include "bench/options.hpp"

#include <charconv>
#include <climits>
#include <cmath>
#include <limits>
#include <system_error>

namespace rediscluster_bench {
namespace {

constexpr unsigned kMaxThreads = 4096;
// Redis refuses larger strings (proto-max-bulk-len).
constexpr std::size_t kMaxValueSize = std::size_t{512} * 1024 * 1024;
// Beyond this a run is a mistake; it also keeps seconds → nanoseconds exact.
constexpr double kMaxDurationSeconds = 7 * 24 * 3600;

constexpr std::string_view kUsage = R"(rediscluster-bench: throughput, latency and client CPU of SET/GET through the library

Usage: rediscluster-bench [options]

  -h HOST                 startup node host (default 127.0.0.1)
  -p PORT                 startup node port (default 7000)
  -t, --workload W        set, get, mix, scan or pubsub (default set); scan
                          times scan_iter over every key (after writing
                          --keys keys), and with --compare redis-cli --scan
                          on each master in turn; pubsub times --ops
                          messages of --value-size bytes from a publisher
                          (pipelines of --pipeline, default 100) to a
                          PubSub, and with --compare redis-benchmark
                          PUBLISH on the first channel's master
  --read-ratio R          share of GETs in mix, 0..1 (default 0.8)
  --keys N                key space key:0..key:N-1 (default 100000)
  --value-size BYTES      value size for SET (default 32)
  --threads N             client threads (default 1)
  --ops N                 operations, all threads together (default 100000)
  --duration SECONDS      run for this long instead of --ops
  --pool P                default, blocking, readonly, replicas or multiplexed
                          (default default)
  --max-connections N     connection cap passed to the pool
  --busy-poll US          poll for a reply this long before sleeping
                          (ConnectionOptions::busy_poll; default 0, off)
  --pipeline N            N commands per Pipeline::execute() on random keys
                          over all slots (default: single commands)
  --peer-pipeline P       redis-benchmark's -P with --compare (default: the
                          pipeline divided by the number of masters, rounded up)
  --async                 run through AsyncRedisCluster on one thread (needs a
                          build with rediscluster::asio)
  --inflight N            --async: commands in flight at once (default 1)
  --no-fill               do not write the keys before get and mix
  --quiet                 no progress line on stderr
  --json | --csv          machine-readable output on stdout
  --compare               also run redis-benchmark --cluster with the same settings
  --redis-benchmark PATH  redis-benchmark binary (default /usr/bin/redis-benchmark)
  --scan-count N          -t scan: SCAN's COUNT (default 10, as redis-cli --scan)
  --rounds N              -t scan: scans timed, median reported (default 5)
  --channels N            -t pubsub: channels published to, round robin
                          (default 1)
  --redis-cli PATH        redis-cli binary for -t scan --compare
                          (default /usr/bin/redis-cli)
  --help                  this text

Exit status: 0 done (command errors are counted, not fatal), 1 cluster
unreachable or redis-benchmark failed, 2 bad arguments.
)";

// Walks the arguments; value() takes the one after the current flag.
class ArgumentCursor {
public:
    explicit ArgumentCursor(std::span<const char* const> arguments) : arguments_(arguments) {}

    [[nodiscard]] bool done() const noexcept { return index_ >= arguments_.size(); }
    std::string_view next() { return arguments_[index_++]; }
    std::string_view value(std::string_view flag) {
        if (done()) throw UsageError(std::string(flag) + " needs a value");
        return next();
    }

private:
    std::span<const char* const> arguments_;
    std::size_t index_ = 0;
};

template <class Integer>
Integer parse_integer(std::string_view flag, std::string_view text, Integer min, Integer max) {
    Integer value{};
    const auto* end = text.data() + text.size();
    const auto [ptr, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || ptr != end || value < min || value > max) {
        throw UsageError(std::string(flag) + " needs a whole number from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", not '" + std::string(text) + "'");
    }
    return value;
}

// `expected` says what is accepted, for the message ("a number from 0 to 1").
double parse_number(std::string_view flag, std::string_view text, double min, double max, bool min_inclusive,
                    std::string_view expected) {
    double value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, error] = std::from_chars(text.data(), end, value);
    const bool above_min = min_inclusive ? value >= min : value > min;
    if (text.empty() || error != std::errc() || ptr != end || !std::isfinite(value) || !above_min || value > max) {
        throw UsageError(std::string(flag) + " needs " + std::string(expected) + ", not '" + std::string(text) + "'");
    }
    return value;
}

Workload parse_workload(std::string_view flag, std::string_view text) {
    if (text == "set") return Workload::set;
    if (text == "get") return Workload::get;
    if (text == "mix") return Workload::mix;
    if (text == "scan") return Workload::scan;
    if (text == "pubsub") return Workload::pubsub;
    throw UsageError(std::string(flag) + " needs set, get, mix, scan or pubsub, not '" + std::string(text) + "'");
}

PoolChoice parse_pool(std::string_view flag, std::string_view text) {
    if (text == "default") return PoolChoice::default_pool;
    if (text == "blocking") return PoolChoice::blocking;
    if (text == "readonly") return PoolChoice::readonly;
    if (text == "replicas") return PoolChoice::replicas;
    if (text == "multiplexed") return PoolChoice::multiplexed;
    throw UsageError(std::string(flag) + " needs default, blocking, readonly, replicas or multiplexed, not '" +
                     std::string(text) + "'");
}

// Flags that make sense only together, checked once everything is read.
struct SeenFlags {
    bool ops = false;
    bool read_ratio = false;
    bool json = false;
    bool csv = false;
    bool threads = false;
    bool inflight = false;
};

void check_combinations(const BenchOptions& options, const SeenFlags& seen) {
    if (seen.ops && options.duration) throw UsageError("--ops and --duration exclude each other");
    if (seen.json && seen.csv) throw UsageError("--json and --csv exclude each other");
    if (options.peer_pipeline && !options.compare) throw UsageError("--peer-pipeline applies to --compare only");
    if (seen.inflight && !options.async) throw UsageError("--inflight applies to --async only");
    if (options.async) {
        if (seen.threads && options.threads != 1) throw UsageError("--async runs on one thread: --threads excluded");
        if (options.pipeline > 0) throw UsageError("--async pipelines by itself: --pipeline excluded");
        if (options.pool != PoolChoice::default_pool) throw UsageError("--async has its own connections: --pool excluded");
        if (options.workload == Workload::scan) throw UsageError("--async measures set, get or mix, not scan");
    }
    if (seen.read_ratio && options.workload != Workload::mix) {
        throw UsageError("--read-ratio applies to -t mix only");
    }
    // redis-benchmark reads -n, -r, -c and -d as C ints.
    if (options.compare) {
        constexpr auto kIntMax = static_cast<std::uint64_t>(INT_MAX);
        if (!options.duration && options.ops > kIntMax) {
            throw UsageError("--ops above " + std::to_string(kIntMax) + " cannot be passed to redis-benchmark (--compare)");
        }
        if (options.keys > kIntMax) {
            throw UsageError("--keys above " + std::to_string(kIntMax) + " cannot be passed to redis-benchmark (--compare)");
        }
        if (options.value_size > kIntMax) {
            throw UsageError("--value-size above " + std::to_string(kIntMax) +
                             " cannot be passed to redis-benchmark (--compare)");
        }
    }
}

}  // namespace

BenchOptions parse_options(std::span<const char* const> arguments) {
    BenchOptions options;
    SeenFlags seen;
    ArgumentCursor cursor(arguments);
    while (!cursor.done()) {
        const std::string_view flag = cursor.next();
        if (flag == "-h") {
            options.host = std::string(cursor.value(flag));
            if (options.host.empty()) throw UsageError("-h needs a host name");
        } else if (flag == "-p") {
            options.port = parse_integer<std::uint16_t>(flag, cursor.value(flag), 1, 65535);
        } else if (flag == "-t" || flag == "--workload") {
            options.workload = parse_workload(flag, cursor.value(flag));
        } else if (flag == "--read-ratio") {
            options.read_ratio = parse_number(flag, cursor.value(flag), 0.0, 1.0, true, "a number from 0 to 1");
            seen.read_ratio = true;
        } else if (flag == "--keys") {
            options.keys = parse_integer<std::uint64_t>(flag, cursor.value(flag), 1, std::numeric_limits<std::int64_t>::max());
        } else if (flag == "--value-size") {
            options.value_size = parse_integer<std::size_t>(flag, cursor.value(flag), 0, kMaxValueSize);
        } else if (flag == "--threads") {
            options.threads = parse_integer<unsigned>(flag, cursor.value(flag), 1, kMaxThreads);
            seen.threads = true;
        } else if (flag == "--ops") {
            options.ops = parse_integer<std::uint64_t>(flag, cursor.value(flag), 1, std::numeric_limits<std::int64_t>::max());
            seen.ops = true;
        } else if (flag == "--duration") {
            options.duration = std::chrono::duration<double>(
                parse_number(flag, cursor.value(flag), 0.0, kMaxDurationSeconds, false,
                             "a positive number of seconds (at most a week)"));
        } else if (flag == "--pool") {
            options.pool = parse_pool(flag, cursor.value(flag));
        } else if (flag == "--max-connections") {
            options.max_connections = parse_integer<std::size_t>(flag, cursor.value(flag), 1, 1000000);
        } else if (flag == "--busy-poll") {
            options.busy_poll = std::chrono::microseconds(parse_integer<std::int64_t>(flag, cursor.value(flag), 0, 100000));
        } else if (flag == "--pipeline") {
            options.pipeline = parse_integer<std::size_t>(flag, cursor.value(flag), 1, 100000);
        } else if (flag == "--peer-pipeline") {
            options.peer_pipeline = parse_integer<unsigned>(flag, cursor.value(flag), 1, 100000);
        } else if (flag == "--async") {
            options.async = true;
        } else if (flag == "--inflight") {
            options.inflight = parse_integer<std::size_t>(flag, cursor.value(flag), 1, 100000);
            seen.inflight = true;
        } else if (flag == "--no-fill") {
            options.fill = false;
        } else if (flag == "--quiet") {
            options.quiet = true;
        } else if (flag == "--json") {
            options.format = OutputFormat::json;
            seen.json = true;
        } else if (flag == "--csv") {
            options.format = OutputFormat::csv;
            seen.csv = true;
        } else if (flag == "--compare") {
            options.compare = true;
        } else if (flag == "--redis-benchmark") {
            options.redis_benchmark_path = std::string(cursor.value(flag));
        } else if (flag == "--scan-count") {
            options.scan_count = parse_integer<std::size_t>(flag, cursor.value(flag), 1, 1000000);
        } else if (flag == "--rounds") {
            options.rounds = parse_integer<unsigned>(flag, cursor.value(flag), 1, 1000);
        } else if (flag == "--channels") {
            options.channels = parse_integer<unsigned>(flag, cursor.value(flag), 1, 10000);
        } else if (flag == "--redis-cli") {
            options.redis_cli_path = std::string(cursor.value(flag));
        } else if (flag == "--help") {
            options.help = true;
        } else {
            throw UsageError("unknown option '" + std::string(flag) + "' (--help lists the options)");
        }
    }
    check_combinations(options, seen);
    return options;
}

std::string_view usage_text() noexcept { return kUsage; }

std::string_view to_string(Workload workload) noexcept {
    switch (workload) {
        case Workload::set: return "set";
        case Workload::get: return "get";
        case Workload::mix: return "mix";
        case Workload::scan: return "scan";
        case Workload::pubsub: return "pubsub";
    }
    return "?";
}

std::string_view to_string(PoolChoice pool) noexcept {
    switch (pool) {
        case PoolChoice::default_pool: return "default";
        case PoolChoice::blocking: return "blocking";
        case PoolChoice::readonly: return "readonly";
        case PoolChoice::replicas: return "replicas";
        case PoolChoice::multiplexed: return "multiplexed";
    }
    return "?";
}

}  // namespace rediscluster_bench
