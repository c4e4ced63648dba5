#pragma once

// The exceptions the library throws.
//
// The hierarchy mirrors the Python API the library follows, so a handler
// written for one reads the same in the other:
//
//   Error                                  (root: catch everything from the library)
//   ├── RedisClusterException              (client-side cluster failures)
//   │   └── SlotNotCoveredError
//   ├── RedisClusterConfigError            (bad configuration, found before any I/O)
//   └── RedisError                         (anything that happened talking to Redis)
//       ├── ConnectionError
//       │   ├── AuthenticationError        (NOAUTH, WRONGPASS)
//       │   └── BusyLoadingError           (LOADING)
//       ├── TimeoutError
//       ├── ProtocolError                  (the bytes on the wire were not valid RESP)
//       ├── DataError                      (a value the client cannot send or decode)
//       ├── ClusterError                   (the cluster could not serve the request)
//       │   └── ClusterDownError           (also a ResponseError)
//       │       └── MasterDownError
//       └── ResponseError                  (the server answered with an error reply)
//           ├── AskError                   (ASK: carries slot and endpoint)
//           │   └── MovedError             (MOVED: carries slot and endpoint)
//           ├── TryAgainError
//           ├── ClusterDownError           (also a ClusterError)
//           ├── ClusterCrossSlotError
//           ├── ReadOnlyError              (write sent to a replica)
//           ├── NoScriptError              (NOSCRIPT: EVALSHA of a script the node does not hold)
//           └── ReplyTypeError             (also a DataError: a reply of another shape than asked)
//
// As in the Python original, MovedError derives from AskError (both are
// redirects carrying the same fields) and ClusterDownError is both a
// ClusterError and a ResponseError; ReplyTypeError is both a ResponseError
// and a DataError (what typed reads threw before it existed). C++ needs virtual inheritance for that
// diamond; users never see it: `catch (const ResponseError&)` and
// `catch (const ClusterError&)` both catch a ClusterDownError.
//
// Thread safety: exception objects are immutable after construction and may
// be read from any thread.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace rediscluster {

/// Root of every exception the library throws. `what()` is the message.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
    // Declared so the compiler does not generate a move assignment for this
    // virtual base (GCC's -Wvirtual-move-assign would fire in user code that
    // stores and reassigns exceptions, e.g. std::optional<MovedError>).
    Error(const Error&) = default;
    Error& operator=(const Error&) = default;
    ~Error() override = default;
};

/// A failure of the cluster client itself: no reachable node, a full pool,
/// a command that cannot be routed.
class RedisClusterException : public virtual Error {
public:
    explicit RedisClusterException(const std::string& message) : Error(message) {}
};

/// A transaction used wrongly, refused before anything is sent: exec()
/// with no command queued, or any call after exec() or discard().
class TransactionError : public RedisClusterException {
public:
    explicit TransactionError(const std::string& message) : Error(message), RedisClusterException(message) {}
};

/// No node serves a slot (the cluster does not cover all 16384 slots).
class SlotNotCoveredError : public RedisClusterException {
public:
    explicit SlotNotCoveredError(const std::string& message)
        : Error(message), RedisClusterException(message) {}
};

/// Invalid configuration (options, remap rules, encodings), reported before
/// any connection is made.
class RedisClusterConfigError : public virtual Error {
public:
    explicit RedisClusterConfigError(const std::string& message) : Error(message) {}
};

/// Root of the failures that happen while talking to a Redis server.
class RedisError : public virtual Error {
public:
    explicit RedisError(const std::string& message) : Error(message) {}
    RedisError(const RedisError&) = default;  // see Error
    RedisError& operator=(const RedisError&) = default;
    ~RedisError() override = default;
};

/// The connection could not be made, or broke.
class ConnectionError : public virtual RedisError {
public:
    explicit ConnectionError(const std::string& message) : Error(message), RedisError(message) {}
};

/// The connection broke after part of a reply had arrived: the command
/// reached the server and ran, but its outcome is unknown. Like a timeout,
/// RedisCluster does not send it again unless retry_on_timeout is set.
class IncompleteReplyError : public ConnectionError {
public:
    explicit IncompleteReplyError(const std::string& message)
        : Error(message), RedisError(message), ConnectionError(message) {}
};

/// The server refused the credentials (NOAUTH, WRONGPASS, invalid password).
class AuthenticationError : public ConnectionError {
public:
    explicit AuthenticationError(const std::string& message)
        : Error(message), RedisError(message), ConnectionError(message) {}
};

/// The server is still loading its dataset (LOADING).
class BusyLoadingError : public ConnectionError {
public:
    explicit BusyLoadingError(const std::string& message)
        : Error(message), RedisError(message), ConnectionError(message) {}
};

/// A connect, read or write did not complete within its timeout.
class TimeoutError : public virtual RedisError {
public:
    explicit TimeoutError(const std::string& message) : Error(message), RedisError(message) {}
};

/// The server sent bytes that are not valid RESP, or a reply that breaks a
/// configured limit. The connection that received them must be discarded.
class ProtocolError : public virtual RedisError {
public:
    explicit ProtocolError(const std::string& message) : Error(message), RedisError(message) {}
};

/// A value the client cannot send, or a reply it cannot decode as asked
/// (for example invalid UTF-8 with strict decoding).
class DataError : public virtual RedisError {
public:
    explicit DataError(const std::string& message) : Error(message), RedisError(message) {}
};

/// The cluster could not serve a request (for example the redirect budget
/// was exhausted).
class ClusterError : public virtual RedisError {
public:
    explicit ClusterError(const std::string& message) : Error(message), RedisError(message) {}
};

/// The server answered with an error reply. `what()` is the server's text
/// without the leading '-'.
class ResponseError : public virtual RedisError {
public:
    explicit ResponseError(const std::string& message) : Error(message), RedisError(message) {}
};

/// ASK redirect: the slot is being migrated; retry once on `host:port`
/// after sending ASKING. The message is "<slot> <host>:<port>".
class AskError : public ResponseError {
public:
    AskError(const std::string& message, std::uint16_t slot, std::string target_host,
             std::uint16_t target_port)
        : Error(message),
          RedisError(message),
          ResponseError(message),
          slot_id(slot),
          host(std::move(target_host)),
          port(target_port) {}

    /// The hash slot the redirect is about.
    std::uint16_t slot_id;
    /// The node to retry on; an IPv6 address is kept without brackets.
    std::string host;
    std::uint16_t port;

    /// "host:port", the node's name as NodeInfo spells it.
    [[nodiscard]] std::string node_addr() const { return host + ":" + std::to_string(port); }
};

/// MOVED redirect: the slot now lives on `host:port` for good.
class MovedError : public AskError {
public:
    MovedError(const std::string& message, std::uint16_t slot, std::string target_host,
               std::uint16_t target_port)
        : Error(message),
          RedisError(message),
          AskError(message, slot, std::move(target_host), target_port) {}
};

/// TRYAGAIN: a multi-key command hit a slot in the middle of a migration.
class TryAgainError : public ResponseError {
public:
    explicit TryAgainError(const std::string& message)
        : Error(message), RedisError(message), ResponseError(message) {}
};

/// CLUSTERDOWN: the cluster is not serving requests right now.
class ClusterDownError : public ClusterError, public ResponseError {
public:
    explicit ClusterDownError(const std::string& message)
        : Error(message), RedisError(message), ClusterError(message), ResponseError(message) {}
};

/// MASTERDOWN: the replica's link to its master is down.
class MasterDownError : public ClusterDownError {
public:
    explicit MasterDownError(const std::string& message)
        : Error(message), RedisError(message), ClusterDownError(message) {}
};

/// CROSSSLOT, or refused by the client before sending: the keys of one
/// command hash to different slots.
class ClusterCrossSlotError : public ResponseError {
public:
    explicit ClusterCrossSlotError(
        const std::string& message = "Keys in request don't hash to the same slot")
        : Error(message), RedisError(message), ResponseError(message) {}
};

/// EXECABORT: the server refused a queued command (a wrong argument
/// count, an unknown command), so EXEC ran nothing. The message is the
/// server's, followed by the first refusal.
class ExecAbortError : public ResponseError {
public:
    explicit ExecAbortError(const std::string& message)
        : Error(message), RedisError(message), ResponseError(message) {}
};

/// READONLY: a write was sent to a replica (usually a sign the topology
/// changed under the client).
class ReadOnlyError : public ResponseError {
public:
    explicit ReadOnlyError(const std::string& message)
        : Error(message), RedisError(message), ResponseError(message) {}
};

/// NOSCRIPT: EVALSHA named a script the node does not hold (never loaded
/// there, or flushed since). RedisCluster::eval_cached() answers it by
/// sending the script itself.
class NoScriptError : public ResponseError {
public:
    explicit NoScriptError(const std::string& message)
        : Error(message), RedisError(message), ResponseError(message) {}
};

/// A reply that does not have the shape a typed read asked for (see
/// reply_cast.hpp): an array where a string was expected, "abc" read as a
/// number, 300 read as a std::uint8_t. The message names the type asked for
/// and what came. Also a DataError, which typed reads threw before.
class ReplyTypeError : public ResponseError, public DataError {
public:
    explicit ReplyTypeError(const std::string& message)
        : Error(message), RedisError(message), ResponseError(message), DataError(message) {}
};

}  // namespace rediscluster
