#pragma once

// A scripted fake Redis node, for what a real server cannot be made to do:
// crafted redirects, broken or endless replies, a node that never answers.
//
// The node listens on 127.0.0.1 (an ephemeral port) and serves every
// accepted connection from one background thread. The k-th accepted
// connection follows the k-th script, step by step:
//
//   FakeNode node({
//       {expect({"CLUSTER", "SLOTS"}, "*0\r\n")},               // connection 0
//       {expect({"GET", "k"}, "-MOVED 1 127.0.0.1:7000\r\n"),   // connection 1
//        hang()},
//   });
//
// A connection without a script is closed at once. A command that does not
// match its step, or arrives after the script has ended, is recorded as a
// problem and the connection is closed: tests check `problems()` is empty.
//
// Every command received is recorded (with its connection) before any
// answer is sent, so a client that has read an answer can rely on its
// command being in `commands()`.
//
// Bounded: the node stops by itself after `lifetime` (default 30 s), and
// its destructor stops it at once (a pipe wakes the thread's poll). A
// stopped node has closed every socket, its listener included, so a client
// sees a closed connection or a refused one, never silence.
//
// Thread safety: the accessors may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace rediscluster::test {

/// One step of a connection's script.
struct FakeStep {
    enum class Action {
        expect,           // wait for one complete command, check it, send `bytes`
        close,            // close the connection
        send_then_close,  // send `bytes` (typically a partial reply), then close
        send,             // send `bytes` without waiting for a command, go on
        hang,             // never send anything again (until the node stops)
    };
    Action action = Action::expect;
    /// expect: the command it must be; nullopt accepts any command.
    std::optional<std::vector<std::string>> command = std::nullopt;
    /// expect: the raw answer (may be empty); send_then_close, send: what to send.
    std::string bytes = {};
};

/// Waits for `command` and answers with the raw bytes `reply`.
FakeStep expect(std::vector<std::string> command, std::string reply);
/// Waits for any one command and answers with `reply`.
FakeStep expect_any(std::string reply);
/// Closes the connection.
FakeStep close_connection();
/// Sends `bytes` and closes the connection.
FakeStep send_then_close(std::string bytes);
/// Sends `bytes` at once, without waiting for a command (e.g. an answer to
/// a client that speaks another protocol), then goes on with the script.
FakeStep send_at_once(std::string bytes);
/// Never answers again; the connection stays open until the node stops.
FakeStep hang();

/// The steps of one connection.
using FakeScript = std::vector<FakeStep>;

/// A server without CLUSTER SHARDS (before 7.0): discovery's first
/// connection to a node asks for CLUSTER SHARDS and CLUSTER NODES, and both
/// are refused; discovery then asks for CLUSTER SLOTS on the next one.
FakeScript refuse_cluster_shards();

/// A command the node received, and on which connection (0 = first accepted).
struct ReceivedCommand {
    std::size_t connection = 0;
    std::vector<std::string> args;

    bool operator==(const ReceivedCommand&) const = default;
};

/// "[0] GET k", for failure messages.
std::string to_string(const ReceivedCommand& command);
std::string to_string(const std::vector<ReceivedCommand>& commands);

class FakeNode {
public:
    /// Makes the scripts once the node's port is known, for answers that
    /// name the node itself (CLUSTER SLOTS, redirects to itself).
    using ScriptMaker = std::function<std::vector<FakeScript>(std::uint16_t port)>;
    /// Instead of scripts: decides the answer to each command as it comes,
    /// on any connection. The step's action is carried out at once (expect:
    /// send its bytes; close; send_then_close; send; hang). Runs on the node's
    /// thread.
    using Responder = std::function<FakeStep(const ReceivedCommand& command)>;
    using ResponderMaker = std::function<Responder(std::uint16_t port)>;
    struct Responding {};  // selects the responder constructor

    /// Starts listening and serving. Throws std::system_error when the
    /// socket cannot be set up.
    explicit FakeNode(std::vector<FakeScript> scripts,
                      std::chrono::milliseconds lifetime = std::chrono::seconds(30));
    explicit FakeNode(const ScriptMaker& make_scripts,
                      std::chrono::milliseconds lifetime = std::chrono::seconds(30));
    FakeNode(Responding, const ResponderMaker& make_responder,
             std::chrono::milliseconds lifetime = std::chrono::seconds(30));
    ~FakeNode();
    FakeNode(const FakeNode&) = delete;
    FakeNode& operator=(const FakeNode&) = delete;

    [[nodiscard]] std::string host() const { return "127.0.0.1"; }
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    /// Every command received so far, in order of arrival.
    [[nodiscard]] std::vector<ReceivedCommand> commands() const;
    /// Deviations from the scripts (unexpected commands, extra connections,
    /// malformed commands). Empty when the client did what the scripts say.
    [[nodiscard]] std::vector<std::string> problems() const;
    /// Connections accepted so far.
    [[nodiscard]] std::size_t accepted_connections() const;

    /// Waits until at least `count` commands have arrived, up to `timeout`;
    /// returns whether they did.
    bool wait_for_commands(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

private:
    struct Connection;

    void serve();
    void start_steps(Connection& connection);
    void on_readable(Connection& connection);
    void on_command(Connection& connection, std::vector<std::string> args);
    void send_bytes(Connection& connection, std::string_view bytes);
    // Does what `step` says, at once (an expect step: sends its answer).
    void carry_out(Connection& connection, const FakeStep& step);
    void problem(std::string text);

    std::vector<FakeScript> scripts_;
    Responder responder_;
    std::chrono::steady_clock::time_point stop_at_;
    int listener_ = -1;
    int wake_read_ = -1;
    int wake_write_ = -1;
    std::uint16_t port_ = 0;

    mutable std::mutex mutex_;  // guards the records below
    mutable std::condition_variable changed_;
    std::vector<ReceivedCommand> commands_;
    std::vector<std::string> problems_;
    std::size_t accepted_ = 0;

    std::thread thread_;  // last: starts once everything above is ready
};

// --- RESP builders for scripted answers ----------------------------------------

/// "$<n>\r\n<bytes>\r\n"
std::string resp_bulk(std::string_view bytes);
/// ":<value>\r\n"
std::string resp_integer(std::int64_t value);
/// "*<n>\r\n" followed by the already encoded elements.
std::string resp_array(std::initializer_list<std::string> elements);
std::string resp_array(const std::vector<std::string>& elements);

}  // namespace rediscluster::test
