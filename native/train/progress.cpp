#include "train/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace ganzoo::train {
namespace {

std::string format_duration(double seconds) {
    const auto s = static_cast<int64_t>(std::max(0.0, seconds));
    char text[32];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                      static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
    else
        std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(s / 60),
                      static_cast<long long>(s % 60));
    return text;
}

}  // namespace

Progress::Progress(int64_t log_every, bool enabled)
    : enabled_(enabled), tty_(::isatty(STDOUT_FILENO) != 0), log_every_(log_every) {}

void Progress::update(int64_t step, int64_t total, int64_t epoch, int64_t epochs, const models::StepStats& stats,
                      double images_per_s, double eta_s) {
    const bool last = step == total;
    if (!enabled_ || (!tty_ && step % log_every_ != 0 && !last)) return;
    std::ostringstream line;
    line << "epoch " << epoch << "/" << epochs << " ";
    if (tty_) {
        constexpr int kWidth = 24;
        const int filled = static_cast<int>(kWidth * step / std::max<int64_t>(total, 1));
        line << "[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] ";
    }
    line << "step " << step << "/" << total;
    char number[32];
    for (const auto& [name, value] : stats) {
        std::snprintf(number, sizeof number, "%.4f", value);
        line << " " << name << " " << number;
    }
    std::snprintf(number, sizeof number, "%.0f", images_per_s);
    line << " | " << number << " img/s | ETA " << format_duration(eta_s);
    if (tty_)
        std::cout << "\r" << line.str() << "\033[K" << (last ? "\n" : "") << std::flush;
    else
        std::cout << line.str() << std::endl;
}

void Progress::message(const std::string& text) {
    if (!enabled_) return;
    if (tty_) std::cout << "\r\033[K";
    std::cout << text << std::endl;
}

}  // namespace ganzoo::train
