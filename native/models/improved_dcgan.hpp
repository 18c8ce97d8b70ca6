// Improved DCGAN — Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen, "Improved Techniques
// for Training GANs", arXiv 1606.03498. The paper's five techniques, each a module or a
// function here so that the tests (tests/native/test_improved_dcgan.cpp) can reach it, and
// each a recipe key so that it can be switched off from the command line (improved_dcgan.cpp).
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "models/family.hpp"

namespace ganzoo::models {

// Virtual batch normalization (§3.5). In training mode the first `reference_rows` rows of the
// input are the reference batch (G runs on cat([reference z; z]) and every layer before this
// one is per-sample, so these rows depend only on the fixed reference z's). The reference rows
// are normalized with their own statistics; every other row x with the statistics of the
// reference batch plus x itself, x weighing 1/(R+1): so a row never depends on the other
// non-reference rows of its batch. The reference statistics are kept in buffers; in eval mode
// every row is normalized with them alone, and that is the per-channel affine the exporter
// writes (a sample is then deterministic on its own).
// Statistics are per channel (dim 1) over the batch and every dim after the channel.
class VirtualBatchNormImpl : public torch::nn::Cloneable<VirtualBatchNormImpl>, public ExportsAsChannelAffine {
public:
    VirtualBatchNormImpl(int64_t channels, int64_t reference_rows, double eps = 1e-5);

    void reset() override;
    void pretty_print(std::ostream& stream) const override;

    // x: [N, C, ...], N ≥ reference_rows in training mode.
    torch::Tensor forward(const torch::Tensor& x);

    // gamma/sqrt(var_ref + eps), beta − mean_ref·scale, from the buffers.
    std::pair<torch::Tensor, torch::Tensor> channel_affine() const override;

    int64_t channels, reference_rows;
    double eps;
    torch::Tensor weight, bias;                    // gamma, beta: [C]
    torch::Tensor reference_mean, reference_var;  // buffers [C], from the latest training forward
};
TORCH_MODULE(VirtualBatchNorm);

// Minibatch discrimination (§3.2): x [N, A] → M = x·T [N, B, C];
// c_b(i, j) = exp(−‖M_i,b − M_j,b‖₁); o(x_i)_b = mean over j ≠ i of c_b(i, j) (the paper sums
// over j; the mean keeps its scale independent of the batch size); output cat([x, o]) [N, A + B].
// Two identical rows get o = 1 in every kernel, two far-apart rows o ≈ 0.
class MinibatchDiscriminationImpl : public torch::nn::Cloneable<MinibatchDiscriminationImpl> {
public:
    MinibatchDiscriminationImpl(int64_t in_features, int64_t kernels, int64_t kernel_dims);

    void reset() override;
    void pretty_print(std::ostream& stream) const override;

    torch::Tensor forward(const torch::Tensor& x);
    // o alone: [N, B].
    torch::Tensor similarity(const torch::Tensor& x);

    int64_t in_features, kernels, kernel_dims;
    torch::Tensor T;  // [A, B·C]
};
TORCH_MODULE(MinibatchDiscrimination);

// Weight normalization (Salimans & Kingma 2016), the layers of the paper's semi-supervised
// discriminators (its code: `nn.weight_norm` on every layer of D): w = g · v / ‖v‖, per output
// unit, with v and g trained (D may freeze a layer's g: `d_weight_norm_train_g`); v ~ N(0, 0.02)
// (DCGAN's init; `v_std` sets another σ, the paper's semi-supervised MNIST code draws θ ~ N(0, 0.1))
// and g = ‖v‖, so that w starts as DCGAN's. A convolution (kernel, stride, padding) or, with
// kernel 0, a linear layer [out, in]. Exported as the plain layer with the weight it computes.
class WeightNormLayerImpl : public torch::nn::Cloneable<WeightNormLayerImpl>, public ExportsAsOps {
public:
    WeightNormLayerImpl(int64_t in, int64_t out, int64_t kernel = 0, int64_t stride = 1, int64_t padding = 0,
                        double v_std = 0.02);

    void reset() override;
    void pretty_print(std::ostream& stream) const override;

    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight() const;  // g · v / ‖v‖
    std::vector<ExportOp> export_ops() const override;

    int64_t in, out, kernel, stride, padding;
    double v_std;
    torch::Tensor v, g, bias;  // v [out, in(, k, k)], g [out], bias [out]
};
TORCH_MODULE(WeightNormLayer);

// Gaussian noise (the paper's semi-supervised code, its MNIST discriminator: σ = 0.3 on D's
// input and 0.5 after each hidden layer): x + σ·ε, ε ~ N(0, 1) drawn afresh at every training
// forward (the global generator, as the trainer's other draws); the identity in eval mode and in
// the export. It keeps D from winning by a wide margin on the few labelled images.
class GaussianNoiseImpl : public torch::nn::Cloneable<GaussianNoiseImpl>, public TrainingOnly {
public:
    explicit GaussianNoiseImpl(double sigma);

    void reset() override {}
    void pretty_print(std::ostream& stream) const override;
    torch::Tensor forward(const torch::Tensor& x);

    double sigma;
};
TORCH_MODULE(GaussianNoise);

// Weight normalisation's data-dependent initialisation (Salimans & Kingma 2016, §3; the paper's
// code): on the batch x, each WeightNormLayer of net in turn gets g = 1/σ and bias = −μ/σ, μ and σ
// the mean and standard deviation per unit (per channel) of (v/‖v‖)·h over the batch, so that
// every unit starts at mean 0 and variance 1 on real data. Noise layers are off meanwhile, unless
// `with_noise` (the paper's code initialises through its noise layers).
void weight_norm_data_init(torch::nn::Sequential& net, const torch::Tensor& x, bool with_noise = false);

// Historical averaging (§3.3): the penalty ‖θ − (1/t) Σ_{i<t} θ[i]‖², summed over the
// parameters, where θ[0] is the initial value and θ[i] the value after step i. update() folds
// the current parameters into the running mean (call it after every optimizer step).
class HistoricalAverage {
public:
    HistoricalAverage() = default;
    explicit HistoricalAverage(std::vector<torch::Tensor> parameters);

    torch::Tensor penalty() const;  // a scalar with a gradient to the parameters
    void update();
    double count() const { return count_; }
    const std::vector<torch::Tensor>& means() const { return means_; }

    void save(torch::serialize::OutputArchive& archive, const std::string& prefix) const;
    void load(torch::serialize::InputArchive& archive, const std::string& prefix);

private:
    std::vector<torch::Tensor> parameters_, means_;
    double count_ = 0;
};

// One-sided label smoothing (§3.4): BCE(D(x), real_label) + BCE(D(G(z)), 0) on logits; the
// paper's real_label is 0.9, and the fake target stays 0.
torch::Tensor smoothed_discriminator_loss(const torch::Tensor& logits_real, const torch::Tensor& logits_fake,
                                          double real_label);

// Feature matching (§3.1): ‖mean_x f(x) − mean_z f(G(z))‖², features [N, ...] flattened.
torch::Tensor feature_matching_loss(const torch::Tensor& real_features, const torch::Tensor& fake_features);

// Semi-supervised learning (§5): D has K class logits l(x) and the fake class is the (K+1)-th
// with its logit fixed at 0, so D(x) = Z(x) / (Z(x) + 1), Z = Σ_k exp l_k(x): the real-vs-fake
// logit is logsumexp_k l_k(x). D minimises the cross-entropy on the labelled images plus the GAN
// loss on that logit (unlabelled real images against G's); G feature-matches. The labelled
// images: `labels` of the training set, labels / K of each class, chosen by `labels_seed`.
// Which rows of (images, labels) are labelled: per class, the first n_per_class of a seeded
// permutation of that class's rows; throws when a class has fewer.
torch::Tensor choose_labelled(const torch::Tensor& labels, int64_t classes, int64_t per_class, uint64_t seed);

// The member, public so that the tests can drive its pieces.
class ImprovedDcgan final : public GeneratorCritic {
public:
    json defaults(bool cuda) const override;
    void build(const json& config, const ImageShape& shape, int64_t num_classes, torch::Device device) override;
    StepStats train_step(const Batch& batch) override;
    torch::Tensor sample(const torch::Tensor& z, const GeneratorInputs& inputs) override;
    ExportSpec export_spec() override;
    void save(torch::serialize::OutputArchive& archive) override;
    void load(torch::serialize::InputArchive& archive) override;
    bool wrap_optimizers(const OptimizerWrap& /*wrap*/) override { return false; }
    void set_training_data(const torch::Tensor& pixels, const torch::Tensor& labels) override;

    // Semi-supervised mode (`labels` > 0): D's K class logits → the real-vs-fake logit.
    bool semi_supervised() const { return labels_ > 0; }
    torch::Tensor gan_logit(const torch::Tensor& d_out) const;
    // The baseline: D's architecture trained on the labelled images alone (trained once, at the
    // first step; exported as C_baseline beside D_classes).
    void train_baseline();
    // Weight norm's data-dependent initialisation (`d_weight_norm_init` = "data", or "data_noise"
    // through D's noise layers): D on a real batch and the baseline on the labelled images; done
    // once, at the first step.
    void data_init(const torch::Tensor& real);
    torch::nn::Sequential& baseline() { return C_; }
    // The average of D's weights (null when `d_average` is 0), what D_classes exports.
    torch::nn::Sequential& discriminator_average() { return D_average_; }
    // Folds D's current weights into the average (after each D step): the first step copies them,
    // later ones use the decay min(d_average, (1 + t) / (10 + t)), t the steps after the first (the
    // warm-up of the generator average, models/average.hpp).
    void update_discriminator_average();
    const torch::Tensor& labelled_images() const { return labelled_images_; }
    const torch::Tensor& labelled_labels() const { return labelled_labels_; }

    // G on a batch of z in training mode, the reference rows prepended when VBN is on and
    // dropped from the result: [N, C, H, W].
    torch::Tensor generate_for_training(const torch::Tensor& z);
    // D's logits [N, 1] and its features f(x) at the feature layer [N, F].
    std::pair<torch::Tensor, torch::Tensor> discriminate(const torch::Tensor& x);
    // f(x) alone (D run up to the feature layer).
    torch::Tensor features(const torch::Tensor& x);
    // G's objective on a real batch and G's output: feature matching, or the non-saturating
    // −log D(G(z)) when feature_matching is off.
    torch::Tensor generator_loss(const torch::Tensor& real, const torch::Tensor& fake);
    // D's objective (one-sided smoothing with the configured real_label).
    torch::Tensor discriminator_loss(const torch::Tensor& logits_real, const torch::Tensor& logits_fake) const;
    // Runs the reference batch through G so that VBN's buffers hold the statistics of the
    // current weights (what sample() and the export use).
    void refresh_reference_statistics();

    torch::nn::Sequential& generator() { return G_; }
    torch::nn::Sequential& discriminator() { return D_; }
    const torch::Tensor& reference_z() const { return reference_z_; }
    int64_t feature_layer() const { return feature_layer_; }
    HistoricalAverage& history_G() { return history_G_; }
    HistoricalAverage& history_D() { return history_D_; }

private:
    bool virtual_batch_norm_ = true, feature_matching_ = true;
    double real_label_ = 0.9, history_weight_ = 0;
    int64_t feature_layer_ = 0;  // index of the D module whose output is f(x)
    torch::Tensor reference_z_;  // [R, z_dim], drawn once from reference_seed
    HistoricalAverage history_G_, history_D_;
    // Semi-supervised mode.
    int64_t labels_ = 0, classes_ = 0, labelled_batch_ = 100, baseline_steps_ = 1000;
    uint64_t labels_seed_ = 0;
    double baseline_trained_ = 0;  // a checkpoint scalar: 1 once C_ is trained
    bool data_init_ = false;       // weight norm with the data-dependent initialisation
    bool data_init_noise_ = false; // ... through D's noise layers ("data_noise")
    double unsupervised_weight_ = 1;  // the weight of D's unsupervised (GAN) terms
    // An average of D's weights (`d_average`, the decay; 0 = off): the classifier that is exported
    // and tested, as the paper's semi-supervised code tests only its average of D.
    double d_average_decay_ = 0;
    double d_average_steps_ = 0;  // a checkpoint scalar: D steps folded into the average
    torch::nn::Sequential D_average_{nullptr};
    double data_initialised_ = 0;  // a checkpoint scalar: 1 once done
    ImageShape shape_;
    torch::Tensor labelled_images_, labelled_labels_;  // [N, C, H, W] in [-1, 1], [N]
    torch::nn::Sequential C_{nullptr};
};

}  // namespace ganzoo::models
