#pragma once

// The typed commands, written once for every way of running them:
// RedisCluster runs each at once and returns its value
// (`rc.incr("n")` → std::int64_t); a Pipeline queues it and returns the
// pipeline, the reply coming from execute() (`pipe.incr("n").get("k")`).
//
// Each method names its command and arguments and how its reply reads;
// the class it is called on decides when it runs. The methods come in
// families, one header each:
//
// Runners: RedisCluster (runs at once), Pipeline and Transaction (queue),
// Transaction::Now (runs at once on the transaction's connection).
//
// | header | commands |
// |---|---|
// | commands/strings.hpp | GET, SET (SetOptions), SET ... GET, GETEX, GETDEL, GETSET, SETNX, SETEX, APPEND, STRLEN, SETRANGE, GETRANGE, INCR(BY/BYFLOAT), DECR(BY), MGET, MSET, MSETNX |
// | commands/keys.hpp | DEL, UNLINK, EXISTS, TOUCH, (P)EXPIRE(AT), (P)TTL, PERSIST, TYPE, RENAME(NX) |
// | commands/hashes.hpp | HSET (many fields), HSETNX, HGET, HMGET, HGETALL, HDEL, HLEN, HKEYS, HVALS, HEXISTS, HINCRBY(FLOAT) |
// | commands/lists.hpp | LPUSH/RPUSH (many), LPOP/RPOP, LRANGE, LLEN, LINSERT, LINDEX, LSET, LREM, LTRIM, LMOVE, BLPOP, BRPOP, BLMOVE |
// | commands/sets.hpp | SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SINTER, SUNION, SDIFF, SMOVE, SPOP, SRANDMEMBER |
// | commands/sorted_sets.hpp | ZADD (ZAddOptions), ZINCRBY, ZCARD, ZCOUNT, ZSCORE, ZRANK, ZREVRANK, ZRANGE(BYSCORE), ZREVRANGE (with scores), ZREM, ZREMRANGEBYSCORE, ZPOPMIN/MAX, BZPOPMIN/MAX |
// | commands/streams.hpp | XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XGROUP CREATE, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM |
// | commands/scripting.hpp | EVAL, EVALSHA, FCALL |
// | commands/hyperloglog.hpp | PFADD, PFCOUNT, PFMERGE |
// | commands/geo.hpp | GEOADD, GEODIST, GEOPOS, GEOSEARCH |
// | commands/bitmaps.hpp | SETBIT, GETBIT, BITCOUNT, BITPOS |
// | commands/pubsub.hpp | PUBLISH, SPUBLISH |
//
// Common rules:
//  - Keys of one command must share a slot (ClusterCrossSlotError before
//    anything is sent otherwise): use hash tags, "{user:1}:a". On
//    RedisCluster, MGET, MSET, DEL, EXISTS, UNLINK and TOUCH are the
//    exception: keys of several slots run as one part per slot.
//  - Lists of arguments that must not be empty, or must come in pairs
//    (MSET's keys and values given flat), throw DataError naming the
//    command before anything is sent.
//  - Status replies (OK) read as true; an error reply is thrown as its
//    typed exception (ResponseError...), and a reply of another shape than
//    the method reads as ReplyTypeError (a DataError).
//  - Blocking commands (BLPOP, BRPOP, BLMOVE, BZPOPMIN, BZPOPMAX) run on
//    RedisCluster: a Pipeline refuses them when they are added
//    (RedisClusterException).
//
// For a command without a typed method: `rc.command<T>(...)` (client.hpp)
// or `rc.execute_command(...).as<T>()` (reply_cast.hpp).

#include "rediscluster/commands/base.hpp"
#include "rediscluster/commands/bitmaps.hpp"
#include "rediscluster/commands/geo.hpp"
#include "rediscluster/commands/hashes.hpp"
#include "rediscluster/commands/hyperloglog.hpp"
#include "rediscluster/commands/keys.hpp"
#include "rediscluster/commands/lists.hpp"
#include "rediscluster/commands/pubsub.hpp"
#include "rediscluster/commands/scripting.hpp"
#include "rediscluster/commands/sets.hpp"
#include "rediscluster/commands/sorted_sets.hpp"
#include "rediscluster/commands/streams.hpp"
#include "rediscluster/commands/strings.hpp"

namespace rediscluster {

/// The typed commands of `Runner` (RedisCluster, Pipeline...), which
/// provides `run_command<Reader>(args...)` and
/// `run_command_range<Reader>(args)` and befriends this class, through
/// which the families reach them. No two families share a method name, so
/// every name reaches one family.
template <class Runner>
class Commands : public StringCommands<Runner>,
                 public KeyCommands<Runner>,
                 public HashCommands<Runner>,
                 public ListCommands<Runner>,
                 public SetCommands<Runner>,
                 public SortedSetCommands<Runner>,
                 public StreamCommands<Runner>,
                 public ScriptingCommands<Runner>,
                 public HyperLogLogCommands<Runner>,
                 public GeoCommands<Runner>,
                 public BitmapCommands<Runner>,
                 public PubSubCommands<Runner> {
private:
    friend struct detail::CommandRunnerAccess;

    template <class Reader, class... Args>
    static decltype(auto) forward_run(Runner& runner, const Args&... args) {
        return runner.template run_command<Reader>(args...);
    }
    template <class Reader>
    static decltype(auto) forward_run_range(Runner& runner, std::span<const std::string_view> args) {
        return runner.template run_command_range<Reader>(args);
    }
};

}  // namespace rediscluster
