// Numbered schema migrations of the SQLite store, private to the store component.
//
// PRAGMA user_version is the schema version a database is at (0 = empty);
// PRAGMA application_id marks the file as a Tailor store (the file's magic).
// The table schema_migrations records when each migration ran. Migration N
// takes a database from version N-1 to N; migrations are never edited once
// released, only appended.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string_view>

namespace tailor::store {

struct Migration {
  int version = 0;               // 1, 2, 3, ... without gaps
  std::string_view description;  // one line, stored in schema_migrations
  std::string_view sql;          // one or more statements
};

// "TLR1": written into the SQLite header of every store.
inline constexpr std::int32_t kApplicationId = 0x544C5231;

// The current definition of the per-item events index. The writer drops it
// while bulk-loading an empty events table and recreates it from this at
// commit (see sqlite_writer.cc); a migration that redefines the index must
// update it.
inline constexpr std::string_view kItemIndexName = "events_by_item";
inline constexpr std::string_view kCreateItemIndex = "CREATE INDEX events_by_item ON events(item_idx)";

// The migrations this build knows, in order.
std::span<const Migration> builtin_migrations();
int latest_schema_version(std::span<const Migration> migrations = builtin_migrations());

// Brings the database up to the last version of `migrations`, applying every
// pending migration in one IMMEDIATE transaction: all of them or none. Costs
// one read and no lock when nothing is pending. Returns the version reached.
// Throws kCorruption when the database is newer than `migrations` or is not a
// Tailor store; a failing migration rethrows its error, naming the migration.
int migrate_schema(sqlite3* db, std::span<const Migration> migrations = builtin_migrations());

// For read-only opens: checks the version without writing. Throws kCorruption
// as migrate_schema does, and kUnavailable when the store is older than the
// code (open it read-write once to migrate). Returns the version.
int check_schema_version(sqlite3* db, std::span<const Migration> migrations = builtin_migrations());

}  // namespace tailor::store
