// State of one import call, shared by every file it reads: the report being
// filled, the rejection rule (count or throw), duplicate detection for events,
// last-wins staging of items and users, and the progress bar.
//
// Order towards the sink: staged items and users are handed over before the
// first event of the import (and at the end), so records that events refer to
// always arrive first.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tailor/data/import.h"

namespace tailor::data {

// Exact set of event identities (user, item, type, timestamp, fingerprint;
// see event_fingerprint in data.h). Keys are
// packed into one arena string and indexed by an open-addressing table, so
// inserting costs no allocation per event.
class EventKeySet {
 public:
  // True when the key was new.
  bool insert(std::string_view user, std::string_view item, std::string_view type, Timestamp timestamp,
              std::uint64_t fingerprint);
  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t offset = 0;
    std::uint32_t length = 0;  // 0 = empty slot; a key is never empty
  };
  void grow();
  std::string arena_;
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::string key_;  // scratch for the key being looked up
};

class ImportSession {
 public:
  // Checks the policy (ranges, missing-value kinds) and throws InvalidArgument
  // naming the bad setting.
  ImportSession(const ImportPolicy& policy, ImportSink& sink, bool quiet);
  ~ImportSession();

  const ImportPolicy& policy() const { return policy_; }
  ImportReport& report() { return report_; }
  // "Now" of the whole import, so every row sees the same clock.
  Timestamp now() const { return now_; }
  bool strict() const { return policy_.on_error == OnError::kStrict; }

  // Adds the size of a file about to be read to the progress total.
  void add_file(const std::string& path);
  Progress* progress() { return progress_.get(); }

  // Where the current row comes from; rejections name it.
  void set_file(const std::string& file) { file_ = file; }
  void set_line(std::uint64_t line) { line_ = line; }
  std::uint64_t line() const { return line_; }

  // A bad row: counted under `reason` with an example kept, or under kStrict an
  // InvalidArgument "file:line: field 'x': detail". field may be empty for
  // row-level problems.
  void reject(std::string_view field, std::string_view reason, std::string_view detail);

  // Hands a clean event to the sink unless it repeats one of this import
  // (or the sink says it is stored already); counts it either way.
  void accept_event(const Event& event);
  // Stages an item/user; a repeated id replaces the staged one (merged).
  void accept_item(Item item);
  void accept_user(User user);
  // Hands staged items and users to the sink.
  void flush_entities();

  // Flushes, stops the clock and returns the report.
  ImportReport finish();

 private:
  const ImportPolicy& policy_;
  ImportSink& sink_;
  ImportReport report_;
  Timestamp now_;
  double start_seconds_;
  std::unique_ptr<Progress> progress_;
  std::uint64_t progress_total_ = 0;
  std::string file_;
  std::uint64_t line_ = 0;
  EventKeySet event_keys_;
  // id -> index into staged_*_, or kFlushed once handed to the sink.
  static constexpr std::size_t kFlushed = static_cast<std::size_t>(-1);
  std::unordered_map<std::string, std::size_t> item_slots_;
  std::unordered_map<std::string, std::size_t> user_slots_;
  std::vector<Item> staged_items_;
  std::vector<User> staged_users_;
};

}  // namespace tailor::data
