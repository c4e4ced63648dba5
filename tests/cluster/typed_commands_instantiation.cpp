// Every method of every typed family, compiled for every runner, whether
// a test calls it or not. A check of the build only: the sanitizer builds
// leave this file out (tests/CMakeLists.txt).

#include "rediscluster/client.hpp"

namespace rediscluster {

template class StringCommands<RedisCluster>;
template class KeyCommands<RedisCluster>;
template class HashCommands<RedisCluster>;
template class ListCommands<RedisCluster>;
template class SetCommands<RedisCluster>;
template class SortedSetCommands<RedisCluster>;
template class StreamCommands<RedisCluster>;
template class ScriptingCommands<RedisCluster>;
template class HyperLogLogCommands<RedisCluster>;
template class GeoCommands<RedisCluster>;
template class BitmapCommands<RedisCluster>;
template class StringCommands<Pipeline>;
template class KeyCommands<Pipeline>;
template class HashCommands<Pipeline>;
template class ListCommands<Pipeline>;
template class SetCommands<Pipeline>;
template class SortedSetCommands<Pipeline>;
template class StreamCommands<Pipeline>;
template class ScriptingCommands<Pipeline>;
template class HyperLogLogCommands<Pipeline>;
template class GeoCommands<Pipeline>;
template class BitmapCommands<Pipeline>;
template class StringCommands<Transaction>;
template class KeyCommands<Transaction>;
template class HashCommands<Transaction>;
template class ListCommands<Transaction>;
template class SetCommands<Transaction>;
template class SortedSetCommands<Transaction>;
template class StreamCommands<Transaction>;
template class ScriptingCommands<Transaction>;
template class HyperLogLogCommands<Transaction>;
template class GeoCommands<Transaction>;
template class BitmapCommands<Transaction>;
template class StringCommands<Transaction::Now>;
template class KeyCommands<Transaction::Now>;
template class HashCommands<Transaction::Now>;
template class ListCommands<Transaction::Now>;
template class SetCommands<Transaction::Now>;
template class SortedSetCommands<Transaction::Now>;
template class StreamCommands<Transaction::Now>;
template class ScriptingCommands<Transaction::Now>;
template class HyperLogLogCommands<Transaction::Now>;
template class GeoCommands<Transaction::Now>;
template class BitmapCommands<Transaction::Now>;

}  // namespace rediscluster
