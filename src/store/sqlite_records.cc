// Records (store.h) on SQLite: the reads of SqliteStore and the writes the
// writer delegates here. Table and indexes: migration 2 in sqlite_schema.cc.
//
// A query is one SELECT whose WHERE clause has only the conditions the
// RecordQuery sets, so SQLite picks the matching index: (collection, key) for
// key ranges and paging, records_by_user for one user's records,
// records_by_time for time windows. A key prefix is the range
// [prefix, successor(prefix)), where successor increments the last byte that
// is not 0xFF; SQLite compares text bytewise (BINARY collation).
#include <string>
#include <vector>

#include "sqlite_records.h"
#include "sqlite_store.h"

namespace tailor::store {
namespace {

constexpr std::string_view kRecordColumns = "collection, key, user_id, ts, body";

// The smallest string greater than every string that starts with prefix, or
// nullopt when there is none (all bytes 0xFF).
std::optional<std::string> prefix_successor(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last != 0xFF) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

// WHERE clause and its bindings for a query; `all_collections` lets an empty
// collection select every collection.
struct Where {
  std::string sql;
  std::vector<std::string> texts;      // bound first, ?1..?k
  std::vector<std::int64_t> numbers;   // then ?k+1..
  void bind(Statement& statement) const {
    int index = 1;
    for (const auto& text : texts) statement.bind_text(index++, text);
    for (auto number : numbers) statement.bind_int(index++, number);
  }
};

Where record_where(const RecordQuery& query, bool all_collections, bool with_paging) {
  TAILOR_CHECK_ARG(all_collections || !query.collection.empty(), "record query: collection is required");
  std::vector<std::string> text_conditions, number_conditions;
  Where where;
  const auto add_text = [&](const std::string& condition, std::string value) {
    where.texts.push_back(std::move(value));
    text_conditions.push_back(condition);
  };
  if (!query.collection.empty()) add_text("collection = ?", query.collection);
  if (!query.user.empty()) {
    add_text("user_id = ?", query.user);
  } else if (!query.any_user) {
    text_conditions.push_back("user_id = ''");
  }
  if (!query.key_prefix.empty()) {
    add_text("key >= ?", query.key_prefix);
    if (auto end = prefix_successor(query.key_prefix)) add_text("key < ?", *end);
  }
  if (with_paging && !query.after_key.empty()) add_text("key > ?", query.after_key);
  if (query.since != std::numeric_limits<Timestamp>::min()) {
    where.numbers.push_back(query.since);
    number_conditions.push_back("ts >= ?");
  }
  if (query.until != std::numeric_limits<Timestamp>::max()) {
    where.numbers.push_back(query.until);
    number_conditions.push_back("ts < ?");
  }
  // Number the placeholders in binding order: texts first, then numbers.
  int index = 1;
  std::string sql;
  for (const auto* list : {&text_conditions, &number_conditions}) {
    for (const auto& condition : *list) {
      sql += sql.empty() ? " WHERE " : " AND ";
      const auto mark = condition.find('?');
      sql += mark == std::string::npos ? condition
                                       : condition.substr(0, mark + 1) + std::to_string(index++) +
                                             condition.substr(mark + 1);
    }
  }
  where.sql = std::move(sql);
  return where;
}

Record read_record(const Statement& statement) {
  Record record;
  record.collection = statement.column_string(0);
  record.key = statement.column_string(1);
  record.user = statement.column_string(2);
  record.ts = statement.column_int(3);
  record.body = statement.column_string(4);
  return record;
}

std::int64_t sql_record_limit(std::size_t limit) {
  if (limit == 0) return -1;
  return limit > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(limit);
}

}  // namespace

std::optional<Record> SqliteStore::get_record(const std::string& collection, const std::string& key) const {
  PooledConnection connection(*read_pool_);
  Statement statement(connection->db.get(), "SELECT " + std::string(kRecordColumns) +
                                                " FROM records WHERE collection = ?1 AND key = ?2");
  statement.bind_text(1, collection);
  statement.bind_text(2, key);
  if (!statement.step()) return std::nullopt;
  return read_record(statement);
}

std::vector<Record> SqliteStore::list_records(const RecordQuery& query) const {
  std::vector<Record> out;
  scan_records_impl(query, false, [&out](const Record& record) { out.push_back(record); });
  return out;
}

void SqliteStore::scan_records(const RecordQuery& query, const std::function<void(const Record&)>& fn) const {
  scan_records_impl(query, true, fn);
}

void SqliteStore::scan_records_impl(const RecordQuery& query, bool all_collections,
                                    const std::function<void(const Record&)>& fn) const {
  const Where where = record_where(query, all_collections, true);
  PooledConnection connection(*read_pool_);
  Statement statement(connection->db.get(), "SELECT " + std::string(kRecordColumns) + " FROM records" + where.sql +
                                                " ORDER BY collection, key LIMIT ?" +
                                                std::to_string(where.texts.size() + where.numbers.size() + 1));
  where.bind(statement);
  statement.bind_int(static_cast<int>(where.texts.size() + where.numbers.size() + 1), sql_record_limit(query.limit));
  // A statement is one snapshot in WAL mode: the whole scan sees one state.
  while (statement.step()) fn(read_record(statement));
}

std::uint64_t SqliteStore::count_records(const RecordQuery& query) const {
  const Where where = record_where(query, true, false);
  PooledConnection connection(*read_pool_);
  Statement statement(connection->db.get(), "SELECT count(*) FROM records" + where.sql);
  where.bind(statement);
  statement.step();
  return static_cast<std::uint64_t>(statement.column_int(0));
}

void sqlite_put_record(WriteConnection& connection, const Record& record) {
  Statement& upsert = connection.upsert_record;
  Statement::Use use(upsert);
  upsert.bind_text(1, record.collection);
  upsert.bind_text(2, record.key);
  upsert.bind_text(3, record.user);
  upsert.bind_int(4, record.ts);
  upsert.bind_text(5, record.body);
  upsert.run();
}

bool sqlite_delete_record(WriteConnection& connection, const std::string& collection, const std::string& key) {
  Statement& erase = connection.delete_record;
  Statement::Use use(erase);
  erase.bind_text(1, collection);
  erase.bind_text(2, key);
  return erase.run() > 0;
}

std::size_t sqlite_delete_records(WriteConnection& connection, const RecordQuery& query) {
  TAILOR_CHECK_ARG(!query.collection.empty() || !query.user.empty(),
                   "delete_records: name a collection or a user (refusing to delete every record)");
  const Where where = record_where(query, true, false);
  Statement statement(connection.db.get(), "DELETE FROM records" + where.sql);
  where.bind(statement);
  return static_cast<std::size_t>(statement.run());
}

}  // namespace tailor::store
