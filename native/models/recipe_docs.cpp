// The recipe keys' meanings and ranges (recipe_docs.hpp). Each range is the one the member's
// build() or the trainer enforces; each meaning says what the key changes in the paper's terms.
#include "models/recipe_docs.hpp"

#include <algorithm>

namespace ganzoo::models {
namespace {

// Keys most members share, unless a member's own entry says otherwise.
const std::vector<RecipeKeyDoc>& common_keys() {
    static const std::vector<RecipeKeyDoc> keys = {
        {"z_dim", "length of the latent z, drawn from N(0, I)", "≥ 1"},
        {"width", "channels of the nets' widest layer pair; the others scale with it", "≥ 1"},
        {"lr", "learning rate of both optimizers (Adam unless the member says otherwise)", "> 0"},
        {"beta1", "Adam's β1 (momentum)", "0..1"},
        {"beta2", "Adam's β2", "0..1"},
    };
    return keys;
}

const std::vector<MemberDoc>& docs() {
    static const std::vector<MemberDoc> all = {
        {"dcgan", "Radford, Metz & Chintala 2016, Unsupervised Representation Learning with Deep Convolutional GANs",
         "https://arxiv.org/abs/1511.06434", {}},
        {"improved-dcgan", "Salimans et al. 2016, Improved Techniques for Training GANs", "https://arxiv.org/abs/1606.03498",
         {{"feature_matching", "G matches the mean of D's features on real data (§3.1) instead of fooling D", "true | false"},
          {"feature_layer", "the D layer whose features are matched; -1 = D's flattened last convolution", "-1, or a D layer index"},
          {"minibatch_kernels", "minibatch discrimination's kernels B (§3.2); 0 = off", "≥ 0"},
          {"minibatch_dims", "minibatch discrimination's kernel size C", "≥ 1"},
          {"history_weight", "historical averaging λ (§3.3): both nets pay λ‖θ − mean of past θ‖²; 0 = off", "≥ 0"},
          {"real_label", "one-sided label smoothing (§3.4): D's target for real images", "(0, 1], 1 = off"},
          {"generator_norm", "G's normalisation: virtual batch norm against a fixed reference batch (§3.5), or batch norm",
           "virtual | batch"},
          {"reference_batch", "virtual batch norm's reference batch size", "≥ 1"},
          {"reference_seed", "seed of the reference batch's draw from the data", "whole number"},
          {"labels", "semi-supervised (§5): this many labelled images, as many per class; D becomes a (K+1)-class classifier; 0 = unsupervised",
           "0, or a multiple of the classes"},
          {"labels_seed", "seed of the choice of labelled images", "whole number"},
          {"labelled_batch", "labelled images per step when semi-supervised", "≥ 1"},
          {"baseline_steps", "steps of the plain classifier trained on the same labels, for the comparison", "≥ 0"},
          {"d_weight_norm", "weight normalisation in D, as the paper's semi-supervised D", "true | false"},
          {"d_weight_norm_init", "weight norm's start: data-dependent (each unit at mean 0, variance 1 on the first batch; "
           "data_noise: through D's noise layers, as the paper's code) or g = |v|",
           "data | data_noise | plain"},
          {"d_weight_norm_v_std", "σ of the weight-normalised layers' initial v (the paper's semi-supervised MNIST code: 0.1)", "> 0"},
          {"d_weight_norm_train_g", "which weight-normalised layers' g train: all, or the output layer's only (the paper's code)",
           "all | output"},
          {"unsupervised_weight", "semi-supervised: the weight of D's two unsupervised terms beside the labelled cross-entropy "
           "(the paper's code: 0.5)", "≥ 0"},
          {"d_average", "semi-supervised: the decay of an average of D's weights, which is the classifier exported and "
           "tested (the paper's code tests only its average, 0.9999); 0 = off", "[0, 1)"},
          {"d_input_noise", "σ of the Gaussian noise on D's input while training (the paper's semi-supervised code); 0 = off", "≥ 0"},
          {"d_noise", "σ of the Gaussian noise after each of D's hidden layers while training; 0 = off", "≥ 0"},
          {"d_network", "D: DCGAN's convolutions, or the paper's semi-supervised MNIST D (dense 1000-500-250-250-250)",
           "conv | mlp"}}},
        {"cgan", "Mirza & Osindero 2014, Conditional Generative Adversarial Nets", "https://arxiv.org/abs/1411.1784",
         {{"condition_d", "D sees the label too (one-hot planes beside the image), as in the paper", "true | false"}}},
        {"infogan", "Chen et al. 2016, InfoGAN: Interpretable Representation Learning by Information Maximizing GANs",
         "https://arxiv.org/abs/1606.03657",
         {{"z_dim", "length of the incompressible noise z", "≥ 1"},
          {"categories", "values of the categorical code c_cat", "≥ 1"},
          {"continuous", "continuous codes c_cont, each uniform on [-1, 1]", "≥ 0"},
          {"lambda", "weight λ of the categorical code's mutual-information term", "≥ 0"},
          {"lambda_cont", "weight of the continuous codes' mutual-information term", "≥ 0"},
          {"learn_std", "Q predicts a σ per continuous code (a Gaussian) instead of a fixed 1", "true | false"},
          {"lr", "D's (and Q's) learning rate", "> 0"},
          {"lr_g", "G's learning rate (the paper's 1e-3)", "> 0"},
          {"g_hidden", "G's first dense layer (the paper's 1024); 0 = z straight to 7·7·128", "≥ 0"},
          {"d_hidden", "the dense layer D and Q share (the paper's 1024)", "≥ 1"},
          {"z_std", "z's scale at G's input, z ~ N(0, z_std²·I) (ClusterGAN's 0.1); 1 = the paper", "(0, 10]"}}},
        {"wgan", "Arjovsky, Chintala & Bottou 2017, Wasserstein GAN", "https://arxiv.org/abs/1701.07875",
         {{"n_critic", "critic steps per generator step", "1..1000"},
          {"optimizer", "RMSProp, as the paper, or Adam", "rmsprop | adam"},
          {"lr", "learning rate of both optimizers", "> 0"},
          {"beta1", "Adam's β1 (when optimizer is adam)", "0..1"},
          {"beta2", "Adam's β2 (when optimizer is adam)", "0..1"},
          {"clip", "the critic's weights are clipped to [-clip, clip] after each step; 0 = off", "≥ 0"},
          {"gp_lambda", "gradient penalty weight (WGAN-GP's); 0 = off", "≥ 0"},
          {"critic_norm", "the critic's normalisation", "batch | layer | none"},
          {"generator_norm", "G's normalisation", "batch | none"}}},
        {"wgan-gp", "Gulrajani et al. 2017, Improved Training of Wasserstein GANs", "https://arxiv.org/abs/1704.00028",
         {{"n_critic", "critic steps per generator step", "1..1000"},
          {"optimizer", "Adam, as the paper, or RMSProp", "adam | rmsprop"},
          {"clip", "weight clipping (WGAN's); 0 = off", "≥ 0"},
          {"gp_lambda", "gradient penalty λ on ‖∇D(x̂)‖ − 1 at points between real and fake", "≥ 0"},
          {"critic_norm", "the critic's normalisation: never batch norm with the penalty (§4)", "layer | none | batch (without gp)"},
          {"generator_norm", "G's normalisation", "batch | none"}}},
        {"began", "Berthelot, Schumm & Metz 2017, BEGAN: Boundary Equilibrium Generative Adversarial Networks",
         "https://arxiv.org/abs/1703.10717",
         {{"z_dim", "length of z and of D's embedding h", "≥ 1"},
          {"width", "n, the autoencoder's base channels (the paper's 64 or 128)", "≥ 1"},
          {"gamma", "diversity ratio γ = E[L(G(z))] / E[L(x)]: lower, sharper and less varied", "0..1"},
          {"lambda_k", "proportional gain λ_k of the equilibrium controller k_t", "≥ 0"},
          {"k0", "the controller's start k_0", "0..1"},
          {"pull_away", "EBGAN's pulling-away term on D's encodings of the fakes (not in BEGAN); 0 = off", "≥ 0"},
          {"lr_stall_window", "the learning rate halves when M_global stalls over windows of this many steps; 0 = off", "≥ 0"},
          {"skip", "the paper's skip connections: h0, upsampled, joins each later block of G and D's decoder", "true | false"}}},
        {"progan", "Karras et al. 2018, Progressive Growing of GANs for Improved Quality, Stability, and Variation",
         "https://arxiv.org/abs/1710.10196",
         {{"z_dim", "length of z (normalised to the unit hypersphere by pixel norm)", "≥ 1"},
          {"width", "channels of the first stages; later stages halve them", "1..1024"},
          {"stages", "resolutions grown: 4x4 doubled stages - 1 times", "1..8"},
          {"fade_images", "images shown while a new resolution fades in", "≥ 0"},
          {"stabilize_images", "images shown at each resolution once faded in", "≥ 0"},
          {"gp_lambda", "WGAN-GP's gradient penalty λ", "≥ 0"},
          {"drift", "ε_drift: the critic pays ε·D(x)² so its outputs stay near 0", "≥ 0"},
          {"mbstd_group", "minibatch standard deviation over groups of this many images; 0 = the whole batch", "≥ 0"}}},
        {"cyclegan", "Zhu, Park, Isola & Efros 2017, Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
         "https://arxiv.org/abs/1703.10593",
         {{"domains", "the two classes translated between, A,B (names or indices)", "two different classes"},
          {"width", "the generators' base channels (the paper's 64)", "≥ 1"},
          {"d_width", "the PatchGAN discriminators' base channels (the paper's 64)", "≥ 1"},
          {"blocks", "residual blocks in each generator (the paper's 6 or 9)", "≥ 0"},
          {"lambda_cycle", "weight λ of the cycle-consistency L1 loss", "≥ 0"},
          {"lambda_identity", "identity loss weight, as a fraction of lambda_cycle", "≥ 0"},
          {"pool", "images in the history pool D also learns from (the paper's 50); 0 = off", "≥ 0"}}},
    };
    return all;
}

}  // namespace

const std::vector<RecipeKeyDoc>& loop_key_docs() {
    static const std::vector<RecipeKeyDoc> keys = {
        {"epochs", "passes over the data (ignored when steps is set)", "≥ 0"},
        {"steps", "training steps, instead of epochs; 0 = use epochs", "≥ 0"},
        {"stop_step", "end the run after this step, keeping the schedule epochs or steps set (a run a time limit stopped, re-run); 0 = off", "≥ 0"},
        {"batch", "images per step (per process when data-parallel)", "1..dataset size"},
        {"seed", "seed of initialisation, data order and latents: a run is reproducible from it", "whole number"},
        {"device", "where to train", "auto | cpu | cuda | cuda:N"},
        {"threads", "CPU threads; 0 = LibTorch's default", "0..4096"},
        {"data", "fashion-mnist, or a folder of images (one subfolder per class)", "name or path"},
        {"limit", "use only the first N images; 0 = all", "≥ 0"},
        {"checkpoint_every", "steps between checkpoints (also at each epoch's end)", "≥ 1"},
        {"log_every", "steps between log.csv rows and console lines", "≥ 1"},
        {"sample_count", "images in each epoch's sample grid", "1..4096"},
        {"sample_seed", "latent seed of the epoch grids", "whole number"},
        {"ema", "decay of the generator's exponential moving average (Yazıcı et al. 2019); 0 = off", "0..1 (exclusive)"},
        {"ema_start", "the step the average starts at", "≥ 0"},
    };
    return keys;
}

const MemberDoc* member_doc(const std::string& member) {
    for (const MemberDoc& d : docs())
        if (d.member == member) return &d;
    return nullptr;
}

const RecipeKeyDoc* recipe_key_doc(const std::string& member, const std::string& key) {
    auto find = [&](const std::vector<RecipeKeyDoc>& keys) -> const RecipeKeyDoc* {
        const auto it = std::find_if(keys.begin(), keys.end(), [&](const RecipeKeyDoc& k) { return k.key == key; });
        return it == keys.end() ? nullptr : &*it;
    };
    if (const MemberDoc* d = member_doc(member))
        if (const RecipeKeyDoc* k = find(d->keys)) return k;
    if (const RecipeKeyDoc* k = find(common_keys())) return k;
    return find(loop_key_docs());
}

}  // namespace ganzoo::models
