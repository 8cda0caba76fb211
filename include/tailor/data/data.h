// Front door of the data component: the schema of users, items and events,
// the event-type registry with weights, text normalisation, and importers
// (see import.h) that validate and clean outside data before it reaches a Store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailor/core/core.h"

namespace tailor::data {

using Json = nlohmann::json;

// A person. Attributes hold whatever the business knows: demographics, income
// band, risk level, ... as a JSON object.
struct User {
  std::string id;
  Json attributes = Json::object();
  std::vector<std::string> labels;  // free-form tags set by the application
  std::string comment;
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
};

// Something to recommend.
struct Item {
  std::string id;
  std::string title;
  std::string description;
  std::vector<std::string> categories;
  std::vector<std::string> tags;
  std::optional<double> price;
  Json attributes = Json::object();
  bool hidden = false;     // never recommended while true
  bool available = true;   // false = out of stock; filtered by default
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
};

// One piece of behaviour: user did `type` to item at `timestamp`.
// `value` is the rating for "rating" events, the amount for purchases, 1 otherwise.
struct Event {
  std::string user_id;
  std::string item_id;
  std::string type;
  double value = 1.0;
  Timestamp timestamp = 0;
  std::string channel;            // web, app, store, email, ... (may be empty)
  Json context = Json::object();  // optional context: device, page, campaign, ...
};

// How much one event type says about preference. Weights of events between the
// same user and item add up in the interaction matrix; negative types subtract.
struct EventType {
  std::string name;
  double weight = 1.0;
  bool negative = false;
  // For "rating": the value is an explicit rating, and the weight is scaled by
  // (value - rating_pivot) / (rating_max - rating_pivot) when scale_by_value.
  bool scale_by_value = false;
};

// What makes an event distinct beyond (user, item, type, timestamp): a stable
// 64-bit FNV-1a hash of its value, channel and context (canonical JSON text).
// Two events are duplicates only when user, item, type, timestamp and this
// fingerprint all agree, so an exact repeated row is removed while two
// different tags given to one movie in the same second are both kept.
// The value is persisted by stores: never change the hash.
std::uint64_t event_fingerprint(const Event& event);

// The configurable set of event types. Unknown types are rejected at import
// unless allow_unknown is set, in which case they get default_weight.
class EventTypes {
 public:
  // view 0.5, click 1, add_to_cart 3, purchase 5, rating 1 (scaled), like 2,
  // share 2, comment 2, review 2, dislike -3 (negative).
  static EventTypes defaults();

  void set(EventType type);
  const EventType* find(std::string_view name) const;
  // Weight for one event of this type with this value; nullopt for unknown types
  // when allow_unknown is false.
  std::optional<double> weight(std::string_view name, double value) const;
  std::vector<EventType> all() const;

  // Parses "name=weight,name=weight,..." (a negative weight marks a negative type).
  // Throws InvalidArgument naming the bad entry.
  void apply_spec(std::string_view spec);

  bool allow_unknown = false;
  double default_weight = 1.0;

 private:
  std::vector<EventType> types_;
};

// Unicode NFC normalisation, control characters removed, runs of whitespace
// (including U+3000 ideographic space and NBSP) collapsed to one ASCII space,
// trimmed. Invalid UTF-8 sequences are replaced with U+FFFD. Thread-safe.
std::string normalize_text(std::string_view text);

// True when text is valid UTF-8.
bool is_valid_utf8(std::string_view text);

// Validation of ids arriving from outside: non-empty, at most 256 bytes,
// valid UTF-8, no control characters. Returns an error message or nullopt.
std::optional<std::string> validate_id(std::string_view id);

}  // namespace tailor::data
