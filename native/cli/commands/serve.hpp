// `ganzoo serve RUN... [--port P] [--host H] [--web DIR]`: the page, with a live view of runs.
#pragma once

#include <CLI/CLI.hpp>

namespace ganzoo::cli {

void add_serve(CLI::App& app);

}  // namespace ganzoo::cli
