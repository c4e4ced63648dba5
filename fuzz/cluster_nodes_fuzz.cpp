// libFuzzer target for reading config epochs out of CLUSTER NODES text:
// arbitrary bytes are the text. The parser promises ProtocolError and
// nothing else for text of the wrong shape; what it returns names every
// node by a non-empty host and a port other than 0, and the remap applies
// to every name.

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "detail/topology_merge.hpp"
#include "rediscluster/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace rediscluster;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const Reply reply = Reply::bulk_string(text);
    static const HostPortRemap remap([](const HostPort& address) { return HostPort{"remapped", address.port}; });
    std::map<std::string, std::uint64_t> epochs;
    try {
        epochs = detail::parse_config_epochs(reply, "10.0.0.1");
    } catch (const ProtocolError&) {
        try {
            (void)detail::parse_config_epochs(reply, "10.0.0.1", remap);
        } catch (const ProtocolError&) {
            return 0;
        }
        std::abort();  // the remap cannot turn a wrong shape into a right one
    }
    for (const auto& [name, epoch] : epochs) {
        const auto colon = name.rfind(':');
        if (colon == std::string::npos || colon == 0 || name.substr(colon + 1) == "0") std::abort();
        (void)epoch;
    }
    const auto mapped = detail::parse_config_epochs(reply, "10.0.0.1", remap);
    for (const auto& [name, epoch] : mapped) {
        if (!name.starts_with("remapped:")) std::abort();
        (void)epoch;
    }
    return 0;
}
