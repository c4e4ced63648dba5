#include "bench/report.hpp"

#include <string_view>

namespace rediscluster_bench {
namespace {

// Figures derived once from a run, in the units every format prints.
struct Summary {
    double ops_per_sec = 0;
    double p50_us = 0;
    double p99_us = 0;
    double p999_us = 0;
    double max_us = 0;
    double mean_us = 0;
    double cpu_us_per_op = 0;
    double cpu_user_us_per_op = 0;
    double cpu_system_us_per_op = 0;
};

double microseconds(std::chrono::nanoseconds value) { return static_cast<double>(value.count()) / 1000.0; }

double per_op(std::chrono::microseconds total, std::uint64_t ops) {
    return ops == 0 ? 0.0 : static_cast<double>(total.count()) / static_cast<double>(ops);
}

Summary summarize(const RunResult& run) {
    const auto& latency = *run.latency;
    return {ops_per_second(run),
            microseconds(latency.percentile(0.50)),
            microseconds(latency.percentile(0.99)),
            microseconds(latency.percentile(0.999)),
            microseconds(latency.max()),
            microseconds(latency.mean()),
            cpu_microseconds_per_op(run),
            per_op(run.cpu.user, run.ops),
            per_op(run.cpu.system, run.ops)};
}

double ratio(double ours, double theirs) { return theirs > 0 ? ours / theirs : 0.0; }

std::string number(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string optional_number(const std::optional<double>& value, int decimals, std::string_view missing) {
    return value ? number(*value, decimals) : std::string(missing);
}

std::string json_string(std::string_view text) {
    std::string quoted = "\"";
    for (const char c : text) {
        switch (c) {
            case '"': quoted += "\\\""; break;
            case '\\': quoted += "\\\\"; break;
            case '\n': quoted += "\\n"; break;
            case '\r': quoted += "\\r"; break;
            case '\t': quoted += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                    quoted += escaped;
                } else {
                    quoted += c;
                }
        }
    }
    return quoted + "\"";
}

unsigned long long as_ull(std::uint64_t value) { return static_cast<unsigned long long>(value); }

// ---------------------------------------------------------------------------
// Text

void print_text_header(const Report& report, std::FILE* out) {
    const auto& options = report.options;
    std::fprintf(out, "rediscluster-bench  %s", std::string(to_string(options.workload)).c_str());
    if (options.workload == Workload::mix) std::fprintf(out, " (read ratio %.2f)", options.read_ratio);
    std::fprintf(out, "  %s:%u  pool %s  %u thread%s  %llu keys  %zu-byte values\n", options.host.c_str(),
                 options.port, std::string(to_string(options.pool)).c_str(), options.threads,
                 options.threads == 1 ? "" : "s", as_ull(options.keys), options.value_size);
    if (options.pipeline > 0) {
        std::fprintf(out, "pipeline      %zu commands per execute() (latency is per execute())\n", options.pipeline);
    }
    if (options.async) {
        std::fprintf(out, "async         AsyncRedisCluster, one thread, %zu commands in flight (latency is per command)\n",
                     options.inflight);
    }
    if (options.busy_poll.count() > 0) {
        std::fprintf(out, "busy poll     %lld µs before each read sleeps\n", static_cast<long long>(options.busy_poll.count()));
    }
    if (report.fill) {
        std::fprintf(out, "fill          %llu keys in %.2f s (not measured)\n", as_ull(report.fill->keys_written),
                     report.fill->elapsed.count());
    }
}

void print_text_run(const Report& report, const Summary& summary, std::FILE* out) {
    const auto& run = report.run;
    std::fprintf(out, "ops           %llu in %.3f s  (errors %llu", as_ull(run.ops), run.elapsed.count(),
                 as_ull(run.errors.count));
    if (run.reads > 0) std::fprintf(out, ", GETs %llu, of which nil %llu", as_ull(run.reads), as_ull(run.misses));
    std::fprintf(out, ")\n");
    std::fprintf(out, "throughput    %.0f ops/s\n", summary.ops_per_sec);
    std::fprintf(out, "latency       p50 %.1f µs   p99 %.1f µs   p99.9 %.1f µs   max %.1f µs\n", summary.p50_us,
                 summary.p99_us, summary.p999_us, summary.max_us);
    std::fprintf(out, "client CPU    %.2f µs/op  (user %.2f, system %.2f)\n", summary.cpu_us_per_op,
                 summary.cpu_user_us_per_op, summary.cpu_system_us_per_op);
    if (run.errors.first_message) std::fprintf(out, "first error   %s\n", run.errors.first_message->c_str());
}

void print_text_comparison(const Report& report, const Summary& summary, std::FILE* out) {
    if (report.peers.empty()) return;
    std::fprintf(out, "\ncompared with redis-benchmark --cluster (ratios: ours ÷ theirs)\n");
    // printf pads by bytes and "µ" takes two: the columns holding one get a
    // byte more so that they line up with the rows below.
    std::fprintf(out, "%-24s %10s %10s %10s %11s %12s %10s\n", "", "ops/s", "p50 µs", "p99 µs", "CPU µs/op",
                 "ops/s ratio", "CPU ratio");
    std::fprintf(out, "%-24s %10.0f %9.1f %9.1f %10.2f\n", "rediscluster-bench", summary.ops_per_sec, summary.p50_us,
                 summary.p99_us, summary.cpu_us_per_op);
    for (const auto& peer : report.peers) {
        const std::string label = "redis-benchmark " + peer.test;
        std::fprintf(out, "%-24s %10.0f %9s %9s %10.2f %12.2f %10.2f\n", label.c_str(), peer.ops_per_sec,
                     optional_number(peer.p50_us, 1, "-").c_str(), optional_number(peer.p99_us, 1, "-").c_str(),
                     peer.cpu_us_per_op, ratio(summary.ops_per_sec, peer.ops_per_sec),
                     ratio(summary.cpu_us_per_op, peer.cpu_us_per_op));
    }
}

void print_text(const Report& report, std::FILE* out) {
    const auto summary = summarize(report.run);
    print_text_header(report, out);
    print_text_run(report, summary, out);
    print_text_comparison(report, summary, out);
    for (const auto& note : report.notes) std::fprintf(out, "note: %s\n", note.c_str());
}

// ---------------------------------------------------------------------------
// JSON: one key per line, so the output also reads well and greps well.

std::string json_optional(const std::optional<double>& value, int decimals) {
    return optional_number(value, decimals, "null");
}

void print_json_peers(const Report& report, const Summary& summary, std::FILE* out) {
    std::fprintf(out, "  \"compare\": [");
    const char* separator = "\n";
    for (const auto& peer : report.peers) {
        std::fprintf(out,
                     "%s    {\"tool\": \"redis-benchmark\", \"test\": %s, \"requests\": %llu, \"ops_per_sec\": %.1f, "
                     "\"p50_us\": %s, \"p99_us\": %s, \"cpu_us_per_op\": %.3f, \"ops_per_sec_ratio\": %.3f, "
                     "\"cpu_per_op_ratio\": %.3f}",
                     separator, json_string(peer.test).c_str(), as_ull(peer.requests), peer.ops_per_sec,
                     json_optional(peer.p50_us, 1).c_str(), json_optional(peer.p99_us, 1).c_str(), peer.cpu_us_per_op,
                     ratio(summary.ops_per_sec, peer.ops_per_sec), ratio(summary.cpu_us_per_op, peer.cpu_us_per_op));
        separator = ",\n";
    }
    std::fprintf(out, "%s],\n", report.peers.empty() ? "" : "\n  ");
}

void print_json(const Report& report, std::FILE* out) {
    const auto& options = report.options;
    const auto& run = report.run;
    const auto summary = summarize(run);
    std::fprintf(out, "{\n");
    std::fprintf(out, "  \"tool\": \"rediscluster-bench\",\n");
    std::fprintf(out, "  \"workload\": %s,\n", json_string(to_string(options.workload)).c_str());
    std::fprintf(out, "  \"read_ratio\": %s,\n",
                 options.workload == Workload::mix ? number(options.read_ratio, 3).c_str() : "null");
    std::fprintf(out, "  \"host\": %s,\n  \"port\": %u,\n", json_string(options.host).c_str(), options.port);
    std::fprintf(out, "  \"pool\": %s,\n", json_string(to_string(options.pool)).c_str());
    std::fprintf(out, "  \"threads\": %u,\n  \"keys\": %llu,\n  \"value_size\": %zu,\n", options.threads,
                 as_ull(options.keys), options.value_size);
    std::fprintf(out, "  \"busy_poll_us\": %lld,\n", static_cast<long long>(options.busy_poll.count()));
    std::fprintf(out, "  \"pipeline\": %zu,\n", options.pipeline);
    std::fprintf(out, "  \"async_inflight\": %zu,\n", options.async ? options.inflight : std::size_t{0});
    if (report.fill) {
        std::fprintf(out, "  \"fill\": {\"keys\": %llu, \"errors\": %llu, \"elapsed_sec\": %.3f},\n",
                     as_ull(report.fill->keys_written), as_ull(report.fill->errors.count), report.fill->elapsed.count());
    } else {
        std::fprintf(out, "  \"fill\": null,\n");
    }
    std::fprintf(out, "  \"ops\": %llu,\n  \"reads\": %llu,\n  \"misses\": %llu,\n", as_ull(run.ops),
                 as_ull(run.reads), as_ull(run.misses));
    std::fprintf(out, "  \"errors\": %llu,\n  \"first_error\": %s,\n", as_ull(run.errors.count),
                 run.errors.first_message ? json_string(*run.errors.first_message).c_str() : "null");
    std::fprintf(out, "  \"elapsed_sec\": %.6f,\n  \"ops_per_sec\": %.1f,\n", run.elapsed.count(),
                 summary.ops_per_sec);
    std::fprintf(out, "  \"latency_us\": {\"p50\": %.1f, \"p99\": %.1f, \"p999\": %.1f, \"max\": %.1f, \"mean\": %.1f},\n",
                 summary.p50_us, summary.p99_us, summary.p999_us, summary.max_us, summary.mean_us);
    std::fprintf(out, "  \"cpu_us_per_op\": %.3f,\n  \"cpu_user_us_per_op\": %.3f,\n  \"cpu_system_us_per_op\": %.3f,\n",
                 summary.cpu_us_per_op, summary.cpu_user_us_per_op, summary.cpu_system_us_per_op);
    print_json_peers(report, summary, out);
    std::fprintf(out, "  \"notes\": [");
    for (std::size_t i = 0; i < report.notes.size(); ++i) {
        std::fprintf(out, "%s%s", i == 0 ? "" : ", ", json_string(report.notes[i]).c_str());
    }
    std::fprintf(out, "]\n}\n");
}

// ---------------------------------------------------------------------------
// CSV: our row, then one per redis-benchmark figure; empty where a tool has
// no such figure.

void print_csv(const Report& report, std::FILE* out) {
    const auto& options = report.options;
    const auto& run = report.run;
    const auto summary = summarize(run);
    std::fprintf(out,
                 "tool,test,threads,ops,errors,elapsed_sec,ops_per_sec,p50_us,p99_us,p999_us,cpu_us_per_op,"
                 "ops_per_sec_ratio,cpu_per_op_ratio\n");
    std::fprintf(out, "rediscluster-bench,%s,%u,%llu,%llu,%.6f,%.1f,%.1f,%.1f,%.1f,%.3f,,\n",
                 std::string(to_string(options.workload)).c_str(), options.threads, as_ull(run.ops),
                 as_ull(run.errors.count), run.elapsed.count(), summary.ops_per_sec, summary.p50_us, summary.p99_us,
                 summary.p999_us, summary.cpu_us_per_op);
    for (const auto& peer : report.peers) {
        std::fprintf(out, "redis-benchmark,%s,%u,%llu,,,%.1f,%s,%s,,%.3f,%.3f,%.3f\n", peer.test.c_str(),
                     options.threads, as_ull(peer.requests), peer.ops_per_sec,
                     optional_number(peer.p50_us, 1, "").c_str(), optional_number(peer.p99_us, 1, "").c_str(),
                     peer.cpu_us_per_op, ratio(summary.ops_per_sec, peer.ops_per_sec),
                     ratio(summary.cpu_us_per_op, peer.cpu_us_per_op));
    }
}

}  // namespace

double ops_per_second(const RunResult& run) noexcept {
    const double seconds = run.elapsed.count();
    return seconds > 0 ? static_cast<double>(run.ops) / seconds : 0.0;
}

double cpu_microseconds_per_op(const RunResult& run) noexcept { return per_op(run.cpu.total(), run.ops); }

void print_report(const Report& report, std::FILE* out) {
    switch (report.options.format) {
        case OutputFormat::text: print_text(report, out); break;
        case OutputFormat::json: print_json(report, out); break;
        case OutputFormat::csv: print_csv(report, out); break;
    }
}

}  // namespace rediscluster_bench
