// Online monitoring: the per-variant time series the runtime writes every
// interval ("experiment.monitor" records, one per variant, interval and
// replica), merged across replicas, with drop alerts. A point is flagged when
//   rate_t < (1 - threshold) · baseline_t,   baseline_t = Σ clicks / Σ exposures
// over the previous `baseline_points` points (exposure-weighted, so a quiet
// interval does not swing it), for CTR and conversion rate alike.
#include <map>

#include "tailor/core/core.h"
#include "tailor/experiment/experiment.h"

namespace tailor::experiment {
namespace {

using nlohmann::json;

struct Point {
  Timestamp start = 0;
  std::int64_t interval_s = 0;
  double exposures = 0, clicks = 0, conversions = 0;
  std::string model;
};

}  // namespace

json monitor_report(const store::Store& store, const MonitorOptions& options) {
  TAILOR_CHECK_ARG(options.threshold > 0 && options.threshold < 1, "threshold: must be in (0, 1)");
  TAILOR_CHECK_ARG(options.baseline_points >= 1 && options.baseline_points <= 1000, "baseline: must be in [1, 1000]");
  std::map<std::pair<std::string, std::string>, std::map<Timestamp, Point>> series;
  store::RecordQuery query;
  query.collection = kMonitorCollection;
  query.since = options.since;
  store.scan_records(query, [&](const store::Record& record) {
    const auto body = json::parse(record.body, nullptr, false);
    if (!body.is_object()) return;
    const std::string experiment = body.value("experiment", "");
    if (!options.experiment.empty() && experiment != options.experiment) return;
    Point& p = series[{experiment, body.value("variant", "")}][record.ts];
    p.start = record.ts;
    p.interval_s = body.value("interval_s", 0);
    p.exposures += body.value("exposures", 0.0);
    p.clicks += body.value("clicks", 0.0);
    p.conversions += body.value("conversions", 0.0);
    if (!body.value("model", "").empty()) p.model = body.value("model", "");
  });
  json out = {{"threshold", options.threshold}, {"baseline_points", options.baseline_points},
              {"min_exposures", options.min_exposures}};
  json all = json::array(), alerts = json::array();
  for (const auto& [key, points] : series) {
    json rows = json::array();
    std::vector<const Point*> history;
    for (const auto& [start, p] : points) {
      json row = {{"start", format_timestamp(p.start)}, {"ts", p.start}, {"exposures", p.exposures},
                  {"clicks", p.clicks}, {"conversions", p.conversions},
                  {"ctr", p.exposures > 0 ? p.clicks / p.exposures : 0.0},
                  {"conversion_rate", p.exposures > 0 ? p.conversions / p.exposures : 0.0}};
      double base_exposures = 0, base_clicks = 0, base_conversions = 0;
      const std::size_t from = history.size() > static_cast<std::size_t>(options.baseline_points)
                                   ? history.size() - static_cast<std::size_t>(options.baseline_points)
                                   : 0;
      for (std::size_t idx = from; idx < history.size(); ++idx) {
        base_exposures += history[idx]->exposures;
        base_clicks += history[idx]->clicks;
        base_conversions += history[idx]->conversions;
      }
      if (base_exposures > 0) {
        const double base_ctr = base_clicks / base_exposures, base_cr = base_conversions / base_exposures;
        row["baseline_ctr"] = base_ctr;
        row["baseline_conversion_rate"] = base_cr;
        if (p.exposures >= static_cast<double>(options.min_exposures)) {
          for (const auto& [metric, rate, base] :
               {std::tuple<const char*, double, double>{"ctr", row["ctr"].get<double>(), base_ctr},
                std::tuple<const char*, double, double>{"conversion_rate", row["conversion_rate"].get<double>(), base_cr}}) {
            if (base > 0 && rate < (1 - options.threshold) * base) {
              row["alert"] = true;
              alerts.push_back({{"experiment", key.first}, {"variant", key.second}, {"metric", metric},
                                {"start", format_timestamp(p.start)}, {"value", rate}, {"baseline", base},
                                {"drop", 1 - rate / base}});
            }
          }
        }
      }
      rows.push_back(std::move(row));
      history.push_back(&p);
    }
    all.push_back({{"experiment", key.first}, {"variant", key.second},
                   {"model", points.empty() ? "" : points.rbegin()->second.model}, {"points", std::move(rows)}});
  }
  out["series"] = std::move(all);
  out["alerts"] = std::move(alerts);
  return out;
}

}  // namespace tailor::experiment
