// Analytics on the shared datasets: association rules on ml-latest-small
// (ratings >= 4 as baskets) and propensity AUC on UCI bank marketing.
// Numbers are printed for the closing note; timing is printed, not asserted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tailor/analytics/analytics.h"
#include "tailor/core/core.h"

namespace tailor::analytics {
namespace {

std::string dataset_path(const std::string& name) { return std::string(TAILOR_DATASETS_DIR) + "/" + name; }

#define REQUIRE_DATASET(path)                                                                  \
  do {                                                                                         \
    if (!std::filesystem::exists(path)) GTEST_FAIL() << "missing shared dataset " << (path);   \
  } while (0)

TEST(AnalyticsData, MovieLensLatestSmallRules) {
  const std::string path = dataset_path("ml-latest-small/ratings.csv");
  REQUIRE_DATASET(path);
  // userId,movieId,rating,timestamp
  const Table table = read_csv(path);
  std::vector<dataset::RawInteraction> rows;
  rows.reserve(table.rows.size());
  for (const auto& fields : table.rows) {
    rows.push_back({fields[0], fields[1], 1.0F, std::stoll(fields[3]), std::stof(fields[2])});
  }
  const dataset::Dataset data = dataset::make_dataset(rows);
  const double start = monotonic_seconds();
  const std::vector<Basket> baskets = make_baskets(data, {.min_rating = 4});
  ItemsetOptions options;
  options.min_support = 0.1;
  const std::vector<Itemset> itemsets = frequent_itemsets(baskets, options);
  const std::vector<Rule> rules = association_rules(itemsets, baskets.size(), {.min_confidence = 0.5});
  const double seconds = monotonic_seconds() - start;
  std::printf("ml-latest-small ratings>=4: %zu baskets, %zu frequent itemsets (support 0.1), %zu rules "
              "(confidence 0.5) in %.2fs\n", baskets.size(), itemsets.size(), rules.size(), seconds);
  EXPECT_EQ(baskets.size(), 609u);  // one of the 610 users has no rating >= 4
  ASSERT_FALSE(rules.empty());
  for (const Rule& rule : rules) {
    EXPECT_GE(rule.confidence, 0.5);
    EXPECT_GE(rule.support, 0.1 - 1e-12);
  }
  const Rule& top = rules.front();
  std::printf("top rule: {%s} -> {%s} lift %.3f\n", data.items.id(top.antecedent[0]).c_str(),
              data.items.id(top.consequent[0]).c_str(), top.lift);
  EXPECT_GT(top.lift, 1.0);
}

TEST(AnalyticsData, BankMarketingAuc) {
  const std::string path = dataset_path("uci-bank-marketing/bank-additional-full.csv");
  REQUIRE_DATASET(path);
  const FeatureMatrix x = encode_features(read_csv(path), {.label = "y", .positive = "yes", .drop = {"duration"}});
  EXPECT_EQ(x.rows, 41188u);
  const RowSplit split = split_rows(x.rows, 0.2, 42);
  std::vector<float> labels;
  for (std::size_t row : split.test) labels.push_back(x.labels[row]);
  std::vector<PropensityKind> kinds{PropensityKind::kLogistic};
  if (xgboost_available()) kinds.push_back(PropensityKind::kXgboost);
  for (PropensityKind kind : kinds) {
    PropensityOptions options;
    options.kind = kind;
    auto model = make_propensity_model(options);
    model->fit(x, split.train);
    const double auc = binary_auc(model->predict(x, split.test), labels);
    std::printf("bank-additional-full (duration dropped), %s: test AUC %.4f, top feature %s\n",
                model->name().c_str(), auc, model->importance().front().feature.c_str());
    EXPECT_GT(auc, 0.75) << model->name();
  }
}

}  // namespace
}  // namespace tailor::analytics
