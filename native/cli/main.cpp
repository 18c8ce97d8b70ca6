// ganzoo: the command line. Training goes through LibTorch (native/train); sampling and
// interpolation go through the inference core (shared/), exactly as the web page does.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>
#include <tuple>

#include "cli/commands/serve.hpp"
#include "export/exporter.hpp"
#include "ganzoo/error.hpp"
#include "ganzoo/image.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"
#include "ganzoo/safetensors.hpp"
#include "metrics/classifier.hpp"
#include "metrics/evaluate.hpp"
#include "metrics/translation.hpp"
#include "train/files.hpp"
#include "train/report.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;
using namespace ganzoo;
using namespace ganzoo::train;

namespace {

std::string joined_command(int argc, char** argv) {
    std::string command = "ganzoo";
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    return command;
}

// The largest file the core's limits let through (the header, then every value as F32): a
// larger one is refused by its size, before any of it is read.
uint64_t max_model_bytes(const LoadLimits& limits = {}) {
    return 8 + limits.max_header_bytes + limits.max_total_elements * 4;
}

// Text from a file (or the command line) made safe for a terminal: control characters, C0 and
// C1 (U+0080..U+009F, whose CSI starts escape sequences as ESC [ does), and DEL are written as
// \xNN, so a model named "\x1b]0;..." cannot retitle, recolour or clear the terminal.
std::string printable(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
        const bool c1 = c == 0xC2 && next >= 0x80 && next <= 0x9F;
        if (c < 0x20 || c == 0x7F || c1) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c1 ? next : c);
            out += hex;
            i += c1 ? 1 : 0;
        } else {
            out += text[i];
        }
    }
    return out;
}

// Reads the header and the tensors alone: padding after the last tensor is never read.
Model load_model_file(const std::string& path) {
    try {
        const auto bytes = read_file_prefix(path, max_model_bytes(), "a model",
                                            [](const uint8_t* prefix, size_t prefix_size, uint64_t file_size) {
                                                return safetensors_extent(prefix, prefix_size, file_size);
                                            });
        return Model::load(bytes.data(), bytes.size());
    } catch (const Error& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

// Seeds are whole numbers 0..2^64-1 written out in full: CLI11 alone would wrap -1 to 2^64-1,
// clamp 2^64 and read "" as 0.
const CLI::Validator kSeed(
    [](std::string& text) -> std::string {
        const std::string most = std::to_string(UINT64_MAX);
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        const std::string trimmed = digits ? text.substr(std::min(text.find_first_not_of('0'), text.size() - 1)) : text;
        if (!digits || trimmed.size() > most.size() || (trimmed.size() == most.size() && trimmed > most))
            return "a seed is a whole number 0.." + most + ", got '" + text + "'";
        return {};
    },
    "SEED", "seed");

// --label K: a class index; -1 used to mean "every class" silently (which K exist, the file says).
const CLI::Validator kLabel(
    [](std::string& text) -> std::string {
        return !text.empty() && text[0] == '-' ? "a class index is 0 or more, got " + text : std::string();
    },
    "K", "label");

std::string output_path(const std::string& path) {
    const auto parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
    return path;
}

void add_train(CLI::App& app, int argc, char** argv) {
    auto* cmd = app.add_subcommand("train", "train a family member (see `ganzoo models`)");
    static std::string family, out, device, data;
    static int64_t epochs, steps, batch, width, z_dim, threads, limit, labels, checkpoint_every, log_every;
    static uint64_t seed;
    static double lr;
    static bool resume = false;
    static std::vector<std::string> settings;
    cmd->add_option("model", family, "family member, e.g. dcgan")->required();
    cmd->add_option("--out,-o", out, "run directory (default runs/<model>-<time>)");
    cmd->add_flag("--resume", resume, "continue the run in --out from its newest checkpoint");
    struct Int { const char* flag; int64_t* value; const char* key; const char* help; };
    const Int ints[] = {{"--epochs", &epochs, "epochs", "passes over the data"},
                        {"--steps", &steps, "steps", "stop after this many steps (overrides --epochs)"},
                        {"--batch", &batch, "batch", "images per step"},
                        {"--width", &width, "width", "base channel count of the networks"},
                        {"--z-dim", &z_dim, "z_dim", "latent dimensions"},
                        {"--threads", &threads, "threads", "CPU threads (0 = all cores)"},
                        {"--limit", &limit, "limit", "use only the first N training images (0 = all)"},
                        {"--labels", &labels, "labels", "improved-dcgan: semi-supervised, N labelled images (N/K per class)"},
                        {"--checkpoint-every", &checkpoint_every, "checkpoint_every", "steps between checkpoints"},
                        {"--log-every", &log_every, "log_every", "steps between progress lines off a terminal"}};
    static std::vector<std::pair<CLI::Option*, std::function<void(json&)>>> given;
    for (const auto& i : ints) {
        auto* option = cmd->add_option(i.flag, *i.value, i.help);
        const std::string key = i.key;
        int64_t* value = i.value;
        given.push_back({option, [key, value](json& o) { o[key] = *value; }});
    }
    given.push_back({cmd->add_option("--seed", seed, "seed of weights, batches and noise")->check(kSeed),
                     [](json& o) { o["seed"] = seed; }});
    given.push_back({cmd->add_option("--lr", lr, "learning rate"), [](json& o) { o["lr"] = lr; }});
    given.push_back({cmd->add_option("--device", device, "auto, cpu, cuda or cuda:N"),
                     [](json& o) { o["device"] = device; }});
    given.push_back({cmd->add_option("--data", data, "fashion-mnist (default) or a folder of images"),
                     [](json& o) { o["data"] = data; }});
    static std::string domains;
    given.push_back({cmd->add_option("--domains", domains, "CycleGAN: the two classes A,B to translate between (names or indices)"),
                     [](json& o) { o["domains"] = domains; }});
    cmd->add_option("--set", settings, "any recipe option as key=value (JSON value), e.g. --set beta1=0.5");
    static dist::Options distributed;
    cmd->add_option("--world-size", distributed.world_size, "data-parallel processes in all (docs/distributed.md; default 1)");
    cmd->add_option("--rank", distributed.rank, "this process's rank, 0 .. world-size - 1 (rank 0 writes the run directory)");
    cmd->add_option("--master", distributed.master, "rank 0's ADDR:PORT, where the ranks meet (TCPStore)");
    cmd->add_option("--dist-timeout", distributed.timeout_s, "seconds before a missing or silent rank is an error (default 300)");
    cmd->add_option("--rendezvous-timeout", distributed.rendezvous_timeout_s,
                    "seconds the ranks wait for each other to start (default: --dist-timeout)");
    cmd->add_option("--dist-backend", distributed.backend, "auto (NCCL on CUDA when built with it, else Gloo), gloo or nccl");
    cmd->add_option("--bucket-mb", distributed.bucket_mb, "gradients are all-reduced in flat buckets of this many MiB (default 25)");
    static std::string live;
    auto* live_option = cmd->add_option("--live", live,
                                        "write live/latest.safetensors and live/status.json for ganzoo serve and the "
                                        "studio's --follow: every 30 s, or every N steps (--live 500) or seconds "
                                        "(--live 45s, --live 2m)")
                            ->expected(0, 1);
    static std::vector<std::string> faults;  // for tests and benchmarks (train/fault_plan.hpp): not in the help
    cmd->add_option("--fault", faults, "")->group("");
    cmd->callback([argc, argv, live_option] {
        TrainRequest request;
        request.family = family;
        request.out = out;
        request.resume = resume;
        request.command = joined_command(argc, argv);
        request.overrides = json::object();
        for (auto& [option, apply] : given)
            if (option->count() > 0) apply(request.overrides);
        for (const auto& setting : settings) {
            const auto eq = setting.find('=');
            if (eq == std::string::npos || eq == 0)
                throw std::runtime_error("--set " + setting + ": expected key=value");
            const std::string value = setting.substr(eq + 1);
            json parsed = json::parse(value, nullptr, /*allow_exceptions=*/false);
            request.overrides[setting.substr(0, eq)] = parsed.is_discarded() ? json(value) : parsed;
        }
        if (request.resume && request.out.empty()) throw std::runtime_error("--resume needs --out RUN_DIR");
        request.dist = distributed;
        request.faults = FaultPlan::parse(faults);
        if (live_option->count() > 0) request.live = parse_live(live);
        dist::check_options(distributed);  // bad flags: one line without a rank prefix
        TrainSummary summary;
        try {
            summary = run_training(request);
        } catch (const std::exception& e) {
            if (!distributed.distributed()) throw;
            // Name the rank, once: the process group's own errors already do.
            std::string message = e.what();
            if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) message = c10->what_without_backtrace();
            if (message.rfind("rank ", 0) != 0)
                message = "rank " + std::to_string(distributed.rank) + " of " + std::to_string(distributed.world_size) + ": " + message;
            throw std::runtime_error(message);
        }
        if (summary.rank != 0) return;
        std::printf("trained %lld steps in %.1f s, %.1f images/s (%s, BLAS %s); run directory %s\n",
                    static_cast<long long>(summary.steps), summary.wall_s, summary.images_per_s,
                    summary.device.c_str(), summary.blas.c_str(), summary.run_dir.c_str());
        if (summary.world_size > 1 && summary.gradient_bytes_per_step == 0)  // only warm-up steps ran
            std::printf("data-parallel: %lld ranks (%s); the run was too short to time the all-reduce\n",
                        static_cast<long long>(summary.world_size), summary.backend.c_str());
        else if (summary.world_size > 1)
            std::printf("data-parallel: %lld ranks (%s), gradient all-reduce %.2f ms/step, %lld gradient bytes/step\n",
                        static_cast<long long>(summary.world_size), summary.backend.c_str(), summary.allreduce_ms_per_step,
                        static_cast<long long>(summary.gradient_bytes_per_step));
    });
}

void add_export(CLI::App& app) {
    auto* cmd = app.add_subcommand("export", "write a run's generator as a ganzoo .safetensors file");
    static std::string run, out, dtype = "f16", name;
    static bool raw = false;
    cmd->add_option("run", run, "run directory")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("-o,--output", out, "output file")->required();
    cmd->add_flag("--raw", raw, "export the live generator, not the average (when the run keeps one: recipe key ema)");
    cmd->add_option("--dtype", dtype, "f16 (default) or f32")->check(CLI::IsMember({"f16", "f32"}));
    cmd->add_option("--name", name, "model name (default <family>-<dataset>)");
    cmd->callback([] {
        auto loaded = load_run(run);
        RunExportOptions how;
        how.dtype = dtype == "f32" ? DType::F32 : DType::F16;
        how.name = name;
        how.raw = raw;
        if (fs::exists(run + "/summary.json")) {
            const auto bytes = read_file(run + "/summary.json");
            const auto summary = json::parse(bytes.begin(), bytes.end(), nullptr, false);
            if (!summary.is_discarded() && summary.contains("device") && summary["device"].is_string())
                how.device = summary["device"];
        }
        const auto bytes = export_run(*loaded.family, loaded.average.get(), loaded.config, loaded.step, loaded.wall_s, how);
        write_file_atomically(output_path(out), bytes);
        const auto model = Model::load(bytes.data(), bytes.size());
        const auto check = model.verify();
        std::printf("wrote %s (%s, %.2f MB, step %lld); core check: %s (max diff %.2e)\n", out.c_str(), dtype.c_str(),
                    bytes.size() / 1e6, static_cast<long long>(loaded.step), check.passed ? "passed" : "FAILED",
                    check.max_abs_diff);
        if (!check.passed) throw std::runtime_error("the exported file does not reproduce LibTorch: " + check.message);
    });
}

// The largest PNG written: 64 Mi pixels, 256 MiB of RGBA (stb needs about as much again to
// encode it). -n 4096 --scale 16 would be 30718x30718, 3.5 GiB, and ended in "PNG encoding failed".
constexpr int64_t kMaxPngPixels = int64_t{1} << 26;

// Nearest-neighbour enlargement, so 28-pixel samples can be looked at; 1 keeps exact pixels.
// The size is checked here, before the enlarged grid is allocated.
Grid enlarged(const Grid& grid, int scale) {
    const int64_t width = int64_t{grid.width} * scale, height = int64_t{grid.height} * scale;
    if (width * height > kMaxPngPixels)
        throw std::runtime_error("the PNG would be " + std::to_string(width) + "x" + std::to_string(height) + " pixels (" +
                                 std::to_string(width * height * 4 >> 20) + " MiB of RGBA), over the limit of " +
                                 std::to_string(kMaxPngPixels) + " pixels (" + std::to_string(kMaxPngPixels * 4 >> 20) +
                                 " MiB); lower --count or --scale");
    if (scale <= 1) return grid;
    Grid out;
    out.width = grid.width * scale;
    out.height = grid.height * scale;
    out.rgba.resize(static_cast<size_t>(out.width) * out.height * 4);
    for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x)
            std::copy_n(&grid.rgba[(static_cast<size_t>(y / scale) * grid.width + x / scale) * 4], 4,
                        &out.rgba[(static_cast<size_t>(y) * out.width + x) * 4]);
    return out;
}

// --net NAME: one of the file's graphs (ProGAN keeps one per resolution: G, G_4x4, ...).
std::string checked_net(const Model& model, const std::string& net) {
    const auto& nets = model.info().nets;
    if (std::find(nets.begin(), nets.end(), net) != nets.end()) return net;
    std::string known;
    for (const auto& n : nets) known += (known.empty() ? "" : ", ") + n;
    throw std::runtime_error("--net " + net + ": the file has no such net (it has " + known + ")");
}

// A code input the model declares (InfoGAN's c_cat, c_cont): its size per sample, categories
// (0: continuous) and range.
struct CodeInput {
    std::string name;
    int64_t size = 1, categories = 0;
    double lo = -1, hi = 1;
};

std::vector<CodeInput> code_inputs(const Model& model) {
    const json doc = json::parse(model.info().metadata_json);
    const json g_inputs = doc.at("nets").contains("G") ? doc["nets"]["G"].value("inputs", json::array()) : json::array();
    std::vector<CodeInput> codes;
    for (const auto& [name, decl] : doc.at("inputs").items()) {
        if (name == "z" || name == "label" || std::find(g_inputs.begin(), g_inputs.end(), name) == g_inputs.end())
            continue;
        CodeInput c{name};
        if (decl.contains("shape"))
            for (const auto& d : decl["shape"]) c.size *= d.get<int64_t>();
        else
            c.size = decl.value("dim", int64_t{1});
        c.categories = decl.value("categories", int64_t{0});
        if (decl.contains("range")) c.lo = decl["range"][0], c.hi = decl["range"][1];
        codes.push_back(c);
    }
    return codes;
}

// --code NAME=V[,V...] → one sample's values for each named code.
std::map<std::string, std::vector<float>> parse_codes(const Model& model, const std::vector<std::string>& options) {
    const auto declared = code_inputs(model);
    std::map<std::string, std::vector<float>> codes;
    for (const std::string& option : options) {
        const auto eq = option.find('=');
        const std::string name = option.substr(0, eq);
        const auto it = std::find_if(declared.begin(), declared.end(), [&](const CodeInput& c) { return c.name == name; });
        if (eq == std::string::npos || it == declared.end()) {
            std::string known;
            for (const auto& c : declared) known += (known.empty() ? "" : ", ") + c.name;
            throw std::runtime_error("--code '" + option + "': expected NAME=V[,V...] with NAME one of the model's codes (" +
                                     (known.empty() ? "it has none" : known) + ")");
        }
        std::vector<float> values;
        std::stringstream list(option.substr(eq + 1));
        for (std::string item; std::getline(list, item, ',');) {
            char* end = nullptr;
            const float v = std::strtof(item.c_str(), &end);
            if (item.empty() || *end != '\0' || !std::isfinite(v))
                throw std::runtime_error("--code " + name + ": '" + item + "' is not a number");
            values.push_back(v);
        }
        if (static_cast<int64_t>(values.size()) != it->size)
            throw std::runtime_error("--code " + name + ": takes " + std::to_string(it->size) + " value(s), got " +
                                     std::to_string(values.size()));
        codes[name] = values;
    }
    return codes;
}

// A grid of a conditional or coded model: one row per class (or per value of a categorical
// code), the same latent in every column's cells (so a column shows one "style" in every class);
// with a sweep, the columns run one continuous code value from its range's low to high end.
struct GridLayout {
    GenerateRequest request;
    int64_t columns = 0;
    std::string rows;  // what the rows are
};

GridLayout grid_layout(const Model& model, uint64_t seed, int64_t first, int64_t count, int64_t label,
                       int64_t columns, const std::vector<std::string>& code_options, const std::string& sweep) {
    GridLayout layout;
    GenerateRequest& r = layout.request;
    r.seed = seed;
    r.first_index = first;
    r.count = count;
    r.codes = parse_codes(model, code_options);
    const int64_t classes = model.info().num_classes;
    if (label >= 0 && classes == 0) throw std::runtime_error("--label: this model takes no label");
    if (label >= 0) r.labels = {label};
    const auto codes = code_inputs(model);

    // The row variable: the class, or the first categorical code not fixed by --code.
    std::string row_name;
    int64_t row_values = 0;
    if (classes > 0 && label < 0) {
        row_name = "label", row_values = classes;
    } else {
        for (const auto& c : codes)
            if (c.categories > 0 && !r.codes.count(c.name) && row_name.empty()) row_name = c.name, row_values = c.categories;
    }
    // The sweep: NAME or NAME:INDEX of a continuous code.
    const CodeInput* swept = nullptr;
    int64_t swept_index = 0;
    if (!sweep.empty()) {
        const auto colon = sweep.find(':');
        const std::string name = sweep.substr(0, colon);
        for (const auto& c : codes)
            if (c.name == name && c.categories == 0) swept = &c;
        if (!swept) throw std::runtime_error("--sweep " + sweep + ": the model has no continuous code '" + name + "'");
        if (colon != std::string::npos) {
            char* end = nullptr;
            swept_index = std::strtoll(sweep.c_str() + colon + 1, &end, 10);
            if (*end != '\0' || swept_index < 0 || swept_index >= swept->size)
                throw std::runtime_error("--sweep " + sweep + ": index must be 0.." + std::to_string(swept->size - 1));
        }
        if (r.codes.count(name) && swept->size == 1)
            throw std::runtime_error("--sweep " + name + ": it is also fixed by --code");
    }
    if (row_name.empty() && !swept) {  // unconditional: consecutive samples of the seed, square
        layout.columns = columns > 0 ? columns : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(count))));
        for (const auto& c : codes)
            if (!r.codes.count(c.name)) r.codes[c.name] = std::vector<float>(static_cast<size_t>(c.size), 0.0f);
        return layout;
    }

    layout.columns = columns > 0 ? columns : 10;
    const int64_t rows = row_values > 0 ? row_values : std::max<int64_t>(1, count / layout.columns);
    const int64_t n = rows * layout.columns;
    if (n > 4096) throw std::runtime_error("grid of " + std::to_string(n) + " samples: at most 4096 (lower --columns)");
    r.count = n;
    layout.rows = row_values > 0 ? "one row per " + std::string(row_name == "label" ? "class" : "value of " + row_name)
                                 : "one row per latent";
    // Latents: per column, or (in a sweep) per row when the rows are latents, else one for all.
    const int64_t dim = model.info().z_dim;
    Tensor z = Tensor::zeros({n, dim});
    for (int64_t i = 0; i < n; ++i) {
        const int64_t row = i / layout.columns, col = i % layout.columns;
        const int64_t index = first + (swept ? (row_values > 0 ? 0 : row) : col);
        const Tensor one = normal_latents(seed, index, 1, dim);
        std::copy(one.data.begin(), one.data.end(), z.data.begin() + i * dim);
    }
    r.z = z;
    // Every code gets per-sample values: the row variable, the sweep, the fixed or zero rest.
    std::map<std::string, std::vector<float>> per_sample;
    for (const auto& c : codes) {
        std::vector<float> one = r.codes.count(c.name) ? r.codes.at(c.name) : std::vector<float>(static_cast<size_t>(c.size), 0.0f);
        auto& all = per_sample[c.name];
        for (int64_t i = 0; i < n; ++i) {
            std::vector<float> v = one;
            if (c.name == row_name) v[0] = static_cast<float>(i / layout.columns);
            if (swept == &c)
                v[static_cast<size_t>(swept_index)] = static_cast<float>(
                    c.lo + (c.hi - c.lo) * (layout.columns > 1 ? double(i % layout.columns) / (layout.columns - 1) : 0.5));
            all.insert(all.end(), v.begin(), v.end());
        }
    }
    r.codes = per_sample;
    if (row_name == "label") {
        r.labels.clear();
        for (int64_t i = 0; i < n; ++i) r.labels.push_back(i / layout.columns);
    }
    if (swept) layout.rows += ", columns sweep " + swept->name + "[" + std::to_string(swept_index) + "]";
    return layout;
}

void add_sample(CLI::App& app) {
    auto* cmd = app.add_subcommand("sample", "generate a grid of samples through the inference core");
    static std::string file, out = "grid.png", sweep;
    static uint64_t seed = 0;
    static int64_t count = 64, first = 0, label = -1, columns = 0, scale = 1;
    static std::vector<std::string> codes;
    static std::string net = "G";
    cmd->add_option("file", file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--seed", seed, "latent seed (sample i of seed S is the same everywhere)")->check(kSeed);
    cmd->add_option("-n,--count", count, "number of samples")->check(CLI::Range(1, 4096));
    cmd->add_option("--first", first, "index of the first sample")->check(CLI::Range(int64_t{0}, int64_t{1} << 62));
    cmd->add_option("--label", label, "class for conditional models (default: one row per class)")->check(kLabel);
    cmd->add_option("--code", codes, "NAME=V[,V...]: a code's values (InfoGAN; default: rows of the categorical code, 0 for the rest)");
    cmd->add_option("--sweep", sweep, "NAME[:INDEX]: the columns sweep a continuous code over its range");
    cmd->add_option("--columns", columns, "grid columns (default: square; 10 for one row per class)")->check(CLI::Range(1, 4096));
    cmd->add_option("--scale", scale, "enlarge the PNG N times (nearest neighbour)")->check(CLI::Range(1, 16));
    cmd->add_option("--net", net, "the graph to run (default G; ProGAN also has G_4x4, G_8x8, G_16x16)");
    cmd->add_option("-o,--output", out, "PNG file");
    cmd->callback([] {
        const Model model = load_model_file(file);
        GridLayout layout = grid_layout(model, seed, first, count, label, columns, codes, sweep);
        layout.request.net = checked_net(model, net);
        const Tensor images = model.generate(layout.request);
        write_png(output_path(out), enlarged(tile_grid(images, model.info().range_lo, model.info().range_hi,
                                                       static_cast<int>(layout.columns)),
                                             int(scale)));
        std::printf("wrote %s: %lld samples of %s, seed %llu%s\n", out.c_str(),
                    static_cast<long long>(layout.request.count), printable(model.info().name).c_str(),
                    static_cast<unsigned long long>(seed), layout.rows.empty() ? "" : (" (" + layout.rows + ")").c_str());
    });
}

void add_interpolate(CLI::App& app) {
    auto* cmd = app.add_subcommand("interpolate", "a strip of samples between two seeds, through the inference core");
    static std::string file, out = "strip.png", mode = "slerp";
    static uint64_t from = 0, to = 1;
    static int64_t steps = 10, label = -1, iscale = 1;
    static bool slerp = false, lerp = false;
    static std::vector<std::string> icodes;
    static std::string inet = "G";
    cmd->add_option("file", file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--from", from, "seed of the first endpoint (its sample 0)")->check(kSeed);
    cmd->add_option("--to", to, "seed of the last endpoint (its sample 0)")->check(kSeed);
    cmd->add_option("--steps", steps, "images in the strip, endpoints included")->check(CLI::Range(2, 256));
    auto* mode_option = cmd->add_option("--mode", mode, "slerp (default) or lerp")->check(CLI::IsMember({"lerp", "slerp"}));
    auto* slerp_flag = cmd->add_flag("--slerp", slerp, "same as --mode slerp");
    cmd->add_flag("--lerp", lerp, "same as --mode lerp")->excludes(slerp_flag)->excludes(mode_option);
    slerp_flag->excludes(mode_option);
    cmd->add_option("--label", label, "class for conditional models (required by them)")->check(kLabel);
    cmd->add_option("--code", icodes, "NAME=V[,V...]: a code's values (InfoGAN; default 0)");
    cmd->add_option("--scale", iscale, "enlarge the PNG N times (nearest neighbour)")->check(CLI::Range(1, 16));
    cmd->add_option("--net", inet, "the graph to run (default G; ProGAN also has G_4x4, G_8x8, G_16x16)");
    cmd->add_option("-o,--output", out, "PNG file");
    cmd->callback([] {
        const Model model = load_model_file(file);
        const int64_t dim = model.info().z_dim;
        if (dim <= 0) throw std::runtime_error("interpolate: this model takes no latent z");
        const auto m = parse_interpolation_mode(lerp ? "lerp" : slerp ? "slerp" : mode);
        GenerateRequest request;
        request.net = checked_net(model, inet);
        request.count = steps;
        request.z = interpolate(normal_latents(from, 0, 1, dim), normal_latents(to, 0, 1, dim), steps, m);
        if (label >= 0 && model.info().num_classes == 0) throw std::runtime_error("--label: this model takes no label");
        if (label < 0 && model.info().num_classes > 0)
            throw std::runtime_error("this model is conditional: pass --label K (0.." +
                                     std::to_string(model.info().num_classes - 1) + ")");
        if (label >= 0) request.labels = {label};
        request.codes = parse_codes(model, icodes);
        for (const auto& c : code_inputs(model))
            if (!request.codes.count(c.name)) request.codes[c.name] = std::vector<float>(static_cast<size_t>(c.size), 0.0f);
        const Tensor images = model.generate(request);
        write_png(output_path(out), enlarged(tile_grid(images, model.info().range_lo, model.info().range_hi,
                                                       static_cast<int>(steps)),
                                             int(iscale)));
        std::printf("wrote %s: %lld steps from seed %llu to seed %llu (%s)\n", out.c_str(),
                    static_cast<long long>(steps), static_cast<unsigned long long>(from),
                    static_cast<unsigned long long>(to), m == InterpolationMode::Slerp ? "slerp" : "lerp");
    });
}

// A value of the file, cut to what a terminal can show: containers deeper than `depth` or
// longer than `items` are described by their size (a CycleGAN's examples hold 25,088 values).
json bounded(const json& value, int depth, size_t items) {
    if (value.is_string() && value.get_ref<const std::string&>().size() > 200)
        return value.get_ref<const std::string&>().substr(0, 200) + "... (" +
               std::to_string(value.get_ref<const std::string&>().size()) + " bytes)";
    if (!value.is_structured()) return value;
    const std::string kind = value.is_array() ? "an array of " + std::to_string(value.size()) + " items"
                                              : "an object of " + std::to_string(value.size()) + " fields";
    if (depth == 0 || value.size() > items) return "<" + kind + ">";
    json out = value.is_array() ? json::array() : json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (value.is_array()) out.push_back(bounded(*it, depth - 1, items));
        else out[it.key().substr(0, 100)] = bounded(*it, depth - 1, items);
    }
    return out;
}

// What `info` prints: the fields it knows in full (nets and check are for the core), anything
// else bounded. dump() escapes control characters, so nothing reaches the terminal raw.
json described(const json& doc) {
    static const char* const known[] = {"format", "version", "family", "name", "dataset", "inputs", "training"};
    json out = json::object();
    for (const char* key : known)
        if (doc.contains(key)) out[key] = bounded(doc[key], 6, 64);
    json others = json::object();
    for (auto it = doc.begin(); it != doc.end(); ++it)
        if (std::find(std::begin(known), std::end(known), it.key()) == std::end(known) && it.key() != "nets" &&
            it.key() != "check" && others.size() < 16)
            others[it.key().substr(0, 100)] = bounded(*it, 2, 16);
    if (!others.empty()) out["other fields"] = others;
    return out;
}

void add_inspect(CLI::App& app) {
    auto* info = app.add_subcommand("info", "print a model file's description");
    static std::string file;
    info->add_option("file", file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    info->callback([] {
        const Model model = load_model_file(file);
        // ASCII only: dump escapes C0 itself, and with ensure_ascii DEL and C1 (\u009b) too.
        std::cout << described(json::parse(model.info().metadata_json))
                         .dump(2, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace)
                  << "\n";
    });
    auto* report = app.add_subcommand("report", "rewrite a run directory's report.html (curves and grids)");
    static std::string rdir;
    report->add_option("run", rdir, "run directory")->required()->check(CLI::ExistingDirectory);
    report->callback([] {
        if (!fs::is_regular_file(rdir + "/log.csv"))
            throw std::runtime_error(rdir + ": no log.csv (not a run directory, or a run that has not trained a step)");
        write_report(rdir, rdir);
        std::printf("wrote %s/report.html\n", rdir.c_str());
    });
    auto* verify = app.add_subcommand("verify", "re-run the golden case the exporter stored in the file");
    static std::string vfile;
    verify->add_option("file", vfile, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    verify->callback([] {
        const Model model = load_model_file(vfile);
        const auto check = model.verify();
        std::printf("%s: %s (max diff %.3g, tolerance %.3g) %s\n", vfile.c_str(), check.passed ? "ok" : "FAILED",
                    check.max_abs_diff, check.tolerance, printable(check.message).c_str());
        if (!check.passed) throw std::runtime_error("verification failed");
    });
}

// `ganzoo launch -n N train ...`: N local ranks of the same training command, on a free
// loopback port unless --master says otherwise; a failing rank stops the launch with its status.
std::sig_atomic_t volatile g_launch_signal = 0;
void on_launch_signal(int signal) { g_launch_signal = signal; }

int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("launch: cannot open a socket to find a free port");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("launch: cannot find a free loopback port (pass --master ADDR:PORT)");
    return ntohs(address.sin_port);
}

void add_launch(CLI::App& app, char** argv) {
    auto* cmd = app.add_subcommand("launch", "run N local ranks of `ganzoo train` (data-parallel; docs/distributed.md)");
    static int64_t count = 2;
    static std::string master;
    static double grace = 30;
    cmd->add_option("-n,--nproc", count, "ranks to start on this machine")->check(CLI::Range(1, 1024));
    cmd->add_option("--master", master, "ADDR:PORT where the ranks meet (default 127.0.0.1 and a free port)");
    cmd->add_option("--grace", grace, "seconds the other ranks get to stop by themselves after one fails, then SIGKILL")
        ->check(CLI::Range(0.0, 86400.0));
    cmd->prefix_command();  // everything from `train` on is the command each rank runs
    cmd->callback([cmd, argv] {
        const std::vector<std::string> rest = cmd->remaining();
        if (rest.empty() || rest[0] != "train")
            throw std::runtime_error("launch: expected `ganzoo launch -n N train MODEL [options]`" +
                                     (rest.empty() ? std::string() : ", got '" + rest[0] + "'"));
        for (const auto& arg : rest)
            for (const char* own : {"--world-size", "--rank", "--master"})
                if (arg == own || arg.rfind(std::string(own) + "=", 0) == 0)
                    throw std::runtime_error(std::string("launch: ") + own + " is set by launch for each rank; leave it out of the train options");
        std::string endpoint = master.empty() ? "127.0.0.1:" + std::to_string(free_loopback_port()) : master;
        dist::Options check;
        check.world_size = count;
        check.master = endpoint;
        dist::check_options(check);

        std::vector<pid_t> pids;
        for (int64_t rank = 0; rank < count; ++rank) {
            std::vector<std::string> args{argv[0]};
            args.insert(args.end(), rest.begin(), rest.end());
            for (const std::string& extra : {std::string("--world-size"), std::to_string(count), std::string("--rank"),
                                             std::to_string(rank), std::string("--master"), endpoint})
                args.push_back(extra);
            const pid_t pid = ::fork();
            if (pid < 0) throw std::runtime_error("launch: fork failed for rank " + std::to_string(rank));
            if (pid == 0) {
                ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
                ::setenv("LOCAL_WORLD_SIZE", std::to_string(count).c_str(), 1);
                std::vector<char*> cargs;
                for (auto& a : args) cargs.push_back(a.data());
                cargs.push_back(nullptr);
                ::execv("/proc/self/exe", cargs.data());
                std::perror("ganzoo launch: exec");
                std::_Exit(127);
            }
            pids.push_back(pid);
        }
        std::signal(SIGINT, on_launch_signal);
        std::signal(SIGTERM, on_launch_signal);
        using clock = std::chrono::steady_clock;
        int64_t alive = count, failed_rank = -1;
        std::string failure;
        bool failure_by_signal = false, signalled = false;  // signalled: launch itself sent a signal
        std::vector<std::string> also;  // the other ranks that failed
        clock::time_point deadline{};
        while (alive > 0) {
            int status = 0;
            const pid_t pid = ::waitpid(-1, &status, WNOHANG);
            if (pid > 0) {
                const auto rank = std::find(pids.begin(), pids.end(), pid) - pids.begin();
                if (rank >= count) continue;
                pids[rank] = 0;
                --alive;
                const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
                if (!ok) {
                    const bool by_signal = WIFSIGNALED(status);
                    const std::string what = by_signal ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                                       : "exited with status " + std::to_string(WEXITSTATUS(status));
                    // The cause first: a rank killed by a signal, over one that exited with an
                    // error because its peer was gone (both can be reaped in either order).
                    if (failed_rank < 0 || (by_signal && !failure_by_signal && !signalled)) {
                        if (failed_rank >= 0) also.push_back("rank " + std::to_string(failed_rank) + " " + failure);
                        failed_rank = rank;
                        failure = what;
                        failure_by_signal = by_signal;
                    } else {
                        also.push_back("rank " + std::to_string(rank) + " " + what);
                    }
                    if (deadline == clock::time_point{})
                        deadline = clock::now() + std::chrono::milliseconds(static_cast<int64_t>(grace * 1000));
                }
                continue;
            }
            if (pid < 0 && errno != EINTR) break;
            if (const int signal = g_launch_signal) {
                g_launch_signal = 0;
                signalled = true;
                for (const pid_t p : pids)
                    if (p > 0) ::kill(p, signal);
            }
            if (failed_rank >= 0 && clock::now() > deadline) {
                signalled = true;
                for (const pid_t p : pids)
                    if (p > 0) ::kill(p, SIGKILL);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        if (failed_rank >= 0) {
            std::string others;
            for (const auto& a : also) others += (others.empty() ? " (then " : ", ") + a;
            throw std::runtime_error("launch: rank " + std::to_string(failed_rank) + " of " + std::to_string(count) + " " + failure +
                                     (others.empty() ? "" : others + ")"));
        }
    });
}

// `ganzoo translate`: image-to-image models (CycleGAN) through the inference core.
// An image of any size and colour becomes the model's input: converted to its channels, centre-
// cropped to its aspect ratio, then resized by area averaging (each output pixel the mean of the
// source pixels it covers).
std::vector<uint8_t> area_resize(const std::vector<uint8_t>& src, int64_t channels, int64_t sh, int64_t sw, int64_t th,
                                 int64_t tw) {
    // The centre crop with the target's aspect ratio.
    int64_t ch = sh, cw = sw, y0 = 0, x0 = 0;
    if (sh * tw > sw * th) {
        ch = std::max<int64_t>(1, sw * th / tw);
        y0 = (sh - ch) / 2;
    } else {
        cw = std::max<int64_t>(1, sh * tw / th);
        x0 = (sw - cw) / 2;
    }
    std::vector<uint8_t> out(static_cast<size_t>(channels * th * tw));
    for (int64_t c = 0; c < channels; ++c)
        for (int64_t y = 0; y < th; ++y)
            for (int64_t x = 0; x < tw; ++x) {
                const double fy0 = double(y) * ch / th, fy1 = double(y + 1) * ch / th;
                const double fx0 = double(x) * cw / tw, fx1 = double(x + 1) * cw / tw;
                double sum = 0, weight = 0;
                for (int64_t sy = static_cast<int64_t>(fy0); sy < fy1 && sy < ch; ++sy) {
                    const double wy = std::min<double>(sy + 1, fy1) - std::max<double>(sy, fy0);
                    for (int64_t sx = static_cast<int64_t>(fx0); sx < fx1 && sx < cw; ++sx) {
                        const double w = wy * (std::min<double>(sx + 1, fx1) - std::max<double>(sx, fx0));
                        sum += w * src[static_cast<size_t>((c * sh + y0 + sy) * sw + x0 + sx)];
                        weight += w;
                    }
                }
                out[static_cast<size_t>((c * th + y) * tw + x)] =
                    static_cast<uint8_t>(std::lround(weight > 0 ? sum / weight : 0.0));
            }
    return out;
}

void add_translate(CLI::App& app) {
    auto* cmd = app.add_subcommand("translate", "translate images with an image-to-image model (CycleGAN) through the inference core");
    static std::string file, input, direction = "AB", out = "translated.png";
    static bool examples = false;
    static int64_t scale = 1;
    cmd->add_option("file", file, "a ganzoo .safetensors file with nets G_AB and G_BA")->required()->check(CLI::ExistingFile);
    cmd->add_option("--input", input, "a PNG/JPEG/BMP image (any size and colour: converted to the model's shape)");
    cmd->add_option("--direction", direction, "AB (default: G_AB, domain A to B) or BA")->check(CLI::IsMember({"AB", "BA"}));
    cmd->add_flag("--examples", examples,
                  "the stored held-out images instead: rows x, G_AB(x), G_BA(G_AB(x)) for domain A, then the same from B");
    cmd->add_option("--scale", scale, "enlarge the PNG N times (nearest neighbour)")->check(CLI::Range(1, 16));
    cmd->add_option("-o,--output", out, "PNG file");
    cmd->callback([] {
        if (examples == !input.empty()) throw std::runtime_error("translate: give either --input IMAGE or --examples");
        const Model model = load_model_file(file);
        const ModelInfo& info = model.info();
        const json doc = json::parse(info.metadata_json);
        if (!metrics::is_translation_model(doc))
            throw std::runtime_error("translate: " + file + " is not an image-to-image model (it has no inputs.image.domains)");
        const auto domains = metrics::translation_domains(doc);
        const float lo = info.range_lo, hi = info.range_hi;
        if (examples) {
            Tensor a = metrics::stored_examples(doc, "A", info.channels, info.height, info.width);
            Tensor b = metrics::stored_examples(doc, "B", info.channels, info.height, info.width);
            const int64_t columns = std::max(a.dim(0), b.dim(0)), per = info.channels * info.height * info.width;
            // Six rows of `columns`: a short domain's row is padded with the range's low end.
            Tensor grid = Tensor::zeros({6 * columns, info.channels, info.height, info.width});
            std::fill(grid.data.begin(), grid.data.end(), lo);
            int64_t row = 0;
            for (const auto& [x, there, back] : {std::tuple{&a, "G_AB", "G_BA"}, std::tuple{&b, "G_BA", "G_AB"}}) {
                const Tensor y = model.translate(*x, there);
                const Tensor z = model.translate(y, back);
                for (const Tensor* t : {static_cast<const Tensor*>(x), &y, &z})
                    std::copy(t->data.begin(), t->data.end(), grid.data.begin() + (row++) * columns * per);
            }
            write_png(output_path(out), enlarged(tile_grid(grid, lo, hi, static_cast<int>(columns)), static_cast<int>(scale)));
            std::printf("wrote %s: rows %s, G_AB, G_BA(G_AB); %s, G_BA, G_AB(G_BA) (%lld held-out images each)\n", out.c_str(),
                        printable(domains[0]).c_str(), printable(domains[1]).c_str(), (long long)columns);
            return;
        }
        if (info.channels != 1 && info.channels != 3)
            throw std::runtime_error("translate: the model's images have " + std::to_string(info.channels) + " channels (1 or 3 can be read)");
        data::DecodedImage image;
        try {
            image = data::decode_image(read_file(input), input, static_cast<int>(info.channels));
        } catch (const data::DataError& e) {
            throw std::runtime_error(std::string("translate: ") + e.what());
        }
        const auto pixels = area_resize(image.pixels, info.channels, image.height, image.width, info.height, info.width);
        Tensor x = Tensor::zeros({1, info.channels, info.height, info.width});
        for (size_t i = 0; i < pixels.size(); ++i) x.data[i] = lo + (hi - lo) * static_cast<float>(pixels[i]) / 255.0f;
        const Tensor y = model.translate(x, direction == "AB" ? "G_AB" : "G_BA");
        write_png(output_path(out), enlarged(tile_grid(y, lo, hi, 1), static_cast<int>(scale)));
        std::printf("wrote %s: %s -> %s (%lldx%lld input as %lldx%lld)\n", out.c_str(),
                    printable(domains[direction == "AB" ? 0 : 1]).c_str(), printable(domains[direction == "AB" ? 1 : 0]).c_str(),
                    (long long)image.width, (long long)image.height, (long long)info.width, (long long)info.height);
    });
}

void add_train_classifier(CLI::App& app, int argc, char** argv) {
    auto* cmd = app.add_subcommand("train-classifier",
                                   "train the Fashion-MNIST classifier that `ganzoo eval` measures samples with");
    static ClassifierOptions o;
    cmd->add_option("-o,--output", o.output, "the classifier file (default web/models/classifier.safetensors)");
    cmd->add_option("--epochs", o.epochs, "passes over the train split (default 6)")->check(CLI::Range(1, 1000));
    cmd->add_option("--batch", o.batch, "images per step (default 128)")->check(CLI::Range(1, 65536));
    cmd->add_option("--lr", o.lr, "Adam's initial learning rate, decayed linearly to 0 (default 2e-3)");
    cmd->add_option("--seed", o.seed, "seed of weights, batches and flips")->check(kSeed);
    cmd->add_option("--threads", o.threads, "LibTorch threads (default: all cores)")->check(CLI::Range(0, 1024));
    cmd->add_option("--data", o.data, "fashion-mnist (default) or a folder of images, one subfolder per class");
    cmd->add_option("--limit", o.limit, "train on the first N images only (smoke tests)");
    cmd->callback([argc, argv] {
        o.command = joined_command(argc, argv);
        const auto r = train_classifier(o);
        std::printf("wrote %s: test accuracy %.2f%% after %lld steps, %.0f s\n", o.output.c_str(),
                    100.0 * r.test_accuracy, static_cast<long long>(r.steps), r.wall_s);
    });
}

// The classifier: the given path, else the shipped one (from the working directory or the source tree).
std::string classifier_path(const std::string& given) {
    if (!given.empty()) return given;
    for (const std::string& candidate :
         {std::string("web/models/classifier.safetensors"), std::string(GANZOO_SOURCE_DIR) + "/web/models/classifier.safetensors"})
        if (fs::exists(candidate)) return candidate;
    throw std::runtime_error("eval: no classifier at web/models/classifier.safetensors: train one with "
                             "`ganzoo train-classifier` or pass --classifier FILE");
}

void add_eval(CLI::App& app) {
    auto* cmd = app.add_subcommand("eval", "a model's metrics: FD-FMNIST (classifier features, not Inception), IS, "
                                           "class histogram, the member's own metric");
    static std::string file, classifier_file;
    static metrics::EvalOptions o;
    static bool as_json = false;
    cmd->add_option("file", file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--classifier", classifier_file, "the classifier (default web/models/classifier.safetensors)");
    cmd->add_option("-n,--count", o.count, "generated images, and train images for the floor (default 10000)")
        ->check(CLI::Range(2, 60000));
    cmd->add_option("--seed", o.seed, "latent seed of the generated images (default 1)")->check(kSeed);
    cmd->add_option("--data", o.data, "the real images (default fashion-mnist: its test split)");
    cmd->add_flag("--json", as_json, "print one JSON object instead of the table");
    cmd->add_option("--swd-images", o.swd_images,
                    "images per set for the sliced Wasserstein distance (default 4096, at most -n; 0: no SWD)")
        ->check(CLI::Range(int64_t(0), int64_t(60000)));
    cmd->add_option("--swd-per-image", o.swd_per_image, "SWD descriptors (7x7 neighbourhoods) per image per level (default 8)")
        ->check(CLI::Range(int64_t(1), int64_t(1024)));
    static std::string run_dir;
    cmd->add_option("--run", run_dir, "also append the result as one JSON line to RUN/metrics.jsonl and refresh RUN/report.html")
        ->check(CLI::ExistingDirectory);
    cmd->callback([] {
        const Model model = load_model_file(file);
        const metrics::Classifier classifier(load_model_file(classifier_path(classifier_file)));
        const bool tty = ::isatty(2);
        std::string last_stage;
        o.progress = [&](const std::string& stage, int64_t done, int64_t total) {
            if (!tty) {
                if (done == total) std::fprintf(stderr, "eval: %s %lld/%lld\n", stage.c_str(), (long long)done, (long long)total);
                return;
            }
            const int width = 30, filled = static_cast<int>(width * done / std::max<int64_t>(1, total));
            std::fprintf(stderr, "\r%-9s [%s%s] %lld/%lld", stage.c_str(), std::string(filled, '#').c_str(),
                         std::string(width - filled, '.').c_str(), (long long)done, (long long)total);
            if (done == total) std::fprintf(stderr, "\n");
        };
        const json r = metrics::evaluate(model, classifier, o);
        if (!run_dir.empty()) {
            // The StyleGAN2 habit: every evaluation one JSON line in the run; report.html shows the latest.
            const std::string path = run_dir + "/metrics.jsonl";
            std::string lines;
            if (fs::exists(path)) {
                const auto bytes = read_file(path);
                lines.assign(bytes.begin(), bytes.end());
                if (!lines.empty() && lines.back() != '\n') lines += '\n';
            }
            const auto now = std::chrono::system_clock::now();
            const std::time_t t = std::chrono::system_clock::to_time_t(now);
            char stamp[32];
            std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
            const json line = {{"time", stamp}, {"model", file}, {"family", model.info().family}, {"metrics", r}};
            write_text_atomically(path, lines + line.dump() + "\n");
            write_report(run_dir, run_dir);
            std::fprintf(stderr, "eval: appended to %s, rewrote %s/report.html\n", path.c_str(), run_dir.c_str());
        }
        if (as_json) {
            std::printf("%s\n", r.dump().c_str());
            return;
        }
        if (r.contains("cycle_l1_a")) {  // an image-to-image model (metrics/translation.hpp)
            const auto a = r["domains"][0].get<std::string>(), b = r["domains"][1].get<std::string>();
            std::printf("%s (%s), test split: %lld %s, %lld %s\n", printable(model.info().name).c_str(),
                        printable(model.info().family).c_str(), (long long)r["count_a"].get<int64_t>(), printable(a).c_str(),
                        (long long)r["count_b"].get<int64_t>(), printable(b).c_str());
            std::printf("  classified as the target class: A->B %.2f%%, B->A %.2f%%   (untranslated: %.2f%%, %.2f%%)\n",
                        100 * r["target_fraction_ab"].get<double>(), 100 * r["target_fraction_ba"].get<double>(),
                        100 * r["target_fraction_ab_untranslated"].get<double>(),
                        100 * r["target_fraction_ba_untranslated"].get<double>());
            std::printf("  cycle L1 |x - G_BA(G_AB(x))| on [-1, 1]: A %.4f, B %.4f\n", r["cycle_l1_a"].get<double>(),
                        r["cycle_l1_b"].get<double>());
            std::printf("  FD-FMNIST G_AB(test A) vs test B: %.3f, G_BA(test B) vs test A: %.3f   (test A vs test B: %.3f)\n",
                        r["fd_ab"].get<double>(), r["fd_ba"].get<double>(), r["fd_untranslated"].get<double>());
            return;
        }
        std::printf("%s (%s), %lld samples of seed %llu\n", printable(model.info().name).c_str(),
                    printable(model.info().family).c_str(),
                    (long long)o.count, (unsigned long long)o.seed);
        std::printf("  FD-FMNIST (classifier features, not Inception): %.3f   (floor, %lld train images vs test: %.3f)\n",
                    r["fd_fmnist"].get<double>(), (long long)o.count, r["fd_floor"].get<double>());
        std::printf("  classifier Inception Score: %.3f   (test images: %.3f)\n", r["inception_score"].get<double>(),
                    r["inception_score_test"].get<double>());
        std::printf("  class histogram:");
        for (size_t k = 0; k < r["class_histogram"].size(); ++k)
            std::printf(" %s %.1f%%", printable(r["classes"][k].get<std::string>()).c_str(),
                        100.0 * r["class_histogram"][k].get<double>() / o.count);
        std::printf("\n");
        if (r.contains("class_accuracy")) {
            std::printf("  class accuracy (the classifier agrees with the asked label): %.2f%% (",
                        100.0 * r["class_accuracy"].get<double>());
            for (size_t c = 0; c < r["class_accuracy_per_class"].size(); ++c)
                std::printf("%s%s %.1f%%", c ? ", " : "", printable(r["classes"][c].get<std::string>()).c_str(),
                            100.0 * r["class_accuracy_per_class"][c].get<double>());
            std::printf(")\n");
        }
        if (r.contains("code_class_accuracy")) {
            std::printf("  categorical code vs classes, best one-to-one mapping: %.2f%% (", 100.0 * r["code_class_accuracy"].get<double>());
            bool first = true;
            for (const auto& [code, name] : r["code_to_class"].items())
                std::printf("%s%s→%s", first ? "" : ", ", code.c_str(), name.get<std::string>().c_str()), first = false;
            std::printf(")\n");
        }
        if (r.contains("q_accuracy"))
            std::printf("  Q recovers the categorical code from G's images: %.2f%%\n", 100.0 * r["q_accuracy"].get<double>());
        if (r.contains("mi_categorical"))
            std::printf("  mutual information, lower bound H(c) - E[-log Q(c|x)]: categorical %.3f nats (of log K = %.3f)\n",
                        r["mi_categorical"].get<double>(), r["mi_categorical_max"].get<double>());
        if (r.contains("mi_continuous")) {
            std::printf("  mutual information, lower bound, continuous codes (<= 0: Q reads nothing):");
            for (size_t j = 0; j < r["mi_continuous"].size(); ++j)
                std::printf(" c%zu %.3f nats (MSE %.4f)", j, r["mi_continuous"][j].get<double>(), r["q_continuous_mse"][j].get<double>());
            std::printf("\n");
        }
        if (r.contains("ssl_d_accuracy"))
            std::printf("  semi-supervised, %lld labels: D's test accuracy %.2f%%, a classifier of D's architecture on the same labels alone %.2f%%\n",
                        static_cast<long long>(r["ssl_labels"].get<int64_t>()), 100.0 * r["ssl_d_accuracy"].get<double>(),
                        100.0 * r["ssl_baseline_accuracy"].get<double>());
        if (r.contains("q_cluster_accuracy")) {
            std::printf("  Q's categorical head clustering the real test images, best one-to-one mapping: %.2f%% (",
                        100.0 * r["q_cluster_accuracy"].get<double>());
            bool first = true;
            for (const auto& [code, name] : r["q_cluster_to_class"].items())
                std::printf("%s%s→%s", first ? "" : ", ", code.c_str(), name.get<std::string>().c_str()), first = false;
            std::printf(")\n");
        }
        if (r.contains("swd")) {
            auto row = [&](const char* label, const char* key, const char* average) {
                std::printf("    %-42s", label);
                for (const auto& d : r[key]) std::printf(" %8.2f", d.get<double>());
                std::printf("   average %.2f\n", r[average].get<double>());
            };
            std::printf("  SWD x10^3 per level (finest -> coarsest:");
            for (const auto& side : r["swd_resolutions"]) std::printf(" %lld", (long long)side.get<int64_t>());
            std::printf(" px), %lld images, %lld descriptors/image/level, %lld directions:\n",
                        (long long)r["swd_images"].get<int64_t>(), (long long)r["swd_descriptors_per_image"].get<int64_t>(),
                        (long long)r["swd_directions"].get<int64_t>());
            row("generated vs test", "swd", "swd_average");
            row("floor (train vs test)", "swd_floor", "swd_floor_average");
        }
        std::printf("  (classifier test accuracy %.2f%%)\n", 100.0 * r["classifier_test_accuracy"].get<double>());
    });
}

// Every failure is one line on stderr: "ganzoo: error: what failed".
void report_error(std::string message) {
    for (char& c : message)
        if (c == '\n' || c == '\r') c = ' ';
    while (!message.empty() && message.back() == ' ') message.pop_back();
    std::cerr << "ganzoo: error: " << printable(message) << std::endl;
}

}  // namespace

// LibTorch's OpenMP threads spin while they wait. With anything else running on the machine
// that makes training steps ~10x slower here (382 vs ~30 images/s measured on 2 cores with a
// compiler running beside it). libgomp reads OMP_WAIT_POLICY once, when it is loaded, before
// main(): so when the user has not chosen a policy, choose PASSIVE and start again.
void prefer_passive_openmp(char** argv) {
    if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    ::execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}

int main(int argc, char** argv) {
    prefer_passive_openmp(argv);
    // A peer rank that dies mid-send must give a clear "all-reduce failed" (EPIPE from Gloo's
    // socket), not kill this rank by SIGPIPE: the rehearsal on a fresh Debian (docs/fresh-check.md)
    // caught rank 0 "killed by signal 13". Python ignores SIGPIPE too, so PyTorch ranks see the same.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"ganzoo: train GANs with LibTorch, run them anywhere through one small core"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "ganzoo 0.1.0");
    auto* models = app.add_subcommand("models", "list the family members");
    models->callback([] {
        for (const auto& f : families()) std::printf("%-15s %s\n", f.name.c_str(), f.title.c_str());
    });
    add_train(app, argc, argv);
    add_export(app);
    add_sample(app);
    add_interpolate(app);
    add_inspect(app);
    add_launch(app, argv);
    add_train_classifier(app, argc, argv);
    add_eval(app);
    add_translate(app);
    ganzoo::cli::add_serve(app);
    // After a process group existed, destructors may wait on peers that are gone: leave at once.
    auto leave = [](int code) {
        if (dist::process_group_created()) {
            std::cout.flush();
            std::cerr.flush();
            std::_Exit(code);
        }
        return code;
    };
    try {
        // CLI11 would answer "A subcommand is required" to a misspelt command: name it instead.
        if (argc > 1 && argv[1][0] != '-') {
            std::string known;
            bool found = false;
            for (const auto* sub : app.get_subcommands({})) {
                known += (known.empty() ? "" : ", ") + sub->get_name();
                found = found || sub->get_name() == argv[1];
            }
            if (!found) {
                report_error("unknown command '" + std::string(argv[1]) + "' (commands: " + known + ")");
                return 2;
            }
        }
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // Usage errors: one line and exit status 2 (CLI11 would add a second line and use its own codes).
        report_error(std::string(e.what()) + " (see ganzoo --help)");
        return 2;
    } catch (const c10::Error& e) {
        report_error(e.what_without_backtrace());
        return leave(1);
    } catch (const std::exception& e) {
        report_error(e.what());
        return leave(1);
    }
    return 0;
}
