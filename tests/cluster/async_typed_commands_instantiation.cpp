// Every method of every typed family, compiled for the asynchronous
// runners (coroutine commands, pipeline, transaction), whether a test
// calls it or not. A check of the build only, as
// typed_commands_instantiation.cpp is for the blocking runners.

#include <asio/use_awaitable.hpp>

#include "rediscluster/asio/async_cluster.hpp"

namespace rediscluster {

#define RC_INSTANTIATE_FAMILIES(Runner)                \
    template class StringCommands<Runner>;             \
    template class KeyCommands<Runner>;                \
    template class HashCommands<Runner>;               \
    template class ListCommands<Runner>;               \
    template class SetCommands<Runner>;                \
    template class SortedSetCommands<Runner>;          \
    template class StreamCommands<Runner>;             \
    template class ScriptingCommands<Runner>;          \
    template class HyperLogLogCommands<Runner>;        \
    template class GeoCommands<Runner>;                \
    template class BitmapCommands<Runner>;             \
    template class PubSubCommands<Runner>;

using AwaitableCommands = asio::AsyncCommands<::asio::use_awaitable_t<>>;
RC_INSTANTIATE_FAMILIES(AwaitableCommands)
RC_INSTANTIATE_FAMILIES(asio::AsyncPipeline)
RC_INSTANTIATE_FAMILIES(asio::AsyncTransaction)

#undef RC_INSTANTIATE_FAMILIES

}  // namespace rediscluster
