// The SQLite backend of tailor::store::Store, private to the store component
// (callers get it through open_store). Schema: sqlite_schema.cc; write path:
// sqlite_writer.cc.
//
// Connections: reads borrow a connection from a pool of read-only ones (so
// const methods run in parallel, each on its own connection, and see the last
// committed state through WAL); each writer borrows a read-write connection
// from a second pool for one BEGIN IMMEDIATE transaction. Only SQLite's write
// lock serialises writers, so it works the same across processes.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sqlite_db.h"
#include "sqlite_pool.h"
#include "sqlite_writer.h"
#include "tailor/store/store.h"

namespace tailor::store {

// A read-only connection and the statements prepared on it so far.
struct ReadConnection {
  enum Query : std::size_t {
    kGetUser,
    kGetItem,
    kListUsers,
    kListItems,
    kUserEvents,
    kItemEvents,
    kListEvents,
    kUserIndex,
    kItemIndex,
    kScanUsers,
    kScanItems,
    kScanEvents,
    kEventTypes,
    kCountUsers,
    kCountItems,
    kEventTypeTimes,
    kGetArtifact,
    kQueryCount,
  };

  explicit ReadConnection(DbHandle handle) : db(std::move(handle)) {}
  // Prepares the query the first time this connection runs it.
  Statement& statement(Query query);

  DbHandle db;
  std::array<std::unique_ptr<Statement>, kQueryCount> statements;
};

using ReadPool = ConnectionPool<ReadConnection>;

class SqliteStore final : public Store {
 public:
  // Opens (and unless read_only creates and migrates) the database at path.
  // Errors: kNotFound (read_only and missing), kCorruption (not a Tailor
  // store, or a newer schema), kUnavailable (read_only and an older schema),
  // kIO (cannot open or create the file).
  static std::unique_ptr<SqliteStore> open(const std::string& path, const StoreOptions& options);

  std::unique_ptr<StoreWriter> begin_write() override;

  std::optional<User> get_user(const std::string& id) const override;
  std::optional<Item> get_item(const std::string& id) const override;
  // Page::limit 0 means no limit.
  std::vector<User> list_users(const Page& page) const override;
  std::vector<Item> list_items(const Page& page) const override;
  std::vector<Event> user_events(const std::string& user_id, std::size_t limit = 0) const override;
  std::vector<Event> item_events(const std::string& item_id, std::size_t limit = 0) const override;
  // Positions are "user_idx:item_idx:type_id:ts:fingerprint", the primary key.
  std::vector<PagedEvent> list_events(const EventPage& page) const override;

  std::optional<std::uint32_t> user_index(const std::string& id) const override;
  std::optional<std::uint32_t> item_index(const std::string& id) const override;

  // Each scan reads one consistent snapshot on a connection of its own, so
  // the callback may call back into the store (or write through a writer).
  void scan_users(const std::function<void(std::uint32_t, const User&)>& fn) const override;
  void scan_items(const std::function<void(std::uint32_t, const Item&)>& fn) const override;
  void scan_events(const std::function<void(const StoredEvent&)>& fn) const override;

  // Reads every event (one pass, no sort) for the per-type counts and times.
  StoreStats stats() const override;

  std::optional<std::string> get_artifact(const std::string& name) const override;

  // Records (sqlite_records.cc). Each read is one statement, so one snapshot.
  std::optional<Record> get_record(const std::string& collection, const std::string& key) const override;
  std::vector<Record> list_records(const RecordQuery& query) const override;
  void scan_records(const RecordQuery& query, const std::function<void(const Record&)>& fn) const override;
  std::uint64_t count_records(const RecordQuery& query) const override;

  int schema_version() const override;
  std::string backend() const override { return "sqlite"; }

  // PRAGMA integrity_check and foreign_key_check: one line per problem, empty
  // when the database is sound. Thread-safe like the readers; reads the whole file.
  std::vector<std::string> check_integrity() const;

  const std::string& path() const { return path_; }

 private:
  SqliteStore(std::string path, const StoreOptions& options);
  void scan_records_impl(const RecordQuery& query, bool all_collections,
                         const std::function<void(const Record&)>& fn) const;

  std::string path_;
  StoreOptions options_;
  std::unique_ptr<ReadPool> read_pool_;
  std::shared_ptr<WritePool> write_pool_;  // null when read-only
};

}  // namespace tailor::store
