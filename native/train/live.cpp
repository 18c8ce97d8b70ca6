#include "train/live.hpp"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "train/files.hpp"

namespace ganzoo::train {

namespace {

using json = nlohmann::json;

// Logged values that are bookkeeping, not losses.
const std::set<std::string> kNotLosses = {"step", "epoch", "images_per_s", "elapsed_s", "lr"};
// Each member's own signal: WGAN's and ProGAN's Wasserstein estimate and growth, BEGAN's
// equilibrium, InfoGAN's code recovery, CycleGAN's cycle term.
const std::set<std::string> kSignals = {"wasserstein", "m_global", "k_t",     "resolution", "alpha",
                                        "q_acc",       "info_cat", "info_cont", "loss_cycle", "loss_identity",
                                        "labelled_accuracy"};

double now_s() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

LiveSettings parse_live(const std::string& text) {
    LiveSettings s;
    if (text.empty()) {
        s.every_seconds = 30.0;
        return s;
    }
    const auto bad = [&] {
        return std::runtime_error("--live " + text +
                                  ": give an interval, in steps (500) or in seconds or minutes (30s, 2m)");
    };
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0 || digits > 9) throw bad();
    const int64_t n = std::stoll(text.substr(0, digits));
    const std::string unit = text.substr(digits);
    if (n <= 0) throw bad();
    if (unit.empty())
        s.every_steps = n;
    else if (unit == "s")
        s.every_seconds = static_cast<double>(n);
    else if (unit == "m")
        s.every_seconds = 60.0 * static_cast<double>(n);
    else
        throw bad();
    return s;
}

bool is_member_signal(const std::string& key) { return kSignals.count(key) > 0; }

LiveWriter::LiveWriter(std::string run_dir, LiveSettings settings, json fixed)
    : dir_(std::move(run_dir) + "/live"), settings_(settings), fixed_(std::move(fixed)) {
    std::filesystem::create_directories(dir_);
    fixed_["interval_s"] = settings_.every_seconds > 0 ? json(settings_.every_seconds) : json(nullptr);
    fixed_["interval_steps"] = settings_.every_steps > 0 ? json(settings_.every_steps) : json(nullptr);
}

bool LiveWriter::snapshot_due(int64_t step, double elapsed_s) const {
    if (!settings_.on()) return false;
    if (last_step_ < 0) return true;  // the first step after a start or a resume: something to look at
    return (settings_.every_steps > 0 && step - last_step_ >= settings_.every_steps) ||
           (settings_.every_seconds > 0.0 && elapsed_s - last_s_ >= settings_.every_seconds);
}

void LiveWriter::snapshot(int64_t step, double elapsed_s, const std::function<std::vector<uint8_t>()>& make,
                          const json& progress) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<uint8_t> bytes = make();
    write_file_atomically(dir_ + "/latest.safetensors", bytes, /*sync=*/false);
    last_step_ = step;
    last_s_ = elapsed_s;
    ++snapshots_;
    last_snapshot_ = {{"step", step},
                      {"file", "latest.safetensors"},
                      {"bytes", bytes.size()},
                      {"seconds", seconds_since(start)}};
    spent_s_ += seconds_since(start);
    status(progress);
}

void LiveWriter::status(const json& progress, const std::string& state) {
    const auto start = std::chrono::steady_clock::now();
    json s = fixed_;
    s["state"] = state;
    json losses = json::object(), signal = json::object();
    if (progress.contains("row"))
        for (const auto& [key, value] : progress["row"].items()) {
            if (kNotLosses.count(key)) continue;
            (is_member_signal(key) ? signal : losses)[key] = value;
        }
    for (const auto& [key, value] : progress.items())
        if (key != "row") s[key] = value;
    s["losses"] = losses;
    s["signal"] = signal;
    if (!last_snapshot_.is_null()) s["snapshot"] = last_snapshot_;
    s["live_seconds"] = spent_s_;
    s["time"] = now_s();
    write_text_atomically(dir_ + "/status.json", s.dump(1) + "\n", /*sync=*/false);
    spent_s_ += seconds_since(start);
}

}  // namespace ganzoo::train
