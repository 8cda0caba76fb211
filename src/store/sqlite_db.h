// Thin RAII layer over the SQLite C API, private to the store component.
//
// Every sqlite3 and sqlite3_stmt handle lives in a unique_ptr with a deleter.
// SQLite result codes are translated into tailor::Error exactly once, here
// (throw_sqlite), with the SQLite message and what we were doing.
//
// A connection is used by one thread at a time (the pools in sqlite_store.h
// hand them out), so connections are opened SQLITE_OPEN_NOMUTEX.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tailor/core/core.h"

namespace tailor::store {

struct SqliteCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using DbHandle = std::unique_ptr<sqlite3, SqliteCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

// BUSY/LOCKED -> kUnavailable, CORRUPT/NOTADB -> kCorruption, CONSTRAINT/TOOBIG/
// RANGE/MISMATCH -> kInvalidArgument, NOMEM/MISUSE -> kInternal, the rest -> kIO.
ErrorCode error_code_for_sqlite(int rc);

// Throws Error(error_code_for_sqlite(rc)) "sqlite: <context>: <message>".
// `db` may be null (open failures); its message is used when it has one.
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view context);

enum class OpenMode {
  kReadWriteCreate,  // writer connections; creates the file when missing
  kReadWrite,        // writer connections of an existing store
  kReadOnly,         // reader and scan connections
};

struct ConnectionOptions {
  OpenMode mode = OpenMode::kReadOnly;
  bool fsync = true;          // synchronous=FULL, else NORMAL (writers only)
  int busy_timeout_ms = 10000;
  int cache_kib = 16 * 1024;  // page cache per connection
};

// Opens a connection and applies the PRAGMAs every connection of a store gets.
// Does not touch the schema (see sqlite_schema.h).
DbHandle open_connection(const std::string& path, const ConnectionOptions& options);

// Runs one or more SQL statements that return no rows we need.
void exec(sqlite3* db, std::string_view sql);

// One prepared statement, reused across calls. Reset it after each use with
// Statement::Use (a guard) so a reader never keeps its snapshot open.
// Text and blobs are bound SQLITE_STATIC: the caller keeps them alive until
// the statement is stepped for the last time in that use.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);

  void bind_int(int index, std::int64_t value);
  void bind_double(int index, double value);
  void bind_text(int index, std::string_view text);
  void bind_blob(int index, std::string_view bytes);
  void bind_null(int index);

  // True when a row is available, false when done. Throws on error.
  bool step();
  // Steps a statement that returns no rows; returns sqlite3_changes.
  int run();

  std::int64_t column_int(int index) const { return sqlite3_column_int64(stmt_.get(), index); }
  double column_double(int index) const { return sqlite3_column_double(stmt_.get(), index); }
  bool column_is_null(int index) const { return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL; }
  // Valid until the next step/reset of this statement.
  std::string_view column_text(int index) const;
  std::string column_string(int index) const { return std::string(column_text(index)); }
  std::string_view column_blob(int index) const;

  // Resets the statement (releasing its read snapshot) and clears bindings.
  void reset() noexcept;
  sqlite3_stmt* get() const { return stmt_.get(); }

  // Guard that resets the statement when it goes out of scope.
  class Use {
   public:
    explicit Use(Statement& statement) : statement_(statement) {}
    ~Use() { statement_.reset(); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    Statement& statement_;
  };

 private:
  [[noreturn]] void fail(int rc) const;
  sqlite3* db_;
  StmtHandle stmt_;
};

// Reads a single integer PRAGMA, e.g. pragma_int(db, "user_version").
std::int64_t pragma_int(sqlite3* db, std::string_view name);

}  // namespace tailor::store
