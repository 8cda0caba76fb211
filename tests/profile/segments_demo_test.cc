// Profiles, labels and segments of the demo data (data/demo): counts match the
// demo's README, segments recover the generator's hidden taste groups
// (adjusted Rand index against truth.json, printed and asserted >= 0.6), the
// same seed gives the same segments, and the artifact round-trips.
//
// ARI is measured over users with at least one event (1187 of 1250): users
// without events have no behaviour to cluster and sit in the separate
// "no activity" segment, which the truth does not know about.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "profile_test_util.h"
#include "tailor/profile/profile.h"

namespace tailor::profile {
namespace {

class DemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new testing_util::TempStore();
    testing_util::import_demo(temp_->store());
    profiles_ = new ProfileSet(compute_profiles(temp_->store()));
  }
  static void TearDownTestSuite() {
    delete profiles_;
    delete temp_;
  }

  // ARI of the segments against truth.json over users with events.
  static double ari(const SegmentResult& result) {
    std::ifstream in(testing_util::demo_dir() + "/truth.json");
    const Json truth = Json::parse(in).at("users");
    std::map<std::string, int> group_ids;
    std::vector<int> found, expected;
    for (const auto& [user, segment] : result.assignment) {
      if (profiles_->find(user)->event_count == 0) continue;
      auto [it, inserted] = group_ids.emplace(truth.at(user).get<std::string>(), static_cast<int>(group_ids.size()));
      found.push_back(segment);
      expected.push_back(it->second);
    }
    return adjusted_rand_index(found, expected);
  }

  static testing_util::TempStore* temp_;
  static ProfileSet* profiles_;
};

testing_util::TempStore* DemoTest::temp_ = nullptr;
ProfileSet* DemoTest::profiles_ = nullptr;

TEST_F(DemoTest, ProfilesMatchTheDemoCounts) {
  EXPECT_EQ(profiles_->users.size(), 1250u);
  EXPECT_EQ(profiles_->categories.size(), 14u);
  EXPECT_EQ(format_timestamp(profiles_->now).substr(0, 10), "2026-10-31");  // the newest event
  std::size_t active = 0;
  double events = 0, purchases = 0;
  for (const auto& user : profiles_->users) {
    active += user.event_count > 0;
    events += *user.feature("frequency");
    purchases += *user.feature("purchases");
    if (user.event_count == 0) continue;
    double affinity = 0;
    for (const auto& category : profiles_->categories) affinity += *user.feature("affinity." + category);
    // Shares of the positive net weight; 0 everywhere when dislikes outweigh
    // every category the user touched.
    if (affinity != 0) EXPECT_NEAR(affinity, 1.0, 1e-9) << user.user_id;
    else EXPECT_GT(*user.feature("dislike_share"), 0.0) << user.user_id;
  }
  EXPECT_EQ(active, 1187u);
  EXPECT_EQ(events, 39590);
  EXPECT_EQ(purchases, 1616);
}

TEST_F(DemoTest, DefaultLabelsFire) {
  auto rules = RuleSet::defaults();
  std::map<std::string, std::size_t> counts;
  for (const auto& user : profiles_->users)
    for (const auto& label : rules.labels_for(user)) counts[label] += 1;
  for (const auto& label : rules.labels()) std::printf("[ label ] %-20s %zu\n", label.c_str(), counts[label]);
  EXPECT_GT(counts["active"], 0u);
  EXPECT_GT(counts["稳健型投资者"], 0u);
  EXPECT_GT(counts["low-value"] + counts["mid-value"] + counts["high-value"], 0u);
}

TEST_F(DemoTest, SegmentsRecoverTasteGroups) {
  const double start = monotonic_seconds();
  auto result = compute_segments(*profiles_);
  const double seconds = monotonic_seconds() - start;
  const double score = ari(result);
  std::printf("[ demo  ] k = %d, silhouette = %.4f, ARI vs truth = %.4f (%.2fs)\n", result.k, result.silhouette,
              score, seconds);
  for (const auto& [k, s] : result.silhouette_by_k) std::printf("[ demo  ]   k = %2d silhouette %.4f\n", k, s);
  for (const auto& s : result.segments)
    std::printf("[ demo  ]   %2d %5zu %-26s %s\n", s.id, s.size, s.name.c_str(), s.description.c_str());
  EXPECT_GE(score, 0.6);
  ASSERT_FALSE(result.segments.empty());
  EXPECT_TRUE(result.segments.back().no_activity);
  EXPECT_EQ(result.segments.back().size, 63u);
  EXPECT_EQ(result.segments.back().id, result.k);
  EXPECT_EQ(result.assignment.size(), 1250u);
}

TEST_F(DemoTest, SameSeedSameSegmentsAndArtifactRoundTrips) {
  SegmentOptions options;
  options.k = 10;
  options.seed = 5;
  options.threads = 1;
  auto a = compute_segments(*profiles_, options);
  options.threads = 2;
  auto b = compute_segments(*profiles_, options);
  EXPECT_EQ(a.assignment, b.assignment);
  EXPECT_EQ(segments_json(a, true), segments_json(b, true));
  EXPECT_EQ(a.k, 10);
  std::printf("[ demo  ] k = 10 (fixed): ARI vs truth = %.4f\n", ari(a));

  auto writer = temp_->store().begin_write();
  writer->put_artifact(kSegmentsArtifact, segments_json(a, true).dump());
  writer->commit();
  auto back = segments_from_json(Json::parse(*temp_->store().get_artifact(kSegmentsArtifact)));
  EXPECT_EQ(back.assignment.size(), a.assignment.size());
  EXPECT_EQ(segments_json(back, true), segments_json(a, true));
  EXPECT_EQ(back.segment_of("u-0001"), a.segment_of("u-0001"));
  EXPECT_THROW(segments_from_json(Json{{"format", "other"}}), Error);
  EXPECT_THROW(segments_from_json(Json{{"format", "tailor-segments"}, {"version", 99}}), Error);
}

}  // namespace
}  // namespace tailor::profile
