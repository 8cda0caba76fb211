// How User and Item records map onto rows of the SQLite store, private to the
// store component. Scalar fields are columns of their own; attributes are a
// JSON object in a TEXT column and list fields (labels, categories, tags) a
// JSON array of strings, so the database stays readable with the sqlite3 shell
// and JSON1 queries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sqlite_db.h"
#include "tailor/data/data.h"

namespace tailor::store {

// Column lists shared by every SELECT of a user or an item, in the order
// read_user / read_item expect them (starting at column 0).
inline constexpr std::string_view kUserColumns = "idx, id, attributes, labels, comment, created_at, updated_at";
inline constexpr std::string_view kItemColumns =
    "idx, id, title, description, categories, tags, price, attributes, hidden, available, created_at, updated_at";

// Serialises a JSON object (null counts as {}). Throws kInvalidArgument naming
// `field` for a non-object or for strings that are not valid UTF-8.
std::string encode_json_object(const data::Json& value, std::string_view field);
// Serialises a list of strings as a JSON array; kInvalidArgument for invalid UTF-8.
std::string encode_strings(const std::vector<std::string>& values, std::string_view field);

// Parse back what encode_* wrote. kCorruption naming `what` (e.g. "labels of
// user") and `id` when the text is not what the writer stores.
data::Json decode_json_object(std::string_view text, std::string_view what, std::string_view id);
std::vector<std::string> decode_strings(std::string_view text, std::string_view what, std::string_view id);

// Read the current row of a statement that selected kUserColumns / kItemColumns.
data::User read_user(const Statement& row);
data::Item read_item(const Statement& row);

}  // namespace tailor::store
