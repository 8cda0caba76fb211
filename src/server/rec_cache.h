// Recommendation answer cache of the server, and the write generations that
// make its entries go stale on their own.
//
// RecCache maps a key to a finished response body (the JSON text), so a
// repeated identical request costs one hash lookup and one copy. It is split
// into shards, each an LRU list plus a hash index under its own mutex, so
// concurrent requests for different users rarely contend:
//   shard = hash(key) mod shard_count
//   shard capacity = ceil(capacity / shard_count); the least recently used
//   entry of a full shard is evicted on insert.
//
// Nothing is ever invalidated explicitly. The key carries every input of the
// answer that can change: the model generation (bumped on each swap), the
// catalogue generation (bumped when any item is written or deleted: titles,
// hidden/available flags and categories appear in every answer) and the
// user's generation (bumped when that user's events or attributes are
// written). A write bumps a generation after its commit, so a later request
// builds a new key and misses; the old entry just ages out of the LRU.
//
// WriteGenerations keeps the per-user generations in a fixed table of
// counters indexed by hash(user id): O(1) memory whatever the user count, no
// lock. Two users that share a counter only cause each other spurious misses,
// never a stale answer.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tailor::server {

class RecCache {
 public:
  // capacity = total entries over all shards (0 = disabled: get() always
  // misses and put() keeps nothing); shard_count >= 1.
  explicit RecCache(std::size_t capacity, std::size_t shard_count = 16);

  // The cached body for key, or nullptr. Counts a hit or a miss. Thread-safe.
  std::shared_ptr<const std::string> get(const std::string& key);
  // Inserts or replaces key's body, evicting the shard's least recently used
  // entry when it is full. Thread-safe.
  void put(const std::string& key, std::string body);

  bool enabled() const { return shard_capacity_ > 0; }
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  std::uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
  // Entries held now, over all shards. Thread-safe (locks each shard in turn).
  std::size_t size() const;

 private:
  struct Shard {
    mutable std::mutex mutex;
    // Most recently used at the front; the index points into the list.
    std::list<std::pair<std::string, std::shared_ptr<const std::string>>> lru;
    std::unordered_map<std::string_view, decltype(lru)::iterator> index;  // views into lru's keys
  };
  Shard& shard_for(const std::string& key);

  std::size_t shard_capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
  std::atomic<std::uint64_t> evictions_{0};
};

class WriteGenerations {
 public:
  static constexpr std::size_t kUserSlots = 1u << 16;

  std::uint64_t user(std::string_view user_id) const {
    return users_[slot(user_id)].load(std::memory_order_acquire);
  }
  std::uint64_t catalogue() const { return catalogue_.load(std::memory_order_acquire); }
  // Call after the write that changes the user's answers has committed.
  void bump_user(std::string_view user_id) { users_[slot(user_id)].fetch_add(1, std::memory_order_acq_rel); }
  void bump_catalogue() { catalogue_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  static std::size_t slot(std::string_view user_id);
  std::array<std::atomic<std::uint64_t>, kUserSlots> users_{};
  std::atomic<std::uint64_t> catalogue_{0};
};

// The cache key of one recommendation answer: the generations, then every
// request field, each length-prefixed so no two different requests (ids may
// contain any byte) build the same key.
class RecCacheKey {
 public:
  RecCacheKey& add(std::string_view field);
  RecCacheKey& add(std::uint64_t number);
  const std::string& str() const { return key_; }

 private:
  std::string key_;
};

}  // namespace tailor::server
