// A Store decorator that tells the server what each committed write touched.
//
// The server wraps its store in a TrackedStore, so every handler that writes
// (the /v1 routes, the Gorse-compatible /api routes, anything added later)
// reports its writes without knowing about the consumers: the recommendation
// cache (per-user and catalogue generations) and the retraining scheduler
// (events written since the last training). Reads forward unchanged.
//
// The report is made after the inner commit() returns, never before: a
// request that sees a bumped generation is guaranteed to read the new data.
// Writes by other processes on the same store file are not seen here.
// Every method of Store and StoreWriter must be forwarded: a new pure virtual
// in store.h fails this class's build until it is added here.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "tailor/store/store.h"

namespace tailor::server {

// What one committed transaction changed.
struct WriteSummary {
  std::unordered_set<std::string> users;  // users whose events or attributes changed
  bool catalogue = false;                 // an item was written or deleted
  std::size_t events = 0;                 // events newly stored (duplicates not counted)
  std::vector<data::Event> new_events;    // those events (experiments attribute them to exposures)
};

class TrackedStore final : public store::Store {
 public:
  // on_commit runs on the committing thread after each successful commit;
  // it must be thread-safe (writers of different requests commit in turn).
  TrackedStore(std::unique_ptr<store::Store> inner, std::function<void(const WriteSummary&)> on_commit);

  std::unique_ptr<store::StoreWriter> begin_write() override;

  std::optional<store::User> get_user(const std::string& id) const override { return inner_->get_user(id); }
  std::optional<store::Item> get_item(const std::string& id) const override { return inner_->get_item(id); }
  std::vector<store::User> list_users(const store::Page& page) const override { return inner_->list_users(page); }
  std::vector<store::Item> list_items(const store::Page& page) const override { return inner_->list_items(page); }
  std::vector<store::Event> user_events(const std::string& user_id, std::size_t limit) const override {
    return inner_->user_events(user_id, limit);
  }
  std::vector<store::Event> item_events(const std::string& item_id, std::size_t limit) const override {
    return inner_->item_events(item_id, limit);
  }
  std::vector<store::PagedEvent> list_events(const store::EventPage& page) const override {
    return inner_->list_events(page);
  }
  std::optional<std::uint32_t> user_index(const std::string& id) const override { return inner_->user_index(id); }
  std::optional<std::uint32_t> item_index(const std::string& id) const override { return inner_->item_index(id); }
  void scan_users(const std::function<void(std::uint32_t, const store::User&)>& fn) const override {
    inner_->scan_users(fn);
  }
  void scan_items(const std::function<void(std::uint32_t, const store::Item&)>& fn) const override {
    inner_->scan_items(fn);
  }
  void scan_events(const std::function<void(const store::StoredEvent&)>& fn) const override {
    inner_->scan_events(fn);
  }
  store::StoreStats stats() const override { return inner_->stats(); }
  std::optional<std::string> get_artifact(const std::string& name) const override {
    return inner_->get_artifact(name);
  }
  std::optional<store::Record> get_record(const std::string& collection, const std::string& key) const override {
    return inner_->get_record(collection, key);
  }
  std::vector<store::Record> list_records(const store::RecordQuery& query) const override {
    return inner_->list_records(query);
  }
  void scan_records(const store::RecordQuery& query,
                    const std::function<void(const store::Record&)>& fn) const override {
    inner_->scan_records(query, fn);
  }
  std::uint64_t count_records(const store::RecordQuery& query) const override { return inner_->count_records(query); }
  int schema_version() const override { return inner_->schema_version(); }
  std::string backend() const override { return inner_->backend(); }

 private:
  std::unique_ptr<store::Store> inner_;
  std::function<void(const WriteSummary&)> on_commit_;
};

}  // namespace tailor::server
