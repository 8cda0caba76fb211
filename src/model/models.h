// Private to the model component: the concrete models' factories and
// parameter tables (the registry in registry.cc lists them), and the helpers
// they share. Callers outside src/model go through create_model().
#pragma once

#include <memory>
#include <vector>

#include "tailor/model/model.h"

namespace tailor::model::detail {

// Checks `params` against `specs` and returns a full parameter object: every
// spec'd key present (defaults filled in), ints as JSON integers, bools as JSON
// booleans. Throws InvalidArgument naming the model and the key for an unknown
// key, a value of the wrong type or one outside [min, max].
Params resolve_params(const std::string& model_name, const std::vector<ParamSpec>& specs, const Params& params);

std::vector<ParamSpec> popular_param_specs();
std::vector<ParamSpec> itemknn_param_specs();
std::vector<ParamSpec> userknn_param_specs();
std::vector<ParamSpec> baseline_param_specs();

std::unique_ptr<Recommender> make_popular(const Params& params);
std::unique_ptr<Recommender> make_itemknn(const Params& params);
std::unique_ptr<Recommender> make_userknn(const Params& params);
std::unique_ptr<Recommender> make_baseline(const Params& params);
// @implicit-models
std::vector<ParamSpec> als_param_specs();
std::vector<ParamSpec> bpr_param_specs();
std::vector<ParamSpec> ease_param_specs();
std::vector<ParamSpec> rp3beta_param_specs();
std::unique_ptr<Recommender> make_als(const Params& params);
std::unique_ptr<Recommender> make_bpr(const Params& params);
std::unique_ptr<Recommender> make_ease(const Params& params);
std::unique_ptr<Recommender> make_rp3beta(const Params& params);
// The ALS training objective after each iteration of the last fit (empty
// unless fitted with calculate_loss). InvalidArgument when `model` is not als.
std::vector<double> als_loss_history(const Recommender& model);
// @rating-models
std::vector<ParamSpec> svd_param_specs();
std::vector<ParamSpec> svdpp_param_specs();
std::unique_ptr<Recommender> make_svd(const Params& params);
std::unique_ptr<Recommender> make_svdpp(const Params& params);
// @content-models
std::vector<ParamSpec> bm25_param_specs();
std::vector<ParamSpec> hybrid_param_specs();
std::unique_ptr<Recommender> make_bm25(const Params& params);
std::unique_ptr<Recommender> make_hybrid(const Params& params);
// @deep-models
std::vector<ParamSpec> sasrec_param_specs();
std::vector<ParamSpec> twotower_param_specs();
std::unique_ptr<Recommender> make_sasrec(const Params& params);
std::unique_ptr<Recommender> make_twotower(const Params& params);
// What a fitted hybrid learned: {"warm_weights": {source: w}, "cold_weights":
// {...}, "validation_ndcg@10": {source or "blend": ndcg}, "validation_users",
// "segments"}; null when `model` is not a hybrid.
Params hybrid_report(const Recommender& model);

// Top-k cosine neighbours of every row of `rows` (R x C), with shrinkage:
//   sim(a, b) = Σ_c x_ac · x_bc / (‖x_a‖ · ‖x_b‖ + shrink),  b ≠ a, sim > 0
// `by_col` is rows.transpose(). Each result row keeps its best `k` neighbours
// (ties to the smaller index), stored with columns ascending (CSR invariant).
// Parallel over rows with parallel_for_worker; each worker owns one dense
// R-sized accumulator. Deterministic: a row's sums run in the same order
// whatever the thread count.
dataset::CsrMatrix cosine_neighbors(const dataset::CsrMatrix& rows, const dataset::CsrMatrix& by_col,
                                    std::size_t k, double shrink, int threads, bool quiet,
                                    const std::string& label);

// ‖row‖₂ of every row.
std::vector<float> row_norms(const dataset::CsrMatrix& m);

// A copy of m with every stored value set to 1.
dataset::CsrMatrix binarized(const dataset::CsrMatrix& m);

// A row's entries sorted by value descending (ties: smaller column first),
// at most n, never `self`.
std::vector<ScoredItem> best_of_row(const dataset::CsrMatrix& m, std::uint32_t row, std::size_t n,
                                    std::uint32_t self);

}  // namespace tailor::model::detail
