#include "rec_cache.h"

#include <algorithm>
#include <functional>

namespace tailor::server {

RecCache::RecCache(std::size_t capacity, std::size_t shard_count)
    : shard_capacity_(capacity == 0 ? 0 : (capacity + std::max<std::size_t>(shard_count, 1) - 1) /
                                              std::max<std::size_t>(shard_count, 1)) {
  shard_count = std::max<std::size_t>(shard_count, 1);
  for (std::size_t idx = 0; idx < shard_count; ++idx) shards_.push_back(std::make_unique<Shard>());
}

RecCache::Shard& RecCache::shard_for(const std::string& key) {
  return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

std::shared_ptr<const std::string> RecCache::get(const std::string& key) {
  if (shard_capacity_ == 0) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  Shard& shard = shard_for(key);
  std::shared_ptr<const std::string> body;
  {
    std::lock_guard lock(shard.mutex);
    auto found = shard.index.find(key);
    if (found != shard.index.end()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, found->second);  // now most recent; iterators stay valid
      body = found->second->second;
    }
  }
  (body ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return body;
}

void RecCache::put(const std::string& key, std::string body) {
  if (shard_capacity_ == 0) return;
  auto value = std::make_shared<const std::string>(std::move(body));
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(key);
  if (found != shard.index.end()) {
    found->second->second = std::move(value);
    shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
    return;
  }
  if (shard.lru.size() >= shard_capacity_) {
    // Erase the index entry first: its key is a view into the list node.
    shard.index.erase(std::string_view(shard.lru.back().first));
    shard.lru.pop_back();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  shard.lru.emplace_front(key, std::move(value));
  shard.index.emplace(std::string_view(shard.lru.front().first), shard.lru.begin());
}

std::size_t RecCache::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->lru.size();
  }
  return total;
}

std::size_t WriteGenerations::slot(std::string_view user_id) {
  return std::hash<std::string_view>{}(user_id) & (kUserSlots - 1);
}

RecCacheKey& RecCacheKey::add(std::string_view field) {
  key_ += std::to_string(field.size());
  key_ += ':';
  key_.append(field);
  return *this;
}

RecCacheKey& RecCacheKey::add(std::uint64_t number) {
  key_ += std::to_string(number);
  key_ += ';';
  return *this;
}

}  // namespace tailor::server
