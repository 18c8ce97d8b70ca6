#include "train/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

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
                      double images_per_s, double eta_s, int64_t critic_per_g) {
    const bool last = step == total;
    if (!enabled_ || (!tty_ && step % log_every_ != 0 && !last)) return;
    const std::string head = "epoch " + std::to_string(epoch) + "/" + std::to_string(epochs) + " ";
    const std::string steps = critic_per_g > 0 ? "critic step " + std::to_string(step) + "/" + std::to_string(total) +
                                                     " (G " + std::to_string(step / critic_per_g) + ")"
                                               : "step " + std::to_string(step) + "/" + std::to_string(total);
    std::string values;
    std::vector<std::string> fields;
    char number[32];
    for (const auto& [name, value] : stats) {
        std::snprintf(number, sizeof number, "%.4f", value);
        fields.push_back(" " + name + " " + number);
    }
    std::snprintf(number, sizeof number, "%.0f", images_per_s);
    const std::string tail = " | " + std::string(number) + " img/s | ETA " + format_duration(eta_s);
    if (!tty_) {
        for (const auto& f : fields) values += f;
        std::cout << head << steps << values << tail << std::endl;
        return;
    }
    // A terminal: one line rewritten in place, so it must never wrap (a wrapped line leaves a
    // new line per update). Fit it to the width: the bar goes first, then values from the end.
    const size_t width = terminal_columns();
    constexpr int kBar = 24;
    const int filled = static_cast<int>(kBar * step / std::max<int64_t>(total, 1));
    std::string bar = "[" + std::string(filled, '#') + std::string(kBar - filled, '.') + "] ";
    auto length = [&] {
        size_t n = head.size() + bar.size() + steps.size() + tail.size();
        for (const auto& f : fields) n += f.size();
        return n;
    };
    if (length() > width) bar.clear();
    while (length() > width && !fields.empty()) fields.pop_back();
    for (const auto& f : fields) values += f;
    std::string line = head + bar + steps + values + tail;
    if (line.size() >= width) line.resize(width > 1 ? width - 1 : 0);  // the last column may wrap on some terminals
    std::cout << "\r" << line << "\033[K" << (last ? "\n" : "") << std::flush;
}

size_t Progress::terminal_columns() {
    winsize size{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    if (const char* columns = std::getenv("COLUMNS")) {
        const long n = std::strtol(columns, nullptr, 10);
        if (n > 0 && n < 10000) return static_cast<size_t>(n);
    }
    return 80;
}

void Progress::message(const std::string& text) {
    if (!enabled_) return;
    if (tty_) std::cout << "\r\033[K";
    std::cout << text << std::endl;
}

}  // namespace ganzoo::train
