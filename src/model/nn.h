// Private to the model component: the small neural-network toolkit the deep
// models (sasrec, twotower) are written with, on Eigen. There is no autodiff
// here: each model writes its backward pass by hand next to its forward pass,
// layer by layer, with the derivative in a comment, and tests check every
// gradient against central finite differences (tests/model/deep_models_test.cc).
//
// Layout: a network's trainable tensors live in one flat float buffer
// (ParamTable gives each tensor an offset and a shape), so the optimiser,
// the per-chunk gradient buffers and the model file treat them as one array.
// Matrices are row-major: one row = one position / one item / one user.
#pragma once

#include <Eigen/Dense>

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "tailor/model/model.h"

namespace tailor::model::detail::nn {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatMap = Eigen::Map<Mat>;
using ConstMatMap = Eigen::Map<const Mat>;
using RowVec = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using Col = Eigen::VectorXf;

// Offsets and shapes of the tensors in a flat buffer.
class ParamTable {
 public:
  // Adds a rows x cols tensor; returns its id.
  std::size_t add(std::uint32_t rows, std::uint32_t cols);
  std::size_t size() const { return total_; }
  MatMap view(std::span<float> buffer, std::size_t id) const {
    return {buffer.data() + offsets_[id], shapes_[id].first, shapes_[id].second};
  }
  ConstMatMap view(std::span<const float> buffer, std::size_t id) const {
    return {buffer.data() + offsets_[id], shapes_[id].first, shapes_[id].second};
  }
  std::uint32_t rows(std::size_t id) const { return shapes_[id].first; }

 private:
  std::vector<std::size_t> offsets_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> shapes_;
  std::size_t total_ = 0;
};

// Adam (Kingma & Ba, 2015) with bias correction:
//   m ← β1 m + (1-β1) g,  v ← β2 v + (1-β2) g²,  θ ← θ − lr · m̂ / (√v̂ + ε) − lr · wd · θ
// (decoupled weight decay, AdamW, when weight_decay > 0).
class Adam {
 public:
  Adam(std::size_t size, double learning_rate, double weight_decay = 0);
  void step(std::span<float> params, std::span<const float> grad);

 private:
  double lr_, wd_, beta1_ = 0.9, beta2_ = 0.999, eps_ = 1e-8;
  std::uint64_t t_ = 0;
  std::vector<float> m_, v_;
};

// Row-wise layer normalisation y = g ∘ x̂ + b, x̂ = (x − μ) / √(σ² + ε).
// Forward keeps x̂ and 1/√(σ² + ε) per row for the backward pass:
//   dg += Σ_rows dy ∘ x̂,  db += Σ_rows dy,
//   dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ∘ x̂)),  dx̂ = dy ∘ g.
struct LayerNormCache {
  Mat xhat;
  Col rstd;
};
void layer_norm_forward(const Mat& x, const ConstMatMap& gain, const ConstMatMap& bias, Mat& y, LayerNormCache& cache);
// dx is overwritten; dgain, dbias are accumulated.
void layer_norm_backward(const Mat& dy, const LayerNormCache& cache, const ConstMatMap& gain, Mat& dx, MatMap dgain,
                         MatMap dbias);

// Inverted dropout: keeps each entry with probability 1 − p and scales it by
// 1 / (1 − p); the mask (0 or 1/(1−p)) is kept for the backward pass, which is
// the same product. p = 0 leaves x and makes an empty mask.
void dropout_forward(Mat& x, double p, dataset::Rng& rng, Mat& mask);
void dropout_backward(Mat& dx, const Mat& mask);

// Uniform(−a, a) with a = √(6 / (fan_in + fan_out)) (Glorot) into a tensor.
void glorot_init(MatMap m, dataset::Rng& rng);
void normal_init(MatMap m, double stddev, dataset::Rng& rng);

// Row-wise softmax in place (a row of all −inf becomes all 0).
void softmax_rows(Mat& z);

}  // namespace tailor::model::detail::nn
