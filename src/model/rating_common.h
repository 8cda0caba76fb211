// Private to the model component: what the explicit-rating factor models
// (svd.cc, svdpp.cc) share — gathering the rated training pairs, the rating
// statistics every predictor needs, deterministic random numbers for factor
// initialisation and shuffling, the ALS bias warm start, cosine similarity
// over item factors, and FactorRatingModel: the common predictor, the SGD
// epoch driver with early stopping, scoring and the common payload.
//
// Factor matrices are row-major float arrays: row r of an (R x F) matrix is
// [r * F, (r + 1) * F).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tailor/model/model.h"

namespace tailor::model::detail {

// The training ratings of a fit: one entry per rated (user, item) pair (a
// repeated pair keeps its last rating; interactions without a finite rating
// are ignored), plus their statistics.
struct RatingData {
  CsrMatrix by_user;  // users x items, values = ratings
  double mean = 0;    // μ, mean training rating (0 when there is none)
  float min = 0;      // rating range seen in training, for clipping
  float max = 0;
  std::vector<std::uint32_t> item_counts;  // ratings per item

  bool empty() const { return by_user.nnz() == 0; }
};

RatingData collect_ratings(std::span<const dataset::Interaction> train, std::uint32_t user_count,
                           std::uint32_t item_count);

// Standard normal N(0, 1) draws from a dataset::Rng (Box–Muller, both values
// used): the same draws for a seed wherever std::log / sin / cos round alike
// (no std::normal_distribution, whose output differs between libraries).
class NormalSampler {
 public:
  explicit NormalSampler(dataset::Rng& rng) : rng_(rng) {}
  double next();

 private:
  dataset::Rng& rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// Fills v with N(mean, std) draws.
void fill_normal(std::vector<float>& v, double mean, double std, dataset::Rng& rng);

// Fisher–Yates with Rng::below.
void shuffle(std::span<std::uint32_t> v, dataset::Rng& rng);

// Biases of r̂ = μ + b_u + b_i by alternating least squares (as the
// "baseline" model: item biases then user biases each epoch, from zero).
void als_biases(const RatingData& ratings, double reg_u, double reg_i, int epochs, std::vector<float>& user_bias,
                std::vector<float>& item_bias);

// Most similar items to `item` by cosine of the rows of `factors` (items x
// rank); rows of zero norm (items without ratings) are never returned, nor is
// `item`. Empty when `item` itself has a zero row.
std::vector<ScoredItem> cosine_similar_items(std::span<const float> factors, std::size_t rank, std::uint32_t item,
                                             std::size_t n);

// Learning rate or regularisation of one parameter group: the separate value
// when it is given (>= 0), the shared `*_all` value otherwise (Surprise's
// lr_bu = lr_all unless set).
double own_or_all(const Params& params, const char* own, const char* all);

// Reads a u32 flag that must be 0 or 1; Corruption naming `what` otherwise.
bool read_flag(std::istream& in, const char* what);

// How many SGD epochs a factor model runs. With validation_fraction > 0 the
// epoch count is chosen by early stopping: that fraction of the training
// ratings (drawn with the fit's seed) is held out, the model trains on the
// rest for up to `epochs` epochs while the held-out RMSE is measured after
// each, and training stops once it has not improved for `patience` epochs.
// The model is then refitted from scratch on all ratings for the best epoch
// count (same seed, so the same initialisation). The held-out pairs stay in
// user_items (implicit feedback): only their rating values are hidden.
// With validation_fraction = 0, or too few ratings to hold any out, it runs
// exactly `epochs` epochs.
struct EpochSchedule {
  int epochs = 20;
  double validation_fraction = 0;
  int patience = 5;
  double lr_decay = 1;  // learning rates are multiplied by this after every epoch
};

// The ParamSpecs of EpochSchedule's knobs other than epochs, with these defaults.
std::vector<ParamSpec> epoch_schedule_param_specs(double validation_fraction, int patience);
EpochSchedule epoch_schedule_from(const Params& params);

// The part of svd and svdpp that is the same: the biased factor predictor
//   r̂(u, i) = μ + b_u + b_i + q_iᵀ x_u
// where x_u is the model's user vector (svd: p_u; svdpp: p_u plus the
// implicit-feedback sum), the SGD driver with early stopping, clipping,
// scoring, similar items, and the common payload. Subclasses supply the
// initialisation, one SGD epoch and x_u.
//
// Scoring (the ranker): score(u, i) = the unclipped r̂(u, i) for items with at
// least one training rating, -infinity for the others (nothing is known about
// them); unclipped so that items predicted above the top of the scale keep
// their order. A history-only query has b_u = 0 and x = history_vector().
// predict() clips r̂ to the training rating range. All const methods are safe
// to call concurrently after fit/load.
//
// Common payload: f64 μ, f32 rating min and max, u32 has_ratings, u32 rank,
// u32 epochs trained, f32 arrays b_u, b_i, p (users x rank), q (items x rank),
// u32 array of per-item rating counts.
class FactorRatingModel : public Recommender {
 public:
  bool predicts_ratings() const override { return true; }
  std::optional<float> predict(std::uint32_t user, std::uint32_t item) const override;
  std::vector<ScoredItem> similar_items(std::uint32_t item, std::size_t n) const override;
  // Epochs of the final fit (the early-stopping choice when that is on).
  std::uint32_t epochs_trained() const { return epochs_trained_; }

 protected:
  // x_u for a known user (rank_ floats), valid after derive_user_vectors().
  virtual std::span<const float> user_vector(std::uint32_t user) const = 0;
  // x for a history-only query; `out` holds rank_ floats, zeroed on entry.
  virtual void history_vector(std::span<const std::uint32_t> history_items, std::span<float> out) const = 0;
  // Called after reset_state(): initialise any further parameters from rng.
  virtual void init_extra(dataset::Rng& /*rng*/) {}
  // One SGD pass over `ratings` with learning rates multiplied by lr_scale.
  virtual void sgd_epoch(const CsrMatrix& user_items, const RatingData& ratings, double lr_scale,
                         dataset::Rng& rng) = 0;
  // Recomputes whatever user_vector() reads from the trained parameters.
  virtual void derive_user_vectors(const CsrMatrix& /*user_items*/) {}

  void score(std::optional<std::uint32_t> user, std::span<const std::uint32_t> history_items,
             std::span<const float> history_weights, std::span<float> scores) const override;

  // The whole fit: gathers the ratings of `train`, resets the state (biases
  // zero or the ALS baseline when init_biases, factors N(init_mean, init_std)
  // drawn p then q, then init_extra), runs the epochs of `schedule`, zeroes the
  // factors of users and items without ratings and derives the user vectors.
  // Deterministic for options.seed.
  struct FactorInit {
    std::size_t rank = 0;
    bool biased = true;
    bool init_biases = false;
    double init_mean = 0;
    double init_std = 0.1;
  };
  void fit_factors(const CsrMatrix& user_items, std::span<const dataset::Interaction> train,
                   const FitOptions& options, const FactorInit& init, const EpochSchedule& schedule);

  void save_state(std::ostream& out) const;
  void load_state(std::istream& in, const char* model_name);

  double mean_ = 0;  // μ (0 for an unbiased model)
  float rating_min_ = 0;
  float rating_max_ = 0;
  bool has_ratings_ = false;
  std::size_t rank_ = 0;
  std::uint32_t epochs_trained_ = 0;
  std::vector<float> user_bias_;
  std::vector<float> item_bias_;
  std::vector<float> user_factors_;  // p, users x rank
  std::vector<float> item_factors_;  // q, items x rank
  std::vector<std::uint32_t> item_counts_;

 private:
  void reset_state(const RatingData& ratings, std::uint32_t user_count, std::uint32_t item_count,
                   const FactorInit& init, dataset::Rng& rng);
  void run_epochs(const CsrMatrix& user_items, const RatingData& ratings, int epochs, double lr_decay,
                  dataset::Rng& rng);
  double raw_predict(std::uint32_t user, std::uint32_t item) const;
};

}  // namespace tailor::model::detail
