// ganzoo trainer: training progress on the console. On a terminal, one line redrawn in place;
// otherwise a plain line every log_every steps and at the last. Off (every call does nothing)
// on the ranks that do not write.
#pragma once

#include <cstdint>
#include <string>

#include "models/family.hpp"

namespace ganzoo::train {

class Progress {
public:
    Progress(int64_t log_every, bool enabled);

    // `critic_per_g` > 0: the steps are critic steps, shown as such with the generator steps
    // (step / critic_per_g) beside them (GanFamily::critic_steps_per_generator_step).
    void update(int64_t step, int64_t total, int64_t epoch, int64_t epochs, const models::StepStats& stats,
                double images_per_s, double eta_s, int64_t critic_per_g = 0);
    void message(const std::string& text);

private:
    static size_t terminal_columns();  // the terminal's width (TIOCGWINSZ, else $COLUMNS, else 80)

    bool enabled_, tty_;
    int64_t log_every_;
};

}  // namespace ganzoo::train
