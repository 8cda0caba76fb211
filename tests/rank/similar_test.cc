// similar_items by model, content, behaviour and hybrid (rank.h), on a tiny
// catalogue with hand-computed answers.
#include <gtest/gtest.h>

#include <cmath>

#include "tailor/rank/rank.h"

namespace tailor::rank {
namespace {

using dataset::Dataset;
using dataset::Interaction;

// Users x items (binary):  u0: {0, 1}  u1: {0, 1, 2}  u2: {2, 3}  u3: {1}
// Item 4 has no events (a new item). Text vectors (2-d, unit):
//   0 (1, 0)  1 (0.6, 0.8)  2 (0, 1)  3 (0, 1)  4 (1, 0)
struct Fixture {
  Dataset data;
  std::unique_ptr<model::Recommender> rec;
  dataset::ContentVectors content;
  Fixture() {
    std::vector<Interaction> xs = {{0, 0, 1}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}, {1, 2, 1}, {2, 2, 1}, {2, 3, 1}, {3, 1, 1}};
    data = dataset::make_dataset(4, 5, xs);
    rec = model::create_model("itemknn");
    rec->fit(data, data.interactions, model::FitOptions{});
    content.dim = 2;
    content.rows = {1, 0, 0.6f, 0.8f, 0, 1, 0, 1, 1, 0};
  }
};

TEST(SimilarItems, BehaviourIsCosineOfTrainingUsers) {
  Fixture f;
  // U_0 = {0, 1}, U_1 = {0, 1, 3}, U_2 = {1, 2}: b(0,1) = 2/√6, b(0,2) = 1/2, b(0,3) = 0.
  const auto out = similar_items(*f.rec, 0, 5, SimilarBy::kBehaviour, nullptr);
  ASSERT_EQ(out.items.size(), 2u);
  EXPECT_EQ(out.items[0].item, 1u);
  EXPECT_NEAR(out.items[0].score, 2.0 / std::sqrt(6.0), 1e-6);
  EXPECT_EQ(out.items[1].item, 2u);
  EXPECT_NEAR(out.items[1].score, 0.5, 1e-6);
  // A new item has no behaviour at all.
  EXPECT_TRUE(similar_items(*f.rec, 4, 5, SimilarBy::kBehaviour, nullptr).items.empty());
}

TEST(SimilarItems, ContentAnswersForANewItemAndNeedsVectors) {
  Fixture f;
  const auto out = similar_items(*f.rec, 4, 2, SimilarBy::kContent, &f.content);
  ASSERT_EQ(out.items.size(), 2u);
  EXPECT_EQ(out.items[0].item, 0u);  // cosine 1
  EXPECT_NEAR(out.items[0].score, 1.0, 1e-6);
  EXPECT_EQ(out.items[1].item, 1u);  // cosine 0.6
  try {
    similar_items(*f.rec, 0, 2, SimilarBy::kContent, nullptr);
    ADD_FAILURE() << "content without vectors must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
    EXPECT_NE(std::string(e.what()).find("embed-items"), std::string::npos);
  }
}

TEST(SimilarItems, HybridBlendsAndFillsNewItemsFromText) {
  Fixture f;
  // Query 0: b scaled by max b = 2/√6 → item 1: 1, item 2: (1/2)/(2/√6) = √6/4;
  // c min-max scaled (min 0, max 1) → item 1: 0.6, item 2: 0, item 3: 0, item 4: 1 (no users: b := c).
  const auto out = similar_items(*f.rec, 0, 4, SimilarBy::kHybrid, &f.content);
  ASSERT_GE(out.items.size(), 3u);
  EXPECT_EQ(out.items[0].item, 4u);  // 0.5·1 + 0.5·1
  EXPECT_NEAR(out.items[0].score, 1.0, 1e-6);
  EXPECT_EQ(out.items[1].item, 1u);  // 0.5·1 + 0.5·0.6
  EXPECT_NEAR(out.items[1].score, 0.8, 1e-6);
  EXPECT_EQ(out.items[2].item, 2u);
  EXPECT_NEAR(out.items[2].score, 0.5 * std::sqrt(6.0) / 4.0, 1e-6);
  // Without vectors: behaviour only, and it says so.
  const auto plain = similar_items(*f.rec, 0, 4, SimilarBy::kHybrid, nullptr);
  EXPECT_NE(plain.source.find("behaviour only"), std::string::npos);
  EXPECT_EQ(plain.items[0].item, 1u);
}

TEST(SimilarItems, ParsesByAndLeavesHiddenItemsOut) {
  EXPECT_EQ(parse_similar_by("behavior"), SimilarBy::kBehaviour);
  EXPECT_EQ(similar_by_name(parse_similar_by("hybrid")), "hybrid");
  try {
    parse_similar_by("colour");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("by"), std::string::npos);
  }
  Fixture f;
  f.data.item_meta[1].hidden = true;
  f.rec->fit(f.data, f.data.interactions, model::FitOptions{});
  for (SimilarBy by : {SimilarBy::kModel, SimilarBy::kBehaviour, SimilarBy::kContent, SimilarBy::kHybrid})
    for (const auto& r : similar_items(*f.rec, 0, 5, by, &f.content).items) EXPECT_NE(r.item, 1u);
}

}  // namespace
}  // namespace tailor::rank
