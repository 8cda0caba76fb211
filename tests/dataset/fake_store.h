// A tiny in-memory Store for dataset tests. The real SQLite backend lives in
// src/store and was written at the same time as the dataset component, so the
// snapshot arithmetic is pinned here against this fake, which implements only
// the read side snapshot() uses (scans, stats); writes are not supported.
#pragma once

#include <map>
#include <stdexcept>

#include "tailor/store/store.h"

namespace tailor::testing {

class FakeStore final : public store::Store {
 public:
  // Store indexes are assigned in insertion order; `gap` leaves holes as a
  // deleted row would.
  std::uint32_t add_user(const std::string& id, std::uint32_t gap = 0) {
    next_user_ += gap;
    data::User user;
    user.id = id;
    user.attributes = data::Json{{"name", id}};
    users_[next_user_] = user;
    return next_user_++;
  }
  std::uint32_t add_item(data::Item item, std::uint32_t gap = 0) {
    next_item_ += gap;
    items_[next_item_] = std::move(item);
    return next_item_++;
  }
  void add_event(std::uint32_t user_idx, std::uint32_t item_idx, const std::string& type, double value,
                 Timestamp ts) {
    events_.push_back({user_idx, item_idx, type, value, ts, ""});
  }

  std::unique_ptr<store::StoreWriter> begin_write() override { throw std::logic_error("FakeStore is read-only"); }
  std::optional<data::User> get_user(const std::string&) const override { return std::nullopt; }
  std::optional<data::Item> get_item(const std::string&) const override { return std::nullopt; }
  std::vector<data::User> list_users(const store::Page&) const override { return {}; }
  std::vector<data::Item> list_items(const store::Page&) const override { return {}; }
  std::vector<data::Event> user_events(const std::string&, std::size_t) const override { return {}; }
  std::vector<data::Event> item_events(const std::string&, std::size_t) const override { return {}; }
  std::vector<store::PagedEvent> list_events(const store::EventPage&) const override { return {}; }
  std::optional<std::uint32_t> user_index(const std::string&) const override { return std::nullopt; }
  std::optional<std::uint32_t> item_index(const std::string&) const override { return std::nullopt; }
  void scan_users(const std::function<void(std::uint32_t, const data::User&)>& fn) const override {
    for (const auto& [idx, user] : users_) fn(idx, user);
  }
  void scan_items(const std::function<void(std::uint32_t, const data::Item&)>& fn) const override {
    for (const auto& [idx, item] : items_) fn(idx, item);
  }
  void scan_events(const std::function<void(const store::StoredEvent&)>& fn) const override {
    for (const auto& event : events_) fn(event);
  }
  store::StoreStats stats() const override {
    store::StoreStats s;
    s.users = users_.size();
    s.items = items_.size();
    s.events = events_.size();
    return s;
  }
  std::optional<std::string> get_artifact(const std::string&) const override { return std::nullopt; }
  std::optional<store::Record> get_record(const std::string&, const std::string&) const override {
    return std::nullopt;
  }
  std::vector<store::Record> list_records(const store::RecordQuery&) const override { return {}; }
  void scan_records(const store::RecordQuery&, const std::function<void(const store::Record&)>&) const override {}
  std::uint64_t count_records(const store::RecordQuery&) const override { return 0; }
  int schema_version() const override { return 1; }
  std::string backend() const override { return "fake"; }

 private:
  std::map<std::uint32_t, data::User> users_;
  std::map<std::uint32_t, data::Item> items_;
  std::vector<store::StoredEvent> events_;
  std::uint32_t next_user_ = 0;
  std::uint32_t next_item_ = 0;
};

}  // namespace tailor::testing
