#pragma once

// error_of<E>(f): runs f and returns the message of the E it throws, or
// "(no <E> thrown)", so a test can compare the whole message in one line.

#include <string>
#include <typeinfo>

namespace rediscluster::test {

template <class E, class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return std::string("(no ") + typeid(E).name() + " thrown)";
}

}  // namespace rediscluster::test
