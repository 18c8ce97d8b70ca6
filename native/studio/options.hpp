// The studio's options: the command line natively, the URL's query in the browser (same names).
// What each does is the usage text in options.cpp, which `ganzoo-studio --help` prints (exit
// status 0; in the browser ?help writes it to the console and opens the Help window). A bad
// option is a one-line error and exit status 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ganzoo::studio {

struct Options {
    std::vector<std::string> files;
    std::string models_dir, model, ini, script, screenshot, follow;
    std::optional<uint64_t> seed;
    int width = 1280, height = 800, frames = 0, bench = 0;
    float scale = 0;
    bool remember = true;
    bool help = false;  // --help: the usage (natively the program then ends)
};

// The usage text --help prints: every option and what it does.
extern const char* const kUsage;

Options parse_options(const std::vector<std::string>& args);

}  // namespace ganzoo::studio
