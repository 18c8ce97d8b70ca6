// ganzoo trainer: report.html of a run directory — one chart per logged quantity (from
// log.csv), the latest evaluation (metrics.jsonl, written by `ganzoo eval FILE --run DIR`) as a
// table, and the per-epoch sample grids, in one page that opens from disk (inline SVG, no JS).
#pragma once

#include <string>

namespace ganzoo::train {

// Reads run_dir/log.csv, run_dir/metrics.jsonl and run_dir/samples/*.png and writes
// run_dir/report.html atomically. Its title: `title`, or by default "MEMBER — RUN_DIR" (the
// member from config.json), as the trainer writes it.
void write_report(const std::string& run_dir, const std::string& title = {});

}  // namespace ganzoo::train
