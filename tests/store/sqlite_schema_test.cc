// SQLite-specific behaviour of the store: numbered schema migrations, what
// open_store accepts, read-only opens and files that are not Tailor stores.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "sqlite_db.h"
#include "sqlite_schema.h"
#include "sqlite_store.h"
#include "store_test_util.h"
#include "tailor/store/store.h"

namespace tailor::store {
namespace {

using testing_util::error_code_of;
using testing_util::make_event;
using testing_util::TempDir;

DbHandle raw_open(const std::string& path) {
  ConnectionOptions options;
  options.mode = OpenMode::kReadWriteCreate;
  return open_connection(path, options);
}

std::int64_t query_int(sqlite3* db, const std::string& sql) {
  Statement statement(db, sql);
  EXPECT_TRUE(statement.step()) << sql;
  return statement.column_int(0);
}

bool has_column(sqlite3* db, const std::string& table, const std::string& column) {
  return query_int(db, "SELECT count(*) FROM pragma_table_info('" + table + "') WHERE name = '" + column + "'") == 1;
}

TEST(SqliteSchemaTest, FreshStoreIsAtTheLatestVersion) {
  TempDir dir;
  const std::string path = dir.file("fresh.db");
  std::unique_ptr<Store> store = open_store(path);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  EXPECT_GE(latest_schema_version(), 1);
  store.reset();
  DbHandle db = raw_open(path);
  EXPECT_EQ(pragma_int(db.get(), "user_version"), latest_schema_version());
  EXPECT_EQ(pragma_int(db.get(), "application_id"), kApplicationId);
  EXPECT_EQ(query_int(db.get(), "SELECT count(*) FROM schema_migrations"), latest_schema_version());
  Statement journal(db.get(), "PRAGMA journal_mode");
  ASSERT_TRUE(journal.step());
  EXPECT_EQ(journal.column_text(0), "wal");
}

TEST(SqliteSchemaTest, NewerSchemaIsRefusedAsCorruption) {
  TempDir dir;
  const std::string path = dir.file("newer.db");
  open_store(path).reset();
  exec(raw_open(path).get(), "PRAGMA user_version=" + std::to_string(latest_schema_version() + 1));
  std::string message;
  EXPECT_EQ(error_code_of([&] { open_store(path); }, &message), ErrorCode::kCorruption);
  EXPECT_NE(message.find("newer"), std::string::npos) << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;
  StoreOptions read_only;
  read_only.read_only = true;
  EXPECT_EQ(error_code_of([&] { open_store(path, read_only); }), ErrorCode::kCorruption);
}

TEST(SqliteSchemaTest, PendingMigrationsApplyTogether) {
  TempDir dir;
  const std::string path = dir.file("older.db");
  {
    std::unique_ptr<Store> store = open_store(path);
    std::unique_ptr<StoreWriter> writer = store->begin_write();
    writer->put_event(make_event("u", "i", "view", 1));
    writer->commit();
  }
  std::vector<Migration> migrations(builtin_migrations().begin(), builtin_migrations().end());
  const int base = latest_schema_version();
  migrations.push_back({base + 1, "add users.nickname", "ALTER TABLE users ADD COLUMN nickname TEXT"});
  migrations.push_back({base + 2, "add extra", "CREATE TABLE extra(x INTEGER); INSERT INTO extra VALUES (7);"});

  DbHandle db = raw_open(path);
  EXPECT_EQ(migrate_schema(db.get(), migrations), base + 2);
  EXPECT_EQ(pragma_int(db.get(), "user_version"), base + 2);
  EXPECT_TRUE(has_column(db.get(), "users", "nickname"));
  EXPECT_EQ(query_int(db.get(), "SELECT x FROM extra"), 7);
  EXPECT_EQ(query_int(db.get(), "SELECT max(version) FROM schema_migrations"), base + 2);
  EXPECT_EQ(query_int(db.get(), "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(migrate_schema(db.get(), migrations), base + 2);  // nothing pending: no-op
  db.reset();
  // This build only knows `base`: the migrated store is now too new for it.
  EXPECT_EQ(error_code_of([&] { open_store(path); }), ErrorCode::kCorruption);
}

TEST(SqliteSchemaTest, FailingMigrationLeavesTheStoreAtItsOldVersion) {
  TempDir dir;
  const std::string path = dir.file("failing.db");
  open_store(path).reset();
  std::vector<Migration> migrations(builtin_migrations().begin(), builtin_migrations().end());
  const int base = latest_schema_version();
  migrations.push_back({base + 1, "add users.nickname", "ALTER TABLE users ADD COLUMN nickname TEXT"});
  migrations.push_back({base + 2, "broken", "CREATE TABLE broken(; nonsense"});

  DbHandle db = raw_open(path);
  std::string message;
  EXPECT_EQ(error_code_of([&] { migrate_schema(db.get(), migrations); }, &message), ErrorCode::kInternal);
  EXPECT_NE(message.find("schema migration " + std::to_string(base + 2)), std::string::npos) << message;
  EXPECT_EQ(pragma_int(db.get(), "user_version"), base);
  EXPECT_FALSE(has_column(db.get(), "users", "nickname"));  // migration base+1 rolled back too
  EXPECT_EQ(query_int(db.get(), "SELECT count(*) FROM schema_migrations"), base);
  db.reset();
  EXPECT_EQ(open_store(path)->schema_version(), base);
}

TEST(SqliteSchemaTest, EmptyFileBecomesAStore) {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  std::ofstream(path).close();
  EXPECT_EQ(open_store(path)->schema_version(), latest_schema_version());
}

TEST(SqliteSchemaTest, OtherDatabasesAndFilesAreRefused) {
  TempDir dir;
  const std::string foreign = dir.file("foreign.db");
  exec(raw_open(foreign).get(), "CREATE TABLE accounts(id INTEGER)");
  std::string message;
  EXPECT_EQ(error_code_of([&] { open_store(foreign); }, &message), ErrorCode::kCorruption);
  EXPECT_NE(message.find("not a Tailor store"), std::string::npos) << message;

  const std::string other_app = dir.file("other_app.db");
  exec(raw_open(other_app).get(), "PRAGMA application_id=12345");
  EXPECT_EQ(error_code_of([&] { open_store(other_app); }), ErrorCode::kCorruption);

  const std::string text = dir.file("notes.txt");
  std::ofstream(text) << std::string(4096, 'x');
  EXPECT_EQ(error_code_of([&] { open_store(text); }), ErrorCode::kCorruption);
}

// A first import drops events_by_item and rebuilds it at commit; a rollback
// or a kill in between must leave the index where it was.
TEST(SqliteSchemaTest, BulkLoadRebuildsTheItemIndex) {
  TempDir dir;
  const std::string path = dir.file("bulk.db");
  std::unique_ptr<Store> store = open_store(path);
  auto index_exists = [&] {
    DbHandle db = raw_open(path);
    return query_int(db.get(), "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '" +
                                   std::string(kItemIndexName) + "'") == 1;
  };
  {
    std::unique_ptr<StoreWriter> writer = store->begin_write();
    for (int n = 0; n < 100; ++n)
      writer->put_event(make_event("u" + std::to_string(n % 7), "i" + std::to_string(n % 11), "view", n));
    writer->rollback();
  }
  EXPECT_TRUE(index_exists());
  {
    std::unique_ptr<StoreWriter> writer = store->begin_write();
    for (int n = 0; n < 100; ++n)
      writer->put_event(make_event("u" + std::to_string(n % 7), "i" + std::to_string(n % 11), "view", n));
    EXPECT_TRUE(writer->delete_item("i3"));  // without the index: a scan, same result
    writer->commit();
  }
  EXPECT_TRUE(index_exists());
  EXPECT_EQ(store->stats().events, 100u - 9u);  // i3 had n = 3, 14, ..., 91
  {
    DbHandle db = raw_open(path);
    Statement plan(db.get(), "EXPLAIN QUERY PLAN DELETE FROM events WHERE item_idx = 1");
    ASSERT_TRUE(plan.step());
    EXPECT_NE(plan.column_text(3).find(kItemIndexName), std::string::npos) << plan.column_text(3);
  }
  EXPECT_TRUE(dynamic_cast<SqliteStore&>(*store).check_integrity().empty());
}

TEST(OpenStoreTest, AcceptsSqliteUrlsAndPlainPaths) {
  TempDir dir;
  EXPECT_EQ(open_store("sqlite://" + dir.file("abs.db"))->backend(), "sqlite");  // sqlite:///tmp/...
  EXPECT_TRUE(std::filesystem::exists(dir.file("abs.db")));
  EXPECT_EQ(open_store(dir.file("plain.db"))->backend(), "sqlite");
  EXPECT_TRUE(std::filesystem::exists(dir.file("plain.db")));

  const std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  try {
    open_store("sqlite://relative.db").reset();
  } catch (...) {
    std::filesystem::current_path(previous);
    throw;
  }
  std::filesystem::current_path(previous);
  EXPECT_TRUE(std::filesystem::exists(dir.file("relative.db")));
}

TEST(OpenStoreTest, RefusesOtherBackendsNamingTheAvailableOnes) {
  std::string message;
  EXPECT_EQ(error_code_of([&] { open_store("postgres://tailor:secret@db/tailor"); }, &message),
            ErrorCode::kUnavailable);
  EXPECT_NE(message.find("sqlite"), std::string::npos) << message;
  EXPECT_EQ(message.find("secret"), std::string::npos) << "leaks the password: " << message;
  EXPECT_EQ(error_code_of([&] { open_store("mysql://host/db"); }, &message), ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("sqlite"), std::string::npos) << message;
  EXPECT_EQ(error_code_of([&] { open_store(""); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { open_store("sqlite://"); }), ErrorCode::kInvalidArgument);
}

TEST(OpenStoreTest, ReadOnlyNeverCreatesAndNeverWrites) {
  TempDir dir;
  StoreOptions read_only;
  read_only.read_only = true;
  const std::string path = dir.file("store.db");
  EXPECT_EQ(error_code_of([&] { open_store(path, read_only); }), ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path));

  {
    std::unique_ptr<Store> store = open_store(path);
    std::unique_ptr<StoreWriter> writer = store->begin_write();
    writer->put_event(make_event("u", "i", "view", 1));
    writer->commit();
  }
  std::unique_ptr<Store> store = open_store(path, read_only);
  EXPECT_EQ(store->stats().events, 1u);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  EXPECT_EQ(error_code_of([&] { store->begin_write(); }), ErrorCode::kInvalidArgument);
}

TEST(OpenStoreTest, MissingDirectoryIsAnIOError) {
  TempDir dir;
  std::string message;
  EXPECT_EQ(error_code_of([&] { open_store(dir.file("no/such/dir/store.db")); }, &message), ErrorCode::kIO);
  EXPECT_NE(message.find("no/such/dir"), std::string::npos) << message;
}

}  // namespace
}  // namespace tailor::store
