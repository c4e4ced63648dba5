#pragma once

// Typed replies: a Reply read as a C++ value.
//
// ```
//   auto n      = reply.as<std::int64_t>();
//   auto name   = reply.as<std::optional<std::string>>();          // null → nullopt
//   auto scores = reply.as<std::vector<std::pair<std::string, double>>>();
//   auto fields = rc.command<std::map<std::string, std::string>>("HGETALL", "h");
// ```
//
// What converts, and from which replies (RESP2 and RESP3 shapes both read
// where they differ):
//
// | T | accepted replies |
// |---|---|
// | `Reply` | any (a copy or a move of it, errors included) |
// | `std::string` | simple, bulk or verbatim string (without its format), big number |
// | integer types (`int`, `std::uint8_t`, `std::uint64_t`...; not `bool`, `char` or the other character types) | integer; a string or big number holding a decimal integer. A value outside T's range throws |
// | `double`, `float`, `long double` | double; integer; a string or big number holding a number, `inf`, `-inf`, `+inf` and `nan` included |
// | `bool` | integer 0 or 1, boolean, the simple string `OK` (true) |
// | `std::chrono::duration<R, P>` | whatever R reads from, counted in the duration's own unit: `as<std::chrono::milliseconds>()` of 1500 is 1500 ms, `as<std::chrono::seconds>()` of 1500 is 1500 s. Pick the unit of the command (PTTL: milliseconds, TTL: seconds). Negative values (TTL's -1 and -2) stay negative |
// | `std::optional<T>` | null → nullopt; anything else as T |
// | `std::vector<T>` | array, set or push, each element as T; a RESP3 map when T is a pair (each key and value) |
// | `std::vector<std::pair<A, B>>`, `std::map<K, V>`, `std::unordered_map<K, V>` | a RESP3 map; an array of 2-element arrays; a flat array of keys and values (RESP2's HGETALL, ZRANGE WITHSCORES) |
// | `std::pair<A, B>`, `std::tuple<Ts...>` | array (or set) of exactly 2 / sizeof...(Ts) elements |
//
// Types nest freely: `std::optional<std::vector<std::optional<std::string>>>`.
//
// Errors:
//  - An error reply, met where a value is expected (the reply itself or an
//    element of it), throws the exception its text stands for, as
//    RedisCluster does (ResponseError, MovedError...; see error_reply.hpp).
//    Only `Reply` takes an error reply as a value.
//  - A reply of another shape throws ReplyTypeError (a ResponseError and a
//    DataError) naming the type asked for and what came, e.g.
//    `cannot read the reply as std::int64_t: got a bulk string "abc"`;
//    an element that does not convert is named by its position.
//  - A T that nothing converts to does not compile (a static_assert says so).
//
// Thread safety: conversions only read the reply (or move from a reply the
// caller gave up with std::move).

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rediscluster/resp.hpp"

namespace rediscluster {

namespace detail {

// Throws the exception of an error reply (see error_reply.hpp).
[[noreturn]] void throw_reply_error(const Reply& reply);
// Throws ReplyTypeError: "cannot read the reply as <expected>: got <what came>".
[[noreturn]] void throw_reply_type_error(const std::string& expected, const Reply& got, std::string_view why = {});
// Rethrows `inner` (a ReplyTypeError about element `index`) as one about the
// whole reply, so the message names both levels.
[[noreturn]] void throw_element_error(const std::string& expected, const Reply& got, std::size_t index,
                                      const std::exception& inner);

// Numbers read from any reply that may hold one; nullopt when the reply
// holds no number of that kind. An out-of-range integer is nullopt too.
std::optional<std::int64_t> reply_signed(const Reply& reply) noexcept;
std::optional<std::uint64_t> reply_unsigned(const Reply& reply) noexcept;
std::optional<long double> reply_floating(const Reply& reply) noexcept;
// True when the reply is an integer, or a string or big number of decimal
// digits (with an optional sign), whatever its size.
bool holds_integer(const Reply& reply) noexcept;

// "std::int64_t", "std::uint8_t"...: integer types by width and sign, so
// `long` and `long long` read alike.
template <class T>
std::string integer_name() {
    return std::string(std::is_signed_v<T> ? "std::int" : "std::uint") + std::to_string(sizeof(T) * 8) + "_t";
}

// Character types are not numbers; signed and unsigned char are, being
// std::int8_t and std::uint8_t.
template <class T>
constexpr bool is_character_v = std::is_same_v<T, char> || std::is_same_v<T, wchar_t> ||
                                std::is_same_v<T, char8_t> || std::is_same_v<T, char16_t> ||
                                std::is_same_v<T, char32_t>;

// One specialisation per supported T. Each has `known` (true), `name()`
// (the type's readable name, built only when an error needs it) and
// `read(const Reply&)`; the primary template is the "no conversion" case.
template <class T, class = void>
struct ReplyConverter {
    static constexpr bool known = false;
};

template <class T>
constexpr bool reply_convertible_v = ReplyConverter<std::remove_cvref_t<T>>::known;

template <class T>
T read_reply(const Reply& reply) {
    return ReplyConverter<T>::read(reply);
}

// Every conversion but Reply's own starts here: an error reply is thrown.
inline void reject_error(const Reply& reply) {
    if (reply.is_error()) throw_reply_error(reply);
}

template <>
struct ReplyConverter<Reply> {
    static constexpr bool known = true;
    static std::string name() { return "Reply"; }
    static Reply read(const Reply& reply) { return reply; }
};

template <>
struct ReplyConverter<std::string> {
    static constexpr bool known = true;
    static std::string name() { return "std::string"; }
    static std::string read(const Reply& reply) {
        reject_error(reply);
        if (!reply.is_string() && reply.type() != ReplyType::BigNumber) throw_reply_type_error(name(), reply);
        return std::string(reply.str());
    }
};

template <class T>
struct ReplyConverter<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && !is_character_v<T>>> {
    static constexpr bool known = true;
    static std::string name() { return integer_name<T>(); }
    static T read(const Reply& reply) {
        reject_error(reply);
        if constexpr (std::is_signed_v<T>) {
            const auto value = reply_signed(reply);
            if (value && std::in_range<T>(*value)) return static_cast<T>(*value);
        } else {
            const auto value = reply_unsigned(reply);
            if (value && std::in_range<T>(*value)) return static_cast<T>(*value);
        }
        if (!holds_integer(reply)) throw_reply_type_error(name(), reply);
        throw_reply_type_error(name(), reply, "out of range");
    }
};

template <class T>
struct ReplyConverter<T, std::enable_if_t<std::is_floating_point_v<T>>> {
    static constexpr bool known = true;
    static std::string name() {
        if constexpr (std::is_same_v<T, float>) return "float";
        else if constexpr (std::is_same_v<T, double>) return "double";
        else return "long double";
    }
    static T read(const Reply& reply) {
        reject_error(reply);
        const auto value = reply_floating(reply);
        if (!value) throw_reply_type_error(name(), reply);
        return static_cast<T>(*value);
    }
};

template <>
struct ReplyConverter<bool> {
    static constexpr bool known = true;
    static std::string name() { return "bool"; }
    static bool read(const Reply& reply) {
        reject_error(reply);
        switch (reply.type()) {
            case ReplyType::Boolean: return reply.boolean();
            case ReplyType::Integer:
                if (reply.integer() == 0 || reply.integer() == 1) return reply.integer() == 1;
                throw_reply_type_error(name(), reply, "only 0 and 1 are booleans");
            case ReplyType::SimpleString:
                if (reply.str() == "OK") return true;
                break;
            default: break;
        }
        throw_reply_type_error(name(), reply);
    }
};

template <class Rep, class Period>
struct ReplyConverter<std::chrono::duration<Rep, Period>> {
    using Duration = std::chrono::duration<Rep, Period>;
    static constexpr bool known = ReplyConverter<Rep>::known;
    static std::string name() { return "std::chrono::duration of " + ReplyConverter<Rep>::name(); }
    static Duration read(const Reply& reply) {
        reject_error(reply);
        try {
            return Duration(ReplyConverter<Rep>::read(reply));
        } catch (const ReplyTypeError&) {
            throw_reply_type_error(name(), reply);
        }
    }
};

template <class T>
struct ReplyConverter<std::optional<T>> {
    static constexpr bool known = ReplyConverter<T>::known;
    static std::string name() { return "std::optional<" + ReplyConverter<T>::name() + ">"; }
    static std::optional<T> read(const Reply& reply) {
        if (reply.is_null()) return std::nullopt;
        return ReplyConverter<T>::read(reply);
    }
};

// Elements of an aggregate, each converted; a failing element is named.
template <class T>
T read_element(const Reply& whole, std::size_t index, std::string (*whole_name)()) {
    try {
        return ReplyConverter<T>::read(whole.elements()[index]);
    } catch (const ReplyTypeError& inner) {
        throw_element_error(whole_name(), whole, index, inner);
    }
}

inline bool is_list(const Reply& reply) {
    return reply.type() == ReplyType::Array || reply.type() == ReplyType::Set || reply.type() == ReplyType::Push;
}

// Keys and values, from any of the three shapes they come in: a RESP3 map
// (stored flat), an array of [key, value] arrays, or a flat array of keys
// and values. `add(key, value)` receives each pair.
template <class K, class V, class Add>
void read_pairs(const Reply& reply, std::string (*whole_name)(), Add&& add) {
    reject_error(reply);
    const bool flat_map = reply.type() == ReplyType::Map;
    if (!flat_map && !is_list(reply)) throw_reply_type_error(whole_name(), reply);
    const auto& elements = reply.elements();
    const bool nested = !flat_map && !elements.empty() && elements.front().type() == ReplyType::Array;
    if (nested) {
        for (std::size_t i = 0; i < elements.size(); ++i) {
            const auto& pair = elements[i];
            if (!is_list(pair) || pair.size() != 2) {
                throw_reply_type_error(whole_name(), reply,
                                       "element " + std::to_string(i) + " is not a [key, value] pair");
            }
            try {
                add(ReplyConverter<K>::read(pair.elements()[0]), ReplyConverter<V>::read(pair.elements()[1]));
            } catch (const ReplyTypeError& inner) {
                throw_element_error(whole_name(), reply, i, inner);
            }
        }
        return;
    }
    if (elements.size() % 2 != 0) {
        throw_reply_type_error(whole_name(), reply,
                               "keys and values must come in pairs, got " + std::to_string(elements.size()) +
                                   " elements");
    }
    for (std::size_t i = 0; i < elements.size(); i += 2) {
        add(read_element<K>(reply, i, whole_name), read_element<V>(reply, i + 1, whole_name));
    }
}

template <class T>
struct ReplyConverter<std::vector<T>> {
    static constexpr bool known = ReplyConverter<T>::known;
    static std::string name() { return "std::vector<" + ReplyConverter<T>::name() + ">"; }
    static std::vector<T> read(const Reply& reply) {
        reject_error(reply);
        if (!is_list(reply)) throw_reply_type_error(name(), reply);
        std::vector<T> out;
        out.reserve(reply.size());
        for (std::size_t i = 0; i < reply.size(); ++i) out.push_back(read_element<T>(reply, i, &name));
        return out;
    }
};

// A vector of pairs also reads the shapes of keys and values (a map, or a
// flat array of them), so HGETALL and ZRANGE WITHSCORES read alike in RESP2
// and RESP3.
template <class A, class B>
struct ReplyConverter<std::vector<std::pair<A, B>>> {
    static constexpr bool known = ReplyConverter<A>::known && ReplyConverter<B>::known;
    static std::string name() {
        return "std::vector<std::pair<" + ReplyConverter<A>::name() + ", " + ReplyConverter<B>::name() + ">>";
    }
    static std::vector<std::pair<A, B>> read(const Reply& reply) {
        std::vector<std::pair<A, B>> out;
        out.reserve(reply.type() == ReplyType::Map ? reply.size() / 2 : reply.size());
        read_pairs<A, B>(reply, &name, [&](A&& a, B&& b) { out.emplace_back(std::move(a), std::move(b)); });
        return out;
    }
};

template <class Map, class K, class V>
Map read_map(const Reply& reply, std::string (*name)()) {
    Map out;
    read_pairs<K, V>(reply, name, [&](K&& k, V&& v) { out.insert_or_assign(std::move(k), std::move(v)); });
    return out;
}

template <class K, class V, class Compare, class Allocator>
struct ReplyConverter<std::map<K, V, Compare, Allocator>> {
    static constexpr bool known = ReplyConverter<K>::known && ReplyConverter<V>::known;
    static std::string name() {
        return "std::map<" + ReplyConverter<K>::name() + ", " + ReplyConverter<V>::name() + ">";
    }
    static std::map<K, V, Compare, Allocator> read(const Reply& reply) {
        return read_map<std::map<K, V, Compare, Allocator>, K, V>(reply, &name);
    }
};

template <class K, class V, class Hash, class Equal, class Allocator>
struct ReplyConverter<std::unordered_map<K, V, Hash, Equal, Allocator>> {
    static constexpr bool known = ReplyConverter<K>::known && ReplyConverter<V>::known;
    static std::string name() {
        return "std::unordered_map<" + ReplyConverter<K>::name() + ", " + ReplyConverter<V>::name() + ">";
    }
    static std::unordered_map<K, V, Hash, Equal, Allocator> read(const Reply& reply) {
        return read_map<std::unordered_map<K, V, Hash, Equal, Allocator>, K, V>(reply, &name);
    }
};

template <class... Ts>
struct ReplyConverter<std::tuple<Ts...>> {
    static constexpr bool known = (ReplyConverter<Ts>::known && ...);
    static std::string name() {
        std::string out = "std::tuple<";
        bool first = true;
        ((out += (first ? "" : ", ") + ReplyConverter<Ts>::name(), first = false), ...);
        return out + ">";
    }
    static std::tuple<Ts...> read(const Reply& reply) {
        check_size(reply, sizeof...(Ts), &name);
        return read_all(reply, std::index_sequence_for<Ts...>{});
    }
    static void check_size(const Reply& reply, std::size_t size, std::string (*whole_name)()) {
        reject_error(reply);
        if (!is_list(reply)) throw_reply_type_error(whole_name(), reply);
        if (reply.size() != size) {
            throw_reply_type_error(whole_name(), reply,
                                   "expected " + std::to_string(size) + " elements, got " + std::to_string(reply.size()));
        }
    }
    template <std::size_t... I>
    static std::tuple<Ts...> read_all(const Reply& reply, std::index_sequence<I...>) {
        // Braced initialisation reads the elements in order.
        return std::tuple<Ts...>{read_element<Ts>(reply, I, &name)...};
    }
};

template <class A, class B>
struct ReplyConverter<std::pair<A, B>> {
    static constexpr bool known = ReplyConverter<A>::known && ReplyConverter<B>::known;
    static std::string name() {
        return "std::pair<" + ReplyConverter<A>::name() + ", " + ReplyConverter<B>::name() + ">";
    }
    static std::pair<A, B> read(const Reply& reply) {
        ReplyConverter<std::tuple<A, B>>::check_size(reply, 2, &name);
        return {read_element<A>(reply, 0, &name), read_element<B>(reply, 1, &name)};
    }
};

}  // namespace detail

/// True when `reply.as<T>()` compiles: T is one of the types listed at the
/// top of this header, nested in any way.
template <class T>
concept ReplyConvertible = detail::reply_convertible_v<T>;

#define REDISCLUSTER_UNKNOWN_REPLY_TYPE                                                                \
    "no conversion from a Reply to this type: use Reply, std::string, an integer type, a floating-point " \
    "type, bool, a std::chrono::duration, or std::optional, std::vector, std::map, std::unordered_map, "  \
    "std::pair or std::tuple of those (see rediscluster/reply_cast.hpp)"

/// `reply` as a T (see the table at the top of this header). Throws
/// ReplyTypeError when the reply's shape does not fit T, and the typed
/// exception of an error reply met where a value was expected.
template <class T>
[[nodiscard]] T reply_cast(const Reply& reply) {
    static_assert(detail::reply_convertible_v<T>, REDISCLUSTER_UNKNOWN_REPLY_TYPE);
    if constexpr (detail::reply_convertible_v<T>) {
        return detail::read_reply<T>(reply);
    } else {
        std::abort();  // not reached: the static_assert stops the build
    }
}

/// reply_cast() of a reply that is no longer needed: a string is moved out
/// rather than copied.
template <class T>
[[nodiscard]] T reply_cast(Reply&& reply) {
    static_assert(detail::reply_convertible_v<T>, REDISCLUSTER_UNKNOWN_REPLY_TYPE);
    if constexpr (std::is_same_v<T, Reply>) {
        return std::move(reply);
    } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::optional<std::string>>) {
        if constexpr (std::is_same_v<T, std::optional<std::string>>) {
            if (reply.is_null()) return std::nullopt;
        }
        detail::reject_error(reply);
        if (!reply.is_string() && reply.type() != ReplyType::BigNumber) {
            detail::throw_reply_type_error(detail::ReplyConverter<T>::name(), reply);
        }
        return std::move(reply).take_str();
    } else if constexpr (detail::reply_convertible_v<T>) {
        return detail::read_reply<T>(reply);
    } else {
        std::abort();  // not reached: the static_assert stops the build
    }
}

#undef REDISCLUSTER_UNKNOWN_REPLY_TYPE

template <class T>
T Reply::as() const& {
    return reply_cast<T>(*this);
}

template <class T>
T Reply::as() && {
    return reply_cast<T>(std::move(*this));
}

}  // namespace rediscluster
