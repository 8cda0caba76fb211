// Unit tests of the analytics component: FP-Growth supports equal a brute-force
// count, rule metrics on a hand-computed example, propensity models on
// synthetic data with known structure, AUC by hand, CSV validation.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>

#include "tailor/analytics/analytics.h"
#include "tailor/core/core.h"

namespace tailor::analytics {
namespace {

using Items = std::vector<std::uint32_t>;

std::map<Items, std::uint64_t> as_map(const std::vector<Itemset>& itemsets) {
  std::map<Items, std::uint64_t> out;
  for (const Itemset& itemset : itemsets) EXPECT_TRUE(out.emplace(itemset.items, itemset.count).second);
  return out;
}

// Every subset of every basket, counted; kept when count >= min_count and size <= max_size.
std::map<Items, std::uint64_t> brute_force(const std::vector<Basket>& baskets, std::uint64_t min_count,
                                           std::size_t max_size) {
  std::map<Items, std::uint64_t> counts;
  for (const Basket& basket : baskets) {
    for (std::uint32_t mask = 1; mask < (1U << basket.size()); ++mask) {
      Items subset;
      for (std::size_t pos = 0; pos < basket.size(); ++pos) {
        if ((mask >> pos) & 1U) subset.push_back(basket[pos]);
      }
      if (max_size == 0 || subset.size() <= max_size) ++counts[subset];
    }
  }
  std::erase_if(counts, [&](const auto& entry) { return entry.second < min_count; });
  return counts;
}

std::vector<Basket> random_baskets(std::size_t count, std::uint32_t items, std::uint64_t seed) {
  dataset::Rng rng(seed);
  std::vector<Basket> baskets;
  for (std::size_t b = 0; b < count; ++b) {
    Basket basket;
    // Skewed item popularity so that large itemsets are frequent too.
    for (std::uint32_t item = 0; item < items; ++item) {
      if (rng.uniform() < 0.7 / (1.0 + 0.25 * item)) basket.push_back(item);
    }
    baskets.push_back(basket);
  }
  return baskets;
}

TEST(FpGrowth, MatchesBruteForceExactly) {
  for (std::uint64_t seed : {1, 2, 3}) {
    const std::vector<Basket> baskets = random_baskets(300, 12, seed);
    for (double support : {0.02, 0.05, 0.2}) {
      for (std::size_t max_size : {std::size_t{0}, std::size_t{2}, std::size_t{4}}) {
        for (int threads : {1, 2}) {
          ItemsetOptions options;
          options.min_support = support;
          options.max_size = max_size;
          options.threads = threads;
          const auto fp = as_map(frequent_itemsets(baskets, options));
          const auto expected = brute_force(baskets, min_support_count(support, baskets.size()), max_size);
          ASSERT_EQ(fp, expected) << "seed " << seed << " support " << support << " max_size " << max_size;
        }
      }
    }
  }
}

TEST(FpGrowth, SupportCountAndEdgeCases) {
  EXPECT_EQ(min_support_count(0.3, 10), 3u);
  EXPECT_EQ(min_support_count(0.25, 10), 3u);
  EXPECT_EQ(min_support_count(1e-9, 10), 1u);
  EXPECT_TRUE(frequent_itemsets({}, {}).empty());
  std::vector<Basket> unsorted{{2, 1}};
  EXPECT_THROW(frequent_itemsets(unsorted, {}), Error);
  ItemsetOptions bad;
  bad.min_support = 0;
  EXPECT_THROW(frequent_itemsets(unsorted, bad), Error);
  // The guard: every subset of a 16-item basket is frequent.
  Basket big;
  for (std::uint32_t item = 0; item < 16; ++item) big.push_back(item);
  std::vector<Basket> one{big};
  ItemsetOptions guarded;
  guarded.max_itemsets = 1000;
  EXPECT_THROW(frequent_itemsets(one, guarded), Error);
}

// bread = 0, milk = 1, diapers = 2, beer = 3.
const std::vector<Basket> kFiveBaskets{{0, 1, 2}, {0, 2, 3}, {1, 2, 3}, {0, 1, 2, 3}, {0, 1}};

const Rule* find_rule(const std::vector<Rule>& rules, const Items& x, const Items& y) {
  for (const Rule& rule : rules) {
    if (rule.antecedent == x && rule.consequent == y) return &rule;
  }
  return nullptr;
}

TEST(Rules, HandComputedFiveBaskets) {
  ItemsetOptions options;
  options.min_support = 0.4;  // count >= 2
  const auto itemsets = frequent_itemsets(kFiveBaskets, options);
  const auto counts = as_map(itemsets);
  EXPECT_EQ(counts.at({0}), 4u);
  EXPECT_EQ(counts.at({3}), 3u);
  EXPECT_EQ(counts.at({2, 3}), 3u);
  EXPECT_EQ(counts.at({1, 2, 3}), 2u);
  EXPECT_FALSE(counts.contains({0, 1, 3}));  // only basket 4
  const auto rules = association_rules(itemsets, kFiveBaskets.size(), {.min_confidence = 0});
  // beer -> diapers: support 3/5, confidence 3/3, lift 1 / (4/5).
  const Rule* beer_diapers = find_rule(rules, {3}, {2});
  ASSERT_NE(beer_diapers, nullptr);
  EXPECT_DOUBLE_EQ(beer_diapers->support, 0.6);
  EXPECT_DOUBLE_EQ(beer_diapers->confidence, 1.0);
  EXPECT_DOUBLE_EQ(beer_diapers->lift, 1.25);
  // diapers -> beer: confidence 3/4, lift 0.75 / (3/5).
  const Rule* diapers_beer = find_rule(rules, {2}, {3});
  ASSERT_NE(diapers_beer, nullptr);
  EXPECT_DOUBLE_EQ(diapers_beer->confidence, 0.75);
  EXPECT_DOUBLE_EQ(diapers_beer->lift, 1.25);
  // bread -> milk: support 3/5, confidence 3/4, lift 0.75 / (4/5).
  const Rule* bread_milk = find_rule(rules, {0}, {1});
  ASSERT_NE(bread_milk, nullptr);
  EXPECT_DOUBLE_EQ(bread_milk->support, 0.6);
  EXPECT_DOUBLE_EQ(bread_milk->lift, 0.9375);
  // beer -> {milk, diapers}: count 2 / count(beer) 3, lift (2/3) / (3/5).
  const Rule* beer_pair = find_rule(rules, {3}, {1, 2});
  ASSERT_NE(beer_pair, nullptr);
  EXPECT_DOUBLE_EQ(beer_pair->confidence, 2.0 / 3.0);
  EXPECT_NEAR(beer_pair->lift, (2.0 / 3.0) / 0.6, 1e-12);
  // Sorted by lift, then confidence, then support: beer -> diapers first.
  EXPECT_EQ(rules.front().antecedent, Items{3});
  EXPECT_EQ(rules.front().consequent, Items{2});
  for (std::size_t pos = 1; pos < rules.size(); ++pos) EXPECT_GE(rules[pos - 1].lift, rules[pos].lift);
  // Thresholds and the per-item view.
  const auto confident = association_rules(itemsets, kFiveBaskets.size(), {.min_confidence = 0.9});
  for (const Rule& rule : confident) EXPECT_GE(rule.confidence, 0.9);
  EXPECT_NE(find_rule(confident, {1, 3}, {2}), nullptr);
  const auto for_beer = rules_for_item(rules, 3);
  ASSERT_FALSE(for_beer.empty());
  for (const Rule& rule : for_beer) EXPECT_EQ(rule.antecedent, Items{3});
}

TEST(Baskets, UsersRatingsAndSessions) {
  std::vector<dataset::RawInteraction> rows{
      {"u1", "a", 1, 1000, 5.0F}, {"u1", "b", 1, 1100, 3.0F}, {"u1", "c", 1, 1000 + 3600 * 5, 4.0F},
      {"u2", "a", 1, 50, 4.5F},   {"u2", "c", 1, 60, std::nullopt},
  };
  const dataset::Dataset data = dataset::make_dataset(rows);
  const std::uint32_t a = *data.items.find("a");
  const std::uint32_t b = *data.items.find("b");
  const std::uint32_t c = *data.items.find("c");
  auto sorted = [](Basket basket) {
    std::sort(basket.begin(), basket.end());
    return basket;
  };
  EXPECT_EQ(make_baskets(data), (std::vector<Basket>{sorted({a, b, c}), sorted({a, c})}));
  EXPECT_EQ(make_baskets(data, {.min_rating = 4}), (std::vector<Basket>{sorted({a, c}), Basket{a}}));
  // 60-minute gaps split u1 into {a, b} and {c}.
  EXPECT_EQ(make_baskets(data, {.session_gap_minutes = 60}),
            (std::vector<Basket>{sorted({a, b}), Basket{c}, sorted({a, c})}));
  EXPECT_THROW(make_baskets(data, {.min_rating = -1}), Error);
}

TEST(Auc, HandComputed) {
  // Positives 0.35, 0.8 against negatives 0.1, 0.4: 3 of 4 pairs ordered.
  const std::vector<double> scores{0.1, 0.4, 0.35, 0.8};
  const std::vector<float> labels{0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(binary_auc(scores, labels), 0.75);
  // A tie between a positive and a negative counts one half: (0.5 + 1 + 1 + 1) / 4.
  const std::vector<double> tied{0.5, 0.5, 0.2, 0.9};
  const std::vector<float> tied_labels{1, 0, 0, 1};
  EXPECT_DOUBLE_EQ(binary_auc(tied, tied_labels), 0.875);
  const std::vector<float> one_class{1, 1, 1, 1};
  EXPECT_TRUE(std::isnan(binary_auc(scores, one_class)));
  const std::vector<float> short_labels{1};
  EXPECT_THROW(binary_auc(scores, short_labels), Error);
}

double normal(dataset::Rng& rng) {
  const double u1 = std::max(rng.uniform(), 1e-300);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * rng.uniform());
}

FeatureMatrix synthetic(std::size_t rows, std::uint64_t seed, bool xor_labels) {
  dataset::Rng rng(seed);
  FeatureMatrix x;
  x.rows = rows;
  x.cols = 3;
  x.names = {"strong", "negative", "noise"};
  for (std::size_t row = 0; row < rows; ++row) {
    const double a = xor_labels ? 2 * rng.uniform() - 1 : normal(rng);
    const double b = xor_labels ? 2 * rng.uniform() - 1 : 3 * normal(rng);  // scale differs: standardisation matters
    const double c = normal(rng);
    x.values.insert(x.values.end(), {static_cast<float>(a), static_cast<float>(b), static_cast<float>(c)});
    double p = 0;
    if (xor_labels) {
      p = a * b > 0 ? 0.95 : 0.05;
    } else {
      p = 1 / (1 + std::exp(-(0.5 + 2 * a - (1.0 / 3.0) * b)));  // standardised: +2, -1, 0
    }
    x.labels.push_back(rng.uniform() < p ? 1.0F : 0.0F);
  }
  return x;
}

double test_auc(const PropensityModel& model, const FeatureMatrix& x, const RowSplit& split) {
  std::vector<float> labels;
  for (std::size_t row : split.test) labels.push_back(x.labels[row]);
  return binary_auc(model.predict(x, split.test), labels);
}

TEST(Propensity, LogisticRecoversCoefficientSignsAndOrder) {
  const FeatureMatrix x = synthetic(6000, 7, false);
  const RowSplit split = split_rows(x.rows, 0.25, 42);
  auto model = make_propensity_model({.kind = PropensityKind::kLogistic});
  model->fit(x, split.train);
  const std::vector<double> coef = logistic_coefficients(*model);
  ASSERT_EQ(coef.size(), 3u);
  EXPECT_GT(coef[0], 0);
  EXPECT_LT(coef[1], 0);
  EXPECT_GT(std::abs(coef[0]), std::abs(coef[1]));
  EXPECT_GT(std::abs(coef[1]), std::abs(coef[2]));
  EXPECT_NEAR(coef[0], 2.0, 0.3);
  EXPECT_NEAR(coef[1], -1.0, 0.2);
  const auto importance = model->importance();
  ASSERT_EQ(importance.size(), 3u);
  EXPECT_EQ(importance[0].feature, "strong");
  EXPECT_EQ(importance[1].feature, "negative");
  EXPECT_EQ(importance[2].feature, "noise");
  EXPECT_GT(test_auc(*model, x, split), 0.8);
}

TEST(Propensity, XgboostLearnsXorWhereLogisticCannot) {
  const FeatureMatrix x = synthetic(4000, 11, true);
  const RowSplit split = split_rows(x.rows, 0.25, 42);
  auto logistic = make_propensity_model({.kind = PropensityKind::kLogistic});
  logistic->fit(x, split.train);
  const double logistic_auc = test_auc(*logistic, x, split);
  EXPECT_LT(logistic_auc, 0.6);
  if (!xgboost_available()) {
    EXPECT_THROW(make_propensity_model({.kind = PropensityKind::kXgboost}), Error);
    GTEST_FAIL() << "built without XGBoost: scripts/setup.sh installs libxgboost-dev, so this build is incomplete";
  }
  PropensityOptions options;
  options.kind = PropensityKind::kXgboost;
  options.xgboost.rounds = 60;
  options.threads = 2;
  auto boosted = make_propensity_model(options);
  boosted->fit(x, split.train);
  const double boosted_auc = test_auc(*boosted, x, split);
  std::printf("XOR: logistic AUC %.4f, xgboost AUC %.4f\n", logistic_auc, boosted_auc);
  EXPECT_GT(boosted_auc, 0.85);
  const auto importance = boosted->importance();
  ASSERT_EQ(importance.size(), 3u);
  EXPECT_EQ(importance[2].feature, "noise");
}

TEST(Propensity, SplitIsSeededAndDisjoint) {
  const RowSplit a = split_rows(1000, 0.2, 42);
  const RowSplit b = split_rows(1000, 0.2, 42);
  const RowSplit c = split_rows(1000, 0.2, 43);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.test, c.test);
  EXPECT_EQ(a.test.size(), 200u);
  EXPECT_EQ(a.train.size(), 800u);
  std::vector<bool> seen(1000, false);
  for (std::size_t row : a.train) seen[row] = true;
  for (std::size_t row : a.test) EXPECT_FALSE(seen[row]);
  EXPECT_THROW(split_rows(10, 1.0, 1), Error);
  EXPECT_THROW(parse_propensity_kind("forest"), Error);
}

TEST(Features, EncodesQuotedSemicolonCsvWithOneHot) {
  const Table table = parse_csv(
      "\"age\";\"job\";\"note\";\"y\"\n"
      "30;\"admin.\";\"a;b\";\"yes\"\r\n"
      "40;\"tech\";\"say \"\"hi\"\"\";\"no\"\n"
      "\n"
      "50;\"admin.\";\"x\";\"no\"\n");
  EXPECT_EQ(table.columns, (std::vector<std::string>{"age", "job", "note", "y"}));
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0][2], "a;b");
  EXPECT_EQ(table.rows[1][2], "say \"hi\"");
  EXPECT_EQ(table.lines[2], 5u);
  const FeatureMatrix x = encode_features(table, {.label = "y", .positive = "yes", .drop = {"note"}});
  EXPECT_EQ(x.names, (std::vector<std::string>{"age", "job=admin.", "job=tech"}));
  EXPECT_EQ(x.values, (std::vector<float>{30, 1, 0, 40, 0, 1, 50, 1, 0}));
  EXPECT_EQ(x.labels, (std::vector<float>{1, 0, 0}));
  // Cardinality cap: the most frequent value stays, the rest is lumped.
  const FeatureMatrix capped = encode_features(table, {.label = "y", .positive = "yes", .drop = {"note"},
                                                       .categorical = {"age"}, .max_categories = 2});
  EXPECT_EQ(capped.names, (std::vector<std::string>{"age=30", "age=<other>", "job=admin.", "job=tech"}));
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(Features, RejectsBadInputNamingLineAndColumn) {
  const Table table = parse_csv("age,city,y\n30,x,1\n31,y,0\nold,z,1\n");
  const std::string non_numeric = error_of([&] { encode_features(table, {.label = "y"}); });
  EXPECT_NE(non_numeric.find("line 4"), std::string::npos) << non_numeric;
  EXPECT_NE(non_numeric.find("column 'age'"), std::string::npos) << non_numeric;
  const std::string missing_label = error_of([&] { encode_features(table, {.label = "label"}); });
  EXPECT_NE(missing_label.find("'label'"), std::string::npos) << missing_label;
  EXPECT_NE(missing_label.find("age, city, y"), std::string::npos) << missing_label;
  const std::string unknown_drop = error_of([&] { encode_features(table, {.label = "y", .drop = {"zip"}}); });
  EXPECT_NE(unknown_drop.find("'zip'"), std::string::npos) << unknown_drop;
  const Table bad_label = parse_csv("age,y\n30,1\n31,maybe\n");
  const std::string label_message = error_of([&] { encode_features(bad_label, {.label = "y"}); });
  EXPECT_NE(label_message.find("line 3, column 'y'"), std::string::npos) << label_message;
  const std::string short_row = error_of([] { parse_csv("a,b,y\n1,2,1\n1,2\n"); });
  EXPECT_NE(short_row.find("line 3"), std::string::npos) << short_row;
  const std::string empty_value = error_of([] { encode_features(parse_csv("a,y\n1,1\n,0\n"), {.label = "y"}); });
  EXPECT_NE(empty_value.find("line 3, column 'a'"), std::string::npos) << empty_value;
  error_of([] { parse_csv("a,\"b\n1,2\n"); });
  EXPECT_THROW(read_csv("/nonexistent/file.csv"), Error);
}

}  // namespace
}  // namespace tailor::analytics
