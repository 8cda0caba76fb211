// Per-category purchase propensity from the store (see profile.h): profile
// features as of a cutoff, labels from purchases in the horizon after it, the
// analytics propensity model, and an audience scored on today's features.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "tailor/analytics/analytics.h"
#include "tailor/profile/profile.h"
#include "tailor/store/store.h"

namespace tailor::profile {
namespace {

constexpr std::int64_t kDay = 86400;

std::string top_level(const std::string& category) { return category.substr(0, category.find('/')); }

// Rows of `set` as a matrix over `names` (a feature the set lacks is NaN).
// Logistic regression cannot take NaN: missing values become 0 there, with an
// "active" column telling users without events apart.
analytics::FeatureMatrix to_matrix(const ProfileSet& set, const std::vector<std::string>& names, bool impute) {
  analytics::FeatureMatrix x;
  x.rows = set.users.size();
  x.names = names;
  x.names.push_back("active");
  x.cols = x.names.size();
  x.values.reserve(x.rows * x.cols);
  x.labels.assign(x.rows, 0.0f);
  for (const UserProfile& user : set.users) {
    for (const std::string& name : names) {
      auto it = user.features.find(name);
      double v = it == user.features.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
      if (impute && std::isnan(v)) v = 0;
      x.values.push_back(static_cast<float>(v));
    }
    x.values.push_back(user.event_count > 0 ? 1.0f : 0.0f);
  }
  return x;
}

}  // namespace

void CategoryPropensityOptions::validate() const {
  TAILOR_CHECK_ARG(!category.empty(), "category propensity: a category is required");
  TAILOR_CHECK_ARG(horizon_days >= 1 && horizon_days <= 3650, "category propensity: horizon_days must be in [1, 3650]");
  TAILOR_CHECK_ARG(test_fraction > 0 && test_fraction < 1, "category propensity: test_fraction must be in (0, 1)");
  TAILOR_CHECK_ARG(model == "xgboost" || model == "logistic",
                   "category propensity: model must be xgboost or logistic, got '" + model + "'");
}

CategoryPropensityResult category_propensity(const store::Store& store, const CategoryPropensityOptions& options) {
  options.validate();
  CategoryPropensityResult result;
  result.category = options.category;
  result.horizon_days = options.horizon_days;
  const std::int64_t horizon = static_cast<std::int64_t>(options.horizon_days) * kDay;

  // Items of the category (any of an item's categories, by top level).
  std::vector<char> in_category;
  bool known = false;
  store.scan_items([&](std::uint32_t idx, const data::Item& item) {
    if (idx >= in_category.size()) in_category.resize(idx + 1, 0);
    for (const auto& c : item.categories)
      if (top_level(c) == options.category) in_category[idx] = 1, known = true;
  });
  if (!known) throw_error(ErrorCode::kNotFound, "category '" + options.category + "' has no items in the store");

  const store::StoreStats stats = store.stats();
  TAILOR_CHECK_ARG(stats.events > 0, "category propensity: the store has no events");
  result.cutoff = options.cutoff != 0 ? options.cutoff : stats.last_event - horizon;

  // Features as of the cutoff; users come in the store's user index order.
  ProfileOptions before;
  before.until = result.cutoff;
  const ProfileSet past = compute_profiles(store, before);
  std::vector<std::string> names;
  if (!past.users.empty())
    for (const auto& [name, value] : past.users.front().features) names.push_back(name);

  // Labels: a purchase in the category within [cutoff, cutoff + horizon).
  std::vector<std::int64_t> row_of_index;
  std::size_t next_row = 0;
  store.scan_users([&](std::uint32_t idx, const data::User&) {
    if (idx >= row_of_index.size()) row_of_index.resize(idx + 1, -1);
    row_of_index[idx] = static_cast<std::int64_t>(next_row++);
  });
  std::vector<float> labels(past.users.size(), 0.0f);
  store.scan_events([&](const store::StoredEvent& ev) {
    if (ev.type != "purchase" || ev.timestamp < result.cutoff || ev.timestamp >= result.cutoff + horizon) return;
    if (ev.item_idx >= in_category.size() || !in_category[ev.item_idx]) return;
    if (ev.user_idx >= row_of_index.size() || row_of_index[ev.user_idx] < 0) return;
    const auto row = static_cast<std::size_t>(row_of_index[ev.user_idx]);
    if (row < labels.size()) labels[row] = 1.0f;
  });

  analytics::PropensityOptions model_options;
  model_options.kind = options.model == "xgboost" && analytics::xgboost_available() ? analytics::PropensityKind::kXgboost
                                                                                   : analytics::PropensityKind::kLogistic;
  model_options.xgboost.seed = options.seed;
  model_options.threads = options.threads;
  const bool impute = model_options.kind == analytics::PropensityKind::kLogistic;
  analytics::FeatureMatrix x = to_matrix(past, names, impute);
  x.labels = labels;
  result.positives = static_cast<std::size_t>(std::count(labels.begin(), labels.end(), 1.0f));
  result.base_rate = labels.empty() ? 0 : static_cast<double>(result.positives) / static_cast<double>(labels.size());

  const analytics::RowSplit split = analytics::split_rows(x.rows, options.test_fraction, options.seed);
  result.train_users = split.train.size();
  result.test_users = split.test.size();
  auto model = analytics::make_propensity_model(model_options);
  model->fit(x, split.train);
  result.model = model->name();

  const std::vector<double> scores = model->predict(x, split.test);
  std::vector<float> test_labels;
  for (std::size_t row : split.test) test_labels.push_back(x.labels[row]);
  result.auc = analytics::binary_auc(scores, test_labels);
  {
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
    const std::size_t top = std::max<std::size_t>(1, (order.size() + 9) / 10);
    double top_pos = 0, all_pos = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
      all_pos += test_labels[order[i]];
      if (i < top) top_pos += test_labels[order[i]];
    }
    result.lift_top10 = all_pos > 0 && !order.empty()
                            ? (top_pos / static_cast<double>(std::min(top, order.size()))) /
                                  (all_pos / static_cast<double>(order.size()))
                            : std::numeric_limits<double>::quiet_NaN();
  }
  for (const auto& entry : model->importance()) {
    if (options.top_features > 0 && result.importance.size() >= options.top_features) break;
    result.importance.emplace_back(entry.feature, entry.value);
  }

  // Audience: every user scored on features of all events, same columns.
  const ProfileSet now = compute_profiles(store);
  const analytics::FeatureMatrix current = to_matrix(now, names, impute);
  std::vector<std::size_t> rows(current.rows);
  std::iota(rows.begin(), rows.end(), 0);
  const std::vector<double> current_scores = model->predict(current, rows);
  std::vector<std::size_t> order(rows);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return current_scores[a] > current_scores[b]; });
  const std::size_t n = options.top == 0 ? order.size() : std::min(options.top, order.size());
  for (std::size_t i = 0; i < n; ++i) result.audience.emplace_back(now.users[order[i]].user_id, current_scores[order[i]]);
  return result;
}

Json category_propensity_json(const CategoryPropensityResult& result) {
  auto number = [](double v) { return std::isnan(v) ? Json(nullptr) : Json(v); };
  Json importance = Json::array();
  for (const auto& [feature, value] : result.importance) importance.push_back({{"feature", feature}, {"value", value}});
  Json audience = Json::array();
  for (const auto& [user, score] : result.audience) audience.push_back({{"user", user}, {"score", score}});
  return {{"category", result.category},
          {"model", result.model},
          {"cutoff", format_timestamp(result.cutoff)},
          {"horizon_days", result.horizon_days},
          {"auc", number(result.auc)},
          {"lift@10%", number(result.lift_top10)},
          {"base_rate", result.base_rate},
          {"positives", result.positives},
          {"train_users", result.train_users},
          {"test_users", result.test_users},
          {"importance", importance},
          {"audience", audience}};
}

}  // namespace tailor::profile
