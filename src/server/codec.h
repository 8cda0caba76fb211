// Private to the server: JSON bodies of the /v1 API to and from the data
// schema. Every parser rejects wrong types and unknown fields with
// InvalidArgument whose message starts with the field's path
// ("events[3].timestamp: ...").
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailor/data/data.h"

namespace tailor::server {

// Parses a request body; InvalidArgument "body: malformed JSON ..." when it is not JSON.
nlohmann::json parse_body(const std::string& body);

// Checks an id from a path or body with data::validate_id; InvalidArgument naming `field`.
void check_id(const std::string& id, const std::string& field);

// PUT /v1/users/{id} body: {"attributes": {}, "labels": [], "comment": ""}, all optional.
data::User user_from_json(const std::string& id, const nlohmann::json& body);
nlohmann::json user_to_json(const data::User& user);

// PUT /v1/items/{id} body: title, description, categories, tags, price, attributes, hidden, available.
data::Item item_from_json(const std::string& id, const nlohmann::json& body);
nlohmann::json item_to_json(const data::Item& item);

// POST /v1/events body: one event object or an array of them. Fields: user, item,
// type (a known event type), value (finite, default 1), timestamp (Unix seconds
// or ms, or ISO 8601; default now; stored as UTC), channel, context (object).
// A bad element rejects the whole batch: "events[i].field: ...".
std::vector<data::Event> events_from_json(const nlohmann::json& body, Timestamp now);

}  // namespace tailor::server
