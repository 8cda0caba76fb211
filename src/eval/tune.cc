// Hyper-parameter search on a validation split (random search).
//
// Data flow: dataset --split--> (train, [validation,] test); when the split has
// no validation part, train --split--> (fit, validation).
// Every trial fits on `fit` and is scored on `validation`; the winner is refitted
// on the whole `train` and scored once on `test`, so the reported test number
// never influenced the choice. Trial 0 is the model's defaults, so tuning can
// only match or beat them on validation.
#include <cmath>

#include "tailor/eval/eval.h"

namespace tailor::eval {
namespace {

bool minimised(const std::string& metric) { return metric == "rmse" || metric == "mae"; }

double draw(const SearchRange& range, dataset::Rng& rng) {
  const double u = rng.uniform();
  double v = range.log ? std::exp(std::log(range.low) + u * (std::log(range.high) - std::log(range.low)))
                       : range.low + u * (range.high - range.low);
  if (range.integer) v = std::round(v);
  return std::min(range.high, std::max(range.low, v));
}

// A Dataset sharing id maps and metadata with `parent` whose interactions are `part`.
dataset::Dataset with_interactions(const dataset::Dataset& parent, const std::vector<dataset::Interaction>& part) {
  dataset::Dataset d;
  d.users = parent.users;
  d.items = parent.items;
  d.item_meta = parent.item_meta;
  d.user_attributes = parent.user_attributes;
  d.interactions = part;
  return d;
}

}  // namespace

std::map<std::string, SearchRange> default_search_space(const std::string& model_name) {
  std::map<std::string, SearchRange> space;
  for (const model::ParamSpec& spec : model::model_param_specs(model_name)) {
    if (spec.kind == model::ParamSpec::Kind::kBool) continue;
    if (spec.name.find("seed") != std::string::npos || spec.name.find("max_") == 0) continue;
    SearchRange r;
    r.integer = spec.kind == model::ParamSpec::Kind::kInt;
    const double d = spec.default_value;
    if (d > 0) {
      const double factor = r.integer ? 4.0 : 10.0;
      r.low = std::max(spec.min, d / factor);
      r.high = std::min(spec.max, d * factor);
      r.log = r.low > 0 && r.high / r.low > 8;
    } else {
      // Default 0 (e.g. "off"): search the first part of the valid range.
      r.low = spec.min;
      r.high = std::min(spec.max, spec.min + (r.integer ? 10.0 : 1.0));
    }
    if (r.integer) {
      r.low = std::ceil(r.low);
      r.high = std::floor(r.high);
    }
    if (r.high > r.low) space[spec.name] = r;
  }
  return space;
}

TuneResult tune(const dataset::Dataset& dataset, const std::string& model_name, const TuneOptions& options) {
  TAILOR_CHECK_ARG(options.trials >= 1 && options.trials <= 10000, "tune: trials must be in [1, 10000]");
  (void)model::create_model(model_name);  // unknown model -> InvalidArgument now
  std::map<std::string, SearchRange> space = options.space.empty() ? default_search_space(model_name) : options.space;
  for (const auto& [name, range] : space) {
    TAILOR_CHECK_ARG(range.high >= range.low, "tune: range of '" + name + "' is empty");
    TAILOR_CHECK_ARG(!range.log || range.low > 0, "tune: log range of '" + name + "' must be positive");
  }
  const bool rating_metric = minimised(options.metric);

  const dataset::Split outer = dataset::split(dataset, options.split);
  // A split with its own validation part (RecBole 8:1:1) tunes on it; the
  // others carve validation out of train the same way, with seed + 1.
  dataset::Split inner;
  if (!outer.validation.empty()) {
    inner.train = outer.train;
    inner.test = outer.validation;
  } else {
    dataset::SplitOptions inner_options = options.split;
    inner_options.seed = options.split.seed + 1;
    inner = dataset::split(with_interactions(dataset, outer.train), inner_options);
  }

  auto score = [&](const model::Params& params, const std::vector<dataset::Interaction>& fit_on,
                   const std::vector<dataset::Interaction>& seen, const std::vector<dataset::Interaction>& held_out,
                   double& fit_seconds) {
    auto model = model::create_model(model_name, params);
    const double t0 = monotonic_seconds();
    model->fit(dataset, fit_on, options.fit);
    fit_seconds = monotonic_seconds() - t0;
    MetricMap m = rating_metric ? evaluate_rating(*model, held_out) : evaluate_ranking(*model, seen, held_out, options.eval);
    return m;
  };

  TuneResult result;
  result.model = model_name;
  result.metric = options.metric;
  dataset::Rng rng(options.seed);
  Progress progress("tune " + model_name, static_cast<std::uint64_t>(options.trials), options.quiet);
  bool have_best = false;
  for (int trial = 0; trial < options.trials; ++trial) {
    model::Params params = model::Params::object();
    if (trial > 0)
      for (const auto& [name, range] : space) {
        const double v = draw(range, rng);
        if (range.integer)
          params[name] = static_cast<std::int64_t>(v);
        else
          params[name] = v;
      }
    TuneTrial t;
    t.params = model::create_model(model_name, params)->params();  // full, resolved params
    MetricMap m = score(params, inner.train, inner.train, inner.test, t.fit_seconds);
    auto it = m.find(options.metric);
    TAILOR_CHECK_ARG(it != m.end(), "tune: metric '" + options.metric + "' is not reported for model '" + model_name +
                                        "' (ranking metrics need a matching --k; rmse/mae need a rating model)");
    t.validation = it->second;
    const bool better = !have_best || (rating_metric ? t.validation < result.best_validation
                                                     : t.validation > result.best_validation);
    if (better) {
      have_best = true;
      result.best_validation = t.validation;
      result.best_params = t.params;
    }
    result.trials.push_back(std::move(t));
    progress.add();
  }
  progress.finish();
  std::vector<dataset::Interaction> seen(outer.train);
  seen.insert(seen.end(), outer.validation.begin(), outer.validation.end());
  double fit_seconds = 0;
  result.test = score(result.best_params, outer.train, seen, outer.test, fit_seconds);
  result.test["fit_seconds"] = fit_seconds;
  return result;
}

}  // namespace tailor::eval
