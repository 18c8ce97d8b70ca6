// ganzoo trainer: report.html of a run directory — one chart per logged quantity (from
// log.csv) and the per-epoch sample grids, in one self-contained page (inline SVG, no JS).
#pragma once

#include <string>

namespace ganzoo::train {

// Reads run_dir/log.csv and run_dir/samples/*.png and writes run_dir/report.html atomically.
void write_report(const std::string& run_dir, const std::string& title);

}  // namespace ganzoo::train
