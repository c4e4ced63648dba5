#pragma once

// What a Pipeline holds behind its public face: the client's core, the
// queued commands, and the storage execute() reuses.

#include <memory>
#include <optional>
#include <vector>

#include "detail/blocking_driver.hpp"
#include "detail/client_core.hpp"
#include "detail/request.hpp"
#include "rediscluster/pipeline.hpp"

namespace rediscluster {

struct Pipeline::State {
    explicit State(std::shared_ptr<detail::ClientCore> client) : core(std::move(client)) {}

    std::shared_ptr<detail::ClientCore> core;
    detail::Request request;
    detail::BatchScratch scratch;
    std::vector<std::optional<detail::CommandFailure>> failures;
    std::vector<Reply> replies;  // execute()'s, kept when it throws
};

}  // namespace rediscluster
