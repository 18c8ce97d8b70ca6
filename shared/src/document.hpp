// ganzoo core (private): reading the "ganzoo" model document (docs/format.md) into ModelInfo.
// model_info.cpp reads what describes the model (dataset, inputs, domains, training); model.cpp
// builds the nets and reads the golden check with the same field helpers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ganzoo/error.hpp"
#include "ganzoo/model.hpp"
#include "graph.hpp"
#include "json_fields.hpp"

namespace ganzoo::detail {

[[noreturn]] inline void fail(const std::string& field, const std::string& what) {
    throw Error("ganzoo metadata: " + field + " " + what);
}

// `path` by value: GCC 13's -Wdangling-reference flags a returned reference when a temporary
// std::string is bound to a reference parameter, as a literal path would be.
inline const json& member(const json& object, std::string_view path, const char* key) {
    if (!object.contains(key)) fail(path.empty() ? key : std::string(path) + "." + key, "is missing");
    return object[key];
}

inline std::string string_field(const json& object, const std::string& path, const char* key) {
    const json& v = member(object, path, key);
    if (!v.is_string())
        fail(path.empty() ? key : path + "." + key, "must be a string, got " + json_excerpt(v));
    return v.get<std::string>();
}

inline int64_t int_field(const json& v, const std::string& field, int64_t lo, int64_t hi) {
    int64_t i = 0;
    if (!as_int64(v, i)) fail(field, "must be an integer, got " + json_excerpt(v));
    if (i < lo || i > hi)
        fail(field, "is " + std::to_string(i) + ", expected " + std::to_string(lo) + ".." + std::to_string(hi));
    return i;
}

inline double number_field(const json& v, const std::string& field) {
    if (!v.is_number()) fail(field, "must be a number, got " + json_excerpt(v));
    return v.get<double>();
}

// Everything but the nets and the check: format, version, family, name, dataset, inputs (with
// CycleGAN's domains and examples) and the training record, validated. Returns the per-sample
// shapes of the declared inputs, which the nets are built on.
graph::InputShapes read_description(const json& doc, ModelInfo& info, const LoadLimits& limits);

// info.nets and info.net_info from the built nets (name order).
void describe_nets(const std::map<std::string, graph::Net>& nets, ModelInfo& info);

}  // namespace ganzoo::detail
