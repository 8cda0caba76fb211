// `tailor experiment stats`: the statistics of stats.h over aggregates given
// as JSON, validated field by field (the input is a file from outside).
#include <cmath>
#include <set>

#include "tailor/core/core.h"
#include "tailor/experiment/stats.h"

namespace tailor::experiment {
namespace {

using nlohmann::json;

double number_field(const json& object, const std::string& key, const std::string& where, bool required,
                    double fallback = 0) {
  if (!object.contains(key)) {
    TAILOR_CHECK_ARG(!required, where + key + ": required");
    return fallback;
  }
  const json& value = object[key];
  TAILOR_CHECK_ARG(value.is_number(), where + key + ": must be a number");
  const double out = value.get<double>();
  TAILOR_CHECK_ARG(std::isfinite(out), where + key + ": must be finite");
  return out;
}

ValueType value_type(const json& input, const std::string& key, ValueType fallback) {
  if (!input.contains(key)) return fallback;
  TAILOR_CHECK_ARG(input[key].is_string(), key + ": must be \"mean\" or \"proportion\"");
  const auto text = input[key].get<std::string>();
  if (text == "mean" || text == "count") return ValueType::kMean;
  if (text == "proportion" || text == "binomial") return ValueType::kProportion;
  throw_error(ErrorCode::kInvalidArgument, key + ": must be \"mean\" or \"proportion\", not '" + text + "'");
}

bool flag_field(const json& input, const std::string& key) {
  if (!input.contains(key)) return false;
  TAILOR_CHECK_ARG(input[key].is_boolean(), key + ": must be true or false");
  return input[key].get<bool>();
}

json interval(double low, double high) { return json::array({low, high}); }

}  // namespace

nlohmann::json stats_from_aggregates(const nlohmann::json& input) {
  TAILOR_CHECK_ARG(input.is_object(), "input: must be a JSON object");
  static const std::set<std::string> kTop = {"metric_type", "weights", "variants", "alpha", "difference",
                                             "sequential_tuning", "ratio", "denominator_type", "cuped",
                                             "covariate_type", "inverse"};
  for (auto it = input.begin(); it != input.end(); ++it)
    TAILOR_CHECK_ARG(kTop.count(it.key()), it.key() + ": unknown field");
  TAILOR_CHECK_ARG(input.contains("metric_type"), "metric_type: required (\"mean\" or \"proportion\")");
  MetricShape shape;
  shape.main = value_type(input, "metric_type", ValueType::kMean);
  shape.ratio = flag_field(input, "ratio");
  shape.denominator = value_type(input, "denominator_type", ValueType::kMean);
  shape.cuped = flag_field(input, "cuped");
  shape.covariate = value_type(input, "covariate_type", shape.main);
  TAILOR_CHECK_ARG(!(shape.ratio && shape.cuped), "cuped: not available for ratio metrics (as in gbstats 0.8)");
  const bool inverse = flag_field(input, "inverse");
  TestOptions options;
  options.alpha = number_field(input, "alpha", "", false, 0.05);
  TAILOR_CHECK_ARG(options.alpha > 0 && options.alpha < 1, "alpha: must be in (0, 1)");
  options.sequential_tuning = number_field(input, "sequential_tuning", "", false, 5000);
  TAILOR_CHECK_ARG(options.sequential_tuning > 0, "sequential_tuning: must be positive");
  if (input.contains("difference")) {
    TAILOR_CHECK_ARG(input["difference"].is_string(), "difference: must be \"relative\" or \"absolute\"");
    const auto text = input["difference"].get<std::string>();
    TAILOR_CHECK_ARG(text == "relative" || text == "absolute", "difference: must be \"relative\" or \"absolute\"");
    options.difference = text == "relative" ? Difference::kRelative : Difference::kAbsolute;
  }

  TAILOR_CHECK_ARG(input.contains("variants") && input["variants"].is_array(), "variants: required, an array");
  const json& variants_in = input["variants"];
  TAILOR_CHECK_ARG(variants_in.size() >= 2 && variants_in.size() <= 100, "variants: between 2 and 100 (control first)");
  std::vector<VariantData> variants;
  static const std::set<std::string> kVariant = {"name", "users", "sum", "sum_squares", "denominator_sum",
                                                 "denominator_sum_squares", "main_denominator_sum_product",
                                                 "covariate_sum", "covariate_sum_squares",
                                                 "main_covariate_sum_product"};
  for (std::size_t idx = 0; idx < variants_in.size(); ++idx) {
    const json& v = variants_in[idx];
    const std::string where = "variants[" + std::to_string(idx) + "].";
    TAILOR_CHECK_ARG(v.is_object(), "variants[" + std::to_string(idx) + "]: must be an object");
    for (auto it = v.begin(); it != v.end(); ++it)
      TAILOR_CHECK_ARG(kVariant.count(it.key()), where + it.key() + ": unknown field");
    VariantData d;
    if (v.contains("name")) {
      TAILOR_CHECK_ARG(v["name"].is_string(), where + "name: must be a string");
      d.name = v["name"].get<std::string>();
    } else {
      d.name = idx == 0 ? "control" : "variant " + std::to_string(idx);
    }
    d.users = number_field(v, "users", where, true);
    TAILOR_CHECK_ARG(d.users >= 0 && d.users == std::floor(d.users), where + "users: must be a whole number >= 0");
    d.sum = number_field(v, "sum", where, true);
    const bool needs_squares = shape.main == ValueType::kMean;
    d.sum_squares = number_field(v, "sum_squares", where, needs_squares, d.sum);
    if (shape.main == ValueType::kProportion) {
      TAILOR_CHECK_ARG(d.sum >= 0 && d.sum <= d.users, where + "sum: a proportion's sum must be in [0, users]");
      d.sum_squares = d.sum;
    } else {
      TAILOR_CHECK_ARG(d.sum_squares >= 0, where + "sum_squares: must be >= 0");
      // Cauchy–Schwarz: n·Σx² >= (Σx)², or the variance would be negative.
      TAILOR_CHECK_ARG(d.users * d.sum_squares >= d.sum * d.sum * (1 - 1e-9),
                       where + "sum_squares: smaller than sum²/users, impossible for real data");
    }
    if (shape.ratio) {
      d.denominator_sum = number_field(v, "denominator_sum", where, true);
      d.denominator_sum_squares = number_field(v, "denominator_sum_squares", where, true);
      d.main_denominator_sum_product = number_field(v, "main_denominator_sum_product", where, true);
    }
    if (shape.cuped) {
      d.covariate_sum = number_field(v, "covariate_sum", where, true);
      d.covariate_sum_squares = number_field(v, "covariate_sum_squares", where, true);
      d.main_covariate_sum_product = number_field(v, "main_covariate_sum_product", where, true);
    }
    variants.push_back(std::move(d));
  }
  std::vector<double> weights;
  if (input.contains("weights")) {
    TAILOR_CHECK_ARG(input["weights"].is_array() && input["weights"].size() == variants.size(),
                     "weights: an array with one weight per variant");
    for (std::size_t idx = 0; idx < variants.size(); ++idx) {
      TAILOR_CHECK_ARG(input["weights"][idx].is_number(), "weights[" + std::to_string(idx) + "]: must be a number");
      const double w = input["weights"][idx].get<double>();
      TAILOR_CHECK_ARG(std::isfinite(w) && w >= 0, "weights[" + std::to_string(idx) + "]: must be >= 0");
      weights.push_back(w);
    }
  } else {
    weights.assign(variants.size(), 1.0 / static_cast<double>(variants.size()));
  }
  std::vector<double> users;
  for (const auto& v : variants) users.push_back(v.users);
  const double srm = srm_p_value(users, weights);

  json out = {{"srm_p_value", srm}, {"srm_flag", srm < kSrmThreshold}, {"alpha", options.alpha},
              {"difference", options.difference == Difference::kRelative ? "relative" : "absolute"}};
  json rows = json::array();
  const Moments control_plain = variant_moments(variants[0], shape);
  rows.push_back({{"name", variants[0].name}, {"control", true}, {"users", static_cast<std::uint64_t>(variants[0].users)},
                  {"mean", control_plain.unadjusted_mean}, {"lift", nullptr}, {"ci", nullptr},
                  {"p_value", nullptr}});
  for (std::size_t idx = 1; idx < variants.size(); ++idx) {
    Moments a = control_plain, b = variant_moments(variants[idx], shape);
    json row = {{"name", variants[idx].name}, {"control", false}, {"users", static_cast<std::uint64_t>(variants[idx].users)},
                {"mean", b.unadjusted_mean}};
    if (shape.cuped) {
      // θ is fitted on each control/treatment pair, as gbstats does.
      const double theta = cuped_theta(variants[0], variants[idx], shape);
      a = cuped_moments(variants[0], shape, theta);
      b = cuped_moments(variants[idx], shape, theta);
      row["cuped_theta"] = theta;
    }
    const auto fixed = two_sided_ttest(a, b, options);
    double lift = fixed.estimate;
    // gbstats' report falls back to the raw difference when the test could not run.
    if (a.unadjusted_mean <= 0) lift = 0;
    else if (fixed.estimate == 0)
      lift = options.difference == Difference::kRelative ? (b.mean - a.mean) / a.unadjusted_mean : b.mean - a.mean;
    row["lift"] = lift;
    row["ci"] = interval(fixed.ci_low, fixed.ci_high);
    row["p_value"] = fixed.p_value;
    row["stddev"] = fixed.stddev;
    row["dof"] = fixed.dof;
    if (!fixed.error.empty()) row["error"] = fixed.error;
    const auto seq = sequential_ttest(a, b, options);
    row["sequential"] = {{"lift", seq.estimate}, {"ci", interval(seq.ci_low, seq.ci_high)}, {"p_value", seq.p_value}};
    const auto bayes = bayesian_test(a, b, options, inverse);
    row["bayesian"] = {{"chance_to_win", bayes.chance_to_win}, {"expected", bayes.expected},
                       {"ci", interval(bayes.ci_low, bayes.ci_high)},
                       {"risk", json::array({bayes.risk_control, bayes.risk_treatment})}};
    rows.push_back(std::move(row));
  }
  out["variants"] = std::move(rows);
  return out;
}

}  // namespace tailor::experiment
