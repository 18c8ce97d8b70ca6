// Projection (ganzoo/project.hpp): Adam on z and the continuous codes through generate_backward,
// every start and every discrete candidate (label, categorical code) a row of one batch, the
// candidates cut to the best few after the first part of the steps.
#include "ganzoo/project.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "ganzoo/error.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/thread_pool.hpp"

namespace ganzoo {
namespace {

// The schedule's constants (StyleGAN2's projector.py; docs/projection.md).
constexpr double kRampUp = 0.05, kRampDown = 0.25;
constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEpsilon = 1e-8;
constexpr int64_t kMaxStarts = 64, kMaxRows = 1024, kMaxThreads = 256;

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s;
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
    return s;
}

// The loss of a batch of images against one target, and dL/d(images); what every step evaluates.
class Objective {
public:
    Objective(const Model& generator, const std::string& net, const Tensor& target, const ProjectWeights& weights,
              const Model* classifier)
        : g_(generator), net_(net), w_(weights) {
        const ModelInfo& info = generator.info();
        const NetInfo* n = info.net(net);
        if (!n) throw Error("project: model '" + info.name + "' has no net '" + net + "'");
        image_ = n->output_shape;
        if (image_.size() != 3) throw Error("project: net '" + net + "' draws " + shape_text(image_) + " values, not images");
        per_ = image_[0] * image_[1] * image_[2];
        std::vector<int64_t> given = target.shape;
        if (given.size() == 4 && given[0] == 1) given.erase(given.begin());
        if (given != image_ || static_cast<int64_t>(target.data.size()) != per_)
            throw Error("project: the target is " + shape_text(target.shape) + ", net '" + net + "' draws " +
                        shape_text(image_) + " images");
        for (const float v : target.data)
            if (!std::isfinite(v)) throw Error("project: the target holds a value that is not finite");
        target_ = target.data;
        if (classifier && w_.perceptual != 0) setup_classifier(*classifier, info);
    }

    bool perceptual() const { return classifier_ != nullptr; }
    int64_t per_image() const { return per_; }
    const std::vector<int64_t>& image_shape() const { return image_; }

    // Losses of each sample of `req` (and, with `gradients`, dL_total/d(inputs) with the prior's
    // part in z).
    // With `images`, the images too (with gradients, they are gradients->output).
    std::vector<ProjectLoss> evaluate(const GenerateRequest& req, GenerateGradients* gradients,
                                      Tensor* images = nullptr) const {
        std::vector<ProjectLoss> losses;
        if (gradients) {
            *gradients = g_.generate_backward(req, [&](const Tensor& y) { return image_terms(y, losses, true); });
            if (images) *images = gradients->output;
        } else {
            Tensor y = g_.generate(req);
            image_terms(y, losses, false);
            if (images) *images = std::move(y);
        }
        add_prior(req, losses, gradients);
        return losses;
    }

private:
    void setup_classifier(const Model& classifier, const ModelInfo& info) {
        const ModelInfo& c = classifier.info();
        const NetInfo* f = c.net("features");
        const InputInfo* in = c.input("image");
        if (!f || !in || f->inputs != std::vector<std::string>{"image"} || in->shape.size() != 3)
            throw Error("project: the classifier '" + c.name + "' has no net 'features' on an 'image' input");
        cshape_ = in->shape;
        const int64_t dy = image_[1] - cshape_[1], dx = image_[2] - cshape_[2];
        if (cshape_[0] != image_[0] || dy % 2 != 0 || dx % 2 != 0)
            throw Error("project: the classifier reads " + shape_text(cshape_) + " images, net '" + net_ + "' draws " +
                        shape_text(image_) + " (a size is centre-cropped or padded only by an even margin)");
        my_ = dy / 2;
        mx_ = dx / 2;
        pad_ = info.range_lo;
        classifier_ = &classifier;
        Tensor t({1, image_[0], image_[1], image_[2]}, target_);
        target_features_ = classifier.run("features", {{"image", adapt(t)}}).data;
        d_ = static_cast<int64_t>(target_features_.size());
    }

    // Images [n, C, H, W] → the classifier's [n, C, Hc, Wc]: the centre (margin my_, mx_ > 0), or
    // padded with the range's low end (< 0), as `ganzoo eval` crops ProGAN's 32×32 to 28×28.
    Tensor adapt(const Tensor& images) const {
        const int64_t n = images.dim(0), c = image_[0], h = image_[1], w = image_[2], hc = cshape_[1], wc = cshape_[2];
        Tensor out({n, c, hc, wc}, std::vector<float>(static_cast<size_t>(n * c * hc * wc), pad_));
        for (int64_t p = 0; p < n * c; ++p)
            for (int64_t y = 0; y < hc; ++y)
                for (int64_t x = 0; x < wc; ++x) {
                    const int64_t sy = y + my_, sx = x + mx_;
                    if (sy >= 0 && sy < h && sx >= 0 && sx < w) out.data[(p * hc + y) * wc + x] = images.data[(p * h + sy) * w + sx];
                }
        return out;
    }
    // adapt's transpose: the classifier's input gradient added into dy [n, C, H, W].
    void adapt_back(const Tensor& grad, Tensor& dy) const {
        const int64_t n = dy.dim(0), c = image_[0], h = image_[1], w = image_[2], hc = cshape_[1], wc = cshape_[2];
        for (int64_t p = 0; p < n * c; ++p)
            for (int64_t y = 0; y < hc; ++y)
                for (int64_t x = 0; x < wc; ++x) {
                    const int64_t sy = y + my_, sx = x + mx_;
                    if (sy >= 0 && sy < h && sx >= 0 && sx < w) dy.data[(p * h + sy) * w + sx] += grad.data[(p * hc + y) * wc + x];
                }
    }

    // The pixel and perceptual terms of each image of y, and their dL/dy when `want`.
    Tensor image_terms(const Tensor& y, std::vector<ProjectLoss>& losses, bool want) const {
        const int64_t n = y.dim(0);
        losses.assign(static_cast<size_t>(n), {});
        Tensor dy = want ? Tensor::zeros(y.shape) : Tensor{};
        const double pixel_scale = w_.pixel / static_cast<double>(per_);
        for (int64_t i = 0; i < n; ++i) {
            double sum = 0;
            for (int64_t k = 0; k < per_; ++k) {
                const double e = double(y.data[i * per_ + k]) - target_[k];
                sum += e * e;
                if (want) dy.data[i * per_ + k] = static_cast<float>(2 * pixel_scale * e);
            }
            losses[i].pixel = pixel_scale * sum;
        }
        if (classifier_) {
            const double scale = w_.perceptual / static_cast<double>(d_);
            auto feature_terms = [&](const Tensor& f) {
                Tensor df = want ? Tensor::zeros(f.shape) : Tensor{};
                for (int64_t i = 0; i < n; ++i) {
                    double sum = 0;
                    for (int64_t k = 0; k < d_; ++k) {
                        const double e = double(f.data[i * d_ + k]) - target_features_[k];
                        sum += e * e;
                        if (want) df.data[i * d_ + k] = static_cast<float>(2 * scale * e);
                    }
                    losses[i].perceptual = scale * sum;
                }
                return df;
            };
            const Tensor x = adapt(y);
            if (want) {
                const RunGradients r = classifier_->run_backward("features", {{"image", x}}, feature_terms);
                adapt_back(r.inputs.at("image"), dy);
            } else {
                feature_terms(classifier_->run("features", {{"image", x}}));
            }
        }
        return dy;
    }

    void add_prior(const GenerateRequest& req, std::vector<ProjectLoss>& losses, GenerateGradients* gradients) const {
        for (auto& l : losses) l.total = l.pixel + l.perceptual;
        if (!req.z || w_.prior == 0) return;
        const int64_t n = req.z->dim(0), d = req.z->dim(1);
        for (int64_t i = 0; i < n; ++i) {
            double s = 0;
            for (int64_t k = 0; k < d; ++k) s += double(req.z->data[i * d + k]) * req.z->data[i * d + k];
            const double excess = s / static_cast<double>(d) - 1;
            losses[i].prior = w_.prior * excess * excess;
            losses[i].total += losses[i].prior;
            if (gradients && !gradients->z.data.empty())
                for (int64_t k = 0; k < d; ++k)
                    gradients->z.data[i * d + k] +=
                        static_cast<float>(w_.prior * 4 * excess * req.z->data[i * d + k] / static_cast<double>(d));
        }
    }

    const Model& g_;
    std::string net_;
    ProjectWeights w_;
    std::vector<int64_t> image_;
    int64_t per_ = 0;
    std::vector<float> target_;
    const Model* classifier_ = nullptr;
    std::vector<int64_t> cshape_;
    int64_t my_ = 0, mx_ = 0, d_ = 0;
    float pad_ = -1.0f;
    std::vector<float> target_features_;
};

// The net's z, or a one-line refusal: an image-to-image model, a net without z or with an image input.
std::string checked_net(const ModelInfo& info, const std::string& requested) {
    const std::string net = requested.empty() ? info.default_net() : requested;
    if (info.translates() && requested.empty())
        throw Error("project: model '" + info.name +
                    "' translates images (nets G_AB, G_BA: CycleGAN-shaped) and has no latent z to project onto");
    const NetInfo* n = info.net(net);
    if (!n) {
        std::string known;
        for (const auto& k : info.nets) known += (known.empty() ? "" : ", ") + k;
        throw Error("project: model '" + info.name + "' has no net '" + net + "' (nets: " + known + ")");
    }
    if (!n->takes("z") || info.z_dim <= 0)
        throw Error("project: net '" + net + "' of model '" + info.name + "' takes no latent z to project onto" +
                    (info.translates() ? " (it translates images)" : ""));
    for (const InputInfo* c : info.conditions(net))
        if (c->kind == InputKind::Image)
            throw Error("project: net '" + net + "' takes an image input '" + c->name + "'; only generators of z are projected");
    return net;
}

// Rows [first, first + n) of a batch request whose z and labels are per row or one for all,
// and whose codes are per row or one row's values for all (sizes from the model's inputs).
GenerateRequest slice_rows(const ModelInfo& info, const GenerateRequest& req, int64_t first, int64_t n) {
    GenerateRequest s = req;
    s.count = n;
    if (req.z) {
        const int64_t d = req.z->dim(1);
        s.z = Tensor({n, d}, std::vector<float>(req.z->data.begin() + first * d, req.z->data.begin() + (first + n) * d));
    }
    if (req.labels.size() > 1) s.labels.assign(req.labels.begin() + first, req.labels.begin() + first + n);
    for (auto& [name, values] : s.codes) {
        const InputInfo* in = info.input(name);
        const int64_t size = in ? in->size : 1;
        if (static_cast<int64_t>(values.size()) == req.count * size && req.count > 1)
            values.assign(req.codes.at(name).begin() + first * size, req.codes.at(name).begin() + (first + n) * size);
    }
    return s;
}

// `part`'s rows appended to `all` along the batch (the first part moved in whole).
void append_rows(Tensor& all, Tensor&& part) {
    if (all.shape.empty()) {
        all = std::move(part);
        return;
    }
    all.shape[0] += part.shape.empty() ? 0 : part.shape[0];
    all.data.insert(all.data.end(), part.data.begin(), part.data.end());
}

// Objective::evaluate over the request's rows in up to `threads` slices on `pool`, gathered
// in row order. Rows are independent in every op of the core (each value summed in the same
// order whatever the batch), so the losses, images and gradients are those of one call, bit for bit.
std::vector<ProjectLoss> evaluate_rows(const Objective& objective, const ModelInfo& info, const GenerateRequest& req,
                                       ThreadPool& pool, int64_t threads, GenerateGradients* gradients, Tensor* images) {
    const int64_t rows = req.count, parts = std::min({static_cast<int64_t>(pool.size()), threads, rows});
    if (parts <= 1) return objective.evaluate(req, gradients, images);
    std::vector<std::vector<ProjectLoss>> losses(static_cast<size_t>(parts));
    std::vector<GenerateGradients> grads(static_cast<size_t>(parts));
    std::vector<Tensor> outs(static_cast<size_t>(parts));
    pool.run([&](int part) {
        if (part >= parts) return;
        const int64_t first = rows * part / parts, last = rows * (part + 1) / parts;
        const auto p = static_cast<size_t>(part);
        losses[p] = objective.evaluate(slice_rows(info, req, first, last - first), gradients ? &grads[p] : nullptr,
                                       images ? &outs[p] : nullptr);
    });
    std::vector<ProjectLoss> all;
    if (gradients) *gradients = GenerateGradients{};
    if (images) *images = Tensor{};
    for (size_t p = 0; p < static_cast<size_t>(parts); ++p) {
        all.insert(all.end(), losses[p].begin(), losses[p].end());
        if (images) append_rows(*images, std::move(outs[p]));
        if (!gradients) continue;
        append_rows(gradients->output, std::move(grads[p].output));
        append_rows(gradients->z, std::move(grads[p].z));
        append_rows(gradients->label_weights, std::move(grads[p].label_weights));
        for (auto& [name, t] : grads[p].codes) append_rows(gradients->codes[name], std::move(t));
    }
    return all;
}

double learning_rate(double peak, int64_t step, int64_t steps) {
    const double t = (static_cast<double>(step) + 0.5) / static_cast<double>(steps);
    const double pi = 3.14159265358979323846;
    const double down = 0.5 - 0.5 * std::cos(pi * std::min(1.0, (1.0 - t) / kRampDown));
    return peak * std::min(1.0, t / kRampUp) * down;
}

// Keeps the rows `kept` (ascending) of a row-major array of `per` values a row, in place.
template <class T>
void keep_rows(std::vector<T>& values, const std::vector<int64_t>& kept, int64_t per) {
    size_t to = 0;
    for (const int64_t r : kept)
        for (int64_t i = 0; i < per; ++i) values[to++] = values[static_cast<size_t>(r * per + i)];
    values.resize(to);
}

// Adam on one block of parameters (every row's), with its moments; keep() drops the rows the
// search's cut leaves out.
struct AdamBlock {
    std::vector<double> m, v;
    explicit AdamBlock(size_t n) : m(n, 0.0), v(n, 0.0) {}
    void keep(const std::vector<int64_t>& kept, int64_t per) {
        keep_rows(m, kept, per);
        keep_rows(v, kept, per);
    }
    void step(std::vector<float>& x, const std::vector<float>& grad, double lr, int64_t t) {
        const double c1 = 1 - std::pow(kBeta1, static_cast<double>(t)), c2 = 1 - std::pow(kBeta2, static_cast<double>(t));
        for (size_t i = 0; i < x.size(); ++i) {
            m[i] = kBeta1 * m[i] + (1 - kBeta1) * grad[i];
            v[i] = kBeta2 * v[i] + (1 - kBeta2) * double(grad[i]) * grad[i];
            x[i] = static_cast<float>(x[i] - lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + kEpsilon));
        }
    }
};

}  // namespace

std::vector<ProjectLoss> projection_loss(const Model& generator, const GenerateRequest& request, const Tensor& target,
                                         const ProjectWeights& weights, const Model* classifier, GenerateGradients* gradients) {
    const std::string net = checked_net(generator.info(), request.net);
    GenerateRequest req = request;
    req.net = net;
    if (!req.z) req.z = normal_latents(req.seed, req.first_index, req.count, generator.info().z_dim);
    if (req.truncation != 1.0f) throw Error("project: the loss is of untruncated z (truncation 1)");
    return Objective(generator, net, target, weights, classifier).evaluate(req, gradients);
}

// The state of one projection between steps (ganzoo/project.hpp: Projector).
struct Projector::State {
    struct Discrete {
        const InputInfo* input;
        std::vector<int64_t> values;
    };

    const Model& generator;
    const ModelInfo& info;
    const ProjectOptions o;
    std::string net;
    std::optional<Objective> objective;
    std::vector<Discrete> discrete;                    // searched: the label, categorical codes
    std::vector<const InputInfo*> continuous;          // optimised with z
    std::map<std::string, std::vector<float>> fixed;   // held as given
    int64_t candidates = 1, rows = 0, dz = 0, per = 0;
    // The batch. Before the cut, row r = candidate r / starts, start r % starts (the search's row
    // r); after it, the kept candidates' rows in that order: row_ids maps the batch's rows to the
    // search's.
    GenerateRequest req;
    std::vector<int64_t> row_ids;
    int64_t cut = 0;  // the step whose losses cut the search (0: no cut)
    int64_t keep = 0;
    int64_t evaluations = 0;
    std::vector<int64_t> snap_steps;
    std::vector<std::vector<float>> snaps;
    std::vector<std::vector<int64_t>> snap_rows;  // the search's rows whose images snaps[j] holds
    std::vector<std::vector<double>> history;  // [search row][step] total loss, up to last_step
    std::vector<int64_t> last_step;            // [search row] the last step it was evaluated at
    std::vector<ProjectLoss> first;
    std::optional<ThreadPool> own;
    ThreadPool* pool = nullptr;
    std::optional<AdamBlock> adam_z;
    std::vector<AdamBlock> adam_c;
    int64_t step_ = 0;

    State(const Model& generator, const Tensor& target, const ProjectOptions& options, const Model* classifier)
        : generator(generator), info(generator.info()), o(options) {
        net = checked_net(info, o.net);
        if (o.steps < 1) throw Error("project: steps must be 1 or more, got " + std::to_string(o.steps));
        if (o.starts < 1 || o.starts > kMaxStarts)
            throw Error("project: starts must be 1.." + std::to_string(kMaxStarts) + ", got " + std::to_string(o.starts));
        if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate)) throw Error("project: the learning rate must be > 0");
        if (o.threads < 1 || o.threads > kMaxThreads)
            throw Error("project: threads must be 1.." + std::to_string(kMaxThreads) + ", got " + std::to_string(o.threads));
        if (o.search_keep < 0) throw Error("project: search_keep must be 0 (no cut) or more, got " + std::to_string(o.search_keep));
        if (!(o.search_fraction > 0 && o.search_fraction <= 1))
            throw Error("project: search_fraction must be in (0, 1], got " + std::to_string(o.search_fraction));
        objective.emplace(generator, net, target, o.weights, classifier);

        // The net's other inputs: discrete ones searched (or fixed), continuous codes optimised (or fixed).
        bool takes_label = false;
        for (const InputInfo* c : info.conditions(net)) {
            const auto given = o.codes.find(c->name);
            if (c->kind == InputKind::Label) {
                takes_label = true;
                if (o.label && (*o.label < 0 || *o.label >= c->categories))
                    throw Error("project: label " + std::to_string(*o.label) + " is outside 0.." + std::to_string(c->categories - 1) +
                                " (" + describe_values(*c, info) + ")");
                Discrete d{c, {}};
                if (o.label) d.values = {*o.label};
                else
                    for (int64_t k = 0; k < c->categories; ++k) d.values.push_back(k);
                discrete.push_back(d);
            } else if (given != o.codes.end()) {
                if (static_cast<int64_t>(given->second.size()) != c->size)
                    throw Error("project: code '" + c->name + "' takes " + describe_values(*c, info) + ", got " +
                                std::to_string(given->second.size()) + " values");
                for (const float v : given->second)
                    if (!std::isfinite(v) || (c->kind == InputKind::Categorical && (v != std::floor(v) || v < 0 || v >= c->categories)))
                        throw Error("project: code '" + c->name + "' takes " + describe_values(*c, info));
                fixed[c->name] = given->second;
            } else if (c->kind == InputKind::Categorical) {
                if (c->size != 1) throw Error("project: categorical code '" + c->name + "' of more than one value is not searched; fix it");
                Discrete d{c, {}};
                for (int64_t k = 0; k < c->categories; ++k) d.values.push_back(k);
                discrete.push_back(d);
            } else {
                continuous.push_back(c);
            }
        }
        if (o.label && !takes_label) throw Error("project: net '" + net + "' takes no label");
        for (const auto& [name, values] : o.codes)
            if (!info.net(net)->takes(name) || name == "z" || name == "label")
                throw Error("project: net '" + net + "' takes no code '" + name + "'");

        // Candidates: every combination of the discrete values, the first input varying slowest.
        candidates = 1;
        for (const Discrete& d : discrete) candidates *= static_cast<int64_t>(d.values.size());
        if (candidates * o.starts > kMaxRows)
            throw Error("project: " + std::to_string(candidates) + " label/code combinations x " + std::to_string(o.starts) +
                        " starts are over " + std::to_string(kMaxRows) + " rows; fix the label or a code, or use fewer starts");
        rows = candidates * o.starts;
        dz = info.z_dim;
        row_ids.resize(static_cast<size_t>(rows));
        for (int64_t r = 0; r < rows; ++r) row_ids[static_cast<size_t>(r)] = r;
        if (o.search_keep > 0 && o.search_keep < candidates) {
            const int64_t at = std::max<int64_t>(1, std::llround(o.search_fraction * static_cast<double>(o.steps)));
            if (at < o.steps) cut = at, keep = o.search_keep;
        }

        // The batch: row r = candidate r / starts, start r % starts (sample `start` of the seed).
        req.net = net;
        req.count = rows;
        const Tensor starts_z = normal_latents(o.seed, 0, o.starts, dz);
        req.z = Tensor::zeros({rows, dz});
        for (int64_t r = 0; r < rows; ++r)
            std::copy_n(starts_z.data.begin() + (r % o.starts) * dz, dz, req.z->data.begin() + r * dz);
        for (size_t j = 0; j < discrete.size(); ++j) {
            std::vector<float> values;
            std::vector<int64_t> labels;
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t v = candidate_value(r / o.starts, j);
                labels.push_back(v);
                values.push_back(static_cast<float>(v));
            }
            if (discrete[j].input->kind == InputKind::Label) req.labels = labels;
            else req.codes[discrete[j].input->name] = values;
        }
        for (const auto& [name, values] : fixed) req.codes[name] = values;
        for (size_t k = 0; k < continuous.size(); ++k) {
            const InputInfo& c = *continuous[k];
            std::vector<float> values(static_cast<size_t>(rows * c.size));
            // Start s: a uniform draw over the declared range (a stream of its own per code); a code
            // without a range starts at its default.
            const Tensor u = uniform_latents(splitmix64(o.seed + k + 1), 0, o.starts, c.size);
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t i = 0; i < c.size; ++i)
                    values[static_cast<size_t>(r * c.size + i)] =
                        c.has_range ? static_cast<float>(c.lo + (c.hi - c.lo) * u.data[(r % o.starts) * c.size + i])
                                    : (c.default_values.empty() ? 0.0f : c.default_values[static_cast<size_t>(i)]);
            req.codes[c.name] = values;
        }

        // Snapshot steps: k evenly spaced from 0 to steps.
        const int64_t k = std::max<int64_t>(2, o.snapshots);
        for (int64_t j = 0; j < k; ++j) {
            const int64_t s = static_cast<int64_t>(std::llround(static_cast<double>(j) * o.steps / static_cast<double>(k - 1)));
            if (snap_steps.empty() || s != snap_steps.back()) snap_steps.push_back(s);
        }
        per = objective->per_image();
        snaps.resize(snap_steps.size());
        snap_rows.resize(snap_steps.size());
        history.assign(static_cast<size_t>(rows), std::vector<double>(static_cast<size_t>(o.steps + 1)));
        last_step.assign(static_cast<size_t>(rows), 0);
        pool = o.pool ? o.pool : &own.emplace(static_cast<int>(std::min<int64_t>(o.threads, rows)));
        adam_z.emplace(req.z->data.size());
        for (const InputInfo* c : continuous) adam_c.emplace_back(req.codes[c->name].size());
    }

    // The value of discrete input `which` in candidate `candidate` (the first input varying slowest).
    int64_t candidate_value(int64_t candidate, size_t which) const {
        int64_t rest = candidate;
        for (size_t j = discrete.size(); j-- > which + 1;) rest /= static_cast<int64_t>(discrete[j].values.size());
        return discrete[which].values[static_cast<size_t>(rest % static_cast<int64_t>(discrete[which].values.size()))];
    }

    void record(int64_t step, const std::vector<ProjectLoss>& losses, const Tensor* images) {
        evaluations += rows;
        for (int64_t r = 0; r < rows; ++r) {
            const auto id = static_cast<size_t>(row_ids[static_cast<size_t>(r)]);
            history[id][static_cast<size_t>(step)] = losses[static_cast<size_t>(r)].total;
            last_step[id] = step;
        }
        const auto at = std::find(snap_steps.begin(), snap_steps.end(), step);
        if (at != snap_steps.end() && images) {
            snaps[static_cast<size_t>(at - snap_steps.begin())] = images->data;
            snap_rows[static_cast<size_t>(at - snap_steps.begin())] = row_ids;
        }
    }

    // The search's cut, on the losses of step `cut` (before its update): the `keep` candidates
    // whose best start has the lowest loss (the first of equals) go on; the other rows leave the
    // batch, with their Adam state and this step's gradients.
    void cut_search(const std::vector<ProjectLoss>& losses, GenerateGradients& g) {
        std::vector<double> best(static_cast<size_t>(candidates), 0.0);
        for (int64_t c = 0; c < candidates; ++c) {
            best[static_cast<size_t>(c)] = losses[static_cast<size_t>(c * o.starts)].total;
            for (int64_t s = 1; s < o.starts; ++s)
                best[static_cast<size_t>(c)] = std::min(best[static_cast<size_t>(c)], losses[static_cast<size_t>(c * o.starts + s)].total);
        }
        std::vector<int64_t> order(static_cast<size_t>(candidates));
        for (int64_t c = 0; c < candidates; ++c) order[static_cast<size_t>(c)] = c;
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return best[static_cast<size_t>(a)] < best[static_cast<size_t>(b)]; });
        std::vector<bool> kept_candidate(static_cast<size_t>(candidates), false);
        for (int64_t i = 0; i < keep; ++i) kept_candidate[static_cast<size_t>(order[static_cast<size_t>(i)])] = true;
        std::vector<int64_t> kept;  // batch rows, ascending
        for (int64_t r = 0; r < rows; ++r)
            if (kept_candidate[static_cast<size_t>(r / o.starts)]) kept.push_back(r);

        keep_rows(req.z->data, kept, dz);
        keep_rows(g.z.data, kept, dz);
        adam_z->keep(kept, dz);
        if (!req.labels.empty()) keep_rows(req.labels, kept, 1);
        for (auto& [name, values] : req.codes)
            if (!fixed.count(name)) keep_rows(values, kept, static_cast<int64_t>(values.size()) / rows);
        for (size_t j = 0; j < continuous.size(); ++j) {
            const int64_t size = continuous[j]->size;
            keep_rows(g.codes.at(continuous[j]->name).data, kept, size);
            adam_c[j].keep(kept, size);
        }
        keep_rows(row_ids, kept, 1);
        rows = static_cast<int64_t>(kept.size());
        req.count = rows;
        req.z->shape = {rows, dz};
    }

    bool step(const ProjectProgress& progress) {
        if (step_ >= o.steps) return false;
        const int64_t step = step_++;
        GenerateGradients g;
        const std::vector<ProjectLoss> losses = evaluate_rows(*objective, info, req, *pool, o.threads, &g, nullptr);
        if (step == 0) first = losses;
        record(step, losses, &g.output);
        size_t low = 0;  // the best row of this step (for the live view)
        for (size_t r = 1; r < losses.size(); ++r)
            if (losses[r].total < losses[low].total) low = r;
        if (progress) progress(step + 1, o.steps, losses[low].total, g.output.data.data() + static_cast<int64_t>(low) * per);
        if (step == cut && cut > 0) cut_search(losses, g);
        const double lr = learning_rate(o.learning_rate, step, o.steps);
        adam_z->step(req.z->data, g.z.data, lr, step + 1);
        for (size_t j = 0; j < continuous.size(); ++j) {
            const InputInfo& c = *continuous[j];
            std::vector<float>& values = req.codes[c.name];
            adam_c[j].step(values, g.codes.at(c.name).data, lr, step + 1);
            if (c.has_range)
                for (float& v : values) v = static_cast<float>(std::clamp<double>(v, c.lo, c.hi));
        }
        return step_ < o.steps;
    }

    ProjectResult result() {
        if (step_ < o.steps) throw Error("project: the result is asked for after " + std::to_string(step_) + " of " +
                                         std::to_string(o.steps) + " steps");
        {
            Tensor images;
            const std::vector<ProjectLoss> losses = evaluate_rows(*objective, info, req, *pool, o.threads, nullptr, &images);
            record(o.steps, losses, &images);
        }

        // The winner: the lowest final loss (the first of equals), among the rows still in the batch.
        int64_t best = 0;
        const auto final_loss = [&](int64_t r) { return history[static_cast<size_t>(row_ids[static_cast<size_t>(r)])].back(); };
        for (int64_t r = 1; r < rows; ++r)
            if (final_loss(r) < final_loss(best)) best = r;
        const int64_t id = row_ids[static_cast<size_t>(best)];  // its row in the search

        ProjectResult result;
        GenerateRequest& out = result.request;
        out.net = net;
        out.count = 1;
        out.z = Tensor({1, dz}, std::vector<float>(req.z->data.begin() + best * dz, req.z->data.begin() + (best + 1) * dz));
        if (!req.labels.empty()) out.labels = {req.labels[static_cast<size_t>(best)]};
        for (const auto& [name, values] : req.codes) {
            if (fixed.count(name)) {
                out.codes[name] = values;
                continue;
            }
            const int64_t size = static_cast<int64_t>(values.size()) / rows;
            out.codes[name].assign(values.begin() + best * size, values.begin() + (best + 1) * size);
        }
        result.image = generator.generate(out);
        result.final = objective->evaluate(out, nullptr).front();
        result.initial = first[static_cast<size_t>(id)];
        result.losses = history[static_cast<size_t>(id)];
        result.losses.back() = result.final.total;
        result.start = id % o.starts;
        result.snapshot_steps = snap_steps;
        const std::vector<int64_t>& shape = objective->image_shape();
        result.snapshots = Tensor::zeros({static_cast<int64_t>(snap_steps.size()), shape[0], shape[1], shape[2]});
        for (size_t j = 0; j < snap_steps.size(); ++j) {
            const auto at = std::find(snap_rows[j].begin(), snap_rows[j].end(), id);  // the winner ran every step
            std::copy_n(snaps[j].begin() + (at - snap_rows[j].begin()) * per, per, result.snapshots.data.begin() + static_cast<int64_t>(j) * per);
        }
        std::copy(result.image.data.begin(), result.image.data.end(), result.snapshots.data.end() - per);  // the last: the image
        for (int64_t c = 0; c < candidates; ++c) {
            ProjectResult::Candidate cand;
            for (size_t j = 0; j < discrete.size(); ++j) {
                const int64_t v = candidate_value(c, j);
                if (discrete[j].input->kind == InputKind::Label) cand.label = v;
                else cand.categories[discrete[j].input->name] = v;
            }
            for (int64_t s = 0; s < o.starts; ++s) {
                const auto r = static_cast<size_t>(c * o.starts + s);
                cand.steps = last_step[r];
                if (s == 0) cand.losses.assign(history[r].begin(), history[r].begin() + cand.steps + 1);
                for (int64_t t = 0; t <= cand.steps; ++t)
                    cand.losses[static_cast<size_t>(t)] = std::min(cand.losses[static_cast<size_t>(t)], history[r][static_cast<size_t>(t)]);
            }
            cand.loss = cand.losses.back();
            result.candidates.push_back(cand);
        }
        result.evaluations = evaluations;
        return result;
    }
};

Projector::Projector(const Model& generator, const Tensor& target, const ProjectOptions& options, const Model* classifier)
    : s_(std::make_unique<State>(generator, target, options, classifier)) {}
Projector::~Projector() = default;
Projector::Projector(Projector&&) noexcept = default;
Projector& Projector::operator=(Projector&&) noexcept = default;
bool Projector::step(const ProjectProgress& progress) { return s_->step(progress); }
int64_t Projector::done() const { return s_->step_; }
int64_t Projector::steps() const { return s_->o.steps; }
ProjectResult Projector::result() { return s_->result(); }

ProjectResult project(const Model& generator, const Tensor& target, const ProjectOptions& o, const Model* classifier,
                      const ProjectProgress& progress) {
    Projector p(generator, target, o, classifier);
    while (p.step(progress)) {
    }
    return p.result();
}

}  // namespace ganzoo
