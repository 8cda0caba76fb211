// Front door of the profile component: who the users are (用户画像).
//
// Three layers, each usable on its own:
//  1. compute_profiles(): one pass over the store's users, items and events
//     gives every user a flat map of numeric features (recency / frequency /
//     monetary, activity by hour and weekday, channel mix, category affinity,
//     price sensitivity, average rating, dislike share) next to their
//     attributes as given. A feature that cannot be computed for a user (no
//     events, no ratings) is NaN ("missing"; null in JSON).
//  2. RuleSet: readable label rules (`label "NAME" when EXPR`) evaluated on a
//     profile.
//  3. compute_segments(): k-means++ on standardised feature vectors, k chosen
//     by silhouette, each segment described by its most distinguishing
//     features. Users without events form a separate "no activity" segment.
// Plus the clustering primitives (kmeans, silhouette, adjusted_rand_index).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tailor/data/data.h"

namespace tailor::store { class Store; }

namespace tailor::profile {

using data::Json;

// ------------------------------------------------------------- features ---

// Feature names. Fixed ones are listed in fixed_feature_names(); per-store ones
// are "affinity.<top-level category>" and "channel.<channel>" (an empty
// channel is "channel.unknown"). Hours are UTC: [0,6) night, [6,12) morning,
// [12,18) afternoon, [18,24) evening.
std::span<const std::string_view> fixed_feature_names();
inline constexpr std::string_view kAffinityPrefix = "affinity.";
inline constexpr std::string_view kChannelPrefix = "channel.";

struct ProfileOptions {
  // Reference time for recency; 0 = the newest event in the store.
  Timestamp now = 0;
  // Only events with timestamp < until count (0 = no bound). With a bound and
  // now == 0, recency is measured from `until` (features "as of" that time).
  Timestamp until = 0;
  // Weights of event types for category affinity (negative types subtract).
  // Unknown types count as default_weight.
  data::EventTypes event_types = data::EventTypes::defaults();
};

struct UserProfile {
  std::string user_id;
  Json attributes = Json::object();
  std::uint64_t event_count = 0;
  // Every fixed feature and every affinity/channel feature of the set; NaN = missing.
  std::map<std::string, double> features;

  // Value of a feature; nullopt when the name is unknown, NaN when missing.
  std::optional<double> feature(std::string_view name) const;
};

struct ProfileSet {
  Timestamp now = 0;
  std::vector<std::string> categories;  // top-level categories, sorted
  std::vector<std::string> channels;    // sorted
  std::vector<UserProfile> users;       // in the store's user index order

  // nullptr when the user is not in the set.
  const UserProfile* find(std::string_view user_id) const;

 private:
  friend ProfileSet compute_profiles(const store::Store&, const ProfileOptions&);
  std::unordered_map<std::string, std::size_t> index_;
};

// Reads all users, items and events of the store (one scan each) and computes
// every user's profile. Reads through the const interface only; safe while a
// writer is open. Events whose user or item appeared after the scans are skipped.
ProfileSet compute_profiles(const store::Store& store, const ProfileOptions& options = {});

// {"name": value, ...} with NaN as null, rounded to 6 significant digits.
Json features_json(const UserProfile& profile);

// ---------------------------------------------------------------- rules ---

// A set of label rules, one per line:
//   # comment
//   label "高价值客户" when monetary >= 2000 and frequency >= 20
//   label "风险偏好型投资者" when attributes.risk_level == "aggressive" or (affinity.travel > 0.3)
// Operands: a feature name (numeric) or attributes.NAME (string or number as
// given); comparisons ==, !=, <, <=, >, >=; `and` binds tighter than `or`;
// `not`, parentheses. Strings are double-quoted UTF-8 (\" and \\ escapes).
// A comparison with a missing value (NaN feature, absent attribute, type
// mismatch) is false. Immutable after parse; labels_for is thread-safe.
class RuleSet {
 public:
  // Throws Error(kInvalidArgument) "SOURCE:LINE:COLUMN: message" on a syntax
  // error, an unknown feature, or a string compared with a numeric feature.
  // Columns count UTF-8 characters from 1.
  static RuleSet parse(std::string_view text, const std::string& source = "rules");
  // Reads and parses a file; kNotFound when it cannot be read.
  static RuleSet load(const std::string& path);
  // The rules shipped in data/rules/default_labels.rules.
  static RuleSet defaults();

  // Labels whose rule holds for the profile, in rule order, without repeats.
  std::vector<std::string> labels_for(const UserProfile& profile) const;
  // Every distinct label in rule order.
  std::vector<std::string> labels() const;
  std::size_t size() const { return rules_.size(); }

  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
  struct Node {
    enum class Kind { kAnd, kOr, kNot, kCompare } kind = Kind::kCompare;
    int lhs = -1, rhs = -1;     // child node indexes (kNot uses lhs)
    std::string field;          // feature name, or attribute name for is_attribute
    bool is_attribute = false;
    Op op = Op::kEq;
    bool value_is_string = false;
    double number = 0;
    std::string text;
  };
  struct Rule {
    std::string label;
    int line = 0;
    int root = -1;
  };

 private:
  bool eval(int node, const UserProfile& profile) const;
  std::vector<Node> nodes_;
  std::vector<Rule> rules_;
  friend class RuleParser;
};

// Text of data/rules/default_labels.rules (compiled in).
std::string_view default_rules_text();

// ------------------------------------------------------------ clustering ---

// Points are row-major: point p is points[p * dim .. (p + 1) * dim).
struct KMeansOptions {
  int max_iterations = 100;  // Lloyd iterations per restart, [1, 10000]
  int restarts = 4;          // k-means++ seedings; the lowest inertia wins, [1, 100]
  std::uint64_t seed = 42;
  int threads = 0;           // for the assignment step (0 = default)
};

struct KMeansResult {
  std::vector<int> labels;        // size n, in [0, k)
  std::vector<double> centroids;  // k x dim
  double inertia = 0;             // sum of squared distances to the centroid
  int iterations = 0;
};

// k-means++ seeding (dataset::Rng) + Lloyd iterations; the assignment step
// runs on parallel_for. Deterministic for a seed whatever the thread count.
// An emptied cluster is re-seeded with the point farthest from its centroid.
// Throws InvalidArgument unless 1 <= k <= n and points.size() == n * dim.
KMeansResult kmeans(std::span<const double> points, std::size_t n, std::size_t dim, int k,
                    const KMeansOptions& options = {});

// Mean silhouette s = (b - a) / max(a, b) over the points (exact, O(n² dim));
// a point alone in its cluster scores 0. Requires >= 2 clusters among labels.
double silhouette(std::span<const double> points, std::size_t n, std::size_t dim, std::span<const int> labels,
                  int threads = 0);

// Adjusted Rand index (Hubert & Arabie 1985) of two labelings of the same
// points: (index - expected) / (max - expected) over pair counts of the
// contingency table; 1 for identical partitions, ~0 for independent ones.
// When both are a single cluster (max == expected) it is 1.
double adjusted_rand_index(std::span<const int> a, std::span<const int> b);

// ------------------------------------------------------------- segments ---

inline constexpr const char* kSegmentsArtifact = "segments:current";

struct SegmentOptions {
  int k = 0;                  // 0 = choose by silhouette in [k_min, k_max]; else [1, 100]
  int k_min = 2;              // [2, 100]
  int k_max = 12;             // [k_min, 100]
  std::uint64_t seed = 42;
  std::size_t silhouette_sample = 2000;  // users scored per k, [100, 20000]
  // Block weights applied to the z-scores (0 drops the block), each [0, 10].
  double affinity_weight = 1.0;   // affinity.* : the taste signal
  double behaviour_weight = 0.2;  // RFM, hours, weekend, channels, price, rating, dislikes
  double attribute_weight = 0.0;  // categorical attributes one-hot, numeric ones as is
  KMeansOptions kmeans;           // seed is overridden by `seed`
  int threads = 0;

  // Throws InvalidArgument naming the field out of range.
  void validate() const;
};

struct SegmentFeature {
  std::string name;    // feature name ("affinity.running", "attributes.gender=female")
  double z = 0;        // mean z-score of the segment's users
  std::string phrase;  // "high affinity to running (+2.1σ)"
};

struct Segment {
  int id = 0;
  std::string name;
  std::string description;
  std::size_t size = 0;
  bool no_activity = false;  // the users without events
  std::vector<SegmentFeature> top_features;
};

struct SegmentResult {
  int k = 0;  // clusters among active users (the no-activity segment is extra)
  double silhouette = 0;
  std::uint64_t seed = 0;
  std::vector<std::pair<int, double>> silhouette_by_k;  // when k was chosen
  std::vector<Segment> segments;                         // ids 0..k-1, then no-activity (id k)
  std::vector<std::pair<std::string, int>> assignment;   // user id -> segment id

  std::optional<int> segment_of(std::string_view user_id) const;
};

// Deterministic for (profiles, options) whatever the thread count.
SegmentResult compute_segments(const ProfileSet& profiles, const SegmentOptions& options = {});

// {"format":"tailor-segments","version":1,"k","silhouette","seed","segments":[...],
//  "assignment":{user:id}} (assignment only when with_assignment).
Json segments_json(const SegmentResult& result, bool with_assignment);
// Reads segments_json output; kCorruption on another format or a newer version.
SegmentResult segments_from_json(const Json& doc);
Json segment_json(const Segment& segment);


// ------------------------------------------------------------ sentiment ---
// (src/profile/sentiment.cc) Binarised multinomial Naive Bayes per language
// over the shared zh/en tokenizer (ICU words + Snowball stems, plus Han
// character bigrams), with negation marking: after 不 / 没 / 别 / 无 / not /
// no / never / *n't the next kNegationSpan word tokens become "!token", and a
// Chinese word that starts with 不 or 没 ("不好") becomes "!好".
//   log-odds(d) = log P(pos)/P(neg) + Σ_{t ∈ set(d)} log P(t|pos)/P(t|neg)
//   P(t|c)      = (docs of c with t + alpha) / (Σ_t' docs of c with t' + alpha·|V|)
// score(d) = sigmoid(log-odds) = P(positive | d). Weak labels from ratings:
// >= 4 positive, <= 2 negative, 3 dropped.

inline constexpr const char* kSentimentArtifact = "sentiment:current";

struct SentimentExample {
  std::string text;
  bool positive = false;
  std::string lang;  // "zh" or "en"; empty = detect
};

struct SentimentOptions {
  double alpha = 1.0;        // Laplace smoothing, (0, 10]
  std::size_t min_count = 2;  // tokens seen in fewer training documents are dropped, [1, 1000]
  void validate() const;
};

// "zh" when the text holds a Han character, else "en".
std::string detect_language(std::string_view text);

// Immutable after train / from_json; score() is thread-safe (one tokenizer per call).
class SentimentModel {
 public:
  static SentimentModel train(std::span<const SentimentExample> examples, const SentimentOptions& options = {});
  // P(positive) in [0, 1]; 0.5 when the language has no model or no known token.
  double score(std::string_view text) const;
  std::vector<std::string> languages() const;

  // {"format":"tailor-sentiment","version":1,...}; from_json throws
  // kCorruption on another format or a newer version.
  Json to_json() const;
  static SentimentModel from_json(const Json& doc);

  struct Language {
    double docs[2] = {0, 0};    // training documents [negative, positive]
    double totals[2] = {0, 0};  // Σ_t document counts per class
    std::unordered_map<std::string, std::pair<float, float>> tokens;  // token -> [neg, pos] doc counts
  };

 private:
  double alpha_ = 1.0;
  std::map<std::string, Language> langs_;
};

// The tokens the model sees (after negation marking), exposed for tests.
std::vector<std::string> sentiment_tokens(std::string_view text);

// Weakly labelled reviews from the shared datasets folder:
// douban-moviedata-small/comments.csv (content, rating) and every
// amazon2018-*/*_5.json.gz (summary + reviewText, overall). Throws kNotFound
// when neither is there.
std::vector<SentimentExample> load_sentiment_examples(const std::string& datasets_dir);

// Seeded, platform-independent split (a hash of index and seed): about
// test_fraction of the examples go to `test`.
void split_sentiment_examples(std::span<const SentimentExample> examples, double test_fraction, std::uint64_t seed,
                              std::vector<SentimentExample>& train, std::vector<SentimentExample>& test);

struct SentimentAccuracy {
  std::string lang;
  std::size_t count = 0;
  double accuracy = 0;
  double positive_share = 0;  // of the test labels (the majority baseline is max(p, 1-p))
  double balanced_accuracy = 0;  // mean of the recalls of the two classes (0.5 = chance)
};
std::vector<SentimentAccuracy> evaluate_sentiment(const SentimentModel& model,
                                                  std::span<const SentimentExample> test);

// Review texts of the store: events with a string context.text, context.review
// or context.summary (summary and review joined), scored and aggregated.
struct SentimentAggregate {
  std::string id;
  std::size_t count = 0, positive = 0, negative = 0;  // score >= 0.5 is positive
  double mean_score = 0;
};
struct StoreSentiment {
  std::size_t reviews = 0;
  std::vector<SentimentAggregate> users;  // sorted by id
  std::vector<SentimentAggregate> items;  // sorted by id
};
StoreSentiment score_store_reviews(const store::Store& store, const SentimentModel& model);

// --------------------------------------------------------- interest tags ---
// (src/profile/interest_tags.cc) Readable tags of a user: the top categories
// by affinity (> 0) mapped through a small table ("running" -> "runner",
// "phones-audio" -> "数码发烧友"; unknown categories keep their name), then the
// most frequent tags of the items they viewed, bought or rated, without repeats.
std::string interest_tag_for_category(std::string_view category);
std::vector<std::string> interest_tags(const store::Store& store, const UserProfile& profile,
                                       std::size_t max_tags = 6);

// ------------------------------------------------ category propensity ---
// (src/profile/category_propensity.cc) Who will buy from category C next?
// Temporal setup: cutoff T (default: newest event - horizon); features are
// the profile features of events before T (ProfileOptions::until = T); the
// label is "bought an item whose top-level category is C in [T, T + horizon)".
// A seeded user split trains the analytics propensity model (XGBoost, or
// logistic regression when XGBoost is not built in or asked for); the test
// users give AUC and lift at the top 10 %. The model then scores every user on
// features of all events (as of the newest event): the audience.
struct CategoryPropensityOptions {
  std::string category;        // top-level category, required
  int horizon_days = 30;       // [1, 3650]
  Timestamp cutoff = 0;        // 0 = newest event - horizon
  std::string model = "xgboost";  // "xgboost" or "logistic"
  double test_fraction = 0.3;  // (0, 1)
  std::uint64_t seed = 42;
  std::size_t top = 20;        // audience size (0 = every user)
  std::size_t top_features = 15;  // importance entries kept (0 = all)
  int threads = 0;
  void validate() const;
};

struct CategoryPropensityResult {
  std::string category;
  std::string model;  // model actually used
  Timestamp cutoff = 0;
  int horizon_days = 0;
  double auc = 0;          // on the test users; NaN when a class is absent there
  double lift_top10 = 0;   // positive rate of the top 10 % test users by score / test positive rate
  double base_rate = 0;    // positive share over all users
  std::size_t positives = 0;
  std::size_t train_users = 0, test_users = 0;
  std::vector<std::pair<std::string, double>> importance;  // descending
  std::vector<std::pair<std::string, double>> audience;    // user, score; descending
};

// Throws InvalidArgument on bad options, NotFound for an unknown category,
// InvalidArgument when the training users hold a single class.
CategoryPropensityResult category_propensity(const store::Store& store, const CategoryPropensityOptions& options);
Json category_propensity_json(const CategoryPropensityResult& result);

// --------------------------------------------------------------- report ---
// (src/profile/report.cc) The marketer's report: segments (sizes, top
// features), RFM histograms, top association rules, and a purchase-propensity
// lift curve (logistic regression on profile features, 70/30 split).
struct ReportOptions {
  double min_support = 0.02;     // association rules, (0, 1]
  double min_confidence = 0.2;   // [0, 1]
  std::size_t top_rules = 12;       // rules kept, by lift
  int histogram_bins = 12;       // [2, 100]
  std::uint64_t seed = 42;
  int threads = 0;
};
// The report's data; segments come from the stored "segments:current" (or are
// computed when absent).
Json report_json(const store::Store& store, const ReportOptions& options = {});
// A self-contained HTML page (inline CSS and SVG) from report_json's output.
std::string report_html(const Json& report);

}  // namespace tailor::profile
