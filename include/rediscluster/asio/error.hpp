#pragma once

// The errors of the asynchronous client, as std::error_code values of a
// category of our own ("rediscluster.asio").
//
// An operation that fails completes with one of these codes and a Reply
// that is an error reply carrying the message: the server's own text for
// `response` (e.g. "WRONGTYPE Operation against a key holding the wrong
// kind of value"), otherwise the message the blocking client's exception
// would carry. Cancellation, and work submitted to a client that was
// destroyed or cancelled, complete with asio::error::operation_aborted and
// a null Reply. A completion without a Reply (a typed command's) can hand
// that message to a Diagnostics (diagnostics.hpp).
//
// How the codes map onto the blocking API's exceptions (errors.hpp):
//
// | code              | blocking RedisCluster throws                                   |
// |-------------------|----------------------------------------------------------------|
// | response          | ResponseError or its typed kind (the command's own error reply) |
// | cluster_down      | ClusterDownError / MasterDownError (given up on)                |
// | redirect          | MovedError / AskError / TryAgainError / ReadOnlyError (given up on) |
// | moved_exhausted   | ClusterError: too many MOVED/ASK redirects                      |
// | budget_exhausted  | ClusterError: command_timeout (or the attempt count) ran out    |
// | slot_not_covered  | SlotNotCoveredError                                             |
// | connection        | ConnectionError (refused, reset, closed before the reply)       |
// | timeout           | TimeoutError                                                    |
// | interrupted       | IncompleteReplyError / ProtocolError (the command may have run) |
// | connection_setup  | AuthenticationError / RedisClusterConfigError at the handshake  |
// | invalid_command   | DataError, ClusterCrossSlotError, RedisClusterException (refused before anything was sent) |
// | reply_type        | ReplyTypeError (async_command<T>: the reply does not fit T; the command ran) |
// | not_executed      | none: Transaction::exec() returns nullopt (a watched key changed, or the watch was lost) |

#include <string>
#include <system_error>
#include <type_traits>

namespace rediscluster::asio {

enum class error {
    response = 1,
    cluster_down,
    redirect,
    moved_exhausted,
    budget_exhausted,
    slot_not_covered,
    connection,
    timeout,
    interrupted,
    connection_setup,
    invalid_command,
    reply_type,
    not_executed,
};

/// The category of `error`; its name() is "rediscluster.asio".
[[nodiscard]] const std::error_category& error_category() noexcept;

/// Found by argument-dependent lookup, so `ec == error::timeout` works.
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

}  // namespace rediscluster::asio

template <>
struct std::is_error_code_enum<rediscluster::asio::error> : std::true_type {};
