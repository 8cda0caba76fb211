// Assignment: uniform (χ² over many ids), sticky (a pure function of the
// stored definition and the id: the same on every call and after a
// definition round-trips through JSON), layers (two experiments of one layer
// never share a user; different layers are independent), traffic share; and
// team-draft interleaving.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tailor/core/core.h"
#include "tailor/experiment/experiment.h"

namespace tailor::experiment {
namespace {

Definition two_way(const std::string& id, double traffic = 1) {
  return definition_from_json({{"id", id},
                               {"traffic", traffic},
                               {"variants", {{{"name", "control"}}, {{"name", "treatment"}}}}});
}

TEST(Assignment, UniformOverManyIds) {
  // 100 layer buckets' worth of ids into 100 bins: χ² with 99 df must not be extreme.
  constexpr int kBins = 100, kIds = 200000;
  std::vector<double> counts(kBins, 0), expected(kBins, 1.0);
  for (int idx = 0; idx < kIds; ++idx) counts[layer_bucket("layer-a", "user-" + std::to_string(idx)) % kBins] += 1;
  const double p = srm_p_value(counts, expected);
  EXPECT_GT(p, 0.001) << "layer buckets are not uniform";
  // The variant split of a 3-way experiment with weights 1:1:2.
  auto d = definition_from_json({{"id", "w"}, {"variants", {{{"name", "a"}}, {{"name", "b"}}, {{"name", "c"}, {"weight", 2}}}}});
  d.bucket_start = 0, d.bucket_end = kLayerBuckets;
  std::vector<double> split(3, 0);
  for (int idx = 0; idx < kIds; ++idx) split[*assign_variant(d, "u" + std::to_string(idx))] += 1;
  EXPECT_GT(srm_p_value(split, {1, 1, 2}), 0.001);
  EXPECT_NEAR(split[2] / kIds, 0.5, 0.01);
  // Control: a hash that used only the id length would fail the same check.
  std::vector<double> bad(kBins, 0);
  for (int idx = 0; idx < kIds; ++idx) bad[std::to_string(idx).size() % kBins] += 1;
  EXPECT_LT(srm_p_value(bad, expected), 1e-10);
}

TEST(Assignment, StickyAndPinnedHash) {
  // The hash is part of the stored contract: changing it would reshuffle every running experiment.
  EXPECT_EQ(stable_hash(""), stable_hash(""));
  EXPECT_NE(stable_hash("a"), stable_hash("b"));
  const std::uint64_t pinned = stable_hash("tailor");
  EXPECT_EQ(stable_hash("tailor"), pinned);
  auto d = two_way("sticky");
  d.bucket_end = kLayerBuckets;
  const auto round_trip = definition_from_json(definition_to_json(d));
  Definition stored = round_trip;
  stored.bucket_start = d.bucket_start, stored.bucket_end = d.bucket_end;
  for (int idx = 0; idx < 1000; ++idx) {
    const std::string user = "用户-" + std::to_string(idx);
    EXPECT_EQ(assign_variant(d, user), assign_variant(stored, user));
    EXPECT_EQ(assign_variant(d, user), assign_variant(d, user));
  }
  // A new salt re-randomises: about half the users change variant.
  Definition resalted = d;
  resalted.salt = "sticky-2";
  int changed = 0;
  for (int idx = 0; idx < 4000; ++idx)
    changed += assign_variant(d, "u" + std::to_string(idx)) != assign_variant(resalted, "u" + std::to_string(idx));
  EXPECT_NEAR(changed / 4000.0, 0.5, 0.05);
}

TEST(Assignment, LayersAndTraffic) {
  auto a = two_way("a", 0.3), b = two_way("b", 0.5), other = two_way("c", 1.0);
  a.layer = b.layer = "ranking";
  a.bucket_start = 0, a.bucket_end = 3000;
  b.bucket_start = 3000, b.bucket_end = 8000;
  other.layer = "copy";
  other.bucket_start = 0, other.bucket_end = kLayerBuckets;
  int in_a = 0, in_b = 0, both = 0, in_other_given_a = 0;
  constexpr int kIds = 50000;
  for (int idx = 0; idx < kIds; ++idx) {
    const std::string user = "u" + std::to_string(idx);
    const bool ia = assign_variant(a, user).has_value(), ib = assign_variant(b, user).has_value();
    in_a += ia, in_b += ib, both += ia && ib;
    if (ia) in_other_given_a += assign_variant(other, user).value() == 1;
  }
  EXPECT_EQ(both, 0) << "one layer's experiments must never share a user";
  EXPECT_NEAR(in_a / double(kIds), 0.3, 0.01);
  EXPECT_NEAR(in_b / double(kIds), 0.5, 0.01);
  // Another layer is independent: half of a's users are in the other experiment's treatment.
  EXPECT_NEAR(in_other_given_a / double(in_a), 0.5, 0.02);
}

TEST(Definition, ValidationNamesTheField) {
  const auto expect_field = [](nlohmann::json body, const std::string& field) {
    try {
      definition_from_json(body);
      ADD_FAILURE() << "accepted: " << body.dump();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  const nlohmann::json ok = {{"id", "x"}, {"variants", {{{"name", "a"}}, {{"name", "b"}}}}};
  EXPECT_NO_THROW(definition_from_json(ok));
  auto bad = ok;
  bad["id"] = "Bad Id";
  expect_field(bad, "id");
  bad = ok;
  bad["variants"][1]["model"] = "no-such-model";
  expect_field(bad, "variants[1].model");
  bad = ok;
  bad["traffic"] = 1.5;
  expect_field(bad, "traffic");
  bad = ok;
  bad["primary_metric"] = "happiness";
  expect_field(bad, "metric");
  bad = ok;
  bad["variants"] = {{{"name", "a"}}};
  expect_field(bad, "variants");
  bad = ok;
  bad["mode"] = "interleave";
  bad["variants"].push_back({{"name", "c"}});
  expect_field(bad, "variants");
  bad = ok;
  bad["surprise"] = 1;
  expect_field(bad, "surprise");
  bad = ok;
  bad["variants"][0]["diversity"] = 2;
  expect_field(bad, "variants[0].diversity");
}

TEST(Interleaving, TeamDraftProperties) {
  const std::vector<std::string> a = {"1", "2", "3", "4", "5"}, b = {"3", "6", "1", "7", "8"};
  int a_first = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const auto r = team_draft_interleave(a, b, 6, seed);
    ASSERT_EQ(r.items.size(), 6u);
    std::set<std::string> unique(r.items.begin(), r.items.end());
    EXPECT_EQ(unique.size(), 6u) << "no item twice";
    int picks[2] = {0, 0};
    for (std::size_t pos = 0; pos < r.items.size(); ++pos) {
      ++picks[r.teams[pos]];
      // Each team's picks appear in that team's own ranking order.
      const auto& own = r.teams[pos] == 0 ? a : b;
      EXPECT_NE(std::find(own.begin(), own.end(), r.items[pos]), own.end());
      EXPECT_LE(std::abs(picks[0] - picks[1]), 1) << "teams alternate within one pick";
    }
    a_first += r.teams[0] == 0;
    EXPECT_EQ(r.items, team_draft_interleave(a, b, 6, seed).items) << "deterministic per seed";
  }
  EXPECT_NEAR(a_first / 200.0, 0.5, 0.12) << "the coin is fair";
  // Identical rankings: the merged list is that ranking.
  EXPECT_EQ(team_draft_interleave(a, a, 5, 7).items, a);
}

TEST(ExposureId, RoundTrip) {
  const std::string id = make_exposure_id("exp-1", 3, 1700000000);
  const auto parsed = parse_exposure_id(id);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "exp-1");
  EXPECT_EQ(parsed->second, 3u);
  EXPECT_NE(id, make_exposure_id("exp-1", 3, 1700000000)) << "ids are unique";
  EXPECT_FALSE(parse_exposure_id("garbage"));
  EXPECT_FALSE(parse_exposure_id("a.x.1.2"));
  EXPECT_FALSE(parse_exposure_id(""));
}

}  // namespace
}  // namespace tailor::experiment
