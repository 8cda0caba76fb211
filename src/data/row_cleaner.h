// Validation and cleaning of one row, independent of the file format: the
// readers turn a CSV record or a JSON object into one FieldValue per target
// field (the order of the *Field enums below), and RowCleaner turns those into
// an Event, Item or User, or rejects the row through the ImportSession.
//
// Every rejection reason is a stable key of ImportReport::rejected_by_reason:
//   missing_<field>        empty or absent value the policy does not fill
//   invalid_user, invalid_item   id fails validate_id
//   invalid_timestamp      parse_timestamp cannot read it
//   future_timestamp       later than now + max_future_seconds (kReject)
//   rating_out_of_range    a "rating" outside [rating_min, rating_max] (kReject)
//   negative_price         price below zero (kReject)
//   unknown_event_type     type not in the registry and allow_unknown is off
//   invalid_<field>        value/price not a number, hidden/available not a
//                          boolean, context/attributes not a JSON object
// and, from the import driver: wrong_field_count, invalid_json.
#pragma once

#include <array>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "import_session.h"

namespace tailor::data {

// One mapped value of one row: text from a CSV cell (or a JSON string), a
// non-string JSON value, or nothing. Never owns its data.
struct FieldValue {
  enum class Kind : std::uint8_t { kAbsent, kText, kJson };
  Kind kind = Kind::kAbsent;
  std::string_view text;
  const Json* json = nullptr;

  static FieldValue of_text(std::string_view text) { return {Kind::kText, text, nullptr}; }
  // JSON strings become text; null becomes absent.
  static FieldValue of_json(const Json* json);
  // Absent, blank text, JSON null; empty arrays and objects count as present.
  bool missing() const;
};

enum class Entity { kEvents, kItems, kUsers };

// Target fields per entity, in FieldValue order. The names are the mapping's
// target names; kNative are the column names of the native file layout.
enum EventField { kEventUser, kEventItem, kEventType, kEventValue, kEventTimestamp, kEventChannel, kEventContext };
inline constexpr std::array<std::string_view, 7> kEventFieldNames = {"user",      "item",    "type",   "value",
                                                                      "timestamp", "channel", "context"};
inline constexpr std::array<std::string_view, 7> kEventNativeColumns = {
    "user_id", "item_id", "type", "value", "timestamp", "channel", "context"};

enum ItemField {
  kItemId, kItemTitle, kItemDescription, kItemCategories, kItemTags,
  kItemPrice, kItemHidden, kItemAvailable, kItemTimestamp, kItemAttributes
};
inline constexpr std::array<std::string_view, 10> kItemFieldNames = {
    "item", "title", "description", "categories", "tags", "price", "hidden", "available", "timestamp", "attributes"};
inline constexpr std::array<std::string_view, 10> kItemNativeColumns = {
    "item_id", "title", "description", "categories", "tags", "price", "hidden", "available", "created_at", "attributes"};

enum UserField { kUserId, kUserAttributes, kUserLabels, kUserComment, kUserTimestamp };
inline constexpr std::array<std::string_view, 5> kUserFieldNames = {"user", "attributes", "labels", "comment",
                                                                     "timestamp"};
inline constexpr std::array<std::string_view, 5> kUserNativeColumns = {"user_id", "attributes", "labels", "comment",
                                                                        "created_at"};

// Target names of an entity, and the entity named "events" / "items" / "users".
std::vector<std::string_view> entity_field_names(Entity entity);
std::vector<std::string_view> entity_native_columns(Entity entity);
Entity parse_entity(std::string_view name);

class RowCleaner {
 public:
  struct Options {
    // Amazon metadata: "$12.99" reads, thousands separators are dropped, and a
    // price that is still not a number (a range, HTML) counts as missing.
    bool lenient_price = false;
  };

  // sources[i]: the source column of target field i ("" when unmapped); used
  // to find missing-value policies listed under the column name.
  RowCleaner(ImportSession& session, const ColumnMapping& mapping, Entity entity,
             const std::vector<std::string>& sources, Options options);

  // Each fills `out` from values (one per target field, in enum order) and
  // returns true, or rejects the row and returns false. clean_event reuses
  // out's buffers: pass the same Event every row.
  bool clean_event(const FieldValue* values, Event& out);
  bool clean_item(const FieldValue* values, Item& out);
  bool clean_user(const FieldValue* values, User& out);

  // Cleans an id the caller reads itself (adapters); rejects as invalid_<field>.
  bool clean_id(std::string_view field, const FieldValue& value, std::string& out);

 private:
  struct Rule {
    std::string_view name;
    const MissingPolicy* policy = nullptr;  // explicit entry in ImportPolicy::missing
    bool reject_when_missing = false;       // built-in rule when no entry is listed
  };
  enum class Resolved { kValue, kBuiltin, kNow, kRejected };

  Resolved resolve(const Rule& rule, const FieldValue& cell, FieldValue& value);
  std::string_view text_of(const FieldValue& value, std::string& scratch) const;
  bool number_of(const FieldValue& value, double& out) const;
  // Each reads one field through its rule; false after rejecting the row.
  bool id_of(const Rule& rule, const FieldValue& cell, std::string& out);
  bool timestamp_of(const Rule& rule, const FieldValue& cell, bool future_check, Timestamp& out);
  bool object_of(const Rule& rule, const FieldValue& cell, Json& out);
  bool text_field(const Rule& rule, const FieldValue& cell, std::string& out);
  bool list_field(const Rule& rule, const FieldValue& cell, std::vector<std::string>& out);
  bool bool_field(const Rule& rule, const FieldValue& cell, bool& out);
  bool price_field(const Rule& rule, const FieldValue& cell, std::optional<double>& out);
  // Rejects with detail "what: 'text'" (text shortened).
  void reject_value(std::string_view field, std::string_view reason, std::string_view what, std::string_view text);

  ImportSession& session_;
  const ImportPolicy& policy_;
  const ColumnMapping& mapping_;
  Options options_;
  std::vector<Rule> rules_;
  std::string scratch_;
  // Last event type seen and whether it is allowed: rows of one file nearly
  // always share their type, so the registry is searched once per change.
  std::string last_type_;
  bool last_type_known_ = false;
  bool last_type_is_rating_ = false;
};

}  // namespace tailor::data
