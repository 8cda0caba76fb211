// SqliteStore: opening a store and every read. Reads run on pooled read-only
// connections (see sqlite_store.h); statements are prepared once per
// connection and reset after each use so no reader holds a WAL snapshot
// longer than its call.
#include "sqlite_store.h"

#include <charconv>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>

#include "sqlite_rows.h"
#include "sqlite_schema.h"

namespace tailor::store {
namespace {

// Readers kept open between calls; more are opened under load and closed after.
constexpr std::size_t kMaxIdleReaders = 8;
// Page cache per connection, KiB. The writer gets more: an import touches the
// whole events B-tree and its index within one transaction.
constexpr int kReaderCacheKib = 16 * 1024;
constexpr int kWriterCacheKib = 64 * 1024;

std::string query_sql(ReadConnection::Query query) {
  const std::string user_select = "SELECT " + std::string(kUserColumns) + " FROM users";
  const std::string item_select = "SELECT " + std::string(kItemColumns) + " FROM items";
  switch (query) {
    case ReadConnection::kGetUser: return user_select + " WHERE id = ?1";
    case ReadConnection::kGetItem: return item_select + " WHERE id = ?1";
    case ReadConnection::kListUsers: return user_select + " WHERE id > ?1 ORDER BY id LIMIT ?2";
    case ReadConnection::kListItems: return item_select + " WHERE id > ?1 ORDER BY id LIMIT ?2";
    case ReadConnection::kUserEvents:
      // One statement so the user lookup and its events share a snapshot.
      return "SELECT i.id, t.name, e.value, e.ts, e.channel, e.context FROM events e"
             " JOIN items i ON i.idx = e.item_idx JOIN event_types t ON t.id = e.type_id"
             " WHERE e.user_idx = (SELECT idx FROM users WHERE id = ?1)"
             " ORDER BY e.ts DESC, e.item_idx, e.type_id, e.fingerprint LIMIT ?2";
    case ReadConnection::kItemEvents:
      return "SELECT u.id, t.name, e.value, e.ts, e.channel, e.context FROM events e"
             " JOIN users u ON u.idx = e.user_idx JOIN event_types t ON t.id = e.type_id"
             " WHERE e.item_idx = (SELECT idx FROM items WHERE id = ?1)"
             " ORDER BY e.ts DESC, e.user_idx, e.type_id, e.fingerprint LIMIT ?2";
    case ReadConnection::kListEvents:
      // A row-value range on the primary key: each page is an index seek, not a scan.
      return "SELECT e.user_idx, e.item_idx, e.type_id, e.ts, e.fingerprint, u.id, i.id, t.name, e.value,"
             " e.channel, e.context FROM events e"
             " JOIN users u ON u.idx = e.user_idx JOIN items i ON i.idx = e.item_idx"
             " JOIN event_types t ON t.id = e.type_id"
             " WHERE (e.user_idx, e.item_idx, e.type_id, e.ts, e.fingerprint) > (?1, ?2, ?3, ?4, ?5)"
             " AND (?6 = '' OR t.name = ?6)"
             " ORDER BY e.user_idx, e.item_idx, e.type_id, e.ts, e.fingerprint LIMIT ?7";
    case ReadConnection::kUserIndex: return "SELECT idx FROM users WHERE id = ?1";
    case ReadConnection::kItemIndex: return "SELECT idx FROM items WHERE id = ?1";
    case ReadConnection::kScanUsers: return user_select + " ORDER BY idx";
    case ReadConnection::kScanItems: return item_select + " ORDER BY idx";
    case ReadConnection::kScanEvents:
      // The primary key order; the ORDER BY costs nothing (it is the table's order).
      return "SELECT user_idx, item_idx, type_id, ts, value, channel FROM events"
             " ORDER BY user_idx, item_idx, type_id, ts, fingerprint";
    case ReadConnection::kEventTypes: return "SELECT id, name FROM event_types";
    case ReadConnection::kCountUsers: return "SELECT count(*) FROM users";
    case ReadConnection::kCountItems: return "SELECT count(*) FROM items";
    // Both columns are in events_by_item, so SQLite reads the smaller index.
    case ReadConnection::kEventTypeTimes: return "SELECT type_id, ts FROM events";
    case ReadConnection::kGetArtifact: return "SELECT bytes FROM artifacts WHERE name = ?1";
    case ReadConnection::kQueryCount: break;
  }
  throw_error(ErrorCode::kInternal, "store: unknown read query");
}

// A read transaction, so a reader that runs several statements (a scan with
// its type names, stats) sees one snapshot.
class ReadTransaction {
 public:
  explicit ReadTransaction(sqlite3* db) : db_(db) { exec(db_, "BEGIN"); }
  ~ReadTransaction() { sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr); }  // read-only: nothing to lose
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  sqlite3* db_;
};

std::int64_t sql_limit(std::size_t limit) {
  if (limit == 0) return -1;  // SQLite: a negative LIMIT means none
  return limit > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(limit);
}

std::optional<std::uint32_t> find_index(ReadConnection& connection, ReadConnection::Query query,
                                        const std::string& id) {
  Statement& statement = connection.statement(query);
  Statement::Use use(statement);
  statement.bind_text(1, id);
  if (!statement.step()) return std::nullopt;
  return static_cast<std::uint32_t>(statement.column_int(0));
}

// type_id -> name, for turning stored events back into named ones.
std::vector<std::string> event_type_names(ReadConnection& connection) {
  std::vector<std::string> names;
  Statement& statement = connection.statement(ReadConnection::kEventTypes);
  Statement::Use use(statement);
  while (statement.step()) {
    std::int64_t id = statement.column_int(0);
    if (id < 0 || id > std::numeric_limits<std::uint32_t>::max())
      throw_error(ErrorCode::kCorruption, "store: event type id " + std::to_string(id) + " out of range");
    if (static_cast<std::size_t>(id) >= names.size()) names.resize(static_cast<std::size_t>(id) + 1);
    names[static_cast<std::size_t>(id)] = statement.column_string(1);
  }
  return names;
}

const std::string& type_name(const std::vector<std::string>& names, std::int64_t type_id) {
  if (type_id < 0 || static_cast<std::size_t>(type_id) >= names.size() ||
      names[static_cast<std::size_t>(type_id)].empty())
    throw_error(ErrorCode::kCorruption, "store: event refers to unknown event type " + std::to_string(type_id));
  return names[static_cast<std::size_t>(type_id)];
}

}  // namespace

Statement& ReadConnection::statement(Query query) {
  std::unique_ptr<Statement>& slot = statements[query];
  if (!slot) slot = std::make_unique<Statement>(db.get(), query_sql(query));
  return *slot;
}

std::unique_ptr<SqliteStore> SqliteStore::open(const std::string& path, const StoreOptions& options) {
  TAILOR_CHECK_ARG(!path.empty(), "store path must not be empty");
  TAILOR_CHECK_ARG(options.busy_timeout_ms >= 0, "store busy_timeout_ms must be >= 0");
  return std::unique_ptr<SqliteStore>(new SqliteStore(path, options));
}

SqliteStore::SqliteStore(std::string path, const StoreOptions& options) : path_(std::move(path)), options_(options) {
  ConnectionOptions read_options;
  read_options.mode = OpenMode::kReadOnly;
  read_options.busy_timeout_ms = options.busy_timeout_ms;
  read_options.cache_kib = kReaderCacheKib;
  read_pool_ = std::make_unique<ReadPool>(
      [path = path_, read_options] { return std::make_unique<ReadConnection>(open_connection(path, read_options)); },
      kMaxIdleReaders);
  try {
    if (options.read_only) {
      if (!std::filesystem::exists(path_)) throw_error(ErrorCode::kNotFound, "store does not exist");
      auto first = std::make_unique<ReadConnection>(open_connection(path_, read_options));
      check_schema_version(first->db.get());
      read_pool_->adopt(std::move(first));
      return;
    }
    ConnectionOptions write_options;
    write_options.mode = OpenMode::kReadWriteCreate;
    write_options.fsync = options.fsync;
    write_options.busy_timeout_ms = options.busy_timeout_ms;
    write_options.cache_kib = kWriterCacheKib;
    DbHandle db = open_connection(path_, write_options);
    migrate_schema(db.get());
    auto first = std::make_unique<WriteConnection>(std::move(db));
    // Later writer connections must not silently create a fresh empty store
    // if the file was removed underneath us.
    write_options.mode = OpenMode::kReadWrite;
    write_pool_ = std::make_shared<WritePool>(
        [path = path_, write_options] {
          return std::make_unique<WriteConnection>(open_connection(path, write_options));
        },
        /*max_idle=*/1);
    write_pool_->adopt(std::move(first));
  } catch (const Error& error) {
    throw Error(error.code(), "store '" + path_ + "': " + error.what());
  }
}

std::unique_ptr<StoreWriter> SqliteStore::begin_write() {
  if (!write_pool_)
    throw_error(ErrorCode::kInvalidArgument, "store '" + path_ + "' was opened read-only; it cannot be written");
  return begin_sqlite_write(write_pool_, path_, options_.busy_timeout_ms);
}

std::optional<User> SqliteStore::get_user(const std::string& id) const {
  PooledConnection connection(*read_pool_);
  Statement& statement = connection->statement(ReadConnection::kGetUser);
  Statement::Use use(statement);
  statement.bind_text(1, id);
  if (!statement.step()) return std::nullopt;
  return read_user(statement);
}

std::optional<Item> SqliteStore::get_item(const std::string& id) const {
  PooledConnection connection(*read_pool_);
  Statement& statement = connection->statement(ReadConnection::kGetItem);
  Statement::Use use(statement);
  statement.bind_text(1, id);
  if (!statement.step()) return std::nullopt;
  return read_item(statement);
}

std::vector<User> SqliteStore::list_users(const Page& page) const {
  PooledConnection connection(*read_pool_);
  Statement& statement = connection->statement(ReadConnection::kListUsers);
  Statement::Use use(statement);
  statement.bind_text(1, page.cursor);
  statement.bind_int(2, sql_limit(page.limit));
  std::vector<User> users;
  while (statement.step()) users.push_back(read_user(statement));
  return users;
}

std::vector<Item> SqliteStore::list_items(const Page& page) const {
  PooledConnection connection(*read_pool_);
  Statement& statement = connection->statement(ReadConnection::kListItems);
  Statement::Use use(statement);
  statement.bind_text(1, page.cursor);
  statement.bind_int(2, sql_limit(page.limit));
  std::vector<Item> items;
  while (statement.step()) items.push_back(read_item(statement));
  return items;
}

std::vector<Event> SqliteStore::user_events(const std::string& user_id, std::size_t limit) const {
  PooledConnection connection(*read_pool_);
  Statement& statement = connection->statement(ReadConnection::kUserEvents);
  Statement::Use use(statement);
  statement.bind_text(1, user_id);
  statement.bind_int(2, sql_limit(limit));
  std::vector<Event> events;
  while (statement.step()) {
    Event& event = events.emplace_back();
    event.user_id = user_id;
    event.item_id = statement.column_string(0);
    event.type = statement.column_string(1);
    event.value = statement.column_double(2);
    event.timestamp = statement.column_int(3);
    event.channel = statement.column_string(4);
    if (!statement.column_is_null(5))
      event.context = decode_json_object(statement.column_text(5), "context of an event of user", user_id);
  }
  return events;
}

std::vector<Event> SqliteStore::item_events(const std::string& item_id, std::size_t limit) const {
  PooledConnection connection(*read_pool_);
  Statement& statement = connection->statement(ReadConnection::kItemEvents);
  Statement::Use use(statement);
  statement.bind_text(1, item_id);
  statement.bind_int(2, sql_limit(limit));
  std::vector<Event> events;
  while (statement.step()) {
    Event& event = events.emplace_back();
    event.user_id = statement.column_string(0);
    event.item_id = item_id;
    event.type = statement.column_string(1);
    event.value = statement.column_double(2);
    event.timestamp = statement.column_int(3);
    event.channel = statement.column_string(4);
    if (!statement.column_is_null(5))
      event.context = decode_json_object(statement.column_text(5), "context of an event on item", item_id);
  }
  return events;
}

std::vector<PagedEvent> SqliteStore::list_events(const EventPage& page) const {
  // Before every key: indexes are >= 0, so -1 sorts first whatever follows.
  std::array<std::int64_t, 5> after = {-1, 0, 0, 0, 0};
  if (!page.after.empty()) {
    std::string_view rest = page.after;
    for (std::size_t part = 0; part < after.size(); ++part) {
      const std::size_t colon = rest.find(':');
      if ((colon == std::string_view::npos) != (part + 1 == after.size()))
        throw_error(ErrorCode::kInvalidArgument, "after: not an event position of this store");
      const std::string_view field = rest.substr(0, colon);
      auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), after[part]);
      if (ec != std::errc() || end != field.data() + field.size() || field.empty())
        throw_error(ErrorCode::kInvalidArgument, "after: not an event position of this store");
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  PooledConnection connection(*read_pool_);
  Statement& statement = connection->statement(ReadConnection::kListEvents);
  Statement::Use use(statement);
  for (std::size_t part = 0; part < after.size(); ++part) statement.bind_int(static_cast<int>(part) + 1, after[part]);
  statement.bind_text(6, page.type);
  statement.bind_int(7, sql_limit(page.limit));
  std::vector<PagedEvent> events;
  while (statement.step()) {
    PagedEvent& paged = events.emplace_back();
    for (int column = 0; column < 5; ++column)
      paged.position += (column > 0 ? ":" : "") + std::to_string(statement.column_int(column));
    Event& event = paged.event;
    event.user_id = statement.column_string(5);
    event.item_id = statement.column_string(6);
    event.type = statement.column_string(7);
    event.value = statement.column_double(8);
    event.timestamp = statement.column_int(3);
    event.channel = statement.column_string(9);
    if (!statement.column_is_null(10))
      event.context = decode_json_object(statement.column_text(10), "context of an event of user", event.user_id);
  }
  return events;
}

std::optional<std::uint32_t> SqliteStore::user_index(const std::string& id) const {
  PooledConnection connection(*read_pool_);
  return find_index(*connection, ReadConnection::kUserIndex, id);
}

std::optional<std::uint32_t> SqliteStore::item_index(const std::string& id) const {
  PooledConnection connection(*read_pool_);
  return find_index(*connection, ReadConnection::kItemIndex, id);
}

void SqliteStore::scan_users(const std::function<void(std::uint32_t, const User&)>& fn) const {
  PooledConnection connection(*read_pool_);
  Statement& statement = connection->statement(ReadConnection::kScanUsers);
  Statement::Use use(statement);
  while (statement.step()) fn(static_cast<std::uint32_t>(statement.column_int(0)), read_user(statement));
}

void SqliteStore::scan_items(const std::function<void(std::uint32_t, const Item&)>& fn) const {
  PooledConnection connection(*read_pool_);
  Statement& statement = connection->statement(ReadConnection::kScanItems);
  Statement::Use use(statement);
  while (statement.step()) fn(static_cast<std::uint32_t>(statement.column_int(0)), read_item(statement));
}

void SqliteStore::scan_events(const std::function<void(const StoredEvent&)>& fn) const {
  PooledConnection connection(*read_pool_);
  ReadTransaction transaction(connection->db.get());
  const std::vector<std::string> names = event_type_names(*connection);
  Statement& statement = connection->statement(ReadConnection::kScanEvents);
  Statement::Use use(statement);
  StoredEvent event;  // reused: its strings keep their capacity across rows
  while (statement.step()) {
    event.user_idx = static_cast<std::uint32_t>(statement.column_int(0));
    event.item_idx = static_cast<std::uint32_t>(statement.column_int(1));
    event.type = type_name(names, statement.column_int(2));
    event.timestamp = statement.column_int(3);
    event.value = statement.column_double(4);
    event.channel = statement.column_text(5);
    fn(event);
  }
}

StoreStats SqliteStore::stats() const {
  PooledConnection connection(*read_pool_);
  ReadTransaction transaction(connection->db.get());
  StoreStats stats;
  for (auto [query, count] : {std::pair{ReadConnection::kCountUsers, &stats.users},
                              std::pair{ReadConnection::kCountItems, &stats.items}}) {
    Statement& statement = connection->statement(query);
    Statement::Use use(statement);
    statement.step();
    *count = static_cast<std::uint64_t>(statement.column_int(0));
  }
  // Counted here rather than with GROUP BY, which would sort every event.
  std::vector<std::uint64_t> counts;
  Statement& statement = connection->statement(ReadConnection::kEventTypeTimes);
  Statement::Use use(statement);
  while (statement.step()) {
    std::int64_t type_id = statement.column_int(0);
    Timestamp ts = statement.column_int(1);
    if (type_id < 0 || type_id > std::numeric_limits<std::uint32_t>::max())
      throw_error(ErrorCode::kCorruption, "store: event type id " + std::to_string(type_id) + " out of range");
    if (static_cast<std::size_t>(type_id) >= counts.size()) counts.resize(static_cast<std::size_t>(type_id) + 1);
    ++counts[static_cast<std::size_t>(type_id)];
    if (stats.events == 0 || ts < stats.first_event) stats.first_event = ts;
    if (stats.events == 0 || ts > stats.last_event) stats.last_event = ts;
    ++stats.events;
  }
  const std::vector<std::string> names = event_type_names(*connection);
  for (std::size_t type_id = 0; type_id < counts.size(); ++type_id) {
    if (counts[type_id] > 0)
      stats.events_by_type[type_name(names, static_cast<std::int64_t>(type_id))] = counts[type_id];
  }
  return stats;
}

std::optional<std::string> SqliteStore::get_artifact(const std::string& name) const {
  PooledConnection connection(*read_pool_);
  Statement& statement = connection->statement(ReadConnection::kGetArtifact);
  Statement::Use use(statement);
  statement.bind_text(1, name);
  if (!statement.step()) return std::nullopt;
  return std::string(statement.column_blob(0));
}

int SqliteStore::schema_version() const {
  PooledConnection connection(*read_pool_);
  return static_cast<int>(pragma_int(connection->db.get(), "user_version"));
}

std::vector<std::string> SqliteStore::check_integrity() const {
  PooledConnection connection(*read_pool_);
  std::vector<std::string> problems;
  Statement integrity(connection->db.get(), "PRAGMA integrity_check");
  while (integrity.step()) {
    std::string line = integrity.column_string(0);
    if (line != "ok") problems.push_back(std::move(line));
  }
  Statement foreign_keys(connection->db.get(), "PRAGMA foreign_key_check");
  while (foreign_keys.step())
    problems.push_back("foreign key: a row of " + foreign_keys.column_string(0) + " refers to a missing row of " +
                       foreign_keys.column_string(2));
  return problems;
}

}  // namespace tailor::store
