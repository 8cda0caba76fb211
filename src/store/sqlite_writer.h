// The write side of the SQLite store, private to the store component.
//
// A WriteConnection is a connection with its prepared write statements and
// id -> idx caches; it lives in a pool of the Store between transactions so
// a stream of small writes does not re-prepare statements or re-read ids.
// A SqliteWriter borrows one for a single BEGIN IMMEDIATE ... COMMIT.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sqlite_db.h"
#include "sqlite_pool.h"
#include "tailor/store/store.h"

namespace tailor::store {

// id -> idx with lookups by string_view (no temporary std::string) and a
// one-entry memo, because imports arrive grouped by user: most lookups repeat
// the previous id and cost one string compare instead of a hash.
class IdCache {
 public:
  std::optional<std::uint32_t> find(std::string_view id) {
    if (last_ != nullptr && last_->first == id) return last_->second;
    auto found = map_.find(id);
    if (found == map_.end()) return std::nullopt;
    last_ = &*found;
    return found->second;
  }
  void insert(std::string_view id, std::uint32_t idx) {
    auto [entry, inserted] = map_.emplace(std::string(id), idx);
    if (!inserted) entry->second = idx;
    last_ = &*entry;
  }
  void erase(std::string_view id) {
    last_ = nullptr;
    auto found = map_.find(id);
    if (found != map_.end()) map_.erase(found);
  }
  void clear() {
    last_ = nullptr;
    map_.clear();
  }
  std::size_t size() const { return map_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
  };
  using Map = std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>>;
  Map map_;
  // Node pointers of unordered_map stay valid until that node is erased.
  const Map::value_type* last_ = nullptr;
};

// One writer connection and what is worth keeping between its transactions.
struct WriteConnection {
  explicit WriteConnection(DbHandle handle);

  DbHandle db;
  Statement find_user, insert_user, update_user, insert_user_stub;
  Statement find_item, insert_item, update_item, insert_item_stub;
  Statement find_type, insert_type;
  Statement insert_event;
  Statement delete_user_events, delete_user, delete_item_events, delete_item;
  Statement delete_pair_events;
  Statement upsert_artifact;
  Statement upsert_record, delete_record;
  Statement read_counter, write_counter;
  Statement data_version;
  Statement any_event;

  // Valid while no other connection has committed since they were filled,
  // which PRAGMA data_version tells at the start of every transaction.
  IdCache users, items, types;
  std::int64_t cached_data_version = -1;
};

using WritePool = ConnectionPool<WriteConnection>;

// Starts a write transaction on a connection of `pool`: BEGIN IMMEDIATE,
// waiting up to the busy timeout for another writer (of this or another
// process) to finish, then Error(kUnavailable).
std::unique_ptr<StoreWriter> begin_sqlite_write(const std::shared_ptr<WritePool>& pool, const std::string& path,
                                                int busy_timeout_ms);

}  // namespace tailor::store
