// ganzoo core (private): typed reads of JSON values and shape formatting for error messages.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ganzoo/error.hpp"

namespace ganzoo::detail {

using json = nlohmann::json;

// Parses JSON text: json::parse(first, last, nullptr, allow_exceptions), the same result and the
// same errors, without the SAX parser for callbacks that json::parse instantiates beside the
// plain one (~7 KB of wasm; it decides between the two at run time). Every parse of the core and
// of wasm/bindings.cpp reads a range of `const char*`: nlohmann instantiates its parser and lexer
// once per input type, ~10 KB of wasm each.
inline json parse_json(std::string_view text, bool allow_exceptions = true) {
    json result;
    nlohmann::detail::json_sax_dom_parser<json> dom(result, allow_exceptions);
    nlohmann::detail::parser<json, nlohmann::detail::iterator_input_adapter<const char*>>(
        nlohmann::detail::input_adapter(text.data(), text.data() + text.size()), nullptr, allow_exceptions)
        .sax_parse(&dom, /*strict=*/true);
    if (dom.is_errored()) result = json(json::value_t::discarded);
    return result;
}

// parse_json, refusing text nested deeper than max_depth before any value is built: a 16 MB
// header can nest 8M levels, and every reader of the document (dump(), the CLI printing it)
// would pay for each one. A scan of the brackets outside strings (malformed text is the
// parser's to refuse): a second parser instantiation would cost the wasm core ~3 KB.
inline json parse_json_bounded(std::string_view text, size_t max_depth, const std::string& what) {
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) throw Error(what + " nests deeper than " + std::to_string(max_depth) + " levels");
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return parse_json(text);
}

// An integer JSON number that fits int64 (floats, bools and larger values are refused).
inline bool as_int64(const json& value, int64_t& out) {
    if (value.is_number_unsigned()) {
        const uint64_t u = value.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
        out = static_cast<int64_t>(u);
        return true;
    }
    if (value.is_number_integer()) {
        out = value.get<int64_t>();
        return true;
    }
    return false;
}

// A non-negative integer JSON number as uint64.
inline bool as_uint64(const json& value, uint64_t& out) {
    if (value.is_number_unsigned()) {
        out = value.get<uint64_t>();
        return true;
    }
    if (value.is_number_integer()) {
        const int64_t i = value.get<int64_t>();
        if (i < 0) return false;
        out = static_cast<uint64_t>(i);
        return true;
    }
    return false;
}

// "[64, 1, 4, 4]". std::to_string, not an ostringstream: a stream would link libc++'s
// iostreams and locales into the wasm core (~76 KB, docs/web-bench.md).
template <typename Int>
std::string shape_string(const std::vector<Int>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + ']';
}

// A JSON value, shortened for an error message. Nested containers are only described:
// dump() recurses, and a hostile header can nest millions of levels deep.
inline std::string json_excerpt(const json& value) {
    if (value.is_structured()) {
        for (const json& item : value)
            if (item.is_structured() || value.size() > 8)
                return value.is_array() ? "an array of " + std::to_string(value.size()) + " items"
                                        : "an object of " + std::to_string(value.size()) + " fields";
    }
    std::string text = value.dump();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

// a * b, false on int64 overflow (operands must be non-negative).
inline bool checked_mul(int64_t a, int64_t b, int64_t& out) {
    return !__builtin_mul_overflow(a, b, &out);
}

inline bool checked_product(const std::vector<int64_t>& dims, int64_t& out) {
    int64_t n = 1;
    for (int64_t d : dims)
        if (d < 0 || !checked_mul(n, d, n)) return false;
    out = n;
    return true;
}

}  // namespace ganzoo::detail
