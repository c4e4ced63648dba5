#pragma once

// What every family of typed commands (commands/*.hpp) is built from:
// readers that turn a reply into a method's value, the builder of
// variable-length argument lists, and the access to the class that runs the
// commands (RedisCluster or Pipeline).

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"

namespace rediscluster {

template <class Runner>
class Commands;

/// How a typed method reads its reply: a reader's `read()` turns a Reply
/// into the method's value (its `type`). Most read through Reply::as<T>()
/// (reply_cast.hpp) and throw ReplyTypeError, a DataError, when the reply
/// is not of the expected shape.
namespace reply_readers {
/// The reply as a T (reply_cast.hpp).
template <class T>
struct As {
    using type = T;
    static T read(Reply&& reply) { return std::move(reply).as<T>(); }
};
/// An integer reply.
using Integer = As<std::int64_t>;
/// An integer reply 0 or 1, read as no or yes (EXPIRE, SISMEMBER).
using IntegerIsOne = As<bool>;
/// A string or null.
using OptionalString = As<std::optional<std::string>>;
/// An array of strings.
using Strings = As<std::vector<std::string>>;
/// An array of strings and nulls (MGET).
using OptionalStrings = As<std::vector<std::optional<std::string>>>;
/// Fields and values: a flat array or a RESP3 map (HGETALL).
using Pairs = As<std::vector<std::pair<std::string, std::string>>>;
/// A number as a string or a RESP3 double, or null (ZSCORE).
using OptionalDouble = As<std::optional<double>>;
/// A reply that means yes when it is not null (SET with NX or XX). An
/// error reply is still thrown.
struct NotNull {
    using type = bool;
    static bool read(Reply&& reply) {
        if (reply.is_error()) detail::throw_reply_error(reply);
        return !reply.is_null();
    }
};
}  // namespace reply_readers

namespace detail {

/// A command's arguments gathered one by one: strings are viewed (they
/// must outlive the list), numbers are written into the list itself.
class CommandArgs {
public:
    explicit CommandArgs(std::string_view name) { views_.push_back(name); }

    CommandArgs& add(std::string_view text) {
        views_.push_back(text);
        return *this;
    }
    template <class Number>
        requires(std::is_arithmetic_v<Number> && !std::is_same_v<Number, bool>)
    CommandArgs& add(Number number) {
        // A deque never moves what it holds, so earlier views stay valid.
        numbers_.emplace_back(number);
        views_.push_back(numbers_.back().view());
        return *this;
    }
    CommandArgs& add_all(std::span<const std::string_view> texts) {
        views_.insert(views_.end(), texts.begin(), texts.end());
        return *this;
    }
    CommandArgs& add_pairs(std::span<const std::pair<std::string_view, std::string_view>> pairs) {
        for (const auto& [first, second] : pairs) views_.insert(views_.end(), {first, second});
        return *this;
    }
    [[nodiscard]] std::span<const std::string_view> view() const noexcept { return views_; }

private:
    std::vector<std::string_view> views_;
    std::deque<ArgumentText> numbers_;
};

/// Throws DataError, naming the command, when a flat list of keys and
/// values (or fields and values) has an odd length; checked before anything
/// is sent.
inline void require_pairs(std::string_view command, std::string_view what, std::size_t count) {
    if (count % 2 != 0) {
        throw DataError(std::string(command) + ": " + std::string(what) + " must come in pairs, got " +
                        std::to_string(count) + " arguments");
    }
}

/// Throws DataError, naming the command, when a list that must not be
/// empty is.
inline void require_some(std::string_view command, std::string_view what, std::size_t count) {
    if (count == 0) throw DataError(std::string(command) + ": at least one " + std::string(what) + " is needed");
}

/// The way from a family of commands to the class that runs them. A
/// runner befriends Commands<Runner> (commands.hpp), which befriends this,
/// so the runners' run_command stays private.
struct CommandRunnerAccess {
    template <class Reader, class Runner, class... Args>
    static decltype(auto) run(Runner& runner, const Args&... args) {
        return Commands<Runner>::template forward_run<Reader>(runner, args...);
    }
    template <class Reader, class Runner>
    static decltype(auto) run_range(Runner& runner, std::span<const std::string_view> args) {
        return Commands<Runner>::template forward_run_range<Reader>(runner, args);
    }
};

// What a family's methods call: run the command on `runner` (each family
// passes itself cast to its Runner) and read the reply with Reader.
template <class Reader, class Runner, class... Args>
decltype(auto) run(Runner& runner, const Args&... args) {
    return CommandRunnerAccess::run<Reader>(runner, args...);
}
template <class Reader, class Runner>
decltype(auto) run_range(Runner& runner, std::span<const std::string_view> args) {
    return CommandRunnerAccess::run_range<Reader>(runner, args);
}
template <class Reader, class Runner>
decltype(auto) run_args(Runner& runner, const CommandArgs& args) {
    return CommandRunnerAccess::run_range<Reader>(runner, args.view());
}

}  // namespace detail
}  // namespace rediscluster
