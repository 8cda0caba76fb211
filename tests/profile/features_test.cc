// Profile features on a tiny hand-built store whose every number is worked
// out by hand: RFM, hours, weekday/weekend, channels, affinity, price
// sensitivity, ratings, dislikes, missing values for a user without events.
#include <gtest/gtest.h>

#include <cmath>

#include "profile_test_util.h"
#include "tailor/profile/profile.h"

namespace tailor::profile {
namespace {

Timestamp ts(const char* text) { return *parse_timestamp(text); }

data::Event event(const char* user, const char* item, const char* type, const char* when, const char* channel,
                  double value = 1.0) {
  data::Event e;
  e.user_id = user;
  e.item_id = item;
  e.type = type;
  e.timestamp = ts(when);
  e.channel = channel;
  e.value = value;
  return e;
}

data::Item item(const char* id, std::vector<std::string> categories, double price) {
  data::Item it;
  it.id = id;
  it.categories = std::move(categories);
  it.price = price;
  return it;
}

// 2026-01-03 is a Saturday, 2026-01-05 a Monday.
void fill(store::Store& store) {
  auto writer = store.begin_write();
  data::User alice{"alice", {{"age", 30}, {"risk_level", "aggressive"}, {"income_band", "high"}}};
  data::User bob{"bob", {{"risk_level", "conservative"}}};
  data::User carol{"carol", {{"risk_level", "balanced"}}};
  writer->put_user(alice);
  writer->put_user(bob);
  writer->put_user(carol);
  writer->put_item(item("run1", {"running", "running/shoes"}, 100));  // running mean price 200
  writer->put_item(item("run2", {"running"}, 300));
  writer->put_item(item("book1", {"books"}, 50));  // books mean price 100
  writer->put_item(item("book2", {"books"}, 150));
  writer->put_event(event("alice", "run1", "view", "2026-01-03T02:00:00Z", "app"));
  writer->put_event(event("alice", "run1", "purchase", "2026-01-03T10:00:00Z", "app", 90));
  writer->put_event(event("alice", "run2", "add_to_cart", "2026-01-05T13:00:00Z", "web"));
  writer->put_event(event("alice", "book1", "rating", "2026-01-05T20:00:00Z", "web", 4));
  writer->put_event(event("alice", "book1", "purchase", "2026-01-10T19:00:00Z", "store", 45));
  writer->put_event(event("bob", "run2", "dislike", "2026-01-08T12:00:00Z", "email"));
  writer->put_event(event("bob", "book1", "view", "2026-01-08T12:30:00Z", "email"));
  writer->commit();
}

class FeaturesTest : public ::testing::Test {
 protected:
  void SetUp() override { fill(temp_.store()); }
  testing_util::TempStore temp_;
};

double f(const UserProfile& p, const std::string& name) {
  auto v = p.feature(name);
  EXPECT_TRUE(v.has_value()) << name;
  return v.value_or(-1);
}

TEST_F(FeaturesTest, RecencyFrequencyMonetary) {
  auto set = compute_profiles(temp_.store());
  EXPECT_EQ(set.now, ts("2026-01-10T19:00:00Z"));
  EXPECT_EQ(set.categories, (std::vector<std::string>{"books", "running"}));
  EXPECT_EQ(set.channels, (std::vector<std::string>{"app", "email", "store", "web"}));
  const auto* alice = set.find("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->event_count, 5u);
  EXPECT_DOUBLE_EQ(f(*alice, "recency_days"), 0);
  EXPECT_NEAR(f(*alice, "tenure_days"), 7 + 17.0 / 24, 1e-9);
  EXPECT_DOUBLE_EQ(f(*alice, "frequency"), 5);
  EXPECT_DOUBLE_EQ(f(*alice, "active_days"), 3);
  EXPECT_DOUBLE_EQ(f(*alice, "purchases"), 2);
  EXPECT_DOUBLE_EQ(f(*alice, "carts"), 1);
  EXPECT_DOUBLE_EQ(f(*alice, "monetary"), 135);
  EXPECT_DOUBLE_EQ(f(*alice, "avg_order_value"), 67.5);
  EXPECT_DOUBLE_EQ(f(*alice, "avg_rating"), 4);
  EXPECT_DOUBLE_EQ(f(*alice, "dislike_share"), 0);
  // (100/200 + 300/200 + 50/100) / 3
  EXPECT_NEAR(f(*alice, "price_sensitivity"), (0.5 + 1.5 + 0.5) / 3, 1e-12);
  EXPECT_EQ(alice->attributes.at("risk_level"), "aggressive");

  const auto* bob = set.find("bob");
  ASSERT_NE(bob, nullptr);
  EXPECT_NEAR(f(*bob, "recency_days"), 2 + 6.5 / 24, 1e-9);
  EXPECT_DOUBLE_EQ(f(*bob, "dislike_share"), 0.5);
  EXPECT_TRUE(std::isnan(f(*bob, "avg_rating")));
  EXPECT_TRUE(std::isnan(f(*bob, "price_sensitivity")));
  EXPECT_DOUBLE_EQ(f(*bob, "monetary"), 0);

  ProfileOptions later;
  later.now = ts("2026-01-20T19:00:00Z");
  EXPECT_DOUBLE_EQ(f(*compute_profiles(temp_.store(), later).find("alice"), "recency_days"), 10);
}

TEST_F(FeaturesTest, HoursWeekdaysChannels) {
  auto set = compute_profiles(temp_.store());
  const auto& alice = *set.find("alice");
  EXPECT_DOUBLE_EQ(f(alice, "hour_night"), 0.2);
  EXPECT_DOUBLE_EQ(f(alice, "hour_morning"), 0.2);
  EXPECT_DOUBLE_EQ(f(alice, "hour_afternoon"), 0.2);
  EXPECT_DOUBLE_EQ(f(alice, "hour_evening"), 0.4);
  EXPECT_DOUBLE_EQ(f(alice, "weekend_share"), 0.6);
  EXPECT_DOUBLE_EQ(f(alice, "weekday_share"), 0.4);
  EXPECT_DOUBLE_EQ(f(alice, "channel.app"), 0.4);
  EXPECT_DOUBLE_EQ(f(alice, "channel.web"), 0.4);
  EXPECT_DOUBLE_EQ(f(alice, "channel.store"), 0.2);
  EXPECT_DOUBLE_EQ(f(alice, "channel.email"), 0);
  const auto& bob = *set.find("bob");
  EXPECT_DOUBLE_EQ(f(bob, "hour_afternoon"), 1);
  EXPECT_DOUBLE_EQ(f(bob, "weekend_share"), 0);
  EXPECT_DOUBLE_EQ(f(bob, "channel.email"), 1);
}

TEST_F(FeaturesTest, CategoryAffinityUsesEventWeights) {
  auto set = compute_profiles(temp_.store());
  auto types = data::EventTypes::defaults();
  const double running = *types.weight("view", 1) + *types.weight("purchase", 90) + *types.weight("add_to_cart", 1);
  const double books = *types.weight("rating", 4) + *types.weight("purchase", 45);
  const auto& alice = *set.find("alice");
  EXPECT_NEAR(f(alice, "affinity.running"), running / (running + books), 1e-12);
  EXPECT_NEAR(f(alice, "affinity.books"), books / (running + books), 1e-12);
  // Bob's dislike outweighs nothing else in running: clamped at 0.
  const auto& bob = *set.find("bob");
  EXPECT_DOUBLE_EQ(f(bob, "affinity.running"), 0);
  EXPECT_DOUBLE_EQ(f(bob, "affinity.books"), 1);
}

TEST_F(FeaturesTest, UserWithoutEventsHasMissingValues) {
  auto set = compute_profiles(temp_.store());
  const auto* carol = set.find("carol");
  ASSERT_NE(carol, nullptr);
  EXPECT_EQ(carol->event_count, 0u);
  EXPECT_DOUBLE_EQ(f(*carol, "frequency"), 0);
  EXPECT_TRUE(std::isnan(f(*carol, "recency_days")));
  EXPECT_TRUE(std::isnan(f(*carol, "affinity.books")));
  auto json = features_json(*carol);
  EXPECT_TRUE(json.at("recency_days").is_null());
  EXPECT_EQ(json.at("frequency"), 0);
  EXPECT_EQ(set.find("nobody"), nullptr);
  // Every fixed feature is present for every user.
  for (auto name : fixed_feature_names()) EXPECT_TRUE(carol->feature(name).has_value()) << name;
}

TEST_F(FeaturesTest, LabelsFromRules) {
  auto set = compute_profiles(temp_.store());
  auto rules = RuleSet::parse(
      "label \"buyer\" when purchases >= 1\n"
      "label \"风险偏好型投资者\" when attributes.risk_level == \"aggressive\" and attributes.age < 40\n"
      "label \"critic\" when dislike_share > 0.3 or avg_rating < 2\n"
      "label \"reader\" when affinity.books >= 0.9\n"
      "label \"lapsed\" when recency_days > 1\n");
  EXPECT_EQ(rules.labels_for(*set.find("alice")), (std::vector<std::string>{"buyer", "风险偏好型投资者"}));
  EXPECT_EQ(rules.labels_for(*set.find("bob")), (std::vector<std::string>{"critic", "reader", "lapsed"}));
  // Missing values never satisfy a comparison.
  EXPECT_TRUE(rules.labels_for(*set.find("carol")).empty());
}

}  // namespace
}  // namespace tailor::profile
