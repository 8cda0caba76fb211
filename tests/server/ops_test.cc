// Operations features of the server: Prometheus /metrics, the OpenAPI spec
// checked against the route table, per-key rate limits, and user profiles.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "running.h"
#include "tailor/profile/profile.h"
#include "tailor/server/server.h"

namespace tailor::server {
namespace {

using nlohmann::json;
using test_support::body_of;
using test_support::Running;

// One sample of the Prometheus text format: name, labels, value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// A tiny parser of text format 0.0.4: skips # lines, reads
// name{label="value",...} number. Fails the test on any malformed line.
std::vector<Sample> parse_exposition(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    Sample sample;
    std::size_t pos = 0;
    while (pos < line.size() && (std::isalnum(static_cast<unsigned char>(line[pos])) || line[pos] == '_')) ++pos;
    sample.name = line.substr(0, pos);
    EXPECT_FALSE(sample.name.empty()) << line;
    if (pos < line.size() && line[pos] == '{') {
      ++pos;
      while (pos < line.size() && line[pos] != '}') {
        const auto eq = line.find('=', pos);
        EXPECT_NE(eq, std::string::npos) << line;
        if (eq == std::string::npos) return out;
        const std::string key = line.substr(pos, eq - pos);
        EXPECT_EQ(line[eq + 1], '"') << line;
        std::string value;
        pos = eq + 2;
        while (pos < line.size() && line[pos] != '"') {
          if (line[pos] == '\\') ++pos;
          value.push_back(line[pos++]);
        }
        ++pos;  // closing quote
        if (pos < line.size() && line[pos] == ',') ++pos;
        sample.labels[key] = value;
      }
      ++pos;  // '}'
    }
    EXPECT_EQ(line[pos], ' ') << line;
    const std::string number = line.substr(pos + 1);
    char* end = nullptr;
    sample.value = number == "+Inf" ? INFINITY : std::strtod(number.c_str(), &end);
    EXPECT_TRUE(number == "+Inf" || end == number.c_str() + number.size()) << line;
    out.push_back(sample);
  }
  return out;
}

double sum_of(const std::vector<Sample>& samples, const std::string& name,
              const std::map<std::string, std::string>& want) {
  double total = 0;
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [key, value] : want) ok = ok && s.labels.count(key) && s.labels.at(key) == value;
    if (ok) total += s.value;
  }
  return total;
}

TEST(ServerOps, MetricsCountRequestsByRoutePattern) {
  Running srv("metrics");
  auto cli = srv.client();
  for (int idx = 0; idx < 7; ++idx)
    ASSERT_EQ(cli.Get("/v1/users/u" + std::to_string(idx) + "/recommendations?n=3")->status, 200);
  ASSERT_EQ(cli.Get("/v1/users/nobody-here")->status, 404);
  ASSERT_EQ(cli.Get("/v1/items/i1")->status, 200);
  ASSERT_EQ(cli.Get("/v1/items/i2")->status, 200);
  ASSERT_EQ(cli.Get("/no/such/route")->status, 404);
  ASSERT_EQ(cli.Get("/v1/users/u1/recommendations?bogus=1")->status, 400);

  auto res = cli.Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/plain; version=0.0.4"), std::string::npos);
  const auto samples = parse_exposition(res->body);
  const std::string recs = "/v1/users/{id}/recommendations";
  EXPECT_EQ(sum_of(samples, "tailor_http_requests_total", {{"route", recs}, {"method", "GET"}, {"status", "200"}}), 7);
  EXPECT_EQ(sum_of(samples, "tailor_http_requests_total", {{"route", recs}, {"status", "400"}}), 1);
  EXPECT_EQ(sum_of(samples, "tailor_http_requests_total", {{"route", "/v1/users/{id}"}, {"status", "404"}}), 1);
  EXPECT_EQ(sum_of(samples, "tailor_http_requests_total", {{"route", "/v1/items/{id}"}, {"status", "200"}}), 2);
  EXPECT_EQ(sum_of(samples, "tailor_http_requests_total", {{"route", "unmatched"}, {"status", "404"}}), 1);
  EXPECT_EQ(sum_of(samples, "tailor_http_errors_total", {{"route", recs}, {"class", "4xx"}}), 1);
  EXPECT_EQ(sum_of(samples, "tailor_http_errors_total", {{"route", "unmatched"}}), 1);
  // Histogram: count = all requests of the route, +Inf bucket = count, buckets cumulative.
  EXPECT_EQ(sum_of(samples, "tailor_http_request_duration_seconds_count", {{"route", recs}}), 8);
  EXPECT_EQ(sum_of(samples, "tailor_http_request_duration_seconds_bucket", {{"route", recs}, {"le", "+Inf"}}), 8);
  EXPECT_GT(sum_of(samples, "tailor_http_request_duration_seconds_sum", {{"route", recs}}), 0);
  double previous = 0;
  int buckets = 0;
  for (const auto& s : samples)
    if (s.name == "tailor_http_request_duration_seconds_bucket" && s.labels.at("route") == recs) {
      EXPECT_GE(s.value, previous);
      previous = s.value;
      ++buckets;
    }
  EXPECT_EQ(buckets, 14);
  // Gauges.
  EXPECT_EQ(sum_of(samples, "tailor_model_info", {{"name", "itemknn"}}), 1);
  EXPECT_EQ(sum_of(samples, "tailor_model_training", {}), 0);
  EXPECT_GE(sum_of(samples, "tailor_model_age_seconds", {}), 0);
  EXPECT_EQ(sum_of(samples, "tailor_store_items", {}), 20);
  EXPECT_EQ(sum_of(samples, "tailor_store_events", {}), 120);
  // No label ever carries a concrete id.
  for (const auto& s : samples)
    for (const auto& [key, value] : s.labels) {
      EXPECT_EQ(value.find("u1"), std::string::npos) << s.name << " " << key << "=" << value;
      EXPECT_EQ(value.find("i1"), std::string::npos) << s.name << " " << key << "=" << value;
      EXPECT_EQ(value.find("nobody"), std::string::npos) << s.name << " " << key << "=" << value;
    }
}

TEST(ServerOps, MetricsNeedAdminKeyWhenKeysAreConfigured) {
  Running srv("metrics_auth", {"admin-key-123:admin", "client-key-456:client"});
  auto cli = srv.client();
  EXPECT_EQ(cli.Get("/metrics")->status, 401);
  EXPECT_EQ(cli.Get("/metrics", {{"X-API-Key", "client-key-456"}})->status, 403);
  EXPECT_EQ(cli.Get("/metrics", {{"X-API-Key", "admin-key-123"}})->status, 200);
}

TEST(ServerOps, OpenApiSpecMatchesRouteTable) {
  Running srv("openapi");
  auto cli = srv.client();
  auto res = cli.Get("/v1/openapi.json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const json spec = json::parse(res->body);
  // Structure of an OpenAPI 3 document.
  ASSERT_TRUE(spec["openapi"].is_string());
  EXPECT_EQ(spec["openapi"].get<std::string>().substr(0, 2), "3.");
  EXPECT_TRUE(spec["info"]["title"].is_string());
  EXPECT_TRUE(spec["info"]["version"].is_string());
  ASSERT_TRUE(spec["paths"].is_object());
  ASSERT_TRUE(spec["components"]["schemas"].is_object());
  EXPECT_TRUE(spec["components"]["securitySchemes"].contains("bearer"));
  EXPECT_EQ(spec["components"]["securitySchemes"]["apiKey"]["name"], "X-API-Key");
  for (const char* name : {"User", "Item", "Event", "Recommendations", "Error", "Profile"})
    EXPECT_TRUE(spec["components"]["schemas"].contains(name)) << name;

  // Route table -> spec.
  std::set<std::pair<std::string, std::string>> from_table;
  for (const auto& route : srv.server().routes()) {
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    from_table.insert({method, route.path});
    ASSERT_TRUE(spec["paths"].contains(route.path)) << route.path;
    ASSERT_TRUE(spec["paths"][route.path].contains(method)) << route.method << " " << route.path;
    const json& op = spec["paths"][route.path][method];
    EXPECT_TRUE(op["responses"].is_object());
    std::set<std::string> query, path_params;
    for (const auto& p : op.value("parameters", json::array())) {
      if (p["in"] == "query") query.insert(p["name"]);
      if (p["in"] == "path") path_params.insert(p["name"]);
    }
    EXPECT_EQ(query, std::set<std::string>(route.query.begin(), route.query.end())) << route.path;
    if (route.path.starts_with("/v1/") && route.path.find('{') != std::string::npos) {
      EXPECT_EQ(path_params, std::set<std::string>{"id"}) << route.path;
    }
    // Gorse routes keep Gorse's parameter names ({user-id}, {feedback-type}, ...): one per template.
    if (route.path.starts_with("/api/")) {
      EXPECT_EQ(path_params.size(), static_cast<std::size_t>(std::count(route.path.begin(), route.path.end(), '{')))
          << route.path;
      EXPECT_EQ(op["tags"], json::array({"gorse"})) << route.path;
    }
    if (route.role) {
      EXPECT_FALSE(op["security"].empty()) << route.path;
    }
  }
  // Spec -> route table.
  for (const auto& [path, ops] : spec["paths"].items())
    for (const auto& [method, op] : ops.items())
      EXPECT_TRUE(from_table.count({method, path})) << method << " " << path << " is not a route";
  // Every $ref resolves.
  std::function<void(const json&)> check_refs = [&](const json& node) {
    if (node.is_object()) {
      if (node.contains("$ref")) {
        const std::string ref = node["$ref"];
        EXPECT_TRUE(spec["components"]["schemas"].contains(ref.substr(ref.rfind('/') + 1))) << ref;
      }
      for (const auto& [key, child] : node.items()) check_refs(child);
    } else if (node.is_array()) {
      for (const auto& child : node) check_refs(child);
    }
  };
  check_refs(spec);
  // The accepted query names come from the table: a known one passes, others get 400.
  EXPECT_EQ(cli.Get("/v1/items?limit=2")->status, 200);
  auto bad = cli.Get("/v1/items?lmit=2");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(body_of(bad)["error"]["message"], "lmit: unknown query parameter");
}

TEST(ServerOps, RateLimitPerKeyAnswers429WithRetryAfter) {
  Running srv("ratelimit", {"key-aaaa-1111:client", "key-bbbb-2222:client"}, [](ServerOptions& options) {
    options.rate_limit_rps = 0.5;  // one token every 2 s
    options.rate_limit_burst = 2;
  });
  auto cli = srv.client();
  const httplib::Headers a = {{"X-API-Key", "key-aaaa-1111"}}, b = {{"Authorization", "Bearer key-bbbb-2222"}};
  EXPECT_EQ(cli.Get("/v1/items/i1", a)->status, 200);
  EXPECT_EQ(cli.Get("/v1/items/i1", a)->status, 200);
  auto limited = cli.Get("/v1/items/i1", a);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(body_of(limited)["error"]["code"], "rate_limited");
  const std::string retry = limited->get_header_value("Retry-After");
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoi(retry), 1);
  EXPECT_LE(std::stoi(retry), 2);
  // Another key has its own bucket; health is never limited.
  EXPECT_EQ(cli.Get("/v1/items/i1", b)->status, 200);
  EXPECT_EQ(cli.Get("/v1/health")->status, 200);
  EXPECT_EQ(cli.Get("/v1/health")->status, 200);
  EXPECT_THROW(parse_rate_limit("0"), Error);
  EXPECT_THROW(parse_rate_limit("abc"), Error);
  EXPECT_EQ(parse_rate_limit("5"), std::make_pair(5.0, 5.0));
  EXPECT_EQ(parse_rate_limit("0.5:3"), std::make_pair(0.5, 3.0));
}

TEST(ServerOps, RateLimitOffByDefault) {
  Running srv("ratelimit_off");
  auto cli = srv.client();
  for (int idx = 0; idx < 50; ++idx) ASSERT_EQ(cli.Get("/v1/items/i1")->status, 200);
}

TEST(ServerOps, UserProfileFeaturesLabelsAndSegment) {
  Running srv("profile");
  auto cli = srv.client();
  auto res = cli.Get("/v1/users/u3/profile");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json doc = json::parse(res->body);
  EXPECT_EQ(doc["user"], "u3");
  EXPECT_EQ(doc["event_count"], 4);
  EXPECT_TRUE(doc["features"].is_object());
  EXPECT_FALSE(doc["features"].empty());
  EXPECT_TRUE(doc["labels"].is_array());
  EXPECT_TRUE(doc["segment"].is_null());  // no segmentation stored yet

  auto missing = cli.Get("/v1/users/nobody/profile");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(body_of(missing)["error"]["code"], "not_found");

  // With a stored segmentation the user's segment is reported.
  {
    auto store = store::open_store(srv.path());
    const auto profiles = profile::compute_profiles(*store);
    profile::SegmentOptions options;
    options.k = 2;
    const auto segments = profile::compute_segments(profiles, options);
    auto writer = store->begin_write();
    writer->put_artifact(profile::kSegmentsArtifact, profile::segments_json(segments, true).dump());
    writer->commit();
  }
  doc = body_of(cli.Get("/v1/users/u3/profile"));
  ASSERT_TRUE(doc["segment"].is_object()) << doc.dump();
  EXPECT_TRUE(doc["segment"].contains("name"));
}

}  // namespace
}  // namespace tailor::server
