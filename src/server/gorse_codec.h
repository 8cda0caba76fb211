// Private to the server: the wire objects of the Gorse-compatible API
// (../shared/design/GORSE_API.md section 1.2) to and from Tailor's data schema,
// and the small Gorse parsers (Go durations, feedback-type expressions, cursors).
//
// Mapping (what a Gorse field becomes in the store, so every field round-trips):
//   User.UserId     -> User.id
//   User.Labels     -> User.attributes when Labels is an object (so profiles and
//                      attribute cold start see them); any other Labels value
//                      (array, string, number, null) is kept as
//                      attributes[kWrappedLabels]. An array of strings is also
//                      copied into User.labels.
//   User.Comment    -> User.comment
//   Item.ItemId     -> Item.id;   Item.IsHidden -> Item.hidden
//   Item.Categories -> Item.categories
//   Item.Timestamp  -> Item.created_at (0 = Gorse's zero time, "0001-01-01T00:00:00Z")
//   Item.Labels     -> Item.attributes as for users; an array of strings is also
//                      copied into Item.tags (the content models read tags)
//   Item.Comment    -> Item.description (the text bm25 indexes)
//   Feedback        -> one data::Event per write: FeedbackType -> type, Value ->
//                      value (default 0), Timestamp -> timestamp (default now),
//                      Labels / Comment -> context {"labels", "comment"}.
// Tailor-only fields (title, price, available, ...) are kept as they were.
//
// Parsing follows Go's encoding/json as Gorse uses it: field names match case-
// insensitively and null means "absent". Unlike Gorse, a field that is no
// field of the object is rejected (400 naming it) rather than silently dropped.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailor/data/data.h"

namespace tailor::server::gorse {

using nlohmann::json;

// Gorse's zero time.Time, printed for an unknown item time.
inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";
// Attribute key holding Labels that are not a JSON object.
inline constexpr const char* kWrappedLabels = "_gorse_labels";

// Checks Labels as Gorse does: null, string, number, an array of all strings
// or all numbers, or an object of valid values. InvalidArgument naming `field`.
void check_labels(const json& labels, const std::string& field);

// --- users ---
// POST /api/user body (or one element of POST /api/users); `field` prefixes
// messages ("" or "users[3].").
data::User user_from_json(const json& body, const std::string& field);
// PATCH /api/user/{id}: Labels and Comment, null = unchanged.
void patch_user(data::User& user, const json& body);
// {"UserId", "Labels", "Comment"}, exactly.
json user_to_json(const data::User& user);

// --- items ---
// Tailor-only fields (title, price, available) are left at their defaults:
// the caller carries them over from the stored item.
data::Item item_from_json(const json& body, const std::string& field);
// PATCH /api/item/{id}: IsHidden, Categories, Timestamp (strict RFC 3339), Labels, Comment; null = unchanged.
void patch_item(data::Item& item, const json& body);
// {"ItemId", "IsHidden", "Categories", "Timestamp", "Labels", "Comment"}, exactly.
json item_to_json(const data::Item& item);

// --- feedback ---
// A feedback list body ([Feedback], non-empty for writes). Fields: FeedbackType,
// UserId, ItemId (required; UserId optional when `session`), Value (number,
// default 0), Timestamp (string, lenient; "" or absent = now), Labels, Comment;
// Updated is accepted and ignored. Errors name "feedback[i].Field".
std::vector<data::Event> feedback_from_json(const json& body, Timestamp now, bool session);

// Gorse's view of the events of one (type, user, item): values summed, the
// earliest time as Timestamp, the latest as Updated, labels and comment of the
// newest event (accumulate semantics of POST /api/feedback).
struct FeedbackRow {
  std::string type, user, item;
  double value = 0;
  Timestamp first = 0, last = 0;
  json labels = nullptr;
  std::string comment;
  bool empty = true;
  void add(const data::Event& event);
};
json feedback_to_json(const FeedbackRow& row);
// Groups events by (type, user, item), sorted by that key; events with a
// timestamp after `not_after` are left out (pass INT64_MAX for all).
std::vector<FeedbackRow> group_feedback(const std::vector<data::Event>& events, Timestamp not_after);

// --- small parsers ---
// Go's time.ParseDuration ("10m", "1h30m", "1.5s", "300ms", "-2h"): seconds.
// InvalidArgument naming `field`.
double parse_duration(const std::string& text, const std::string& field);

// A feedback-type expression: "read", "read>=3", "watch<0.5" (operators
// < <= > >= = == !=). InvalidArgument naming "feedback-type".
struct TypeExpression {
  std::string type;
  std::string op;  // "" = any value
  double operand = 0;
  bool matches(const std::string& feedback_type, double value) const;
};
TypeExpression parse_type_expression(const std::string& text);

// Opaque page cursors: base64 of the store's position. decode_cursor throws
// InvalidArgument naming "cursor" for text that is not base64.
std::string encode_cursor(const std::string& position);
std::string decode_cursor(const std::string& cursor);

// components/schemas of the Gorse objects for the OpenAPI document.
json openapi_schemas();

}  // namespace tailor::server::gorse
