// Brand features with hand-computed shares, the per-user path
// (compute_user_profile) against the full scan for every user, and
// refresh_profiles against a fresh compute_profiles after writes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "profile_test_util.h"
#include "tailor/profile/profile.h"
#include "tailor/store/store.h"

namespace tailor::profile {
namespace {

Timestamp ts(const char* text) { return *parse_timestamp(text); }

data::Event event(const char* user, const char* item, const char* type, const char* when, const char* channel = "app",
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

data::Item item(const char* id, const char* category, double price, Json brand) {
  data::Item it;
  it.id = id;
  it.categories = {category};
  it.price = price;
  it.attributes = Json::object();
  if (!brand.is_null()) it.attributes["brand"] = brand;
  return it;
}

// Default weights: view 0.5, add_to_cart 3, purchase 5, dislike -3.
void fill_brands(store::Store& store) {
  auto writer = store.begin_write();
  writer->put_user({"dana", {{"risk_level", "balanced"}}});
  writer->put_user({"erin", {}});
  writer->put_user({"fay", {}});
  writer->put_user({"gus", {}});
  writer->put_user({"hal", {}});
  writer->put_item(item("s1", "running", 100, "SwiftRun"));
  writer->put_item(item("s2", "running", 300, "  SwiftRun "));  // trimmed: the same brand
  writer->put_item(item("k1", "outdoor", 80, "Kestrel"));
  writer->put_item(item("b1", "books", 20, ""));   // empty: no brand
  writer->put_item(item("b2", "books", 40, 42));   // not a string: no brand
  writer->put_item(item("h1", "home", 60, "Homely"));
  for (const char* id : {"x1", "x2", "x3", "x4", "x5", "x6"}) {
    const std::string brand = std::string("B") + (id + 1);
    writer->put_item(item(id, "misc", 10, brand));
  }
  writer->put_event(event("dana", "s1", "view", "2026-02-01T10:00:00Z"));
  writer->put_event(event("dana", "s2", "purchase", "2026-02-02T10:00:00Z", "web", 300));
  writer->put_event(event("dana", "k1", "add_to_cart", "2026-02-03T10:00:00Z"));
  writer->put_event(event("dana", "k1", "view", "2026-02-03T09:00:00Z"));
  writer->put_event(event("dana", "b1", "view", "2026-02-04T10:00:00Z"));
  writer->put_event(event("dana", "b2", "view", "2026-02-04T11:00:00Z"));
  writer->put_event(event("dana", "h1", "dislike", "2026-02-05T10:00:00Z"));
  writer->put_event(event("erin", "k1", "view", "2026-02-06T10:00:00Z", ""));
  writer->put_event(event("erin", "h1", "view", "2026-02-06T11:00:00Z", "email"));
  writer->put_event(event("fay", "b1", "view", "2026-02-07T10:00:00Z"));
  for (const char* id : {"x1", "x2", "x3", "x4", "x5", "x6"})
    writer->put_event(event("hal", id, "view", "2026-02-08T10:00:00Z"));
  writer->put_event(event("hal", "x1", "purchase", "2026-02-09T10:00:00Z", "store", 10));
  writer->commit();
}

class UserProfileTest : public ::testing::Test {
 protected:
  void SetUp() override { fill_brands(temp_.store()); }
  testing_util::TempStore temp_;
};

double f(const UserProfile& p, const std::string& name) {
  auto v = p.feature(name);
  EXPECT_TRUE(v.has_value()) << name;
  return v.value_or(-1);
}

TEST_F(UserProfileTest, BrandSharesByHand) {
  const auto set = compute_profiles(temp_.store());
  // dana: SwiftRun 0.5 + 5 = 5.5, Kestrel 3 + 0.5 = 3.5, Homely -3 -> 0 (not counted); total 9.
  const auto& dana = *set.find("dana");
  EXPECT_DOUBLE_EQ(f(dana, "brand_count"), 2);
  EXPECT_NEAR(f(dana, "brand_loyalty"), 5.5 / 9, 1e-15);
  ASSERT_EQ(dana.top_brands.size(), 2u);
  EXPECT_EQ(dana.top_brands[0].brand, "SwiftRun");
  EXPECT_NEAR(dana.top_brands[0].share, 11.0 / 18, 1e-15);
  EXPECT_EQ(dana.top_brands[1].brand, "Kestrel");
  EXPECT_NEAR(dana.top_brands[1].share, 7.0 / 18, 1e-15);
  const Json brands = brands_json(dana);
  EXPECT_EQ(brands.dump(), R"([{"brand":"SwiftRun","share":0.611111},{"brand":"Kestrel","share":0.388889}])");

  // erin: Kestrel 0.5, Homely 0.5: a tie, broken by name.
  const auto& erin = *set.find("erin");
  EXPECT_DOUBLE_EQ(f(erin, "brand_loyalty"), 0.5);
  ASSERT_EQ(erin.top_brands.size(), 2u);
  EXPECT_EQ(erin.top_brands[0].brand, "Homely");
  EXPECT_EQ(erin.top_brands[1].brand, "Kestrel");

  // fay: events, none on a branded item; gus: no events.
  EXPECT_DOUBLE_EQ(f(*set.find("fay"), "brand_count"), 0);
  EXPECT_TRUE(std::isnan(f(*set.find("fay"), "brand_loyalty")));
  EXPECT_TRUE(set.find("fay")->top_brands.empty());
  EXPECT_DOUBLE_EQ(f(*set.find("gus"), "brand_count"), 0);
  EXPECT_TRUE(std::isnan(f(*set.find("gus"), "brand_loyalty")));
  EXPECT_TRUE(brands_json(*set.find("gus")).empty());

  // hal: B1 0.5 + 5 = 5.5, B2..B6 0.5 each; total 8; only the top 5 are kept.
  const auto& hal = *set.find("hal");
  EXPECT_DOUBLE_EQ(f(hal, "brand_count"), 6);
  EXPECT_DOUBLE_EQ(f(hal, "brand_loyalty"), 5.5 / 8);
  ASSERT_EQ(hal.top_brands.size(), kTopBrands);
  EXPECT_EQ(hal.top_brands[0].brand, "B1");
  EXPECT_EQ(hal.top_brands[4].brand, "B5");
  EXPECT_DOUBLE_EQ(hal.top_brands[4].share, 0.0625);

  // Usable in label rules.
  auto rules = RuleSet::parse("label \"brand loyal\" when brand_loyalty >= 0.6 and brand_count >= 2\n");
  EXPECT_EQ(rules.labels_for(dana), std::vector<std::string>{"brand loyal"});
  EXPECT_TRUE(rules.labels_for(erin).empty());
}

// NaN-aware bitwise equality of two profiles, every field.
void expect_same(const UserProfile& got, const UserProfile& want) {
  SCOPED_TRACE(want.user_id);
  EXPECT_EQ(got.user_id, want.user_id);
  EXPECT_EQ(got.attributes, want.attributes);
  EXPECT_EQ(got.event_count, want.event_count);
  EXPECT_EQ(got.first_event, want.first_event);
  EXPECT_EQ(got.last_event, want.last_event);
  ASSERT_EQ(got.features.size(), want.features.size());
  for (const auto& [name, value] : want.features) {
    auto it = got.features.find(name);
    ASSERT_NE(it, got.features.end()) << name;
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(it->second)) << name;
    } else {
      EXPECT_EQ(std::memcmp(&it->second, &value, sizeof value), 0) << name << ": " << it->second << " vs " << value;
    }
  }
  ASSERT_EQ(got.top_brands.size(), want.top_brands.size());
  for (std::size_t idx = 0; idx < want.top_brands.size(); ++idx) {
    EXPECT_EQ(got.top_brands[idx].brand, want.top_brands[idx].brand);
    EXPECT_EQ(got.top_brands[idx].share, want.top_brands[idx].share);
  }
}

void expect_same_sets(const ProfileSet& got, const ProfileSet& want) {
  EXPECT_EQ(got.now, want.now);
  EXPECT_EQ(got.newest, want.newest);
  EXPECT_EQ(got.categories, want.categories);
  EXPECT_EQ(got.channels, want.channels);
  ASSERT_EQ(got.users.size(), want.users.size());
  for (std::size_t slot = 0; slot < want.users.size(); ++slot) {
    expect_same(got.users[slot], want.users[slot]);
    EXPECT_EQ(got.find(want.users[slot].user_id), &got.users[slot]);
  }
}

void expect_per_user_equals_scan(const store::Store& store, const ProfileOptions& options) {
  const auto set = compute_profiles(store, options);
  const auto universe = scan_profile_universe(store, options);
  EXPECT_EQ(universe.categories, set.categories);
  EXPECT_EQ(universe.channels, set.channels);
  EXPECT_EQ(universe.newest, set.newest);
  EXPECT_EQ(universe.now(options), set.now);
  for (const auto& want : set.users) {
    auto got = compute_user_profile(store, want.user_id, universe, options);
    ASSERT_TRUE(got.has_value()) << want.user_id;
    expect_same(*got, want);
  }
  EXPECT_FALSE(compute_user_profile(store, "nobody", universe, options).has_value());
}

TEST_F(UserProfileTest, PerUserEqualsTheScanForEveryUser) {
  expect_per_user_equals_scan(temp_.store(), {});
  ProfileOptions as_of;
  as_of.until = ts("2026-02-05T00:00:00Z");  // drops dana's dislike, erin, fay, hal
  expect_per_user_equals_scan(temp_.store(), as_of);
  ProfileOptions later;
  later.now = ts("2026-03-01T00:00:00Z");
  expect_per_user_equals_scan(temp_.store(), later);
  // The convenience overload scans the universe itself.
  expect_same(*compute_user_profile(temp_.store(), "dana"), *compute_profiles(temp_.store()).find("dana"));
}

TEST(UserProfileDemo, PerUserEqualsTheScanOnTheDemoData) {
  testing_util::TempStore temp;
  testing_util::import_demo(temp.store());
  expect_per_user_equals_scan(temp.store(), {});
}

TEST_F(UserProfileTest, RefreshEqualsAFreshScan) {
  auto& store = temp_.store();
  ProfileSet set = compute_profiles(store);
  {
    auto writer = store.begin_write();
    // A newer event on a new channel (moves `now` and the channel set), a new
    // user created by an event, and erin (the only "email" user) deleted.
    writer->put_event(event("fay", "s1", "purchase", "2026-03-01T10:00:00Z", "sms", 100));
    writer->put_event(event("ivy", "k1", "view", "2026-02-10T10:00:00Z"));
    writer->put_user({"gus", {{"risk_level", "aggressive"}}});
    EXPECT_TRUE(writer->delete_user("erin"));
    writer->commit();
  }
  const std::vector<std::string> changed = {"fay", "ivy", "gus", "erin", "fay"};
  const auto refresh = refresh_profiles(set, store, changed);
  EXPECT_FALSE(refresh.full);
  EXPECT_EQ(refresh.users, 4u);
  expect_same_sets(set, compute_profiles(store));
  EXPECT_EQ(set.find("erin"), nullptr);
  // erin was the only user of "email" and of the empty channel ("unknown").
  EXPECT_EQ(set.channels, (std::vector<std::string>{"app", "sms", "store", "web"}));

  // Nothing changed: nothing moves.
  EXPECT_FALSE(refresh_profiles(set, store, {}).full);
  expect_same_sets(set, compute_profiles(store));

  // A price change moves the category mean price: everything is recomputed.
  {
    auto writer = store.begin_write();
    writer->put_item(item("s1", "running", 150, "SwiftRun"));
    writer->commit();
  }
  EXPECT_TRUE(refresh_profiles(set, store, std::vector<std::string>{}).full);
  expect_same_sets(set, compute_profiles(store));
}

TEST_F(UserProfileTest, RefreshKeepsAsOfOptions) {
  auto& store = temp_.store();
  ProfileOptions options;
  options.until = ts("2026-02-06T12:00:00Z");
  ProfileSet set = compute_profiles(store, options);
  {
    auto writer = store.begin_write();
    writer->put_event(event("dana", "k1", "purchase", "2026-02-06T11:00:00Z", "web", 80));   // counts
    writer->put_event(event("dana", "s1", "purchase", "2026-02-20T11:00:00Z", "web", 100));  // after until
    writer->commit();
  }
  refresh_profiles(set, store, std::vector<std::string>{"dana"});
  expect_same_sets(set, compute_profiles(store, options));
}

TEST_F(UserProfileTest, UniverseCacheRescansWhenTheVersionMoves) {
  auto& store = temp_.store();
  ProfileUniverseCache cache(3600);
  auto first = cache.get(store, 1);
  EXPECT_EQ(cache.get(store, 1), first);  // same version, young: the same snapshot
  {
    auto writer = store.begin_write();
    writer->put_event(event("gus", "s1", "view", "2026-04-01T10:00:00Z", "kiosk"));
    writer->commit();
  }
  EXPECT_EQ(cache.get(store, 1)->channels, first->channels);  // stale until the version moves
  auto second = cache.get(store, 2);
  EXPECT_NE(second, first);
  EXPECT_EQ(second->newest, ts("2026-04-01T10:00:00Z"));
  EXPECT_NE(std::find(second->channels.begin(), second->channels.end(), "kiosk"), second->channels.end());
  expect_same(*compute_user_profile(store, "gus", *second), *compute_profiles(store).find("gus"));
  EXPECT_THROW(ProfileUniverseCache(-1), Error);
}

}  // namespace
}  // namespace tailor::profile
