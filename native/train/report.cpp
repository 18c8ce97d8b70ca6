#include "train/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "train/files.hpp"

namespace fs = std::filesystem;

namespace ganzoo::train {
namespace {

struct Series {
    std::string name;
    std::vector<double> values;
};

std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream in(line);
    for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
    return cells;
}

// Every column of log.csv after step and epoch (but generator_step, a count), plus the step
// column itself: "step", or "critic_step" for a member that counts critic steps, whose last
// row's generator_step `last_generator_step` keeps.
std::vector<Series> read_log(const std::string& path, std::vector<double>& steps, std::string& step_name,
                             int64_t& last_generator_step) {
    std::ifstream in(path);
    std::string line;
    if (!std::getline(in, line)) return {};
    const auto header = split_csv(line);
    step_name = header.empty() ? "step" : header[0];
    std::vector<Series> series;
    size_t generator = 0;
    for (size_t i = 2; i < header.size(); ++i) {
        if (header[i] == "generator_step") generator = i;
        series.push_back({header[i], {}});
    }
    while (std::getline(in, line)) {
        const auto cells = split_csv(line);
        if (cells.size() != header.size()) continue;
        steps.push_back(std::atof(cells[0].c_str()));
        for (size_t i = 2; i < cells.size(); ++i) series[i - 2].values.push_back(std::atof(cells[i].c_str()));
        if (generator) last_generator_step = std::atoll(cells[generator].c_str());
    }
    if (generator) series.erase(series.begin() + static_cast<std::ptrdiff_t>(generator - 2));
    return series;
}

// "dcgan — runs/x": the member from the run's config.json, then the folder.
std::string run_title(const std::string& run_dir) {
    std::string family;
    try {
        std::ifstream in(run_dir + "/config.json");
        family = nlohmann::json::parse(in).value("family", "");
    } catch (const std::exception&) {
    }
    return family.empty() ? run_dir : family + " — " + run_dir;
}

std::string escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else out += c;
    }
    return out;
}

// A line chart of the series averaged over buckets (≤ 400 points), so a long run stays light:
// a standalone SVG (its title and range inside it), also written to curves/<name>.svg.
std::string chart_svg(const Series& s, const std::vector<double>& steps, const std::string& step_name) {
    constexpr double kW = 360, kH = 170, kPad = 6, kTop = 22, kBottom = 16;
    const size_t n = s.values.size();
    const size_t buckets = std::min<size_t>(n, 400);
    std::vector<std::pair<double, double>> points;
    for (size_t b = 0; b < buckets; ++b) {
        const size_t lo = b * n / buckets, hi = std::max(lo + 1, (b + 1) * n / buckets);
        double sum = 0;
        size_t count = 0;
        for (size_t i = lo; i < hi; ++i)
            if (std::isfinite(s.values[i])) sum += s.values[i], ++count;
        if (count) points.push_back({steps[(lo + hi - 1) / 2], sum / count});
    }
    if (points.empty()) return "";
    double x0 = points.front().first, x1 = points.back().first, y0 = points[0].second, y1 = y0;
    for (const auto& p : points) y0 = std::min(y0, p.second), y1 = std::max(y1, p.second);
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) y1 = y0 + 1e-9;
    std::ostringstream svg;
    svg << "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 " << kW << " " << kH << "' width='" << kW
        << "' height='" << kH << "' font-family='system-ui,sans-serif' font-size='11'>"
        << "<rect width='100%' height='100%' fill='#fff'/>"
        << "<text x='" << kPad << "' y='14' font-weight='600' font-size='12'>" << escape(s.name) << "</text>"
        << "<text x='" << kW - kPad << "' y='14' text-anchor='end' fill='#555'>" << y0 << " … " << y1 << "</text>"
        << "<rect x='0' y='" << kTop << "' width='" << kW << "' height='" << kH - kTop - kBottom
        << "' fill='#fafafa' stroke='#ddd'/><polyline fill='none' stroke='#2563eb' stroke-width='1.5' points='";
    char xy[64];
    const double plot_h = kH - kTop - kBottom;
    for (const auto& p : points) {
        std::snprintf(xy, sizeof xy, "%.1f,%.1f ", kPad + (p.first - x0) / (x1 - x0) * (kW - 2 * kPad),
                      kTop + plot_h - kPad - (p.second - y0) / (y1 - y0) * (plot_h - 2 * kPad));
        svg << xy;
    }
    svg << "'/><text x='" << kPad << "' y='" << kH - 4 << "' fill='#555'>" << (step_name == "critic_step" ? "critic step " : "step ") << x0 << "</text><text x='"
        << kW - kPad << "' y='" << kH - 4 << "' text-anchor='end' fill='#555'>" << x1 << "</text></svg>";
    return svg.str();
}

// A file name for a column: letters, digits, '-' and '_' kept, the rest '_'.
std::string file_stem(const std::string& name) {
    std::string out;
    for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    return out;
}

std::string number(double v, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    return text;
}

// The latest line of metrics.jsonl (`ganzoo eval FILE --run DIR`) as a table; "" when there is none.
std::string metrics_table(const std::string& path) {
    using nlohmann::json;
    std::ifstream in(path);
    json latest;
    size_t evaluations = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        json parsed = json::parse(line, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("metrics") || !parsed["metrics"].is_object())
            continue;  // a line we cannot read is skipped, never shown half
        latest = std::move(parsed);
        ++evaluations;
    }
    if (!evaluations) return "";
    const json& m = latest["metrics"];
    auto num = [&](const char* key) { return m.contains(key) && m[key].is_number(); };
    auto levels = [&](const char* key) {
        std::string out;
        for (const auto& v : m[key]) out += (out.empty() ? "" : " · ") + number(v.get<double>(), 2);
        return out;
    };
    std::ostringstream t;
    t << "<h2>Metrics</h2>\n<p>The latest of " << evaluations << " evaluation" << (evaluations > 1 ? "s" : "")
      << " in <a href='metrics.jsonl'>metrics.jsonl</a>: <code>" << escape(latest.value("model", std::string("?")))
      << "</code>, " << escape(latest.value("time", std::string("?"))) << ", " << m.value("count", 0)
      << " samples of seed " << m.value("seed", 0) << ".</p>\n<table class='metrics'>\n"
      << "<tr><th>metric</th><th>this model</th><th>floor / real data</th></tr>\n";
    if (num("fd_fmnist"))
        t << "<tr><td>FD-FMNIST (classifier features, not Inception) ↓</td><td>" << number(m["fd_fmnist"].get<double>(), 3)
          << "</td><td>" << (num("fd_floor") ? number(m["fd_floor"].get<double>(), 3) : "") << " (train vs test)</td></tr>\n";
    if (num("inception_score"))
        t << "<tr><td>classifier Inception Score ↑</td><td>" << number(m["inception_score"].get<double>(), 3) << "</td><td>"
          << (num("inception_score_test") ? number(m["inception_score_test"].get<double>(), 3) : "") << " (test images)</td></tr>\n";
    if (m.contains("swd") && m["swd"].is_array() && num("swd_average")) {
        std::string sides;
        for (const auto& s : m.value("swd_resolutions", json::array())) sides += (sides.empty() ? "" : " → ") + s.dump();
        t << "<tr><td>SWD ×10³ per level (finest → coarsest: " << sides << " px) ↓</td><td>" << levels("swd")
          << "</td><td>" << (m.contains("swd_floor") ? levels("swd_floor") : "") << "</td></tr>\n"
          << "<tr><td>SWD ×10³ average ↓</td><td>" << number(m["swd_average"].get<double>(), 2) << "</td><td>"
          << (num("swd_floor_average") ? number(m["swd_floor_average"].get<double>(), 2) : "") << "</td></tr>\n";
    }
    if (num("class_accuracy"))
        t << "<tr><td>class accuracy (cGAN: the label asked for comes out) ↑</td><td>"
          << number(100 * m["class_accuracy"].get<double>(), 2) << "%</td><td></td></tr>\n";
    if (num("code_class_accuracy"))
        t << "<tr><td>categorical code vs classes, best mapping ↑</td><td>"
          << number(100 * m["code_class_accuracy"].get<double>(), 2) << "%</td><td></td></tr>\n";
    if (num("q_accuracy"))
        t << "<tr><td>Q recovers the categorical code ↑</td><td>" << number(100 * m["q_accuracy"].get<double>(), 2)
          << "%</td><td></td></tr>\n";
    if (m.contains("class_histogram") && m["class_histogram"].is_array() && m.contains("classes")) {
        t << "<tr><td>class histogram (the classifier's reading)</td><td colspan='2'>";
        for (size_t k = 0; k < m["class_histogram"].size() && k < m["classes"].size(); ++k)
            t << (k ? ", " : "") << escape(m["classes"][k].get<std::string>()) << " "
              << number(100.0 * m["class_histogram"][k].get<double>() / std::max(1, m.value("count", 1)), 1) << "%";
        t << "</td></tr>\n";
    }
    t << "</table>\n";
    return t.str();
}

}  // namespace

void write_report(const std::string& run_dir, const std::string& title_given) {
    const std::string title = title_given.empty() ? run_title(run_dir) : title_given;
    std::vector<double> steps;
    std::string step_name = "step";
    int64_t generator_steps = -1;
    const auto series = read_log(run_dir + "/log.csv", steps, step_name, generator_steps);
    std::vector<std::string> grids;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(run_dir + "/samples", ec))
        if (entry.path().extension() == ".png") grids.push_back(entry.path().filename().string());
    std::sort(grids.begin(), grids.end());

    std::ostringstream html;
    html << "<!doctype html><meta charset='utf-8'><title>" << escape(title) << "</title>\n"
         << "<style>body{font:14px system-ui,sans-serif;margin:24px;color:#111}figure{display:inline-block;"
            "margin:0 16px 16px 0}figcaption{font-weight:600}img{image-rendering:pixelated;width:240px}"
            ".grids figure{text-align:center}table.metrics{border-collapse:collapse;margin-bottom:16px}"
            ".metrics td,.metrics th{border:1px solid #ddd;padding:4px 8px;text-align:left}</style>\n"
         << "<h1>" << escape(title) << "</h1>\n<p>Curves from <a href='log.csv'>log.csv</a>, bucket-averaged (also as SVG files in curves/); "
         << "options in <a href='config.json'>config.json</a>."
         << (step_name == "critic_step" && !steps.empty()
                 ? " The x axis counts critic steps: " + std::to_string(static_cast<int64_t>(steps.back())) + " critic steps" +
                       (generator_steps >= 0 ? ", " + std::to_string(generator_steps) + " generator steps" : std::string()) + "."
                 : std::string())
         << "</p>\n"
         << metrics_table(run_dir + "/metrics.jsonl") << "<section>\n";
    fs::create_directories(run_dir + "/curves", ec);
    for (const auto& s : series) {
        const std::string svg = chart_svg(s, steps, step_name);
        if (svg.empty()) continue;
        const std::string file = "curves/" + file_stem(s.name) + ".svg";
        write_text_atomically(run_dir + "/" + file, svg + "\n");
        html << "<figure>" << svg << "</figure>\n";
    }
    html << "</section>\n<h2>Samples (the same latents every epoch)</h2>\n<section class='grids'>\n";
    for (const auto& g : grids)
        html << "<figure><img src='samples/" << g << "' alt='" << g << "'><figcaption>" << g
             << "</figcaption></figure>\n";
    html << "</section>\n";
    write_text_atomically(run_dir + "/report.html", html.str());
}

}  // namespace ganzoo::train
