#include "train/run_directory.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ganzoo/image.hpp"
#include "ganzoo/latent.hpp"
#include "train/report.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;

namespace ganzoo::train {

// log.csv: a header from the first step's stats, then one row per step. On resume the rows
// after the checkpoint's step are dropped, so the log never holds a step twice.
class StepLog {
public:
    StepLog(const std::string& path, int64_t resume_step) : path_(path) {
        if (resume_step > 0 && fs::exists(path)) {
            // A run killed mid-write can leave a torn last row: keep only whole rows (ending in a
            // newline, as many fields as the header) of steps 1..resume_step, in order.
            const auto bytes = read_file(path);
            const std::string text(bytes.begin(), bytes.end());
            size_t begin = text.find('\n');
            header_ = text.substr(0, begin == std::string::npos ? 0 : begin);
            const auto fields = std::count(header_.begin(), header_.end(), ',');
            std::string kept;
            int64_t expected = 1;
            while (begin != std::string::npos && !header_.empty()) {
                const size_t end = text.find('\n', begin + 1);
                if (end == std::string::npos) break;
                const std::string line = text.substr(begin + 1, end - begin - 1);
                begin = end;
                char* stop = nullptr;
                const long long step = std::strtoll(line.c_str(), &stop, 10);
                if (step != expected || *stop != ',' || std::count(line.begin(), line.end(), ',') != fields) break;
                if (step > resume_step) break;
                kept += line + "\n";
                ++expected;
            }
            write_text_atomically(path, header_.empty() ? std::string() : header_ + "\n" + kept);
        } else if (fs::exists(path)) {
            fs::remove(path);
        }
        out_.open(path, std::ios::app);
        if (!out_) throw std::runtime_error(path + ": cannot open for writing");
    }

    void append(int64_t step, int64_t epoch, const models::StepStats& stats, double images_per_s, double elapsed_s,
                int64_t critic_per_g) {
        if (header_.empty()) {
            header_ = critic_per_g > 0 ? "critic_step,epoch" : "step,epoch";
            for (const auto& s : stats) header_ += "," + s.first;
            header_ += ",images_per_s,elapsed_s";
            if (critic_per_g > 0) header_ += ",generator_step";
            out_ << header_ << "\n" << std::flush;
        }
        // A run resumed from a log written before the column existed keeps its columns.
        static const std::string kGenerator = ",generator_step";
        const bool generator_column = header_.size() > kGenerator.size() &&
                                      header_.compare(header_.size() - kGenerator.size(), kGenerator.size(), kGenerator) == 0;
        std::string row = std::to_string(step) + "," + std::to_string(epoch);
        char number[32];
        for (const auto& s : stats) {
            std::snprintf(number, sizeof number, "%.6g", s.second);
            row += std::string(",") + number;
        }
        std::snprintf(number, sizeof number, "%.1f,%.2f", images_per_s, elapsed_s);
        row += std::string(",") + number;
        if (generator_column) row += "," + std::to_string(critic_per_g > 0 ? step / critic_per_g : step);
        row += "\n";
        // One write per row: a killed run leaves whole rows, never a torn one.
        out_ << row << std::flush;
    }

    void flush() { out_.flush(); }

private:
    std::string path_, header_;
    std::ofstream out_;
};

namespace {

constexpr int kCheckpointVersion = 1;

// What a checkpoint was written by: the member's name (as bytes) and every parameter's shape,
// so that a resume with another member's or another width's checkpoint is refused with the
// shapes named, before LibTorch's load fails inside ('unflatten: ...', 'INTERNAL ASSERT FAILED').
torch::Tensor name_tensor(const std::string& name) {
    return torch::tensor(std::vector<int64_t>(name.begin(), name.end()), torch::kLong);
}

std::string shape_text(c10::IntArrayRef shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

void save_record(models::GanFamily& family, const std::string& family_name, torch::serialize::OutputArchive& archive) {
    archive.write("family", name_tensor(family_name));
    torch::serialize::OutputArchive shapes;
    for (const auto& [net, module] : family.networks())
        for (const auto& p : module->named_parameters())
            shapes.write(net + "." + p.key(), torch::tensor(p.value().sizes().vec(), torch::kLong));
    archive.write("shapes", shapes);
}

void check_record(models::GanFamily& family, const std::string& family_name, torch::serialize::InputArchive& archive,
                  const std::string& path) {
    torch::Tensor written;
    if (!archive.try_read("family", written)) return;  // written before the record existed
    const auto bytes = written.to(torch::kCPU);
    std::string name;
    for (int64_t i = 0; i < bytes.numel(); ++i) name += static_cast<char>(bytes[i].item<int64_t>());
    if (name != family_name)
        throw std::runtime_error(path + ": a checkpoint of " + name + ", but this run trains " + family_name +
                                 " (a checkpoint from another run?)");
    torch::serialize::InputArchive shapes;
    if (!archive.try_read("shapes", shapes)) return;
    for (const auto& [net, module] : family.networks())
        for (const auto& p : module->named_parameters()) {
            const std::string key = net + "." + p.key();
            torch::Tensor stored;
            if (!shapes.try_read(key, stored))
                throw std::runtime_error(path + ": the checkpoint has no " + key + " (" + shape_text(p.value().sizes()) +
                                         " in this run's networks): a checkpoint from another run or recipe?");
            const auto dims = stored.to(torch::kCPU).contiguous();
            const std::vector<int64_t> saved(dims.data_ptr<int64_t>(), dims.data_ptr<int64_t>() + dims.numel());
            if (c10::IntArrayRef(saved) != p.value().sizes())
                throw std::runtime_error(path + ": the checkpoint's " + key + " is " + shape_text(saved) +
                                         ", this run's config builds " + shape_text(p.value().sizes()) +
                                         " (a checkpoint from another run, or a changed --width?)");
        }
}

// `average`: the generator average, saved beside the model when averaging is on.
void save_checkpoint(models::GanFamily& family, const std::string& family_name, const models::GeneratorAverage* average,
                     const std::string& dir, const Checkpoint& state) {
    torch::serialize::OutputArchive archive;
    archive.write("version", torch::tensor(static_cast<int64_t>(kCheckpointVersion)));
    save_record(family, family_name, archive);
    archive.write("step", torch::tensor(state.step));
    archive.write("wall_s", torch::tensor(state.wall_s, torch::kDouble));
    torch::serialize::OutputArchive model;
    family.save(model);
    archive.write("model", model);
    if (average) {
        torch::serialize::OutputArchive ema;
        average->save(ema);
        archive.write("ema", ema);
    }
    std::vector<uint8_t> payload;
    archive.save_to([&payload](const void* data, size_t size) {
        payload.insert(payload.end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
        return size;
    });
    // Checksummed, then written to latest.pt.tmp and renamed: a kill at any moment leaves the
    // previous checkpoint or the new one, and a damaged file is refused on load, never half-read.
    write_file_atomically(dir + "/latest.pt", seal_checkpoint(payload));
}

// A checkpoint without an average (written before averaging was on) starts it at the loaded G.
Checkpoint load_checkpoint(models::GanFamily& family, const std::string& family_name, models::GeneratorAverage* average,
                           const std::string& dir, torch::Device device) {
    const std::string path = dir + "/latest.pt";
    if (!fs::exists(path))
        throw std::runtime_error(path + ": no checkpoint to resume from (start without --resume)");
    torch::serialize::InputArchive archive;
    Checkpoint state;
    try {
        const auto payload = open_checkpoint(read_file(path), path);
        archive.load_from(reinterpret_cast<const char*>(payload.data()), payload.size(), device);
        torch::Tensor version, step, wall;
        archive.read("version", version);
        if (version.item<int64_t>() != kCheckpointVersion)
            throw std::runtime_error("checkpoint version " + std::to_string(version.item<int64_t>()) +
                                     " is not " + std::to_string(kCheckpointVersion));
        check_record(family, family_name, archive, path);
        archive.read("step", step);
        archive.read("wall_s", wall);
        state.step = step.item<int64_t>();
        state.wall_s = wall.item<double>();
        torch::serialize::InputArchive model;
        archive.read("model", model);
        family.load(model);
        if (average) {
            torch::serialize::InputArchive ema;
            if (archive.try_read("ema", ema))
                average->load(ema);
            else
                average->reset();
        }
    } catch (const c10::Error& e) {
        throw std::runtime_error(path + ": cannot load checkpoint (" + std::string(e.what_without_backtrace()) + ")");
    }
    return state;
}

// With `average` (averaging on), the grid is the averaged generator's, as export writes it.
void write_sample_grid(models::GanFamily& family, models::GeneratorAverage* average, const json& config, const std::string& path) {
    const auto applied = average ? average->apply(average_refresh_seed(config)) : nullptr;
    const auto count = models::config_value<int64_t>(config, "sample_count");
    const auto latents = normal_latents(models::config_value<uint64_t>(config, "sample_seed"), 0, count, family.z_dim());
    const auto z = torch::from_blob(const_cast<float*>(latents.data.data()), {count, family.z_dim()},
                                    torch::kFloat);
    const int64_t columns = family.grid_columns(count);
    const auto images =
        family.sample(z, family.grid_inputs(count, columns)).to(torch::kCPU, torch::kFloat).contiguous();
    ganzoo::Tensor batch{std::vector<int64_t>(images.sizes().begin(), images.sizes().end()),
                         std::vector<float>(images.data_ptr<float>(), images.data_ptr<float>() + images.numel())};
    write_png(path, tile_grid(batch, -1.0f, 1.0f, static_cast<int>(columns)));
}

// PATH.tmp files a failed write left (a full disk; a kill between the write and the rename):
// never a file's only copy, since the rename publishes it, but they hold the space the next
// write may need. Removed under the run's lock, before anything is written.
void remove_stale_temporaries(const std::string& run_dir) {
    std::error_code error;
    for (fs::recursive_directory_iterator it(run_dir, error), end; !error && it != end; it.increment(error)) {
        std::error_code kind;
        if (it->path().extension() == ".tmp" && it->is_regular_file(kind)) fs::remove(it->path(), kind);
    }
}

}  // namespace

RunDirectory::RunDirectory(std::string path, bool writer) : path_(std::move(path)), writer_(writer) {}

RunDirectory::~RunDirectory() = default;

void RunDirectory::refuse_overwrite(bool resume) const {
    if (!resume && fs::exists(checkpoints() + "/latest.pt"))
        throw std::runtime_error(path_ + " already holds a run: pass --resume to continue it, or choose another --out");
}

void RunDirectory::open(bool resume) {
    if (!writer_) return;  // the other ranks of a launch share rank 0's directory
    fs::create_directories(checkpoints());
    fs::create_directories(path_ + "/samples");
    lock_.emplace(path_);
    remove_stale_temporaries(path_);
    refuse_overwrite(resume);  // again under the lock: another train may have started the run since
}

void RunDirectory::write_config(const json& config) {
    if (writer_) write_text_atomically(path_ + "/config.json", config.dump(2) + "\n");
}

void RunDirectory::open_log(int64_t resume_step) {
    if (writer_) log_ = std::make_unique<StepLog>(path_ + "/log.csv", resume_step);
}

void RunDirectory::log_step(int64_t step, int64_t epoch, const models::StepStats& stats, double images_per_s, double elapsed_s,
                            int64_t critic_per_g) {
    if (log_) log_->append(step, epoch, stats, images_per_s, elapsed_s, critic_per_g);
}

void RunDirectory::flush_log() {
    if (log_) log_->flush();
}

void RunDirectory::save_checkpoint(models::GanFamily& family, const std::string& family_name, const models::GeneratorAverage* average,
                                   const Checkpoint& state) {
    if (!writer_) return;
    flush_log();
    train::save_checkpoint(family, family_name, average, checkpoints(), state);
}

Checkpoint RunDirectory::load_checkpoint(models::GanFamily& family, const std::string& family_name, models::GeneratorAverage* average,
                                         torch::Device device) const {
    return train::load_checkpoint(family, family_name, average, checkpoints(), device);
}

void RunDirectory::write_epoch(models::GanFamily& family, models::GeneratorAverage* average, const json& options, int64_t epoch,
                               const std::string& family_name) {
    if (!writer_) return;
    char name[64];
    std::snprintf(name, sizeof name, "/samples/epoch_%03lld.png", static_cast<long long>(epoch));
    write_sample_grid(family, average, options, path_ + name);
    flush_log();
    write_report(path_, family_name + " — " + path_);
}

void RunDirectory::write_summary(const json& summary) {
    if (writer_) write_text_atomically(path_ + "/summary.json", summary.dump(2) + "\n");
}

}  // namespace ganzoo::train
