// Encoding of User and Item fields into SQLite columns and back; see sqlite_rows.h.
#include "sqlite_rows.h"

#include <string>

namespace tailor::store {

using data::Json;

std::string encode_json_object(const Json& value, std::string_view field) {
  if (value.is_null()) return "{}";
  TAILOR_CHECK_ARG(value.is_object(), std::string(field) + " must be a JSON object");
  try {
    return value.dump();  // strict: invalid UTF-8 throws rather than storing garbage
  } catch (const Json::exception& error) {
    throw Error(ErrorCode::kInvalidArgument, std::string(field) + ": " + error.what());
  }
}

std::string encode_strings(const std::vector<std::string>& values, std::string_view field) {
  try {
    return Json(values).dump();
  } catch (const Json::exception& error) {
    throw Error(ErrorCode::kInvalidArgument, std::string(field) + ": " + error.what());
  }
}

namespace {

[[noreturn]] void throw_bad_column(std::string_view what, std::string_view id, std::string_view expected,
                                   std::string_view text) {
  throw_error(ErrorCode::kCorruption, "store: " + std::string(what) + " '" + std::string(id) + "' is not " +
                                          std::string(expected) + ": " + std::string(text.substr(0, 80)));
}

}  // namespace

Json decode_json_object(std::string_view text, std::string_view what, std::string_view id) {
  if (text.empty()) return Json::object();
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) throw_bad_column(what, id, "a JSON object", text);
  return value;
}

std::vector<std::string> decode_strings(std::string_view text, std::string_view what, std::string_view id) {
  std::vector<std::string> values;
  if (text.empty()) return values;
  Json array = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  bool ok = array.is_array();
  if (ok) {
    values.reserve(array.size());
    for (const Json& element : array) {
      if (!element.is_string()) {
        ok = false;
        break;
      }
      values.push_back(element.get<std::string>());
    }
  }
  if (!ok) throw_bad_column(what, id, "a JSON array of strings", text);
  return values;
}

data::User read_user(const Statement& row) {
  data::User user;
  user.id = row.column_string(1);
  user.attributes = decode_json_object(row.column_text(2), "attributes of user", user.id);
  user.labels = decode_strings(row.column_text(3), "labels of user", user.id);
  user.comment = row.column_string(4);
  user.created_at = row.column_int(5);
  user.updated_at = row.column_int(6);
  return user;
}

data::Item read_item(const Statement& row) {
  data::Item item;
  item.id = row.column_string(1);
  item.title = row.column_string(2);
  item.description = row.column_string(3);
  item.categories = decode_strings(row.column_text(4), "categories of item", item.id);
  item.tags = decode_strings(row.column_text(5), "tags of item", item.id);
  if (!row.column_is_null(6)) item.price = row.column_double(6);
  item.attributes = decode_json_object(row.column_text(7), "attributes of item", item.id);
  item.hidden = row.column_int(8) != 0;
  item.available = row.column_int(9) != 0;
  item.created_at = row.column_int(10);
  item.updated_at = row.column_int(11);
  return item;
}

}  // namespace tailor::store
