// Segment descriptions by a language model, with a scripted fake generator:
// a good reply is used (source "llm"), a reply in the wrong language, one
// with a number that is not in the facts, one that is too long or empty
// falls back to the rule words (source "rules", with the reason), and a
// second attempt can succeed where the first failed.
#include <gtest/gtest.h>

#include <deque>

#include "tailor/llm/llm.h"
#include "tailor/profile/profile.h"

namespace tailor::profile {
namespace {

// Replies from a script, in order; records what it was asked.
class ScriptedGenerator : public llm::Generator {
 public:
  explicit ScriptedGenerator(std::deque<std::string> replies) : replies_(std::move(replies)) {}
  std::string model_id() const override { return "scripted"; }
  llm::GenerateResult chat(const std::vector<llm::ChatMessage>& messages, const llm::GenerateOptions& options) override {
    prompts.push_back(messages.back().content);
    seeds.push_back(options.seed);
    llm::GenerateResult result;
    if (replies_.empty()) throw Error(ErrorCode::kInternal, "scripted generator: out of replies");
    result.text = replies_.front();
    replies_.pop_front();
    result.finish_reason = "stop";
    return result;
  }
  std::vector<std::string> prompts;
  std::vector<std::uint32_t> seeds;

 private:
  std::deque<std::string> replies_;
};

// Two active segments and the no-activity one, as compute_segments gives them.
SegmentResult sample_segments() {
  SegmentResult result;
  result.k = 2;
  Segment runners;
  runners.id = 0;
  runners.name = "running fans";
  runners.description = "high affinity to running (+2.1σ), big spenders (+0.8σ)";
  runners.size = 300;
  runners.top_features = {{"affinity.running", 2.1, "high affinity to running (+2.1σ)", 0.62, 0.11},
                          {"monetary", 0.8, "big spenders (+0.8σ)", 1234.6, 410}};
  Segment readers;
  readers.id = 1;
  readers.name = "books fans";
  readers.description = "high affinity to books (+1.9σ)";
  readers.size = 100;
  readers.top_features = {{"affinity.books", 1.9, "high affinity to books (+1.9σ)", 0.7, 0.2}};
  Segment none;
  none.id = 2;
  none.name = "no activity";
  none.description = "users without any events";
  none.size = 50;
  none.no_activity = true;
  result.segments = {runners, readers, none};
  return result;
}

TEST(SegmentDescribe, FactsCarryNamesMeansAndSize) {
  const auto result = sample_segments();
  const std::string facts = segment_facts(result.segments[0], 400, "en");
  EXPECT_NE(facts.find("300 of 400 active users (75%)"), std::string::npos) << facts;
  EXPECT_NE(facts.find("affinity.running (share of activity in category running): segment mean 0.62, overall mean 0.11"),
            std::string::npos)
      << facts;
  EXPECT_NE(facts.find("segment mean 1235, overall mean 410"), std::string::npos) << facts;
  const std::string zh = segment_facts(result.segments[0], 400, "zh");
  EXPECT_NE(zh.find("群体均值 0.62，总体均值 0.11"), std::string::npos) << zh;
  const auto prompt = segment_description_prompt(result.segments[0], 400, "zh", 120);
  ASSERT_EQ(prompt.size(), 2u);
  EXPECT_EQ(prompt[0].role, "system");
  EXPECT_NE(prompt[1].content.find(zh), std::string::npos);
}

TEST(SegmentDescribe, Checks) {
  const std::string facts = segment_facts(sample_segments().segments[0], 400, "en");
  auto check = [&](std::string_view text, std::string_view lang) {
    return check_segment_description(text, lang, facts, 120);
  };
  EXPECT_EQ(check("Keen runners who spend well above average.", "en"), std::nullopt);
  EXPECT_EQ(check("300 keen runners, 75% of active users, spending about 1,235 each.", "en"), std::nullopt);
  EXPECT_EQ(check("Runners: 62% of their activity is running, against 11% overall.", "en"), std::nullopt);
  EXPECT_EQ(check("Runners whose running share is 0.6 versus 0.1 overall.", "en"), std::nullopt);
  EXPECT_EQ(check("About 1200 spent by these runners.", "en"), std::nullopt);  // 1234.6 to the hundred
  EXPECT_EQ(check("热爱跑步、消费较高的用户群体。", "zh"), std::nullopt);
  EXPECT_EQ(check("偏爱running类商品的高消费用户", "zh"), std::nullopt);

  EXPECT_EQ(check("", "en"), "empty");
  EXPECT_EQ(check("   ", "en"), "empty");
  EXPECT_EQ(check("Runners who spend 5000 a month.", "en"), "number not in the facts: 5000");
  EXPECT_EQ(check("Runners, 90% of them loyal.", "en"), "number not in the facts: 90");
  EXPECT_EQ(check("Runners aged 25 to 34.", "en"), "number not in the facts: 25");
  EXPECT_EQ(check("跑步爱好者，平均消费５０００元。", "zh"), "number not in the facts: 5000");  // full-width digits
  EXPECT_EQ(check("热爱跑步的用户", "en"), "not English: contains CJK characters");
  EXPECT_EQ(check("Big spenders", "en"), "not English: fewer than 3 words");
  EXPECT_EQ(check("Keen runners who spend well above average.", "zh"), "not Chinese: 0 Han characters, 35 Latin letters");
  EXPECT_EQ(check(std::string(121, 'a'), "en"), "too long: 121 characters (max 120)");
  // Prompt echoes.
  EXPECT_EQ(check("用户群体的事实：", "zh"), "a heading, not a sentence");
  EXPECT_EQ(check("users in the segment: 300 of 400 active users (75%)", "en"), "echoes the facts");
  // Liked categories must be named in English ("runners" names "running").
  const std::vector<std::string> subjects = {"running", "phones-audio"};
  EXPECT_EQ(check_segment_description("Keen runners who spend well.", "en", facts, 120, subjects), std::nullopt);
  EXPECT_EQ(check_segment_description("Users who love their phone.", "en", facts, 120, subjects), std::nullopt);
  EXPECT_EQ(check_segment_description("Shoppers with a passion for beauty.", "en", facts, 120, subjects),
            "mentions none of: running, phones-audio");
  EXPECT_EQ(check_segment_description("热爱美妆的用户群体。", "zh", facts, 120, subjects), std::nullopt);
  EXPECT_EQ(check(std::string("Runners \xff who spend"), "en"), "not valid UTF-8");
  // 40 Han characters are 40 characters, not 120 bytes' worth.
  std::string han;
  for (int idx = 0; idx < 40; ++idx) han += "跑";
  EXPECT_EQ(check(han, "zh"), std::nullopt);
}

TEST(SegmentDescribe, CleanUp) {
  EXPECT_EQ(clean_segment_description("\n\n  \"Keen runners.\"  \nSecond line"), "Keen runners.");
  EXPECT_EQ(clean_segment_description("“热爱跑步的用户。”"), "热爱跑步的用户。");
  EXPECT_EQ(clean_segment_description("- Keen runners."), "Keen runners.");
  EXPECT_EQ(clean_segment_description("  "), "");
}

TEST(SegmentDescribe, UsesGoodRepliesAndFallsBackOnBadOnes) {
  auto result = sample_segments();
  ScriptedGenerator generator({
      "Keen runners who spend well above average.",  // segment 0, en: used
      "热爱跑步、消费较高的用户。",                  // segment 0, zh: used
      "热爱读书的用户群体。",                        // segment 1, en: wrong language
      "Readers who buy 12 books a month.",           // segment 1, en, attempt 2: hallucinated number
      "爱读书的用户，每月购买12本书。",              // segment 1, zh: hallucinated number
      "书籍爱好者，偏爱阅读类商品。",                // segment 1, zh, attempt 2: used
  });
  SegmentDescribeOptions options;
  options.langs = {"en", "zh"};
  options.attempts = 2;
  const auto stats = describe_segments(result, &generator, options);
  EXPECT_EQ(stats.generations, 6u);
  EXPECT_EQ(stats.llm, 3u);
  EXPECT_EQ(stats.rules, 3u);  // segment 1 en, and the no-activity segment twice
  EXPECT_EQ(generator.seeds, (std::vector<std::uint32_t>{42, 42, 42, 43, 42, 43}));

  const Segment& runners = result.segments[0];
  EXPECT_EQ(runners.description, "Keen runners who spend well above average.");
  EXPECT_EQ(runners.description_source, "llm");
  ASSERT_EQ(runners.descriptions.size(), 2u);
  EXPECT_EQ(runners.descriptions[1].lang, "zh");
  EXPECT_EQ(runners.descriptions[1].text, "热爱跑步、消费较高的用户。");
  EXPECT_EQ(runners.descriptions[1].source, "llm");

  const Segment& readers = result.segments[1];
  EXPECT_EQ(readers.description, "high affinity to books (+1.9σ)");
  EXPECT_EQ(readers.description_source, "rules");
  EXPECT_EQ(readers.descriptions[0].rejected, "number not in the facts: 12");
  EXPECT_EQ(readers.descriptions[1].source, "llm");
  EXPECT_EQ(readers.descriptions[1].text, "书籍爱好者，偏爱阅读类商品。");

  const Segment& none = result.segments[2];
  EXPECT_EQ(none.description, "users without any events");
  EXPECT_EQ(none.description_source, "rules");

  // The JSON records the source per segment and per language, and reads back.
  const Json doc = segments_json(result, false);
  EXPECT_EQ(doc["segments"][0]["description_source"], "llm");
  EXPECT_EQ(doc["segments"][1]["description_source"], "rules");
  EXPECT_EQ(doc["segments"][1]["descriptions"]["en"]["rejected"], "number not in the facts: 12");
  EXPECT_EQ(doc["segments"][1]["descriptions"]["zh"]["source"], "llm");
  EXPECT_EQ(doc["segments"][0]["top_features"][0]["mean"], 0.62);
  const auto back = segments_from_json(doc);
  EXPECT_EQ(back.segments[0].description_source, "llm");
  EXPECT_EQ(back.segments[1].descriptions[1].text, "书籍爱好者，偏爱阅读类商品。");
  EXPECT_DOUBLE_EQ(back.segments[0].top_features[1].overall_mean, 410);

  // Described again (from the llm text): the rule words come back where the model fails.
  ScriptedGenerator failing({"x", "x", "x", "x"});
  options.langs = {"en"};
  options.attempts = 1;
  describe_segments(result, &failing, options);
  EXPECT_EQ(result.segments[0].description, "high affinity to running (+2.1σ), big spenders (+0.8σ)");
  EXPECT_EQ(result.segments[0].description_source, "rules");
}

TEST(SegmentDescribe, AReplyAboutAnotherCategoryFallsBack) {
  auto result = sample_segments();
  result.segments.resize(1);
  ScriptedGenerator generator({"Shoppers with a passion for beauty products."});
  SegmentDescribeOptions options;
  options.attempts = 1;
  describe_segments(result, &generator, options);
  EXPECT_EQ(result.segments[0].description_source, "rules");
  EXPECT_EQ(result.segments[0].descriptions[0].rejected, "mentions none of: running");
}

TEST(SegmentDescribe, WithoutAGeneratorEverythingStaysRules) {
  auto result = sample_segments();
  const auto stats = describe_segments(result, nullptr, {});
  EXPECT_EQ(stats.llm, 0u);
  EXPECT_EQ(stats.generations, 0u);
  for (const auto& segment : result.segments) {
    EXPECT_EQ(segment.description_source, "rules");
    ASSERT_EQ(segment.descriptions.size(), 1u);
  }
  EXPECT_EQ(result.segments[0].descriptions[0].rejected, "no generator");
}

TEST(SegmentDescribe, OptionsNameTheField) {
  auto result = sample_segments();
  SegmentDescribeOptions options;
  options.langs = {"fr"};
  try {
    describe_segments(result, nullptr, options);
    FAIL() << "expected InvalidArgument";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("langs"), std::string::npos) << e.what();
  }
  options.langs = {"en", "en"};
  EXPECT_THROW(options.validate(), Error);
  options.langs = {"en"};
  options.max_chars = 5;
  EXPECT_THROW(options.validate(), Error);
}

}  // namespace
}  // namespace tailor::profile
