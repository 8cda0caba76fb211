// Front door of the profile component: who the users are (用户画像).
//
// Three layers, each usable on its own:
//  1. compute_profiles(): one pass over the store's users, items and events
//     gives every user a flat map of numeric features (recency / frequency /
//     monetary, activity by hour and weekday, channel mix, category and brand
//     affinity, price sensitivity, average rating, dislike share) next to
//     their attributes as given. A feature that cannot be computed for a user
//     (no events, no ratings) is NaN ("missing"; null in JSON).
//     compute_user_profile() gives one user's profile from that user's events
//     alone; refresh_profiles() recomputes only the users that changed.
//  2. RuleSet: readable label rules (`label "NAME" when EXPR`) evaluated on a
//     profile.
//  3. compute_segments(): k-means++ on standardised feature vectors, k chosen
//     by silhouette, each segment described by its most distinguishing
//     features. Users without events form a separate "no activity" segment.
// Plus the clustering primitives (kmeans, silhouette, adjusted_rand_index).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tailor/data/data.h"

namespace tailor::store { class Store; }
namespace tailor::llm {
class Generator;
struct ChatMessage;
}  // namespace tailor::llm

namespace tailor::profile {

using data::Json;

// ------------------------------------------------------------- features ---

// Feature names. Fixed ones are listed in fixed_feature_names(); per-store ones
// are "affinity.<top-level category>" and "channel.<channel>" (an empty
// channel is "channel.unknown"). Hours are UTC: [0,6) night, [6,12) morning,
// [12,18) afternoon, [18,24) evening.
//
// Brands: an item's brand is its attributes.brand when that is a non-empty
// string (surrounding whitespace trimmed; other types are ignored). Each event
// on a branded item adds its event-type weight (ProfileOptions::event_types,
// the same weight as category affinity) to the brand; a brand's weight is
// clamped at 0 (a disliked brand does not count). share(b) = w(b) / Σ w.
//   brand_loyalty = max_b share(b)   (NaN when no branded event has weight)
//   brand_count   = |{b : w(b) > 0}| (0 without events)
// The brands themselves are too many to be per-store features; the top ones
// travel as UserProfile::top_brands.
std::span<const std::string_view> fixed_feature_names();
inline constexpr std::string_view kAffinityPrefix = "affinity.";
inline constexpr std::string_view kChannelPrefix = "channel.";
inline constexpr std::size_t kTopBrands = 5;  // brands kept in UserProfile::top_brands

struct ProfileOptions {
  // Reference time for recency; 0 = the newest event in the store.
  Timestamp now = 0;
  // Only events with timestamp < until count (0 = no bound). With a bound and
  // now == 0, recency is measured from `until` (features "as of" that time).
  Timestamp until = 0;
  // Weights of event types for category and brand affinity (negative types
  // subtract). Unknown types count as default_weight.
  data::EventTypes event_types = data::EventTypes::defaults();
};

struct BrandShare {
  std::string brand;
  double share = 0;  // of the user's positive brand weight, (0, 1]
};

struct UserProfile {
  std::string user_id;
  Json attributes = Json::object();
  std::uint64_t event_count = 0;
  // Oldest and newest counted event; both 0 when event_count == 0.
  Timestamp first_event = 0;
  Timestamp last_event = 0;
  // Every fixed feature and every affinity/channel feature of the set; NaN = missing.
  std::map<std::string, double> features;
  // Brands with a positive share, largest first (ties by name), at most kTopBrands.
  std::vector<BrandShare> top_brands;

  // Value of a feature; nullopt when the name is unknown, NaN when missing.
  std::optional<double> feature(std::string_view name) const;
};

// The store-wide facts that a single user's features depend on: the key set of
// the per-store features and the reference values. Everything else in a
// profile comes from the user's own events and the items they touched.
struct ProfileUniverse {
  std::vector<std::string> categories;       // top-level categories of all items, sorted
  std::vector<double> category_mean_price;   // parallel to categories; NaN when no positive priced item
  std::vector<std::string> channels;         // channels of counted events, sorted ("unknown" for empty)
  Timestamp newest = 0;                      // newest counted event (0 when none)

  // The reference time the options give: options.now, else options.until, else newest.
  Timestamp now(const ProfileOptions& options) const;
};

// One scan of the items (categories, mean prices) and one of the events
// (channels, newest event; no per-user work) under options.until. This is the
// O(events) part of a profile; long-running callers keep the result in a
// ProfileUniverseCache. Const interface only; safe while a writer is open.
ProfileUniverse scan_profile_universe(const store::Store& store, const ProfileOptions& options = {});

struct ProfileSet {
  Timestamp now = 0;
  std::vector<std::string> categories;  // top-level categories, sorted
  std::vector<double> category_mean_price;  // parallel to categories (NaN = none)
  std::vector<std::string> channels;    // sorted
  Timestamp newest = 0;                 // newest counted event (0 when none)
  std::vector<UserProfile> users;       // in the store's user index order

  // nullptr when the user is not in the set.
  const UserProfile* find(std::string_view user_id) const;
  // categories, mean prices, channels and newest as a universe.
  ProfileUniverse universe() const;

 private:
  friend ProfileSet compute_profiles(const store::Store&, const ProfileOptions&);
  friend struct ProfileSetAccess;  // refresh_profiles (features.cc)
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::uint32_t> user_idx_;  // store user index of users[slot]
  ProfileOptions options_;               // the options the set was computed with
  std::uint64_t catalogue_hash_ = 0;     // of every item's (category, price, brand)
};

// Reads all users, items and events of the store (one scan each) and computes
// every user's profile. Reads through the const interface only; safe while a
// writer is open. Events whose user or item appeared after the scans are skipped.
ProfileSet compute_profiles(const store::Store& store, const ProfileOptions& options = {});

// One user's profile from store.user_events(user_id) and store.get_item() of
// each distinct item they touched: O(user's events) reads. Equal to
// compute_profiles(store, options).find(user_id) (bit for bit: sums are
// exact, see features.cc) when `universe` is scan_profile_universe(store,
// options) of the same store state. A stale universe (a cached one, after
// writes) gives the features of that universe: a category or channel it lacks
// gets no feature, and `now` is never before the user's newest event.
// nullopt when the user does not exist (store.get_user).
std::optional<UserProfile> compute_user_profile(const store::Store& store, const std::string& user_id,
                                                const ProfileUniverse& universe, const ProfileOptions& options = {});
// The same with a fresh scan_profile_universe(store, options): exact, but the
// universe scan reads every event once (use the overload above with a cache
// to stay at O(user's events)).
std::optional<UserProfile> compute_user_profile(const store::Store& store, const std::string& user_id,
                                                const ProfileOptions& options = {});

struct ProfileRefresh {
  bool full = false;         // the catalogue changed: everything was recomputed
  std::size_t users = 0;     // profiles recomputed from the store (removed ones included)
};

// Brings `set` (from compute_profiles) up to date after writes that touched
// only the events or attributes of `changed_user_ids` (users added, changed or
// deleted), with the options the set was computed with. Reads the items once
// (a catalogue check: when any item's category, price or brand changed, or an
// item was added or removed, it falls back to compute_profiles) and the events
// of the changed users; other users' stored features are only re-keyed when
// the channel set moved and re-timed (recency, tenure) when `now` moved. The
// result equals compute_profiles on the new store state.
ProfileRefresh refresh_profiles(ProfileSet& set, const store::Store& store,
                                std::span<const std::string> changed_user_ids);

// Keeps one store's ProfileUniverse for a long-running process (the server).
// get() rescans when the caller's write version differs from the cached one
// (any counter that moves when items or events are written) or when the
// cached one is older than max_age_s (writes it cannot see: other processes,
// deletions). Thread-safe; one caller rescans while the others wait.
class ProfileUniverseCache {
 public:
  explicit ProfileUniverseCache(double max_age_s = 60, ProfileOptions options = {});
  std::shared_ptr<const ProfileUniverse> get(const store::Store& store, std::uint64_t version);
  const ProfileOptions& options() const { return options_; }

 private:
  double max_age_s_;
  ProfileOptions options_;
  std::mutex mutex_;
  std::shared_ptr<const ProfileUniverse> universe_;
  std::uint64_t version_ = 0;
  double built_at_ = 0;  // steady clock seconds
};

// {"name": value, ...} with NaN as null, rounded to 6 significant digits.
Json features_json(const UserProfile& profile);
// [{"brand": name, "share": value}, ...] of top_brands, shares rounded as above.
Json brands_json(const UserProfile& profile);

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
  // Plain means (before log1p and standardising; a one-hot attribute's mean is
  // the share with that value) over the segment's active users and over all
  // active users with a value. NaN when unknown (artifacts before these fields).
  double mean = std::numeric_limits<double>::quiet_NaN();
  double overall_mean = std::numeric_limits<double>::quiet_NaN();
};

// A description of a segment in one language and where it came from.
struct SegmentDescription {
  std::string lang;      // "zh" or "en"
  std::string text;
  std::string source;    // "llm" or "rules"
  std::string rejected;  // why the last model output was not used ("" when source is "llm")
};

struct Segment {
  int id = 0;
  std::string name;
  std::string description;                  // the first language's text when described
  std::string description_source = "rules";  // "llm" or "rules", of `description`
  std::size_t size = 0;
  bool no_activity = false;  // the users without events
  std::vector<SegmentFeature> top_features;
  std::vector<SegmentDescription> descriptions;  // one per language asked of describe_segments
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

// ---------------------------------------------- segment descriptions ---
// (src/profile/segment_describe.cc) One-sentence descriptions of segments by a
// language model, checked before use; the rule words stay where a check fails.
// The model sees only facts: the segment's size and share of active users and,
// per top feature, its name, meaning, segment mean and overall mean.
// Checks on the model's text (after trimming, first line only, outer quotes
// removed): non-empty; valid UTF-8; at most max_chars characters; the right
// language (zh: >= 4 Han characters and at least half as many Han characters
// as Latin letters; en: no Han, kana or Hangul and >= 3 Latin words); not a
// heading (ending in a colon) nor a copy of a fact line; every number in it
// (ASCII or full-width digits) is a rounding of a number in the facts, or of
// 100x one in [0, 1] (a share as a percentage); in English, when the segment's
// top features include liked categories (affinity, z > 0), it names one of
// them (a word starting with the first five letters of a part of the name).

struct SegmentDescribeOptions {
  std::vector<std::string> langs = {"en"};  // "zh" and/or "en", distinct, 1 or 2
  std::size_t max_chars = 120;              // [20, 1000] characters (code points)
  int max_tokens = 96;                      // per generation, [8, 1024]
  float temperature = 0.2f;                 // [0, 2]
  std::uint32_t seed = 42;                  // attempt a uses seed + a
  int attempts = 2;                         // generations per segment and language, [1, 5]
  // Throws InvalidArgument naming the field.
  void validate() const;
};

struct SegmentDescribeStats {
  std::size_t llm = 0;    // descriptions from the model
  std::size_t rules = 0;  // rule descriptions kept (check failed, no model, no-activity segment)
  std::size_t generations = 0;
};

// The facts block given to the model for one segment (also the source of
// allowed numbers). total_active = users in the active segments.
std::string segment_facts(const Segment& segment, std::size_t total_active, std::string_view lang);
// The chat the generator gets for one segment and language.
std::vector<llm::ChatMessage> segment_description_prompt(const Segment& segment, std::size_t total_active,
                                                         std::string_view lang, std::size_t max_chars);
// The model's text cleaned up (trimmed, first non-empty line, outer quotes removed).
std::string clean_segment_description(std::string_view text);
// nullopt when `text` (already cleaned) passes every check above; else the
// reason. subjects: the liked categories to mention (empty = no such check).
std::optional<std::string> check_segment_description(std::string_view text, std::string_view lang,
                                                     std::string_view facts, std::size_t max_chars,
                                                     std::span<const std::string> subjects = {});

// Fills every segment's descriptions (one per options.langs) and sets
// description / description_source from the first language. generator may be
// nullptr (every description stays the rule words, source "rules"). The
// no-activity segment keeps its rule words. Model errors (exceptions from
// chat) propagate. Not thread-safe with respect to `generator`.
SegmentDescribeStats describe_segments(SegmentResult& result, llm::Generator* generator,
                                       const SegmentDescribeOptions& options = {});


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
