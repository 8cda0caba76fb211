// The experiment report: from exposure and attribution records to per-user
// metrics per variant and the statistics of stats.h.
//
// The analysis unit is the user: a user counts in the variant of their
// exposures (assignment is sticky, so there is one) and contributes
//   ctr              x = shown clicks, y = exposures   (ratio metric, delta method)
//   conversion       x = 1 when any conversion event was attributed      (proportion)
//   revenue_per_user x = Σ value of conversion events                    (mean)
//   items_per_user   x = number of conversion events                     (mean)
//   count:<type>     x = number of <type> events; value:<type> x = Σ value
// The report reads the per-user totals the exposure log writes with every
// batch (UserSummaries: one small record per user and writer), not the
// exposures themselves. CUPED reads the pre-period from the event log.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <unordered_map>

#include "tailor/core/core.h"
#include "tailor/experiment/experiment.h"

namespace tailor::experiment {
namespace {

using nlohmann::json;

struct UserAgg {
  std::size_t variant = 0;
  bool mixed = false;        // exposures in more than one variant (the salt or weights changed)
  double exposures = 0;
  double clicks = 0;         // shown clicks
  double conversions = 0;
  double revenue = 0;
  double team_clicks[2] = {0, 0};
  std::unordered_map<std::string, std::pair<double, double>> by_type;  // type -> (count, Σ value)
  std::unordered_map<std::string, std::pair<double, double>> pre_by_type;  // CUPED pre-period
  double pre_conversions = 0, pre_revenue = 0;
};

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// x_u (and the CUPED covariate c_u) of one user for a non-ratio metric.
std::pair<double, double> user_value(const std::string& metric, const UserAgg& u) {
  if (metric == "conversion") return {u.conversions > 0 ? 1.0 : 0.0, u.pre_conversions > 0 ? 1.0 : 0.0};
  if (metric == "revenue_per_user") return {u.revenue, u.pre_revenue};
  if (metric == "items_per_user") return {u.conversions, u.pre_conversions};
  const bool count = metric.starts_with("count:");
  const std::string type = metric.substr(6);
  const auto find = [&](const auto& map) {
    auto it = map.find(type);
    return it == map.end() ? 0.0 : (count ? it->second.first : it->second.second);
  };
  return {find(u.by_type), find(u.pre_by_type)};
}

json interval(double low, double high) { return json::array({low, high}); }

json frequentist_json(const FrequentistResult& r) {
  json out = {{"lift", r.estimate}, {"ci", interval(r.ci_low, r.ci_high)}, {"p_value", r.p_value}};
  if (!r.error.empty()) out["error"] = r.error;
  return out;
}

json interleaving_report(const Definition& d, const std::unordered_map<std::string, UserAgg>& users) {
  std::size_t wins_a = 0, wins_b = 0, ties = 0;
  for (const auto& [id, u] : users) {
    if (u.team_clicks[0] > u.team_clicks[1]) ++wins_a;
    else if (u.team_clicks[1] > u.team_clicks[0]) ++wins_b;
    else ++ties;
  }
  const double total = static_cast<double>(wins_a + wins_b + ties);
  const double p = sign_test_p_value(wins_b, wins_a);
  json out = {{"mode", "interleave"}, {"a", d.variants[0].name}, {"b", d.variants[1].name},
              {"users", users.size()}, {"wins_a", wins_a}, {"wins_b", wins_b}, {"ties", ties},
              {"delta", total > 0 ? (static_cast<double>(wins_b) - static_cast<double>(wins_a)) / total : 0.0},
              {"p_value", p}, {"test", "sign test (two-sided, ties dropped)"}};
  out["winner"] = p < d.alpha ? json(wins_b > wins_a ? d.variants[1].name : d.variants[0].name) : json(nullptr);
  return out;
}

}  // namespace

json experiment_report(const store::Store& store, const std::string& id, const ReportOptions& options) {
  const auto found = load_experiment(store, id);
  if (!found) throw_error(ErrorCode::kNotFound, "experiment '" + id + "' does not exist");
  Definition d = *found;
  const bool sequential = options.sequential.value_or(d.sequential);
  const bool bayesian = options.bayesian.value_or(d.bayesian);
  const int cuped_days = options.cuped_days.value_or(d.cuped_days);
  const std::string correction = options.correction.value_or(d.correction);
  TAILOR_CHECK_ARG(correction == "holm" || correction == "bh" || correction == "none",
                   "correction: must be holm, bh or none");
  TAILOR_CHECK_ARG(cuped_days >= 0 && cuped_days <= 365, "cuped_days: must be in [0, 365]");
  std::vector<std::string> metrics = options.metrics;
  if (metrics.empty()) {
    metrics.push_back(d.primary_metric);
    for (const auto& m : d.guardrail_metrics)
      if (!contains(metrics, m)) metrics.push_back(m);
  }
  for (const auto& m : metrics) check_metric_name(m);

  // One pass over the per-user totals (UserSummaries); a user's records of
  // several writers (replicas, restarts) add up.
  std::unordered_map<std::string, UserAgg> users;
  users.reserve(1 << 16);
  std::vector<double> exposures_by_variant(d.variants.size(), 0);
  Timestamp first_exposure = 0;
  store::RecordQuery query;
  query.collection = kUserCollection;
  query.key_prefix = d.id + ".";
  store.scan_records(query, [&](const store::Record& record) {
    const auto body = json::parse(record.body, nullptr, false);
    if (!body.is_object()) return;
    const std::size_t variant = body.value("v", std::size_t{0});
    if (variant >= d.variants.size()) return;
    auto [it, inserted] = users.try_emplace(record.user);
    UserAgg& u = it->second;
    if (inserted) u.variant = variant;
    else if (u.variant != variant) u.mixed = true;
    if (body.value("m", false)) u.mixed = true;
    const double n = body.value("n", 0.0);
    u.exposures += n;
    const Timestamp first = body.value("f", Timestamp{0});
    if (n > 0 && (first_exposure == 0 || first < first_exposure)) first_exposure = first;
    if (!body.contains("t") || !body["t"].is_object()) return;
    for (auto type = body["t"].begin(); type != body["t"].end(); ++type) {
      const auto& a = type.value();
      if (!a.is_array() || a.size() != 5) continue;
      const double count = a[0].get<double>(), value = a[1].get<double>(), shown = a[2].get<double>();
      if (contains(d.click_types, type.key())) {
        u.clicks += shown;
        u.team_clicks[0] += a[3].get<double>();
        u.team_clicks[1] += a[4].get<double>();
      }
      if (contains(d.conversion_types, type.key())) {
        u.conversions += count;
        u.revenue += value;
      }
      auto& t = u.by_type[type.key()];
      t.first += count;
      t.second += value;
    }
  });
  // Users with totals but no exposure (an attribution whose exposure was in another writer's batch
  // only) still belong to the analysis once any writer counted an exposure; those with none do not.
  for (auto it = users.begin(); it != users.end();) {
    if (it->second.exposures <= 0) it = users.erase(it);
    else ++it;
  }
  std::size_t mixed = 0;
  for (auto it = users.begin(); it != users.end();) {
    if (it->second.mixed) {
      ++mixed;
      it = users.erase(it);
    } else {
      ++it;
    }
  }

  json report = {{"experiment", {{"id", d.id}, {"name", d.name}, {"mode", d.mode},
                                 {"status", status_name(d.status)}, {"started_at", d.started_at},
                                 {"stopped_at", d.stopped_at}, {"primary_metric", d.primary_metric}}},
                 {"generated_at", options.now != 0 ? options.now : now_seconds()},
                 {"alpha", d.alpha}, {"sequential", sequential}, {"correction", correction},
                 {"multiple_variant_users", mixed}};
  if (d.mode == "interleave") {
    report["interleaving"] = interleaving_report(d, users);
    report["verdict"] = {{"winner", report["interleaving"]["winner"]},
                         {"reason", report["interleaving"]["winner"].is_null()
                                        ? "no significant preference between the rankers yet"
                                        : "users prefer it in team-draft interleaving (sign test)"}};
    return report;
  }

  // CUPED's covariate: the same metric over the pre-period before the first exposure.
  const Timestamp start = d.started_at != 0 ? d.started_at : first_exposure;
  if (cuped_days > 0 && !users.empty()) {
    std::unordered_map<std::uint32_t, UserAgg*> by_index;
    for (auto& [user_id, u] : users)
      if (auto idx = store.user_index(user_id)) by_index[*idx] = &u;
    const Timestamp from = start - static_cast<Timestamp>(cuped_days) * 86400;
    store.scan_events([&](const store::StoredEvent& ev) {
      if (ev.timestamp < from || ev.timestamp >= start) return;
      auto it = by_index.find(ev.user_idx);
      if (it == by_index.end()) return;
      UserAgg& u = *it->second;
      if (contains(d.conversion_types, ev.type)) {
        u.pre_conversions += 1;
        u.pre_revenue += ev.value;
      }
      auto& t = u.pre_by_type[ev.type];
      t.first += 1;
      t.second += ev.value;
    });
  }

  std::vector<double> users_by_variant(d.variants.size(), 0), weights;
  for (const auto& [user_id, u] : users) {
    users_by_variant[u.variant] += 1;
    exposures_by_variant[u.variant] += u.exposures;  // of the users analysed (mixed ones are out)
  }
  for (const auto& v : d.variants) weights.push_back(v.weight);
  const double srm = srm_p_value(users_by_variant, weights);
  const double weight_total = std::accumulate(weights.begin(), weights.end(), 0.0);
  json srm_users = json::array();
  for (double n : users_by_variant) srm_users.push_back(static_cast<std::uint64_t>(n));
  json srm_json = {{"p_value", srm}, {"flag", srm < kSrmThreshold}, {"threshold", kSrmThreshold},
                   {"users", srm_users}};
  json expected = json::array();
  for (double w : weights) expected.push_back(w / weight_total);
  srm_json["expected_share"] = expected;
  report["srm"] = srm_json;
  json variants = json::array();
  for (std::size_t v = 0; v < d.variants.size(); ++v)
    variants.push_back({{"name", d.variants[v].name}, {"model", d.variants[v].model},
                        {"users", static_cast<std::uint64_t>(users_by_variant[v])},
                        {"exposures", static_cast<std::uint64_t>(exposures_by_variant[v])}});
  report["variants"] = variants;

  TestOptions test;
  test.alpha = d.alpha;
  test.sequential_tuning = d.sequential_tuning;
  json metric_rows = json::array();
  std::vector<double> headline_p;  // every (metric, treatment) p-value, for the correction
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    const std::string& name = metrics[m];
    MetricShape shape;
    shape.ratio = name == "ctr";
    shape.main = name == "conversion" ? ValueType::kProportion : ValueType::kMean;
    shape.cuped = cuped_days > 0 && !shape.ratio;
    shape.covariate = shape.main;
    std::vector<VariantData> data(d.variants.size());
    for (std::size_t v = 0; v < d.variants.size(); ++v) data[v].name = d.variants[v].name;
    for (const auto& [user_id, u] : users) {
      VariantData& row = data[u.variant];
      row.users += 1;
      if (shape.ratio) {
        row.sum += u.clicks;
        row.sum_squares += u.clicks * u.clicks;
        row.denominator_sum += u.exposures;
        row.denominator_sum_squares += u.exposures * u.exposures;
        row.main_denominator_sum_product += u.clicks * u.exposures;
      } else {
        const auto [x, c] = user_value(name, u);
        row.sum += x;
        row.sum_squares += x * x;
        row.covariate_sum += c;
        row.covariate_sum_squares += c * c;
        row.main_covariate_sum_product += x * c;
      }
    }
    json rows = json::array();
    const Moments control_plain = variant_moments(data[0], shape);
    rows.push_back({{"name", data[0].name}, {"control", true}, {"users", static_cast<std::uint64_t>(data[0].users)},
                    {"mean", control_plain.unadjusted_mean}});
    for (std::size_t v = 1; v < data.size(); ++v) {
      Moments a = control_plain, b = variant_moments(data[v], shape);
      json row = {{"name", data[v].name}, {"control", false}, {"users", static_cast<std::uint64_t>(data[v].users)},
                  {"mean", b.unadjusted_mean}};
      if (shape.cuped) {
        const double theta = cuped_theta(data[0], data[v], shape);
        a = cuped_moments(data[0], shape, theta);
        b = cuped_moments(data[v], shape, theta);
        row["cuped_theta"] = theta;
      }
      const auto fixed = two_sided_ttest(a, b, test);
      const auto seq = sequential_ttest(a, b, test);
      const auto& head = sequential ? seq : fixed;
      row["lift"] = head.estimate;
      row["ci"] = interval(head.ci_low, head.ci_high);
      row["p_value"] = head.p_value;
      if (!head.error.empty()) row["error"] = head.error;
      row["fixed_horizon"] = frequentist_json(fixed);
      row["sequential"] = frequentist_json(seq);
      if (bayesian) {
        const auto bayes = bayesian_test(a, b, test);
        row["bayesian"] = {{"chance_to_win", bayes.chance_to_win}, {"ci", interval(bayes.ci_low, bayes.ci_high)},
                           {"risk_control", bayes.risk_control}, {"risk_treatment", bayes.risk_treatment}};
      }
      headline_p.push_back(head.p_value);
      rows.push_back(std::move(row));
    }
    metric_rows.push_back({{"name", name}, {"role", m == 0 ? "primary" : "guardrail"},
                           {"type", shape.ratio ? "ratio" : shape.main == ValueType::kProportion ? "proportion" : "mean"},
                           {"cuped", shape.cuped}, {"variants", std::move(rows)}});
  }
  std::vector<double> adjusted = headline_p;
  if (correction == "holm") adjusted = holm_adjust(headline_p);
  else if (correction == "bh") adjusted = benjamini_hochberg_adjust(headline_p);
  std::size_t next = 0;
  for (auto& metric : metric_rows)
    for (auto& row : metric["variants"]) {
      if (row["control"].get<bool>()) continue;
      row["p_value_adjusted"] = adjusted[next++];
      const double low = row["ci"][0].get<double>(), high = row["ci"][1].get<double>();
      row["significant"] = row["p_value_adjusted"].get<double>() < d.alpha && !row.contains("error");
      row["direction"] = !row["significant"].get<bool>() ? "none" : (low > 0 ? "better" : high < 0 ? "worse" : "none");
    }
  report["metrics"] = metric_rows;

  // Verdict on the primary metric, SRM first: a broken split invalidates everything.
  json verdict;
  if (srm < kSrmThreshold) {
    verdict = {{"winner", nullptr}, {"reason", "sample-ratio mismatch (p < 0.001): the split is broken, results are not trustworthy"}};
  } else {
    const auto& primary = metric_rows[0]["variants"];
    std::string best;
    double best_lift = 0;
    bool all_worse = primary.size() > 1;
    for (const auto& row : primary) {
      if (row["control"].get<bool>()) continue;
      if (row["direction"] == "better" && (best.empty() || row["lift"].get<double>() > best_lift)) {
        best = row["name"].get<std::string>();
        best_lift = row["lift"].get<double>();
      }
      if (row["direction"] != "worse") all_worse = false;
    }
    if (!best.empty())
      verdict = {{"winner", best}, {"reason", "significantly better than the control on " + d.primary_metric}};
    else if (all_worse)
      verdict = {{"winner", d.variants[0].name},
                 {"reason", "every treatment is significantly worse than the control on " + d.primary_metric}};
    else
      verdict = {{"winner", nullptr}, {"reason", "no significant difference on " + d.primary_metric + " yet"}};
  }
  report["verdict"] = verdict;
  return report;
}

std::string report_table(const json& report) {
  std::string out;
  char line[512];
  const auto& e = report["experiment"];
  std::snprintf(line, sizeof line, "experiment %s (%s, %s)\n", e["id"].get<std::string>().c_str(),
                e["mode"].get<std::string>().c_str(), e["status"].get<std::string>().c_str());
  out += line;
  if (report.contains("interleaving")) {
    const auto& i = report["interleaving"];
    std::snprintf(line, sizeof line, "interleaving %s vs %s: users %zu, %s wins %zu, %s wins %zu, ties %zu, p = %.4g\n",
                  i["a"].get<std::string>().c_str(), i["b"].get<std::string>().c_str(), i["users"].get<std::size_t>(),
                  i["a"].get<std::string>().c_str(), i["wins_a"].get<std::size_t>(), i["b"].get<std::string>().c_str(),
                  i["wins_b"].get<std::size_t>(), i["ties"].get<std::size_t>(), i["p_value"].get<double>());
    out += line;
  } else {
    const auto& srm = report["srm"];
    std::snprintf(line, sizeof line, "sample ratio check: p = %.4g%s\n", srm["p_value"].get<double>(),
                  srm["flag"].get<bool>() ? "  ** MISMATCH: results below are not trustworthy **" : "  ok");
    out += line;
    for (const auto& v : report["variants"]) {
      std::snprintf(line, sizeof line, "  %-16s users %8.0f  exposures %10.0f\n", v["name"].get<std::string>().c_str(),
                    v["users"].get<double>(), v["exposures"].get<double>());
      out += line;
    }
    std::snprintf(line, sizeof line, "%s tests, %s correction, alpha %.3g\n",
                  report["sequential"].get<bool>() ? "sequential (always valid)" : "fixed-horizon",
                  report["correction"].get<std::string>().c_str(), report["alpha"].get<double>());
    out += line;
    std::snprintf(line, sizeof line, "%-22s %-14s %10s %10s %22s %9s %9s\n", "metric", "variant", "mean", "lift",
                  "interval", "p", "p adj");
    out += line;
    for (const auto& m : report["metrics"])
      for (const auto& row : m["variants"]) {
        const std::string metric = m["name"].get<std::string>() + (m["role"] == "primary" ? " *" : "");
        if (row["control"].get<bool>()) {
          std::snprintf(line, sizeof line, "%-22s %-14s %10.5g %10s\n", metric.c_str(),
                        row["name"].get<std::string>().c_str(), row["mean"].get<double>(), "control");
        } else {
          char ci[64];
          std::snprintf(ci, sizeof ci, "[%+.2f%%, %+.2f%%]", 100 * row["ci"][0].get<double>(),
                        100 * row["ci"][1].get<double>());
          std::snprintf(line, sizeof line, "%-22s %-14s %10.5g %+9.2f%% %22s %9.4g %9.4g%s\n", metric.c_str(),
                        row["name"].get<std::string>().c_str(), row["mean"].get<double>(),
                        100 * row["lift"].get<double>(), ci, row["p_value"].get<double>(),
                        row["p_value_adjusted"].get<double>(), row["significant"].get<bool>() ? "  significant" : "");
        }
        out += line;
      }
  }
  const auto& verdict = report["verdict"];
  out += "verdict: " + (verdict["winner"].is_null() ? std::string("no winner") : "winner " + verdict["winner"].get<std::string>()) +
         " — " + verdict["reason"].get<std::string>() + "\n";
  return out;
}

}  // namespace tailor::experiment
