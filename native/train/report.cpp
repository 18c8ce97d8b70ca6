#include "train/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
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

// Every column of log.csv after step and epoch, plus the step column itself.
std::vector<Series> read_log(const std::string& path, std::vector<double>& steps) {
    std::ifstream in(path);
    std::string line;
    if (!std::getline(in, line)) return {};
    const auto header = split_csv(line);
    std::vector<Series> series;
    for (size_t i = 2; i < header.size(); ++i) series.push_back({header[i], {}});
    while (std::getline(in, line)) {
        const auto cells = split_csv(line);
        if (cells.size() != header.size()) continue;
        steps.push_back(std::atof(cells[0].c_str()));
        for (size_t i = 2; i < cells.size(); ++i) series[i - 2].values.push_back(std::atof(cells[i].c_str()));
    }
    return series;
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
std::string chart_svg(const Series& s, const std::vector<double>& steps) {
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
    svg << "'/><text x='" << kPad << "' y='" << kH - 4 << "' fill='#555'>step " << x0 << "</text><text x='"
        << kW - kPad << "' y='" << kH - 4 << "' text-anchor='end' fill='#555'>" << x1 << "</text></svg>";
    return svg.str();
}

// A file name for a column: letters, digits, '-' and '_' kept, the rest '_'.
std::string file_stem(const std::string& name) {
    std::string out;
    for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    return out;
}

}  // namespace

void write_report(const std::string& run_dir, const std::string& title) {
    std::vector<double> steps;
    const auto series = read_log(run_dir + "/log.csv", steps);
    std::vector<std::string> grids;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(run_dir + "/samples", ec))
        if (entry.path().extension() == ".png") grids.push_back(entry.path().filename().string());
    std::sort(grids.begin(), grids.end());

    std::ostringstream html;
    html << "<!doctype html><meta charset='utf-8'><title>" << escape(title) << "</title>\n"
         << "<style>body{font:14px system-ui,sans-serif;margin:24px;color:#111}figure{display:inline-block;"
            "margin:0 16px 16px 0}figcaption{font-weight:600}img{image-rendering:pixelated;width:240px}"
            ".grids figure{text-align:center}</style>\n"
         << "<h1>" << escape(title) << "</h1>\n<p>Curves from <a href='log.csv'>log.csv</a>, bucket-averaged (also as SVG files in curves/); "
         << "options in <a href='config.json'>config.json</a>.</p>\n<section>\n";
    fs::create_directories(run_dir + "/curves", ec);
    for (const auto& s : series) {
        const std::string svg = chart_svg(s, steps);
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
