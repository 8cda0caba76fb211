// Propensity models: logistic regression (L2, Newton's method on standardised
// features), the always-available fallback, plus the row split and the
// binary AUC used to evaluate them. XGBoost lives in xgboost_model.cc.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <Eigen/Dense>

#include "tailor/analytics/analytics.h"
#include "tailor/core/core.h"
#include "xgboost_model.h"

namespace tailor::analytics {
namespace {

double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }

// log(1 + exp(z)) without overflow.
double softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

std::vector<FeatureImportance> sorted_importance(std::vector<FeatureImportance> items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const FeatureImportance& a, const FeatureImportance& b) { return a.value > b.value; });
  return items;
}

// Model: P(y = 1 | x) = sigmoid(b + sum_j w_j (x_j - mean_j) / scale_j).
// Fit: minimise sum_i softplus(-s_i z_i) + l2/2 |w|^2 (s_i = ±1, b unpenalised)
// by Newton steps w -= H^-1 g, with g = Z^T (p - y) + l2 w and
// H = Z^T diag(p (1 - p)) Z + l2 I, halving a step that raises the loss.
class LogisticModel final : public PropensityModel {
 public:
  explicit LogisticModel(const LogisticOptions& options) : options_(options) {
    TAILOR_CHECK_ARG(options.l2 >= 0, "logistic l2 must be >= 0");
    TAILOR_CHECK_ARG(options.max_iterations >= 1 && options.max_iterations <= 1000,
                     "logistic max_iterations must be in [1, 1000]");
    TAILOR_CHECK_ARG(options.tolerance > 0, "logistic tolerance must be > 0");
  }

  void fit(const FeatureMatrix& x, std::span<const std::size_t> rows) override {
    const std::size_t n = rows.size();
    const std::size_t d = x.cols;
    TAILOR_CHECK_ARG(n > 0, "no training rows");
    names_ = x.names;
    mean_.assign(d, 0.0);
    scale_.assign(d, 0.0);
    double positives = 0;
    for (std::size_t row : rows) {
      positives += x.labels[row];
      for (std::size_t col = 0; col < d; ++col) mean_[col] += x.values[row * d + col];
    }
    TAILOR_CHECK_ARG(positives > 0 && positives < static_cast<double>(n), "the training rows hold only one class");
    for (double& m : mean_) m /= static_cast<double>(n);
    for (std::size_t row : rows) {
      for (std::size_t col = 0; col < d; ++col) {
        const double diff = x.values[row * d + col] - mean_[col];
        scale_[col] += diff * diff;
      }
    }
    for (double& s : scale_) {
      s = std::sqrt(s / static_cast<double>(n));
      if (s < 1e-12) s = 1.0;  // a constant column: standardises to 0, coefficient stays 0
    }
    // Z: standardised features with the intercept in the last column.
    Eigen::MatrixXd z(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d + 1));
    Eigen::VectorXd y(static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t row = rows[i];
      for (std::size_t col = 0; col < d; ++col) {
        z(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(col)) = (x.values[row * d + col] - mean_[col]) / scale_[col];
      }
      z(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(d)) = 1.0;
      y(static_cast<Eigen::Index>(i)) = x.labels[row];
    }
    Eigen::VectorXd penalty = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(d + 1), options_.l2);
    penalty(static_cast<Eigen::Index>(d)) = 1e-10;  // intercept: unpenalised (tiny ridge keeps H invertible)
    Eigen::VectorXd w = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(d + 1));
    const double prior = positives / static_cast<double>(n);
    w(static_cast<Eigen::Index>(d)) = std::log(prior / (1 - prior));
    auto loss = [&](const Eigen::VectorXd& weights) {
      Eigen::VectorXd margin = z * weights;
      double total = 0;
      for (Eigen::Index i = 0; i < margin.size(); ++i) total += softplus(y(i) > 0.5 ? -margin(i) : margin(i));
      return total + 0.5 * (penalty.array() * weights.array().square()).sum();
    };
    double current = loss(w);
    for (int iteration = 0; iteration < options_.max_iterations; ++iteration) {
      Eigen::VectorXd margin = z * w;
      Eigen::VectorXd p(margin.size());
      Eigen::VectorXd curvature(margin.size());
      for (Eigen::Index i = 0; i < margin.size(); ++i) {
        p(i) = sigmoid(margin(i));
        curvature(i) = std::max(p(i) * (1 - p(i)), 1e-12);
      }
      Eigen::VectorXd gradient = z.transpose() * (p - y) + penalty.cwiseProduct(w);
      Eigen::MatrixXd hessian = z.transpose() * (z.array().colwise() * curvature.array()).matrix();
      hessian.diagonal() += penalty;
      Eigen::VectorXd step = hessian.ldlt().solve(gradient);
      double factor = 1.0;
      Eigen::VectorXd next = w - step;
      double next_loss = loss(next);
      while (next_loss > current && factor > 1e-6) {
        factor *= 0.5;
        next = w - factor * step;
        next_loss = loss(next);
      }
      if (next_loss > current) break;
      const double change = (current - next_loss) / std::max(1.0, std::abs(current));
      w = next;
      current = next_loss;
      if (change < options_.tolerance) break;
    }
    coefficients_.assign(w.data(), w.data() + d);
    intercept_ = w(static_cast<Eigen::Index>(d));
  }

  std::vector<double> predict(const FeatureMatrix& x, std::span<const std::size_t> rows) const override {
    TAILOR_CHECK_ARG(x.cols == coefficients_.size(), "the model was fitted on a different number of features");
    std::vector<double> scores;
    scores.reserve(rows.size());
    for (std::size_t row : rows) {
      double margin = intercept_;
      for (std::size_t col = 0; col < x.cols; ++col) {
        margin += coefficients_[col] * (x.values[row * x.cols + col] - mean_[col]) / scale_[col];
      }
      scores.push_back(sigmoid(margin));
    }
    return scores;
  }

  std::vector<FeatureImportance> importance() const override {
    std::vector<FeatureImportance> items;
    for (std::size_t col = 0; col < coefficients_.size(); ++col) items.push_back({names_[col], std::abs(coefficients_[col])});
    return sorted_importance(std::move(items));
  }

  std::string name() const override { return "logistic"; }
  const std::vector<double>& coefficients() const { return coefficients_; }

 private:
  LogisticOptions options_;
  std::vector<std::string> names_;
  std::vector<double> mean_;
  std::vector<double> scale_;
  std::vector<double> coefficients_;
  double intercept_ = 0;
};

}  // namespace

PropensityKind parse_propensity_kind(const std::string& name) {
  if (name == "xgboost") return PropensityKind::kXgboost;
  if (name == "logistic") return PropensityKind::kLogistic;
  throw_error(ErrorCode::kInvalidArgument, "unknown propensity model '" + name + "' (xgboost, logistic)");
}

std::string propensity_kind_name(PropensityKind kind) {
  return kind == PropensityKind::kXgboost ? "xgboost" : "logistic";
}

bool xgboost_available() { return detail::xgboost_linked(); }

std::unique_ptr<PropensityModel> make_propensity_model(const PropensityOptions& options) {
  if (options.kind == PropensityKind::kLogistic) return std::make_unique<LogisticModel>(options.logistic);
  return detail::make_xgboost_model(options.xgboost, options.threads);
}

std::vector<double> logistic_coefficients(const PropensityModel& model) {
  const auto* logistic = dynamic_cast<const LogisticModel*>(&model);
  return logistic != nullptr ? logistic->coefficients() : std::vector<double>{};
}

RowSplit split_rows(std::size_t n, double test_fraction, std::uint64_t seed) {
  TAILOR_CHECK_ARG(test_fraction > 0 && test_fraction < 1, "test fraction must be in (0, 1)");
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  dataset::Rng rng(seed);
  for (std::size_t pos = n; pos > 1; --pos) {
    std::swap(order[pos - 1], order[static_cast<std::size_t>(rng.below(pos))]);
  }
  const auto test_count = static_cast<std::size_t>(std::llround(static_cast<double>(n) * test_fraction));
  RowSplit split;
  split.test.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(test_count));
  split.train.assign(order.begin() + static_cast<std::ptrdiff_t>(test_count), order.end());
  std::sort(split.test.begin(), split.test.end());
  std::sort(split.train.begin(), split.train.end());
  return split;
}

double binary_auc(std::span<const double> scores, std::span<const float> labels) {
  TAILOR_CHECK_ARG(scores.size() == labels.size(), "auc: scores and labels differ in length");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // AUC = (R+ - P (P + 1) / 2) / (P N), R+ = sum of the positives' 1-based
  // ranks with tied scores sharing their average rank.
  double positive_rank_sum = 0;
  double positives = 0;
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start;
    while (end < order.size() && scores[order[end]] == scores[order[start]]) ++end;
    const double average_rank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2.0;
    for (std::size_t pos = start; pos < end; ++pos) {
      if (labels[order[pos]] > 0.5F) {
        positive_rank_sum += average_rank;
        positives += 1;
      }
    }
    start = end;
  }
  const double negatives = static_cast<double>(order.size()) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return (positive_rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives);
}

}  // namespace tailor::analytics
