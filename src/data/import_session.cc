// One import's shared state and the ImportReport methods; see import_session.h.
#include "import_session.h"

#include <cmath>
#include <cstring>
#include <functional>

#include "byte_source.h"

namespace tailor::data {

// ------------------------------------------------------------ EventKeySet ---

bool EventKeySet::insert(std::string_view user, std::string_view item, std::string_view type,
                         Timestamp timestamp, std::uint64_t fingerprint) {
  // Key layout: user \0 item \0 type \0 8 bytes of timestamp, 8 of fingerprint. Ids never hold
  // NUL (validate_id rejects control characters), so the packing is unambiguous.
  key_.clear();
  key_.append(user).push_back('\0');
  key_.append(item).push_back('\0');
  key_.append(type).push_back('\0');
  key_.append(reinterpret_cast<const char*>(&timestamp), sizeof timestamp);
  key_.append(reinterpret_cast<const char*>(&fingerprint), sizeof fingerprint);
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();  // keep the load below 3/4
  const std::uint64_t hash = std::hash<std::string_view>{}(key_);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    Slot& s = slots_[slot];
    if (s.length == 0) {
      s = {hash, arena_.size(), static_cast<std::uint32_t>(key_.size())};
      arena_.append(key_);
      ++size_;
      return true;
    }
    if (s.hash == hash && s.length == key_.size() && std::memcmp(arena_.data() + s.offset, key_.data(), s.length) == 0)
      return false;
  }
}

void EventKeySet::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.length == 0) continue;
    std::size_t slot = s.hash & mask;
    while (slots_[slot].length != 0) slot = (slot + 1) & mask;
    slots_[slot] = s;
  }
}

// ---------------------------------------------------------- ImportReport ---

std::uint64_t ImportReport::rejected() const {
  std::uint64_t total = 0;
  for (const auto& [reason, count] : rejected_by_reason) total += count;
  return total;
}

Json ImportReport::to_json() const {
  Json examples_json = Json::array();
  for (const RejectedRow& row : examples)
    examples_json.push_back({{"file", row.file}, {"line", row.line}, {"field", row.field}, {"reason", row.reason}});
  Json reasons = Json::object();
  for (const auto& [reason, count] : rejected_by_reason) reasons[reason] = count;
  return {
      {"rows_read", rows_read},
      {"users", users},
      {"items", items},
      {"events", events},
      {"duplicates", duplicates},
      {"merged", merged},
      {"clipped", clipped},
      {"defaulted", defaulted},
      {"rejected", rejected()},
      {"rejected_by_reason", reasons},
      {"examples", examples_json},
      {"seconds", seconds},
      {"events_per_second", seconds > 0 ? static_cast<double>(events) / seconds : 0.0},
  };
}

// --------------------------------------------------------- ImportSession ---

ImportSession::ImportSession(const ImportPolicy& policy, ImportSink& sink, bool quiet)
    : policy_(policy), sink_(sink), now_(now_seconds()), start_seconds_(monotonic_seconds()),
      progress_(std::make_unique<Progress>("import", 0, quiet)) {
  TAILOR_CHECK_ARG(std::isfinite(policy.rating_min) && std::isfinite(policy.rating_max) &&
                       policy.rating_min <= policy.rating_max,
                   "import policy: rating_min must not exceed rating_max");
  TAILOR_CHECK_ARG(policy.max_future_seconds >= 0, "import policy: max_future_seconds must be >= 0");
}

ImportSession::~ImportSession() = default;

void ImportSession::add_file(const std::string& path) {
  progress_total_ += ByteSource::file_size(path);
  progress_->set_total(progress_total_);
}

void ImportSession::reject(std::string_view field, std::string_view reason, std::string_view detail) {
  if (strict()) {
    std::string message = file_ + ":" + std::to_string(line_) + ": ";
    if (!field.empty()) message += "field '" + std::string(field) + "': ";
    message += detail;
    throw_error(ErrorCode::kInvalidArgument, message);
  }
  ++report_.rejected_by_reason[std::string(reason)];
  if (report_.examples.size() < policy_.max_examples)
    report_.examples.push_back({file_, line_, std::string(field), std::string(detail)});
}

void ImportSession::accept_event(const Event& event) {
  if (!staged_items_.empty() || !staged_users_.empty()) flush_entities();
  if (!event_keys_.insert(event.user_id, event.item_id, event.type, event.timestamp,
                          event_fingerprint(event)) || !sink_.put_event(event)) {
    ++report_.duplicates;
    return;
  }
  ++report_.events;
}

void ImportSession::accept_item(Item item) {
  auto [it, added] = item_slots_.try_emplace(item.id, staged_items_.size());
  if (added) {
    staged_items_.push_back(std::move(item));
    return;
  }
  ++report_.merged;
  if (it->second == kFlushed)
    sink_.put_item(item);  // already handed over: the sink replaces it, the last row still wins
  else
    staged_items_[it->second] = std::move(item);
}

void ImportSession::accept_user(User user) {
  auto [it, added] = user_slots_.try_emplace(user.id, staged_users_.size());
  if (added) {
    staged_users_.push_back(std::move(user));
    return;
  }
  ++report_.merged;
  if (it->second == kFlushed)
    sink_.put_user(user);
  else
    staged_users_[it->second] = std::move(user);
}

void ImportSession::flush_entities() {
  for (const Item& item : staged_items_) {
    sink_.put_item(item);
    item_slots_[item.id] = kFlushed;
    ++report_.items;
  }
  for (const User& user : staged_users_) {
    sink_.put_user(user);
    user_slots_[user.id] = kFlushed;
    ++report_.users;
  }
  staged_items_.clear();
  staged_users_.clear();
}

ImportReport ImportSession::finish() {
  flush_entities();
  progress_->finish();
  report_.seconds = monotonic_seconds() - start_seconds_;
  return report_;
}

}  // namespace tailor::data
