// Category propensity on the demo data: for "running", the held-out AUC is
// above 0.7 and the audience is dominated by the hidden runner group
// (truth.json, test-only), far above its base share. Numbers are printed.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "profile_test_util.h"
#include "tailor/profile/profile.h"
#include "tailor/store/store.h"

namespace tailor::profile {
namespace {

TEST(CategoryPropensityTest, RunningOnDemo) {
  testing_util::TempStore temp;
  testing_util::import_demo(temp.store());
  std::ifstream in(testing_util::demo_dir() + "/truth.json");
  const Json truth = Json::parse(in).at("users");

  CategoryPropensityOptions options;
  options.category = "running";
  options.top = 50;
  for (const std::string model : {"xgboost", "logistic"}) {
    options.model = model;
    const CategoryPropensityResult r = category_propensity(temp.store(), options);
    std::size_t runners = 0, in_audience = 0;
    for (const auto& [user, group] : truth.items()) runners += group.get<std::string>() == "runner";
    for (const auto& [user, score] : r.audience) in_audience += truth.at(user).get<std::string>() == "runner";
    const double base_share = static_cast<double>(runners) / static_cast<double>(truth.size());
    const double audience_share = static_cast<double>(in_audience) / static_cast<double>(r.audience.size());
    std::printf("[propensity running/%s] AUC %.4f  lift@10%% %.2f  positives %zu (base rate %.3f)  train %zu test %zu"
                "  audience runner share %.3f vs base %.3f  top feature %s\n",
                r.model.c_str(), r.auc, r.lift_top10, r.positives, r.base_rate, r.train_users, r.test_users,
                audience_share, base_share, r.importance.empty() ? "-" : r.importance.front().first.c_str());
    EXPECT_EQ(r.train_users + r.test_users, 1250u);
    EXPECT_NEAR(static_cast<double>(r.test_users), 375, 1);
    EXPECT_GT(r.auc, 0.7);
    EXPECT_GT(r.lift_top10, 1.5);
    EXPECT_FALSE(r.importance.empty());
    ASSERT_EQ(r.audience.size(), 50u);
    EXPECT_GT(audience_share, 3 * base_share);
    for (std::size_t i = 1; i < r.audience.size(); ++i) EXPECT_GE(r.audience[i - 1].second, r.audience[i].second);
    const Json doc = category_propensity_json(r);
    EXPECT_EQ(doc.at("category"), "running");
    EXPECT_TRUE(doc.contains("lift@10%"));
  }
}

TEST(CategoryPropensityTest, UntilBoundsTheFeatures) {
  testing_util::TempStore temp;
  testing_util::import_demo(temp.store());
  ProfileOptions options;
  options.until = parse_timestamp("2026-10-01T00:00:00Z").value();
  const ProfileSet past = compute_profiles(temp.store(), options);
  EXPECT_EQ(past.now, options.until);
  double past_events = 0;
  for (const auto& u : past.users) past_events += static_cast<double>(u.event_count);
  double all_events = 0;
  for (const auto& u : compute_profiles(temp.store()).users) all_events += static_cast<double>(u.event_count);
  EXPECT_GT(past_events, 0);
  EXPECT_LT(past_events, all_events);
}

TEST(CategoryPropensityTest, RejectsBadInput) {
  testing_util::TempStore temp;
  testing_util::import_demo(temp.store());
  CategoryPropensityOptions options;
  options.category = "no-such-category";
  EXPECT_THROW(category_propensity(temp.store(), options), Error);
  options.category = "running";
  options.model = "forest";
  EXPECT_THROW(category_propensity(temp.store(), options), Error);
}

}  // namespace
}  // namespace tailor::profile
