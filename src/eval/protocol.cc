// The offline protocol (split -> fit -> evaluate) and the metric table.
//
// Single split: fit on train; ranking metrics on test with train ∪ validation
// as the seen items (RecBole masks validation interactions at test time too;
// the validation part is otherwise unused — our models have no early stopping);
// rating metrics when the model predicts ratings.
// k-fold (folds > 1): fit once per fold; rmse / mae are the mean over folds,
// "rated" the total over folds (every rated interaction is tested once);
// ranking metrics come from fold 0 only (ranking over random interaction folds
// is a rating-protocol by-product, not worth k times the time).
// fit_seconds / eval_seconds are the mean per fold.
#include <cmath>
#include <cstdio>

#include "tailor/eval/eval.h"

namespace tailor::eval {
namespace {

void merge(MetricMap& into, const MetricMap& from) {
  for (const auto& [key, value] : from) into[key] = value;
}

}  // namespace

MetricMap run_protocol(const dataset::Dataset& dataset, const std::string& model_name,
                       const model::Params& params, const ProtocolOptions& options) {
  TAILOR_CHECK_ARG(options.folds >= 0, "protocol: folds must be >= 0");
  // Fail on a bad model name or parameter before any work.
  (void)model::create_model(model_name, params);
  MetricMap out;

  if (options.folds > 1) {
    const std::vector<dataset::Split> folds = dataset::kfold(dataset, options.folds, options.split.seed);
    double fit_seconds = 0, eval_seconds = 0, rmse_sum = 0, mae_sum = 0, rated = 0;
    int rating_folds = 0;
    for (std::size_t fold = 0; fold < folds.size(); ++fold) {
      auto model = model::create_model(model_name, params);
      const double t0 = monotonic_seconds();
      model->fit(dataset, folds[fold].train, options.fit);
      const double t1 = monotonic_seconds();
      if (fold == 0) merge(out, evaluate_ranking(*model, folds[fold].train, folds[fold].test, options.eval));
      if (model->predicts_ratings()) {
        MetricMap rating = evaluate_rating(*model, folds[fold].test);
        rated += rating["rated"];
        if (rating.count("rmse") != 0) {
          rmse_sum += rating["rmse"];
          mae_sum += rating["mae"];
          ++rating_folds;
        }
      }
      fit_seconds += t1 - t0;
      eval_seconds += monotonic_seconds() - t1;
    }
    const double n = static_cast<double>(folds.size());
    if (rating_folds > 0) {
      out["rmse"] = rmse_sum / rating_folds;
      out["mae"] = mae_sum / rating_folds;
    }
    if (rated > 0 || rating_folds > 0) out["rated"] = rated;
    out["folds"] = n;
    out["fit_seconds"] = fit_seconds / n;
    out["eval_seconds"] = eval_seconds / n;
    return out;
  }

  if (options.split.kind == dataset::SplitKind::kColdItems) {
    ProtocolOptions cold = options;
    cold.eval.cold_items_only = true;
    return run_on_split(dataset, dataset::split(dataset, options.split), model_name, params, cold);
  }
  return run_on_split(dataset, dataset::split(dataset, options.split), model_name, params, options);
}

MetricMap run_on_split(const dataset::Dataset& dataset, const dataset::Split& split, const std::string& model_name,
                       const model::Params& params, const ProtocolOptions& options) {
  MetricMap out;
  auto model = model::create_model(model_name, params);
  const double t0 = monotonic_seconds();
  model->fit(dataset, split.train, options.fit);
  const double t1 = monotonic_seconds();
  std::vector<dataset::Interaction> seen(split.train);
  seen.insert(seen.end(), split.validation.begin(), split.validation.end());
  merge(out, evaluate_ranking(*model, seen, split.test, options.eval));
  if (model->predicts_ratings()) merge(out, evaluate_rating(*model, split.test));
  out["fit_seconds"] = t1 - t0;
  out["eval_seconds"] = monotonic_seconds() - t1;
  return out;
}

// Two aligned columns. Counts print as integers, seconds with 3 decimals,
// metrics with 4.
std::string format_table(const MetricMap& metrics) {
  std::size_t width = 6;  // "metric"
  for (const auto& [key, value] : metrics) width = std::max(width, key.size());
  std::string out = "metric" + std::string(width - 6 + 2, ' ') + "value\n";
  for (const auto& [key, value] : metrics) {
    char buf[64];
    const bool count = key == "users" || key == "rated" || key == "folds";
    const bool seconds = key.size() > 8 && key.compare(key.size() - 8, 8, "_seconds") == 0;
    if (count && std::isfinite(value)) {
      std::snprintf(buf, sizeof buf, "%.0f", value);
    } else if (seconds) {
      std::snprintf(buf, sizeof buf, "%.3f", value);
    } else {
      std::snprintf(buf, sizeof buf, "%.4f", value);
    }
    out += key + std::string(width - key.size() + 2, ' ') + buf + "\n";
  }
  return out;
}

}  // namespace tailor::eval
