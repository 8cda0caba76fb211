// Row validation and cleaning; see row_cleaner.h for the rejection reasons.
// The event path is the hot one (one call per rating): it reuses the caller's
// Event, parses numbers with from_chars and leaves plain ASCII text alone.
#include "row_cleaner.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "text_util.h"

namespace tailor::data {

namespace {

// The offending value for a message: at most 60 bytes, cut on a UTF-8 boundary.
std::string shorten(std::string_view text) {
  if (text.size() <= 60) return std::string(text);
  std::size_t cut = 57;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

std::string format_number(double value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(value);
}

// True when text needs no normalisation: printable ASCII only. Event types and
// channels are nearly always like this, and it saves normalize_text's copy.
bool plain_ascii(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return false;
  }
  return true;
}

}  // namespace

// ------------------------------------------------------------ FieldValue ---

FieldValue FieldValue::of_json(const Json* json) {
  if (json == nullptr || json->is_null()) return {};
  if (json->is_string()) return of_text(json->get_ref<const std::string&>());
  return {Kind::kJson, {}, json};
}

bool FieldValue::missing() const {
  switch (kind) {
    case Kind::kAbsent: return true;
    case Kind::kText: return trim_ascii(text).empty();
    case Kind::kJson: return json == nullptr || json->is_null();
  }
  return true;
}

// ------------------------------------------------------------- entities ---

std::vector<std::string_view> entity_field_names(Entity entity) {
  switch (entity) {
    case Entity::kEvents: return {kEventFieldNames.begin(), kEventFieldNames.end()};
    case Entity::kItems: return {kItemFieldNames.begin(), kItemFieldNames.end()};
    case Entity::kUsers: return {kUserFieldNames.begin(), kUserFieldNames.end()};
  }
  return {};
}

std::vector<std::string_view> entity_native_columns(Entity entity) {
  switch (entity) {
    case Entity::kEvents: return {kEventNativeColumns.begin(), kEventNativeColumns.end()};
    case Entity::kItems: return {kItemNativeColumns.begin(), kItemNativeColumns.end()};
    case Entity::kUsers: return {kUserNativeColumns.begin(), kUserNativeColumns.end()};
  }
  return {};
}

Entity parse_entity(std::string_view name) {
  if (name == "events") return Entity::kEvents;
  if (name == "items") return Entity::kItems;
  if (name == "users") return Entity::kUsers;
  throw_error(ErrorCode::kInvalidArgument,
              "mapping: entity '" + std::string(name) + "' must be events, items or users");
}

// ------------------------------------------------------------ RowCleaner ---

RowCleaner::RowCleaner(ImportSession& session, const ColumnMapping& mapping, Entity entity,
                       const std::vector<std::string>& sources, Options options)
    : session_(session), policy_(session.policy()), mapping_(mapping), options_(options) {
  std::vector<std::string_view> names = entity_field_names(entity);
  for (std::size_t field = 0; field < names.size(); ++field) {
    Rule rule;
    rule.name = names[field];
    auto it = policy_.missing.find(std::string(rule.name));
    if (it == policy_.missing.end() && field < sources.size() && !sources[field].empty())
      it = policy_.missing.find(sources[field]);
    if (it != policy_.missing.end()) rule.policy = &it->second;
    const bool is_id = field == 0;  // user/item id comes first in every entity
    const bool is_timestamp = rule.name == "timestamp";
    rule.reject_when_missing = is_id || (is_timestamp && entity == Entity::kEvents);
    // Item and user timestamps are optional: a reject entry meant for event
    // timestamps (adapters share one policy) must not drop the catalogue.
    if (is_timestamp && entity != Entity::kEvents && rule.policy != nullptr &&
        rule.policy->kind == MissingPolicy::Kind::kReject)
      rule.policy = nullptr;
    TAILOR_CHECK_ARG(rule.policy == nullptr || rule.policy->kind != MissingPolicy::Kind::kNow || is_timestamp,
                     "import policy: missing '" + std::string(rule.name) + "': 'now' only applies to timestamp");
    rules_.push_back(rule);
  }
}

RowCleaner::Resolved RowCleaner::resolve(const Rule& rule, const FieldValue& cell, FieldValue& value) {
  if (!cell.missing()) {
    value = cell;
    return Resolved::kValue;
  }
  if (rule.policy != nullptr) {
    switch (rule.policy->kind) {
      case MissingPolicy::Kind::kDefault:
        ++session_.report().defaulted;
        value = FieldValue::of_text(rule.policy->default_value);
        return Resolved::kValue;
      case MissingPolicy::Kind::kNow:
        ++session_.report().defaulted;
        return Resolved::kNow;
      case MissingPolicy::Kind::kReject:
        break;
    }
  } else if (!rule.reject_when_missing) {
    return Resolved::kBuiltin;
  }
  session_.reject(rule.name, "missing_" + std::string(rule.name), "missing value");
  return Resolved::kRejected;
}

std::string_view RowCleaner::text_of(const FieldValue& value, std::string& scratch) const {
  if (value.kind == FieldValue::Kind::kText) return value.text;
  if (value.kind == FieldValue::Kind::kAbsent) return {};
  const Json& json = *value.json;
  if (json.is_number_integer()) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, json.get<std::int64_t>());
    scratch.assign(buf, ec == std::errc() ? end : buf);
  } else if (json.is_number_unsigned()) {
    scratch = std::to_string(json.get<std::uint64_t>());
  } else {
    scratch = json.dump();
  }
  return scratch;
}

bool RowCleaner::number_of(const FieldValue& value, double& out) const {
  if (value.kind == FieldValue::Kind::kJson) {
    if (!value.json->is_number()) return false;
    out = value.json->get<double>();
    return std::isfinite(out);
  }
  auto parsed = parse_double(value.text);
  if (!parsed) return false;
  out = *parsed;
  return true;
}

void RowCleaner::reject_value(std::string_view field, std::string_view reason, std::string_view what,
                              std::string_view text) {
  session_.reject(field, reason, std::string(what) + ": '" + shorten(text) + "'");
}

bool RowCleaner::id_of(const Rule& rule, const FieldValue& cell, std::string& out) {
  FieldValue value;
  if (resolve(rule, cell, value) != Resolved::kValue) return false;  // ids have no built-in default
  std::string_view id = trim_ascii(text_of(value, scratch_));
  if (auto problem = validate_id(id)) {
    reject_value(rule.name, "invalid_" + std::string(rule.name), "invalid id (" + *problem + ")", id);
    return false;
  }
  out.assign(id);
  return true;
}

bool RowCleaner::clean_id(std::string_view field, const FieldValue& value, std::string& out) {
  return id_of(Rule{field, nullptr, true}, value, out);
}

bool RowCleaner::timestamp_of(const Rule& rule, const FieldValue& cell, bool future_check, Timestamp& out) {
  FieldValue value;
  switch (resolve(rule, cell, value)) {
    case Resolved::kRejected: return false;
    case Resolved::kNow: out = session_.now(); return true;
    case Resolved::kBuiltin: out = 0; return true;
    case Resolved::kValue: break;
  }
  std::string_view text = trim_ascii(text_of(value, scratch_));
  std::optional<Timestamp> ts;
  // Fast path for the common case, Unix seconds: up to 12 digits (13 would be
  // milliseconds, which parse_timestamp scales).
  if (!text.empty() && text.size() <= 12 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    Timestamp seconds = 0;
    std::from_chars(text.data(), text.data() + text.size(), seconds);
    ts = seconds;
  } else {
    ts = parse_timestamp(text);
  }
  if (!ts) {
    reject_value(rule.name, "invalid_timestamp", "not a timestamp (Unix seconds/ms or ISO 8601)", text);
    return false;
  }
  if (future_check && *ts > session_.now() + policy_.max_future_seconds) {
    if (policy_.out_of_range == OutOfRange::kReject) {
      reject_value(rule.name, "future_timestamp",
                   "timestamp " + format_timestamp(*ts) + " is later than now + " +
                       std::to_string(policy_.max_future_seconds) + "s",
                   text);
      return false;
    }
    ts = session_.now();
    ++session_.report().clipped;
  }
  out = *ts;
  return true;
}

bool RowCleaner::object_of(const Rule& rule, const FieldValue& cell, Json& out) {
  FieldValue value;
  switch (resolve(rule, cell, value)) {
    case Resolved::kRejected: return false;
    case Resolved::kValue: break;
    default: return true;  // stays an empty object
  }
  if (value.kind == FieldValue::Kind::kJson) {
    if (value.json->is_object()) {
      out = *value.json;
      return true;
    }
  } else {
    Json parsed = Json::parse(value.text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) {
      out = std::move(parsed);
      return true;
    }
  }
  reject_value(rule.name, "invalid_" + std::string(rule.name), "expected a JSON object",
               text_of(value, scratch_));
  return false;
}

bool RowCleaner::text_field(const Rule& rule, const FieldValue& cell, std::string& out) {
  FieldValue value;
  switch (resolve(rule, cell, value)) {
    case Resolved::kRejected: return false;
    case Resolved::kValue: break;
    default: out.clear(); return true;
  }
  if (value.kind == FieldValue::Kind::kJson && value.json->is_array()) {
    // Amazon descriptions are arrays of paragraphs: one text, paragraphs joined.
    std::string joined;
    for (const Json& part : *value.json) {
      if (!joined.empty()) joined.push_back(' ');
      joined += part.is_string() ? part.get_ref<const std::string&>() : part.dump();
    }
    out = normalize_text(joined);
    return true;
  }
  std::string_view text = text_of(value, scratch_);
  if (plain_ascii(text) && trim_ascii(text).size() == text.size() && text.find("  ") == std::string_view::npos)
    out.assign(text);
  else
    out = normalize_text(text);
  return true;
}

bool RowCleaner::list_field(const Rule& rule, const FieldValue& cell, std::vector<std::string>& out) {
  FieldValue value;
  out.clear();
  switch (resolve(rule, cell, value)) {
    case Resolved::kRejected: return false;
    case Resolved::kValue: break;
    default: return true;
  }
  if (value.kind == FieldValue::Kind::kJson && value.json->is_array()) {
    for (const Json& part : *value.json)
      add_unique(out, normalize_text(part.is_string() ? part.get_ref<const std::string&>() : part.dump()));
    return true;
  }
  split_list(text_of(value, scratch_), mapping_.list_separator, out);
  return true;
}

bool RowCleaner::bool_field(const Rule& rule, const FieldValue& cell, bool& out) {
  FieldValue value;
  switch (resolve(rule, cell, value)) {
    case Resolved::kRejected: return false;
    case Resolved::kValue: break;
    default: return true;  // keeps the caller's default
  }
  std::optional<bool> parsed;
  if (value.kind == FieldValue::Kind::kJson) {
    if (value.json->is_boolean()) parsed = value.json->get<bool>();
    else if (value.json->is_number()) parsed = value.json->get<double>() != 0;
  } else {
    parsed = parse_bool(value.text);
  }
  if (!parsed) {
    reject_value(rule.name, "invalid_" + std::string(rule.name), "not a boolean", text_of(value, scratch_));
    return false;
  }
  out = *parsed;
  return true;
}

bool RowCleaner::price_field(const Rule& rule, const FieldValue& cell, std::optional<double>& out) {
  FieldValue value;
  out.reset();
  switch (resolve(rule, cell, value)) {
    case Resolved::kRejected: return false;
    case Resolved::kValue: break;
    default: return true;
  }
  std::optional<double> price;
  if (value.kind == FieldValue::Kind::kJson) {
    if (value.json->is_number()) price = value.json->get<double>();
  } else {
    price = parse_price(value.text, options_.lenient_price);
  }
  if (!price) {
    if (options_.lenient_price) return true;
    reject_value(rule.name, "invalid_price", "not a number", text_of(value, scratch_));
    return false;
  }
  if (*price < 0) {
    if (policy_.out_of_range == OutOfRange::kReject) {
      reject_value(rule.name, "negative_price", "negative price", text_of(value, scratch_));
      return false;
    }
    price = 0.0;
    ++session_.report().clipped;
  }
  out = price;
  return true;
}

bool RowCleaner::clean_event(const FieldValue* values, Event& out) {
  if (!id_of(rules_[kEventUser], values[kEventUser], out.user_id)) return false;
  if (!id_of(rules_[kEventItem], values[kEventItem], out.item_id)) return false;

  FieldValue value;
  switch (resolve(rules_[kEventType], values[kEventType], value)) {
    case Resolved::kRejected: return false;
    case Resolved::kValue: {
      std::string_view type = trim_ascii(text_of(value, scratch_));
      if (plain_ascii(type)) out.type.assign(type);
      else out.type = normalize_text(type);
      break;
    }
    default: out.type = mapping_.default_type;
  }
  if (out.type != last_type_) {
    last_type_ = out.type;
    last_type_known_ = policy_.event_types.allow_unknown || policy_.event_types.find(out.type) != nullptr;
    last_type_is_rating_ = out.type == "rating";
  }
  if (!last_type_known_) {
    reject_value("type", "unknown_event_type", "unknown event type", out.type);
    return false;
  }

  switch (resolve(rules_[kEventValue], values[kEventValue], value)) {
    case Resolved::kRejected: return false;
    case Resolved::kValue:
      if (!number_of(value, out.value)) {
        reject_value("value", "invalid_value", "not a number", text_of(value, scratch_));
        return false;
      }
      break;
    default: out.value = 1.0;
  }
  if (last_type_is_rating_ && (out.value < policy_.rating_min || out.value > policy_.rating_max)) {
    if (policy_.out_of_range == OutOfRange::kReject) {
      session_.reject("value", "rating_out_of_range",
                      "rating " + format_number(out.value) + " outside [" + format_number(policy_.rating_min) +
                          ", " + format_number(policy_.rating_max) + "]");
      return false;
    }
    out.value = std::clamp(out.value, policy_.rating_min, policy_.rating_max);
    ++session_.report().clipped;
  }

  if (!timestamp_of(rules_[kEventTimestamp], values[kEventTimestamp], true, out.timestamp)) return false;
  if (!text_field(rules_[kEventChannel], values[kEventChannel], out.channel)) return false;
  // Reuse the context object: clear() keeps the JSON object allocated.
  if (!out.context.is_object()) out.context = Json::object();
  else if (!out.context.empty()) out.context.clear();
  return object_of(rules_[kEventContext], values[kEventContext], out.context);
}

bool RowCleaner::clean_item(const FieldValue* values, Item& out) {
  if (!id_of(rules_[kItemId], values[kItemId], out.id)) return false;
  if (!text_field(rules_[kItemTitle], values[kItemTitle], out.title)) return false;
  if (!text_field(rules_[kItemDescription], values[kItemDescription], out.description)) return false;
  if (!list_field(rules_[kItemCategories], values[kItemCategories], out.categories)) return false;
  if (!list_field(rules_[kItemTags], values[kItemTags], out.tags)) return false;
  if (!price_field(rules_[kItemPrice], values[kItemPrice], out.price)) return false;
  if (!bool_field(rules_[kItemHidden], values[kItemHidden], out.hidden)) return false;
  if (!bool_field(rules_[kItemAvailable], values[kItemAvailable], out.available)) return false;
  Timestamp ts = 0;
  if (!timestamp_of(rules_[kItemTimestamp], values[kItemTimestamp], false, ts)) return false;
  out.created_at = out.updated_at = ts;
  return object_of(rules_[kItemAttributes], values[kItemAttributes], out.attributes);
}

bool RowCleaner::clean_user(const FieldValue* values, User& out) {
  if (!id_of(rules_[kUserId], values[kUserId], out.id)) return false;
  if (!object_of(rules_[kUserAttributes], values[kUserAttributes], out.attributes)) return false;
  if (!list_field(rules_[kUserLabels], values[kUserLabels], out.labels)) return false;
  if (!text_field(rules_[kUserComment], values[kUserComment], out.comment)) return false;
  Timestamp ts = 0;
  if (!timestamp_of(rules_[kUserTimestamp], values[kUserTimestamp], false, ts)) return false;
  out.created_at = out.updated_at = ts;
  return true;
}

}  // namespace tailor::data
