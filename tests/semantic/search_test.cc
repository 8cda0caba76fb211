// search(): retrieval, the intent's hard filters, hidden / unavailable items,
// personalisation through a trained recommender, reasons in the query's
// language, and argument checks. The hashed bag-of-words test embedder
// (bow_embedder.h) stands in for the model and no generator is used, so
// intents come from parse_intent's rules: fast and deterministic. Exclude and
// must-have terms across languages (the lexicon's spellings) at the end.
#include <algorithm>

#include <gtest/gtest.h>

#include "../../src/semantic/lexicon.h"
#include "bow_embedder.h"
#include "semantic_test_util.h"
#include "tailor/ann/ann.h"
#include "tailor/core/core.h"
#include "tailor/model/model.h"
#include "tailor/semantic/semantic.h"

namespace tailor::semantic {
namespace {

using testing::BowEmbedder;
using testing::put_items;
using testing::TempStore;

data::Item make_item(const std::string& id, const std::string& title, std::vector<std::string> categories,
                     std::optional<double> price) {
  data::Item item;
  item.id = id;
  item.title = title;
  item.categories = std::move(categories);
  item.price = price;
  return item;
}

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<data::Item> items = {
        make_item("h1", "Wireless Bluetooth headphones", {"phones-audio", "phones-audio/headphones"}, 299),
        make_item("h2", "Bluetooth headphones with wired mode", {"phones-audio", "phones-audio/headphones"}, 899),
        make_item("h3", "降噪蓝牙耳机", {"phones-audio", "phones-audio/earbuds"}, 499),
        make_item("h4", "Bluetooth headphones hidden edition", {"phones-audio", "phones-audio/headphones"}, 199),
        make_item("h5", "Bluetooth headphones sold out", {"phones-audio", "phones-audio/headphones"}, 199),
        make_item("c1", "Lightweight laptop 14 inch", {"computers", "computers/laptops"}, 5999),
        make_item("c2", "Gaming laptop 16 inch", {"computers", "computers/laptops"}, 8999),
        make_item("t1", "Laptop backpack for travel", {"travel", "travel/bags"}, 259),
        make_item("k1", "Coffee grinder", {"coffee-tea", "coffee-tea/equipment"}, 199),
        make_item("k2", "手冲咖啡壶", {"coffee-tea", "coffee-tea/equipment"}, std::nullopt),
    };
    items[3].hidden = true;
    items[4].available = false;
    put_items(*store_, items);
    refresh();
  }

  void refresh() {
    vectors_ = refresh_item_vectors(*store_, embedder_);
    index_ = ann::make_index(vectors_.dim, vectors_.item_ids.size());
    index_->add(vectors_.rows);
  }

  SearchResult run(const std::string& query, SearchOptions options = {}, const model::Recommender* model = nullptr) {
    return search(*store_, vectors_, *index_, embedder_, nullptr, model, query, options);
  }

  static std::vector<std::string> ids(const SearchResult& result) {
    std::vector<std::string> out;
    for (const auto& hit : result.hits) out.push_back(hit.item);
    return out;
  }
  static bool has(const SearchResult& result, const std::string& id) {
    const auto v = ids(result);
    return std::find(v.begin(), v.end(), id) != v.end();
  }

  void add_events(const std::vector<data::Event>& events) {
    auto writer = store_->begin_write();
    for (const auto& e : events) writer->put_event(e);
    writer->commit();
  }

  static data::Event event(const std::string& user, const std::string& item, const std::string& type, Timestamp ts) {
    data::Event e;
    e.user_id = user;
    e.item_id = item;
    e.type = type;
    e.timestamp = ts;
    return e;
  }

  TempStore store_;
  BowEmbedder embedder_;
  ItemVectors vectors_;
  std::unique_ptr<ann::Index> index_;
};

TEST_F(SearchTest, EnglishQueryFindsHeadphonesNeverHiddenOrUnavailable) {
  const auto result = run("bluetooth headphones");
  ASSERT_GE(result.hits.size(), 3u);
  EXPECT_TRUE(result.hits[0].item == "h1" || result.hits[0].item == "h2") << result.hits[0].item;
  EXPECT_TRUE(has(result, "h1"));
  EXPECT_TRUE(has(result, "h2"));
  EXPECT_FALSE(has(result, "h4")) << "hidden item returned";
  EXPECT_FALSE(has(result, "h5")) << "unavailable item returned";
  for (std::size_t rank = 1; rank < result.hits.size(); ++rank)
    EXPECT_GE(result.hits[rank - 1].score, result.hits[rank].score);
  const auto& top = result.hits[0];
  // Not personalised: score = cosine + 0.05 · lexical share of the query's terms.
  EXPECT_GE(top.score, top.semantic);
  EXPECT_LE(top.score, top.semantic + 0.05f + 1e-6f);
  EXPECT_EQ(top.personal, 0.0f);
  EXPECT_FALSE(top.title.empty());
  EXPECT_EQ(top.categories, (std::vector<std::string>{"phones-audio", "phones-audio/headphones"}));
  EXPECT_NE(top.reason.find("matches 'bluetooth headphones'"), std::string::npos) << top.reason;
  EXPECT_NE(top.reason.find("phones-audio/headphones"), std::string::npos) << top.reason;
  EXPECT_EQ(result.intent.language, "en");
}

TEST_F(SearchTest, ChineseQueryAndChineseReason) {
  const auto result = run("蓝牙耳机");
  ASSERT_FALSE(result.hits.empty());
  EXPECT_EQ(result.hits[0].item, "h3");
  EXPECT_NE(result.hits[0].reason.find("与“蓝牙耳机”语义匹配"), std::string::npos) << result.hits[0].reason;
  EXPECT_EQ(result.intent.language, "zh");
  EXPECT_FALSE(has(result, "h4"));
}

TEST_F(SearchTest, PriceRangeIsAHardFilter) {
  const auto result = run("bluetooth headphones under 400");
  ASSERT_TRUE(result.intent.price_max.has_value()) << result.intent.to_json().dump();
  EXPECT_EQ(*result.intent.price_max, 400);
  ASSERT_FALSE(result.hits.empty());
  EXPECT_EQ(result.hits[0].item, "h1");
  for (const auto& hit : result.hits) {
    ASSERT_TRUE(hit.price.has_value()) << hit.item << ": an item without a price cannot fit a budget";
    EXPECT_LE(*hit.price, 400) << hit.item;
  }
  EXPECT_NE(result.hits[0].reason.find("price 299 under 400"), std::string::npos) << result.hits[0].reason;

  const auto zh = run("蓝牙耳机 300元以内");
  ASSERT_TRUE(zh.intent.price_max.has_value()) << zh.intent.to_json().dump();
  EXPECT_FALSE(has(zh, "h3"));  // 499
  // Filters off: the same query returns pricier items too.
  SearchOptions no_filters;
  no_filters.use_intent_filters = false;
  EXPECT_TRUE(has(run("bluetooth headphones under 400", no_filters), "h2"));
}

TEST_F(SearchTest, ExcludedTermsAreAHardFilter) {
  const auto result = run("bluetooth headphones without wired");
  ASSERT_FALSE(result.intent.exclude.empty()) << result.intent.to_json().dump();
  EXPECT_FALSE(has(result, "h2")) << "the item mentioning 'wired' was not excluded";
  EXPECT_TRUE(has(result, "h1"));
}

TEST_F(SearchTest, CategoryFilterKeepsTheAskedCategory) {
  const auto result = run("laptop");
  ASSERT_FALSE(result.intent.categories.empty()) << result.intent.to_json().dump();
  ASSERT_FALSE(result.hits.empty());
  for (const auto& hit : result.hits) EXPECT_EQ(hit.categories[0], "computers") << hit.item;
  SearchOptions no_filters;
  no_filters.use_intent_filters = false;
  EXPECT_TRUE(has(run("laptop", no_filters), "t1"));  // the backpack mentions laptops
}

TEST_F(SearchTest, AsksForNMoreThanTheFirstRoundHolds) {
  SearchOptions options;
  options.n = 1000;
  options.use_intent_filters = false;
  const auto result = run("coffee", options);
  // Every visible item comes back once (8 of 10: one hidden, one unavailable).
  EXPECT_EQ(result.hits.size(), 8u);
  auto v = ids(result);
  std::sort(v.begin(), v.end());
  EXPECT_EQ(std::unique(v.begin(), v.end()), v.end());
}

TEST_F(SearchTest, DeletedSinceTheRefreshIsNotReturned) {
  {
    auto writer = store_->begin_write();
    writer->delete_item("h1");
    writer->commit();
  }
  EXPECT_FALSE(has(run("bluetooth headphones"), "h1"));
}

TEST_F(SearchTest, PersonalisationReordersWithinTheQuery) {
  // h2 is the most popular headphone; u1 has a history (a view of h1 and a
  // coffee purchase) so the model can score for them.
  std::vector<data::Event> events;
  Timestamp ts = 1'700'000'000;
  for (int user_idx = 0; user_idx < 6; ++user_idx) events.push_back(event("p" + std::to_string(user_idx), "h2", "purchase", ts++));
  events.push_back(event("p0", "h3", "view", ts++));
  events.push_back(event("u1", "h1", "view", ts++));
  events.push_back(event("u1", "k1", "purchase", ts++));
  add_events(events);
  auto popular = model::train_from_store(*store_, "popular", model::Params::object(), dataset::SnapshotOptions{},
                                         model::FitOptions{});

  const auto plain = run("bluetooth headphones");
  SearchOptions personal;
  personal.user = "u1";
  personal.personal_weight = 1.0;
  const auto mine = run("bluetooth headphones", personal, popular.get());
  ASSERT_FALSE(mine.hits.empty());
  EXPECT_EQ(mine.hits[0].item, "h2");
  EXPECT_FLOAT_EQ(mine.hits[0].personal, 1.0f);
  // Personalisation only reorders what the query retrieved and filtered.
  auto plain_ids = ids(plain), mine_ids = ids(mine);
  std::sort(plain_ids.begin(), plain_ids.end());
  std::sort(mine_ids.begin(), mine_ids.end());
  EXPECT_EQ(plain_ids, mine_ids);
  // Reasons say why, from the user's history: u1 viewed phones-audio.
  EXPECT_NE(mine.hits[0].reason.find("similar to phones-audio items you viewed"), std::string::npos)
      << mine.hits[0].reason;
  const auto zh = run("蓝牙耳机", personal, popular.get());
  ASSERT_FALSE(zh.hits.empty());
  EXPECT_NE(zh.hits[0].reason.find("浏览过"), std::string::npos) << zh.hits[0].reason;

  // Weight 0 keeps the semantic order.
  personal.personal_weight = 0.0;
  EXPECT_EQ(ids(run("bluetooth headphones", personal, popular.get())), ids(plain));
  // A user without history, and no model, are not personalised.
  personal.personal_weight = 1.0;
  personal.user = "nobody";
  const auto stranger = run("bluetooth headphones", personal, popular.get());
  EXPECT_EQ(ids(stranger), ids(plain));
  EXPECT_EQ(stranger.hits[0].personal, 0.0f);
}

TEST_F(SearchTest, ArgumentsAreChecked) {
  auto expect_invalid = [&](const std::function<void()>& fn, const std::string& field) {
    try {
      fn();
      ADD_FAILURE() << "accepted bad " << field;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  expect_invalid([&] { run("   "); }, "query");
  SearchOptions bad;
  bad.n = 0;
  expect_invalid([&] { run("x", bad); }, "n must");
  bad = {};
  bad.personal_weight = 1.5;
  expect_invalid([&] { run("x", bad); }, "personal_weight");
  BowEmbedder other(64, "other");
  expect_invalid([&] { search(*store_, vectors_, *index_, other, nullptr, nullptr, "x", {}); }, "embedded by");
  auto small_index = ann::make_flat_index(vectors_.dim);
  expect_invalid([&] { search(*store_, vectors_, *small_index, embedder_, nullptr, nullptr, "x", {}); }, "index has");
}

// The only item within budget ranks far below the first over-fetch (50
// candidates for n = 1): the retrieval must widen until it finds it.
TEST(SearchWidening, FetchesMoreUntilEnoughPassTheFilters) {
  TempStore store;
  std::vector<data::Item> items;
  for (int item_idx = 0; item_idx < 120; ++item_idx)
    items.push_back(make_item("s" + std::to_string(1000 + item_idx), "Bluetooth speaker model " + std::to_string(item_idx),
                              {"phones-audio", "phones-audio/speakers"}, 1000));
  items.push_back(make_item("cheap", "Compact and friendly", {"phones-audio", "phones-audio/speakers"}, 80));
  put_items(*store, items);
  BowEmbedder embedder;
  const ItemVectors vectors = refresh_item_vectors(*store, embedder);
  auto index = ann::make_index(vectors.dim, vectors.item_ids.size());
  index->add(vectors.rows);
  SearchOptions options;
  options.n = 1;
  const auto result = search(*store, vectors, *index, embedder, nullptr, nullptr, "speaker under 100", options);
  ASSERT_TRUE(result.intent.price_max.has_value()) << result.intent.to_json().dump();
  ASSERT_EQ(result.hits.size(), 1u);
  EXPECT_EQ(result.hits[0].item, "cheap");
}

// The demo catalogue with the bag-of-words embedder: the retrieval and
// filter path on 364 real items in two languages.
TEST(SearchDemo, HeadphoneQueriesFindAudioItems) {
  TempStore store;
  put_items(*store, testing::demo_items());
  BowEmbedder embedder;
  const ItemVectors vectors = refresh_item_vectors(*store, embedder);
  auto index = ann::make_index(vectors.dim, vectors.item_ids.size());
  index->add(vectors.rows);
  for (const std::string query : {"蓝牙耳机", "bluetooth headphones"}) {
    SearchOptions options;
    options.n = 5;
    const auto result = search(*store, vectors, *index, embedder, nullptr, nullptr, query, options);
    ASSERT_EQ(result.hits.size(), 5u) << query;
    for (const auto& hit : result.hits)
      EXPECT_EQ(hit.categories[0], "phones-audio") << query << ": " << hit.item << " " << hit.title;
  }
}

// Exclude and must-have terms reach items written in the other language
// through the lexicon's spellings of the same thing (concept_spellings).
TEST(SearchTerms, LexiconSpellingsAreTranslationsNotCategoryMembers) {
  auto spellings = [](std::string_view term) {
    std::vector<std::string> out;
    for (auto s : detail::concept_spellings(term)) out.emplace_back(s);
    return out;
  };
  auto has_spelling = [&](std::string_view term, const std::string& spelling) {
    const auto all = spellings(term);
    return std::find(all.begin(), all.end(), spelling) != all.end();
  };
  EXPECT_TRUE(has_spelling("头戴式", "over-ear"));
  EXPECT_TRUE(has_spelling("over-ear", "头戴式"));
  EXPECT_TRUE(has_spelling("in-ear", "入耳式"));
  EXPECT_FALSE(has_spelling("头戴式", "in-ear"));
  EXPECT_TRUE(has_spelling("red", "红色"));
  EXPECT_TRUE(has_spelling("tents", "帐篷"));  // a plural finds its singular
  EXPECT_TRUE(has_spelling("苹果", "apple"));
  EXPECT_TRUE(has_spelling("无线", "wireless"));
  // Category terms list members, not synonyms: 游戏本 is not every laptop,
  // 帐篷 is not a sleeping bag.
  EXPECT_TRUE(has_spelling("游戏本", "gaming laptop"));
  EXPECT_FALSE(has_spelling("游戏本", "laptop"));
  EXPECT_FALSE(has_spelling("帐篷", "sleeping bag"));
  EXPECT_TRUE(spellings("nfc").empty());
}

class SearchTermsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    put_items(*store_, {
                           make_item("over-ear", "Over-ear headphones X", {"phones-audio", "phones-audio/headphones"}, 599),
                           make_item("zh-over-ear", "极光 头戴式耳机 无线", {"phones-audio", "phones-audio/headphones"}, 499),
                           make_item("anc", "Noise-cancelling headphones Z", {"phones-audio", "phones-audio/headphones"}, 899),
                           make_item("in-ear", "In-ear earbuds Y", {"phones-audio", "phones-audio/earbuds"}, 299),
                           make_item("red-tee", "红色 T恤", {"fashion", "fashion/tops"}, 79),
                           make_item("pink-tee", "粉红色 T恤", {"fashion", "fashion/tops"}, 79),
                           make_item("shredder", "Shredder", {"computers", "computers/peripherals"}, 399),
                       });
    vectors_ = refresh_item_vectors(*store_, embedder_);
    index_ = ann::make_index(vectors_.dim, vectors_.item_ids.size());
    index_->add(vectors_.rows);
  }

  SearchResult run(const std::string& query) {
    SearchOptions options;
    options.n = 20;
    return search(*store_, vectors_, *index_, embedder_, nullptr, nullptr, query, options);
  }

  static bool has(const SearchResult& result, const std::string& id) {
    return std::any_of(result.hits.begin(), result.hits.end(), [&](const SearchHit& hit) { return hit.item == id; });
  }

  TempStore store_;
  BowEmbedder embedder_;
  ItemVectors vectors_;
  std::unique_ptr<ann::Index> index_;
};

TEST_F(SearchTermsTest, ChineseExclusionExcludesEnglishTitles) {
  const auto result = run("不要头戴式的蓝牙耳机");
  ASSERT_EQ(result.intent.exclude, std::vector<std::string>{"头戴式"}) << result.intent.to_json().dump();
  EXPECT_FALSE(has(result, "over-ear")) << "'Over-ear headphones' is 头戴式";
  EXPECT_FALSE(has(result, "zh-over-ear"));
  EXPECT_TRUE(has(result, "in-ear"));
  EXPECT_TRUE(has(result, "anc"));
}

TEST_F(SearchTermsTest, EnglishExclusionExcludesChineseTitles) {
  const auto result = run("headphones, no over-ear");
  ASSERT_EQ(result.intent.exclude, std::vector<std::string>{"over-ear"}) << result.intent.to_json().dump();
  EXPECT_FALSE(has(result, "zh-over-ear")) << "头戴式耳机 is over-ear";
  EXPECT_FALSE(has(result, "over-ear"));
  EXPECT_TRUE(has(result, "anc"));
}

TEST_F(SearchTermsTest, ColourExclusionMatchesWordsAndColoursNotParts) {
  const auto result = run("no red");
  ASSERT_EQ(result.intent.exclude, std::vector<std::string>{"red"}) << result.intent.to_json().dump();
  EXPECT_FALSE(has(result, "red-tee")) << "红色 is red";
  EXPECT_TRUE(has(result, "shredder")) << "'red' inside 'Shredder' is not the colour";
  EXPECT_TRUE(has(result, "pink-tee")) << "红色 inside 粉红色 is pink";
  EXPECT_TRUE(has(result, "over-ear"));
  const auto zh = run("不要红色的");
  EXPECT_FALSE(has(zh, "red-tee"));
  EXPECT_TRUE(has(zh, "shredder"));
  EXPECT_TRUE(has(zh, "pink-tee"));
}

TEST_F(SearchTermsTest, MustHaveIsMentionedInAnySpelling) {
  const auto result = run("必须有降噪的耳机");
  ASSERT_EQ(result.intent.must_have, std::vector<std::string>{"降噪"}) << result.intent.to_json().dump();
  bool seen = false;
  for (const auto& hit : result.hits) {
    const bool mentions = hit.reason.find("包含“降噪”") != std::string::npos;
    EXPECT_EQ(mentions, hit.item == "anc") << hit.item << ": " << hit.reason;  // "Noise-cancelling"
    seen = seen || hit.item == "anc";
  }
  EXPECT_TRUE(seen);
}

// The demo catalogue names over-ear headphones "头戴式耳机" in Chinese items
// and "over-ear headphones" in English ones; excluding 头戴式 drops both.
TEST(SearchDemo, ExcludingOverEarDropsBothLanguages) {
  TempStore store;
  const auto items = testing::demo_items();
  put_items(*store, items);
  const auto demo_earbuds = std::count_if(items.begin(), items.end(), [](const data::Item& item) {
    return std::find(item.categories.begin(), item.categories.end(), "phones-audio/earbuds") != item.categories.end();
  });
  BowEmbedder embedder;
  const ItemVectors vectors = refresh_item_vectors(*store, embedder);
  auto index = ann::make_index(vectors.dim, vectors.item_ids.size());
  index->add(vectors.rows);
  SearchOptions options;
  options.n = 100;
  auto in_headphones = [](const SearchHit& hit) {
    return std::find(hit.categories.begin(), hit.categories.end(), "phones-audio/headphones") != hit.categories.end();
  };
  const auto all = search(*store, vectors, *index, embedder, nullptr, nullptr, "蓝牙耳机", options);
  const auto english_over_ear = std::count_if(all.hits.begin(), all.hits.end(), [&](const SearchHit& hit) {
    return in_headphones(hit) && hit.title.find("over-ear") != std::string::npos;
  });
  ASSERT_GE(english_over_ear, 1) << "the demo catalogue should have English-titled over-ear headphones";
  const auto result = search(*store, vectors, *index, embedder, nullptr, nullptr, "不要头戴式的蓝牙耳机", options);
  std::ptrdiff_t earbuds = 0;
  for (const auto& hit : result.hits) {
    EXPECT_FALSE(in_headphones(hit)) << hit.item << " " << hit.title;
    earbuds += std::find(hit.categories.begin(), hit.categories.end(), "phones-audio/earbuds") != hit.categories.end();
  }
  EXPECT_EQ(earbuds, demo_earbuds) << "every earbud stays, 半入耳式 ones too";
}

}  // namespace
}  // namespace tailor::semantic
