// The suitability rule (rank.h) checked exhaustively: every investor class
// (none, expired, C1..C5) against every product rating (none, R1..R5, and a
// malformed one), against the rule written out independently here.
#include <gtest/gtest.h>

#include "tailor/rank/rank.h"

namespace tailor::rank {
namespace {

constexpr Timestamp kNow = 1'780'000'000;

data::Item product(const nlohmann::json& rating) {
  data::Item item;
  item.id = "p";
  if (!rating.is_null()) item.attributes["risk_rating"] = rating;
  return item;
}

data::User investor(const nlohmann::json& risk_class, const nlohmann::json& assessed_at = nullptr) {
  data::User user;
  user.id = "u";
  if (!risk_class.is_null()) user.attributes["risk_class"] = risk_class;
  if (!assessed_at.is_null()) user.attributes["risk_assessed_at"] = assessed_at;
  return user;
}

TEST(Suitability, ParsesRatingsAndClasses) {
  EXPECT_EQ(item_risk_rating(product(nullptr)), std::nullopt);
  EXPECT_EQ(item_risk_rating(product("R1")), 1);
  EXPECT_EQ(item_risk_rating(product(" r4 ")), 4);
  EXPECT_EQ(item_risk_rating(product("R9")), 5);      // unclassifiable: most restrictive
  EXPECT_EQ(item_risk_rating(product(3)), 5);
  EXPECT_EQ(investor_class(nullptr, kNow).level, 0);
  const auto c3 = investor("C3");
  EXPECT_EQ(investor_class(&c3, kNow).level, 3);
  const auto none = investor(nullptr);
  EXPECT_EQ(investor_class(&none, kNow).level, 0);
  const auto bad = investor("C7");
  EXPECT_EQ(investor_class(&bad, kNow).level, 0);
  const auto fresh = investor("C4", kNow - 100 * 86400);
  EXPECT_EQ(investor_class(&fresh, kNow).level, 4);
  const auto expired = investor("C4", kNow - 400 * 86400);
  EXPECT_EQ(investor_class(&expired, kNow).level, 0);
  EXPECT_NE(investor_class(&expired, kNow).reason.find("expired"), std::string::npos);
  const auto iso = investor("C2", "2026-01-01T00:00:00+08:00");
  EXPECT_EQ(investor_class(&iso, kNow).level, 2);
  const auto garbled = investor("C2", "yesterday");
  EXPECT_EQ(investor_class(&garbled, kNow).level, 0);
}

TEST(Suitability, EveryClassAgainstEveryRating) {
  const std::vector<data::User> investors = {investor(nullptr), investor("C1", kNow - 800 * 86400), investor("C1"),
                                             investor("C2"),    investor("C3"),
                                             investor("C4"),    investor("C5")};
  const std::vector<int> expected_level = {0, 0, 1, 2, 3, 4, 5};
  const std::vector<nlohmann::json> ratings = {nullptr, "R1", "R2", "R3", "R4", "R5", "R0"};
  const std::vector<int> rating_level = {0, 1, 2, 3, 4, 5, 5};
  for (std::size_t who = 0; who < investors.size(); ++who) {
    const InvestorClass cls = investor_class(&investors[who], kNow);
    ASSERT_EQ(cls.level, expected_level[who]);
    for (std::size_t what = 0; what < ratings.size(); ++what) {
      const int risk = rating_level[what];
      // Written out independently: unregulated items and R1 always; else R <= C with a valid class.
      const bool allowed = risk == 0 || risk == 1 || (cls.level > 0 && risk <= cls.level);
      const auto refusal = check_suitability(cls, product(ratings[what]));
      EXPECT_EQ(!refusal.has_value(), allowed) << "class " << cls.level << " rating " << ratings[what];
      if (refusal) {
        EXPECT_FALSE(refusal->empty());
      }
    }
  }
}

}  // namespace
}  // namespace tailor::rank
