// The numbered migrations of the SQLite store and the code that applies them.
//
// Layout after migration 1 (see the comments in the SQL):
//   users / items   one row per entity; `idx` is the dense index handed out by
//                   the writer from `counters` (starting at 0, never reused),
//                   `id` the caller's id; list fields and attributes are JSON.
//   event_types     interned event type names.
//   events          WITHOUT ROWID, clustered by (user_idx, item_idx, type_id,
//                   ts, fingerprint), which is both the duplicate check and
//                   the per-user order; events_by_item serves per-item deletes.
//   artifacts       named blobs (trained models).
// Migration 2:
//   records         JSON documents in named collections (store.h, Record),
//                   keyed by (collection, key), with the user they are about
//                   and their own time.
#include "sqlite_schema.h"

#include <string>

#include "sqlite_db.h"
#include "tailor/core/core.h"

namespace tailor::store {
namespace {

constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE schema_migrations(
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at INTEGER NOT NULL);

-- Next dense index to hand out. A counter rather than max(idx)+1 so that the
-- index of a deleted user or item is never given to a new one.
CREATE TABLE counters(
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counters(name, value) VALUES ('next_user_idx', 0), ('next_item_idx', 0);

CREATE TABLE users(
  idx INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  attributes TEXT NOT NULL DEFAULT '{}',  -- JSON object
  labels TEXT NOT NULL DEFAULT '[]',      -- JSON array of strings
  comment TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0);

CREATE TABLE items(
  idx INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  categories TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  tags TEXT NOT NULL DEFAULT '[]',        -- JSON array of strings
  price REAL,                             -- NULL = no price
  attributes TEXT NOT NULL DEFAULT '{}',  -- JSON object
  hidden INTEGER NOT NULL DEFAULT 0,
  available INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0);

CREATE TABLE event_types(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE);

-- The references document the layout and are checked by foreign_key_check;
-- they are not enforced on insert (see open_connection). The primary key is
-- an event's identity: two events are the same only when they also agree on
-- data::event_fingerprint (value, channel, context), stored as the signed
-- 64-bit integer with the same bits.
CREATE TABLE events(
  user_idx INTEGER NOT NULL REFERENCES users(idx),
  item_idx INTEGER NOT NULL REFERENCES items(idx),
  type_id INTEGER NOT NULL REFERENCES event_types(id),
  ts INTEGER NOT NULL,
  fingerprint INTEGER NOT NULL,
  value REAL NOT NULL,
  channel TEXT NOT NULL DEFAULT '',
  context TEXT,                           -- JSON object; NULL when empty
  PRIMARY KEY (user_idx, item_idx, type_id, ts, fingerprint)) WITHOUT ROWID;
CREATE INDEX events_by_item ON events(item_idx);

CREATE TABLE artifacts(
  name TEXT PRIMARY KEY,
  bytes BLOB NOT NULL,
  created_at INTEGER NOT NULL);
)sql";

// Records (store.h): the JSON documents of the components above the store.
// records_by_user serves erasure, export and per-user windows (frequency
// caps); records_by_time serves retention and time windows of a collection.
constexpr std::string_view kMigration2 = R"sql(
CREATE TABLE records(
  collection TEXT NOT NULL,
  key TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  ts INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,                     -- JSON document
  PRIMARY KEY (collection, key));
CREATE INDEX records_by_user ON records(user_id, collection, ts) WHERE user_id <> '';
CREATE INDEX records_by_time ON records(collection, ts);
)sql";

constexpr Migration kMigrations[] = {
    {1, "initial schema: users, items, event_types, events, artifacts", kMigration1},
    {2, "records: JSON documents of the components above the store", kMigration2},
};

// Migrations must be numbered 1, 2, 3, ...: a gap would silently skip one.
void check_numbering(std::span<const Migration> migrations) {
  int expected = 1;
  for (const Migration& migration : migrations) {
    TAILOR_ASSERT(migration.version == expected);
    ++expected;
  }
}

// Refuses a file that is some other application's SQLite database.
void check_is_tailor_store(sqlite3* db, int version) {
  std::int64_t application_id = pragma_int(db, "application_id");
  if (application_id != 0 && application_id != kApplicationId)
    throw_error(ErrorCode::kCorruption, "not a Tailor store: SQLite application_id is " +
                                            std::to_string(application_id));
  if (version == 0) {
    Statement tables(db, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
    tables.step();
    if (tables.column_int(0) != 0)
      throw_error(ErrorCode::kCorruption, "not a Tailor store: the SQLite database has tables but no schema version");
  }
}

void check_not_newer(int version, int latest) {
  if (version > latest)
    throw_error(ErrorCode::kCorruption,
                "store schema version " + std::to_string(version) + " is newer than this build of Tailor knows (" +
                    std::to_string(latest) + "); upgrade Tailor to open it");
}

}  // namespace

std::span<const Migration> builtin_migrations() { return kMigrations; }

int latest_schema_version(std::span<const Migration> migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

int check_schema_version(sqlite3* db, std::span<const Migration> migrations) {
  check_numbering(migrations);
  int version = static_cast<int>(pragma_int(db, "user_version"));
  int latest = latest_schema_version(migrations);
  check_is_tailor_store(db, version);
  check_not_newer(version, latest);
  if (version < latest)
    throw_error(ErrorCode::kUnavailable, "store schema version " + std::to_string(version) +
                                             " is older than this build of Tailor needs (" + std::to_string(latest) +
                                             "); open it once read-write to migrate");
  return version;
}

int migrate_schema(sqlite3* db, std::span<const Migration> migrations) {
  check_numbering(migrations);
  int latest = latest_schema_version(migrations);
  // Fast path without a write lock, so opening a store while another process
  // imports into it does not wait for that import.
  int version = static_cast<int>(pragma_int(db, "user_version"));
  if (version == latest) {
    check_is_tailor_store(db, version);
    return version;
  }

  exec(db, "BEGIN IMMEDIATE");
  try {
    // Read again under the lock: another process may have migrated meanwhile.
    version = static_cast<int>(pragma_int(db, "user_version"));
    check_is_tailor_store(db, version);
    check_not_newer(version, latest);
    for (const Migration& migration : migrations) {
      if (migration.version <= version) continue;
      try {
        exec(db, migration.sql);
        Statement record(db, "INSERT INTO schema_migrations(version, description, applied_at) VALUES (?, ?, ?)");
        record.bind_int(1, migration.version);
        record.bind_text(2, migration.description);
        record.bind_int(3, now_seconds());
        record.run();
      } catch (const Error& error) {
        throw Error(error.code(), "schema migration " + std::to_string(migration.version) + " (" +
                                      std::string(migration.description) + ") failed: " + error.what());
      }
    }
    // Both PRAGMAs write the database header inside this transaction.
    exec(db, "PRAGMA user_version=" + std::to_string(latest));
    exec(db, "PRAGMA application_id=" + std::to_string(kApplicationId));
    exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);  // best effort; the first error is the one to report
    throw;
  }
  return latest;
}

}  // namespace tailor::store
