#include "bench/redis_benchmark.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace rediscluster_bench {
namespace {

constexpr double kMicrosecondsPerMillisecond = 1000.0;

std::string system_error_text(int error) { return std::strerror(error); }

// Closes a pipe end once, on every path.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd = -1) noexcept : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() { close(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    void reset(int fd) noexcept {
        close();
        fd_ = fd;
    }
    void close() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

class SpawnFileActions {
public:
    SpawnFileActions() { posix_spawn_file_actions_init(&actions_); }
    SpawnFileActions(const SpawnFileActions&) = delete;
    SpawnFileActions& operator=(const SpawnFileActions&) = delete;
    ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions_); }

    posix_spawn_file_actions_t* get() noexcept { return &actions_; }

private:
    posix_spawn_file_actions_t actions_{};
};

// The child's stdout goes to a pipe we read; stdin and stderr are ours, so
// its warnings reach the user.
pid_t spawn_with_stdout_pipe(const std::vector<std::string>& arguments, FileDescriptor& read_end) {
    // Close-on-exec: the child keeps only the copy dup2 makes as its stdout,
    // so our read end sees end-of-file when the child exits.
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) {
        throw PeerError("cannot create a pipe for redis-benchmark: " + system_error_text(errno));
    }
    read_end.reset(ends[0]);
    FileDescriptor write_end(ends[1]);

    SpawnFileActions actions;
    posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDOUT_FILENO);

    // posix_spawn wants mutable strings; the vector outlives the call.
    std::vector<std::string> storage = arguments;
    std::vector<char*> argv;
    for (auto& argument : storage) argv.push_back(argument.data());
    argv.push_back(nullptr);

    pid_t child = 0;
    const int error = ::posix_spawn(&child, argv[0], actions.get(), nullptr, argv.data(), environ);
    if (error != 0) throw PeerError("cannot run " + arguments[0] + ": " + system_error_text(error));
    return child;
}

std::string read_all(int fd) {
    std::string output;
    char buffer[4096];
    while (true) {
        const ssize_t count = ::read(fd, buffer, sizeof buffer);
        if (count > 0) {
            output.append(buffer, static_cast<std::size_t>(count));
        } else if (count == 0 || errno != EINTR) {
            return output;
        }
    }
}

// Waits for the child and returns its wait status.
int wait_for(pid_t child) {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) throw PeerError("waitpid on redis-benchmark: " + system_error_text(errno));
    }
    return status;
}

std::string describe_exit(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
    return "ended with wait status " + std::to_string(status);
}

// Splits one CSV line of redis-benchmark; its fields are quoted and hold no
// commas or quotes of their own (test names, numbers).
std::vector<std::string_view> csv_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    while (true) {
        const auto comma = line.find(',');
        std::string_view field = line.substr(0, comma);
        if (field.size() >= 2 && field.front() == '"' && field.back() == '"') field = field.substr(1, field.size() - 2);
        fields.push_back(field);
        if (comma == std::string_view::npos) return fields;
        line.remove_prefix(comma + 1);
    }
}

std::optional<double> to_number(std::string_view text) {
    double value = 0;
    const auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
    return value;
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        if (newline == std::string_view::npos) break;
        text.remove_prefix(newline + 1);
    }
    return lines;
}

std::optional<std::size_t> column_of(const std::vector<std::string_view>& header, std::string_view name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] == name) return i;
    }
    return std::nullopt;
}

std::optional<double> field_as_number(const std::vector<std::string_view>& fields, std::optional<std::size_t> column) {
    if (!column || *column >= fields.size()) return std::nullopt;
    return to_number(fields[*column]);
}

}  // namespace

std::vector<std::string> redis_benchmark_arguments(const RedisBenchmarkSettings& settings) {
    return {settings.path,
            "--cluster",
            "-h", settings.host,
            "-p", std::to_string(settings.port),
            "-c", std::to_string(settings.clients),
            "-n", std::to_string(settings.requests),
            "-d", std::to_string(settings.value_size),
            "-r", std::to_string(settings.keyspace),
            "-t", settings.test,
            "-P", std::to_string(settings.pipeline),
            "--csv"};
}

void check_redis_benchmark(const std::string& path) {
    struct stat info{};
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode) || ::access(path.c_str(), X_OK) != 0) {
        throw PeerError("--compare needs redis-benchmark, but " + path +
                        " is not an executable file (apt-get install redis-tools, or give --redis-benchmark PATH)");
    }
}

namespace {

// Runs redis-benchmark with `arguments` and reads the row named `test`.
PeerResult run_for_row(const std::vector<std::string>& arguments, const std::string& path, const std::string& test,
                       std::uint64_t requests) {
    // Children already waited for are in RUSAGE_CHILDREN; the difference
    // across this one wait is this child alone (all of its threads).
    const auto cpu_before = waited_children_cpu_time();
    FileDescriptor output_pipe;
    const pid_t child = spawn_with_stdout_pipe(arguments, output_pipe);
    const std::string output = read_all(output_pipe.get());
    const int status = wait_for(child);
    const auto cpu_after = waited_children_cpu_time();

    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw PeerError(path + " " + describe_exit(status) + "; its output:\n" + output);
    }
    const auto row = parse_redis_benchmark_csv(output, test);
    if (!row) throw PeerError("no " + test + " row in the CSV output of " + path + ":\n" + output);
    return {test, requests, *row, cpu_after - cpu_before};
}

}  // namespace

PeerResult run_redis_benchmark(const RedisBenchmarkSettings& settings) {
    // redis-benchmark takes "-t get" and prints "GET".
    std::string test = settings.test;
    for (auto& c : test) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return run_for_row(redis_benchmark_arguments(settings), settings.path, test, settings.requests);
}

PeerResult run_redis_benchmark_command(const RedisBenchmarkSettings& settings,
                                       const std::vector<std::string>& command) {
    std::vector<std::string> arguments = {settings.path,
                                          "-h", settings.host,
                                          "-p", std::to_string(settings.port),
                                          "-c", std::to_string(settings.clients),
                                          "-n", std::to_string(settings.requests),
                                          "-P", std::to_string(settings.pipeline),
                                          "--csv"};
    arguments.insert(arguments.end(), command.begin(), command.end());
    std::string test;
    for (const auto& word : command) test += (test.empty() ? "" : " ") + word;
    return run_for_row(arguments, settings.path, test, settings.requests);
}

std::optional<RedisBenchmarkRow> parse_redis_benchmark_csv(std::string_view output, std::string_view test) {
    std::vector<std::string_view> header;
    for (const auto line : lines_of(output)) {
        if (line.starts_with("\"test\"")) {
            header = csv_fields(line);
            continue;
        }
        if (header.empty() || !line.starts_with('"')) continue;  // the cluster's masters, blank lines
        const auto fields = csv_fields(line);
        if (fields.front() != test) continue;
        const auto ops_per_sec = field_as_number(fields, column_of(header, "rps"));
        if (!ops_per_sec) return std::nullopt;
        RedisBenchmarkRow row;
        row.ops_per_sec = *ops_per_sec;
        if (const auto p50 = field_as_number(fields, column_of(header, "p50_latency_ms"))) {
            row.p50_us = *p50 * kMicrosecondsPerMillisecond;
        }
        if (const auto p99 = field_as_number(fields, column_of(header, "p99_latency_ms"))) {
            row.p99_us = *p99 * kMicrosecondsPerMillisecond;
        }
        return row;
    }
    return std::nullopt;
}

}  // namespace rediscluster_bench
