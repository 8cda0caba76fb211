// RAII wrappers over the SQLite C API and the one place SQLite result codes
// become tailor::Error. See sqlite_db.h.
#include "sqlite_db.h"

#include <limits>
#include <string>

namespace tailor::store {

ErrorCode error_code_for_sqlite(int rc) {
  switch (rc & 0xff) {  // primary code; extended codes keep it in the low byte
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_SCHEMA:  // another connection changed the schema: retryable
      return ErrorCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      return ErrorCode::kCorruption;
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return ErrorCode::kInvalidArgument;
    case SQLITE_ERROR:  // SQL the code itself wrote was refused: a bug, not the user's fault
    case SQLITE_NOMEM:
    case SQLITE_MISUSE:
    case SQLITE_INTERNAL:
      return ErrorCode::kInternal;
    default:  // IOERR, FULL, CANTOPEN, READONLY, PERM, PROTOCOL, ...
      return ErrorCode::kIO;
  }
}

void throw_sqlite(sqlite3* db, int rc, std::string_view context) {
  std::string message = "sqlite: ";
  message.append(context);
  message += ": ";
  // sqlite3_errmsg describes the most recent failure on db, which is rc's.
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += " (code ";
  message += std::to_string(rc);
  message += ')';
  throw Error(error_code_for_sqlite(rc), message);
}

namespace {

// Context for statement errors: the start of the SQL, enough to find it in the code.
std::string sql_context(sqlite3_stmt* stmt) {
  const char* sql = stmt != nullptr ? sqlite3_sql(stmt) : nullptr;
  if (sql == nullptr) return "statement";
  std::string text(sql);
  constexpr std::size_t kMaxContext = 120;
  if (text.size() > kMaxContext) text = text.substr(0, kMaxContext) + "...";
  return text;
}

}  // namespace

DbHandle open_connection(const std::string& path, const ConnectionOptions& options) {
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (options.mode) {
    case OpenMode::kReadWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    case OpenMode::kReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
    case OpenMode::kReadOnly: flags |= SQLITE_OPEN_READONLY; break;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);  // SQLite hands back a handle even on failure; it must be closed
  if (rc != SQLITE_OK) throw_sqlite(raw, rc, "open '" + path + "'");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);

  // Referential integrity (events -> users/items/event_types) is kept by the
  // writer itself: put_event creates missing rows, deletes remove events
  // first. Enforcing it in SQLite would add three B-tree probes to every event
  // insert, the hot path of an import. check_integrity() runs
  // foreign_key_check so a violation is still caught in tests.
  exec(db.get(), "PRAGMA foreign_keys=OFF");
  exec(db.get(), "PRAGMA cache_size=-" + std::to_string(options.cache_kib));
  if (options.mode == OpenMode::kReadOnly) {
    // Scans of a large store read every page; mapping them avoids a copy each.
    exec(db.get(), "PRAGMA mmap_size=268435456");
  } else {
    // WAL: readers see the last commit and never block the writer; a commit
    // appends to the log, so a kill -9 mid-transaction leaves no trace.
    Statement journal(db.get(), "PRAGMA journal_mode=WAL");
    if (!journal.step() || journal.column_text(0) != "wal")
      throw_error(ErrorCode::kIO, "sqlite: cannot switch '" + path + "' to WAL journal mode");
    // FULL fsyncs the log on every commit (durable across power loss);
    // NORMAL only at checkpoints (durable across a process crash).
    exec(db.get(), options.fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    // The log is truncated to this size after a checkpoint instead of staying
    // as large as the biggest import ever was.
    exec(db.get(), "PRAGMA journal_size_limit=67108864");
  }
  return db;
}

void exec(sqlite3* db, std::string_view sql) {
  std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  char* raw_message = nullptr;
  int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, &raw_message);
  std::unique_ptr<char, decltype(&sqlite3_free)> message(raw_message, &sqlite3_free);
  if (rc != SQLITE_OK) {
    constexpr std::size_t kMaxContext = 120;
    throw_sqlite(db, rc, text.size() > kMaxContext ? text.substr(0, kMaxContext) + "..." : text);
  }
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  TAILOR_ASSERT(sql.size() < static_cast<std::size_t>(std::numeric_limits<int>::max()));
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                              nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) throw_sqlite(db, rc, "prepare " + std::string(sql.substr(0, 120)));
}

void Statement::fail(int rc) const { throw_sqlite(db_, rc, sql_context(stmt_.get())); }

void Statement::bind_int(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK) fail(rc);
}

void Statement::bind_double(int index, double value) {
  int rc = sqlite3_bind_double(stmt_.get(), index, value);
  if (rc != SQLITE_OK) fail(rc);
}

void Statement::bind_text(int index, std::string_view text) {
  // sqlite3_bind_text64 takes the length, so embedded NULs survive and no copy is made.
  int rc = sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(rc);
}

void Statement::bind_blob(int index, std::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_.get(), index, bytes.data(), bytes.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK) fail(rc);
}

void Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK) fail(rc);
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(rc);
}

int Statement::run() {
  while (step()) {
  }
  return sqlite3_changes(db_);
}

std::string_view Statement::column_text(int index) const {
  // Text first, then the byte count: the documented order that avoids a conversion.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), index));
  int bytes = sqlite3_column_bytes(stmt_.get(), index);
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(bytes)};
}

std::string_view Statement::column_blob(int index) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_.get(), index));
  int size = sqlite3_column_bytes(stmt_.get(), index);
  if (bytes == nullptr) return {};
  return {bytes, static_cast<std::size_t>(size)};
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::int64_t pragma_int(sqlite3* db, std::string_view name) {
  Statement statement(db, "PRAGMA " + std::string(name));
  if (!statement.step()) throw_error(ErrorCode::kInternal, "sqlite: PRAGMA " + std::string(name) + " returned no row");
  return statement.column_int(0);
}

}  // namespace tailor::store
