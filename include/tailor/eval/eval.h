// Front door of the eval component: ranking and rating metrics and the
// offline evaluation protocol that splits a dataset, fits a model and scores it.
//
// Metric definitions (per user u with test set T_u and ranked list L_u of length K,
// rel_i = 1 when the i-th item of L_u is in T_u; averaged over users with T_u non-empty):
//   Precision@K = |L_u ∩ T_u| / K
//   Recall@K    = |L_u ∩ T_u| / |T_u|
//   F1@K        = 2PR / (P + R)  (per user, 0 when P + R = 0)
//   HitRate@K   = 1 if |L_u ∩ T_u| > 0
//   NDCG@K      = DCG / IDCG, DCG = Σ_i rel_i / log2(i + 1) (i from 1), IDCG the DCG of min(K, |T_u|) hits
//   MAP@K       = (1 / min(K, |T_u|)) Σ_i rel_i · Precision@i
//   MRR         = 1 / rank of the first hit in the full list asked for (0 when none)
//   AUC         = fraction of (test positive, non-interacted negative) pairs ranked correctly,
//                 computed over all candidate items from the full score vector
//   coverage    = |∪_u L_u| / |items|
//   diversity   = intra-list diversity: mean over lists of mean pairwise (1 - cos(i, j)),
//                 cos over the items' training user vectors (0 for an item with none);
//                 lists of fewer than two items are left out; reported for the largest K only
//   novelty     = mean over recommended items of -log2(pop(i) / |users|), pop = distinct
//                 training users (clamped to >= 1); per list, then averaged over non-empty lists
//   RMSE, MAE   over (user, item, rating) test triples of a rating predictor.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "tailor/dataset/dataset.h"
#include "tailor/model/model.h"

namespace tailor::eval {

// ---- per-list metrics (pure functions, hand-checkable) ----
// `ranked` are item ids in rank order (already cut to K), `relevant` is sorted.
double precision_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant, std::size_t k);
double recall_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant, std::size_t k);
double f1_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant, std::size_t k);
double hit_rate_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant, std::size_t k);
double ndcg_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant, std::size_t k);
double map_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant, std::size_t k);
double reciprocal_rank(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant);
// AUC from a full score vector: positives `relevant`, negatives every item not
// in relevant and not in `excluded` (sorted). Ties count one half; NaN scores
// count as -infinity; 0.5 when there is no (positive, negative) pair.
double auc(std::span<const float> scores, std::span<const std::uint32_t> relevant,
           std::span<const std::uint32_t> excluded);
// NaN for empty input; InvalidArgument when the lengths differ.
double rmse(std::span<const double> predicted, std::span<const double> actual);
double mae(std::span<const double> predicted, std::span<const double> actual);

struct EvalOptions {
  std::vector<std::size_t> ks{10};
  bool exclude_seen = true;
  bool compute_auc = true;
  bool compute_beyond_accuracy = true;  // coverage, diversity, novelty
  int threads = 0;
  bool quiet = true;
  // Evaluate at most this many users (0 = all), chosen deterministically.
  std::size_t max_users = 0;
  // Test items below this rating are not relevant (0 = every test interaction is).
  double relevance_threshold = 0;
  // The cold-start protocol: lists hold only items without any interaction in
  // `train` (what a kColdItems split held out), so the question is how well
  // a model ranks new items it never saw used. run_protocol sets it for kColdItems.
  bool cold_items_only = false;
};

// Metric name -> value ("ndcg@10", "precision@10", "mrr", "auc", "coverage@10",
// "rmse", ...), plus "users" (evaluated users), "fit_seconds", "eval_seconds".
using MetricMap = std::map<std::string, double>;

// Evaluates a fitted model against held-out test interactions (indexes of dataset).
// `train` gives each user's seen items (left out of the lists when
// options.exclude_seen, and never AUC negatives) and the popularity and item
// vectors behind novelty and diversity; pass what the model was fitted on (plus
// any validation part that should be masked). Each test user's list comes from
// model.score_user() and model.collect() — the same path as recommend(). Users
// whose relevant test set is empty are skipped. Parallel over users
// (options.threads); the result does not depend on the thread count.
MetricMap evaluate_ranking(const model::Recommender& model, std::span<const dataset::Interaction> train,
                           std::span<const dataset::Interaction> test, const EvalOptions& options);
// Rankings produced outside Tailor (a peer library in bench/), scored by the
// same code: rankings[user] = item indexes best first. Seen items are dropped
// when options.exclude_seen, repeats ignored, lists cut at max K. AUC is not
// reported (it needs a full score vector).
using Rankings = std::vector<std::vector<std::uint32_t>>;
MetricMap evaluate_rankings(const Rankings& rankings, std::uint32_t n_items,
                            std::span<const dataset::Interaction> train, std::span<const dataset::Interaction> test,
                            const EvalOptions& options);

// RMSE / MAE of model.predict over test interactions that carry a rating
// ("rated" = how many; rmse / mae absent when none). InvalidArgument when the
// model does not predict ratings.
MetricMap evaluate_rating(const model::Recommender& model, std::span<const dataset::Interaction> test);

// The whole protocol: split, fit, evaluate. With k-fold (folds > 1) the rating
// metrics are averaged over folds ("rated" summed) and ranking metrics come
// from fold 0; fit_seconds / eval_seconds are per fold. With a split that has
// a validation part (recbole) the model trains on train only and validation
// items are masked at test time, as RecBole does.
struct ProtocolOptions {
  dataset::SplitOptions split;
  int folds = 0;  // > 1: k-fold cross-validation (rating models)
  EvalOptions eval;
  model::FitOptions fit;
};
MetricMap run_protocol(const dataset::Dataset& dataset, const std::string& model_name,
                       const model::Params& params, const ProtocolOptions& options);

// Fit on split.train, evaluate on split.test (train ∪ validation are the seen
// items), for a split made elsewhere (e.g. read back from `tailor split` files
// so peers in bench/ use the very same one).
MetricMap run_on_split(const dataset::Dataset& dataset, const dataset::Split& split, const std::string& model_name,
                       const model::Params& params, const ProtocolOptions& options);

// Renders metrics as an aligned text table, rows = metric names.
std::string format_table(const MetricMap& metrics);

}  // namespace tailor::eval

namespace tailor::eval {

// ------------------------------------------------------------------ tune ---

// One searched hyper-parameter: values drawn uniformly in [low, high], or
// log-uniformly when log is set; ints are rounded.
struct SearchRange {
  double low = 0;
  double high = 0;
  bool log = false;
  bool integer = false;
};

struct TuneOptions {
  int trials = 20;
  std::string metric = "ndcg@10";  // "rmse" / "mae" are minimised, everything else maximised
  std::uint64_t seed = 42;
  // The held-out test split; validation is carved out of its train part with
  // the same kind and fraction (seed + 1), and only validation drives the search.
  dataset::SplitOptions split;
  EvalOptions eval;
  model::FitOptions fit;
  // Parameters to search. Empty: every int/double parameter of the model, in a
  // range derived from its default (÷10..×10 log-uniform for positive doubles,
  // ÷4..×4 for ints), clipped to the parameter's valid range.
  std::map<std::string, SearchRange> space;
  bool quiet = true;
};

struct TuneTrial {
  model::Params params;
  double validation = 0;
  double fit_seconds = 0;
};

struct TuneResult {
  std::string model;
  std::string metric;
  model::Params best_params;
  double best_validation = 0;
  MetricMap test;  // the best params refitted on the full train part, scored on test
  std::vector<TuneTrial> trials;  // trial 0 is always the defaults
};

// Random search (trial 0 = defaults, then `trials - 1` random draws from the
// seeded splitmix64 PRNG): deterministic for a seed. Throws InvalidArgument for
// an unknown model, metric or parameter name.
TuneResult tune(const dataset::Dataset& dataset, const std::string& model_name, const TuneOptions& options);

// Default search space of a model (see TuneOptions::space).
std::map<std::string, SearchRange> default_search_space(const std::string& model_name);

}  // namespace tailor::eval
