#include "options.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <cstdlib>

#include "platform.hpp"

namespace ganzoo::studio {

const char* const kUsage =
    "usage: ganzoo-studio [FILE.safetensors ...] [--models DIR] [--model NAME] [--seed S] [--ini PATH]\n"
    "                     [--size WxH] [--scale F] [--script CMDS] [--screenshot PNG] [--frames N]\n"
    "                     [--bench N] [--follow RUN] [--no-remember] [--help]\n"
    "       web/studio.html?model=NAME&seed=S&script=CMDS&bench=N&follow=ID   (the same, from the URL)\n"
    "\n"
    "The models of the zoo in a Dear ImGui window (docs/studio.md).\n"
    "\n"
    "  FILE...         models to list (and show the first of, unless --model names another)\n"
    "  --models DIR    the folder of models (its manifest.json's titles first, then its other\n"
    "                  generators); default: web/models\n"
    "  --model NAME    the model to show first: a title, a path, or a file name in the list\n"
    "  --seed S        the grid's seed (default: the last one used, else 7)\n"
    "  --ini PATH      where the settings live (default $XDG_CONFIG_HOME/ganzoo/studio.ini)\n"
    "  --no-remember   neither read nor write the settings\n"
    "  --size WxH      the window's size (default 1280x800)\n"
    "  --scale F       the UI's scale, 0.5..4 (default: the display's)\n"
    "  --script CMDS   commands run between frames, separated by ';' (docs/studio.md, \"Tests\")\n"
    "  --screenshot PNG  shorthand for \"frames:N;wait;shot:PNG;quit\" after --frames N frames\n"
    "  --bench N       frame times while a 64-image grid regenerates N times\n"
    "  --follow RUN    a training run's newest snapshot, reloaded in place as the trainer writes\n"
    "                  the next (`ganzoo train --live --out RUN`; in the browser the run's id\n"
    "                  under `ganzoo serve`), and its status\n"
    "  --help          this text\n"
    "\n"
    "A bad option is a one-line error and exit status 2.\n";

namespace {

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "ganzoo-studio: %s (ganzoo-studio --help lists the options)\n", message.c_str());
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
        if (a.rfind("--", 0) != 0 && a != "-h") {
            o.files.push_back(a);
            continue;
        }
        if (a == "-h" || a == "--help") {
            o.help = true;
            platform::usage(kUsage);  // natively the program ends here, with status 0
            continue;
        }
        const std::string name = a.substr(2);
        if (name == "no-remember") {
            o.remember = false;
            continue;
        }
        static const char* const with_value[] = {"models", "model", "ini", "script", "screenshot", "follow",
                                                 "seed", "frames", "bench", "scale", "size"};
        if (std::find(std::begin(with_value), std::end(with_value), name) == std::end(with_value))
            usage_error("unknown option " + a);
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
