// JSON bodies of the /v1 API: strict parsing (types, unknown fields, ids,
// event types, timestamps) into the data schema, and the reverse.
#include "codec.h"

#include <cmath>
#include <initializer_list>
#include <string_view>

namespace tailor::server {
namespace {

[[noreturn]] void bad(const std::string& field, const std::string& message) {
  throw_error(ErrorCode::kInvalidArgument, field + ": " + message);
}

void reject_unknown_fields(const nlohmann::json& body, const std::string& prefix,
                           std::initializer_list<std::string_view> known) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool ok = false;
    for (auto k : known) ok = ok || it.key() == k;
    if (!ok) bad(prefix + it.key(), "unknown field");
  }
}

std::string get_string(const nlohmann::json& value, const std::string& field) {
  if (!value.is_string()) bad(field, "must be a string");
  const auto& text = value.get_ref<const std::string&>();
  if (!data::is_valid_utf8(text)) bad(field, "must be valid UTF-8");
  return text;
}

std::vector<std::string> get_strings(const nlohmann::json& value, const std::string& field) {
  if (!value.is_array()) bad(field, "must be an array of strings");
  std::vector<std::string> out;
  for (std::size_t idx = 0; idx < value.size(); ++idx)
    out.push_back(data::normalize_text(get_string(value[idx], field + "[" + std::to_string(idx) + "]")));
  return out;
}

bool get_bool(const nlohmann::json& value, const std::string& field) {
  if (!value.is_boolean()) bad(field, "must be true or false");
  return value.get<bool>();
}

double get_finite(const nlohmann::json& value, const std::string& field) {
  if (!value.is_number()) bad(field, "must be a number");
  const double v = value.get<double>();
  if (!std::isfinite(v)) bad(field, "must be finite");
  return v;
}

nlohmann::json get_object(const nlohmann::json& value, const std::string& field) {
  if (!value.is_object()) bad(field, "must be an object");
  return value;
}

Timestamp get_timestamp(const nlohmann::json& value, const std::string& field) {
  std::optional<Timestamp> ts;
  if (value.is_string()) {
    ts = parse_timestamp(value.get_ref<const std::string&>());
  } else if (value.is_number()) {
    const double v = value.get<double>();
    if (std::isfinite(v)) ts = parse_timestamp(value.dump());
  } else {
    bad(field, "must be a string or a number");
  }
  if (!ts) bad(field, "cannot parse '" + value.dump() + "' as a timestamp (Unix seconds/ms or ISO 8601)");
  return *ts;
}

data::Event event_from_json(const nlohmann::json& body, const std::string& prefix, Timestamp now,
                            const data::EventTypes& types) {
  if (!body.is_object()) bad(prefix.empty() ? "body" : prefix.substr(0, prefix.size() - 1), "must be an object");
  reject_unknown_fields(body, prefix, {"user", "item", "type", "value", "timestamp", "channel", "context"});
  data::Event ev;
  for (const char* required : {"user", "item", "type"})
    if (!body.contains(required)) bad(prefix + required, "is required");
  ev.user_id = get_string(body["user"], prefix + "user");
  check_id(ev.user_id, prefix + "user");
  ev.item_id = get_string(body["item"], prefix + "item");
  check_id(ev.item_id, prefix + "item");
  ev.type = get_string(body["type"], prefix + "type");
  if (types.find(ev.type) == nullptr) bad(prefix + "type", "unknown event type '" + ev.type + "'");
  if (body.contains("value")) ev.value = get_finite(body["value"], prefix + "value");
  ev.timestamp = body.contains("timestamp") ? get_timestamp(body["timestamp"], prefix + "timestamp") : now;
  if (body.contains("channel")) ev.channel = data::normalize_text(get_string(body["channel"], prefix + "channel"));
  if (body.contains("context")) ev.context = get_object(body["context"], prefix + "context");
  return ev;
}

}  // namespace

nlohmann::json parse_body(const std::string& body) {
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    bad("body", std::string("malformed JSON (") + e.what() + ")");
  }
}

void check_id(const std::string& id, const std::string& field) {
  if (auto problem = data::validate_id(id)) bad(field, *problem);
}

data::User user_from_json(const std::string& id, const nlohmann::json& body) {
  if (!body.is_object()) bad("body", "must be a JSON object");
  reject_unknown_fields(body, "", {"id", "attributes", "labels", "comment"});
  data::User user;
  user.id = id;
  if (body.contains("id") && get_string(body["id"], "id") != id) bad("id", "differs from the id in the path");
  if (body.contains("attributes")) user.attributes = get_object(body["attributes"], "attributes");
  if (body.contains("labels")) user.labels = get_strings(body["labels"], "labels");
  if (body.contains("comment")) user.comment = data::normalize_text(get_string(body["comment"], "comment"));
  return user;
}

nlohmann::json user_to_json(const data::User& user) {
  return {{"id", user.id},
          {"attributes", user.attributes},
          {"labels", user.labels},
          {"comment", user.comment},
          {"created_at", format_timestamp(user.created_at)},
          {"updated_at", format_timestamp(user.updated_at)}};
}

data::Item item_from_json(const std::string& id, const nlohmann::json& body) {
  if (!body.is_object()) bad("body", "must be a JSON object");
  reject_unknown_fields(body, "", {"id", "title", "description", "categories", "tags", "price", "attributes",
                                   "hidden", "available"});
  data::Item item;
  item.id = id;
  if (body.contains("id") && get_string(body["id"], "id") != id) bad("id", "differs from the id in the path");
  if (body.contains("title")) item.title = data::normalize_text(get_string(body["title"], "title"));
  if (body.contains("description"))
    item.description = data::normalize_text(get_string(body["description"], "description"));
  if (body.contains("categories")) item.categories = get_strings(body["categories"], "categories");
  if (body.contains("tags")) item.tags = get_strings(body["tags"], "tags");
  if (body.contains("price") && !body["price"].is_null()) item.price = get_finite(body["price"], "price");
  if (body.contains("attributes")) item.attributes = get_object(body["attributes"], "attributes");
  if (body.contains("hidden")) item.hidden = get_bool(body["hidden"], "hidden");
  if (body.contains("available")) item.available = get_bool(body["available"], "available");
  return item;
}

nlohmann::json item_to_json(const data::Item& item) {
  nlohmann::json out = {{"id", item.id},
                        {"title", item.title},
                        {"description", item.description},
                        {"categories", item.categories},
                        {"tags", item.tags},
                        {"price", nullptr},
                        {"attributes", item.attributes},
                        {"hidden", item.hidden},
                        {"available", item.available},
                        {"created_at", format_timestamp(item.created_at)},
                        {"updated_at", format_timestamp(item.updated_at)}};
  if (item.price) out["price"] = *item.price;
  return out;
}

std::vector<data::Event> events_from_json(const nlohmann::json& body, Timestamp now) {
  const data::EventTypes types = data::EventTypes::defaults();
  std::vector<data::Event> out;
  if (body.is_array()) {
    TAILOR_CHECK_ARG(!body.empty(), "body: the array of events is empty");
    for (std::size_t idx = 0; idx < body.size(); ++idx)
      out.push_back(event_from_json(body[idx], "events[" + std::to_string(idx) + "].", now, types));
  } else {
    out.push_back(event_from_json(body, "", now, types));
  }
  return out;
}

}  // namespace tailor::server
