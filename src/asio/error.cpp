#include "rediscluster/asio/error.hpp"

namespace rediscluster::asio {

namespace {

class Category final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "rediscluster.asio"; }
    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<error>(value)) {
            case error::response: return "the command answered with an error reply";
            case error::cluster_down: return "the cluster is down (CLUSTERDOWN or MASTERDOWN)";
            case error::redirect: return "a redirect or retry reply the command gave up on";
            case error::moved_exhausted: return "too many MOVED or ASK redirects";
            case error::budget_exhausted: return "the command ran out of time (command_timeout) or attempts";
            case error::slot_not_covered: return "no node is known to serve the slot";
            case error::connection: return "the connection to the node failed";
            case error::timeout: return "the node did not answer in time (socket_timeout)";
            case error::interrupted: return "the reply broke off or was malformed: the command may have run";
            case error::connection_setup: return "the node refused the connection's setup (AUTH, HELLO, SETNAME, READONLY)";
            case error::invalid_command: return "the command was refused before it was sent";
            case error::reply_type: return "the reply does not fit the type asked for (the command ran)";
            case error::not_executed:
                return "the transaction ran nothing: a watched key changed, or the watch was lost";
        }
        return "unknown rediscluster.asio error " + std::to_string(value);
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const Category category;
    return category;
}

}  // namespace rediscluster::asio
