// AsyncRedisCluster against the real plain cluster: every completion token,
// many commands at once on one thread and on several, and how failures
// arrive as error codes.

#include <gtest/gtest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/async_env.hpp"
#include "rediscluster/asio/async_cluster.hpp"
#include "rediscluster/slot.hpp"

namespace rediscluster {
namespace {

using namespace std::chrono_literals;
using asio_error = rediscluster::asio::error;
using rediscluster::asio::AsyncRedisCluster;

// A connection class of the user's own.
class CustomConnection : public ClusterConnection {
public:
    using ClusterConnection::ClusterConnection;
};

using test::run_until;

TEST(AsyncClient, CoroutineSetThenGet) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options());
    std::optional<std::string> value;
    ::asio::co_spawn(
        io,
        [&]() -> ::asio::awaitable<void> {
            const Reply ok = co_await rc.async_execute("SET", "async:coroutine", "alice", ::asio::use_awaitable);
            EXPECT_EQ(ok.str(), "OK");
            const Reply got = co_await rc.async_execute("GET", "async:coroutine", ::asio::use_awaitable);
            value = std::string(got.str());
        },
        [](const std::exception_ptr& error) {
            if (error) std::rethrow_exception(error);
        });
    ASSERT_TRUE(run_until(io, [&] { return value.has_value(); }));
    EXPECT_EQ(value, "alice");
}

TEST(AsyncClient, AThousandConcurrentCommandsOnOneThreadAreAllAnsweredRightly) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options());
    constexpr int kCount = 1000;
    std::atomic<int> finished = 0;
    std::atomic<int> wrong = 0;
    for (int i = 0; i < kCount; ++i) {
        ::asio::co_spawn(
            io,
            [&, i]() -> ::asio::awaitable<void> {
                const std::string key = "async:many:" + std::to_string(i);
                (void)co_await rc.async_execute("SET", key, i, ::asio::use_awaitable);
                const Reply got = co_await rc.async_execute("GET", key, ::asio::use_awaitable);
                if (got.str() != std::to_string(i)) ++wrong;
                ++finished;
            },
            ::asio::detached);
    }
    ASSERT_TRUE(run_until(io, [&] { return finished == kCount; })) << finished << " of " << kCount;
    EXPECT_EQ(wrong, 0);
}

TEST(AsyncClient, TypedCommandsReadTheReplyAsT) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options());
    std::optional<std::int64_t> counter;
    std::optional<std::optional<std::string>> missing;
    std::optional<std::error_code> not_a_number;
    std::optional<std::error_code> wrong_type;
    ::asio::co_spawn(
        io,
        [&]() -> ::asio::awaitable<void> {
            (void)co_await rc.async_execute("DEL", "async:typed:n", "async:typed:missing", ::asio::use_awaitable);
            (void)co_await rc.async_command<std::int64_t>("INCRBY", "async:typed:n", 41, ::asio::use_awaitable);
            counter = co_await rc.async_command<std::int64_t>("INCR", "async:typed:n", ::asio::use_awaitable);
            missing = co_await rc.async_command<std::optional<std::string>>("GET", "async:typed:missing",
                                                                            ::asio::use_awaitable);
        },
        ::asio::detached);
    rc.async_execute("SET", "async:typed:text", "abc", [](std::error_code, Reply) {});
    rc.async_command<std::int64_t>("GET", "async:typed:text", [&](std::error_code code, std::int64_t value) {
        not_a_number = code;
        EXPECT_EQ(value, 0);
    });
    rc.async_execute("LPUSH", "async:typed:list", "x", [](std::error_code, Reply) {});
    rc.async_command<std::string>("GET", "async:typed:list", [&](std::error_code code, std::string) { wrong_type = code; });
    ASSERT_TRUE(run_until(io, [&] { return missing && not_a_number && wrong_type; }));
    EXPECT_EQ(counter, 42);
    EXPECT_EQ(*missing, std::nullopt);
    EXPECT_EQ(*not_a_number, asio_error::reply_type);
    EXPECT_EQ(*wrong_type, asio_error::response);
}

TEST(AsyncClient, CommandsIssuedInOneTurnLeaveInOneWrite) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options());
    const auto port = rc.connection_pool()->nodes.get_master_node_by_slot(key_slot("{async:turn}")).port;
    std::optional<std::error_code> opened;
    rc.async_execute("SET", "{async:turn}0", "v", [&](std::error_code code, Reply) { opened = code; });
    ASSERT_TRUE(run_until(io, [&] { return opened.has_value(); }));
    // The server counts the reads it makes from its sockets: 200 commands
    // sent one write each would cost about 200; together, a handful (this
    // probe's own connection included).
    const auto reads_before = test::info_field(port, "stats", "total_reads_processed", "");
    constexpr int kCount = 200;
    int answered = 0;
    for (int i = 0; i < kCount; ++i) {
        rc.async_execute("GET", "{async:turn}" + std::to_string(i % 10), [&](std::error_code code, Reply) {
            EXPECT_FALSE(code) << code.message();
            ++answered;
        });
    }
    ASSERT_TRUE(run_until(io, [&] { return answered == kCount; }));
    const auto reads = test::info_field(port, "stats", "total_reads_processed", "") - reads_before;
    EXPECT_LT(reads, 20) << "the server read " << reads << " times for " << kCount << " commands";
}

TEST(AsyncClient, ACommandOverMaxInflightWaitsItsTurn) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options(), {.max_inflight = 2});
    constexpr int kCount = 50;
    int answered = 0;
    for (int i = 0; i < kCount; ++i) {
        rc.async_execute("INCR", "{async:cap}counter", [&](std::error_code code, Reply reply) {
            EXPECT_FALSE(code) << code.message();
            EXPECT_EQ(reply.type(), ReplyType::Integer);
            ++answered;
        });
    }
    ASSERT_TRUE(run_until(io, [&] { return answered == kCount; }));
}

TEST(AsyncClient, CallbackAndFutureForms) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options());
    std::optional<std::error_code> callback_code;
    rc.async_execute("SET", "async:forms", "v", [&](std::error_code code, Reply) { callback_code = code; });
    ASSERT_TRUE(run_until(io, [&] { return callback_code.has_value(); }));
    EXPECT_FALSE(*callback_code) << callback_code->message();

    // A future is waited on outside the executor's thread.
    io.restart();
    auto work = ::asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    auto future = rc.async_execute("GET", "async:forms", ::asio::use_future);
    ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(future.get().str(), "v");
    (void)rc.async_execute("LPUSH", "async:forms:list", "x", ::asio::use_future).get();
    // use_future with a function: the future holds what it makes of the completion.
    auto code_only = rc.async_execute("GET", "async:forms:list",
                                      ::asio::use_future([](std::error_code code, Reply) { return code; }));
    EXPECT_EQ(code_only.get(), asio_error::response);
#if !defined(__SANITIZE_THREAD__)
    // An error reply arrives as std::system_error holding the code. (Not
    // under TSan: the exception is freed through libstdc++'s uninstrumented
    // exception_ptr count, on the thread that set the promise, which TSan
    // takes for a race with the catch block reading it.)
    auto failing = rc.async_execute("GET", "async:forms:list", ::asio::use_future);
    try {
        (void)failing.get();
        ADD_FAILURE() << "GET of a list succeeded";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), asio_error::response);
    }
#endif
    io.stop();
    runner.join();
}

TEST(AsyncClient, AnErrorReplyIsAResponseErrorKeepingTheServersMessage) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options());
    std::optional<std::error_code> code;
    Reply reply;
    rc.async_execute("DEL", "async:wrongtype", [](std::error_code, Reply) {});
    rc.async_execute("LPUSH", "async:wrongtype", "x", [](std::error_code, Reply) {});
    rc.async_execute("GET", "async:wrongtype", [&](std::error_code c, Reply r) {
        code = c;
        reply = std::move(r);
    });
    ASSERT_TRUE(run_until(io, [&] { return code.has_value(); }));
    EXPECT_EQ(*code, asio_error::response);
    EXPECT_EQ(code->category().name(), std::string("rediscluster.asio"));
    ASSERT_TRUE(reply.is_error());
    EXPECT_EQ(reply.str().rfind("WRONGTYPE", 0), 0U) << reply.str();
}

TEST(AsyncClient, BadArgumentsFailTheOperationNamingTheProblem) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options());
    std::vector<std::string> none;
    std::optional<std::error_code> empty_code;
    Reply empty_reply;
    rc.async_execute_range(none, [&](std::error_code c, Reply r) {
        empty_code = c;
        empty_reply = std::move(r);
    });
    std::optional<std::error_code> refused_code;
    Reply refused_reply;
    rc.async_execute("SELECT", 1, [&](std::error_code c, Reply r) {
        refused_code = c;
        refused_reply = std::move(r);
    });
    ASSERT_TRUE(run_until(io, [&] { return empty_code && refused_code; }));
    EXPECT_EQ(*empty_code, asio_error::invalid_command);
    EXPECT_NE(empty_reply.str().find("empty command"), std::string_view::npos) << empty_reply.str();
    EXPECT_EQ(*refused_code, asio_error::invalid_command);
    EXPECT_NE(refused_reply.str().find("SELECT"), std::string_view::npos) << refused_reply.str();
    EXPECT_THROW((void)AsyncRedisCluster(io, test::async_plain_options(), {.max_inflight = 0}), RedisClusterConfigError);
    auto tls = test::async_plain_options();
    tls.connection_class = connection_class<SSLClusterConnection>();
    tls.connection_kwargs.ssl_ca_certs = "/nonexistent/ca.crt";
    EXPECT_THROW((void)AsyncRedisCluster(io, tls, {}), RedisClusterConfigError);
    // It makes its own connections: a connection_class of another class is
    // refused rather than silently not used.
    auto factory = test::async_plain_options();
    factory.connection_class = connection_class<CustomConnection>();
    EXPECT_THROW((void)AsyncRedisCluster(io, factory, {}), RedisClusterConfigError);
}

TEST(AsyncClient, CommandsForEveryMasterAndAcrossSlotsRunToo) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options());
    std::optional<Reply> ping;
    std::optional<Reply> mget;
    ::asio::co_spawn(
        io,
        [&]() -> ::asio::awaitable<void> {
            ping = co_await rc.async_execute("PING", ::asio::use_awaitable);
            (void)co_await rc.async_execute("MSET", "async:a", "1", "async:b", "2", ::asio::use_awaitable);
            mget = co_await rc.async_execute("MGET", "async:a", "async:b", ::asio::use_awaitable);
        },
        ::asio::detached);
    ASSERT_TRUE(run_until(io, [&] { return mget.has_value(); }));
    EXPECT_EQ(ping->str(), "PONG");
    ASSERT_EQ(mget->size(), 2U);
    EXPECT_EQ((*mget)[0].str(), "1");
    EXPECT_EQ((*mget)[1].str(), "2");
}

// A Lua script that keeps its node busy for `ms` milliseconds.
constexpr std::string_view kBusyScript =
    "local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
    "repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] - start > tonumber(ARGV[1]) * 1000 "
    "return 'slow'";

TEST(AsyncClient, CancellingAWrittenCommandKeepsTheConnectionInStep) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options());
    std::error_code slow_code;
    std::optional<Reply> next;
    ::asio::cancellation_signal signal;
    rc.async_execute("SET", "{async:cancel}next", "mine", [](std::error_code, Reply) {});
    // The script's reply is due first on the key's connection; cancelled
    // while the node runs it, it must be read and dropped, not handed to
    // the GET behind it.
    rc.async_execute("EVAL", kBusyScript, 1, "{async:cancel}slow", 300,
                     ::asio::bind_cancellation_slot(signal.slot(), [&](std::error_code c, Reply) { slow_code = c; }));
    ::asio::steady_timer timer(io, 100ms);
    timer.async_wait([&](std::error_code) {
        signal.emit(::asio::cancellation_type::terminal);
        rc.async_execute("GET", "{async:cancel}next", [&](std::error_code, Reply r) { next = std::move(r); });
    });
    ASSERT_TRUE(run_until(io, [&] { return next.has_value(); }));
    EXPECT_EQ(slow_code, ::asio::error::operation_aborted);
    EXPECT_EQ(next->str(), "mine");
}

TEST(AsyncClient, ACommandWaitingOverMaxInflightCanBeCancelled) {
    ::asio::io_context io;
    AsyncRedisCluster rc(io, test::async_plain_options(), {.max_inflight = 1});
    std::optional<Reply> slow;
    std::optional<std::error_code> waiting_code;
    std::optional<Reply> after;
    ::asio::cancellation_signal signal;
    // The script takes the only place on the key's connection; the SET
    // behind it waits, and is cancelled while it does: it never runs.
    rc.async_execute("DEL", "{async:backlog}waiting", [](std::error_code, Reply) {});
    rc.async_execute("EVAL", kBusyScript, 1, "{async:backlog}slow", 200,
                     [&](std::error_code, Reply r) { slow = std::move(r); });
    rc.async_execute("SET", "{async:backlog}waiting", "ran",
                     ::asio::bind_cancellation_slot(signal.slot(), [&](std::error_code c, Reply) { waiting_code = c; }));
    ::asio::steady_timer timer(io, 50ms);
    timer.async_wait([&](std::error_code) {
        signal.emit(::asio::cancellation_type::terminal);
        rc.async_execute("GET", "{async:backlog}waiting", [&](std::error_code, Reply r) { after = std::move(r); });
    });
    ASSERT_TRUE(run_until(io, [&] { return slow && waiting_code && after; }));
    EXPECT_EQ(*waiting_code, ::asio::error::operation_aborted);
    EXPECT_EQ(slow->str(), "slow");
    EXPECT_TRUE(after->is_null()) << "the cancelled SET was never sent: " << after->to_debug_string();
}

TEST(AsyncClient, DeferredOperationsRunWhenLaunchedAndAbortOnceTheClientIsGone) {
    ::asio::io_context io;
    std::optional<AsyncRedisCluster> rc(std::in_place, io, test::async_plain_options());
    auto ping = rc->async_execute("SET", "async:deferred", "1", ::asio::experimental::deferred);
    std::optional<std::error_code> first;
    std::move(ping)([&](std::error_code code, Reply) { first = code; });
    ASSERT_TRUE(run_until(io, [&] { return first.has_value(); }));
    EXPECT_FALSE(*first) << first->message();

    auto late = rc->async_execute("GET", "async:deferred", ::asio::experimental::deferred);
    rc.reset();
    std::optional<std::error_code> second;
    std::move(late)([&](std::error_code code, Reply) { second = code; });
    ASSERT_TRUE(run_until(io, [&] { return second.has_value(); }));
    EXPECT_EQ(*second, ::asio::error::operation_aborted);
}

TEST(AsyncClient, DestroyingTheClientAbortsWhatIsInFlight) {
    ::asio::io_context io;
    std::optional<AsyncRedisCluster> rc(std::in_place, io, test::async_plain_options());
    std::optional<std::error_code> code;
    rc->async_execute("EVAL", kBusyScript, 1, "async:abort", 200, [&](std::error_code c, Reply) { code = c; });
    ::asio::steady_timer timer(io, 50ms);
    timer.async_wait([&](std::error_code) { rc.reset(); });
    ASSERT_TRUE(run_until(io, [&] { return code.has_value(); }));
    EXPECT_EQ(*code, ::asio::error::operation_aborted);
}

TEST(AsyncClient, AnUnreachableNodeFailsWithinTheBudgetNamingIt) {
    auto options = test::async_plain_options();
    // The first master is announced at a port where nothing listens.
    const auto dead = static_cast<std::uint16_t>(test::plain_port() + 99);
    options.host_port_remap = HostPortRemap([dead](const HostPort& address) {
        return address.port == test::plain_node(0) ? HostPort{address.host, dead} : address;
    });
    options.startup_nodes = {{"127.0.0.1", test::plain_node(1)}};
    options.command_timeout = 400ms;
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    // Keys of every master, 20 each: those of the unreachable node all fail
    // (sharing the discoveries before their retries), the others succeed.
    constexpr std::size_t kCount = 60;
    std::vector<std::error_code> codes(kCount);
    std::vector<Reply> replies(kCount);
    std::size_t answered = 0;
    const char* keys[] = {"{a}", "{b}", "{c}"};  // slots 15495, 3300, 7365
    for (std::size_t i = 0; i < kCount; ++i) {
        rc.async_execute("GET", keys[i % 3], [&, i](std::error_code c, Reply r) {
            codes[i] = c;
            replies[i] = std::move(r);
            ++answered;
        });
    }
    const auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(run_until(io, [&] { return answered == kCount; }));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    std::size_t unreachable = 0;
    for (std::size_t i = 0; i < kCount; ++i) {
        if (!codes[i]) continue;
        ++unreachable;
        EXPECT_EQ(codes[i], asio_error::budget_exhausted) << codes[i].message();
        EXPECT_NE(replies[i].str().find(std::to_string(test::plain_port() + 99)), std::string_view::npos)
            << replies[i].str();
    }
    EXPECT_EQ(unreachable, kCount / 3);
}

TEST(AsyncClient, TheHandshakeAuthenticatesAsTheAclUser) {
    RedisClusterOptions options;
    options.startup_nodes = {{"127.0.0.1", test::acl_port()}};
    options.connection_kwargs.username = "alice";
    options.connection_kwargs.password = "wonderland";
    options.connection_kwargs.socket_timeout = 5s;
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    std::optional<Reply> whoami;
    std::optional<Reply> got;
    rc.async_execute("SET", "async:acl", "in", [](std::error_code, Reply) {});
    rc.async_execute("GET", "async:acl", [&](std::error_code, Reply r) { got = std::move(r); });
    rc.async_execute("ACL", "WHOAMI", [&](std::error_code, Reply r) { whoami = std::move(r); });
    ASSERT_TRUE(run_until(io, [&] { return got && whoami; }));
    EXPECT_EQ(got->to_debug_string(), "\"in\"");
    EXPECT_EQ(whoami->to_debug_string(), "\"alice\"");
}

TEST(AsyncClient, Resp3ConnectionsSayHelloAndGetResp3Replies) {
    auto options = test::async_plain_options();
    options.connection_kwargs.protocol = 3;
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    std::optional<Reply> hash;
    rc.async_execute("DEL", "async:resp3", [](std::error_code, Reply) {});
    rc.async_execute("HSET", "async:resp3", "f", "v", [](std::error_code, Reply) {});
    rc.async_execute("HGETALL", "async:resp3", [&](std::error_code, Reply r) { hash = std::move(r); });
    ASSERT_TRUE(run_until(io, [&] { return hash.has_value(); }));
    EXPECT_EQ(hash->type(), ReplyType::Map) << hash->to_debug_string();
}

TEST(AsyncClient, ReadsGoToReplicasOverReadonlyConnections) {
    auto options = test::async_plain_options();
    options.read_from_replicas = true;
    options.connection_kwargs.client_name = "async-replica-reads";
    ::asio::io_context io;
    AsyncRedisCluster rc(io, options);
    const auto replica = rc.connection_pool()->get_node_by_slot(key_slot("async:replica"), true);
    ASSERT_FALSE(replica.is_master()) << "the plain cluster has a replica per shard";
    std::optional<Reply> got;
    rc.async_execute("GET", "async:replica", [&](std::error_code, Reply r) { got = std::move(r); });
    ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
    EXPECT_FALSE(got->is_error()) << got->to_debug_string();
    // The replica answered on a connection of ours that said READONLY
    // (flags=r) and CLIENT SETNAME, and GET was its last command.
    bool found = false;
    const std::string list(test::node_command(replica.port, {"CLIENT", "LIST"}).str());
    for (std::size_t start = 0; start < list.size();) {
        const auto end = list.find('\n', start);
        const auto line = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (line.find(" name=async-replica-reads ") != std::string::npos && line.find(" cmd=get ") != std::string::npos) {
            found = true;
            EXPECT_NE(line.find(" flags=r "), std::string::npos) << line;
        }
        if (end == std::string::npos) break;
        start = end + 1;
    }
    EXPECT_TRUE(found) << list;
}

TEST(AsyncClient, AMultiThreadedIoContextAnswersEveryCommand) {
    ::asio::thread_pool threads(2);
    AsyncRedisCluster rc(threads.get_executor(), test::async_plain_options());
    constexpr int kCount = 400;
    std::atomic<int> right = 0;
    std::atomic<int> finished = 0;
    for (int i = 0; i < kCount; ++i) {
        ::asio::co_spawn(
            threads,
            [&, i]() -> ::asio::awaitable<void> {
                const std::string key = "async:threads:" + std::to_string(i);
                (void)co_await rc.async_execute("SET", key, i, ::asio::use_awaitable);
                const Reply got = co_await rc.async_execute("GET", key, ::asio::use_awaitable);
                if (got.str() == std::to_string(i)) ++right;
                ++finished;
            },
            ::asio::detached);
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (finished < kCount && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    EXPECT_EQ(right, kCount);
    rc.cancel();
    threads.join();
}

}  // namespace
}  // namespace rediscluster
