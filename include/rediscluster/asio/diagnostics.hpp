#pragma once

// Diagnostics: what went wrong with an operation, beyond its error code.
//
// ```
//   rediscluster::asio::Diagnostics diagnostics;
//   auto redis = rc.commands(asio::experimental::as_tuple(asio::use_awaitable), diagnostics);
//   auto [code, visits] = co_await redis.incr("user:1:name");
//   if (code == rediscluster::asio::error::response) {
//       log(diagnostics.server_message());  // "WRONGTYPE Operation against a key holding the wrong kind of value"
//   }
// ```
//
// A completion `void(std::error_code, T)` has no room for the message that
// comes with a failure. Given to rc.commands(token, diagnostics) (or to a
// transaction's now(token, diagnostics)), a Diagnostics receives it for
// each command, just before the command's
// handler runs (with use_awaitable: before the std::system_error is
// thrown into the coroutine):
//  - server_message(): the server's error reply, as the server sent it,
//    when the code is error::response (the command's own error);
//  - client_message(): for any other failure, the message the blocking
//    client's exception would carry (naming the node, the attempts, the
//    reply that did not fit T...);
//  - both empty when the command succeeded.
// async_execute() needs none: its Reply is the error reply with that text.
//
// Thread safety: written on the command's handler's executor; read it in
// the handler, or after the co_await. One Diagnostics serves one command
// at a time: commands in flight together need one each.

#include <string>

namespace rediscluster::asio {

namespace detail {
struct DiagnosticsAccess;
}

class Diagnostics {
public:
    /// The server's error reply (error::response), else empty.
    [[nodiscard]] const std::string& server_message() const noexcept { return server_message_; }
    /// The library's message for any other failure, else empty.
    [[nodiscard]] const std::string& client_message() const noexcept { return client_message_; }
    void clear() noexcept {
        server_message_.clear();
        client_message_.clear();
    }

private:
    friend struct detail::DiagnosticsAccess;
    std::string server_message_;
    std::string client_message_;
};

}  // namespace rediscluster::asio
