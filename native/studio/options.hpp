// The studio's options: the command line natively, the URL's query in the browser (same names).
//
//   ganzoo-studio [FILE.safetensors ...] [--models DIR] [--model NAME] [--seed S] [--ini PATH]
//                 [--size WxH] [--scale F] [--script CMDS] [--screenshot PNG] [--frames N]
//                 [--bench N] [--follow RUN] [--no-remember]
//   web/studio.html?model=NAME&seed=S&script=CMDS&bench=N&follow=ID   (the same, from the URL)
//
// FILE...        models to list (and show the first of, unless --model names another)
// --models DIR   the folder of models (its manifest.json's titles first); default: web/models
// --model NAME   the model to show first: a title, a path, or a file name in the list
// --seed S       the grid's seed (default: the last one used, else 7)
// --ini PATH     where the settings live; --no-remember neither reads nor writes them
// --size WxH, --scale F   the window's size and the UI's scale (default: the display's)
// --script CMDS  commands run between frames (script.hpp); --screenshot PNG is a shorthand for
//                "frames:N;wait;shot:PNG;quit" after --frames N frames
// --bench N      frame times while a 64-image grid regenerates N times (docs/studio.md)
// --follow RUN   a training run's newest snapshot, reloaded in place as the trainer writes the
//                next, and its status (`ganzoo train --live --out RUN`; in the browser the run's
//                id under `ganzoo serve`): follow.hpp
// A bad option is a one-line error and exit status 2.
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
};

Options parse_options(const std::vector<std::string>& args);

}  // namespace ganzoo::studio
