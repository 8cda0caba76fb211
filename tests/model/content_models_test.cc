// Content models: the tokenizer, BM25 weights with hand-computed values,
// bm25 and hybrid on the demo store (new items with only text, new users with
// only attributes, learned blend weights, NDCG against the single sources),
// MMR re-ranking, and reading version-1 model files. The Recommender contract
// suite in model_test.cc covers both models as well.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "models.h"
#include "tailor/data/import.h"
#include "tailor/eval/eval.h"
#include "tailor/model/model.h"
#include "tailor/store/store.h"
#include "text_index.h"

namespace tailor::model {
namespace {

using dataset::Interaction;
using text::Field;
using text::TextIndex;
using text::Tokenizer;
using text::TokenizerOptions;

bool has(const std::vector<std::string>& tokens, const std::string& token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

bool contains(const std::vector<ScoredItem>& list, std::uint32_t item) {
  return std::any_of(list.begin(), list.end(), [&](const ScoredItem& entry) { return entry.item == item; });
}

FitOptions fit_options() {
  FitOptions o;
  o.threads = 2;
  return o;
}

// ------------------------------------------------------------ tokenizer ---

TEST(Tokenizer, EnglishStemsAndDropsStopwords) {
  Tokenizer tokenizer;
  auto tokens = tokenizer.tokenize("Running shoes for the kids' marathon training, non-slip 20000mAh");
  EXPECT_TRUE(has(tokens, "run"));
  EXPECT_TRUE(has(tokens, "shoe"));
  EXPECT_TRUE(has(tokens, "marathon"));
  EXPECT_TRUE(has(tokens, "train"));
  EXPECT_TRUE(has(tokens, "slip"));
  EXPECT_TRUE(has(tokens, "20000mah"));
  EXPECT_FALSE(has(tokens, "the"));
  EXPECT_FALSE(has(tokens, "for"));
  EXPECT_FALSE(has(tokens, ","));
  // Without stemming and stopword removal the words come through as they are.
  TokenizerOptions plain;
  plain.stem = false;
  plain.stopwords = false;
  Tokenizer raw(plain);
  auto raw_tokens = raw.tokenize("Running for the kids");
  EXPECT_EQ(raw_tokens, (std::vector<std::string>{"running", "for", "the", "kids"}));
}

TEST(Tokenizer, ChineseDictionarySegmentationAndBigrams) {
  Tokenizer words;
  auto tokens = words.tokenize("无痕高腰瑜伽裤，适合居家健身的瑜伽爱好者");
  EXPECT_TRUE(has(tokens, "瑜伽"));
  EXPECT_TRUE(has(tokens, "居家"));
  EXPECT_TRUE(has(tokens, "健身"));
  EXPECT_FALSE(has(tokens, "的"));  // stopword
  EXPECT_FALSE(has(tokens, "，"));  // punctuation
  // ICU's dictionary knows 蓝牙 and 耳机 but splits 降噪 into 降 + 噪 ...
  auto earphones = words.tokenize("降噪蓝牙耳机");
  EXPECT_TRUE(has(earphones, "蓝牙"));
  EXPECT_TRUE(has(earphones, "耳机"));
  EXPECT_FALSE(has(earphones, "降噪"));
  // ... which the character bigrams restore.
  TokenizerOptions with_bigrams;
  with_bigrams.cjk_bigrams = true;
  Tokenizer bigrams(with_bigrams);
  auto fallback = bigrams.tokenize("降噪蓝牙耳机");
  EXPECT_TRUE(has(fallback, "降噪"));
  EXPECT_TRUE(has(fallback, "噪蓝"));
  EXPECT_TRUE(has(fallback, "蓝牙"));
  // Bigrams stop at non-Han characters and skip stopword characters.
  auto mixed = bigrams.tokenize("我的耳机 Pro 手机");
  EXPECT_TRUE(has(mixed, "耳机"));
  EXPECT_TRUE(has(mixed, "手机"));
  EXPECT_FALSE(has(mixed, "的耳"));
  EXPECT_FALSE(has(mixed, "机手"));
  EXPECT_TRUE(has(mixed, "pro"));
}

TEST(Tokenizer, NormalisesUnicodeAndCase) {
  Tokenizer tokenizer;
  const auto composed = tokenizer.tokenize("Caf\u00e9");       // é as one code point
  const auto decomposed = tokenizer.tokenize("Cafe\u0301");    // e + combining acute
  const auto upper = tokenizer.tokenize("CAF\u00c9");
  ASSERT_EQ(composed.size(), 1u);
  EXPECT_EQ(composed, decomposed);
  EXPECT_EQ(composed, upper);
  // Full-width Latin letters and digits (common in Chinese text) fold to ASCII.
  EXPECT_EQ(tokenizer.tokenize("\uff2e\uff29\uff2b\uff25 \uff11\uff15"), (std::vector<std::string>{"nike", "15"}));
  // Invalid UTF-8 does not throw and yields no garbage word.
  EXPECT_EQ(tokenizer.tokenize(std::string("ok \xff\xfe")), (std::vector<std::string>{"ok"}));
  EXPECT_TRUE(tokenizer.tokenize("").empty());
  EXPECT_TRUE(tokenizer.tokenize(" ，。!? ").empty());
}

// ---------------------------------------------------------------- bm25 ---

TEST(TextIndex, Bm25WeightsMatchHandComputedValues) {
  // Three documents, one field of weight 1, no stemming (all words already stems):
  //   d0 "apple banana apple"  tf apple 2, banana 1   len 3
  //   d1 "banana cherry"       tf banana 1, cherry 1  len 2
  //   d2 "cherry"              tf cherry 1            len 1
  // N = 3, avgdl = 6 / 3 = 2; df apple 1, banana 2, cherry 2.
  // idf(apple)  = ln(1 + (3 - 1 + 0.5) / (1 + 0.5)) = ln(8/3) = 0.980829
  // idf(banana) = idf(cherry) = ln(1 + 1.5 / 2.5) = ln(1.6) = 0.470004
  // k1 = 1.2, b = 0.75; K(d) = k1 (1 - b + b len/avgdl); w = idf tf (k1 + 1) / (tf + K)
  //   d0: K = 1.2 (0.25 + 0.75 * 1.5) = 1.65
  //       apple  = 0.980829 * 2 * 2.2 / 3.65 = 1.182370
  //       banana = 0.470004 * 1 * 2.2 / 2.65 = 0.390192
  //       ‖·‖ = sqrt(1.182370² + 0.390192²) = 1.245089 -> (0.949626, 0.313385)
  //   d1: K = 1.2, both terms 0.470004 * 2.2 / 2.2 -> (0.707107, 0.707107)
  //   d2: one term -> 1
  // cos(d0, d1) = 0.313385 * 0.707107 = 0.221596; cos(d1, d2) = 0.707107; cos(d0, d2) = 0.
  TokenizerOptions options;
  options.stem = false;
  std::vector<std::vector<Field>> docs = {
      {{"apple banana apple", 1}}, {{"banana cherry", 1}}, {{"cherry", 1}}};
  TextIndex index = TextIndex::build(docs, options, text::Bm25Options{}, 2);
  ASSERT_EQ(index.term_count(), 3u);
  EXPECT_EQ(index.term(0), "apple");  // byte order
  EXPECT_DOUBLE_EQ(index.average_length(), 2.0);
  EXPECT_NEAR(index.idf(0), 0.980829, 1e-5);
  EXPECT_NEAR(index.idf(1), 0.470004, 1e-5);
  EXPECT_NEAR(*index.vectors().at(0, 0), 0.949626, 1e-5);
  EXPECT_NEAR(*index.vectors().at(0, 1), 0.313385, 1e-5);
  EXPECT_NEAR(*index.vectors().at(1, 1), 0.707107, 1e-5);
  EXPECT_NEAR(*index.vectors().at(1, 2), 0.707107, 1e-5);
  EXPECT_NEAR(*index.vectors().at(2, 2), 1.0, 1e-6);
  EXPECT_NEAR(index.cosine(0, 1), 0.221596, 1e-5);
  EXPECT_NEAR(index.cosine(1, 2), 0.707107, 1e-5);
  EXPECT_EQ(index.cosine(0, 2), 0.0f);
  // A query text is weighted against the same statistics: "banana cherry" is d1.
  std::vector<Field> query = {{"banana cherry", 1}};
  auto vec = index.vectorize(query);
  ASSERT_EQ(vec.size(), 2u);
  EXPECT_NEAR(vec[0].second, 0.707107, 1e-5);
  // Field weights multiply term frequencies: d0 with its one field at weight 2
  // has tf apple 4, banana 2 and len 6, so avgdl = (6 + 2 + 1) / 3 = 3.
  docs[0][0].weight = 2;
  TextIndex weighted = TextIndex::build(docs, options, text::Bm25Options{}, 1);
  EXPECT_NEAR(weighted.average_length(), 3.0, 1e-9);
  // Save / load round trip.
  std::ostringstream out(std::ios::binary);
  index.save(out);
  std::istringstream in(out.str(), std::ios::binary);
  TextIndex loaded = TextIndex::load(in);
  EXPECT_EQ(loaded.term_count(), 3u);
  EXPECT_EQ(loaded.cosine(0, 1), index.cosine(0, 1));
  EXPECT_EQ(loaded.find_term("cherry"), std::optional<std::uint32_t>(2));
}

TEST(TextIndex, SameIndexForAnyThreadCount) {
  std::vector<std::string> texts;
  for (int doc = 0; doc < 200; ++doc)
    texts.push_back("doc " + std::to_string(doc % 17) + " 跑步鞋 running shoe" + std::string(doc % 5, 'x') + " 蓝牙耳机");
  std::vector<std::vector<Field>> docs;
  for (const auto& t : texts) docs.push_back({{t, 1}});
  TokenizerOptions options;
  options.cjk_bigrams = true;
  auto bytes = [&](int threads) {
    std::ostringstream out(std::ios::binary);
    TextIndex::build(docs, options, text::Bm25Options{}, threads).save(out);
    return out.str();
  };
  EXPECT_EQ(bytes(1), bytes(4));
}

// ------------------------------------------------------------ demo data ---

// The shipped demo store, imported into a temporary SQLite store and
// snapshotted (once per process).
const Dataset& demo() {
  static const Dataset dataset = [] {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(TAILOR_SOURCE_DIR) / "data" / "demo";
    const std::string db = ::testing::TempDir() + "/tailor_content_demo_" + std::to_string(::getpid()) + ".db";
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix);
    Dataset out;
    {
      auto store = store::open_store(db);
      auto writer = store->begin_write();
      data::ImportPolicy policy;
      policy.max_future_seconds = std::int64_t{100} * 365 * 86400;  // the demo's dates are fixed
      for (const auto& [file, entity] : std::vector<std::pair<std::string, std::string>>{
               {"users.jsonl", "users"}, {"items.jsonl", "items"}, {"events.csv.gz", "events"}}) {
        data::ColumnMapping mapping;
        mapping.entity = entity;
        const std::string path = (dir / file).string();
        data::import_file(path, *data::guess_file_format(path), mapping, policy, *writer);
      }
      writer->commit();
      out = dataset::snapshot(*store);
    }
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix);
    return out;
  }();
  return dataset;
}

std::string main_category(const Dataset& d, std::uint32_t item) {
  const auto& categories = d.item_meta[item].categories;
  return categories.empty() ? std::string() : categories.front();
}

TEST(Demo, SnapshotCarriesItemText) {
  const Dataset& d = demo();
  ASSERT_EQ(d.item_count(), 364u);
  ASSERT_EQ(d.user_count(), 1250u);
  const auto item = d.items.find("sku-00001");
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(d.item_meta[*item].title, "铁馆 无痕高腰瑜伽裤");
  EXPECT_FALSE(d.item_meta[*item].description.empty());
  EXPECT_TRUE(std::find(d.item_meta[*item].tags.begin(), d.item_meta[*item].tags.end(), "yoga") !=
              d.item_meta[*item].tags.end());
  // And the model file keeps it (format version 2).
  auto m = create_model("popular");
  m->fit(d, d.interactions, fit_options());
  auto loaded = load_model_bytes(m->save_bytes());
  EXPECT_EQ(loaded->item_meta()[*item].title, d.item_meta[*item].title);
  EXPECT_EQ(loaded->item_meta()[*item].tags, d.item_meta[*item].tags);
}

// A new item: a copy of an existing running item's text (a new colour), no
// interactions. Returns the dataset and the new item's index.
std::pair<Dataset, std::uint32_t> with_new_item(const Dataset& base, std::uint32_t like) {
  Dataset d = base;
  const std::uint32_t item = d.items.add("sku-new-01");
  dataset::ItemMeta meta = d.item_meta[like];
  meta.title += " 新色";
  meta.created_at = 0;
  d.item_meta.push_back(meta);
  return {std::move(d), item};
}

// The demo item of `category` with the most training users, and the user
// with the most interactions in that item's sub-category.
struct RunnerCase {
  std::uint32_t item = 0;
  std::uint32_t user = 0;
  std::vector<std::uint32_t> history;  // that user's items in the sub-category
};

RunnerCase runner_case(const Dataset& d) {
  std::vector<int> users(d.item_count(), 0);
  for (const Interaction& x : d.interactions) ++users[x.item];
  RunnerCase out;
  int best = -1;
  for (std::uint32_t item_idx = 0; item_idx < d.item_count(); ++item_idx)
    if (main_category(d, item_idx) == "running" && users[item_idx] > best) {
      best = users[item_idx];
      out.item = item_idx;
    }
  const std::vector<std::string>& cats = d.item_meta[out.item].categories;
  const std::string sub = cats.size() > 1 ? cats[1] : cats[0];
  std::map<std::uint32_t, std::vector<std::uint32_t>> by_user;
  for (const Interaction& x : d.interactions) {
    const auto& c = d.item_meta[x.item].categories;
    if (std::find(c.begin(), c.end(), sub) != c.end()) by_user[x.user].push_back(x.item);
  }
  std::size_t most = 0;
  for (const auto& [user, items] : by_user)
    if (items.size() > most) {
      most = items.size();
      out.user = user;
      out.history = items;
    }
  return out;
}

TEST(Bm25, NewItemWithOnlyTextIsRecommendedAndSimilar) {
  const RunnerCase runner = runner_case(demo());
  auto [d, fresh] = with_new_item(demo(), runner.item);
  auto m = create_model("bm25");
  m->fit(d, d.interactions, fit_options());
  // Similar to the item it was written like: the top neighbour.
  auto similar = m->similar_items(runner.item, 5);
  ASSERT_FALSE(similar.empty());
  EXPECT_EQ(similar[0].item, fresh);
  EXPECT_TRUE(contains(m->similar_items(fresh, 3), runner.item));
  // Recommended to the user whose history is in the same sub-category ...
  RecommendOptions o;
  o.n = 10;
  EXPECT_TRUE(contains(m->recommend(runner.user, o), fresh));
  // ... and to an anonymous history of the item it was written like.
  std::vector<std::uint32_t> history = {runner.item};
  EXPECT_TRUE(contains(m->recommend_history(history, {}, o), fresh));
  // Scores are cosines (plus a small popularity prior): in [0, 1 + prior].
  for (const ScoredItem& r : m->recommend(runner.user, o)) {
    EXPECT_GE(r.score, 0.0f);
    EXPECT_LE(r.score, 1.02f);
  }
}

TEST(Bm25, TextRecommendationsStayInTheHistorysCategory) {
  // A history of kitchen items gets mostly kitchen items (the text says so,
  // across Chinese and English titles: categories and tags are shared).
  const Dataset& d = demo();
  auto m = create_model("bm25");
  m->fit(d, d.interactions, fit_options());
  std::vector<std::uint32_t> history;
  for (std::uint32_t item_idx = 0; item_idx < d.item_count() && history.size() < 3; ++item_idx)
    if (main_category(d, item_idx) == "kitchen") history.push_back(item_idx);
  RecommendOptions o;
  o.n = 10;
  auto recs = m->recommend_history(history, {}, o);
  ASSERT_EQ(recs.size(), 10u);
  int kitchen = 0;
  for (const ScoredItem& r : recs) kitchen += main_category(d, r.item) == "kitchen" ? 1 : 0;
  EXPECT_GE(kitchen, 8);
}

TEST(Hybrid, NewItemWithOnlyTextIsRecommended) {
  const RunnerCase runner = runner_case(demo());
  auto [d, fresh] = with_new_item(demo(), runner.item);
  auto m = create_model("hybrid");
  m->fit(d, d.interactions, fit_options());
  RecommendOptions o;
  o.n = 10;
  EXPECT_TRUE(contains(m->recommend(runner.user, o), fresh));
  std::vector<std::uint32_t> history = {runner.item};
  EXPECT_TRUE(contains(m->recommend_history(history, {}, o), fresh));
  EXPECT_TRUE(contains(m->similar_items(runner.item, 10), fresh));
}

// Share of the first `n` cold-start recommendations in `categories`.
double share_in(const Dataset& d, const std::vector<ScoredItem>& recs, const std::set<std::string>& categories) {
  if (recs.empty()) return 0;
  int in = 0;
  for (const ScoredItem& r : recs) in += categories.count(main_category(d, r.item)) > 0 ? 1 : 0;
  return static_cast<double>(in) / static_cast<double>(recs.size());
}

TEST(Hybrid, NewUserWithOnlyAttributesGetsPopularInSegment) {
  const Dataset& d = demo();
  // What the data says: female users' interactions are far more often in
  // beauty / fashion, male users' in gaming / computers / phones-audio.
  const std::set<std::string> beauty = {"beauty", "fashion"};
  const std::set<std::string> tech = {"gaming", "computers", "phones-audio"};
  std::map<std::string, std::pair<double, double>> seen_share;  // gender -> (beauty, tech)
  std::map<std::string, double> seen_total;
  for (const Interaction& x : d.interactions) {
    const std::string gender = d.user_attributes[x.user].value("gender", "");
    seen_total[gender] += 1;
    seen_share[gender].first += beauty.count(main_category(d, x.item)) ? 1 : 0;
    seen_share[gender].second += tech.count(main_category(d, x.item)) ? 1 : 0;
  }
  std::cout << "[ demo    ] interaction share beauty+fashion: female "
            << seen_share["female"].first / seen_total["female"] << ", male "
            << seen_share["male"].first / seen_total["male"] << "; gaming+computers+phones: female "
            << seen_share["female"].second / seen_total["female"] << ", male "
            << seen_share["male"].second / seen_total["male"] << "\n";

  auto m = create_model("hybrid");
  m->fit(d, d.interactions, fit_options());
  const Params report = detail::hybrid_report(*m);
  std::cout << "[ demo    ] hybrid report " << report.dump() << "\n";
  RecommendOptions o;
  o.n = 20;
  const auto anonymous = m->recommend_history({}, {}, o);
  o.user_attributes = {{"gender", "female"}, {"age", 26}};
  const auto female = m->recommend_history({}, {}, o);
  o.user_attributes = {{"gender", "male"}, {"age", 22}};
  const auto male = m->recommend_history({}, {}, o);
  ASSERT_EQ(female.size(), 20u);
  ASSERT_EQ(male.size(), 20u);
  const double female_beauty = share_in(d, female, beauty);
  const double male_beauty = share_in(d, male, beauty);
  const double male_tech = share_in(d, male, tech);
  const double female_tech = share_in(d, female, tech);
  std::cout << "[ demo    ] cold top-20 share beauty+fashion: female " << female_beauty << ", male " << male_beauty
            << ", no attributes " << share_in(d, anonymous, beauty) << "; gaming+computers+phones: male "
            << male_tech << ", female " << female_tech << ", no attributes " << share_in(d, anonymous, tech)
            << "\n";
  // Measured (seed 42): female 0.45 beauty+fashion vs 0.15 male and 0.20
  // without attributes; male 0.75 gaming+computers+phones vs 0.10 female, 0.30 without.
  EXPECT_GE(female_beauty, 0.35);
  EXPECT_GE(female_beauty, male_beauty + 0.2);
  EXPECT_GT(female_beauty, share_in(d, anonymous, beauty));
  EXPECT_GE(male_tech, 0.5);
  EXPECT_GE(male_tech, female_tech + 0.3);
  EXPECT_GT(male_tech, share_in(d, anonymous, tech));

  // The cold path goes through the shared collector: filters still apply.
  RecommendOptions filtered = o;
  filtered.user_attributes = {{"gender", "female"}};
  filtered.filter = [&](std::uint32_t item) { return main_category(d, item) == "books"; };
  const auto books = m->recommend_history({}, {}, filtered);
  ASSERT_FALSE(books.empty());
  for (const ScoredItem& r : books) {
    EXPECT_EQ(main_category(d, r.item), "books");
    EXPECT_FALSE(d.item_meta[r.item].hidden);
    EXPECT_TRUE(d.item_meta[r.item].available);
  }
  filtered.exclude = {books[0].item};
  EXPECT_FALSE(contains(m->recommend_history({}, {}, filtered), books[0].item));
  // Attributes must be an object; unknown keys and values are ignored.
  RecommendOptions bad;
  bad.user_attributes = data::Json::array({1, 2});
  EXPECT_THROW(m->recommend_history({}, {}, bad), Error);
  RecommendOptions unknown;
  unknown.user_attributes = {{"planet", "mars"}};
  EXPECT_EQ(m->recommend_history({}, {}, unknown).size(), 10u);
}

TEST(Hybrid, LearnedWeightsAreFiniteNonNegativeAndReproducible) {
  const Dataset& d = demo();
  auto weights_of = [&](std::uint64_t seed) {
    auto m = create_model("hybrid");
    FitOptions o = fit_options();
    o.seed = seed;
    m->fit(d, d.interactions, o);
    return detail::hybrid_report(*m);
  };
  const Params a = weights_of(7);
  const Params b = weights_of(7);
  EXPECT_EQ(a, b);
  for (const char* kind : {"warm_weights", "cold_weights"}) {
    double total = 0;
    ASSERT_TRUE(a.contains(kind));
    for (const auto& [source, w] : a[kind].items()) {
      EXPECT_TRUE(std::isfinite(w.get<double>())) << source;
      EXPECT_GE(w.get<double>(), 0.0) << source;
      total += w.get<double>();
    }
    EXPECT_NEAR(total, 1.0, 1e-5) << kind;
  }
  // Cold weights only use sources that work without a history.
  for (const char* source : {"itemknn", "userknn", "bm25"}) EXPECT_EQ(a["cold_weights"][source], 0.0) << source;
  // The blend is never below the best single source on validation.
  double best_single = 0;
  for (const auto& [source, ndcg] : a["validation_ndcg@10"].items())
    if (source != "blend" && source != "cold_blend") best_single = std::max(best_single, ndcg.get<double>());
  EXPECT_GE(a["validation_ndcg@10"]["blend"].get<double>(), best_single);
}

TEST(Hybrid, BlendIsAtLeastAsGoodAsTheBestSingleSourceOnDemo) {
  const Dataset& d = demo();
  dataset::SplitOptions split_options;
  split_options.kind = dataset::SplitKind::kRandom;
  split_options.test_fraction = 0.2;
  split_options.seed = 42;
  const dataset::Split split = dataset::split(d, split_options);
  eval::EvalOptions eval_options;
  eval_options.compute_auc = false;
  eval_options.compute_beyond_accuracy = false;
  eval_options.threads = 2;
  auto ndcg_of = [&](const std::string& name) {
    auto m = create_model(name);
    m->fit(d, split.train, fit_options());
    return eval::evaluate_ranking(*m, split.train, split.test, eval_options).at("ndcg@10");
  };
  std::vector<std::string> singles = {"itemknn", "userknn", "bm25", "popular"};
  const auto names = model_names();
  if (std::find(names.begin(), names.end(), "als") != names.end()) singles.push_back("als");
  double best = 0;
  std::string best_name;
  for (const std::string& name : singles) {
    const double ndcg = ndcg_of(name);
    std::cout << "[ demo    ] random 80/20 seed 42 NDCG@10 " << name << " " << ndcg << "\n";
    if (ndcg > best) {
      best = ndcg;
      best_name = name;
    }
  }
  const double hybrid = ndcg_of("hybrid");
  std::cout << "[ demo    ] random 80/20 seed 42 NDCG@10 hybrid " << hybrid << " (best single: " << best_name
            << " " << best << ")\n";
  EXPECT_GE(hybrid, best - 0.005);
}

// ------------------------------------------------------------------ MMR ---

TEST(Mmr, LambdaOneKeepsRelevanceOrderAndLowerLambdaDiversifies) {
  // Items 0..9, relevance falling with the index; items in the same group of
  // five (0-4, 5-9) are similar (1), across groups not (0).
  std::vector<ScoredItem> candidates;
  for (std::uint32_t item = 0; item < 10; ++item) candidates.push_back({item, 1.0f - 0.05f * static_cast<float>(item)});
  auto similarity = [](std::uint32_t a, std::uint32_t b) { return a / 5 == b / 5 ? 1.0f : 0.0f; };
  auto intra_list_diversity = [&](const std::vector<ScoredItem>& list) {
    double total = 0;
    int pairs = 0;
    for (std::size_t a = 0; a < list.size(); ++a)
      for (std::size_t b = a + 1; b < list.size(); ++b, ++pairs) total += 1.0 - similarity(list[a].item, list[b].item);
    return pairs > 0 ? total / pairs : 0.0;
  };
  std::vector<ScoredItem> shuffled = {candidates[3], candidates[9], candidates[0], candidates[6], candidates[1],
                                      candidates[8], candidates[2], candidates[5], candidates[7], candidates[4]};
  auto relevance = mmr_rerank(shuffled, 4, 1.0, similarity);
  ASSERT_EQ(relevance.size(), 4u);
  for (std::uint32_t rank = 0; rank < 4; ++rank) EXPECT_EQ(relevance[rank].item, rank);
  auto diverse = mmr_rerank(shuffled, 4, 0.5, similarity);
  ASSERT_EQ(diverse.size(), 4u);
  EXPECT_EQ(diverse[0].item, 0u);
  EXPECT_EQ(diverse[1].item, 5u);  // the best of the other group comes second
  EXPECT_GT(intra_list_diversity(diverse), intra_list_diversity(relevance));
  for (std::size_t rank = 1; rank < diverse.size(); ++rank) EXPECT_LE(diverse[rank].score, diverse[rank - 1].score);
  EXPECT_TRUE(mmr_rerank(shuffled, 0, 0.5, similarity).empty());
  EXPECT_EQ(mmr_rerank(shuffled, 50, 0.5, similarity).size(), 10u);
  EXPECT_THROW(mmr_rerank(shuffled, 3, 1.5, similarity), Error);
}

TEST(Mmr, HybridDiversityWidensTheCategoriesOfAList) {
  const Dataset& d = demo();
  auto plain = create_model("hybrid");
  plain->fit(d, d.interactions, fit_options());
  auto diverse = create_model("hybrid", Params{{"diversity_lambda", 0.5}});
  diverse->fit(d, d.interactions, fit_options());
  RecommendOptions o;
  o.n = 10;
  double plain_categories = 0;
  double diverse_categories = 0;
  int users = 0;
  for (std::uint32_t user_idx = 0; user_idx < d.user_count(); user_idx += 25) {
    if (plain->user_items().row_size(user_idx) == 0) continue;
    auto distinct = [&](const std::vector<ScoredItem>& list) {
      std::set<std::string> categories;
      for (const ScoredItem& r : list) categories.insert(main_category(d, r.item));
      return static_cast<double>(categories.size());
    };
    const auto a = plain->recommend(user_idx, o);
    const auto b = diverse->recommend(user_idx, o);
    EXPECT_EQ(b.size(), a.size());
    for (std::size_t rank = 1; rank < b.size(); ++rank) EXPECT_LE(b[rank].score, b[rank - 1].score);
    for (const ScoredItem& r : b) EXPECT_FALSE(plain->user_items().at(user_idx, r.item).has_value());
    plain_categories += distinct(a);
    diverse_categories += distinct(b);
    ++users;
  }
  ASSERT_GT(users, 10);
  std::cout << "[ demo    ] distinct main categories in top-10: diversity 0 " << plain_categories / users
            << ", diversity 0.5 " << diverse_categories / users << "\n";
  EXPECT_GT(diverse_categories, plain_categories);
}

// ------------------------------------------------- model file version 1 ---

// Rewrites a version-2 model file as version 1 wrote it: the same header,
// item metadata without title, description and tags, and the rest verbatim.
// Version 1 layout (model.h): "TLRM", u32 1, string name, string params,
// u32 n + user ids, u32 n + item ids, per item (u32 n + categories, u32 flags,
// u64 created_at), csr history, payload, "TLRE".
std::string as_version_1(const std::string& v2) {
  std::istringstream in(v2, std::ios::binary);
  std::ostringstream out(std::ios::binary);
  char magic[4];
  in.read(magic, 4);
  out.write(magic, 4);
  EXPECT_EQ(io::read_u32(in), 2u);
  io::write_u32(out, 1);
  io::write_string(out, io::read_string(in));  // name
  io::write_string(out, io::read_string(in));  // params
  std::uint32_t items = 0;
  for (int map = 0; map < 2; ++map) {
    const std::uint32_t count = io::read_u32(in);
    io::write_u32(out, count);
    for (std::uint32_t pos = 0; pos < count; ++pos) io::write_string(out, io::read_string(in));
    items = count;
  }
  for (std::uint32_t item_idx = 0; item_idx < items; ++item_idx) {
    const std::uint32_t categories = io::read_u32(in);
    io::write_u32(out, categories);
    for (std::uint32_t pos = 0; pos < categories; ++pos) io::write_string(out, io::read_string(in));
    io::write_u32(out, io::read_u32(in));  // flags
    io::write_u64(out, io::read_u64(in));  // created_at
    io::read_string(in);                   // title (version 2)
    io::read_string(in);                   // description (version 2)
    const std::uint32_t tags = io::read_u32(in);
    for (std::uint32_t pos = 0; pos < tags; ++pos) io::read_string(in);
  }
  out << in.rdbuf();
  return out.str();
}

TEST(ModelFile, ReadsVersionOneFiles) {
  std::vector<Interaction> xs;
  for (std::uint32_t user_idx = 0; user_idx < 6; ++user_idx)
    for (std::uint32_t item_idx = 0; item_idx < 5; ++item_idx)
      if ((user_idx + item_idx) % 3 != 0) xs.push_back({user_idx, item_idx, 1.0f + item_idx, 100 + item_idx});
  Dataset d = dataset::make_dataset(6, 5, xs);
  for (std::uint32_t item_idx = 0; item_idx < 5; ++item_idx) {
    d.item_meta[item_idx].title = "item " + std::to_string(item_idx) + (item_idx % 2 ? " running shoe" : " 蓝牙耳机");
    d.item_meta[item_idx].categories = {item_idx % 2 ? "running" : "phones-audio"};
    d.item_meta[item_idx].tags = {"t" + std::to_string(item_idx)};
    d.item_meta[item_idx].created_at = 1000 + item_idx;
  }
  d.item_meta[3].hidden = true;
  for (const std::string name : {"popular", "itemknn", "bm25"}) {
    auto m = create_model(name);
    m->fit(d, d.interactions, fit_options());
    const std::string v2 = m->save_bytes();
    const std::string v1 = as_version_1(v2);
    EXPECT_LT(v1.size(), v2.size()) << name;
    auto old = load_model_bytes(v1);
    EXPECT_EQ(old->name(), name);
    EXPECT_EQ(old->item_ids().ids(), m->item_ids().ids());
    for (std::uint32_t item_idx = 0; item_idx < 5; ++item_idx) {
      EXPECT_TRUE(old->item_meta()[item_idx].title.empty());
      EXPECT_TRUE(old->item_meta()[item_idx].tags.empty());
      EXPECT_EQ(old->item_meta()[item_idx].categories, d.item_meta[item_idx].categories);
      EXPECT_EQ(old->item_meta()[item_idx].created_at, d.item_meta[item_idx].created_at);
      EXPECT_EQ(old->item_meta()[item_idx].hidden, d.item_meta[item_idx].hidden);
    }
    RecommendOptions o;
    o.n = 5;
    for (std::uint32_t user_idx = 0; user_idx < 6; ++user_idx) {
      auto a = m->recommend(user_idx, o);
      auto b = old->recommend(user_idx, o);
      ASSERT_EQ(a.size(), b.size()) << name;
      for (std::size_t pos = 0; pos < a.size(); ++pos) EXPECT_EQ(a[pos].item, b[pos].item) << name;
    }
    // Saving again writes the current version.
    const std::string resaved = old->save_bytes();
    EXPECT_EQ(static_cast<unsigned char>(resaved[4]), kModelFormatVersion);
    // A truncated version-1 file is still Corruption.
    EXPECT_THROW(load_model_bytes(v1.substr(0, v1.size() - 5)), Error);
  }
}

}  // namespace
}  // namespace tailor::model
