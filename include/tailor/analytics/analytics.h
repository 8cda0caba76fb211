// Front door of the analytics component: what users buy together
// (association rules by FP-Growth) and who is likely to buy next (propensity
// models on a feature table).
//
// Layout: a basket is a sorted, duplicate-free vector of dense item indexes
// (the Dataset's item indexes). Itemsets and rules carry item indexes sorted
// ascending. Feature matrices are dense, row-major floats (rows x cols).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tailor/dataset/dataset.h"

namespace tailor::analytics {

// ---------------------------------------------------------------- baskets ---

using Basket = std::vector<std::uint32_t>;

struct BasketOptions {
  // Only interactions with an explicit rating >= min_rating count (0 = every
  // positively weighted interaction, rated or not). Range [0, inf).
  double min_rating = 0;
  // 0: one basket per user. > 0: a user's interactions (ordered by time) are
  // split into sessions wherever two consecutive ones are more than this many
  // minutes apart. Range [0, inf).
  double session_gap_minutes = 0;
};

// Baskets of a dataset, empty ones left out, in (user, time) order.
// Throws InvalidArgument on out-of-range options.
std::vector<Basket> make_baskets(const dataset::Dataset& data, const BasketOptions& options = {});

// ---------------------------------------------------------- FP-Growth -------

struct Itemset {
  std::vector<std::uint32_t> items;  // sorted ascending
  std::uint64_t count = 0;           // baskets that contain every item
};

struct ItemsetOptions {
  // An itemset is frequent when count >= min_support_count(min_support, baskets).
  // Range (0, 1].
  double min_support = 0.01;
  // Largest itemset size to report (0 = unlimited).
  std::size_t max_size = 0;
  // Guard against a support so low the output would not fit in memory: more
  // frequent itemsets than this throws InvalidArgument. 0 = no guard.
  std::size_t max_itemsets = 20'000'000;
  int threads = 0;  // for parallel_for (0 = default_thread_count())
};

// ceil(min_support * basket_count), at least 1.
std::uint64_t min_support_count(double min_support, std::size_t basket_count);

// All frequent itemsets (size >= 1) by FP-Growth: an FP-tree with a header
// table of node links, mined bottom-up through conditional pattern bases.
// Baskets must be sorted and duplicate-free (as make_baskets gives). Output
// sorted by (size, items). Deterministic for any thread count.
std::vector<Itemset> frequent_itemsets(std::span<const Basket> baskets, const ItemsetOptions& options);

// ------------------------------------------------------------------ rules ---

struct Rule {
  std::vector<std::uint32_t> antecedent;  // X, sorted
  std::vector<std::uint32_t> consequent;  // Y, sorted, disjoint from X
  double support = 0;     // count(X ∪ Y) / baskets
  double confidence = 0;  // count(X ∪ Y) / count(X)
  double lift = 0;        // confidence / support(Y)
};

struct RuleOptions {
  double min_confidence = 0.1;  // range [0, 1]
  double min_lift = 0;          // range [0, inf)
};

// Every rule X -> Y with X ∪ Y a frequent itemset of size >= 2 and X, Y
// non-empty, meeting the thresholds; sorted by lift, then confidence, then
// support (descending), then antecedent and consequent (ascending).
// `itemsets` must be closed under subsets (frequent_itemsets' output is).
std::vector<Rule> association_rules(std::span<const Itemset> itemsets, std::size_t basket_count,
                                    const RuleOptions& options = {});

// "Users who bought A also bought B": the rules whose antecedent is exactly {item}.
std::vector<Rule> rules_for_item(std::span<const Rule> rules, std::uint32_t item);

// ------------------------------------------------------------ feature table ---

// A CSV file as strings. rows[r] has columns.size() fields.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> lines;  // 1-based file line of each row, for messages
};

// Reads a CSV with a header line; delimiter 0 = auto (';' when the header has
// more ';' than ','). Fields may be double-quoted ("" is a quote). Throws IO
// when unreadable, InvalidArgument naming the line when a row has the wrong
// number of fields.
Table read_csv(const std::string& path, char delimiter = 0);
Table parse_csv(const std::string& text, char delimiter = 0);

struct FeatureOptions {
  std::string label;                   // required column
  std::string positive;                // label value meaning 1; empty = label is numeric 0/1
  std::vector<std::string> drop;       // columns left out
  std::vector<std::string> categorical;  // forced categorical even when numeric-looking
  // Categorical columns keep their max_categories - 1 most frequent values as
  // one-hot columns and lump the rest into "<column>=<other>". Range [2, 10000].
  std::size_t max_categories = 64;
};

// Dense, row-major model input.
struct FeatureMatrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<float> values;       // rows * cols
  std::vector<float> labels;       // rows, 0 or 1
  std::vector<std::string> names;  // cols: "age", "job=admin.", ...
};

// Encodes a table: a column is numeric when its first row's value parses as a
// number (and it is not in `categorical`), else categorical (one-hot). Throws
// InvalidArgument naming line and column for a missing label column, an unknown
// drop/categorical column, a non-numeric or empty value in a numeric column, or
// a label that is not 0/1 when `positive` is empty.
FeatureMatrix encode_features(const Table& table, const FeatureOptions& options);

// ------------------------------------------------------------- propensity ---

enum class PropensityKind { kXgboost, kLogistic };
PropensityKind parse_propensity_kind(const std::string& name);  // "xgboost", "logistic"
std::string propensity_kind_name(PropensityKind kind);
// True when this build links XGBoost (libxgboost-dev found at configure time).
bool xgboost_available();

struct LogisticOptions {
  double l2 = 1.0;        // penalty on standardised coefficients (not the intercept); [0, inf)
  int max_iterations = 50;  // Newton steps; [1, 1000]
  double tolerance = 1e-8;  // stop when the relative loss change is below this
};

struct XgboostOptions {
  int rounds = 300;          // boosting rounds; [1, 100000]
  double eta = 0.05;         // learning rate; (0, 1]
  int max_depth = 4;         // [1, 32]
  double subsample = 0.8;    // (0, 1]
  double colsample = 0.8;    // colsample_bytree; (0, 1]
  double min_child_weight = 1;  // [0, inf)
  std::uint64_t seed = 42;
};

struct PropensityOptions {
  PropensityKind kind = PropensityKind::kXgboost;
  LogisticOptions logistic;
  XgboostOptions xgboost;
  int threads = 0;
};

struct FeatureImportance {
  std::string feature;
  double value = 0;  // XGBoost: total gain; logistic: |coefficient| on standardised features
};

// A binary classifier that scores P(label = 1). Not thread-safe to fit;
// predict() on a fitted model is safe to call concurrently.
class PropensityModel {
 public:
  virtual ~PropensityModel() = default;
  // rows: indexes into x used for training. Throws InvalidArgument when the
  // rows hold only one class.
  virtual void fit(const FeatureMatrix& x, std::span<const std::size_t> rows) = 0;
  // Scores for the given rows (higher = more likely positive).
  virtual std::vector<double> predict(const FeatureMatrix& x, std::span<const std::size_t> rows) const = 0;
  // Sorted descending by value.
  virtual std::vector<FeatureImportance> importance() const = 0;
  virtual std::string name() const = 0;
};

// Throws Unavailable for kXgboost when !xgboost_available().
std::unique_ptr<PropensityModel> make_propensity_model(const PropensityOptions& options);

// Logistic regression coefficients on the standardised scale, for tests and
// reports; empty unless the model is logistic and fitted.
std::vector<double> logistic_coefficients(const PropensityModel& model);

struct RowSplit {
  std::vector<std::size_t> train;
  std::vector<std::size_t> test;
};
// Seeded shuffle (dataset::Rng, Fisher-Yates); test gets round(n * test_fraction)
// rows. Both parts sorted ascending. test_fraction in (0, 1).
RowSplit split_rows(std::size_t n, double test_fraction, std::uint64_t seed);

// Area under the ROC curve: P(score of a positive > score of a negative), ties
// counting one half (the Mann-Whitney U statistic over rank averages).
// NaN when either class is absent. InvalidArgument when the lengths differ.
double binary_auc(std::span<const double> scores, std::span<const float> labels);

}  // namespace tailor::analytics
