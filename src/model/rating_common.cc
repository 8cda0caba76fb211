// Shared pieces of the explicit-rating factor models (see rating_common.h).
#include "rating_common.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace tailor::model::detail {

RatingData collect_ratings(std::span<const dataset::Interaction> train, std::uint32_t user_count,
                           std::uint32_t item_count) {
  std::vector<dataset::Interaction> rated;
  rated.reserve(train.size());
  for (const auto& x : train) {
    if (!x.rating || !std::isfinite(*x.rating)) continue;
    dataset::Interaction r = x;
    r.weight = *x.rating;
    rated.push_back(r);
  }
  std::stable_sort(rated.begin(), rated.end(), [](const auto& a, const auto& b) {
    return a.user != b.user ? a.user < b.user : a.item < b.item;
  });
  std::size_t kept = 0;
  for (std::size_t pos = 0; pos < rated.size(); ++pos) {
    if (kept > 0 && rated[kept - 1].user == rated[pos].user && rated[kept - 1].item == rated[pos].item) {
      rated[kept - 1] = rated[pos];  // the later row wins
    } else {
      rated[kept++] = rated[pos];
    }
  }
  rated.resize(kept);

  RatingData out;
  out.by_user = dataset::build_csr(rated, user_count, item_count);
  out.item_counts.assign(item_count, 0);
  if (out.empty()) return out;
  double sum = 0;
  out.min = std::numeric_limits<float>::infinity();
  out.max = -std::numeric_limits<float>::infinity();
  for (float r : out.by_user.values) {
    sum += r;
    out.min = std::min(out.min, r);
    out.max = std::max(out.max, r);
  }
  out.mean = sum / static_cast<double>(out.by_user.nnz());
  for (std::uint32_t item_idx : out.by_user.indices) ++out.item_counts[item_idx];
  return out;
}

double NormalSampler::next() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Box–Muller: u1 in (0, 1] so the log is finite.
  const double u1 = 1.0 - rng_.uniform();
  const double u2 = rng_.uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_ = radius * std::sin(angle);
  has_spare_ = true;
  return radius * std::cos(angle);
}

void fill_normal(std::vector<float>& v, double mean, double std, dataset::Rng& rng) {
  NormalSampler normal(rng);
  for (float& x : v) x = static_cast<float>(mean + std * normal.next());
}

void shuffle(std::span<std::uint32_t> v, dataset::Rng& rng) {
  for (std::size_t pos = v.size(); pos > 1; --pos) {
    const auto other = static_cast<std::size_t>(rng.below(pos));
    std::swap(v[pos - 1], v[other]);
  }
}

void als_biases(const RatingData& ratings, double reg_u, double reg_i, int epochs, std::vector<float>& user_bias,
                std::vector<float>& item_bias) {
  const CsrMatrix& by_user = ratings.by_user;
  const CsrMatrix by_item = by_user.transpose();
  std::vector<double> b_u(by_user.rows, 0.0), b_i(by_user.cols, 0.0);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    // b_i = Σ_{u ∈ R(i)} (r_ui − μ − b_u) / (reg_i + |R(i)|), then the same for b_u.
    for (std::uint32_t item_idx = 0; item_idx < by_item.rows; ++item_idx) {
      auto users = by_item.row_indices(item_idx);
      auto values = by_item.row_values(item_idx);
      if (users.empty()) continue;
      double dev = 0;
      for (std::size_t pos = 0; pos < users.size(); ++pos) dev += values[pos] - ratings.mean - b_u[users[pos]];
      b_i[item_idx] = dev / (reg_i + static_cast<double>(users.size()));
    }
    for (std::uint32_t user_idx = 0; user_idx < by_user.rows; ++user_idx) {
      auto items = by_user.row_indices(user_idx);
      auto values = by_user.row_values(user_idx);
      if (items.empty()) continue;
      double dev = 0;
      for (std::size_t pos = 0; pos < items.size(); ++pos) dev += values[pos] - ratings.mean - b_i[items[pos]];
      b_u[user_idx] = dev / (reg_u + static_cast<double>(items.size()));
    }
  }
  user_bias.assign(b_u.begin(), b_u.end());
  item_bias.assign(b_i.begin(), b_i.end());
}

std::vector<ScoredItem> cosine_similar_items(std::span<const float> factors, std::size_t rank, std::uint32_t item,
                                             std::size_t n) {
  if (rank == 0) return {};
  const std::size_t items = factors.size() / rank;
  auto row = [&](std::size_t item_idx) { return factors.subspan(item_idx * rank, rank); };
  auto norm = [](std::span<const float> v) {
    double sum = 0;
    for (float x : v) sum += static_cast<double>(x) * x;
    return std::sqrt(sum);
  };
  const auto query = row(item);
  const double query_norm = norm(query);
  if (query_norm == 0) return {};
  // cos(i, j) = q_i · q_j / (‖q_i‖ ‖q_j‖), over items j ≠ i with ‖q_j‖ > 0.
  TopK top(n);
  for (std::size_t item_idx = 0; item_idx < items; ++item_idx) {
    if (item_idx == item) continue;
    const auto other = row(item_idx);
    const double other_norm = norm(other);
    if (other_norm == 0) continue;
    double sum = 0;
    for (std::size_t factor_idx = 0; factor_idx < rank; ++factor_idx)
      sum += static_cast<double>(query[factor_idx]) * other[factor_idx];
    top.push(static_cast<std::uint32_t>(item_idx), static_cast<float>(sum / (query_norm * other_norm)));
  }
  return top.take();
}

double own_or_all(const Params& params, const char* own, const char* all) {
  const double value = params.at(own).get<double>();
  return value >= 0 ? value : params.at(all).get<double>();
}

bool read_flag(std::istream& in, const char* what) {
  const std::uint32_t flag = io::read_u32(in);
  if (flag > 1) throw_error(ErrorCode::kCorruption, std::string("model file: bad flag: ") + what);
  return flag == 1;
}

// ------------------------------------------------------ FactorRatingModel ---

namespace {

constexpr float kUnknown = -std::numeric_limits<float>::infinity();

float dot(std::span<const float> a, std::span<const float> b) {
  float sum = 0;
  for (std::size_t factor_idx = 0; factor_idx < a.size(); ++factor_idx) sum += a[factor_idx] * b[factor_idx];
  return sum;
}

}  // namespace

std::vector<ParamSpec> epoch_schedule_param_specs(double validation_fraction, int patience) {
  using Kind = ParamSpec::Kind;
  return {
      {"validation_fraction", Kind::kDouble, validation_fraction, 0, 0.5,
       "early stopping: fraction of the training ratings held out to choose the epoch count "
       "(<= epochs), then refit on all; 0 = run exactly `epochs` (Surprise)"},
      {"patience", Kind::kInt, static_cast<double>(patience), 1, 1000,
       "early stopping: epochs without a better held-out RMSE before stopping"},
      {"lr_decay", Kind::kDouble, 1, 0.5, 1, "learning rates are multiplied by this after every epoch (1 = Surprise)"},
  };
}

EpochSchedule epoch_schedule_from(const Params& params) {
  EpochSchedule schedule;
  schedule.epochs = params.at("epochs").get<int>();
  schedule.validation_fraction = params.at("validation_fraction").get<double>();
  schedule.patience = params.at("patience").get<int>();
  schedule.lr_decay = params.at("lr_decay").get<double>();
  return schedule;
}

double FactorRatingModel::raw_predict(std::uint32_t user, std::uint32_t item) const {
  const auto q_i = std::span<const float>(item_factors_).subspan(item * rank_, rank_);
  return mean_ + user_bias_[user] + item_bias_[item] + dot(q_i, user_vector(user));
}

std::optional<float> FactorRatingModel::predict(std::uint32_t user, std::uint32_t item) const {
  TAILOR_CHECK_ARG(user < user_count() && item < item_count(),
                   "predict: (user " + std::to_string(user) + ", item " + std::to_string(item) + ") out of range");
  if (!has_ratings_) return std::nullopt;
  return static_cast<float>(
      std::clamp(raw_predict(user, item), static_cast<double>(rating_min_), static_cast<double>(rating_max_)));
}

std::vector<ScoredItem> FactorRatingModel::similar_items(std::uint32_t item, std::size_t n) const {
  TAILOR_CHECK_ARG(item < item_count(), "similar_items: item index " + std::to_string(item) + " out of range");
  return cosine_similar_items(item_factors_, rank_, item, n);
}

void FactorRatingModel::score(std::optional<std::uint32_t> user, std::span<const std::uint32_t> history_items,
                              std::span<const float> /*history_weights*/, std::span<float> scores) const {
  if (!has_ratings_) {
    std::fill(scores.begin(), scores.end(), kUnknown);
    return;
  }
  std::vector<float> history_x;
  std::span<const float> x;
  if (user) {
    x = user_vector(*user);
  } else {
    history_x.assign(rank_, 0.0f);
    history_vector(history_items, history_x);
    x = history_x;
  }
  // scores[i] = μ + b_u + b_i + q_iᵀ x  (b_u = 0 for a history-only query).
  const double base = mean_ + (user ? user_bias_[*user] : 0.0f);
  const std::span<const float> q(item_factors_);
  for (std::uint32_t item_idx = 0; item_idx < scores.size(); ++item_idx) {
    scores[item_idx] = item_counts_[item_idx] == 0
                           ? kUnknown
                           : static_cast<float>(base + item_bias_[item_idx] + dot(q.subspan(item_idx * rank_, rank_), x));
  }
}

void FactorRatingModel::reset_state(const RatingData& ratings, std::uint32_t user_count, std::uint32_t item_count,
                                    const FactorInit& init, dataset::Rng& rng) {
  has_ratings_ = !ratings.empty();
  mean_ = init.biased ? ratings.mean : 0.0;
  rating_min_ = ratings.min;
  rating_max_ = ratings.max;
  rank_ = init.rank;
  item_counts_ = ratings.item_counts;
  user_bias_.assign(user_count, 0.0f);
  item_bias_.assign(item_count, 0.0f);
  if (init.biased && init.init_biases && has_ratings_) als_biases(ratings, 15, 10, 10, user_bias_, item_bias_);
  // Surprise draws p then q from N(init_mean, init_std).
  user_factors_.resize(static_cast<std::size_t>(user_count) * rank_);
  item_factors_.resize(static_cast<std::size_t>(item_count) * rank_);
  fill_normal(user_factors_, init.init_mean, init.init_std, rng);
  fill_normal(item_factors_, init.init_mean, init.init_std, rng);
  init_extra(rng);
}

void FactorRatingModel::run_epochs(const CsrMatrix& user_items, const RatingData& ratings, int epochs,
                                   double lr_decay, dataset::Rng& rng) {
  double lr_scale = 1;  // lr_decay^epoch
  for (int epoch = 0; epoch < epochs; ++epoch) {
    sgd_epoch(user_items, ratings, lr_scale, rng);
    lr_scale *= lr_decay;
  }
}

void FactorRatingModel::fit_factors(const CsrMatrix& user_items, std::span<const dataset::Interaction> train,
                                    const FitOptions& options, const FactorInit& init,
                                    const EpochSchedule& schedule) {
  const RatingData ratings = collect_ratings(train, user_items.rows, user_items.cols);
  int epochs = schedule.epochs;
  if (schedule.validation_fraction > 0 && !ratings.empty()) {
    // Hold out a random fraction of the rated pairs; the draw has its own
    // stream so it does not shift the initialisation.
    dataset::Rng pick(options.seed ^ 0x6A09E667F3BCC909ull);
    std::vector<dataset::Interaction> kept, held;
    const CsrMatrix& by_user = ratings.by_user;
    for (std::uint32_t user_idx = 0; user_idx < by_user.rows; ++user_idx) {
      auto items = by_user.row_indices(user_idx);
      auto values = by_user.row_values(user_idx);
      for (std::size_t pos = 0; pos < items.size(); ++pos) {
        dataset::Interaction x{user_idx, items[pos], 1.0f, 0, values[pos]};
        (pick.uniform() < schedule.validation_fraction ? held : kept).push_back(x);
      }
    }
    if (!held.empty() && !kept.empty()) {
      const RatingData part = collect_ratings(kept, user_items.rows, user_items.cols);
      dataset::Rng rng(options.seed);
      reset_state(part, user_items.rows, user_items.cols, init, rng);
      double best_rmse = std::numeric_limits<double>::infinity();
      int best_epochs = 1;
      double lr_scale = 1;
      for (int epoch = 1; epoch <= schedule.epochs; ++epoch) {
        sgd_epoch(user_items, part, lr_scale, rng);
        lr_scale *= schedule.lr_decay;
        derive_user_vectors(user_items);
        double sum = 0;
        for (const dataset::Interaction& x : held) {
          const double r = std::clamp(raw_predict(x.user, x.item), static_cast<double>(part.min),
                                      static_cast<double>(part.max));
          sum += (r - *x.rating) * (r - *x.rating);
        }
        const double rmse = std::sqrt(sum / static_cast<double>(held.size()));
        if (rmse < best_rmse) {
          best_rmse = rmse;
          best_epochs = epoch;
        } else if (epoch - best_epochs >= schedule.patience) {
          break;
        }
      }
      epochs = best_epochs;
      log_debug("factor model: early stopping chose " + std::to_string(epochs) + " epochs (held-out RMSE " +
                std::to_string(best_rmse) + " on " + std::to_string(held.size()) + " ratings)");
    }
  }
  dataset::Rng rng(options.seed);
  reset_state(ratings, user_items.rows, user_items.cols, init, rng);
  if (!ratings.empty()) run_epochs(user_items, ratings, epochs, schedule.lr_decay, rng);
  epochs_trained_ = ratings.empty() ? 0 : static_cast<std::uint32_t>(epochs);
  // SGD never touches users and items without ratings: zero their factors
  // rather than keep the random draws (such items are similar to nothing; such
  // users get μ + b_i, plus their implicit sum in svdpp).
  for (std::size_t item_idx = 0; item_idx < item_counts_.size(); ++item_idx) {
    if (item_counts_[item_idx] != 0) continue;
    std::fill_n(item_factors_.begin() + static_cast<std::ptrdiff_t>(item_idx * rank_), rank_, 0.0f);
  }
  for (std::uint32_t user_idx = 0; user_idx < ratings.by_user.rows; ++user_idx) {
    if (ratings.by_user.row_size(user_idx) != 0) continue;
    std::fill_n(user_factors_.begin() + static_cast<std::ptrdiff_t>(user_idx * rank_), rank_, 0.0f);
  }
  derive_user_vectors(user_items);
}

void FactorRatingModel::save_state(std::ostream& out) const {
  io::write_f64(out, mean_);
  io::write_f32(out, rating_min_);
  io::write_f32(out, rating_max_);
  io::write_u32(out, has_ratings_ ? 1 : 0);
  io::write_u32(out, static_cast<std::uint32_t>(rank_));
  io::write_u32(out, epochs_trained_);
  io::write_floats(out, user_bias_);
  io::write_floats(out, item_bias_);
  io::write_floats(out, user_factors_);
  io::write_floats(out, item_factors_);
  io::write_u32s(out, item_counts_);
}

void FactorRatingModel::load_state(std::istream& in, const char* model_name) {
  mean_ = io::read_f64(in);
  rating_min_ = io::read_f32(in);
  rating_max_ = io::read_f32(in);
  has_ratings_ = read_flag(in, "rating flag");
  rank_ = io::read_u32(in);
  epochs_trained_ = io::read_u32(in);
  user_bias_ = io::read_floats(in);
  item_bias_ = io::read_floats(in);
  user_factors_ = io::read_floats(in);
  item_factors_ = io::read_floats(in);
  item_counts_ = io::read_u32s(in);
  if (user_bias_.size() != user_count() || item_bias_.size() != item_count() ||
      user_factors_.size() != static_cast<std::size_t>(user_count()) * rank_ ||
      item_factors_.size() != static_cast<std::size_t>(item_count()) * rank_ ||
      item_counts_.size() != item_count())
    throw_error(ErrorCode::kCorruption,
                std::string("model file: ") + model_name + ": factor arrays do not match the id maps");
}

}  // namespace tailor::model::detail
