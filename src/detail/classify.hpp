#pragma once

// Failures as values: what an error reply or an exception from the I/O
// layer means for a command's retries. The drivers call these where a
// failure happens; the command's state machine takes it from there, and
// an exception is made again only at the public edge.

#include <optional>
#include <string_view>

#include "detail/retry_policy.hpp"
#include "rediscluster/errors.hpp"

namespace rediscluster::detail {

/// The cluster failure an error reply's text (without '-') stands for
/// (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY, LOADING,
/// "max number of clients"); nullopt when it is the command's own answer
/// (WRONGTYPE, a syntax error, NOAUTH...), which is returned to the caller
/// as it is.
[[nodiscard]] std::optional<Failure> classify_error_reply_text(std::string_view text) noexcept;

/// The failure an exception thrown by a connection or a pool stands for.
/// Anything not known to be worth a retry (wrong credentials, a pool at its
/// cap, a malformed redirect) is Failure::Fatal.
[[nodiscard]] Failure classify(const Error& error) noexcept;

}  // namespace rediscluster::detail
