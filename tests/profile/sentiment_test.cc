// Sentiment: negation marking on hand-made sentences, model round trip, and
// held-out accuracy on weakly labelled Douban (zh) and Amazon 2018 (en)
// reviews from the shared datasets (seeded 80/20 split; printed, floor 0.7).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "tailor/profile/profile.h"

namespace tailor::profile {
namespace {

bool has(const std::vector<std::string>& tokens, const std::string& token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

TEST(Sentiment, NegationFlipsTheNextTokens) {
  auto en = sentiment_tokens("This is not good at all");
  EXPECT_TRUE(has(en, "!good"));
  EXPECT_FALSE(has(en, "good"));
  auto en2 = sentiment_tokens("I don't like it");
  EXPECT_TRUE(has(en2, "!like"));
  auto zh = sentiment_tokens("这个电影不好看");
  EXPECT_TRUE(std::any_of(zh.begin(), zh.end(), [](const std::string& t) { return t.starts_with("!"); }));
  EXPECT_EQ(detect_language("很好"), "zh");
  EXPECT_EQ(detect_language("great"), "en");
}

TEST(Sentiment, TrainsScoresAndRoundTrips) {
  std::vector<SentimentExample> examples = {
      {"great product, love it", true, ""}, {"love it, works great", true, ""},
      {"terrible, broke after a day", false, ""}, {"not good, terrible quality", false, ""},
      {"很好，推荐购买", true, ""}, {"质量很好", true, ""}, {"很差，不推荐", false, ""}, {"太差了", false, ""}};
  auto model = SentimentModel::train(examples, {.alpha = 1.0, .min_count = 1});
  EXPECT_GT(model.score("I love this, great"), 0.5);
  EXPECT_LT(model.score("terrible"), 0.5);
  EXPECT_GT(model.score("很好"), 0.5);
  EXPECT_LT(model.score("很差"), 0.5);
  EXPECT_EQ(model.score("xyzzy"), 0.5);
  auto copy = SentimentModel::from_json(model.to_json());
  EXPECT_DOUBLE_EQ(copy.score("I love this, great"), model.score("I love this, great"));
  auto doc = model.to_json();
  doc["version"] = 99;
  EXPECT_THROW(SentimentModel::from_json(doc), Error);
}

TEST(SentimentData, HeldOutAccuracyPerLanguage) {
  auto examples = load_sentiment_examples(TAILOR_DATASETS_DIR);
  std::vector<SentimentExample> train, test;
  split_sentiment_examples(examples, 0.2, 42, train, test);
  auto model = SentimentModel::train(train);
  auto results = evaluate_sentiment(model, test);
  ASSERT_EQ(results.size(), 2U);
  for (const auto& r : results) {
    std::printf("sentiment %s: held-out accuracy %.4f, balanced accuracy %.4f on %zu reviews (positive share %.3f)\n",
                r.lang.c_str(), r.accuracy, r.balanced_accuracy, r.count, r.positive_share);
    EXPECT_GT(r.accuracy, 0.7) << r.lang;
    // Better than always answering the majority class, and than chance on both classes.
    EXPECT_GT(r.accuracy, std::max(r.positive_share, 1 - r.positive_share)) << r.lang;
    EXPECT_GT(r.balanced_accuracy, 0.6) << r.lang;
  }
}

}  // namespace
}  // namespace tailor::profile
