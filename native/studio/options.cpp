#include "options.hpp"

#include <cstdio>
#include <cstdlib>

#include "platform.hpp"

namespace ganzoo::studio {

namespace {

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "ganzoo-studio: %s (see the header of native/studio/options.hpp for the options)\n", message.c_str());
    platform::report_error(message);
    platform::exit(2);
}

long long parse_int(const std::string& name, const std::string& v, long long lo, long long hi) {
    char* end = nullptr;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < lo || n > hi)
        usage_error("--" + name + " '" + v + "': expected a whole number " + std::to_string(lo) + ".." + std::to_string(hi));
    return n;
}

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
    Options o;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0) {
            o.files.push_back(a);
            continue;
        }
        const std::string name = a.substr(2);
        if (name == "no-remember") {
            o.remember = false;
            continue;
        }
        if (i + 1 >= args.size()) usage_error(a + " needs a value");
        const std::string v = args[++i];
        if (name == "models") o.models_dir = v;
        else if (name == "model") o.model = v;
        else if (name == "ini") o.ini = v;
        else if (name == "script") o.script = v;
        else if (name == "screenshot") o.screenshot = v;
        else if (name == "follow") {
            if (const std::string why = platform::run_problem(v); !why.empty()) usage_error("--follow '" + v + "': " + why);
            o.follow = v;
        }
        else if (name == "seed") o.seed = static_cast<uint64_t>(parse_int(name, v, 0, 1LL << 53));
        else if (name == "frames") o.frames = static_cast<int>(parse_int(name, v, 0, 1000000));
        else if (name == "bench") o.bench = static_cast<int>(parse_int(name, v, 1, 10000));
        else if (name == "scale") {
            char* end = nullptr;
            o.scale = std::strtof(v.c_str(), &end);
            if (*end != '\0' || !(o.scale >= 0.5f && o.scale <= 4.0f)) usage_error("--scale '" + v + "': expected 0.5..4");
        } else if (name == "size") {
            int w = 0, h = 0;
            char extra = 0;
            if (std::sscanf(v.c_str(), "%dx%d%c", &w, &h, &extra) != 2 || w < 320 || h < 240 || w > 8192 || h > 8192)
                usage_error("--size '" + v + "': expected WxH, at least 320x240");
            o.width = w, o.height = h;
        } else {
            usage_error("unknown option " + a);
        }
    }
    return o;
}

}  // namespace ganzoo::studio
