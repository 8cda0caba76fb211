// Text normalisation, id validation and the small parsing helpers the
// importers build on.
#include <gtest/gtest.h>

#include "tailor/data/data.h"
#include "text_util.h"

namespace tailor::data {
namespace {

TEST(NormalizeText, ChineseSurvivesAndWhitespaceFolds) {
  // Ideographic space U+3000, NBSP, tab and newline all become one space; ends trimmed.
  EXPECT_EQ(normalize_text("  北京\xE3\x80\x80\xE3\x80\x80烤鸭\xC2\xA0\t好吃\n"), "北京 烤鸭 好吃");
  EXPECT_EQ(normalize_text("推荐系统"), "推荐系统");
}

TEST(NormalizeText, DecomposedBecomesNfc) {
  // "e" + COMBINING ACUTE ACCENT -> U+00E9.
  EXPECT_EQ(normalize_text("Cafe\xCC\x81"), "Caf\xC3\xA9");
  // Hangul jamo compose too.
  EXPECT_EQ(normalize_text("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"), "\xED\x95\x9C");
}

TEST(NormalizeText, ControlsDroppedInvalidUtf8Replaced) {
  EXPECT_EQ(normalize_text("a\x01" "b\x7f"), "ab");
  EXPECT_EQ(normalize_text("bad \xFF byte"), "bad \xEF\xBF\xBD byte");
}

TEST(ValidateId, RejectsWhatCannotBeAKey) {
  EXPECT_FALSE(validate_id("user-42"));
  EXPECT_FALSE(validate_id("用户42"));
  EXPECT_TRUE(validate_id(""));
  EXPECT_TRUE(validate_id("a\tb"));
  EXPECT_TRUE(validate_id("\xFF"));
  EXPECT_TRUE(validate_id(std::string(257, 'x')));
}

TEST(TextUtil, Numbers) {
  EXPECT_EQ(parse_double(" 4.5 "), 4.5);
  EXPECT_EQ(parse_double("+3"), 3.0);
  EXPECT_FALSE(parse_double("4.5x"));
  EXPECT_FALSE(parse_double("nan"));
  EXPECT_FALSE(parse_double(""));
  EXPECT_EQ(parse_int("-12"), -12);
  EXPECT_FALSE(parse_int("1.5"));
  EXPECT_EQ(parse_bool("Yes"), true);
  EXPECT_EQ(parse_bool("0"), false);
  EXPECT_FALSE(parse_bool("maybe"));
}

TEST(TextUtil, Prices) {
  EXPECT_EQ(parse_price("$12.99", false), 12.99);
  EXPECT_EQ(parse_price("\xE2\x82\xAC 5", false), 5.0);
  EXPECT_FALSE(parse_price("$1,250.00", false));
  EXPECT_EQ(parse_price("$1,250.00", true), 1250.0);
  EXPECT_FALSE(parse_price("$10.00 - $50.00", true));
}

TEST(TextUtil, AutoTypedKeepsNumbersAndLeadingZeros) {
  EXPECT_EQ(auto_typed("42"), Json(42));
  EXPECT_TRUE(auto_typed("42").is_number_integer());
  EXPECT_EQ(auto_typed("-0.5"), Json(-0.5));
  EXPECT_EQ(auto_typed("02134"), Json("02134"));
  EXPECT_EQ(auto_typed("0.25"), Json(0.25));
  EXPECT_EQ(auto_typed("  mixed  text "), Json("mixed text"));
}

TEST(TextUtil, SplitListNormalisesAndDropsRepeats) {
  std::vector<std::string> out;
  split_list("美食| 中餐 |美食||Comedy", "|", out);
  EXPECT_EQ(out, (std::vector<std::string>{"美食", "中餐", "Comedy"}));
}

TEST(TextUtil, Latin1ToUtf8) {
  std::string out;
  latin1_to_utf8("Mis\xE9rables \xC0", out);
  EXPECT_EQ(out, "Mis\xC3\xA9rables \xC3\x80");
  EXPECT_TRUE(is_valid_utf8(out));
}

}  // namespace
}  // namespace tailor::data
