// The floor under any blocking client: PING round trips over one plain
// socket to one node, with nothing else in the loop (no parsing, no
// routing, no library), either sleeping in recv() until the reply comes or
// polling for it with MSG_DONTWAIT. It prints round trips per second and
// the process's CPU time per round trip (getrusage), to set beside
// rediscluster-bench and redis-benchmark run the same way.
//
//   bare_round_trip PORT [sleep|poll] [ROUND_TRIPS]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](timeval time) { return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int usage_error() {
    std::fprintf(stderr, "usage: bare_round_trip PORT [sleep|poll] [ROUND_TRIPS]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 4) return usage_error();
    const int port = std::atoi(argv[1]);
    const std::string_view mode = argc > 2 ? argv[2] : "sleep";
    const long round_trips = argc > 3 ? std::atol(argv[3]) : 100000;
    if (port <= 0 || port > 65535 || (mode != "sleep" && mode != "poll") || round_trips <= 0) return usage_error();
    const bool poll = mode == "poll";

    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        std::perror("bare_round_trip: connect to 127.0.0.1");
        return 1;
    }
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);

    constexpr std::string_view ping = "*1\r\n$4\r\nPING\r\n";
    constexpr std::string_view pong = "+PONG\r\n";
    char reply[64];
    const double cpu_before = cpu_seconds();
    const auto started = std::chrono::steady_clock::now();
    for (long i = 0; i < round_trips; ++i) {
        if (::send(fd, ping.data(), ping.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(ping.size())) {
            std::perror("bare_round_trip: send");
            return 1;
        }
        std::size_t received = 0;
        while (received < pong.size()) {  // a reply may come in pieces
            const auto got = ::recv(fd, reply + received, sizeof reply - received, poll ? MSG_DONTWAIT : 0);
            if (got > 0) {
                received += static_cast<std::size_t>(got);
            } else if (got < 0 && (errno == EINTR || (poll && (errno == EAGAIN || errno == EWOULDBLOCK)))) {
                continue;
            } else {
                std::fprintf(stderr, "bare_round_trip: the node closed the connection or failed\n");
                return 1;
            }
        }
        if (std::string_view(reply, received) != pong) {
            std::fprintf(stderr, "bare_round_trip: unexpected reply %.*s\n", static_cast<int>(received), reply);
            return 1;
        }
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    const double cpu = cpu_seconds() - cpu_before;
    std::printf("%s: %.0f round trips/s, %.2f us CPU per round trip\n", poll ? "poll" : "sleep",
                static_cast<double>(round_trips) / elapsed.count(), cpu * 1e6 / static_cast<double>(round_trips));
    ::close(fd);
    return 0;
}
