#include "rediscluster/pipeline.hpp"

#include "detail/batch_rules.hpp"
#include "detail/pipeline_state.hpp"
#include "rediscluster/error_reply.hpp"

namespace rediscluster {

Pipeline::Pipeline(std::unique_ptr<State> state) : state_(std::move(state)) {}
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

Pipeline& Pipeline::add(std::span<const std::string_view> args) {
    const auto facts = state_->core->catalog().analyse(args);
    detail::check_pipelined(facts, args[0]);
    state_->request.add(args, facts);
    return *this;
}

std::vector<Reply> Pipeline::execute(bool raise_on_error) {
    execute_into(state_->replies, raise_on_error);
    return std::move(state_->replies);
}

std::vector<Reply>& Pipeline::execute_into(std::vector<Reply>& replies, bool raise_on_error) {
    auto& state = *state_;
    replies.resize(state.request.size());
    if (state.request.empty()) return replies;
    // The queue empties whatever happens: a pipeline that threw is ready
    // for the next batch.
    struct ClearAfter {
        detail::Request& request;
        ~ClearAfter() { request.clear(); }
    } clear_after{state.request};
    state.core->driver().run_all(state.request, replies, state.failures, state.scratch);
    std::optional<std::size_t> first_failure;
    for (std::size_t i = 0; i < replies.size(); ++i) {
        if (state.failures[i]) {
            if (!first_failure) first_failure = i;
            replies[i] = detail::as_error_reply(*state.failures[i], replies[i]);
        } else if (replies[i].is_error() && !first_failure) {
            first_failure = i;
        }
    }
    if (!raise_on_error || !first_failure) return replies;
    const auto i = *first_failure;
    if (&replies != &state.replies) state.replies = replies;
    if (state.failures[i]) detail::raise(*state.failures[i], replies[i]);
    throw_error_reply(replies[i].str());
}

const std::vector<Reply>& Pipeline::replies() const noexcept { return state_->replies; }
std::size_t Pipeline::size() const noexcept { return state_->request.size(); }
void Pipeline::reset() noexcept { state_->request.clear(); }

}  // namespace rediscluster
