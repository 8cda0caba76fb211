// The OpenAPI 3 document of the /v1 API and the Gorse-compatible /api routes,
// generated from the route table (RouteInfo); the schemas below describe the
// JSON shapes of codec.cc and the handlers in server.cc, the Gorse ones come
// from gorse_codec.cc. Operations are tagged "tailor" or "gorse".
#include <map>

#include "gorse_api.h"
#include "gorse_codec.h"
#include "tailor/server/server.h"

namespace tailor::server {
namespace {

using nlohmann::json;

json ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }
json array_of(const json& items) { return {{"type", "array"}, {"items", items}}; }
json string_map() { return {{"type", "object"}, {"additionalProperties", true}}; }

// Type of each query parameter a handler accepts (Query:: integer / number / flag / list / text).
json query_schema(const std::string& name) {
  static const std::map<std::string, json> kTypes = {
      {"n", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}, {"default", 10}}},
      {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100}}},
      {"diversity", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}, {"default", 0}}},
      {"explain", {{"type", "boolean"}, {"default", false}}},
      {"include_seen", {{"type", "boolean"}, {"default", false}}},
      {"category", {{"type", "array"}, {"items", {{"type", "string"}}}}},
      {"exclude", {{"type", "array"}, {"items", {{"type", "string"}}}}},
      {"offset", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}},
      {"cursor", {{"type", "string"}, {"description", "opaque, from the previous page's Cursor"}}},
      {"Cursor", {{"type", "string"}, {"description", "same as cursor (gorsejs spelling)"}}},
      {"write-back-delay", {{"type", "string"}, {"description", "Go duration, e.g. 10m or 1h30m"}}},
  };
  auto it = kTypes.find(name);
  return it != kTypes.end() ? it->second : json{{"type", "string"}};
}

json schemas() {
  const json str = {{"type", "string"}}, num = {{"type", "number"}}, integer = {{"type", "integer"}};
  const json nullable_time = {{"type", "string"}, {"nullable", true}, {"description", "ISO 8601 UTC"}};
  json s;
  s["Error"] = {{"type", "object"},
                {"required", {"error"}},
                {"properties",
                 {{"error",
                   {{"type", "object"},
                    {"required", {"code", "message"}},
                    {"properties", {{"code", str}, {"message", {{"type", "string"}, {"description", "names the field"}}}}}}}}}};
  s["UserInput"] = {{"type", "object"},
                    {"properties", {{"attributes", string_map()}, {"labels", array_of(str)}, {"comment", str}}}};
  s["User"] = {{"type", "object"},
               {"required", {"id"}},
               {"properties",
                {{"id", str}, {"attributes", string_map()}, {"labels", array_of(str)}, {"comment", str},
                 {"created_at", nullable_time}, {"updated_at", nullable_time}}}};
  s["ItemInput"] = {{"type", "object"},
                    {"properties",
                     {{"title", str}, {"description", str}, {"categories", array_of(str)}, {"tags", array_of(str)},
                      {"attributes", string_map()}, {"price", num}, {"available", {{"type", "boolean"}}},
                      {"hidden", {{"type", "boolean"}}}, {"comment", str}}}};
  s["Item"] = s["ItemInput"];
  s["Item"]["required"] = {"id"};
  s["Item"]["properties"]["id"] = str;
  s["Item"]["properties"]["created_at"] = nullable_time;
  s["Item"]["properties"]["updated_at"] = nullable_time;
  s["ItemPage"] = {{"type", "object"},
                   {"properties", {{"items", array_of(ref("Item"))}, {"cursor", {{"type", "string"}, {"description", "empty on the last page"}}}}}};
  s["Event"] = {{"type", "object"},
                {"required", {"user", "item", "type"}},
                {"properties",
                 {{"user", str}, {"item", str}, {"type", str}, {"value", num},
                  {"timestamp", {{"oneOf", {integer, str}}, {"description", "Unix s or ms, or ISO 8601; default now"}}},
                  {"channel", str}, {"context", string_map()}}}};
  s["EventBatch"] = {{"oneOf", {ref("Event"), array_of(ref("Event"))}}};
  s["EventsWritten"] = {{"type", "object"}, {"properties", {{"written", integer}, {"duplicates", integer}}}};
  s["ScoredItem"] = {{"type", "object"},
                     {"properties", {{"item", str}, {"score", num}, {"title", str}, {"categories", array_of(str)}, {"price", num}}}};
  s["Recommendations"] = {{"type", "object"},
                          {"properties",
                           {{"user", str}, {"model", str}, {"items", array_of(ref("ScoredItem"))},
                            {"explain", {{"type", "object"}, {"additionalProperties", true}}}}}};
  s["SimilarItems"] = {{"type", "object"},
                       {"properties", {{"item", str}, {"model", str}, {"items", array_of(ref("ScoredItem"))}}}};
  s["SearchHit"] = {{"type", "object"},
                    {"properties",
                     {{"item", str}, {"score", num}, {"semantic", num}, {"personal", num}, {"categories", array_of(str)},
                      {"title", str}, {"price", {{"type", "number"}, {"nullable", true}}}, {"reason", str}}}};
  s["SearchResult"] = {{"type", "object"},
                       {"properties",
                        {{"query", str}, {"user", str}, {"intent", {{"type", "object"}, {"additionalProperties", true}}},
                         {"items", array_of(ref("SearchHit"))}}}};
  s["Deleted"] = {{"type", "object"}, {"properties", {{"deleted", str}}}};
  s["Health"] = {{"type", "object"}, {"properties", {{"status", str}}}};
  s["Ready"] = {{"type", "object"},
                {"properties", {{"status", str}, {"model", {{"type", "string"}, {"nullable", true}}}, {"training", {{"type", "boolean"}}}}}};
  s["ModelStatus"] = {{"type", "object"},
                      {"properties",
                       {{"name", str}, {"params", string_map()}, {"users", integer}, {"items", integer}, {"source", str},
                        {"loaded_at", str}, {"training", {{"type", "boolean"}}}, {"last_training", {{"type", "object"}, {"nullable", true}}}}}};
  s["TrainRequest"] = {{"type", "object"}, {"properties", {{"model", str}, {"params", string_map()}}}};
  s["TrainAccepted"] = {{"type", "object"}, {"properties", {{"status", str}, {"model", str}}}};
  s["Profile"] = {{"type", "object"},
                  {"properties",
                   {{"user", str}, {"attributes", string_map()}, {"event_count", integer},
                    {"features", {{"type", "object"}, {"additionalProperties", {{"type", "number"}, {"nullable", true}}}}},
                    {"labels", array_of(str)},
                    {"segment", {{"type", "object"}, {"nullable", true}, {"additionalProperties", true}}}}}};
  s["OpenAPI"] = {{"type", "object"}, {"additionalProperties", true}};
  // Experiments (routes_experiment.cc); the definition's fields are documented in experiment.h.
  json experiment = {{"type", "object"}, {"additionalProperties", true}};
  experiment["properties"]["id"] = str;
  experiment["properties"]["variants"] = array_of(string_map());
  experiment["properties"]["status"] = str;
  s["ExperimentInput"] = experiment;
  s["Experiment"] = experiment;
  json experiment_list = {{"type", "object"}};
  experiment_list["properties"]["experiments"] = array_of(ref("Experiment"));
  s["ExperimentList"] = experiment_list;
  json results = {{"type", "object"}, {"additionalProperties", true}};
  results["properties"]["srm"] = string_map();
  results["properties"]["metrics"] = array_of(string_map());
  results["properties"]["verdict"] = string_map();
  s["ExperimentResults"] = results;
  json monitor = {{"type", "object"}, {"additionalProperties", true}};
  monitor["properties"]["series"] = array_of(string_map());
  monitor["properties"]["alerts"] = array_of(string_map());
  s["Monitor"] = monitor;
  s.update(gorse::openapi_schemas());
  return s;
}

}  // namespace

json openapi_spec(const std::vector<RouteInfo>& routes) {
  json paths = json::object();
  for (const auto& route : routes) {
    const bool gorse_route = is_gorse_path(route.path);
    json op = {{"summary", route.summary},
               {"operationId", route.method + " " + route.path},
               {"tags", {gorse_route ? "gorse" : "tailor"}}};
    json params = json::array();
    for (std::size_t pos = route.path.find('{'); pos != std::string::npos; pos = route.path.find('{', pos + 1)) {
      const std::string name = route.path.substr(pos + 1, route.path.find('}', pos) - pos - 1);
      params.push_back({{"name", name}, {"in", "path"}, {"required", true},
                        {"description", "percent-encode '/' as %2F"}, {"schema", {{"type", "string"}}}});
    }
    for (const auto& name : route.query) {
      json p = {{"name", name}, {"in", "query"}, {"required", false}, {"schema", query_schema(name)}};
      if (p["schema"]["type"] == "array") {
        p["style"] = "form";
        p["explode"] = true;
        p["description"] = "repeated or comma-separated";
      }
      params.push_back(p);
    }
    if (!params.empty()) op["parameters"] = params;
    if (!route.request_schema.empty())
      op["requestBody"] = {{"required", route.method != "POST" || route.request_schema != "TrainRequest"},
                           {"content", {{"application/json", {{"schema", ref(route.request_schema)}}}}}};
    json ok = {{"description", "success"}};
    if (route.response_schema.empty())
      ok["content"] = {{"text/plain", {{"schema", {{"type", "string"}}}}}};
    else
      ok["content"] = {{"application/json", {{"schema", ref(route.response_schema)}}}};
    json responses = {{std::to_string(route.success_status), ok}};
    if (route.method == "PUT" && !gorse_route) responses["201"] = {{"description", "created"}, {"content", ok["content"]}};
    // Gorse clients read errors as plain text, so the /api routes send them that way.
    const json error = gorse_route
                           ? json{{"description", "error"}, {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}
                           : json{{"description", "error"}, {"content", {{"application/json", {{"schema", ref("Error")}}}}}};
    if (route.role) {
      responses["401"] = error;
      responses["401"]["description"] = "missing or unknown API key";
      responses["403"] = error;
      responses["403"]["description"] = "the key's role may not use this route";
      responses["429"] = error;
      responses["429"]["description"] = "rate limit exceeded; see Retry-After";
      op["security"] = json::array({{{"bearer", json::array()}}, {{"apiKey", json::array()}}});
    } else {
      op["security"] = json::array();
    }
    responses["default"] = error;
    op["responses"] = responses;
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[route.path][method] = op;
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "Tailor"}, {"version", "1"},
                    {"description", "Native REST API of tailor serve (tag tailor) and the Gorse-compatible API under "
                                    "/api (tag gorse). Keys: admin (data, config, metrics) and client "
                                    "(read recommendations, write events); checked only when keys are configured."}}},
          {"paths", paths},
          {"components",
           {{"schemas", schemas()},
            {"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
              {"apiKey", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}}}}}}};
}

}  // namespace tailor::server
