// The neural-network toolkit of nn.h: parameter table, Adam, layer norm,
// dropout, initialisers, softmax.
#include "nn.h"

#include <cmath>
#include <limits>

namespace tailor::model::detail::nn {

std::size_t ParamTable::add(std::uint32_t rows, std::uint32_t cols) {
  offsets_.push_back(total_);
  shapes_.emplace_back(rows, cols);
  total_ += std::size_t{rows} * cols;
  return offsets_.size() - 1;
}

Adam::Adam(std::size_t size, double learning_rate, double weight_decay)
    : lr_(learning_rate), wd_(weight_decay), m_(size, 0.0f), v_(size, 0.0f) {}

void Adam::step(std::span<float> params, std::span<const float> grad) {
  TAILOR_ASSERT(params.size() == m_.size() && grad.size() == m_.size());
  ++t_;
  const double correction1 = 1.0 - std::pow(beta1_, static_cast<double>(t_));
  const double correction2 = 1.0 - std::pow(beta2_, static_cast<double>(t_));
  const auto step = static_cast<float>(lr_ * std::sqrt(correction2) / correction1);
  const auto b1 = static_cast<float>(beta1_), b2 = static_cast<float>(beta2_);
  const auto eps = static_cast<float>(eps_ * std::sqrt(correction2));
  const auto decay = static_cast<float>(lr_ * wd_);
  for (std::size_t pos = 0; pos < params.size(); ++pos) {
    const float g = grad[pos];
    m_[pos] = b1 * m_[pos] + (1 - b1) * g;
    v_[pos] = b2 * v_[pos] + (1 - b2) * g * g;
    params[pos] -= step * m_[pos] / (std::sqrt(v_[pos]) + eps) + decay * params[pos];
  }
}

void layer_norm_forward(const Mat& x, const ConstMatMap& gain, const ConstMatMap& bias, Mat& y, LayerNormCache& cache) {
  constexpr float kEps = 1e-5f;
  const Eigen::Index n = x.rows(), d = x.cols();
  cache.xhat.resize(n, d);
  cache.rstd.resize(n);
  y.resize(n, d);
  for (Eigen::Index row = 0; row < n; ++row) {
    const float mean = x.row(row).mean();
    const float var = (x.row(row).array() - mean).square().mean();
    const float rstd = 1.0f / std::sqrt(var + kEps);
    cache.rstd(row) = rstd;
    cache.xhat.row(row) = (x.row(row).array() - mean) * rstd;
    y.row(row) = cache.xhat.row(row).cwiseProduct(gain.row(0)) + bias.row(0);
  }
}

void layer_norm_backward(const Mat& dy, const LayerNormCache& cache, const ConstMatMap& gain, Mat& dx, MatMap dgain,
                         MatMap dbias) {
  const Eigen::Index n = dy.rows(), d = dy.cols();
  dx.resize(n, d);
  dgain.row(0) += (dy.cwiseProduct(cache.xhat)).colwise().sum();
  dbias.row(0) += dy.colwise().sum();
  for (Eigen::Index row = 0; row < n; ++row) {
    const RowVec dxhat = dy.row(row).cwiseProduct(gain.row(0));
    const float mean_dxhat = dxhat.mean();
    const float mean_dxhat_xhat = dxhat.cwiseProduct(cache.xhat.row(row)).mean();
    dx.row(row) = cache.rstd(row) * (dxhat.array() - mean_dxhat - cache.xhat.row(row).array() * mean_dxhat_xhat).matrix();
  }
}

void dropout_forward(Mat& x, double p, dataset::Rng& rng, Mat& mask) {
  if (p <= 0) {
    mask.resize(0, 0);
    return;
  }
  mask.resize(x.rows(), x.cols());
  const auto keep = static_cast<float>(1.0 / (1.0 - p));
  for (Eigen::Index pos = 0; pos < mask.size(); ++pos) mask.data()[pos] = rng.uniform() < p ? 0.0f : keep;
  x.array() *= mask.array();
}

void dropout_backward(Mat& dx, const Mat& mask) {
  if (mask.size() == 0) return;
  dx.array() *= mask.array();
}

void glorot_init(MatMap m, dataset::Rng& rng) {
  const double a = std::sqrt(6.0 / static_cast<double>(m.rows() + m.cols()));
  for (Eigen::Index pos = 0; pos < m.size(); ++pos) m.data()[pos] = static_cast<float>((2 * rng.uniform() - 1) * a);
}

void normal_init(MatMap m, double stddev, dataset::Rng& rng) {
  // Box-Muller from the seeded generator: the same weights on every platform.
  for (Eigen::Index pos = 0; pos < m.size(); ++pos) {
    const double u1 = std::max(rng.uniform(), 1e-12);
    const double u2 = rng.uniform();
    m.data()[pos] = static_cast<float>(stddev * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2));
  }
}

void softmax_rows(Mat& z) {
  for (Eigen::Index row = 0; row < z.rows(); ++row) {
    const float top = z.row(row).maxCoeff();
    if (!std::isfinite(top)) {
      z.row(row).setZero();
      continue;
    }
    z.row(row) = (z.row(row).array() - top).exp();
    z.row(row) /= z.row(row).sum();
  }
}

}  // namespace tailor::model::detail::nn
