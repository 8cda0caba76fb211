// Segments: standardised feature vectors of the active users, k-means++ with k
// chosen by silhouette, and words for each segment from its mean z-scores.
//
// Matrix layout: one row per user with at least one event, one column per
// feature (see build_columns); column values are z-scores (x - mean) / std over
// those users, a missing value (NaN, absent attribute) becomes 0 = the mean.
// k-means runs on z * block weight; descriptions use the unweighted z.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "tailor/dataset/dataset.h"
#include "tailor/profile/profile.h"

namespace tailor::profile {
namespace {

constexpr int kSegmentsFormatVersion = 1;
constexpr std::size_t kMaxCategoricalValues = 12;  // attributes with more values (city, ...) are skipped
constexpr std::size_t kTopFeatures = 3;
constexpr double kMinDescribedZ = 0.3;

enum class Block { kAffinity, kBehaviour, kAttribute };

struct Column {
  std::string name;       // feature name, or "attributes.KEY" / "attributes.KEY=VALUE"
  Block block = Block::kBehaviour;
  bool log1p = false;     // counts and money: log(1 + x) before standardising
  std::string attribute;  // attribute key for the attribute block
  std::optional<std::string> one_hot;  // the value for a one-hot column
};

std::vector<Column> build_columns(const ProfileSet& profiles, const std::vector<const UserProfile*>& active) {
  std::vector<Column> columns;
  for (const auto& category : profiles.categories)
    columns.push_back({std::string(kAffinityPrefix) + category, Block::kAffinity});
  for (const char* name : {"frequency", "active_days", "purchases", "carts", "monetary", "ratings"})
    columns.push_back({name, Block::kBehaviour, true});
  for (const char* name : {"recency_days", "tenure_days", "hour_night", "hour_morning", "hour_afternoon",
                           "hour_evening", "weekend_share", "price_sensitivity", "avg_rating", "dislike_share"})
    columns.push_back({name, Block::kBehaviour});
  for (const auto& channel : profiles.channels)
    columns.push_back({std::string(kChannelPrefix) + channel, Block::kBehaviour});
  // Attributes: numeric when every given value is a number, else one-hot per value.
  std::map<std::string, std::set<std::string>> string_values;
  std::set<std::string> numeric, non_numeric;
  for (const auto* user : active)
    for (auto it = user->attributes.begin(); it != user->attributes.end(); ++it) {
      if (it->is_number()) {
        numeric.insert(it.key());
      } else {
        non_numeric.insert(it.key());
        if (it->is_string()) string_values[it.key()].insert(it->get<std::string>());
      }
    }
  for (const auto& key : numeric)
    if (!non_numeric.count(key)) columns.push_back({"attributes." + key, Block::kAttribute, false, key});
  for (const auto& [key, values] : string_values) {
    if (numeric.count(key) || values.size() < 2 || values.size() > kMaxCategoricalValues) continue;
    for (const auto& value : values)
      columns.push_back({"attributes." + key + "=" + value, Block::kAttribute, false, key, value});
  }
  return columns;
}

// The column's value for a user; plain = before log1p (what a person reads).
double raw_value(const Column& column, const UserProfile& user, bool plain = false) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (column.block != Block::kAttribute) {
    const double x = user.feature(column.name).value_or(kNaN);
    return column.log1p && !plain && !std::isnan(x) ? std::log1p(std::max(0.0, x)) : x;
  }
  auto it = user.attributes.find(column.attribute);
  if (it == user.attributes.end()) return kNaN;
  if (column.one_hot) return it->is_string() && it->get<std::string>() == *column.one_hot ? 1.0 : 0.0;
  return it->is_number() ? it->get<double>() : kNaN;
}

std::string format_sigma(double z) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1fσ", z);
  return buf;
}

// Words for "this segment's mean z of the feature is z".
std::string phrase_for(const std::string& name, double z) {
  const bool high = z > 0;
  std::string words;
  auto pick = [&](const char* up, const char* down) { words = high ? up : down; };
  if (name.rfind(kAffinityPrefix, 0) == 0) {
    words = std::string(high ? "high" : "low") + " affinity to " + name.substr(kAffinityPrefix.size());
  } else if (name.rfind(kChannelPrefix, 0) == 0) {
    words = std::string(high ? "prefer the " : "seldom use the ") + name.substr(kChannelPrefix.size()) + " channel";
  } else if (name.rfind("attributes.", 0) == 0) {
    const std::string attr = name.substr(11);
    const auto eq = attr.find('=');
    words = eq == std::string::npos ? std::string(high ? "higher " : "lower ") + attr
                                    : std::string(high ? "more often " : "less often ") + attr.substr(0, eq) + " " +
                                          attr.substr(eq + 1);
  } else if (name == "recency_days") pick("inactive lately", "recently active");
  else if (name == "tenure_days") pick("long-standing users", "newcomers");
  else if (name == "frequency" || name == "active_days") pick("very active", "rarely active");
  else if (name == "purchases") pick("frequent buyers", "rare buyers");
  else if (name == "carts") pick("fill their carts", "rarely add to cart");
  else if (name == "monetary") pick("big spenders", "low spenders");
  else if (name == "ratings") pick("rate often", "rarely rate");
  else if (name == "weekend_share") pick("weekend shoppers", "weekday shoppers");
  else if (name == "hour_night") pick("night owls", "rarely active at night");
  else if (name == "hour_morning") pick("morning shoppers", "rarely active in the morning");
  else if (name == "hour_afternoon") pick("afternoon shoppers", "rarely active in the afternoon");
  else if (name == "hour_evening") pick("evening shoppers", "rarely active in the evening");
  else if (name == "price_sensitivity") pick("premium buyers", "bargain hunters");
  else if (name == "avg_rating") pick("generous raters", "harsh raters");
  else if (name == "dislike_share") pick("dislike often", "rarely dislike");
  else words = std::string(high ? "high " : "low ") + name;
  return words + " (" + format_sigma(z) + ")";
}

void describe(Segment& segment, const std::vector<Column>& columns, const std::vector<double>& mean_z) {
  std::vector<std::size_t> order(columns.size());
  for (std::size_t col = 0; col < order.size(); ++col) order[col] = col;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return std::fabs(mean_z[a]) > std::fabs(mean_z[b]); });
  std::string description, name;
  int named = 0;
  for (std::size_t col : order) {
    if (segment.top_features.size() >= kTopFeatures || std::fabs(mean_z[col]) < kMinDescribedZ) break;
    segment.top_features.push_back({columns[col].name, mean_z[col], phrase_for(columns[col].name, mean_z[col])});
    description += (description.empty() ? "" : ", ") + segment.top_features.back().phrase;
  }
  // Name: the categories the segment likes most (z >= 0.5), else its first phrase.
  for (std::size_t col : order) {
    if (named >= 2) break;
    if (columns[col].block == Block::kAffinity && mean_z[col] >= 0.5) {
      name += (named ? " & " : "") + columns[col].name.substr(kAffinityPrefix.size());
      ++named;
    }
  }
  if (named > 0) name += " fans";
  else if (!segment.top_features.empty()) name = segment.top_features.front().phrase.substr(0, segment.top_features.front().phrase.find(" ("));
  else name = "average users";
  segment.name = name;
  segment.description = description.empty() ? "close to the average user" : description;
}

}  // namespace

void SegmentOptions::validate() const {
  TAILOR_CHECK_ARG(k == 0 || (k >= 1 && k <= 100), "segments: k must be 0 (auto) or in [1, 100]");
  TAILOR_CHECK_ARG(k_min >= 2 && k_min <= 100, "segments: k_min must be in [2, 100]");
  TAILOR_CHECK_ARG(k_max >= k_min && k_max <= 100, "segments: k_max must be in [k_min, 100]");
  TAILOR_CHECK_ARG(silhouette_sample >= 100 && silhouette_sample <= 20000,
                   "segments: silhouette_sample must be in [100, 20000]");
  for (double w : {affinity_weight, behaviour_weight, attribute_weight})
    TAILOR_CHECK_ARG(w >= 0 && w <= 10, "segments: block weights must be in [0, 10]");
  TAILOR_CHECK_ARG(affinity_weight + behaviour_weight + attribute_weight > 0, "segments: all block weights are 0");
}

std::optional<int> SegmentResult::segment_of(std::string_view user_id) const {
  for (const auto& [user, id] : assignment)
    if (user == user_id) return id;
  return std::nullopt;
}

SegmentResult compute_segments(const ProfileSet& profiles, const SegmentOptions& options) {
  options.validate();
  std::vector<const UserProfile*> active;
  std::size_t inactive = 0;
  for (const auto& user : profiles.users) {
    if (user.event_count > 0) active.push_back(&user);
    else ++inactive;
  }
  const std::size_t n = active.size();
  SegmentResult result;
  result.seed = options.seed;

  const auto columns = build_columns(profiles, active);
  const std::size_t all_dim = columns.size();
  // z[p * all_dim + col]: unweighted z-scores.
  std::vector<double> z(n * all_dim, 0);
  for (std::size_t col = 0; col < all_dim; ++col) {
    double sum = 0, sum_sq = 0, count = 0;
    for (std::size_t p = 0; p < n; ++p) {
      const double x = raw_value(columns[col], *active[p]);
      z[p * all_dim + col] = x;
      if (std::isnan(x)) continue;
      sum += x;
      sum_sq += x * x;
      count += 1;
    }
    const double mean = count > 0 ? sum / count : 0;
    const double var = count > 0 ? std::max(0.0, sum_sq / count - mean * mean) : 0;
    const double sd = std::sqrt(var);
    for (std::size_t p = 0; p < n; ++p) {
      double& v = z[p * all_dim + col];
      v = (std::isnan(v) || sd < 1e-12) ? 0.0 : (v - mean) / sd;
    }
  }
  // Weighted points over the columns whose block weight is > 0.
  std::vector<std::size_t> used;
  std::vector<double> weight;
  for (std::size_t col = 0; col < all_dim; ++col) {
    const double w = columns[col].block == Block::kAffinity    ? options.affinity_weight
                     : columns[col].block == Block::kBehaviour ? options.behaviour_weight
                                                               : options.attribute_weight;
    if (w > 0) {
      used.push_back(col);
      weight.push_back(w);
    }
  }
  const std::size_t dim = used.size();
  std::vector<double> points(n * dim);
  for (std::size_t p = 0; p < n; ++p)
    for (std::size_t d = 0; d < dim; ++d) points[p * dim + d] = z[p * all_dim + used[d]] * weight[d];

  std::vector<int> labels;
  int k = 0;
  if (n >= 2 && dim > 0) {
    // Silhouette sample: a seeded partial Fisher-Yates shuffle, kept in index order.
    std::vector<std::size_t> sample(n);
    for (std::size_t p = 0; p < n; ++p) sample[p] = p;
    const std::size_t m = std::min(n, options.silhouette_sample);
    dataset::Rng rng(options.seed ^ 0x5157a11e5eedULL);
    for (std::size_t i = 0; i < m; ++i) std::swap(sample[i], sample[i + rng.below(n - i)]);
    sample.resize(m);
    std::sort(sample.begin(), sample.end());
    std::vector<double> sample_points(m * dim);
    for (std::size_t i = 0; i < m; ++i)
      std::copy_n(points.data() + sample[i] * dim, dim, sample_points.data() + i * dim);
    auto score = [&](const std::vector<int>& all_labels) {
      std::vector<int> sample_labels(m);
      for (std::size_t i = 0; i < m; ++i) sample_labels[i] = all_labels[sample[i]];
      if (std::set<int>(sample_labels.begin(), sample_labels.end()).size() < 2) return -1.0;
      return silhouette(sample_points, m, dim, sample_labels, options.threads);
    };

    KMeansOptions km = options.kmeans;
    km.seed = options.seed;
    km.threads = options.threads;
    if (options.k > 0) {
      k = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(options.k), n));
      labels = kmeans(points, n, dim, k, km).labels;
      result.silhouette = k >= 2 ? score(labels) : 0;
    } else {
      const int k_hi = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(options.k_max), n - 1));
      double best = -2;
      for (int kk = options.k_min; kk <= k_hi; ++kk) {
        auto run = kmeans(points, n, dim, kk, km);
        const double s = score(run.labels);
        result.silhouette_by_k.emplace_back(kk, s);
        if (s > best + 1e-12) {
          best = s;
          k = kk;
          labels = std::move(run.labels);
        }
      }
      if (k == 0) {  // fewer than 3 active users: one segment
        k = 1;
        labels.assign(n, 0);
      }
      result.silhouette = k >= 2 ? best : 0;
    }
  } else {
    k = n > 0 ? 1 : 0;
    labels.assign(n, 0);
  }

  // Segment ids by size (largest first), ties by k-means label.
  std::vector<std::size_t> sizes(static_cast<std::size_t>(k), 0);
  for (int label : labels) sizes[static_cast<std::size_t>(label)] += 1;
  std::vector<int> order(static_cast<std::size_t>(k));
  for (int c = 0; c < k; ++c) order[static_cast<std::size_t>(c)] = c;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return sizes[static_cast<std::size_t>(a)] > sizes[static_cast<std::size_t>(b)];
  });
  std::vector<int> id_of(static_cast<std::size_t>(k));
  for (int id = 0; id < k; ++id) id_of[static_cast<std::size_t>(order[static_cast<std::size_t>(id)])] = id;

  result.k = k;
  std::vector<std::vector<double>> mean_z(static_cast<std::size_t>(k), std::vector<double>(all_dim, 0));
  for (std::size_t p = 0; p < n; ++p) {
    auto& m = mean_z[static_cast<std::size_t>(id_of[static_cast<std::size_t>(labels[p])])];
    for (std::size_t col = 0; col < all_dim; ++col) m[col] += z[p * all_dim + col];
  }
  for (int id = 0; id < k; ++id) {
    Segment segment;
    segment.id = id;
    segment.size = sizes[static_cast<std::size_t>(order[static_cast<std::size_t>(id)])];
    for (double& v : mean_z[static_cast<std::size_t>(id)]) v /= static_cast<double>(std::max<std::size_t>(1, segment.size));
    describe(segment, columns, mean_z[static_cast<std::size_t>(id)]);
    result.segments.push_back(std::move(segment));
  }
  // Plain means of the described features, in the segment and overall.
  for (auto& segment : result.segments)
    for (auto& feature : segment.top_features) {
      std::size_t col = 0;
      while (col < all_dim && columns[col].name != feature.name) ++col;
      if (col == all_dim) continue;
      double sum = 0, count = 0, all_sum = 0, all_count = 0;
      for (std::size_t q = 0; q < n; ++q) {
        const double x = raw_value(columns[col], *active[q], true);
        if (std::isnan(x)) continue;
        all_sum += x;
        all_count += 1;
        if (id_of[static_cast<std::size_t>(labels[q])] == segment.id) {
          sum += x;
          count += 1;
        }
      }
      if (count > 0) feature.mean = sum / count;
      if (all_count > 0) feature.overall_mean = all_sum / all_count;
    }
  if (inactive > 0) {
    Segment none;
    none.id = k;
    none.name = "no activity";
    none.description = "users without any events";
    none.size = inactive;
    none.no_activity = true;
    result.segments.push_back(std::move(none));
  }
  std::size_t p = 0;
  for (const auto& user : profiles.users)
    result.assignment.emplace_back(user.user_id,
                                   user.event_count > 0 ? id_of[static_cast<std::size_t>(labels[p++])] : k);
  return result;
}

namespace {
Json rounded_or_null(double value) {
  if (!std::isfinite(value)) return nullptr;
  const double scale = value == 0 ? 1 : std::pow(10.0, 5 - std::floor(std::log10(std::fabs(value))));
  return std::round(value * scale) / scale;
}
double number_or_nan(const Json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}
}  // namespace

Json segment_json(const Segment& segment) {
  Json top = Json::array();
  for (const auto& f : segment.top_features)
    top.push_back({{"feature", f.name},
                   {"z", std::round(f.z * 1000) / 1000},
                   {"phrase", f.phrase},
                   {"mean", rounded_or_null(f.mean)},
                   {"overall_mean", rounded_or_null(f.overall_mean)}});
  Json doc = {{"id", segment.id},
              {"name", segment.name},
              {"description", segment.description},
              {"description_source", segment.description_source},
              {"size", segment.size},
              {"no_activity", segment.no_activity},
              {"top_features", top}};
  if (!segment.descriptions.empty()) {
    Json by_lang = Json::object();
    for (const auto& d : segment.descriptions) {
      by_lang[d.lang] = {{"text", d.text}, {"source", d.source}};
      if (!d.rejected.empty()) by_lang[d.lang]["rejected"] = d.rejected;
    }
    doc["descriptions"] = by_lang;
  }
  return doc;
}

Json segments_json(const SegmentResult& result, bool with_assignment) {
  Json doc = {{"format", "tailor-segments"},
              {"version", kSegmentsFormatVersion},
              {"k", result.k},
              {"silhouette", std::round(result.silhouette * 10000) / 10000},
              {"seed", result.seed}};
  if (!result.silhouette_by_k.empty()) {
    Json by_k = Json::array();
    for (const auto& [k, s] : result.silhouette_by_k) by_k.push_back({{"k", k}, {"silhouette", std::round(s * 10000) / 10000}});
    doc["silhouette_by_k"] = by_k;
  }
  doc["segments"] = Json::array();
  for (const auto& segment : result.segments) doc["segments"].push_back(segment_json(segment));
  if (with_assignment) {
    Json assignment = Json::object();
    for (const auto& [user, id] : result.assignment) assignment[user] = id;
    doc["assignment"] = assignment;
  }
  return doc;
}

SegmentResult segments_from_json(const Json& doc) {
  if (!doc.is_object() || doc.value("format", "") != "tailor-segments")
    throw_error(ErrorCode::kCorruption, "segments artifact: not a tailor-segments document");
  const int version = doc.value("version", 0);
  if (version < 1 || version > kSegmentsFormatVersion)
    throw_error(ErrorCode::kCorruption, "segments artifact: unsupported version " + std::to_string(version));
  try {
    SegmentResult result;
    result.k = doc.at("k").get<int>();
    result.silhouette = doc.at("silhouette").get<double>();
    result.seed = doc.value("seed", std::uint64_t{0});
    for (const auto& s : doc.at("segments")) {
      Segment segment;
      segment.id = s.at("id").get<int>();
      segment.name = s.at("name").get<std::string>();
      segment.description = s.at("description").get<std::string>();
      segment.size = s.at("size").get<std::size_t>();
      segment.no_activity = s.value("no_activity", false);
      segment.description_source = s.value("description_source", std::string("rules"));
      for (const auto& f : s.at("top_features"))
        segment.top_features.push_back({f.at("feature").get<std::string>(), f.at("z").get<double>(),
                                        f.at("phrase").get<std::string>(), number_or_nan(f, "mean"),
                                        number_or_nan(f, "overall_mean")});
      if (auto it = s.find("descriptions"); it != s.end())
        for (auto d = it->begin(); d != it->end(); ++d)
          segment.descriptions.push_back({d.key(), d->at("text").get<std::string>(),
                                          d->at("source").get<std::string>(), d->value("rejected", std::string())});
      result.segments.push_back(std::move(segment));
    }
    if (doc.contains("assignment"))
      for (auto it = doc["assignment"].begin(); it != doc["assignment"].end(); ++it)
        result.assignment.emplace_back(it.key(), it->get<int>());
    return result;
  } catch (const Json::exception& e) {
    throw_error(ErrorCode::kCorruption, std::string("segments artifact: ") + e.what());
  }
}

}  // namespace tailor::profile
