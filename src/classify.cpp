#include "detail/classify.hpp"

#include "rediscluster/error_reply.hpp"

namespace rediscluster::detail {

std::optional<Failure> classify_error_reply_text(std::string_view text) noexcept {
    switch (classify_error_reply(text)) {
        case ErrorReplyKind::moved: return Failure::Moved;
        case ErrorReplyKind::ask: return Failure::Ask;
        case ErrorReplyKind::try_again: return Failure::TryAgain;
        case ErrorReplyKind::cluster_down:
        case ErrorReplyKind::master_down: return Failure::ClusterDown;
        case ErrorReplyKind::read_only: return Failure::ReadOnly;
        case ErrorReplyKind::loading: return Failure::Loading;
        // The node refused the connection, not the command: another
        // connection (or node) may do.
        case ErrorReplyKind::max_clients: return Failure::Connection;
        case ErrorReplyKind::cross_slot:
        case ErrorReplyKind::no_script:
        case ErrorReplyKind::exec_abort:
        case ErrorReplyKind::authentication:
        case ErrorReplyKind::other: return std::nullopt;
    }
    return std::nullopt;
}

Failure classify(const Error& error) noexcept {
    // Most derived first: MovedError is an AskError, IncompleteReplyError
    // and AuthenticationError are ConnectionErrors.
    if (dynamic_cast<const MovedError*>(&error) != nullptr) return Failure::Moved;
    if (dynamic_cast<const AskError*>(&error) != nullptr) return Failure::Ask;
    if (dynamic_cast<const TryAgainError*>(&error) != nullptr) return Failure::TryAgain;
    if (dynamic_cast<const ClusterDownError*>(&error) != nullptr) return Failure::ClusterDown;
    if (dynamic_cast<const ReadOnlyError*>(&error) != nullptr) return Failure::ReadOnly;
    if (dynamic_cast<const BusyLoadingError*>(&error) != nullptr) return Failure::Loading;
    if (dynamic_cast<const AuthenticationError*>(&error) != nullptr) return Failure::Fatal;
    if (dynamic_cast<const SlotNotCoveredError*>(&error) != nullptr) return Failure::SlotNotCovered;
    if (dynamic_cast<const TimeoutError*>(&error) != nullptr) return Failure::Timeout;
    if (dynamic_cast<const IncompleteReplyError*>(&error) != nullptr) return Failure::Interrupted;
    if (dynamic_cast<const ConnectionError*>(&error) != nullptr) {
        return std::string_view(error.what()).starts_with("No connection available") ? Failure::NoConnection
                                                                                       : Failure::Connection;
    }
    // The node answered, but not in RESP: the command ran.
    if (dynamic_cast<const ProtocolError*>(&error) != nullptr) return Failure::Interrupted;
    return Failure::Fatal;
}

}  // namespace rediscluster::detail
