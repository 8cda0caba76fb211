// Tests of the dataset component: id maps, CSR, make_dataset, snapshot
// arithmetic (through an in-memory fake Store) and the splitters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <tuple>

#include "fake_store.h"
#include "tailor/dataset/dataset.h"
#include "tailor/store/store.h"

namespace tailor::dataset {
namespace {

using Key = std::tuple<std::uint32_t, std::uint32_t>;

std::multiset<Key> keys(const std::vector<Interaction>& xs) {
  std::multiset<Key> out;
  for (const auto& x : xs) out.insert({x.user, x.item});
  return out;
}

// 60 users with 1..30 interactions on 200 items at pseudo-random distinct times.
Dataset synthetic(std::uint64_t seed = 7) {
  Rng rng(seed);
  std::vector<Interaction> xs;
  for (std::uint32_t user_idx = 0; user_idx < 60; ++user_idx) {
    const std::uint32_t n = 1 + user_idx % 30;
    std::set<std::uint32_t> items;
    while (items.size() < n) items.insert(static_cast<std::uint32_t>(rng.below(200)));
    for (std::uint32_t item_idx : items) {
      Interaction x;
      x.user = user_idx;
      x.item = item_idx;
      x.weight = 1;
      x.timestamp = static_cast<Timestamp>(1'000'000 + rng.below(1'000'000));
      x.rating = static_cast<float>(1 + rng.below(5));
      xs.push_back(x);
    }
  }
  return make_dataset(60, 200, xs);
}

// --------------------------------------------------------------- Rng ----

TEST(Rng, SplitMix64ReferenceValues) {
  // splitmix64 seeded with 0: the reference sequence of Vigna's splitmix64.c.
  Rng rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(rng.next(), 0x06C45D188009454Full);
}

TEST(Rng, BelowAndUniformStayInRange) {
  Rng rng(123);
  std::vector<int> counts(7, 0);
  for (int draw = 0; draw < 7000; ++draw) {
    std::uint64_t v = rng.below(7);
    ASSERT_LT(v, 7u);
    ++counts[v];
    double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
  for (int c : counts) EXPECT_GT(c, 800);  // ~1000 each
}

// ---------------------------------------------------------- IdMap / CSR ---

TEST(IdMap, AddFindStable) {
  IdMap ids;
  EXPECT_EQ(ids.add("b"), 0u);
  EXPECT_EQ(ids.add("a"), 1u);
  EXPECT_EQ(ids.add("b"), 0u);
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids.id(1), "a");
  EXPECT_EQ(ids.find("a"), 1u);
  EXPECT_FALSE(ids.find("c").has_value());
}

TEST(Csr, BuildSumsDuplicatesAndSortsColumns) {
  std::vector<Interaction> xs = {{0, 2, 1.0f}, {0, 0, 2.0f}, {1, 1, 3.0f}, {0, 2, 0.5f}, {2, 0, 4.0f}};
  CsrMatrix m = build_csr(xs, 3, 3);
  EXPECT_EQ(m.rows, 3u);
  EXPECT_EQ(m.cols, 3u);
  EXPECT_EQ(m.nnz(), 4u);
  EXPECT_EQ(m.indptr, (std::vector<std::uint64_t>{0, 2, 3, 4}));
  EXPECT_EQ(m.indices, (std::vector<std::uint32_t>{0, 2, 1, 0}));
  EXPECT_EQ(m.values, (std::vector<float>{2.0f, 1.5f, 3.0f, 4.0f}));
  EXPECT_EQ(m.at(0, 2), 1.5f);
  EXPECT_FALSE(m.at(0, 1).has_value());
  EXPECT_FALSE(m.at(5, 0).has_value());
  EXPECT_EQ(m.row_size(1), 1u);
}

TEST(Csr, TransposeAndByItem) {
  std::vector<Interaction> xs = {{0, 2, 1.0f}, {0, 0, 2.0f}, {1, 1, 3.0f}, {2, 0, 4.0f}, {2, 2, 5.0f}};
  CsrMatrix m = build_csr(xs, 3, 4);
  CsrMatrix t = m.transpose();
  EXPECT_EQ(t.rows, 4u);
  EXPECT_EQ(t.cols, 3u);
  for (std::uint32_t row_idx = 0; row_idx < 3; ++row_idx)
    for (std::uint32_t col_idx = 0; col_idx < 4; ++col_idx) EXPECT_EQ(m.at(row_idx, col_idx), t.at(col_idx, row_idx));
  // Item 0's users ascending.
  EXPECT_EQ(std::vector<std::uint32_t>(t.row_indices(0).begin(), t.row_indices(0).end()),
            (std::vector<std::uint32_t>{0, 2}));
  CsrMatrix by_item = build_csr(xs, 4, 3, /*by_item=*/true);
  EXPECT_EQ(by_item.indptr, t.indptr);
  EXPECT_EQ(by_item.indices, t.indices);
  EXPECT_EQ(by_item.values, t.values);
  EXPECT_EQ(t.transpose().indices, m.indices);
}

TEST(Csr, OutOfRangeIsInvalidArgument) {
  std::vector<Interaction> xs = {{0, 5, 1.0f}};
  try {
    build_csr(xs, 1, 5);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
}

TEST(MakeDataset, AggregatesLikeSnapshot) {
  std::vector<RawInteraction> rows = {
      {"u1", "a", 1.0f, 10, 4.0f}, {"u1", "a", 2.0f, 30, 2.0f}, {"u1", "a", 1.0f, 20, 5.0f},
      {"u2", "b", 1.0f, 5, std::nullopt}, {"u2", "a", -1.0f, 7, std::nullopt}, {"u1", "b", 0.5f, 1, std::nullopt},
  };
  Dataset d = make_dataset(rows);
  ASSERT_EQ(d.user_count(), 2u);
  ASSERT_EQ(d.item_count(), 2u);
  ASSERT_EQ(d.item_meta.size(), 2u);
  // u2-a has total weight -1: dropped. Order (user, timestamp, item).
  ASSERT_EQ(d.interactions.size(), 3u);
  const Interaction& first = d.interactions[0];  // u1-b at t=1
  EXPECT_EQ(d.items.id(first.item), "b");
  const Interaction& ua = d.interactions[1];
  EXPECT_EQ(d.items.id(ua.item), "a");
  EXPECT_FLOAT_EQ(ua.weight, 4.0f);  // 1 + 2 + 1
  EXPECT_EQ(ua.timestamp, 30);       // latest
  EXPECT_EQ(ua.rating, 2.0f);        // rating of the latest row (t=30), not the last listed
  EXPECT_EQ(d.users.id(d.interactions[2].user), "u2");
  EXPECT_FALSE(d.interactions[2].rating.has_value());
  CsrMatrix ui = d.user_items();
  EXPECT_EQ(ui.nnz(), 3u);
}

// ------------------------------------------------------------- snapshot ---

data::Item item(const std::string& id, bool hidden = false, std::vector<std::string> categories = {}) {
  data::Item it;
  it.id = id;
  it.hidden = hidden;
  it.categories = std::move(categories);
  it.created_at = 77;
  return it;
}

TEST(Snapshot, AggregatesEventsPerPair) {
  testing::FakeStore store;
  auto alice = store.add_user("alice");
  auto bob = store.add_user("bob", /*gap=*/1);  // store index 2: a deleted user's hole
  auto i1 = store.add_item(item("i1"));
  auto i2 = store.add_item(item("i2"));
  auto i3 = store.add_item(item("i3", true, {"x"}), /*gap=*/1);
  store.add_item(item("i4"));  // cold: no events, still in the dataset
  store.add_event(alice, i1, "view", 1, 1000);      // 0.5
  store.add_event(alice, i1, "purchase", 1, 2000);  // + 5 = 5.5, ts 2000
  store.add_event(alice, i2, "rating", 4, 1500);    // rating weight 1 (not scaled)
  store.add_event(alice, i2, "rating", 2, 1800);    // + 1 = 2, rating 2 (latest)
  store.add_event(bob, i1, "view", 1, 3000);        // 0.5
  store.add_event(bob, i1, "dislike", 1, 3100);     // - 3 = -2.5 -> dropped
  store.add_event(bob, i3, "click", 1, 2500);       // 1
  store.add_event(bob, i2, "no_such_type", 1, 2600);  // unknown type: skipped
  store.add_event(alice, i3, "like", 1, 5000);      // 2
  store.add_event(7, i1, "click", 1, 100);          // user not in the scan: skipped

  Dataset d = snapshot(store);
  ASSERT_EQ(d.user_count(), 2u);
  ASSERT_EQ(d.item_count(), 4u);
  EXPECT_EQ(d.users.id(1), "bob");
  EXPECT_EQ(d.items.id(2), "i3");
  ASSERT_EQ(d.item_meta.size(), 4u);
  EXPECT_TRUE(d.item_meta[2].hidden);
  EXPECT_EQ(d.item_meta[2].categories, std::vector<std::string>{"x"});
  EXPECT_EQ(d.item_meta[3].created_at, 77);
  ASSERT_EQ(d.user_attributes.size(), 2u);
  EXPECT_EQ(d.user_attributes[1]["name"], "bob");

  // alice: i2 (t 1800), i1 (t 2000), i3 (t 5000); bob: i3 (t 2500).
  ASSERT_EQ(d.interactions.size(), 4u);
  const auto& x0 = d.interactions[0];
  EXPECT_EQ(x0.user, 0u);
  EXPECT_EQ(x0.item, 1u);
  EXPECT_FLOAT_EQ(x0.weight, 2.0f);
  EXPECT_EQ(x0.rating, 2.0f);
  EXPECT_EQ(x0.timestamp, 1800);
  const auto& x1 = d.interactions[1];
  EXPECT_EQ(x1.item, 0u);
  EXPECT_FLOAT_EQ(x1.weight, 5.5f);
  EXPECT_EQ(x1.timestamp, 2000);
  EXPECT_FALSE(x1.rating.has_value());
  EXPECT_EQ(d.interactions[2].item, 2u);
  EXPECT_FLOAT_EQ(d.interactions[2].weight, 2.0f);
  EXPECT_EQ(d.interactions[3].user, 1u);
  EXPECT_EQ(d.interactions[3].item, 2u);
  EXPECT_FLOAT_EQ(d.interactions[3].weight, 1.0f);

  // until: only events strictly before 4000 (drops alice-i3's like).
  SnapshotOptions until;
  until.until = 4000;
  Dataset before = snapshot(store, until);
  EXPECT_EQ(before.interactions.size(), 3u);
  EXPECT_EQ(before.item_count(), 4u);
}

TEST(Snapshot, TimeDecayHalvesPerHalfLife) {
  testing::FakeStore store;
  auto u = store.add_user("u");
  auto a = store.add_item(item("a"));
  auto b = store.add_item(item("b"));
  auto c = store.add_item(item("c"));
  const Timestamp day = 86400, now = 100 * day;
  store.add_event(u, a, "click", 1, now);            // 1 · 0.5^0 = 1
  store.add_event(u, b, "click", 1, now - day);      // 1 · 0.5^1 = 0.5
  store.add_event(u, c, "click", 1, now - 2 * day);  // 1 · 0.5^2 = 0.25
  store.add_event(u, c, "purchase", 1, now - 2 * day);  // + 5 · 0.25 = 1.5
  SnapshotOptions options;
  options.half_life_days = 1;  // now = 0: measured from the newest event
  Dataset d = snapshot(store, options);
  ASSERT_EQ(d.interactions.size(), 3u);
  auto ui = d.user_items();
  EXPECT_FLOAT_EQ(*ui.at(0, 0), 1.0f);
  EXPECT_FLOAT_EQ(*ui.at(0, 1), 0.5f);
  EXPECT_FLOAT_EQ(*ui.at(0, 2), 1.5f);
  // An explicit `now` two days later quarters everything.
  options.now = now + 2 * day;
  ui = snapshot(store, options).user_items();
  EXPECT_FLOAT_EQ(*ui.at(0, 0), 0.25f);
  EXPECT_FLOAT_EQ(*ui.at(0, 2), 0.375f);
}

// The same arithmetic through the real backend (store::open_store, SQLite).
TEST(Snapshot, ThroughSqliteStore) {
  const std::string path = ::testing::TempDir() + "/tailor_dataset_snapshot_test.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  {
    auto store = store::open_store(path);
    auto writer = store->begin_write();
    data::Item hidden = item("i3", true, {"x"});
    writer->put_item(item("i1"));
    writer->put_item(hidden);
    writer->put_event({"alice", "i1", "view", 1, 1000});
    writer->put_event({"alice", "i1", "purchase", 1, 2000});
    writer->put_event({"alice", "i2", "rating", 4, 1500});
    writer->put_event({"alice", "i2", "rating", 2, 1800});
    writer->put_event({"bob", "i1", "view", 1, 3000});
    writer->put_event({"bob", "i1", "dislike", 1, 3100});
    writer->put_event({"bob", "i3", "click", 1, 2500});
    writer->commit();
  }
  auto store = store::open_store(path, store::StoreOptions{.read_only = true});
  Dataset d = snapshot(*store);
  ASSERT_EQ(d.user_count(), 2u);
  ASSERT_EQ(d.item_count(), 3u);
  const auto alice = *d.users.find("alice");
  const auto bob = *d.users.find("bob");
  const auto i1 = *d.items.find("i1");
  const auto i2 = *d.items.find("i2");
  const auto i3 = *d.items.find("i3");
  EXPECT_TRUE(d.item_meta[i3].hidden);
  EXPECT_EQ(d.item_meta[i3].categories, std::vector<std::string>{"x"});
  ASSERT_EQ(d.interactions.size(), 3u);  // bob-i1 (0.5 - 3) dropped
  auto ui = d.user_items();
  EXPECT_FLOAT_EQ(*ui.at(alice, i1), 5.5f);
  EXPECT_FLOAT_EQ(*ui.at(alice, i2), 2.0f);
  EXPECT_FLOAT_EQ(*ui.at(bob, i3), 1.0f);
  EXPECT_FALSE(ui.at(bob, i1).has_value());
  for (const auto& x : d.interactions) {
    if (x.user == alice && x.item == i2) {
      EXPECT_EQ(x.rating, 2.0f);
      EXPECT_EQ(x.timestamp, 1800);
    }
  }
  store.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

// --------------------------------------------------------------- splits ---

void expect_partition(const Dataset& d, const Split& s) {
  std::multiset<Key> all = keys(d.interactions);
  std::multiset<Key> parts = keys(s.train);
  for (const auto& k : keys(s.validation)) parts.insert(k);
  for (const auto& k : keys(s.test)) parts.insert(k);
  EXPECT_EQ(parts, all);  // union = all, nothing twice
  const std::multiset<Key> train = keys(s.train);
  for (const auto& k : keys(s.test)) EXPECT_EQ(train.count(k), 0u);
}

std::vector<std::size_t> per_user(const std::vector<Interaction>& xs, std::uint32_t users) {
  std::vector<std::size_t> n(users, 0);
  for (const auto& x : xs) ++n[x.user];
  return n;
}

TEST(Split, RandomIsReproduciblePartitionWithFractions) {
  Dataset d = synthetic();
  SplitOptions o;
  o.kind = SplitKind::kRandom;
  o.test_fraction = 0.2;
  Split a = split(d, o), b = split(d, o);
  expect_partition(d, a);
  EXPECT_EQ(keys(a.test), keys(b.test));
  o.seed = 43;
  EXPECT_NE(keys(split(d, o).test), keys(a.test));
  auto total = per_user(d.interactions, d.user_count());
  auto test = per_user(a.test, d.user_count());
  for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx) {
    const std::size_t n = total[user_idx];
    if (n < 2) {
      EXPECT_EQ(test[user_idx], 0u);  // below min_user_interactions: all train
      continue;
    }
    EXPECT_EQ(test[user_idx], std::min<std::size_t>(static_cast<std::size_t>(std::floor(n * 0.2 + 0.5)), n - 1));
    EXPECT_LT(test[user_idx], n);
  }
  // Output keeps dataset order.
  EXPECT_TRUE(std::is_sorted(a.train.begin(), a.train.end(), [](const auto& x, const auto& y) {
    return x.user != y.user ? x.user < y.user : x.timestamp < y.timestamp;
  }));
}

TEST(Split, MinUserInteractionsKeepsSmallUsersInTrain) {
  Dataset d = synthetic();
  SplitOptions o;
  o.min_user_interactions = 10;
  Split s = split(d, o);
  auto total = per_user(d.interactions, d.user_count());
  auto test = per_user(s.test, d.user_count());
  for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx)
    if (total[user_idx] < 10) {
      EXPECT_EQ(test[user_idx], 0u);
    }
}

TEST(Split, TemporalPutsTheNewestInTest) {
  Dataset d = synthetic();
  SplitOptions o;
  o.kind = SplitKind::kTemporal;
  o.test_fraction = 0.25;
  Split s = split(d, o);
  expect_partition(d, s);
  std::vector<Timestamp> newest_train(d.user_count(), 0), oldest_test(d.user_count(), INT64_MAX);
  for (const auto& x : s.train) newest_train[x.user] = std::max(newest_train[x.user], x.timestamp);
  for (const auto& x : s.test) oldest_test[x.user] = std::min(oldest_test[x.user], x.timestamp);
  for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx)
    if (oldest_test[user_idx] != INT64_MAX) {
      EXPECT_LE(newest_train[user_idx], oldest_test[user_idx]);
    }

  o.last_n = 3;
  Split last3 = split(d, o);
  auto total = per_user(d.interactions, d.user_count());
  auto test = per_user(last3.test, d.user_count());
  for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx)
    EXPECT_EQ(test[user_idx], total[user_idx] < 2 ? 0 : std::min<std::size_t>(3, total[user_idx] - 1));
}

TEST(Split, LeaveOneOutHoldsOutTheLatest) {
  Dataset d = synthetic();
  SplitOptions o;
  o.kind = SplitKind::kLeaveOneOut;
  Split s = split(d, o);
  expect_partition(d, s);
  auto total = per_user(d.interactions, d.user_count());
  auto test = per_user(s.test, d.user_count());
  std::vector<Timestamp> newest(d.user_count(), 0);
  for (const auto& x : d.interactions) newest[x.user] = std::max(newest[x.user], x.timestamp);
  for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx)
    EXPECT_EQ(test[user_idx], total[user_idx] >= 2 ? 1u : 0u);
  for (const auto& x : s.test) EXPECT_EQ(x.timestamp, newest[x.user]);
}

TEST(Split, GlobalTemporalCutsAtTheTimeQuantile) {
  Dataset d = synthetic();
  SplitOptions o;
  o.kind = SplitKind::kGlobalTemporal;
  o.test_fraction = 0.2;
  o.min_user_interactions = 1;
  Split s = split(d, o);
  expect_partition(d, s);
  Timestamp newest_train = 0, oldest_test = INT64_MAX;
  for (const auto& x : s.train) newest_train = std::max(newest_train, x.timestamp);
  for (const auto& x : s.test) oldest_test = std::min(oldest_test, x.timestamp);
  EXPECT_LT(newest_train, oldest_test);
  const double fraction = static_cast<double>(s.test.size()) / static_cast<double>(d.interactions.size());
  EXPECT_NEAR(fraction, 0.2, 0.01);
}

TEST(Split, RecboleFollowsRecBoleRounding) {
  // Users with n = 1, 2, 5, 10, 15, 19, 20 interactions.
  const std::vector<std::uint32_t> sizes = {1, 2, 5, 10, 15, 19, 20};
  std::vector<Interaction> xs;
  for (std::uint32_t user_idx = 0; user_idx < sizes.size(); ++user_idx)
    for (std::uint32_t item_idx = 0; item_idx < sizes[user_idx]; ++item_idx)
      xs.push_back({user_idx, item_idx, 1.0f, static_cast<Timestamp>(item_idx)});
  Dataset d = make_dataset(static_cast<std::uint32_t>(sizes.size()), 20, xs);
  SplitOptions o;
  o.kind = SplitKind::kRecbole;
  Split s = split(d, o);
  expect_partition(d, s);
  auto train = per_user(s.train, d.user_count());
  auto valid = per_user(s.validation, d.user_count());
  auto test = per_user(s.test, d.user_count());
  // RecBole's _calcu_split_ids: cnt = [int(.8n), int(.1n), int(.1n)], cnt[0] = n - rest,
  // then test, validation get 1 when 0 < .1n < 1 and train still has > 1.
  //   n=1: below min_user_interactions -> 1/0/0     n=2: [2,0,0] -> test +1 -> [1,0,1], stop
  //   n=5: [5,0,0] -> [4,0,1] -> [3,1,1]             n=10: [8,1,1]
  //   n=15: int(1.5)=1 -> [13,1,1]                   n=19: int(1.9)=1 -> [17,1,1]
  //   n=20: [16,2,2]
  const std::vector<std::array<std::size_t, 3>> expected = {{1, 0, 0}, {1, 0, 1}, {3, 1, 1}, {8, 1, 1},
                                                            {13, 1, 1}, {17, 1, 1}, {16, 2, 2}};
  for (std::uint32_t user_idx = 0; user_idx < sizes.size(); ++user_idx) {
    EXPECT_EQ(train[user_idx], expected[user_idx][0]) << "n=" << sizes[user_idx];
    EXPECT_EQ(valid[user_idx], expected[user_idx][1]) << "n=" << sizes[user_idx];
    EXPECT_EQ(test[user_idx], expected[user_idx][2]) << "n=" << sizes[user_idx];
  }
  Split again = split(d, o);
  EXPECT_EQ(keys(again.validation), keys(s.validation));
  EXPECT_EQ(keys(again.test), keys(s.test));
}

TEST(Split, KFoldPartitionsEveryInteractionOnce) {
  Dataset d = synthetic();
  auto folds = kfold(d, 5, 1);
  ASSERT_EQ(folds.size(), 5u);
  std::multiset<Key> tested;
  const std::size_t n = d.interactions.size();
  for (const auto& fold : folds) {
    expect_partition(d, fold);
    EXPECT_TRUE(fold.test.size() == n / 5 || fold.test.size() == n / 5 + 1);
    for (const auto& k : keys(fold.test)) tested.insert(k);
  }
  EXPECT_EQ(tested, keys(d.interactions));
  EXPECT_EQ(keys(kfold(d, 5, 1)[2].test), keys(folds[2].test));
  EXPECT_NE(keys(kfold(d, 5, 2)[2].test), keys(folds[2].test));
  EXPECT_THROW(kfold(d, 1, 1), Error);
}

TEST(Split, ParseKindsAndRejectBadOptions) {
  EXPECT_EQ(parse_split_kind("random"), SplitKind::kRandom);
  EXPECT_EQ(parse_split_kind("loo"), SplitKind::kLeaveOneOut);
  EXPECT_EQ(parse_split_kind("recbole"), SplitKind::kRecbole);
  for (auto kind : {SplitKind::kRandom, SplitKind::kTemporal, SplitKind::kLeaveOneOut, SplitKind::kGlobalTemporal,
                    SplitKind::kRecbole, SplitKind::kColdItems})
    EXPECT_EQ(parse_split_kind(split_kind_name(kind)), kind);
  EXPECT_EQ(parse_split_kind("leave-one-out"), SplitKind::kLeaveOneOut);  // the CLI's spelling
  EXPECT_EQ(parse_split_kind("cold-items"), SplitKind::kColdItems);
  try {
    parse_split_kind("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
  SplitOptions o;
  o.test_fraction = 1.5;
  EXPECT_THROW(split(synthetic(), o), Error);
}

// Cold items: a seeded share of the items, and every interaction with them,
// is test; no test item appears in train.
TEST(Split, ColdItemsHoldOutWholeItems) {
  const Dataset d = synthetic();
  SplitOptions o;
  o.kind = SplitKind::kColdItems;
  o.test_fraction = 0.25;
  const Split s = split(d, o);
  expect_partition(d, s);
  std::set<std::uint32_t> train_items, test_items, all_items;
  for (const auto& x : s.train) train_items.insert(x.item);
  for (const auto& x : s.test) test_items.insert(x.item);
  for (const auto& x : d.interactions) all_items.insert(x.item);
  for (std::uint32_t item : test_items) EXPECT_EQ(train_items.count(item), 0u) << item;
  EXPECT_EQ(test_items.size(), static_cast<std::size_t>(std::floor(all_items.size() * 0.25 + 0.5)));
  std::size_t expected_test = 0;
  for (const auto& x : d.interactions) expected_test += test_items.count(x.item);
  EXPECT_EQ(s.test.size(), expected_test);
  EXPECT_EQ(keys(split(d, o).test), keys(s.test));  // seeded
  o.seed = 7;
  EXPECT_NE(keys(split(d, o).test), keys(s.test));
}

TEST(Split, EmptyDatasetGivesEmptySplit) {
  Dataset d = make_dataset(3, 3, {});
  Split s = split(d, SplitOptions{});
  EXPECT_TRUE(s.train.empty());
  EXPECT_TRUE(s.test.empty());
}

}  // namespace
}  // namespace tailor::dataset
