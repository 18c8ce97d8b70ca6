// ganzoo core: the one exception type the core throws.
#pragma once

#include <stdexcept>
#include <string>

namespace ganzoo {

// Every failure the core reports (malformed file, unknown op, bad request) is a
// ganzoo::Error whose message is one line a user can act on: what failed, which
// tensor/op/field, what was expected.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace ganzoo
