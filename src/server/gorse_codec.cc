// Gorse wire objects <-> Tailor's data schema; see gorse_codec.h for the mapping.
#include "gorse_codec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <map>
#include <string_view>
#include <tuple>

#include "codec.h"

namespace tailor::server::gorse {
namespace {

[[noreturn]] void bad(const std::string& field, const std::string& message) {
  throw_error(ErrorCode::kInvalidArgument, field + ": " + message);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The fields of one JSON object, looked up as Go's encoding/json does
// (case-insensitively; null is absent). Rejects fields the object does not have.
class Fields {
 public:
  Fields(const json& body, std::string prefix, std::initializer_list<const char*> known) : prefix_(std::move(prefix)) {
    if (!body.is_object()) bad(prefix_.empty() ? "body" : prefix_.substr(0, prefix_.size() - 1), "must be a JSON object");
    for (auto it = body.begin(); it != body.end(); ++it) {
      const char* name = nullptr;
      for (const char* k : known)
        if (iequals(it.key(), k)) name = k;
      if (name == nullptr) bad(prefix_ + it.key(), "unknown field");
      if (values_.count(name)) bad(prefix_ + name, "given twice (field names are case-insensitive)");
      if (!it.value().is_null()) values_[name] = &it.value();
    }
  }
  const json* get(const char* name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : it->second;
  }
  std::string field(const char* name) const { return prefix_ + name; }
  std::string text(const char* name) const {
    const json* value = get(name);
    if (value == nullptr) return "";
    if (!value->is_string()) bad(field(name), "must be a string");
    const auto& out = value->get_ref<const std::string&>();
    if (!data::is_valid_utf8(out)) bad(field(name), "must be valid UTF-8");
    return out;
  }
  std::string id(const char* name, bool required) const {
    if (get(name) == nullptr) {
      if (required) bad(field(name), "is required");
      return "";
    }
    std::string out = text(name);
    check_id(out, field(name));
    return out;
  }
  std::vector<std::string> strings(const char* name) const {
    const json* value = get(name);
    if (!value->is_array()) bad(field(name), "must be an array of strings");
    std::vector<std::string> out;
    for (std::size_t idx = 0; idx < value->size(); ++idx) {
      const auto& element = (*value)[idx];
      const std::string where = field(name) + "[" + std::to_string(idx) + "]";
      if (!element.is_string()) bad(where, "must be a string");
      if (!data::is_valid_utf8(element.get_ref<const std::string&>())) bad(where, "must be valid UTF-8");
      std::string category = data::normalize_text(element.get_ref<const std::string&>());
      if (category.empty()) bad(where, "must not be empty");
      if (std::find(out.begin(), out.end(), category) == out.end()) out.push_back(std::move(category));
    }
    return out;
  }
  bool boolean(const char* name) const {
    const json* value = get(name);
    if (!value->is_boolean()) bad(field(name), "must be true or false");
    return value->get<bool>();
  }

 private:
  std::string prefix_;
  std::map<std::string, const json*, std::less<>> values_;
};

json labels_to_attributes(const json& labels) {
  if (labels.is_object() && !labels.contains(kWrappedLabels)) return labels;
  return {{kWrappedLabels, labels}};
}

json labels_from_attributes(const json& attributes) {
  if (attributes.is_object() && attributes.size() == 1 && attributes.contains(kWrappedLabels))
    return attributes[kWrappedLabels];
  return attributes;
}

// Labels that are an array of strings, for Tailor's string-list fields.
std::vector<std::string> label_strings(const json& labels) {
  std::vector<std::string> out;
  if (labels.is_array())
    for (const auto& label : labels)
      if (label.is_string()) out.push_back(data::normalize_text(label.get<std::string>()));
  return out;
}

Timestamp lenient_time(const Fields& fields, const char* name, Timestamp empty_means) {
  const json* value = fields.get(name);
  if (value == nullptr) return empty_means;
  if (!value->is_string()) bad(fields.field(name), "must be a string (a date such as 2022-02-24 or RFC 3339)");
  const std::string& text = value->get_ref<const std::string&>();
  if (text.empty() || text == kZeroTime) return empty_means;
  auto ts = parse_timestamp(text);
  if (!ts) bad(fields.field(name), "cannot parse '" + text + "' as a date");
  return *ts;
}

std::string format_time(Timestamp ts) { return ts == 0 ? kZeroTime : format_timestamp(ts); }

}  // namespace

void check_labels(const json& labels, const std::string& field) {
  if (labels.is_null() || labels.is_string() || labels.is_number()) return;
  if (labels.is_boolean()) bad(field, "booleans are not valid labels");
  if (labels.is_array()) {
    const bool strings = labels.empty() || labels.front().is_string();
    for (std::size_t idx = 0; idx < labels.size(); ++idx)
      if (strings ? !labels[idx].is_string() : !labels[idx].is_number())
        bad(field + "[" + std::to_string(idx) + "]", "an array of labels must hold only strings or only numbers");
    return;
  }
  if (labels.is_object()) {
    for (auto it = labels.begin(); it != labels.end(); ++it) check_labels(it.value(), field + "." + it.key());
    return;
  }
  bad(field, "is not a valid label value");
}

data::User user_from_json(const json& body, const std::string& field) {
  const Fields fields(body, field, {"UserId", "Labels", "Comment"});
  data::User user;
  user.id = fields.id("UserId", true);
  const json labels = fields.get("Labels") ? *fields.get("Labels") : json(nullptr);
  check_labels(labels, fields.field("Labels"));
  user.attributes = labels_to_attributes(labels);
  user.labels = label_strings(labels);
  user.comment = fields.text("Comment");
  return user;
}

void patch_user(data::User& user, const json& body) {
  // UserId is tolerated (gorsejs sends the whole user) but never renames.
  const Fields fields(body, "", {"UserId", "Labels", "Comment"});
  if (const json* labels = fields.get("Labels")) {
    check_labels(*labels, "Labels");
    user.attributes = labels_to_attributes(*labels);
    user.labels = label_strings(*labels);
  }
  if (fields.get("Comment")) user.comment = fields.text("Comment");
}

json user_to_json(const data::User& user) {
  return {{"UserId", user.id}, {"Labels", labels_from_attributes(user.attributes)}, {"Comment", user.comment}};
}

data::Item item_from_json(const json& body, const std::string& field) {
  const Fields fields(body, field, {"ItemId", "IsHidden", "Categories", "Timestamp", "Labels", "Comment"});
  data::Item item;
  item.id = fields.id("ItemId", true);
  item.hidden = fields.get("IsHidden") ? fields.boolean("IsHidden") : false;
  item.categories = fields.get("Categories") ? fields.strings("Categories") : std::vector<std::string>{};
  item.created_at = lenient_time(fields, "Timestamp", 0);
  const json labels = fields.get("Labels") ? *fields.get("Labels") : json(nullptr);
  check_labels(labels, fields.field("Labels"));
  item.attributes = labels_to_attributes(labels);
  item.tags = label_strings(labels);
  item.description = data::normalize_text(fields.text("Comment"));
  return item;
}

void patch_item(data::Item& item, const json& body) {
  const Fields fields(body, "", {"ItemId", "IsHidden", "Categories", "Timestamp", "Labels", "Comment"});
  if (fields.get("IsHidden")) item.hidden = fields.boolean("IsHidden");
  if (fields.get("Categories")) item.categories = fields.strings("Categories");
  if (fields.get("Timestamp")) {
    // Gorse's PATCH decodes time.Time: RFC 3339 only, unlike POST's lenient parse.
    const std::string text = fields.text("Timestamp");
    const bool rfc3339 = text.size() >= 20 && (text[10] == 'T' || text[10] == 't') &&
                         (text.back() == 'Z' || text.back() == 'z' || text[text.size() - 3] == ':');
    auto ts = rfc3339 ? parse_timestamp(text) : std::nullopt;
    if (!ts) bad("Timestamp", "must be an RFC 3339 date-time such as 2022-02-24T00:00:00Z");
    item.created_at = *ts;
  }
  if (const json* labels = fields.get("Labels")) {
    check_labels(*labels, "Labels");
    item.attributes = labels_to_attributes(*labels);
    item.tags = label_strings(*labels);
  }
  if (fields.get("Comment")) item.description = data::normalize_text(fields.text("Comment"));
}

json item_to_json(const data::Item& item) {
  return {{"ItemId", item.id},
          {"IsHidden", item.hidden},
          {"Categories", item.categories},
          {"Timestamp", format_time(item.created_at)},
          {"Labels", labels_from_attributes(item.attributes)},
          {"Comment", item.description}};
}

std::vector<data::Event> feedback_from_json(const json& body, Timestamp now, bool session) {
  if (!body.is_array()) bad("body", "must be a JSON array of feedback");
  if (body.empty() && !session) bad("body", "the array of feedback is empty");
  std::vector<data::Event> out;
  for (std::size_t idx = 0; idx < body.size(); ++idx) {
    const Fields fields(body[idx], "feedback[" + std::to_string(idx) + "].",
                        {"FeedbackType", "UserId", "ItemId", "Value", "Timestamp", "Updated", "Labels", "Comment"});
    data::Event event;
    event.type = fields.id("FeedbackType", true);
    // A session may be anonymous: its UserId may be missing or "".
    if (!session || !fields.text("UserId").empty()) event.user_id = fields.id("UserId", !session);
    event.item_id = fields.id("ItemId", true);
    event.value = 0;
    if (const json* value = fields.get("Value")) {
      if (!value->is_number() || !std::isfinite(value->get<double>())) bad(fields.field("Value"), "must be a finite number");
      event.value = value->get<double>();
    }
    event.timestamp = lenient_time(fields, "Timestamp", now);
    if (fields.get("Updated") && !fields.get("Updated")->is_string()) bad(fields.field("Updated"), "must be a string");
    event.context = json::object();
    if (const json* labels = fields.get("Labels")) {
      check_labels(*labels, fields.field("Labels"));
      event.context["labels"] = *labels;
    }
    const std::string comment = fields.text("Comment");
    if (!comment.empty()) event.context["comment"] = comment;
    out.push_back(std::move(event));
  }
  return out;
}

void FeedbackRow::add(const data::Event& event) {
  if (empty || event.timestamp >= last) {
    // The newest event's labels and comment replace older ones.
    labels = event.context.is_object() && event.context.contains("labels") ? event.context["labels"] : json(nullptr);
    comment = event.context.is_object() && event.context.contains("comment") && event.context["comment"].is_string()
                  ? event.context["comment"].get<std::string>()
                  : "";
  }
  first = empty ? event.timestamp : std::min(first, event.timestamp);
  last = empty ? event.timestamp : std::max(last, event.timestamp);
  value += event.value;
  empty = false;
}

json feedback_to_json(const FeedbackRow& row) {
  return {{"FeedbackType", row.type}, {"UserId", row.user},    {"ItemId", row.item},
          {"Value", row.value},       {"Timestamp", format_time(row.first)}, {"Updated", format_time(row.last)},
          {"Labels", row.labels},     {"Comment", row.comment}};
}

std::vector<FeedbackRow> group_feedback(const std::vector<data::Event>& events, Timestamp not_after) {
  std::map<std::tuple<std::string, std::string, std::string>, FeedbackRow> rows;
  for (const auto& event : events) {
    if (event.timestamp > not_after) continue;
    FeedbackRow& row = rows[{event.type, event.user_id, event.item_id}];
    row.type = event.type;
    row.user = event.user_id;
    row.item = event.item_id;
    row.add(event);
  }
  std::vector<FeedbackRow> out;
  for (auto& [key, row] : rows) out.push_back(std::move(row));
  return out;
}

double parse_duration(const std::string& text, const std::string& field) {
  std::string_view rest = text;
  double sign = 1;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    sign = rest.front() == '-' ? -1 : 1;
    rest.remove_prefix(1);
  }
  if (rest == "0") return 0;
  if (rest.empty()) bad(field, "must be a duration such as 10m or 1h30m");
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1e-9}, {"us", 1e-6}, {"\xC2\xB5s", 1e-6}, {"\xCE\xBCs", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
  double seconds = 0;
  while (!rest.empty()) {
    std::size_t digits = 0;
    while (digits < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[digits])) || rest[digits] == '.'))
      ++digits;
    double number = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + digits, number);
    if (digits == 0 || ec != std::errc() || end != rest.data() + digits)
      bad(field, "cannot parse '" + text + "' as a duration (such as 10m or 1h30m)");
    rest.remove_prefix(digits);
    double scale = 0;
    // Two-letter units come first in kUnits, so "ms" is never read as "m" then "s".
    for (const auto& [unit, unit_seconds] : kUnits)
      if (rest.substr(0, unit.size()) == unit) {
        scale = unit_seconds;
        rest.remove_prefix(unit.size());
        break;
      }
    if (scale == 0) bad(field, "cannot parse '" + text + "' as a duration: missing or unknown unit (ns us ms s m h)");
    seconds += number * scale;
  }
  if (!std::isfinite(seconds) || seconds > 1e11) bad(field, "duration out of range");
  return sign * seconds;
}

bool TypeExpression::matches(const std::string& feedback_type, double value) const {
  if (feedback_type != type) return false;
  if (op.empty()) return true;
  if (op == "<") return value < operand;
  if (op == "<=") return value <= operand;
  if (op == ">") return value > operand;
  if (op == ">=") return value >= operand;
  if (op == "!=") return value != operand;
  return value == operand;  // "=" and "=="
}

TypeExpression parse_type_expression(const std::string& text) {
  TypeExpression out;
  const std::size_t op_at = text.find_first_of("<>=!");
  out.type = text.substr(0, op_at);
  if (out.type.empty()) bad("feedback-type", "expression '" + text + "' has no feedback type");
  check_id(out.type, "feedback-type");
  if (op_at == std::string::npos) return out;
  std::size_t op_end = op_at + 1;
  if (op_end < text.size() && text[op_end] == '=') ++op_end;
  out.op = text.substr(op_at, op_end - op_at);
  if (out.op == "!") bad("feedback-type", "unknown operator in '" + text + "' (use < <= > >= = != )");
  const std::string operand = text.substr(op_end);
  auto [end, ec] = std::from_chars(operand.data(), operand.data() + operand.size(), out.operand);
  if (operand.empty() || ec != std::errc() || end != operand.data() + operand.size() || !std::isfinite(out.operand))
    bad("feedback-type", "expression '" + text + "' must end in a number");
  return out;
}

namespace {
constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string encode_cursor(const std::string& position) {
  std::string out;
  std::size_t pos = 0;
  for (; pos + 2 < position.size(); pos += 3) {
    const unsigned v = (static_cast<unsigned char>(position[pos]) << 16) |
                       (static_cast<unsigned char>(position[pos + 1]) << 8) | static_cast<unsigned char>(position[pos + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kBase64[(v >> shift) & 63]);
  }
  const std::size_t left = position.size() - pos;
  if (left > 0) {
    unsigned v = static_cast<unsigned char>(position[pos]) << 16;
    if (left == 2) v |= static_cast<unsigned char>(position[pos + 1]) << 8;
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(left == 2 ? kBase64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string decode_cursor(const std::string& cursor) {
  std::string out;
  unsigned bits = 0;
  int count = 0;
  std::size_t end = cursor.size();
  while (end > 0 && cursor[end - 1] == '=') --end;
  if (cursor.size() % 4 != 0 || cursor.size() - end > 2) bad("cursor", "not a cursor this server handed out");
  for (std::size_t pos = 0; pos < end; ++pos) {
    const std::size_t digit = kBase64.find(cursor[pos]);
    if (digit == std::string_view::npos) bad("cursor", "not a cursor this server handed out");
    bits = (bits << 6) | static_cast<unsigned>(digit);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

json openapi_schemas() {
  const json str = {{"type", "string"}}, num = {{"type", "number"}}, boolean = {{"type", "boolean"}};
  const json any = {{"description", "any JSON: string, number, array of strings or numbers, or an object of these"}};
  const json time = {{"type", "string"}, {"description", "RFC 3339; 0001-01-01T00:00:00Z = unknown"}};
  const auto ref = [](const char* name) { return json{{"$ref", std::string("#/components/schemas/") + name}}; };
  const auto array_of = [](const json& items) { return json{{"type", "array"}, {"items", items}}; };
  json s;
  s["GorseUser"] = {{"type", "object"}, {"required", {"UserId"}},
                    {"properties", {{"UserId", str}, {"Labels", any}, {"Comment", str}}}};
  s["GorseUsers"] = array_of(ref("GorseUser"));
  s["GorseUserPatch"] = {{"type", "object"}, {"properties", {{"Labels", any}, {"Comment", str}}}};
  s["GorseItem"] = {{"type", "object"}, {"required", {"ItemId"}},
                    {"properties", {{"ItemId", str}, {"IsHidden", boolean}, {"Categories", array_of(str)},
                                    {"Timestamp", time}, {"Labels", any}, {"Comment", str}}}};
  s["GorseItems"] = array_of(ref("GorseItem"));
  s["GorseItemPatch"] = {{"type", "object"},
                         {"properties", {{"IsHidden", boolean}, {"Categories", array_of(str)}, {"Timestamp", time},
                                         {"Labels", any}, {"Comment", str}}}};
  s["GorseFeedback"] = {{"type", "object"}, {"required", {"FeedbackType", "UserId", "ItemId"}},
                        {"properties", {{"FeedbackType", str}, {"UserId", str}, {"ItemId", str}, {"Value", num},
                                        {"Timestamp", time}, {"Updated", time}, {"Labels", any}, {"Comment", str}}}};
  s["GorseFeedbackList"] = array_of(ref("GorseFeedback"));
  s["GorseSuccess"] = {{"type", "object"}, {"properties", {{"RowAffected", {{"type", "integer"}}}}}};
  const json cursor = {{"type", "string"}, {"description", "opaque; empty on the last page"}};
  s["GorseUserIterator"] = {{"type", "object"}, {"properties", {{"Cursor", cursor}, {"Users", ref("GorseUsers")}}}};
  s["GorseItemIterator"] = {{"type", "object"}, {"properties", {{"Cursor", cursor}, {"Items", ref("GorseItems")}}}};
  s["GorseFeedbackIterator"] = {{"type", "object"},
                                {"description", "Feedbacks repeats Feedback for gorsejs"},
                                {"properties", {{"Cursor", cursor}, {"Feedback", ref("GorseFeedbackList")},
                                                {"Feedbacks", ref("GorseFeedbackList")}}}};
  s["GorseScore"] = {{"type", "object"}, {"properties", {{"Id", str}, {"Score", num}}}};
  s["GorseScores"] = array_of(ref("GorseScore"));
  s["GorseRecommendation"] = {{"description", "item ids; with the header X-API-Version: 2, GorseScores"},
                              {"oneOf", {array_of(str), ref("GorseScores")}}};
  s["GorseHealth"] = {{"type", "object"},
                      {"properties", {{"Ready", boolean}, {"DataStoreError", {{"nullable", true}}},
                                      {"CacheStoreError", {{"nullable", true}}}, {"DataStoreConnected", boolean},
                                      {"CacheStoreConnected", boolean}}}};
  return s;
}

}  // namespace tailor::server::gorse
