// check_grounding on hand-written copy: what an item's facts allow (numbers in
// any notation, claims in either language, its colour and brand) and what
// they do not (invented prices, discounts, offers, colours, brands, models).
// Plus the scanning helpers it rests on (numbers, Chinese numerals, cutting).
#include <gtest/gtest.h>

#include "../../src/semantic/text_scan.h"
#include "semantic_test_util.h"
#include "tailor/data/data.h"

namespace tailor::semantic {
namespace {

using testing::en_knives;
using testing::zh_earbuds;

bool mentions(const GroundingReport& report, const std::string& needle) {
  for (const auto& v : report.violations)
    if (v.find(needle) != std::string::npos) return true;
  return false;
}

TEST(Grounding, FactsInAnyNotationAreGrounded) {
  auto item = zh_earbuds();
  for (const char* text : {"声悦降噪蓝牙耳机，续航30小时，IPX5防水，仅需¥599！", "声悦耳机只要599元", "到手价¥599.00",
                           "五百九十九元入手降噪耳机", "５９９元，黑色，通勤必备", "一款好耳机，一起出发", "主动降噪，安静通勤。",
                           "Sonora earbuds with active noise cancellation. Waterproof, 30h battery, ¥599.",
                           "Stay focused. Quiet commutes start here with Sonora."}) {
    auto report = check_grounding(text, item);
    EXPECT_TRUE(report.grounded) << text << ": " << (report.violations.empty() ? "" : report.violations[0]);
  }
}

TEST(Grounding, InventedNumbersAndDiscountsAreViolations) {
  auto item = zh_earbuds();
  auto report = check_grounding("限时特惠，声悦耳机只要¥499", item);
  EXPECT_FALSE(report.grounded);
  EXPECT_TRUE(mentions(report, "499"));
  EXPECT_TRUE(mentions(report, "discount"));  // 限时 is an offer the data does not make
  EXPECT_TRUE(mentions(check_grounding("全场8折", item), "8折"));
  EXPECT_TRUE(mentions(check_grounding("现在打9折", item), "9"));
  EXPECT_FALSE(check_grounding("续航两小时", item).grounded);           // 2 hours is not 30
  EXPECT_FALSE(check_grounding("50% off these earbuds", item).grounded);
  EXPECT_FALSE(check_grounding("Available in two colours", item).grounded);
  EXPECT_FALSE(check_grounding("三千元的品质", item).grounded);
}

TEST(Grounding, OfferAndProductClaimsNeedFacts) {
  auto item = zh_earbuds();
  EXPECT_TRUE(mentions(check_grounding("降噪耳机，全国包邮", item), "free shipping"));
  EXPECT_TRUE(mentions(check_grounding("Free shipping on Sonora earbuds", item), "free shipping"));
  EXPECT_TRUE(mentions(check_grounding("爆款降噪耳机", item), "best-seller"));
  EXPECT_TRUE(mentions(check_grounding("降噪耳机，支持快充", item), "fast charging"));
  // The item is waterproof and wireless in Chinese; English copy may say so.
  EXPECT_TRUE(check_grounding("Waterproof, wireless and quiet.", item).grounded);
  // The knife set is not.
  EXPECT_FALSE(check_grounding("A waterproof knife set.", en_knives()).grounded);
}

TEST(Grounding, ColoursAndBrandsMustBeTheItems) {
  auto item = zh_earbuds();
  EXPECT_TRUE(check_grounding("黑色降噪耳机", item).grounded);
  EXPECT_TRUE(mentions(check_grounding("白色降噪耳机", item), "白色"));
  EXPECT_TRUE(mentions(check_grounding("比索尼更安静", item), "Sony"));
  EXPECT_TRUE(mentions(check_grounding("苹果用户也爱用", item), "Apple"));
  EXPECT_TRUE(mentions(check_grounding("Quieter than Bose.", item), "Bose"));
  EXPECT_TRUE(check_grounding("声悦降噪耳机", item).grounded);
  EXPECT_TRUE(check_grounding("Sonora noise-cancelling earbuds", item).grounded);
  // Navy is grounded by the English attribute when the copy says 藏青.
  EXPECT_TRUE(check_grounding("藏青色刀具套装", en_knives()).grounded);
}

TEST(Grounding, BrandLikeTokensNotInTheFactsAreViolations) {
  auto item = zh_earbuds();
  EXPECT_TRUE(mentions(check_grounding("Meet the new SonoraMax earbuds", item), "SonoraMax"));
  EXPECT_TRUE(mentions(check_grounding("Great earbuds from Acme for you", item), "Acme"));
  EXPECT_TRUE(mentions(check_grounding("声悦 Pro 降噪耳机", item), "Pro"));
  EXPECT_TRUE(mentions(check_grounding("Now with LE Audio", item), "LE"));
  EXPECT_TRUE(check_grounding("LDAC sound, IPX5 sweat resistance.", item).grounded);
  EXPECT_TRUE(check_grounding("Quiet commutes, and I'll say it: Don't miss Sonora.", item).grounded);
  EXPECT_FALSE(check_grounding("Quiet commutes with Acme's earbuds.", item).grounded);
  EXPECT_TRUE(check_grounding("5000mAh? No: 30 hours.", item).grounded == false);  // 5000 is invented
}

TEST(Grounding, ProductTypesOfOtherCategoriesAreViolations) {
  auto item = zh_earbuds();
  EXPECT_TRUE(mentions(check_grounding("Upgrade your kitchen with Sonora earbuds", item), "kitchen"));
  EXPECT_TRUE(mentions(check_grounding("声悦耳机，跑鞋般轻盈", item), "跑鞋"));
  EXPECT_TRUE(check_grounding("Sonora headphones for the commute", item).grounded);  // same category family
  // A word the facts use is never a violation (an earbuds text may say 通勤).
  EXPECT_TRUE(check_grounding("适合通勤路上", item).grounded);
}

TEST(Grounding, AttributeKeysAndNumbersGroundEmailDetails) {
  auto item = zh_earbuds();
  EXPECT_TRUE(check_grounding("Battery hours: 30\nCodec: LDAC\nPrice: ¥599", item).grounded);
  EXPECT_TRUE(check_grounding("Pieces: 5", en_knives()).grounded);
  EXPECT_FALSE(check_grounding("Pieces: 6", en_knives()).grounded);
}

// SmolLM2 wrote "contact me today at ironden@ironden.com" into copy for an
// IronDen yoga pant: every word is grounded, the address is invented.
TEST(Grounding, InventedContactsAreViolations) {
  auto knives = en_knives();
  for (const char* text : {"Little Stove knives. Write to sales@littlestove.com for details.",
                           "Little Stove knives, see https://littlestove.shop/knives today.",
                           "Little Stove 刀具套装，详见 www.littlestove.cn", "Order Little Stove knives at littlestove.com."}) {
    auto report = check_grounding(text, knives);
    EXPECT_FALSE(report.grounded) << text;
    EXPECT_TRUE(mentions(report, "contact")) << text;
  }
  // The item's own address is a fact; a sentence end or a decimal is no domain.
  auto item = knives;
  item.description += " Support: care@littlestove.com";
  EXPECT_TRUE(check_grounding("Little Stove knives. Questions? care@littlestove.com", item).grounded);
  EXPECT_TRUE(check_grounding("Little Stove knives. Ideal for weekend baking. ¥609.", knives).grounded);
}

// Qwen 0.5B wrote "for £609" for a ¥609 knife set: the number is right, the price is not.
TEST(Grounding, AnotherCurrencyIsAViolation) {
  auto knives = en_knives();
  for (const char* text : {"Little Stove knives for £609.", "Little Stove knives, only $609!", "Little Stove knives: 609 USD",
                           "Little Stove 刀具套装，609美元", "Little Stove knives for 609 euros."}) {
    auto report = check_grounding(text, knives);
    EXPECT_FALSE(report.grounded) << text;
    EXPECT_TRUE(mentions(report, "currency")) << text;
  }
  EXPECT_TRUE(check_grounding("Little Stove knives for ¥609.", knives).grounded);
  EXPECT_TRUE(check_grounding("Little Stove 刀具套装，609元", knives).grounded);
  auto priced_in_dollars = knives;
  priced_in_dollars.description += " Price in USD.";
  EXPECT_TRUE(check_grounding("Little Stove knives: 609 USD", priced_in_dollars).grounded);
}

TEST(TextScan, NumbersInEveryNotation) {
  using namespace detail;
  EXPECT_EQ(chinese_numeral_value(U"两千五").value(), 2500);
  EXPECT_EQ(chinese_numeral_value(U"一万二").value(), 12000);
  EXPECT_EQ(chinese_numeral_value(U"三百").value(), 300);
  EXPECT_EQ(chinese_numeral_value(U"十五").value(), 15);
  EXPECT_EQ(chinese_numeral_value(U"二零二六").value(), 2026);
  EXPECT_EQ(chinese_numeral_value(U"五百九十九").value(), 599);
  EXPECT_FALSE(chinese_numeral_value(U"万").has_value());
  auto numbers = find_numbers(fold32("¥1,299.50 和 3千 及 1.5万"), NumberMode::kStrict);
  ASSERT_EQ(numbers.size(), 3u);
  EXPECT_DOUBLE_EQ(numbers[0].value, 1299.5);
  EXPECT_DOUBLE_EQ(numbers[1].value, 3000);
  EXPECT_DOUBLE_EQ(numbers[1].raw, 3);
  EXPECT_DOUBLE_EQ(numbers[2].value, 15000);
  // Everyday words are not numbers in strict mode.
  EXPECT_TRUE(find_numbers(fold32("一款一起十分万一一年四季两个人"), NumberMode::kStrict).empty());
  EXPECT_EQ(find_numbers(fold32("续航两小时，五折"), NumberMode::kStrict).size(), 2u);
  EXPECT_EQ(format_number(299.0), "299");
  EXPECT_EQ(format_number(79.9), "79.9");
}

TEST(TextScan, FitCharsNeverSplitsACharacter) {
  using namespace detail;
  std::string zh = "声悦降噪蓝牙耳机，主动降噪，超长续航。适合通勤路上使用，安静又舒适。再来一句很长很长的话没有标点符号一直写下去";
  for (std::size_t limit = 1; limit <= count_chars(zh) + 2; ++limit) {
    auto cut = fit_chars(zh, limit);
    EXPECT_TRUE(data::is_valid_utf8(cut)) << limit;
    EXPECT_LE(count_chars(cut), limit);
    EXPECT_FALSE(cut.empty());
  }
  EXPECT_EQ(fit_chars("第一句。第二句很长很长。", 8), "第一句。");
  EXPECT_EQ(fit_chars("One sentence here. Another one that is long.", 30), "One sentence here.");
  EXPECT_EQ(detect_language("iPhone 15 不要"), "zh");
  EXPECT_EQ(detect_language("lightweight laptop"), "en");
  EXPECT_EQ(fold("ＡＢＣ１２３￥"), "abc123¥");
}

}  // namespace
}  // namespace tailor::semantic
