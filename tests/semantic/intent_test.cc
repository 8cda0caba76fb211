// parse_intent without a model: the rule layer (prices, exclusions,
// must-haves, attributes, lexicon categories, script language) on zh and en
// queries with known answers; the embedding fallback with a keyword embedder;
// and the generator path with scripted replies, whose unsupported claims
// (a price or exclusion the query never states) must be dropped.
#include <gtest/gtest.h>

#include "semantic_test_util.h"
#include "tailor/core/core.h"

namespace tailor::semantic {
namespace {

using testing::KeywordEmbedder;
using testing::ScriptedGenerator;

// The demo catalogue's categories (the store would list these).
std::vector<std::string> demo_categories() {
  std::set<std::string> names;
  for (const auto& item : testing::demo_items())
    for (const auto& c : item.categories) names.insert(c);
  return {names.begin(), names.end()};
}

const std::vector<std::string>& catalogue() {
  static const auto names = demo_categories();
  return names;
}

Intent parse(const std::string& query) { return parse_intent(query, catalogue(), nullptr, nullptr); }

bool has(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

TEST(Intent, IssueExamples) {
  auto earbuds = parse("我想买一款高质量的蓝牙耳机");
  EXPECT_EQ(earbuds.language, "zh");
  EXPECT_EQ(earbuds.method, "fallback");
  EXPECT_TRUE(has(earbuds.categories, "phones-audio/earbuds"));
  EXPECT_TRUE(has(earbuds.categories, "phones-audio/headphones"));
  EXPECT_EQ(earbuds.attributes.value("quality", ""), "high");
  EXPECT_EQ(earbuds.attributes.value("wireless", false), true);
  EXPECT_FALSE(earbuds.price_min.has_value());
  EXPECT_FALSE(earbuds.price_max.has_value());

  auto laptop = parse("lightweight laptop under 6000 yuan for travel");
  EXPECT_EQ(laptop.language, "en");
  EXPECT_EQ(laptop.categories, std::vector<std::string>{"computers/laptops"});
  EXPECT_EQ(laptop.price_max.value_or(-1), 6000);
  EXPECT_FALSE(laptop.price_min.has_value());
  EXPECT_EQ(laptop.attributes.value("weight", ""), "light");
  EXPECT_EQ(laptop.attributes.value("use", ""), "travel");

  auto phone = parse("不要苹果的手机 2000元以内");
  EXPECT_EQ(phone.categories, std::vector<std::string>{"phones-audio/phones"});
  EXPECT_TRUE(has(phone.exclude, "苹果"));
  EXPECT_TRUE(has(phone.exclude, "apple"));  // items name brands in either script
  EXPECT_EQ(phone.price_max.value_or(-1), 2000);
}

struct PriceCase {
  const char* query;
  std::optional<double> min, max;
};

TEST(Intent, PriceRules) {
  const PriceCase cases[] = {
      {"3千以内的耳机", std::nullopt, 3000},
      {"under $50 running socks", std::nullopt, 50},
      {"headphones between 100 and 300", 100, 300},
      {"1000-2000元的显示器", 1000, 2000},
      {"至少500块的跑鞋", 500, std::nullopt},
      {"500元以上的帐篷", 500, std::nullopt},
      {"不超过两千块的平板", std::nullopt, 2000},
      {"at least 200 dollars", 200, std::nullopt},
      {"3-5千的手机", 3000, 5000},
      {"大约300元的耳机", 240, 360},
      {"4k monitor under 2k", std::nullopt, 2000},
      {"1.5万的笔记本", std::nullopt, 15000},
      {"phone no more than 300 yuan", std::nullopt, 300},
      {"一千到两千的耳机", 1000, 2000},
      {"价格在300到100之间", 100, 300},
      // Not prices: sizes, counts, specs.
      {"27英寸显示器", std::nullopt, std::nullopt},
      {"5G手机", std::nullopt, std::nullopt},
      {"3-5人帐篷", std::nullopt, std::nullopt},
      {"256GB phone", std::nullopt, std::nullopt},
      {"iphone 15 pro", std::nullopt, std::nullopt},
  };
  for (const auto& c : cases) {
    auto intent = parse(c.query);
    EXPECT_EQ(intent.price_min, c.min) << c.query;
    EXPECT_EQ(intent.price_max, c.max) << c.query;
  }
}

TEST(Intent, ExclusionsAndMustHaves) {
  EXPECT_TRUE(has(parse("headphones without apple").exclude, "apple"));
  EXPECT_TRUE(has(parse("water bottle, no plastic").exclude, "plastic"));
  EXPECT_TRUE(parse("phone no more than 300 yuan").exclude.empty());
  auto samsung = parse("any phone except samsung or huawei");
  EXPECT_TRUE(has(samsung.exclude, "samsung"));
  EXPECT_TRUE(has(samsung.exclude, "huawei"));
  auto zh = parse("除了三星都可以的手机");
  EXPECT_TRUE(has(zh.exclude, "三星"));
  EXPECT_EQ(zh.categories, std::vector<std::string>{"phones-audio/phones"});
  auto both = parse("不要苹果和三星的手机");
  EXPECT_TRUE(has(both.exclude, "苹果"));
  EXPECT_TRUE(has(both.exclude, "三星"));
  // An excluded category word does not become the category.
  auto not_earbuds = parse("不要耳机，想要音箱");
  EXPECT_TRUE(has(not_earbuds.exclude, "耳机"));
  EXPECT_EQ(not_earbuds.categories, std::vector<std::string>{"phones-audio/speakers"});
  EXPECT_TRUE(has(parse("必须有降噪的耳机").must_have, "降噪"));
  EXPECT_TRUE(has(parse("a phone that must have nfc").must_have, "nfc"));
  EXPECT_TRUE(parse("不要超过2000的手机").exclude.empty());
  // A bare "not" excludes a name the lexicon knows, nothing else.
  auto keyboard = parse("a quiet keyboard for the office, not Logitech");
  EXPECT_TRUE(has(keyboard.exclude, "logitech"));
  EXPECT_TRUE(has(parse("a jacket, not red").exclude, "red"));
  EXPECT_TRUE(parse("headphones, not sure which brand").exclude.empty());
  EXPECT_TRUE(parse("a keyboard that is not loud").exclude.empty());
}

TEST(Intent, AgesAndCountsAreNoPrices) {
  // The rules never read them as prices...
  auto seat = parse("儿童安全座椅 9个月到4岁 不要太贵");
  EXPECT_FALSE(seat.price_min.has_value());
  EXPECT_FALSE(seat.price_max.has_value());
  EXPECT_FALSE(parse("gift for a 5 year old who likes drawing").price_max.has_value());
  // ...and a model that does (SmolLM2: 9, Qwen 0.5B: 9000) is overruled.
  for (const char* reply : {R"({"categories":[],"attributes":{},"price_min":null,"price_max":9000,"must_have":[],"exclude":[],"language":"zh"})",
                            R"({"categories":[],"attributes":{},"price_min":null,"price_max":9,"must_have":[],"exclude":[],"language":"zh"})"}) {
    ScriptedGenerator generator({reply});
    auto intent = parse_intent("儿童安全座椅 9个月到4岁 不要太贵", catalogue(), &generator, nullptr);
    EXPECT_EQ(intent.method, "generator");
    EXPECT_FALSE(intent.price_max.has_value()) << reply;
  }
  ScriptedGenerator gift({R"({"categories":[],"attributes":{},"price_min":null,"price_max":5000,"must_have":[],"exclude":[],"language":"en"})"});
  EXPECT_FALSE(parse_intent("gift for a 5 year old who likes drawing", catalogue(), &gift, nullptr).price_max.has_value());
  // The seat is what the shopper wants; "不要太贵" negates the price, not the seat.
  ScriptedGenerator seat_excluded({R"({"categories":[],"attributes":{},"price_min":null,"price_max":null,"must_have":[],"exclude":["儿童安全座椅"],"language":"zh"})"});
  EXPECT_TRUE(parse_intent("儿童安全座椅 9个月到4岁 不要太贵", catalogue(), &seat_excluded, nullptr).exclude.empty());
  ScriptedGenerator far({R"({"categories":[],"attributes":{},"price_min":null,"price_max":null,"must_have":[],"exclude":["头戴式"],"language":"zh"})"});
  EXPECT_TRUE(has(parse_intent("蓝牙耳机不要那种头戴式", catalogue(), &far, nullptr).exclude, "头戴式"));
  // A real budget from the model still counts when the rules found none.
  ScriptedGenerator budget({R"({"categories":[],"attributes":{},"price_min":null,"price_max":3000,"must_have":[],"exclude":[],"language":"zh"})"});
  EXPECT_EQ(parse_intent("3千的手机", catalogue(), &budget, nullptr).price_max.value_or(-1), 3000);
}

TEST(Intent, CategoriesByLexiconLongestMatchFirst) {
  EXPECT_EQ(parse("电竞耳机").categories, std::vector<std::string>{"gaming/peripherals"});
  EXPECT_EQ(parse("手机壳").categories, std::vector<std::string>{"phones-audio/accessories"});
  EXPECT_EQ(parse("bluetooth headphones").categories.front(), "phones-audio/headphones");
  EXPECT_EQ(parse("running shoes for women").categories, std::vector<std::string>{"running/shoes"});
  EXPECT_EQ(parse("running shoes for women").attributes.value("gender", ""), "women");
  EXPECT_EQ(parse("蓝色的瑜伽垫").attributes.value("colour", ""), "blue");
  EXPECT_FALSE(parse("蓝牙音箱").attributes.contains("colour"));  // 蓝牙 is not 蓝色
  // A catalogue that is not the demo's: its own names match.
  auto custom = parse_intent("best headphones for kids", {"Electronics/Headphones", "Books"}, nullptr, nullptr);
  EXPECT_EQ(custom.categories, std::vector<std::string>{"Electronics/Headphones"});
  // No catalogue given: the lexicon's names.
  EXPECT_EQ(parse_intent("跑鞋", {}, nullptr, nullptr).categories, std::vector<std::string>{"running/shoes"});
}

TEST(Intent, EmbeddingFallbackWhenNoTermMatches) {
  // Axis 0: birthday surprise for mum <-> beauty; the passage of "beauty"
  // carries the lexicon's words (美妆, 护肤, ...), its children do not.
  KeywordEmbedder embedder(std::vector<std::vector<std::string>>{{"妈妈", "美妆"}});
  auto intent = parse_intent("给妈妈的生日惊喜", catalogue(), nullptr, &embedder);
  EXPECT_EQ(intent.categories, std::vector<std::string>{"beauty"});
  // A lexicon hit wins without asking the embedder.
  EXPECT_EQ(parse_intent("蓝牙音箱", catalogue(), nullptr, &embedder).categories,
            std::vector<std::string>{"phones-audio/speakers"});
}

TEST(Intent, GeneratorOutputIsCheckedAgainstTheQuery) {
  ScriptedGenerator generator({R"({"categories":["headphones","kitchen"],"attributes":{"colour":"blue","quality":"high"},)"
                               R"("price_min":null,"price_max":999,"must_have":["降噪"],"exclude":["蓝牙"],"language":"en"})"});
  auto intent = parse_intent("我想买降噪蓝牙耳机", catalogue(), &generator, nullptr);
  ASSERT_EQ(generator.calls.size(), 1u);
  // The grammar offers the catalogue's top-level categories by name.
  const auto& grammar = generator.calls[0].options.grammar;
  EXPECT_NE(grammar.find(R"("\"phones-audio\"")"), std::string::npos) << grammar;
  EXPECT_EQ(grammar.find(R"("\"phones-audio/earbuds\"")"), std::string::npos);
  EXPECT_EQ(generator.calls[0].options.temperature, 0.0f);
  EXPECT_EQ(generator.calls[0].messages.back().content, "我想买降噪蓝牙耳机");
  EXPECT_EQ(intent.method, "generator");
  EXPECT_EQ(intent.language, "zh");                      // the script's, not the model's "en"
  EXPECT_FALSE(intent.price_max.has_value());            // 999 is not in the query
  EXPECT_TRUE(intent.exclude.empty());                   // no negation in the query
  EXPECT_TRUE(has(intent.must_have, "降噪"));             // stated in the query
  EXPECT_FALSE(intent.attributes.contains("colour"));    // blue is not stated
  EXPECT_FALSE(has(intent.categories, "kitchen"));       // outside the rule categories' area
  EXPECT_TRUE(has(intent.categories, "phones-audio/headphones"));

  ScriptedGenerator pricing({R"({"categories":[],"attributes":{},"price_min":null,"price_max":800,)"
                             R"("must_have":[],"exclude":["apple"],"language":"en"})"});
  auto priced = parse_intent("earbuds around 800, not apple, no apple", catalogue(), &pricing, nullptr);
  EXPECT_TRUE(has(priced.exclude, "apple"));
  EXPECT_EQ(priced.price_max.value_or(-1), 960);  // the rules' "around 800" wins over the model's 800
}

TEST(Intent, UnusableGeneratorOutputFallsBack) {
  for (const char* reply : {"Sorry, I cannot help with that.", "{\"categories\": 3}", "", "{\"categories\": \"x\"}", "[1, 2]"}) {
    ScriptedGenerator generator({reply});
    auto intent = parse_intent("蓝牙耳机", catalogue(), &generator, nullptr);
    EXPECT_EQ(intent.method, "fallback") << reply;
    EXPECT_TRUE(has(intent.categories, "phones-audio/earbuds")) << reply;
  }
}

TEST(Intent, BadAndOddQueries) {
  for (const char* empty : {"", "   ", "\t\n", "\u3000"}) {
    try {
      parse(empty);
      ADD_FAILURE() << "no error for empty query";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find("query"), std::string::npos);
    }
  }
  for (const char* odd : {"!!!", "😀😀😀", "12345", "\x01\x02 abc", "\xff\xfe broken utf8", "不要", "without",
                          "between and", "1-", "-1元", "¥", "9999999999999999999999元以内"}) {
    auto intent = parse(odd);
    EXPECT_FALSE(intent.query.empty()) << odd;
    EXPECT_TRUE(intent.to_json().is_object());
    if (intent.price_max) {
      EXPECT_GE(*intent.price_max, 0);
    }
  }
  std::string long_query;
  for (int k = 0; k < 3000; ++k) long_query += "蓝牙耳机 ";
  auto intent = parse(long_query);
  EXPECT_LE(intent.query.size(), 512u * 3);
  EXPECT_TRUE(has(intent.categories, "phones-audio/earbuds"));
}

TEST(Intent, JsonShape) {
  auto doc = parse("lightweight laptop under 6000 yuan").to_json();
  for (const char* key : {"query", "language", "categories", "attributes", "price_min", "price_max", "must_have",
                          "exclude", "method"})
    EXPECT_TRUE(doc.contains(key)) << key;
  EXPECT_TRUE(doc["price_min"].is_null());
  EXPECT_EQ(doc["price_max"], 6000);
  EXPECT_NE(intent_grammar().find("root ::="), std::string::npos);
  EXPECT_NE(intent_grammar().find("catname ::= string"), std::string::npos);
  // Names that are not plain JSON string content are left out.
  auto grammar = intent_grammar({"ok", "bad\"quote", "back\\slash"});
  EXPECT_NE(grammar.find(R"(catname ::= "\"ok\"")"), std::string::npos) << grammar;
  EXPECT_EQ(grammar.find("quote"), std::string::npos);
}

}  // namespace
}  // namespace tailor::semantic
