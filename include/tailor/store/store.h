// Front door of the store component: the Store interface that every backend
// (SQLite today, PostgreSQL later) implements, and the factory that opens one
// from a URL. Callers only ever see Store and StoreWriter.
//
// Durability contract: when StoreWriter::commit() returns, everything written
// through that writer is on disk and survives kill -9 of the process. Before
// commit (or if the writer is destroyed without commit) nothing of it is
// visible, ever: a failed import leaves the store unchanged.
//
// Ids: every user and item gets a dense 32-bit index at first insert, stable
// for the life of the store (deleted ids leave a hole; datasets remap densely).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tailor/data/data.h"
#include "tailor/data/import.h"

namespace tailor::store {

using data::Event;
using data::Item;
using data::User;

// An event as stored: ids already resolved to the store's indexes.
struct StoredEvent {
  std::uint32_t user_idx = 0;
  std::uint32_t item_idx = 0;
  std::string type;
  double value = 1.0;
  Timestamp timestamp = 0;
  std::string channel;
};

struct StoreStats {
  std::uint64_t users = 0;
  std::uint64_t items = 0;
  std::uint64_t events = 0;
  std::map<std::string, std::uint64_t> events_by_type;
  Timestamp first_event = 0;
  Timestamp last_event = 0;
};

// Page through users/items: ids strictly greater than `cursor`, ordered by id.
struct Page {
  std::string cursor;  // empty = from the start
  std::size_t limit = 100;
};

// Page through events in the store's event order, which keeps all events of
// one (user, item, type) together (SQLite: user index, item index, type,
// timestamp, fingerprint).
struct EventPage {
  std::string after;      // a PagedEvent::position from an earlier page; "" = from the start
  std::string type;       // only events of this type; "" = every type
  std::size_t limit = 100;
};

// An event and its place in the event order, opaque text that EventPage::after
// accepts to continue right behind it.
struct PagedEvent {
  Event event;
  std::string position;
};

// ---------------------------------------------------------------- records ---
//
// The durable state of the components above the store (consent, campaigns,
// message logs, experiments, exposures, chat sessions, audit trails, ...):
// JSON documents in named collections, one per concept, under a key unique in
// its collection. Every backend implements them the same way, so a component
// that keeps its state in records runs on SQLite and PostgreSQL alike, and
// `tailor migrate`, erasure and export treat all of them at once.
//
// `user` names the user a record is about ("" = nobody): erasure removes and
// export returns every record of a user through it. `ts` is the record's own
// time (windows such as frequency caps, retention); it is not the write time.
// Append-only logs that need time order choose keys that sort by time
// (record_time_key).
struct Record {
  std::string collection;  // [a-z0-9_.:-]+, at most 64 bytes
  std::string key;         // 1..512 bytes
  std::string user;        // the user it is about; "" = none
  Timestamp ts = 0;        // Unix seconds
  std::string body;        // a JSON document (validated on write)
};

// Selects records of one collection. Results are ordered by key.
struct RecordQuery {
  std::string collection;  // required
  std::string user;        // only records about this user; "" = any
  bool any_user = true;    // false with user "" = only records about nobody
  std::string key_prefix;  // only keys that start with it
  std::string after_key;   // only keys strictly greater (paging); "" = from the start
  Timestamp since = std::numeric_limits<Timestamp>::min();  // ts >= since
  Timestamp until = std::numeric_limits<Timestamp>::max();  // ts < until
  std::size_t limit = 0;   // 0 = all
};

// A key that sorts by time: 16 hex digits of the (biased) timestamp, "-",
// then `suffix` (make it unique: a counter, a random id). Keys of the same
// collection built this way list in time order.
std::string record_time_key(Timestamp ts, std::string_view suffix);

// Checks a collection name and a record's fields; InvalidArgument naming the
// field. Every backend calls it before writing.
void validate_record(const Record& record);

// A write transaction. Not thread-safe; one writer at a time per store
// (begin_write blocks while another writer is open).
class StoreWriter : public data::ImportSink {
 public:
  ~StoreWriter() override = default;
  // Inserts or replaces the user (attributes replaced whole).
  void put_user(const User& user) override = 0;
  void put_item(const Item& item) override = 0;
  // Inserts the event; creates the user and item rows (with empty fields) when
  // they do not exist yet. False when the same event is already stored: same
  // (user, item, type, timestamp) and same data::event_fingerprint (value,
  // channel, context), the identity the importers deduplicate by.
  bool put_event(const Event& event) override = 0;
  // Removes the user and all of their events. False when there was no such user.
  virtual bool delete_user(const std::string& user_id) = 0;
  // Removes the item and all events on it.
  virtual bool delete_item(const std::string& item_id) = 0;
  // Removes the events of user on item, only those of `type` unless it is
  // empty; returns how many were removed (0 when user or item is unknown).
  virtual std::size_t delete_events(const std::string& user_id, const std::string& item_id,
                                    const std::string& type) = 0;
  // Stores a named binary artifact (a trained model), replacing any older one.
  virtual void put_artifact(const std::string& name, const std::string& bytes) = 0;
  // Inserts the record or replaces the one with the same (collection, key).
  // InvalidArgument (validate_record) for a bad field or a body that is not JSON.
  virtual void put_record(const Record& record) = 0;
  // Removes one record; false when there was none.
  virtual bool delete_record(const std::string& collection, const std::string& key) = 0;
  // Removes every record the query selects (limit and after_key ignored);
  // returns how many. An empty collection selects every collection, which
  // with `user` set is how erasure removes everything about a user.
  virtual std::size_t delete_records(const RecordQuery& query) = 0;
  // Makes everything durable and visible. The writer cannot be used afterwards.
  virtual void commit() = 0;
  // Discards everything; also what the destructor does without commit().
  virtual void rollback() = 0;
};

// Thread-safety: every const method may be called concurrently with each
// other and with one open StoreWriter (readers see the last committed state).
class Store {
 public:
  virtual ~Store() = default;

  virtual std::unique_ptr<StoreWriter> begin_write() = 0;

  virtual std::optional<User> get_user(const std::string& id) const = 0;
  virtual std::optional<Item> get_item(const std::string& id) const = 0;
  virtual std::vector<User> list_users(const Page& page) const = 0;
  virtual std::vector<Item> list_items(const Page& page) const = 0;
  // Events of one user, newest first, at most limit (0 = all).
  virtual std::vector<Event> user_events(const std::string& user_id, std::size_t limit = 0) const = 0;

  // Events on one item, newest first, at most limit (0 = all).
  virtual std::vector<Event> item_events(const std::string& item_id, std::size_t limit = 0) const = 0;
  // Up to page.limit events after page.after in the event order (see EventPage);
  // InvalidArgument naming "after" for a position this backend did not hand out.
  virtual std::vector<PagedEvent> list_events(const EventPage& page) const = 0;

  // Index of an id, if present.
  virtual std::optional<std::uint32_t> user_index(const std::string& id) const = 0;
  virtual std::optional<std::uint32_t> item_index(const std::string& id) const = 0;

  // Full scans in index order, for building dataset snapshots. The callback
  // gets (index, record). Items and users are streamed, never all copied.
  virtual void scan_users(const std::function<void(std::uint32_t, const User&)>& fn) const = 0;
  virtual void scan_items(const std::function<void(std::uint32_t, const Item&)>& fn) const = 0;
  // All events, in the backend's storage order (SQLite: user_idx, item_idx,
  // type, timestamp, fingerprint). Callers that need another order sort themselves.
  virtual void scan_events(const std::function<void(const StoredEvent&)>& fn) const = 0;

  virtual StoreStats stats() const = 0;

  virtual std::optional<std::string> get_artifact(const std::string& name) const = 0;

  virtual std::optional<Record> get_record(const std::string& collection, const std::string& key) const = 0;
  // Up to query.limit records, ordered by key. InvalidArgument for an empty collection.
  virtual std::vector<Record> list_records(const RecordQuery& query) const = 0;
  // Every selected record, streamed in key order from one snapshot (limit is
  // honoured). An empty collection streams every collection (export, migrate),
  // ordered by (collection, key). The callback may read the store.
  virtual void scan_records(const RecordQuery& query, const std::function<void(const Record&)>& fn) const = 0;
  // How many records the query selects (limit ignored); an empty collection counts all.
  virtual std::uint64_t count_records(const RecordQuery& query) const = 0;

  // Schema version the store is at (numbered migrations).
  virtual int schema_version() const = 0;
  // Backend name: "sqlite", "postgres".
  virtual std::string backend() const = 0;
};

struct StoreOptions {
  bool read_only = false;
  // SQLite: synchronous=FULL (fsync on every commit). Keep on: it is what makes
  // an acknowledged write durable across power loss, not only kill -9.
  bool fsync = true;
  int busy_timeout_ms = 10000;
};

// Opens a store from a URL or path: "sqlite:///path/x.db", "path/x.db".
// Creates the database and runs migrations when it does not exist (unless read_only).
std::unique_ptr<Store> open_store(const std::string& url, const StoreOptions& options = {});

}  // namespace tailor::store
