// StoreWriter of the SQLite store: one BEGIN IMMEDIATE ... COMMIT on a pooled
// connection (see sqlite_writer.h).
//
// put_event is the hot path of every import. In the common case (user, item
// and type seen before in this connection, no context) it does three cache
// lookups, the fingerprint hash of a few bytes, eight binds of caller-owned
// memory (SQLITE_STATIC) and one step of a prepared INSERT: no allocation on
// our side, no SQL parsing.
//
// Bulk load: keeping the per-item index (events_by_item) up to date costs as
// much as the events insert itself, because events arrive grouped by user and
// so land all over an index ordered by item. When a transaction starts adding
// events to an empty events table it drops the index and builds it again in
// one sorted pass just before COMMIT, which roughly doubles the insert rate of
// a first import. Both steps are inside the transaction: a rollback or a
// crash leaves the index as it was.
//
// Every call validates its input before touching the database, so an invalid
// record is refused with nothing written. A failure inside SQLite after that
// point (disk full, I/O error) may have left part of the call applied, or
// SQLite may have rolled the whole transaction back; either way the writer
// refuses further work and commit(), and only rollback() remains.
#include <cmath>
#include <exception>
#include <limits>
#include <optional>
#include <string>

#include "sqlite_records.h"
#include "sqlite_rows.h"
#include "sqlite_schema.h"
#include "sqlite_writer.h"

namespace tailor::store {

WriteConnection::WriteConnection(DbHandle handle)
    : db(std::move(handle)),
      find_user(db.get(), "SELECT idx FROM users WHERE id = ?1"),
      // ?1 idx, ?2..?6 fields, ?7 id: insert and update share the field binding.
      insert_user(db.get(),
                  "INSERT INTO users(idx, attributes, labels, comment, created_at, updated_at, id)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
      update_user(db.get(),
                  "UPDATE users SET attributes = ?2, labels = ?3, comment = ?4,"
                  " created_at = CASE WHEN ?5 = 0 THEN created_at ELSE ?5 END, updated_at = ?6 WHERE idx = ?1"),
      insert_user_stub(db.get(), "INSERT INTO users(idx, id) VALUES (?1, ?2)"),
      find_item(db.get(), "SELECT idx FROM items WHERE id = ?1"),
      // ?1 idx, ?2..?11 fields, ?12 id.
      insert_item(db.get(),
                  "INSERT INTO items(idx, title, description, categories, tags, price, attributes, hidden,"
                  " available, created_at, updated_at, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
      update_item(db.get(),
                  "UPDATE items SET title = ?2, description = ?3, categories = ?4, tags = ?5, price = ?6,"
                  " attributes = ?7, hidden = ?8, available = ?9,"
                  " created_at = CASE WHEN ?10 = 0 THEN created_at ELSE ?10 END, updated_at = ?11 WHERE idx = ?1"),
      insert_item_stub(db.get(), "INSERT INTO items(idx, id) VALUES (?1, ?2)"),
      find_type(db.get(), "SELECT id FROM event_types WHERE name = ?1"),
      insert_type(db.get(), "INSERT INTO event_types(name) VALUES (?1)"),
      // DO NOTHING only on the primary key conflict (a duplicate event); a
      // NOT NULL violation still fails loudly, unlike INSERT OR IGNORE.
      insert_event(db.get(),
                   "INSERT INTO events(user_idx, item_idx, type_id, ts, fingerprint, value, channel, context)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING"),
      delete_user_events(db.get(), "DELETE FROM events WHERE user_idx = ?1"),
      delete_user(db.get(), "DELETE FROM users WHERE idx = ?1"),
      delete_item_events(db.get(), "DELETE FROM events WHERE item_idx = ?1"),
      delete_item(db.get(), "DELETE FROM items WHERE idx = ?1"),
      // ?3 NULL = every type.
      delete_pair_events(db.get(),
                         "DELETE FROM events WHERE user_idx = ?1 AND item_idx = ?2 AND (?3 IS NULL OR type_id = ?3)"),
      upsert_artifact(db.get(),
                      "INSERT INTO artifacts(name, bytes, created_at) VALUES (?1, ?2, ?3)"
                      " ON CONFLICT(name) DO UPDATE SET bytes = excluded.bytes, created_at = excluded.created_at"),
      upsert_record(db.get(),
                    "INSERT INTO records(collection, key, user_id, ts, body) VALUES (?1, ?2, ?3, ?4, ?5)"
                    " ON CONFLICT(collection, key) DO UPDATE SET user_id = excluded.user_id, ts = excluded.ts,"
                    " body = excluded.body"),
      delete_record(db.get(), "DELETE FROM records WHERE collection = ?1 AND key = ?2"),
      read_counter(db.get(), "SELECT value FROM counters WHERE name = ?1"),
      write_counter(db.get(), "UPDATE counters SET value = ?2 WHERE name = ?1"),
      data_version(db.get(), "PRAGMA data_version"),
      any_event(db.get(), "SELECT 1 FROM events LIMIT 1") {}

namespace {

constexpr std::string_view kNextUserIdx = "next_user_idx";
// Ids a pooled connection keeps cached between transactions; a bigger cache
// (after a large import) is dropped at commit rather than held while idle.
constexpr std::size_t kMaxIdleCachedIds = std::size_t{1} << 20;
constexpr std::string_view kNextItemIdx = "next_item_idx";

void check_id(std::string_view id, std::string_view field) {
  if (std::optional<std::string> problem = data::validate_id(id))
    throw_error(ErrorCode::kInvalidArgument, std::string(field) + ": " + *problem);
}

std::int64_t read_counter(WriteConnection& connection, std::string_view name) {
  Statement::Use use(connection.read_counter);
  connection.read_counter.bind_text(1, name);
  if (!connection.read_counter.step())
    throw_error(ErrorCode::kCorruption, "store: counter '" + std::string(name) + "' is missing");
  return connection.read_counter.column_int(0);
}

void write_counter(WriteConnection& connection, std::string_view name, std::int64_t value) {
  Statement::Use use(connection.write_counter);
  connection.write_counter.bind_text(1, name);
  connection.write_counter.bind_int(2, value);
  connection.write_counter.run();
}

// A user or an item as the writer sees it: its cache, its statements and the
// counter its new indexes come from.
struct Entity {
  IdCache& cache;
  Statement& find;
  Statement& insert_stub;
  std::int64_t& next_idx;
  std::string_view name;  // "user" / "item", for messages
};

std::optional<std::uint32_t> lookup(const Entity& entity, std::string_view id) {
  if (std::optional<std::uint32_t> idx = entity.cache.find(id)) return idx;
  Statement::Use use(entity.find);
  entity.find.bind_text(1, id);
  if (!entity.find.step()) return std::nullopt;
  auto idx = static_cast<std::uint32_t>(entity.find.column_int(0));
  entity.cache.insert(id, idx);
  return idx;
}

std::uint32_t allocate_idx(const Entity& entity) {
  if (entity.next_idx > std::numeric_limits<std::uint32_t>::max())
    throw_error(ErrorCode::kInvalidArgument,
                "store: all 2^32 " + std::string(entity.name) + " indexes are used; the store cannot take more");
  return static_cast<std::uint32_t>(entity.next_idx++);
}

// The row put_event creates for an id it has not seen: empty fields, to be
// filled by a later put_user / put_item.
std::uint32_t lookup_or_create(const Entity& entity, std::string_view id) {
  if (std::optional<std::uint32_t> idx = lookup(entity, id)) return *idx;
  std::uint32_t idx = allocate_idx(entity);
  Statement::Use use(entity.insert_stub);
  entity.insert_stub.bind_int(1, idx);
  entity.insert_stub.bind_text(2, id);
  entity.insert_stub.run();
  entity.cache.insert(id, idx);
  return idx;
}

class SqliteWriter final : public StoreWriter {
 public:
  SqliteWriter(std::shared_ptr<WritePool> pool, std::unique_ptr<WriteConnection> connection)
      : pool_(std::move(pool)), connection_(std::move(connection)) {
    next_user_idx_ = committed_user_idx_ = read_counter(*connection_, kNextUserIdx);
    next_item_idx_ = committed_item_idx_ = read_counter(*connection_, kNextItemIdx);
  }

  ~SqliteWriter() override { rollback(); }

  SqliteWriter(const SqliteWriter&) = delete;
  SqliteWriter& operator=(const SqliteWriter&) = delete;

  void put_user(const User& user) override {
    WriteConnection& connection = active();
    check_id(user.id, "user.id");
    const std::string attributes = encode_json_object(user.attributes, "user.attributes");
    const std::string labels = encode_strings(user.labels, "user.labels");
    guarded([&] {
      std::optional<std::uint32_t> existing = lookup(users(), user.id);
      const std::uint32_t idx = existing ? *existing : allocate_idx(users());
      Statement& statement = existing ? connection.update_user : connection.insert_user;
      Statement::Use use(statement);
      statement.bind_int(1, idx);
      statement.bind_text(2, attributes);
      statement.bind_text(3, labels);
      statement.bind_text(4, user.comment);
      statement.bind_int(5, user.created_at);
      statement.bind_int(6, user.updated_at);
      if (!existing) statement.bind_text(7, user.id);
      statement.run();
      if (!existing) connection.users.insert(user.id, idx);
    });
  }

  void put_item(const Item& item) override {
    WriteConnection& connection = active();
    check_id(item.id, "item.id");
    TAILOR_CHECK_ARG(!item.price || std::isfinite(*item.price), "item.price must be a finite number");
    const std::string categories = encode_strings(item.categories, "item.categories");
    const std::string tags = encode_strings(item.tags, "item.tags");
    const std::string attributes = encode_json_object(item.attributes, "item.attributes");
    guarded([&] {
      std::optional<std::uint32_t> existing = lookup(items(), item.id);
      const std::uint32_t idx = existing ? *existing : allocate_idx(items());
      Statement& statement = existing ? connection.update_item : connection.insert_item;
      Statement::Use use(statement);
      statement.bind_int(1, idx);
      statement.bind_text(2, item.title);
      statement.bind_text(3, item.description);
      statement.bind_text(4, categories);
      statement.bind_text(5, tags);
      if (item.price) {
        statement.bind_double(6, *item.price);
      } else {
        statement.bind_null(6);
      }
      statement.bind_text(7, attributes);
      statement.bind_int(8, item.hidden ? 1 : 0);
      statement.bind_int(9, item.available ? 1 : 0);
      statement.bind_int(10, item.created_at);
      statement.bind_int(11, item.updated_at);
      if (!existing) statement.bind_text(12, item.id);
      statement.run();
      if (!existing) connection.items.insert(item.id, idx);
    });
  }

  bool put_event(const Event& event) override {
    WriteConnection& connection = active();
    TAILOR_CHECK_ARG(std::isfinite(event.value), "event.value must be a finite number");
    // Cache hits were validated when they were first seen.
    std::optional<std::uint32_t> user_idx = connection.users.find(event.user_id);
    if (!user_idx) check_id(event.user_id, "event.user_id");
    std::optional<std::uint32_t> item_idx = connection.items.find(event.item_id);
    if (!item_idx) check_id(event.item_id, "event.item_id");
    std::optional<std::uint32_t> type_id = connection.types.find(event.type);
    if (!type_id) check_id(event.type, "event.type");
    // An empty context is stored as NULL: most events have none, and
    // serialising {} for each would be the only allocation left here.
    const bool has_context = !event.context.is_null() && !(event.context.is_object() && event.context.empty());
    if (has_context) context_buffer_ = encode_json_object(event.context, "event.context");
    // Same bits, signed: SQLite integers are signed 64-bit (C++20 defines the conversion).
    const auto fingerprint = static_cast<std::int64_t>(data::event_fingerprint(event));

    return guarded([&] {
      if (item_index_ == ItemIndex::kUndecided) decide_item_index();
      if (!user_idx) user_idx = lookup_or_create(users(), event.user_id);
      if (!item_idx) item_idx = lookup_or_create(items(), event.item_id);
      if (!type_id) type_id = intern_type(event.type);
      Statement& insert = connection.insert_event;
      Statement::Use use(insert);
      insert.bind_int(1, *user_idx);
      insert.bind_int(2, *item_idx);
      insert.bind_int(3, *type_id);
      insert.bind_int(4, event.timestamp);
      insert.bind_int(5, fingerprint);
      insert.bind_double(6, event.value);
      insert.bind_text(7, event.channel);
      if (has_context) {
        insert.bind_text(8, context_buffer_);
      } else {
        insert.bind_null(8);
      }
      return insert.run() > 0;
    });
  }

  bool delete_user(const std::string& user_id) override {
    WriteConnection& connection = active();
    check_id(user_id, "user_id");
    return guarded([&] {
      return remove(users(), user_id, connection.delete_user_events, connection.delete_user);
    });
  }

  bool delete_item(const std::string& item_id) override {
    WriteConnection& connection = active();
    check_id(item_id, "item_id");
    return guarded([&] {
      return remove(items(), item_id, connection.delete_item_events, connection.delete_item);
    });
  }

  std::size_t delete_events(const std::string& user_id, const std::string& item_id,
                            const std::string& type) override {
    WriteConnection& connection = active();
    check_id(user_id, "user_id");
    check_id(item_id, "item_id");
    if (!type.empty()) check_id(type, "type");
    return guarded([&]() -> std::size_t {
      const std::optional<std::uint32_t> user_idx = lookup(users(), user_id);
      const std::optional<std::uint32_t> item_idx = lookup(items(), item_id);
      if (!user_idx || !item_idx) return 0;
      std::optional<std::uint32_t> type_id;
      if (!type.empty()) {
        type_id = connection.types.find(type);
        if (!type_id) {
          Statement::Use use(connection.find_type);
          connection.find_type.bind_text(1, type);
          if (!connection.find_type.step()) return 0;  // never interned: no event has it
          type_id = static_cast<std::uint32_t>(connection.find_type.column_int(0));
        }
      }
      Statement& statement = connection.delete_pair_events;
      Statement::Use use(statement);
      statement.bind_int(1, *user_idx);
      statement.bind_int(2, *item_idx);
      if (type_id) {
        statement.bind_int(3, *type_id);
      } else {
        statement.bind_null(3);
      }
      return static_cast<std::size_t>(statement.run());
    });
  }

  void put_artifact(const std::string& name, const std::string& bytes) override {
    WriteConnection& connection = active();
    check_id(name, "artifact name");
    guarded([&] {
      Statement& upsert = connection.upsert_artifact;
      Statement::Use use(upsert);
      upsert.bind_text(1, name);
      upsert.bind_blob(2, bytes);
      upsert.bind_int(3, now_seconds());
      upsert.run();
    });
  }

  void put_record(const Record& record) override {
    WriteConnection& connection = active();
    validate_record(record);
    guarded([&] { sqlite_put_record(connection, record); });
  }

  bool delete_record(const std::string& collection, const std::string& key) override {
    WriteConnection& connection = active();
    return guarded([&] { return sqlite_delete_record(connection, collection, key); });
  }

  std::size_t delete_records(const RecordQuery& query) override {
    WriteConnection& connection = active();
    TAILOR_CHECK_ARG(!query.collection.empty() || !query.user.empty(),
                     "delete_records: name a collection or a user (refusing to delete every record)");
    return guarded([&] { return sqlite_delete_records(connection, query); });
  }

  void commit() override {
    WriteConnection& connection = active();
    guarded([&] {
      if (next_user_idx_ != committed_user_idx_) write_counter(connection, kNextUserIdx, next_user_idx_);
      if (next_item_idx_ != committed_item_idx_) write_counter(connection, kNextItemIdx, next_item_idx_);
      if (item_index_ == ItemIndex::kDeferred) exec(connection.db.get(), kCreateItemIndex);
      // Durable when this returns: the WAL is fsynced under synchronous=FULL.
      exec(connection.db.get(), "COMMIT");
    });
    if (connection.users.size() + connection.items.size() > kMaxIdleCachedIds) {
      connection.users.clear();
      connection.items.clear();
    }
    pool_->release(std::move(connection_));
  }

  // Idempotent, and a no-op after commit(). Never throws: if ROLLBACK itself
  // fails the connection is closed, which discards the transaction as well.
  void rollback() noexcept override {
    failure_.reset();
    if (!connection_) return;
    WriteConnection& connection = *connection_;
    // Ids created in this transaction are gone with it.
    connection.users.clear();
    connection.items.clear();
    connection.types.clear();
    connection.cached_data_version = -1;
    sqlite3* db = connection.db.get();
    if (sqlite3_get_autocommit(db) == 0 && sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr) != SQLITE_OK) {
      connection_.reset();
      return;
    }
    pool_->release(std::move(connection_));
  }

 private:
  Entity users() {
    return {connection_->users, connection_->find_user, connection_->insert_user_stub, next_user_idx_, "user"};
  }
  Entity items() {
    return {connection_->items, connection_->find_item, connection_->insert_item_stub, next_item_idx_, "item"};
  }

  WriteConnection& active() {
    if (failure_)
      throw Error(failure_->code(),
                  std::string("store writer: an earlier write of this transaction failed; roll back and retry (") +
                      failure_->what() + ")");
    if (!connection_) throw_error(ErrorCode::kInternal, "store writer used after commit() or rollback()");
    return *connection_;
  }

  // Runs the part of a call that writes; a failure there poisons the writer.
  template <class Body>
  auto guarded(Body&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const Error& error) {
      failure_ = error;
      throw;
    } catch (const std::exception& error) {
      failure_ = Error(ErrorCode::kInternal, error.what());
      throw;
    }
  }

  void decide_item_index() {
    WriteConnection& connection = *connection_;
    bool empty = false;
    {
      Statement::Use use(connection.any_event);
      empty = !connection.any_event.step();
    }
    if (empty) {
      exec(connection.db.get(), "DROP INDEX IF EXISTS " + std::string(kItemIndexName));
      item_index_ = ItemIndex::kDeferred;
    } else {
      item_index_ = ItemIndex::kMaintained;
    }
  }

  std::uint32_t intern_type(std::string_view type) {
    WriteConnection& connection = *connection_;
    {
      Statement::Use use(connection.find_type);
      connection.find_type.bind_text(1, type);
      if (connection.find_type.step()) {
        auto id = static_cast<std::uint32_t>(connection.find_type.column_int(0));
        connection.types.insert(type, id);
        return id;
      }
    }
    Statement::Use use(connection.insert_type);
    connection.insert_type.bind_text(1, type);
    connection.insert_type.run();
    auto id = static_cast<std::uint32_t>(sqlite3_last_insert_rowid(connection.db.get()));
    connection.types.insert(type, id);
    return id;
  }

  // Events first, then the row, so no event is ever left without its owner.
  static bool remove(const Entity& entity, std::string_view id, Statement& delete_events, Statement& delete_row) {
    std::optional<std::uint32_t> idx = lookup(entity, id);
    if (!idx) return false;
    {
      Statement::Use use(delete_events);
      delete_events.bind_int(1, *idx);
      delete_events.run();
    }
    Statement::Use use(delete_row);
    delete_row.bind_int(1, *idx);
    delete_row.run();
    entity.cache.erase(id);
    return true;
  }

  std::shared_ptr<WritePool> pool_;
  std::unique_ptr<WriteConnection> connection_;  // null once committed or rolled back
  std::int64_t next_user_idx_ = 0;
  std::int64_t next_item_idx_ = 0;
  std::int64_t committed_user_idx_ = 0;
  std::int64_t committed_item_idx_ = 0;
  // Whether this transaction maintains events_by_item row by row or rebuilds
  // it at commit; decided at its first put_event.
  enum class ItemIndex { kUndecided, kMaintained, kDeferred };
  ItemIndex item_index_ = ItemIndex::kUndecided;
  std::optional<Error> failure_;
  std::string context_buffer_;  // reused so events with a context allocate only when it grows
};

}  // namespace

std::unique_ptr<StoreWriter> begin_sqlite_write(const std::shared_ptr<WritePool>& pool, const std::string& path,
                                                int busy_timeout_ms) {
  std::unique_ptr<WriteConnection> connection = pool->acquire();
  sqlite3* db = connection->db.get();
  try {
    // IMMEDIATE takes the write lock now rather than at the first write, so a
    // second writer waits here (busy_timeout) instead of failing mid-import.
    exec(db, "BEGIN IMMEDIATE");
  } catch (const Error& error) {
    pool->release(std::move(connection));
    if (error.code() != ErrorCode::kUnavailable) throw;
    throw Error(ErrorCode::kUnavailable, "store '" + path + "' is busy: another writer did not finish within " +
                                             std::to_string(busy_timeout_ms) + " ms (" + error.what() + ")");
  }
  try {
    std::int64_t version = 0;
    {
      Statement::Use use(connection->data_version);
      connection->data_version.step();
      version = connection->data_version.column_int(0);
    }
    if (version != connection->cached_data_version) {
      // Another connection committed since this one last wrote: a cached id
      // may have been deleted there.
      connection->users.clear();
      connection->items.clear();
      connection->types.clear();
      connection->cached_data_version = version;
    }
    return std::make_unique<SqliteWriter>(pool, std::move(connection));
  } catch (...) {
    if (connection) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      pool->release(std::move(connection));
    }
    throw;
  }
}

}  // namespace tailor::store
