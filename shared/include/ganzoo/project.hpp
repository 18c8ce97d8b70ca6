// ganzoo core: projection, the latent whose image matches a given one (Karras et al. 2020's
// StyleGAN2 projector, on z): Adam on z and the continuous codes through Model::generate_backward,
// from several starting latents, the best fit kept. The CLI's `ganzoo project` and the
// WebAssembly build run this same code, so a seed gives the same z everywhere.
//
//   ProjectOptions o; o.seed = 1; o.steps = 300;
//   const ProjectResult r = ganzoo::project(generator, target, o, &classifier);
//   generator.generate(r.request)   // == r.image, bit for bit
//
// Kept apart from sampling: only what calls project() links it (and the reverse pass).
//
// The loss of an image x = G(z, label, codes) against the target t, per sample (docs/projection.md):
//   L = w_pixel · mean((x − t)²)                        pixel MSE over C·H·W values
//     + w_perceptual · mean((F(x) − F(t))²)            the classifier's penultimate features F
//                                                      (as the projector uses VGG's), over its d
//     + w_prior · (|z|²/d_z − 1)²                      z kept near the Gaussian shell |z|² ≈ d_z
// F reads the image centre-cropped (or padded with the range's low end) to the classifier's size,
// as `ganzoo eval` does: ProGAN's 32×32 to the classifier's 28×28.
//
// The schedule (StyleGAN2's projector.py): Adam (β1 0.9, β2 0.999, ε 1e-8) at
//   lr(t) = lr · min(1, t / 0.05) · (½ − ½ cos(π · min(1, (1 − t) / 0.25))),  t = step / steps:
// a ramp up over the first 5 % of the steps, a cosine ramp down over the last 25 %. (The projector's
// noise added to w is left out: the starts give the exploration, and z stays deterministic.)
// Continuous codes declared with a range are clamped into it after every step.
//
// Discrete inputs (a cGAN's label, an InfoGAN categorical code) are not optimised by gradient:
// every value (every combination, with several) is tried with every start, all in one batch, and
// the lowest final loss wins, unless the options fix the value. The search is cut once (successive
// halving's first round): after the first search_fraction of the steps, only the search_keep
// candidates with the lowest loss go on. A row's path does not depend on the rows beside it (the
// core computes a sample alike in any batch), so the result is the full search's whenever its
// winner is among those kept.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ganzoo/model.hpp"
#include "ganzoo/tensor.hpp"
#include "ganzoo/thread_pool.hpp"

namespace ganzoo {

struct ProjectWeights {
    double pixel = 1.0;        // the pixel MSE
    double perceptual = 0.05;  // the classifier features' MSE (0: no classifier needed)
    double prior = 0.01;       // (|z|²/d − 1)²
};

struct ProjectOptions {
    std::string net;            // empty: ModelInfo::default_net() ("G"; ProGAN's final G)
    uint64_t seed = 0;          // start s is z = sample s of this seed (normal_latents), codes likewise
    int64_t steps = 300;        // Adam steps, >= 1
    int64_t starts = 4;         // starting latents, 1..64; the best final loss wins
    double learning_rate = 0.1; // the schedule's peak (StyleGAN2's projector: 0.1)
    std::optional<int64_t> label;                     // cGAN: this class; none: the best-fitting one
    std::map<std::string, std::vector<float>> codes;  // codes held fixed (one sample's values); a
                                                      // categorical code left out is searched, a
                                                      // continuous one optimised
    ProjectWeights weights;
    // The discrete search's cut: after round(search_fraction · steps) steps, the search_keep
    // candidates whose best start has the lowest loss go on and the others stop (their rows leave
    // the batch). search_keep 0, or at least the number of candidates: every candidate runs every
    // step. docs/projection.md, "The discrete search", measured these defaults.
    int64_t search_keep = 2;
    double search_fraction = 0.2;  // in (0, 1]
    int64_t snapshots = 8;      // images of the winning start kept along the way (>= 2: first, last)
    // The rows (starts × candidates) are evaluated in up to this many slices side by side
    // (ganzoo::ThreadPool), 1..256; the result is bit-identical for any count. One where the build
    // has no threads (WebAssembly without -pthread).
    int64_t threads = 1;
    // A pool to run the slices on (at most its size), kept by the caller across projections (the
    // threaded WebAssembly build, whose threads are pre-started); null: project() starts its own.
    ThreadPool* pool = nullptr;
};

// The loss of each sample of a request's images, by term (weighted as in the total).
struct ProjectLoss {
    double total = 0, pixel = 0, perceptual = 0, prior = 0;
};

struct ProjectResult {
    // What draws the projected image: net, z [1, z_dim], the label (when the net takes one) and
    // every code (categorical as a whole number); count 1, truncation 1.
    GenerateRequest request;
    Tensor image;                  // generate(request): [1, C, H, W]
    ProjectLoss initial, final;    // the winning start's loss at step 0 and after the last step
    std::vector<double> losses;    // its total loss at steps 0 .. steps (steps + 1 values)
    std::vector<int64_t> snapshot_steps;
    Tensor snapshots;              // its image at those steps: [snapshot_steps.size(), C, H, W]
    int64_t start = 0;             // the winning start (sample `start` of the seed)
    // Every discrete candidate tried (label, categorical codes), in the order tried, with the loss of
    // its best start at its last step: the final one, or the cut's for one the search dropped
    // (`steps` says which). One entry when nothing discrete was searched.
    struct Candidate {
        std::optional<int64_t> label;
        std::map<std::string, int64_t> categories;
        double loss = 0;
        int64_t steps = 0;  // the Adam steps it ran: all of them, or the cut's when it was dropped
        // Its best start's loss at steps 0 .. `steps` (the lowest over its starts at each step): how
        // the search ranked it along the way (docs/projection.md measured the cut on these).
        std::vector<double> losses;
    };
    std::vector<Candidate> candidates;
    // Images evaluated with the loss (each step and the final evaluation: one per row in the batch
    // then), summed: the projection's cost in generator passes, which the search's cut lowers.
    int64_t evaluations = 0;
};

// Called after every step with (steps done, steps, the lowest total loss over the rows at the
// step just taken, that row's image: C·H·W floats, valid during the call): a live view.
using ProjectProgress = std::function<void(int64_t done, int64_t total, double loss, const float* image)>;

// Projects `target` ([1, C, H, W] or [C, H, W] in the model's info().range) onto `generator`'s
// latent. `classifier` (a model with a net "features" on "image", as `ganzoo train-classifier`
// writes) gives the perceptual term; null or weights.perceptual == 0 leaves it out. Deterministic:
// the same inputs give a bit-identical result, whatever options.threads. Throws ganzoo::Error (one line, "project: ...") for
// a model with no latent z (an image-to-image model: CycleGAN), a label out of range, steps < 1,
// search_keep < 0 or search_fraction outside (0, 1],
// a target of another shape, a classifier that cannot read the model's images.
ProjectResult project(const Model& generator, const Tensor& target, const ProjectOptions& options,
                      const Model* classifier = nullptr, const ProjectProgress& progress = {});

// project() a step at a time, for a caller that must not block for the whole run (the browser
// studio runs a few steps per frame): the same steps in the same order, so the result is
// project()'s, bit for bit. The generator and classifier must outlive it.
//
//   Projector p(generator, target, options, &classifier);   // refuses what project() refuses
//   while (p.step(progress)) draw_frame();                    // one Adam step over every row
//   const ProjectResult r = p.result();
class Projector {
public:
    Projector(const Model& generator, const Tensor& target, const ProjectOptions& options, const Model* classifier = nullptr);
    ~Projector();
    Projector(Projector&&) noexcept;
    Projector& operator=(Projector&&) noexcept;

    // Runs the next step (progress as project()'s); returns whether steps remain. After the last
    // step it does nothing and returns false.
    bool step(const ProjectProgress& progress = {});
    int64_t done() const;   // steps run
    int64_t steps() const;  // options.steps
    // The result, once every step has run (throws ganzoo::Error before); called once.
    ProjectResult result();

private:
    struct State;
    std::unique_ptr<State> s_;
};

// The loss of each sample of `request` against `target` (one image, for every sample) and its
// gradient with respect to z and the continuous codes: what each step of project() computes, for
// tests and tools. `gradients` (optional) receives GenerateGradients (z, codes) of the total.
std::vector<ProjectLoss> projection_loss(const Model& generator, const GenerateRequest& request, const Tensor& target,
                                         const ProjectWeights& weights, const Model* classifier,
                                         GenerateGradients* gradients = nullptr);

}  // namespace ganzoo
