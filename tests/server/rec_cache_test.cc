// The recommendation cache: LRU order per shard, counters, replacement, the
// disabled cache, concurrent use, collision-free keys, write generations.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "rec_cache.h"

namespace tailor::server {
namespace {

TEST(RecCache, HitsMissesAndLeastRecentlyUsedEviction) {
  RecCache cache(3, 1);  // one shard: the LRU order is exact
  EXPECT_EQ(cache.get("a"), nullptr);
  cache.put("a", "A");
  cache.put("b", "B");
  cache.put("c", "C");
  ASSERT_NE(cache.get("a"), nullptr);  // a is now the most recent; b the least
  EXPECT_EQ(*cache.get("a"), "A");
  cache.put("d", "D");  // evicts b
  EXPECT_EQ(cache.get("b"), nullptr);
  EXPECT_EQ(*cache.get("c"), "C");
  EXPECT_EQ(*cache.get("d"), "D");
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(cache.hits(), 4u);
  EXPECT_EQ(cache.misses(), 2u);
  // Replacing keeps one entry and makes it the most recent.
  cache.put("c", "C2");
  EXPECT_EQ(cache.size(), 3u);
  cache.put("e", "E");  // evicts a (order now: e, c, d, a -> a least recent)
  EXPECT_EQ(cache.get("a"), nullptr);
  EXPECT_EQ(*cache.get("c"), "C2");
}

TEST(RecCache, HeldBodiesSurviveEviction) {
  RecCache cache(1, 1);
  cache.put("a", std::string(1000, 'x'));
  const auto held = cache.get("a");
  cache.put("b", "B");
  EXPECT_EQ(cache.get("a"), nullptr);
  EXPECT_EQ(held->size(), 1000u);  // a reader keeps its answer while it is evicted
}

TEST(RecCache, CapacityZeroIsOff) {
  RecCache cache(0);
  EXPECT_FALSE(cache.enabled());
  cache.put("a", "A");
  EXPECT_EQ(cache.get("a"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(RecCache, ShardedCapacityBoundsTheSize) {
  RecCache cache(64, 8);  // 8 per shard
  for (int idx = 0; idx < 1000; ++idx) cache.put("k" + std::to_string(idx), "v");
  EXPECT_LE(cache.size(), 64u);
  EXPECT_GT(cache.size(), 0u);
  EXPECT_EQ(cache.evictions(), 1000u - cache.size());
}

TEST(RecCache, ConcurrentReadersAndWriters) {
  RecCache cache(256, 16);
  std::vector<std::thread> threads;
  for (int thread_idx = 0; thread_idx < 8; ++thread_idx)
    threads.emplace_back([&cache, thread_idx] {
      for (int round = 0; round < 2000; ++round) {
        const std::string key = "k" + std::to_string((round * 7 + thread_idx) % 400);
        if (auto body = cache.get(key)) {
          EXPECT_EQ(*body, "v" + key);
        } else {
          cache.put(key, "v" + key);
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_LE(cache.size(), 256u);
  EXPECT_EQ(cache.hits() + cache.misses(), 8u * 2000u);
}

TEST(RecCacheKey, LengthPrefixesKeepFieldsApart) {
  std::set<std::string> keys;
  keys.insert(RecCacheKey().add("ab").add("c").str());
  keys.insert(RecCacheKey().add("a").add("bc").str());
  keys.insert(RecCacheKey().add("a:1").add("").str());
  keys.insert(RecCacheKey().add(std::uint64_t{12}).add("x").str());
  keys.insert(RecCacheKey().add(std::uint64_t{1}).add("2x").str());
  keys.insert(RecCacheKey().add("12").add("x").str());
  EXPECT_EQ(keys.size(), 6u);
  EXPECT_EQ(RecCacheKey().add("u1").add(std::uint64_t{10}).str(), RecCacheKey().add("u1").add(std::uint64_t{10}).str());
}

TEST(WriteGenerations, BumpsAreSeenPerUserAndForTheCatalogue) {
  auto gens = std::make_unique<WriteGenerations>();
  const auto alice = gens->user("alice"), bob = gens->user("bob"), catalogue = gens->catalogue();
  gens->bump_user("alice");
  EXPECT_EQ(gens->user("alice"), alice + 1);
  // bob changes only when he shares alice's slot (a spurious miss, never a stale hit).
  EXPECT_LE(gens->user("bob"), bob + 1);
  gens->bump_catalogue();
  EXPECT_EQ(gens->catalogue(), catalogue + 1);
}

}  // namespace
}  // namespace tailor::server
