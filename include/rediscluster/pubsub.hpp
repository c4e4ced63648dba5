#pragma once

// Pub/sub on a cluster: PubSub, made by RedisCluster::pubsub().
//
// ```
//   auto pubsub = rc.pubsub();
//   pubsub.subscribe({"news", "alerts"});      // returns once confirmed
//   pubsub.ssubscribe({"orders:{eu}"});         // sharded: on the slot's master
//   rc.publish("news", "hello");                // any node; the cluster relays it
//   rc.spublish("orders:{eu}", "order 1");      // the channel's slot decides
//   while (auto message = pubsub.get_message(std::chrono::seconds(1))) {
//       std::cout << message->channel << ": " << message->payload << "\n";
//   }
// ```
//
// Where subscriptions live:
//  - Channels and patterns (SUBSCRIBE, PSUBSCRIBE) on one node, picked at
//    random and kept: a cluster relays every PUBLISH to every node.
//  - Shard channels (SSUBSCRIBE) on the master of each channel's slot, one
//    connection per such master, one SSUBSCRIBE per slot.
//
// What follows a change of the cluster: when a connection fails (its node
// died, was frozen past the health check, or sent something that is not
// pub/sub), when a node drops shard channels because their slot moved (a
// failover or a migration: the server then sends SUNSUBSCRIBE unasked), or
// when it answers MOVED, the subscriptions are made again: channels and
// patterns on another node, shard channels on their slot's owner after a
// topology refresh, retried with a growing backoff (up to 1 s) for as long
// as they are wanted. Each one made again is announced in the stream of
// messages (Kind::resubscribed, naming the channel and the node); messages
// published while it was away are lost, as for any subscriber that was
// not connected. Every node of a shard delivers SPUBLISH to its own
// subscribers (the replicas from a copy relayed over the cluster bus), so
// right after a failover a message the old master delivered may come
// again from the new one.
//
// Buffering: one thread per PubSub reads every connection and queues what
// arrives, up to max_queued_messages. When the consumer falls that far
// behind, new messages are dropped rather than waiting (a subscriber that
// stops reading would otherwise make the servers buffer for it until they
// cut it off, which loses more); dropped() counts them, and the next
// message queued after a drop is preceded by a Kind::dropped event that
// says how many went. Messages of one channel arrive in the order they
// were published.
//
// Thread safety: every method may be called from any thread; several
// threads may consume at once (each message goes to one of them).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rediscluster {

class ClusterConnectionPool;

/// One thing a PubSub delivers: a message, or an event about its
/// subscriptions.
struct PubSubMessage {
    enum class Kind {
        message,           // on a channel (SUBSCRIBE)
        pmessage,          // on a channel matching `pattern` (PSUBSCRIBE)
        smessage,          // on a shard channel (SSUBSCRIBE)
        resubscribed,      // `channel` (or the pattern, in `pattern`) subscribed again, on `node`
        dropped,           // `dropped` messages were dropped here: the queue was full
        connection_error,  // the connection to `node` failed with `error`; its subscriptions are being made again
    };
    Kind kind = Kind::message;
    std::string channel;
    /// pmessage: the pattern matched; resubscribed: the pattern made again.
    std::string pattern;
    std::string payload;
    /// "host:port" of the node it came from.
    std::string node;
    /// dropped: how many.
    std::uint64_t dropped = 0;
    /// connection_error: the typed exception (ConnectionError,
    /// ProtocolError...), for std::rethrow_exception.
    std::exception_ptr error;
};

struct PubSubOptions {
    /// Messages queued for the consumer at most; more are dropped (see
    /// above). Default 100 000.
    std::size_t max_queued_messages = 100'000;
    /// An idle connection is pinged this often, and one whose PING gets no
    /// answer within socket_timeout is taken as failed: a frozen node is
    /// noticed. Default 1 s; zero: never pinged.
    std::chrono::milliseconds health_check_interval = std::chrono::seconds(1);
    /// How long subscribe(), ssubscribe()... wait for the servers to
    /// confirm. Default 10 s.
    std::chrono::milliseconds confirm_timeout = std::chrono::seconds(10);
};

/// Subscriptions and the messages they bring. Move-only (a moved-from
/// PubSub may only be destroyed or assigned to); destroying it closes its
/// connections.
class PubSub {
public:
    using Channels = std::initializer_list<std::string_view>;

    /// SUBSCRIBE: returns once the server confirmed every channel. Throws
    /// DataError for an empty list, TimeoutError when the confirmation did
    /// not come within confirm_timeout (the subscription stays wanted and
    /// is retried), the server's typed error when it refused (NOPERM...),
    /// and RedisClusterException after close().
    void subscribe(Channels channels);
    void subscribe(const std::vector<std::string>& channels);
    /// UNSUBSCRIBE from these channels; with none, from every channel.
    /// Returns at once: no message of these channels is queued after it
    /// returns (those queued before stay), and the nodes are told in the
    /// background.
    void unsubscribe(Channels channels = {});
    void unsubscribe(const std::vector<std::string>& channels);
    /// PSUBSCRIBE and PUNSUBSCRIBE, as subscribe() and unsubscribe().
    void psubscribe(Channels patterns);
    void psubscribe(const std::vector<std::string>& patterns);
    void punsubscribe(Channels patterns = {});
    void punsubscribe(const std::vector<std::string>& patterns);
    /// SSUBSCRIBE and SUNSUBSCRIBE: each channel on its slot's master.
    void ssubscribe(Channels channels);
    void ssubscribe(const std::vector<std::string>& channels);
    void sunsubscribe(Channels channels = {});
    void sunsubscribe(const std::vector<std::string>& channels);

    /// The next message or event, waiting up to `timeout` (zero: only what
    /// has arrived); nothing when the time passed, or after stop() or
    /// close().
    [[nodiscard]] std::optional<PubSubMessage> get_message(std::chrono::milliseconds timeout);
    /// Calls `handler` with each message or event, on the calling thread,
    /// until stop() (from any thread, or from the handler). What the
    /// handler throws leaves run() (the subscriptions go on; run() may be
    /// called again).
    void run(const std::function<void(const PubSubMessage&)>& handler);
    /// Ends run() and wakes get_message() callers; later calls of either
    /// wait again.
    void stop();
    /// Calls `ready` on the reader thread, with no lock held, after it
    /// queued messages or events (once for what one pass over the
    /// connections brought, not once per message): for an event loop that
    /// waits on something else, to learn when get_message(0ms) has
    /// something. `ready` must be quick (post work elsewhere); what it
    /// throws is ignored. An empty function ends the calls.
    void on_messages_queued(std::function<void()> ready);
    /// Unsubscribes from everything and closes the connections; the PubSub
    /// cannot subscribe again. Also done by the destructor.
    void close();

    /// Messages dropped so far because the queue was full.
    [[nodiscard]] std::uint64_t dropped() const;
    /// What is subscribed (wanted, whether confirmed yet or being made again).
    [[nodiscard]] std::vector<std::string> channels() const;
    [[nodiscard]] std::vector<std::string> patterns() const;
    [[nodiscard]] std::vector<std::string> shard_channels() const;

    /// Checks that a command may be sent on a subscribed connection: only
    /// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING and QUIT may. Throws
    /// RedisClusterException naming the command otherwise. The methods
    /// above are the way to send those.
    static void check_command(std::string_view command_name);

    /// A PubSub over the cluster `pool` knows (what RedisCluster::pubsub()
    /// makes). Throws RedisClusterConfigError for invalid options.
    PubSub(std::shared_ptr<ClusterConnectionPool> pool, PubSubOptions options);

    PubSub(PubSub&&) noexcept;
    PubSub& operator=(PubSub&&) noexcept;
    PubSub(const PubSub&) = delete;
    PubSub& operator=(const PubSub&) = delete;
    ~PubSub();

private:
    class State;

    std::shared_ptr<State> state_;
};

}  // namespace rediscluster
