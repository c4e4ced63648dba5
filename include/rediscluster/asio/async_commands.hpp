#pragma once

// The typed commands (commands.hpp) of the asynchronous client, each
// started with one completion token:
//
// ```
//   auto redis = rc.commands(asio::use_awaitable);
//   co_await redis.set("user:1", "alice");
//   std::optional<std::string> name = co_await redis.get("user:1");
//   std::int64_t visits = co_await redis.incr("visits");
// ```
//
// Every method of the blocking RedisCluster's typed commands is here,
// with the same arguments, and completes with
// `void(std::error_code, T)` where T is what the blocking method returns:
// the codes of AsyncRedisCluster::async_execute(), and error::reply_type
// when the reply does not have the method's shape; T is default-made
// when there is an error. Arguments the blocking method refuses before
// sending (an odd list of pairs, an empty list) are refused the same way,
// by throwing from the call. MGET, DEL... over several slots and the
// blocking commands (BLPOP...) work as through async_execute().
//
// rc.commands(token, diagnostics) also tells a Diagnostics the message of
// each failure (the server's error reply, or the library's message):
// see diagnostics.hpp.
//
// An AsyncCommands is a light view of its client: each call copies the
// token (use_awaitable, use_future, deferred, a copyable callback...). It
// must not outlive the client. Thread safety: as the client's.

#include <span>
#include <string_view>
#include <utility>

#include "rediscluster/asio/async_cluster.hpp"
#include "rediscluster/commands.hpp"

namespace rediscluster::asio {

template <class CompletionToken>
class AsyncCommands : public Commands<AsyncCommands<CompletionToken>> {
public:
    /// `diagnostics`, when given, is told each command's failure
    /// (diagnostics.hpp).
    AsyncCommands(AsyncRedisCluster& client, CompletionToken token, Diagnostics* diagnostics = nullptr)
        : client_(&client), token_(std::move(token)), diagnostics_(diagnostics) {}

private:
    friend class Commands<AsyncCommands>;

    template <class Reader, class... Args>
    auto run_command(const Args&... args) {
        return client_->template run_typed<Reader>(token_, diagnostics_, args...);
    }
    template <class Reader>
    auto run_command_range(std::span<const std::string_view> args) {
        return client_->template run_typed_range<Reader>(token_, diagnostics_, args);
    }

    AsyncRedisCluster* client_;
    CompletionToken token_;
    Diagnostics* diagnostics_;
};

}  // namespace rediscluster::asio
