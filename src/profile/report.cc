// `tailor report`: the marketer's page. report_json gathers the numbers
// (segments, RFM histograms, association rules, a purchase-propensity lift
// curve); report_html draws them as one self-contained page — inline CSS and
// SVG built here, no script, since the page is opened offline.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "tailor/analytics/analytics.h"
#include "tailor/core/core.h"
#include "tailor/dataset/dataset.h"
#include "tailor/profile/profile.h"
#include "tailor/store/store.h"

namespace tailor::profile {
namespace {

constexpr int kReportVersion = 1;
constexpr int kLiftBins = 10;
constexpr std::size_t kMinClassUsers = 10;

// Features that would give the purchase label away (computed from purchases
// or carts), left out of the propensity model.
bool leaks_purchase(const std::string& name) {
  static const std::set<std::string> kLeaky = {"purchases", "carts", "monetary", "avg_order_value",
                                               "price_sensitivity", "frequency", "active_days"};
  return kLeaky.contains(name);
}

Json histogram(const ProfileSet& profiles, const std::string& feature, int bins) {
  std::vector<double> values;
  for (const auto& user : profiles.users)
    if (auto v = user.feature(feature); v && std::isfinite(*v)) values.push_back(*v);
  Json out = {{"feature", feature}, {"count", values.size()}, {"edges", Json::array()}, {"counts", Json::array()}};
  if (values.empty()) return out;
  const auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
  const double lo = *lo_it, hi = *hi_it > *lo_it ? *hi_it : *lo_it + 1;
  std::vector<std::size_t> counts(static_cast<std::size_t>(bins), 0);
  for (double v : values) {
    auto bin = static_cast<std::size_t>((v - lo) / (hi - lo) * bins);
    counts[std::min(bin, counts.size() - 1)] += 1;
  }
  for (int bin = 0; bin <= bins; ++bin) out["edges"].push_back(lo + (hi - lo) * bin / bins);
  out["counts"] = counts;
  return out;
}

Json association_rules_json(const store::Store& store, const ReportOptions& options) {
  dataset::SnapshotOptions snapshot_options;
  snapshot_options.event_types.allow_unknown = true;
  const dataset::Dataset data = dataset::snapshot(store, snapshot_options, true);
  const auto baskets = analytics::make_baskets(data, {});
  analytics::ItemsetOptions itemset_options;
  itemset_options.min_support = options.min_support;
  itemset_options.max_size = 3;
  itemset_options.threads = options.threads;
  const auto itemsets = analytics::frequent_itemsets(baskets, itemset_options);
  auto rules = analytics::association_rules(itemsets, baskets.size(), {.min_confidence = options.min_confidence});
  std::stable_sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) { return a.lift > b.lift; });
  if (rules.size() > options.top_rules) rules.resize(options.top_rules);
  auto names = [&](const std::vector<std::uint32_t>& items) {
    Json out = Json::array();
    for (std::uint32_t item : items) {
      const std::string& title = data.item_meta[item].title;
      out.push_back({{"id", data.items.id(item)}, {"title", title.empty() ? data.items.id(item) : title}});
    }
    return out;
  };
  Json out = Json::array();
  for (const auto& rule : rules)
    out.push_back({{"antecedent", names(rule.antecedent)}, {"consequent", names(rule.consequent)},
                   {"support", rule.support}, {"confidence", rule.confidence}, {"lift", rule.lift}});
  return {{"min_support", options.min_support}, {"min_confidence", options.min_confidence},
          {"baskets", baskets.size()}, {"itemsets", itemsets.size()}, {"rules", std::move(out)}};
}

// Logistic regression P(user has purchased | non-purchase features) on a
// seeded 70/30 split of the active users; the lift of decile d is the
// purchase rate of the top d/10 of test users by score over the base rate.
Json propensity_json(const ProfileSet& profiles, const ReportOptions& options) {
  std::vector<const UserProfile*> users;
  for (const auto& user : profiles.users)
    if (user.event_count > 0) users.push_back(&user);
  analytics::FeatureMatrix x;
  if (!users.empty())
    for (const auto& [name, value] : users.front()->features)
      if (!leaks_purchase(name)) x.names.push_back(name);
  x.rows = users.size();
  x.cols = x.names.size();
  x.values.resize(x.rows * x.cols);
  x.labels.resize(x.rows);
  std::size_t positives = 0;
  for (std::size_t row = 0; row < users.size(); ++row) {
    for (std::size_t col = 0; col < x.cols; ++col) {
      const double v = users[row]->features.at(x.names[col]);
      x.values[row * x.cols + col] = std::isfinite(v) ? static_cast<float>(v) : 0.0F;
    }
    const double purchases = users[row]->features.at("purchases");
    x.labels[row] = purchases > 0 ? 1.0F : 0.0F;
    positives += purchases > 0 ? 1 : 0;
  }
  Json out = {{"target", "user has a purchase event"}, {"model", "logistic"},
              {"excluded_features", {"purchases", "carts", "monetary", "avg_order_value", "price_sensitivity",
                                     "frequency", "active_days"}}};
  if (positives < kMinClassUsers || users.size() - positives < kMinClassUsers) {
    out["available"] = false;
    out["reason"] = "fewer than " + std::to_string(kMinClassUsers) + " users in a class";
    return out;
  }
  const auto split = analytics::split_rows(x.rows, 0.3, options.seed);
  analytics::PropensityOptions model_options;
  model_options.kind = analytics::PropensityKind::kLogistic;
  model_options.threads = options.threads;
  auto model = analytics::make_propensity_model(model_options);
  model->fit(x, split.train);
  const std::vector<double> scores = model->predict(x, split.test);
  std::vector<float> labels;
  for (std::size_t row : split.test) labels.push_back(x.labels[row]);
  std::vector<std::size_t> order(scores.size());
  for (std::size_t idx = 0; idx < order.size(); ++idx) order[idx] = idx;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  double base = 0;
  for (float label : labels) base += label;
  base /= static_cast<double>(labels.size());
  Json lift = Json::array();
  double hits = 0;
  std::size_t taken = 0;
  for (int bin = 1; bin <= kLiftBins; ++bin) {
    const std::size_t until = labels.size() * static_cast<std::size_t>(bin) / kLiftBins;
    for (; taken < until; ++taken) hits += labels[order[taken]];
    const double rate = taken > 0 ? hits / static_cast<double>(taken) : 0;
    lift.push_back({{"fraction", bin / static_cast<double>(kLiftBins)}, {"response_rate", rate},
                    {"lift", base > 0 ? rate / base : 0}});
  }
  auto importance = model->importance();
  Json top = Json::array();
  for (std::size_t idx = 0; idx < importance.size() && idx < 8; ++idx)
    top.push_back({{"feature", importance[idx].feature}, {"value", importance[idx].value}});
  out["available"] = true;
  out["train_users"] = split.train.size();
  out["test_users"] = split.test.size();
  out["base_rate"] = base;
  out["auc"] = analytics::binary_auc(scores, labels);
  out["lift"] = std::move(lift);
  out["importance"] = std::move(top);
  return out;
}

// ---------------------------------------------------------------- HTML ---

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fmt(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// Vertical bars with a label under each; values >= 0.
std::string bar_chart(const std::vector<std::string>& labels, const std::vector<double>& values,
                      const std::string& color, const char* value_format) {
  const double width = 560, height = 220, left = 40, bottom = 40, top = 20;
  const double max_value = values.empty() ? 1 : std::max(*std::max_element(values.begin(), values.end()), 1e-12);
  const double slot = (width - left - 10) / std::max<std::size_t>(values.size(), 1);
  std::string svg = "<svg class=\"chart\" viewBox=\"0 0 560 220\" xmlns=\"http://www.w3.org/2000/svg\">";
  svg += "<line x1=\"" + fmt("%.0f", left) + "\" y1=\"" + fmt("%.0f", height - bottom) + "\" x2=\"550\" y2=\"" +
         fmt("%.0f", height - bottom) + "\" stroke=\"#888\"/>";
  for (std::size_t idx = 0; idx < values.size(); ++idx) {
    const double h = (height - bottom - top) * values[idx] / max_value;
    const double x = left + slot * static_cast<double>(idx) + slot * 0.1;
    const double y = height - bottom - h;
    svg += "<rect x=\"" + fmt("%.1f", x) + "\" y=\"" + fmt("%.1f", y) + "\" width=\"" + fmt("%.1f", slot * 0.8) +
           "\" height=\"" + fmt("%.1f", h) + "\" fill=\"" + color + "\"><title>" + escape(labels[idx]) + ": " +
           fmt(value_format, values[idx]) + "</title></rect>";
    svg += "<text x=\"" + fmt("%.1f", x + slot * 0.4) + "\" y=\"" + fmt("%.1f", y - 4) +
           "\" class=\"v\">" + fmt(value_format, values[idx]) + "</text>";
    svg += "<text x=\"" + fmt("%.1f", x + slot * 0.4) + "\" y=\"" + fmt("%.1f", height - bottom + 14) +
           "\" class=\"l\">" + escape(labels[idx]) + "</text>";
  }
  return svg + "</svg>";
}

std::string histogram_chart(const Json& hist, const std::string& color) {
  std::vector<std::string> labels;
  std::vector<double> values;
  const auto& edges = hist["edges"];
  for (std::size_t bin = 0; bin < hist["counts"].size(); ++bin) {
    labels.push_back(fmt("%.0f", edges[bin].get<double>()));
    values.push_back(hist["counts"][bin].get<double>());
  }
  return bar_chart(labels, values, color, "%.0f");
}

}  // namespace

Json report_json(const store::Store& store, const ReportOptions& options) {
  TAILOR_CHECK_ARG(options.min_support > 0 && options.min_support <= 1, "report min_support must be in (0, 1]");
  TAILOR_CHECK_ARG(options.min_confidence >= 0 && options.min_confidence <= 1,
                   "report min_confidence must be in [0, 1]");
  TAILOR_CHECK_ARG(options.histogram_bins >= 2 && options.histogram_bins <= 100,
                   "report histogram_bins must be in [2, 100]");
  const ProfileSet profiles = compute_profiles(store);
  SegmentResult segments;
  std::string segments_source = "stored (segments:current)";
  auto bytes = store.get_artifact(kSegmentsArtifact);
  Json stored = bytes ? Json::parse(*bytes, nullptr, false) : Json();
  if (bytes && !stored.is_discarded()) {
    segments = segments_from_json(stored);
  } else {
    SegmentOptions segment_options;
    segment_options.seed = options.seed;
    segment_options.threads = options.threads;
    segments = compute_segments(profiles, segment_options);
    segments_source = "computed for this report (run `tailor segments` to store them)";
  }
  Json segment_list = Json::array();
  for (const auto& s : segments.segments) segment_list.push_back(segment_json(s));
  Json rfm = Json::object();
  for (const char* feature : {"recency_days", "frequency", "monetary"})
    rfm[feature] = histogram(profiles, feature, options.histogram_bins);
  return {{"format", "tailor-report"},
          {"version", kReportVersion},
          {"now", format_timestamp(profiles.now)},
          {"users", profiles.users.size()},
          {"segments", {{"source", segments_source}, {"k", segments.k}, {"silhouette", segments.silhouette},
                        {"list", std::move(segment_list)}}},
          {"rfm", std::move(rfm)},
          {"association_rules", association_rules_json(store, options)},
          {"propensity", propensity_json(profiles, options)}};
}

std::string report_html(const Json& report) {
  std::string html = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Tailor report</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:24px auto;max-width:1180px;color:#222;background:#fafafa}
h1{margin-bottom:4px}.sub{color:#666;margin-top:0}
section{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:16px 20px;margin:18px 0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:12px}
.chart{width:100%;height:auto}.wide{max-width:760px;display:block}.chart .v{font-size:10px;text-anchor:middle;fill:#333}.chart .l{font-size:10px;text-anchor:middle;fill:#555}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eee;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.n{text-align:right;font-variant-numeric:tabular-nums}.note{color:#777;font-size:12px}
</style></head><body>
)";
  html += "<h1>Tailor marketing report</h1><p class=\"sub\">" + std::to_string(report["users"].get<std::size_t>()) +
          " users · data up to " + escape(report["now"].get<std::string>()) + "</p>\n";

  // Segments.
  const Json& segments = report["segments"];
  std::vector<std::string> labels;
  std::vector<double> sizes;
  for (const auto& s : segments["list"]) {
    labels.push_back("#" + std::to_string(s["id"].get<int>()));
    sizes.push_back(s["size"].get<double>());
  }
  html += "<section id=\"segments\"><h2>Segments</h2><p class=\"note\">k = " +
          std::to_string(segments["k"].get<int>()) + ", silhouette " + fmt("%.3f", segments["silhouette"].get<double>()) +
          "; " + escape(segments["source"].get<std::string>()) + "</p><div class=\"wide\">" +
          bar_chart(labels, sizes, "#4e79a7", "%.0f") + "</div>" +
          "<table><tr><th>#</th><th>Name</th><th>Users</th><th>Profile</th></tr>";
  for (const auto& s : segments["list"])
    html += "<tr><td>" + std::to_string(s["id"].get<int>()) + "</td><td>" + escape(s["name"].get<std::string>()) +
            "</td><td class=\"n\">" + std::to_string(s["size"].get<std::size_t>()) + "</td><td>" +
            escape(s["description"].get<std::string>()) + "</td></tr>";
  html += "</table></section>\n";

  // RFM.
  html += "<section id=\"rfm\"><h2>RFM distribution</h2><div class=\"grid\">";
  const std::pair<const char*, const char*> kRfm[] = {
      {"recency_days", "Recency (days since last event)"}, {"frequency", "Frequency (events)"},
      {"monetary", "Monetary (purchase value)"}};
  const char* colors[] = {"#59a14f", "#f28e2b", "#e15759"};
  int color_idx = 0;
  for (const auto& [feature, title] : kRfm) {
    const Json& hist = report["rfm"][feature];
    html += "<div><h3>" + std::string(title) + "</h3><p class=\"note\">" +
            std::to_string(hist["count"].get<std::size_t>()) + " users with a value; bars start at the lower edge</p>" +
            histogram_chart(hist, colors[color_idx++]) + "</div>";
  }
  html += "</div></section>\n";

  // Association rules.
  const Json& rules = report["association_rules"];
  html += "<section id=\"rules\"><h2>Top association rules</h2><p class=\"note\">" +
          std::to_string(rules["baskets"].get<std::size_t>()) + " baskets, min support " +
          fmt("%.3f", rules["min_support"].get<double>()) + ", min confidence " +
          fmt("%.2f", rules["min_confidence"].get<double>()) + "; sorted by lift</p>";
  if (rules["rules"].empty()) {
    html += "<p>No rule reaches these thresholds.</p>";
  } else {
    html += "<table><tr><th>Users who bought</th><th>also bought</th><th>Support</th><th>Confidence</th><th>Lift</th></tr>";
    auto join = [](const Json& items) {
      std::string text;
      for (const auto& item : items) text += (text.empty() ? "" : " + ") + escape(item["title"].get<std::string>());
      return text;
    };
    for (const auto& rule : rules["rules"])
      html += "<tr><td>" + join(rule["antecedent"]) + "</td><td>" + join(rule["consequent"]) + "</td><td class=\"n\">" +
              fmt("%.3f", rule["support"].get<double>()) + "</td><td class=\"n\">" +
              fmt("%.2f", rule["confidence"].get<double>()) + "</td><td class=\"n\">" +
              fmt("%.2f", rule["lift"].get<double>()) + "</td></tr>";
    html += "</table>";
  }
  html += "</section>\n";

  // Propensity.
  const Json& propensity = report["propensity"];
  html += "<section id=\"propensity\"><h2>Purchase propensity: lift curve</h2>";
  if (!propensity.value("available", false)) {
    html += "<p>Not available: " + escape(propensity.value("reason", "")) + "</p>";
  } else {
    html += "<p class=\"note\">Logistic regression, target: " + escape(propensity["target"].get<std::string>()) +
            "; trained on " + std::to_string(propensity["train_users"].get<std::size_t>()) + " users, tested on " +
            std::to_string(propensity["test_users"].get<std::size_t>()) + "; test AUC " +
            fmt("%.3f", propensity["auc"].get<double>()) + ", base rate " +
            fmt("%.3f", propensity["base_rate"].get<double>()) +
            ". Purchase-derived features are left out. Bar d = cumulative lift of the top d×10 % by score.</p>";
    std::vector<std::string> lift_labels;
    std::vector<double> lift_values;
    for (const auto& point : propensity["lift"]) {
      lift_labels.push_back(fmt("%.0f%%", point["fraction"].get<double>() * 100));
      lift_values.push_back(point["lift"].get<double>());
    }
    html += "<div class=\"wide\">" + bar_chart(lift_labels, lift_values, "#76b7b2", "%.2f") + "</div>";
    html += "<table><tr><th>Feature</th><th>|coefficient|</th></tr>";
    for (const auto& f : propensity["importance"])
      html += "<tr><td>" + escape(f["feature"].get<std::string>()) + "</td><td class=\"n\">" +
              fmt("%.3f", f["value"].get<double>()) + "</td></tr>";
    html += "</table>";
  }
  html += "</section>\n<p class=\"note\">Generated by tailor report; the same data is in report.json.</p>\n</body></html>\n";
  return html;
}

}  // namespace tailor::profile
