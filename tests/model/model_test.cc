// Model component tests: TopK, io helpers, parameter checking, and the
// Recommender contract suite run against every registered model, on a
// checkerboard dataset with known answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "tailor/model/model.h"

namespace tailor::model {
namespace {

using dataset::Interaction;

// Checkerboard: users 0..9 consume only items 0..9 (group A), users 10..19
// only items 10..19 (group B). A user with local index a takes the group's
// items with local index b where (a + b) % 3 != 0, so every user has unseen
// items in their own group. Ratings 1..5 vary with (a, b) for the rating
// model; timestamps increase.
Dataset checkerboard() {
  std::vector<Interaction> xs;
  for (std::uint32_t group = 0; group < 2; ++group) {
    for (std::uint32_t local_user = 0; local_user < 10; ++local_user) {
      for (std::uint32_t local_item = 0; local_item < 10; ++local_item) {
        if ((local_user + local_item) % 3 == 0) continue;
        Interaction x;
        x.user = group * 10 + local_user;
        x.item = group * 10 + local_item;
        x.weight = 1.0f + static_cast<float>(local_item % 2);
        x.timestamp = 1000 + local_user * 10 + local_item;
        x.rating = static_cast<float>(1 + (local_user * 7 + local_item * 3) % 5);
        xs.push_back(x);
      }
    }
  }
  return dataset::make_dataset(20, 20, xs);
}

std::uint32_t group_of(std::uint32_t idx) { return idx / 10; }

FitOptions fit_options(int threads = 2) {
  FitOptions o;
  o.threads = threads;
  return o;
}

std::unique_ptr<Recommender> fitted(const std::string& name, const Dataset& d, int threads = 2) {
  auto m = create_model(name);
  m->fit(d, d.interactions, fit_options(threads));
  return m;
}

void expect_error(ErrorCode code, const std::function<void()>& fn, const std::string& mentions = "") {
  try {
    fn();
    ADD_FAILURE() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    if (!mentions.empty()) {
      EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
    }
  }
}

bool same(const std::vector<ScoredItem>& a, const std::vector<ScoredItem>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t pos = 0; pos < a.size(); ++pos)
    if (a[pos].item != b[pos].item || a[pos].score != b[pos].score) return false;
  return true;
}

// ------------------------------------------------------------------ TopK ---

TEST(TopK, KeepsBestWithDeterministicTies) {
  TopK top(3);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  top.push(5, 1.0f);
  top.push(2, 3.0f);
  top.push(9, nan);
  top.push(7, 3.0f);
  top.push(1, -inf);
  top.push(4, 1.0f);  // ties with item 5 at 1.0: smaller index wins
  top.push(6, 0.5f);
  auto out = top.take();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].item, 2u);
  EXPECT_EQ(out[1].item, 7u);
  EXPECT_EQ(out[2].item, 4u);
  TopK none(0);
  none.push(1, 1.0f);
  EXPECT_TRUE(none.take().empty());
  TopK only_bad(4);
  only_bad.push(1, -inf);
  only_bad.push(2, nan);
  EXPECT_TRUE(only_bad.take().empty());
}

TEST(TopK, MatchesFullSort) {
  dataset::Rng rng(5);
  std::vector<ScoredItem> all;
  TopK top(17);
  for (std::uint32_t item_idx = 0; item_idx < 500; ++item_idx) {
    float s = static_cast<float>(rng.below(50));  // many ties
    all.push_back({item_idx, s});
    top.push(item_idx, s);
  }
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.score != b.score ? a.score > b.score : a.item < b.item; });
  all.resize(17);
  EXPECT_TRUE(same(top.take(), all));
}

// -------------------------------------------------------------------- io ---

TEST(Io, RoundTripAndTruncation) {
  std::ostringstream out(std::ios::binary);
  io::write_u32(out, 0xDEADBEEF);
  io::write_u64(out, 1ull << 40);
  io::write_f32(out, 1.5f);
  io::write_f64(out, -2.25);
  io::write_string(out, "héllo");
  std::vector<float> floats = {1, 2, 3};
  io::write_floats(out, floats);
  std::vector<std::uint32_t> u32s = {7, 8};
  io::write_u32s(out, u32s);
  std::vector<Interaction> xs = {{0, 1, 2.0f}, {1, 0, 3.0f}};
  io::write_csr(out, dataset::build_csr(xs, 2, 2));
  const std::string bytes = out.str();

  std::istringstream in(bytes, std::ios::binary);
  EXPECT_EQ(io::read_u32(in), 0xDEADBEEFu);
  EXPECT_EQ(io::read_u64(in), 1ull << 40);
  EXPECT_EQ(io::read_f32(in), 1.5f);
  EXPECT_EQ(io::read_f64(in), -2.25);
  EXPECT_EQ(io::read_string(in), "héllo");
  EXPECT_EQ(io::read_floats(in), floats);
  EXPECT_EQ(io::read_u32s(in), u32s);
  auto m = io::read_csr(in);
  EXPECT_EQ(m.at(1, 0), 3.0f);

  // Little-endian on the wire.
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0xEF);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    std::istringstream part(bytes.substr(0, cut), std::ios::binary);
    expect_error(ErrorCode::kCorruption, [&] {
      io::read_u32(part);
      io::read_u64(part);
      io::read_f32(part);
      io::read_f64(part);
      io::read_string(part);
      io::read_floats(part);
      io::read_u32s(part);
      io::read_csr(part);
    });
  }
}

TEST(Io, HugeLengthPrefixFailsAsTruncation) {
  std::ostringstream out(std::ios::binary);
  io::write_u64(out, 1ull << 60);  // a corrupt length: must not allocate it
  std::istringstream in(out.str(), std::ios::binary);
  expect_error(ErrorCode::kCorruption, [&] { io::read_floats(in); });
}

// -------------------------------------------------------------- registry ---

TEST(Registry, NamesAndParams) {
  auto names = model_names();
  // Every model the issues promise is registered, each name once, and each
  // creates a model reporting that name.
  for (const char* expected : {"popular", "itemknn", "userknn", "baseline", "als", "bpr", "ease", "rp3beta", "svd",
                               "svdpp", "bm25", "hybrid", "sasrec", "twotower"})
    EXPECT_EQ(std::count(names.begin(), names.end(), expected), 1) << expected;
  for (const auto& name : names) EXPECT_EQ(create_model(name)->name(), name);
  expect_error(ErrorCode::kInvalidArgument, [] { create_model("nope"); }, "nope");
  expect_error(ErrorCode::kInvalidArgument, [] { create_model("itemknn", Params{{"neighbors", 0}}); }, "neighbors");
  expect_error(ErrorCode::kInvalidArgument, [] { create_model("itemknn", Params{{"neighbors", 2.5}}); }, "neighbors");
  expect_error(ErrorCode::kInvalidArgument, [] { create_model("itemknn", Params{{"shrink", "x"}}); }, "shrink");
  expect_error(ErrorCode::kInvalidArgument, [] { create_model("popular", Params{{"weighted", 1}}); }, "weighted");
  expect_error(ErrorCode::kInvalidArgument, [] { create_model("baseline", Params::array()); });
  auto knn = create_model("itemknn", Params{{"neighbors", 20}});
  EXPECT_EQ(knn->params()["neighbors"], 20);
  EXPECT_EQ(knn->params()["shrink"], 10.0);  // default filled in
  for (const auto& name : names) {
    auto specs = model_param_specs(name);
    auto defaults = create_model(name)->params();
    EXPECT_EQ(defaults.size(), specs.size()) << name;
    for (const auto& spec : specs) {
      EXPECT_TRUE(defaults.contains(spec.name)) << name << "." << spec.name;
      EXPECT_FALSE(spec.doc.empty());
    }
  }
}

// ---------------------------------------------------- known answers ------

TEST(KnownAnswer, NeighbourhoodModelsStayInTheUsersGroup) {
  Dataset d = checkerboard();
  for (const std::string name : {"itemknn", "userknn"}) {
    auto m = fitted(name, d);
    for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx) {
      RecommendOptions o;
      o.n = 20;
      auto recs = m->recommend(user_idx, o);
      EXPECT_FALSE(recs.empty()) << name << " user " << user_idx;
      for (const auto& r : recs) EXPECT_EQ(group_of(r.item), group_of(user_idx)) << name << " user " << user_idx;
    }
    // A history-only query inside group B gets group-B items.
    std::vector<std::uint32_t> history = {11, 12, 14};
    RecommendOptions o;
    o.n = 20;
    auto recs = m->recommend_history(history, {}, o);
    EXPECT_FALSE(recs.empty()) << name;
    for (const auto& r : recs) {
      EXPECT_EQ(group_of(r.item), 1u) << name;
      EXPECT_EQ(std::count(history.begin(), history.end(), r.item), 0) << name;
    }
    // Similar items stay in the group too.
    for (const auto& s : m->similar_items(3, 10)) EXPECT_EQ(group_of(s.item), 0u) << name;
  }
}

TEST(KnownAnswer, PopularReturnsTheMostPopularUnseenItem) {
  Dataset d = checkerboard();
  auto m = fitted("popular", d);
  auto ui = d.user_items();
  std::vector<int> pop(d.item_count(), 0);
  for (const auto& x : d.interactions) ++pop[x.item];
  for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx) {
    int best = -1;
    std::uint32_t best_item = 0;
    for (std::uint32_t item_idx = 0; item_idx < d.item_count(); ++item_idx) {
      if (ui.at(user_idx, item_idx)) continue;
      if (pop[item_idx] > best) {
        best = pop[item_idx];
        best_item = item_idx;
      }
    }
    RecommendOptions o;
    o.n = 1;
    auto recs = m->recommend(user_idx, o);
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].item, best_item);
    EXPECT_EQ(recs[0].score, static_cast<float>(best));
  }
}

TEST(KnownAnswer, PopularWindowAndWeights) {
  // Item 0: two old interactions; item 1: one recent one of weight 3.
  std::vector<Interaction> xs = {{0, 0, 1.0f, 0}, {1, 0, 1.0f, 0}, {2, 1, 3.0f, 10 * 86400}};
  Dataset d = dataset::make_dataset(4, 3, xs);
  auto all = create_model("popular");
  all->fit(d, d.interactions, fit_options());
  RecommendOptions o;
  auto recs = all->recommend(3, o);
  ASSERT_EQ(recs.size(), 2u);  // item 2 never seen: -inf, never recommended
  EXPECT_EQ(recs[0].item, 0u);
  auto weighted = create_model("popular", Params{{"weighted", true}});
  weighted->fit(d, d.interactions, fit_options());
  EXPECT_EQ(weighted->recommend(3, o)[0].item, 1u);
  EXPECT_EQ(weighted->recommend(3, o)[0].score, 3.0f);
  auto window = create_model("popular", Params{{"window_days", 5}});
  window->fit(d, d.interactions, fit_options());
  recs = window->recommend(3, o);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].item, 1u);
}

TEST(KnownAnswer, ItemKnnSimilarityArithmetic) {
  // Users x items (binary):   u0: {0, 1}   u1: {0, 1, 2}   u2: {2}
  // ‖r_0‖ = √2, ‖r_1‖ = √2, ‖r_2‖ = √2; r_0·r_1 = 2, r_0·r_2 = 1, r_1·r_2 = 1.
  // shrink 1: sim(0,1) = 2 / (2 + 1) = 2/3, sim(0,2) = sim(1,2) = 1 / 3.
  std::vector<Interaction> xs = {{0, 0, 1}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}, {1, 2, 1}, {2, 2, 1}};
  Dataset d = dataset::make_dataset(3, 3, xs);
  auto m = create_model("itemknn", Params{{"shrink", 1.0}});
  m->fit(d, d.interactions, fit_options());
  auto sim = m->similar_items(0, 5);
  ASSERT_EQ(sim.size(), 2u);
  EXPECT_EQ(sim[0].item, 1u);
  EXPECT_NEAR(sim[0].score, 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(sim[1].score, 1.0 / 3.0, 1e-6);
  // u2 has {2}: score(0) = sim(2,0) = 1/3, score(1) = 1/3 -> tie, item 0 first.
  auto recs = m->recommend(2, RecommendOptions{});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].item, 0u);
  EXPECT_NEAR(recs[0].score, 1.0 / 3.0, 1e-6);
}

TEST(KnownAnswer, BaselineMatchesHandComputedAls) {
  // Ratings: u0: i0 = 5, i1 = 3; u1: i0 = 4.  μ = 4. reg_u = reg_i = 1, 1 epoch.
  //   b_i0 = ((5-4-0) + (4-4-0)) / (1 + 2) = 1/3;  b_i1 = (3-4) / (1 + 1) = -1/2
  //   b_u0 = ((5-4-1/3) + (3-4+1/2)) / (1 + 2) = (2/3 - 1/2) / 3 = 1/18
  //   b_u1 = (4-4-1/3) / (1 + 1) = -1/6
  // predict(u1, i1) = 4 - 1/6 - 1/2 = 10/3; predict clips to [3, 5].
  std::vector<Interaction> xs = {{0, 0, 1, 0, 5.0f}, {0, 1, 1, 0, 3.0f}, {1, 0, 1, 0, 4.0f}, {1, 2, 1, 0, std::nullopt}};
  Dataset d = dataset::make_dataset(2, 3, xs);
  auto m = create_model("baseline", Params{{"reg_u", 1}, {"reg_i", 1}, {"epochs", 1}});
  m->fit(d, d.interactions, fit_options());
  ASSERT_TRUE(m->predicts_ratings());
  EXPECT_NEAR(*m->predict(1, 1), 10.0 / 3.0, 1e-5);
  EXPECT_NEAR(*m->predict(0, 0), 4 + 1.0 / 18 + 1.0 / 3, 1e-5);
  EXPECT_NEAR(*m->predict(1, 2), 4 - 1.0 / 6, 1e-5);  // unrated item: b_i = 0
  // Ranking: item 2 has no rating -> -inf; item 0 (b = 1/3) before item 1.
  RecommendOptions o;
  o.exclude_seen = false;
  auto recs = m->recommend(1, o);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].item, 0u);
}

TEST(KnownAnswer, KnnIsIdenticalForAnyThreadCount) {
  Dataset d = checkerboard();
  for (const std::string name : {"itemknn", "userknn"}) {
    auto one = fitted(name, d, 1);
    auto many = fitted(name, d, 4);
    EXPECT_EQ(one->save_bytes(), many->save_bytes()) << name;
  }
}

// ------------------------------------------------------- contract suite ---

class Contract : public ::testing::TestWithParam<std::string> {
 protected:
  Dataset data_ = checkerboard();
};

TEST_P(Contract, RecommendReturnsAtMostNDistinctItemsSortedByScore) {
  auto m = fitted(GetParam(), data_);
  for (std::size_t n : {0, 1, 3, 50}) {
    for (std::uint32_t user_idx = 0; user_idx < data_.user_count(); ++user_idx) {
      RecommendOptions o;
      o.n = n;
      auto recs = m->recommend(user_idx, o);
      EXPECT_LE(recs.size(), n);
      std::set<std::uint32_t> distinct;
      for (std::size_t pos = 0; pos < recs.size(); ++pos) {
        distinct.insert(recs[pos].item);
        EXPECT_TRUE(std::isfinite(recs[pos].score));
        if (pos > 0) {
          EXPECT_TRUE(recs[pos - 1].score > recs[pos].score ||
                      (recs[pos - 1].score == recs[pos].score && recs[pos - 1].item < recs[pos].item));
        }
      }
      EXPECT_EQ(distinct.size(), recs.size());
    }
  }
  expect_error(ErrorCode::kInvalidArgument, [&] { m->recommend(data_.user_count(), RecommendOptions{}); });
}

TEST_P(Contract, ExcludesSeenByDefaultAndIncludesThemWhenAsked) {
  auto m = fitted(GetParam(), data_);
  auto ui = data_.user_items();
  bool any_seen_when_asked = false;
  for (std::uint32_t user_idx = 0; user_idx < data_.user_count(); ++user_idx) {
    RecommendOptions o;
    o.n = data_.item_count();
    for (const auto& r : m->recommend(user_idx, o)) EXPECT_FALSE(ui.at(user_idx, r.item).has_value());
    o.exclude_seen = false;
    for (const auto& r : m->recommend(user_idx, o)) any_seen_when_asked |= ui.at(user_idx, r.item).has_value();
  }
  EXPECT_TRUE(any_seen_when_asked);
}

TEST_P(Contract, HonoursHiddenUnavailableExcludeAndFilter) {
  auto base = fitted(GetParam(), data_);
  const std::uint32_t user = 4;
  RecommendOptions o;
  o.n = 5;
  auto recs = base->recommend(user, o);
  ASSERT_GE(recs.size(), 2u);
  const std::uint32_t top = recs[0].item;

  Dataset hidden = data_;
  hidden.item_meta[top].hidden = true;
  auto m = create_model(GetParam());
  m->fit(hidden, hidden.interactions, fit_options());
  for (const auto& r : m->recommend(user, o)) EXPECT_NE(r.item, top);
  RecommendOptions show_hidden = o;
  show_hidden.exclude_hidden = false;
  EXPECT_EQ(m->recommend(user, show_hidden)[0].item, top);

  Dataset gone = data_;
  gone.item_meta[top].available = false;
  m->fit(gone, gone.interactions, fit_options());
  for (const auto& r : m->recommend(user, o)) EXPECT_NE(r.item, top);
  RecommendOptions show_unavailable = o;
  show_unavailable.exclude_unavailable = false;
  EXPECT_EQ(m->recommend(user, show_unavailable)[0].item, top);

  RecommendOptions exclude = o;
  exclude.exclude = {recs[1].item, top};
  for (const auto& r : base->recommend(user, exclude)) {
    EXPECT_NE(r.item, top);
    EXPECT_NE(r.item, recs[1].item);
  }
  RecommendOptions filtered = o;
  filtered.n = 20;
  filtered.filter = [](std::uint32_t item) { return item % 2 == 1; };
  auto odd = base->recommend(user, filtered);
  for (const auto& r : odd) EXPECT_EQ(r.item % 2, 1u);
}

TEST_P(Contract, SimilarItemsNeverReturnTheItemItself) {
  auto m = fitted(GetParam(), data_);
  for (std::uint32_t item_idx = 0; item_idx < data_.item_count(); ++item_idx) {
    auto sims = m->similar_items(item_idx, 5);
    EXPECT_LE(sims.size(), 5u);
    for (const auto& s : sims) EXPECT_NE(s.item, item_idx);
  }
  expect_error(ErrorCode::kInvalidArgument, [&] { m->similar_items(data_.item_count(), 5); });
}

TEST_P(Contract, SaveLoadRoundTripGivesIdenticalAnswers) {
  auto m = fitted(GetParam(), data_);
  auto loaded = load_model_bytes(m->save_bytes());
  EXPECT_EQ(loaded->name(), m->name());
  EXPECT_EQ(loaded->params(), m->params());
  EXPECT_EQ(loaded->user_count(), m->user_count());
  EXPECT_EQ(loaded->item_ids().ids(), m->item_ids().ids());
  RecommendOptions o;
  o.n = 8;
  for (std::uint32_t user_idx = 0; user_idx < data_.user_count(); ++user_idx) {
    EXPECT_TRUE(same(m->recommend(user_idx, o), loaded->recommend(user_idx, o)));
    for (std::uint32_t item_idx = 0; item_idx < data_.item_count(); item_idx += 3)
      EXPECT_EQ(m->predict(user_idx, item_idx), loaded->predict(user_idx, item_idx));
  }
  std::vector<std::uint32_t> history = {1, 2, 15};
  std::vector<float> weights = {1.0f, 2.0f, 0.5f};
  EXPECT_TRUE(same(m->recommend_history(history, weights, o), loaded->recommend_history(history, weights, o)));
  for (std::uint32_t item_idx = 0; item_idx < data_.item_count(); ++item_idx)
    EXPECT_TRUE(same(m->similar_items(item_idx, 4), loaded->similar_items(item_idx, 4)));
  EXPECT_EQ(loaded->save_bytes(), m->save_bytes());

  // Through a file as well.
  const std::string path = ::testing::TempDir() + "/tailor_model_" + GetParam() + ".tlrm";
  m->save_file(path);
  EXPECT_EQ(load_model_file(path)->save_bytes(), m->save_bytes());
  std::remove(path.c_str());
  expect_error(ErrorCode::kNotFound, [&] { load_model_file(path); });
}

TEST_P(Contract, SameSeedSameResults) {
  auto a = fitted(GetParam(), data_);
  auto b = fitted(GetParam(), data_);
  EXPECT_EQ(a->save_bytes(), b->save_bytes());
}

TEST_P(Contract, DegenerateDatasetsDoNotCrash) {
  RecommendOptions o;
  // Users and items but no training interactions.
  Dataset empty = dataset::make_dataset(3, 4, {});
  auto m = create_model(GetParam());
  m->fit(empty, empty.interactions, fit_options());
  for (std::uint32_t user_idx = 0; user_idx < 3; ++user_idx) EXPECT_LE(m->recommend(user_idx, o).size(), 10u);
  EXPECT_LE(m->recommend_history(std::vector<std::uint32_t>{1}, {}, o).size(), 10u);
  EXPECT_LE(m->similar_items(0, 3).size(), 3u);
  EXPECT_EQ(load_model_bytes(m->save_bytes())->item_count(), 4u);
  // Nothing at all.
  Dataset nothing = dataset::make_dataset(0, 0, {});
  m->fit(nothing, nothing.interactions, fit_options());
  EXPECT_TRUE(m->recommend_history({}, {}, o).empty());
  EXPECT_EQ(load_model_bytes(m->save_bytes())->user_count(), 0u);
  // One user.
  std::vector<Interaction> one_user = {{0, 0, 1, 1, 4.0f}, {0, 2, 1, 2, 3.0f}};
  Dataset single_user = dataset::make_dataset(1, 3, one_user);
  m->fit(single_user, single_user.interactions, fit_options());
  EXPECT_LE(m->recommend(0, o).size(), 1u);  // only item 1 is unseen
  // One item.
  std::vector<Interaction> one_item = {{0, 0, 1, 1, 4.0f}, {1, 0, 1, 2, 2.0f}};
  Dataset single_item = dataset::make_dataset(2, 1, one_item);
  m->fit(single_item, single_item.interactions, fit_options());
  EXPECT_TRUE(m->recommend(0, o).empty());
  EXPECT_TRUE(m->similar_items(0, 5).empty());
  o.exclude_seen = false;
  EXPECT_LE(m->recommend(1, o).size(), 1u);
}

TEST_P(Contract, UnknownParamIsInvalidArgumentNamingTheKey) {
  expect_error(ErrorCode::kInvalidArgument, [&] { create_model(GetParam(), Params{{"no_such_knob", 1}}); },
               "no_such_knob");
}

TEST_P(Contract, CorruptOrTruncatedFileIsCorruption) {
  auto m = fitted(GetParam(), data_);
  const std::string bytes = m->save_bytes();
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  expect_error(ErrorCode::kCorruption, [&] { load_model_bytes(bad_magic); }, "magic");
  std::string future = bytes;
  future[4] = static_cast<char>(kModelFormatVersion + 1);
  expect_error(ErrorCode::kCorruption, [&] { load_model_bytes(future); }, "version");
  std::string zero = bytes;
  zero[4] = 0;
  expect_error(ErrorCode::kCorruption, [&] { load_model_bytes(zero); }, "version");
  // Every cut of the header and the last 4 KiB; in between (the deep models'
  // weights run to hundreds of KiB, and every cut re-reads the file) a cut
  // every 61 bytes, which still lands inside every array and length prefix.
  for (std::size_t cut = 0; cut < bytes.size(); cut += (cut < 4096 || cut + 4096 >= bytes.size()) ? 1 : 61)
    expect_error(ErrorCode::kCorruption, [&] { load_model_bytes(bytes.substr(0, cut)); });
  std::string unknown_model = bytes;
  // The name follows magic + version + u64 length: overwrite its first letter.
  unknown_model[16] = 'Z';
  expect_error(ErrorCode::kCorruption, [&] { load_model_bytes(unknown_model); });
}

INSTANTIATE_TEST_SUITE_P(AllModels, Contract, ::testing::ValuesIn(model_names()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace tailor::model
