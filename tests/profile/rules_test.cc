// The label rule parser: valid rules (precedence, parentheses, not, comments,
// Chinese labels and strings), and errors that name line and column.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tailor/profile/profile.h"

namespace tailor::profile {
namespace {

UserProfile make_user(std::map<std::string, double> features, Json attributes = Json::object()) {
  UserProfile user;
  user.user_id = "u";
  user.event_count = 1;
  user.features = std::move(features);
  user.attributes = std::move(attributes);
  return user;
}

// The message of the InvalidArgument that parsing `text` throws ("" when none).
std::string parse_error(const std::string& text) {
  try {
    RuleSet::parse(text, "test.rules");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  return "";
}

TEST(RulesTest, ParsesAndEvaluates) {
  auto rules = RuleSet::parse(
      "# spending tiers\n"
      "\n"
      "label \"高价值客户\" when monetary >= 2000 and frequency >= 20   # trailing comment\n"
      "label \"at-risk\" when recency_days > 30 and frequency >= 10\n"
      "label \"风险偏好型投资者\" when attributes.risk_level == \"aggressive\"\n"
      "label \"either\" when frequency < 1 or monetary > 10 and recency_days <= 1\n"
      "label \"grouped\" when (frequency < 1 or monetary > 10) and recency_days <= 1\n"
      "label \"not-zh\" when not attributes.lang == \"zh\" and attributes.lang != \"fr\"\n"
      "label \"sci\" when affinity.smart-home >= 1.5e-1\n");
  EXPECT_EQ(rules.size(), 7u);
  EXPECT_EQ(rules.labels(), (std::vector<std::string>{"高价值客户", "at-risk", "风险偏好型投资者", "either", "grouped",
                                                      "not-zh", "sci"}));

  auto big = make_user({{"monetary", 2500}, {"frequency", 25}, {"recency_days", 40}},
                       {{"risk_level", "aggressive"}, {"lang", "en"}});
  EXPECT_EQ(rules.labels_for(big), (std::vector<std::string>{"高价值客户", "at-risk", "风险偏好型投资者", "not-zh"}));

  // `and` binds tighter than `or`: frequency < 1 alone satisfies "either", not "grouped".
  auto idle = make_user({{"monetary", 0}, {"frequency", 0}, {"recency_days", 5}}, {{"lang", "zh"}});
  EXPECT_EQ(rules.labels_for(idle), (std::vector<std::string>{"either"}));

  // An affinity the store does not have is 0 for an active user.
  auto fan = make_user({{"affinity.smart-home", 0.2}});
  EXPECT_EQ(rules.labels_for(fan), (std::vector<std::string>{"sci"}));
}

TEST(RulesTest, MissingValuesAndTypesNeverMatch) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto rules = RuleSet::parse(
      "label \"a\" when avg_rating != 3\n"
      "label \"b\" when attributes.age >= 18\n"
      "label \"c\" when attributes.age == \"30\"\n"
      "label \"d\" when attributes.vip == true\n");
  auto user = make_user({{"avg_rating", nan}}, {{"age", "thirty"}, {"vip", true}});
  EXPECT_EQ(rules.labels_for(user), (std::vector<std::string>{"d"}));
  auto adult = make_user({{"avg_rating", 4}}, {{"age", 30}});
  EXPECT_EQ(rules.labels_for(adult), (std::vector<std::string>{"a", "b"}));
}

TEST(RulesTest, ErrorsNameLineAndColumn) {
  // Columns count characters, not bytes: the label has 3 Chinese characters.
  EXPECT_EQ(parse_error("# header\nlabel \"高价值\" when monetery >= 1\n"),
            "test.rules:2:18: unknown feature 'monetery'");
  EXPECT_EQ(parse_error("label \"x\" monetary >= 1"), "test.rules:1:11: expected 'when'");
  EXPECT_EQ(parse_error("label x when monetary >= 1"), "test.rules:1:7: expected the label as a quoted string");
  EXPECT_EQ(parse_error("label \"x\" when monetary = 1"), "test.rules:1:25: unknown operator '=' (use == or !=)");
  EXPECT_EQ(parse_error("label \"x\" when monetary >= \"big\""),
            "test.rules:1:28: feature 'monetary' is numeric; compare it with a number");
  EXPECT_EQ(parse_error("label \"x\" when attributes.city < \"a\""),
            "test.rules:1:32: strings compare only with == and !=");
  EXPECT_EQ(parse_error("label \"x\" when (monetary >= 1"), "test.rules:1:30: expected ')'");
  EXPECT_EQ(parse_error("label \"x\" when monetary >= 1 frequency"),
            "test.rules:1:30: unexpected 'frequency' (expected 'and', 'or' or end of line)");
  EXPECT_EQ(parse_error("label \"x\" when"), "test.rules:1:15: expected a condition");
  EXPECT_EQ(parse_error("label \"未完 when x"), "test.rules:1:7: unterminated string");
  EXPECT_EQ(parse_error("label \"x\" when monetary >= 1 and"), "test.rules:1:33: expected a condition");
  EXPECT_EQ(parse_error("label \"x\" when monetary >= 1 ； "), "test.rules:1:30: unexpected character '；'");
  EXPECT_EQ(parse_error("labels \"x\" when monetary >= 1"), "test.rules:1:1: expected 'label'");
}

TEST(RulesTest, DefaultRulesParse) {
  auto rules = RuleSet::defaults();
  EXPECT_GE(rules.size(), 10u);
  auto labels = rules.labels();
  for (const char* expected : {"high-value", "new", "active", "at-risk", "churned", "风险偏好型投资者"})
    EXPECT_NE(std::find(labels.begin(), labels.end(), expected), labels.end()) << expected;
  EXPECT_THROW(RuleSet::load("/nonexistent/rules"), Error);
}

}  // namespace
}  // namespace tailor::profile
