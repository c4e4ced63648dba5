#pragma once

// The client's background re-discovery: a thread that refreshes the
// topology when commands ask for it (requests coalesce) and every
// `interval` (±10 %, so that many clients do not ask at the same moment),
// so an idle client still learns of failovers. A refresh asked for before
// the refresh policy allows the next discovery waits until it is due.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "rediscluster/nodes.hpp"

namespace rediscluster::detail {

class BackgroundRefresher {
public:
    /// Starts the thread. `nodes` must outlive this object. `interval`
    /// zero: refresh only when asked.
    BackgroundRefresher(NodeManager& nodes, std::chrono::milliseconds interval);
    /// Stops and joins the thread (a discovery under way finishes first).
    ~BackgroundRefresher();
    BackgroundRefresher(const BackgroundRefresher&) = delete;
    BackgroundRefresher& operator=(const BackgroundRefresher&) = delete;

    /// Asks for a refresh soon; never waits for it.
    void request();

private:
    void loop();

    NodeManager& nodes_;
    const std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool requested_ = false;
    bool stopping_ = false;
    std::thread thread_;  // last: started once the rest is ready
};

}  // namespace rediscluster::detail
