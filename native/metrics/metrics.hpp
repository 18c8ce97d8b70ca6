// Sample-quality metrics over the project's classifier (classifier.hpp), LibTorch-free: images
// go through the inference core, statistics through Eigen.
//
//   FD-FMNIST: the Fréchet distance between Gaussians fitted to the classifier's penultimate
//     features of two image sets (Heusel et al. 2017's FID, with our Fashion-MNIST classifier in
//     place of Inception: the numbers are not comparable with published FIDs);
//   the classifier Inception Score: exp(E_x KL(p(y|x) ‖ p(y))) (Salimans et al. 2016);
//   best-mapping accuracy: how well K discovered categories (InfoGAN's code) match K classes,
//     under the best one-to-one assignment (the Hungarian method).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ganzoo/model.hpp"

namespace ganzoo::metrics {

// Mean and covariance (divided by n − 1) of the rows of `features` [n, d].
struct Gaussian {
    Eigen::VectorXd mean;
    Eigen::MatrixXd cov;
};
Gaussian fit_gaussian(const Eigen::MatrixXd& features);

// ‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2 (Σ1^½ Σ2 Σ1^½)^½). Both square roots are of symmetric positive
// semi-definite matrices, taken through a self-adjoint eigen-decomposition (negative round-off
// eigenvalues clamped to 0), so the result is real.
double frechet_distance(const Gaussian& a, const Gaussian& b);

// exp(mean over rows of KL(p(y|x) ‖ p(y))), p(y) the mean row; `probabilities` [n, K], rows sum to 1.
double inception_score(const Eigen::MatrixXd& probabilities);

// confusion(i, j) = how many samples of category i the classifier put in class j (K × K).
// Returns the largest fraction of samples on the diagonal of any row permutation, and the
// assignment (category i → class mapping[i]).
double best_mapping_accuracy(const Eigen::MatrixXd& confusion, std::vector<int>* mapping = nullptr);

// InfoGAN's variational lower bound on the mutual information between a code c and G's images
// (Chen et al. 2016, §5, Lemma 5.1): I(c; G(z, c)) ≥ H(c) − E[−log Q(c | x)], in nats.
//   categorical: c uniform over K values, H = log K; Q's softmax over `logits` [n, K] (row-major)
//     read at the drawn codes `codes` [n]. A Q that reads nothing scores 0, a perfect one log K.
//   continuous: c uniform on [lo, hi], H = log(hi − lo); Q a Gaussian around its `means` [n]
//     whose variance is the best for these samples, the mean squared error (Q's mean is what the
//     model learns; the σ that makes the bound tightest is fitted here, one number per code).
//     Q = 0 for c ~ U[−1, 1] scores log 2 − ½ log(2πe/3) = −0.18; the bound grows as the MSE falls.
double categorical_mi_bound(const std::vector<float>& logits, const std::vector<int>& codes, int64_t k);
double continuous_mi_bound(const std::vector<double>& means, const std::vector<double>& codes, double lo, double hi);

// The model's images are centre-cropped to the classifier's size (ProGAN draws 32×32: 28×28 with
// 2 px of padding each side). The margin per side, or -1 when the model's side is smaller or
// exceeds the classifier's by an odd number of pixels (no centre to crop around).
int64_t crop_margin(int64_t model_side, int64_t classifier_side);
// images [n, C, H, W] → [n, C, H − 2·my, W − 2·mx], the centre.
Tensor centre_crop(const Tensor& images, int64_t my, int64_t mx);

// The project's classifier through the core.
class Classifier {
public:
    explicit Classifier(Model model);
    int64_t classes() const { return classes_; }
    const Model& model() const { return model_; }
    double test_accuracy() const { return test_accuracy_; }  // from the file's metadata

    struct Output {
        Eigen::MatrixXd features;       // [n, d]
        Eigen::MatrixXd probabilities;  // [n, K], softmax of the logits
        std::vector<int> predicted;     // argmax
    };
    // images [n, C, H, W] in [-1, 1]; classified in batches of `batch`.
    Output classify(const Tensor& images, int64_t batch = 250) const;

private:
    Model model_;
    int64_t classes_ = 0;
    double test_accuracy_ = 0;
};

}  // namespace ganzoo::metrics
