// The Gorse-compatible /api routes (../shared/design/GORSE_API.md) over real
// HTTP: status codes, exact field names, trailing slashes, cursor paging,
// feedback semantics, recommendations and neighbours against the fixture's
// store (30 users, 20 items in c0..c2; user u clicked items u, u+1, u+2, u+5 mod 20).
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "running.h"

namespace tailor::server {
namespace {

using test_support::body_of;
using test_support::json;
using test_support::Running;

const char* kJson = "application/json";

httplib::Result post(httplib::Client& cli, const std::string& path, const json& body,
                     const httplib::Headers& headers = {}) {
  return cli.Post(path, headers, body.dump(), kJson);
}

// GET that must answer 200 with JSON.
json get_ok(httplib::Client& cli, const std::string& path, const httplib::Headers& headers = {}) {
  auto res = cli.Get(path, headers);
  EXPECT_TRUE(res) << path;
  if (!res) return json();
  EXPECT_EQ(res->status, 200) << path << ": " << res->body;
  return json::parse(res->body);
}

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> out;
  for (const auto& [key, value] : object.items()) out.insert(key);
  return out;
}

// An error answer: the status, a plain-text body naming `field`.
void expect_error(const httplib::Result& res, int status, const std::string& field) {
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, status) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type").rfind("text/plain", 0), 0u) << res->get_header_value("Content-Type");
  EXPECT_NE(res->body.find(field), std::string::npos) << "'" << res->body << "' does not name " << field;
}

std::set<std::string> ids_of(const json& scores) {
  std::set<std::string> out;
  for (const auto& score : scores) out.insert(score.is_string() ? score.get<std::string>() : score["Id"].get<std::string>());
  return out;
}

TEST(Gorse, HealthIsOpenAndShaped) {
  Running srv("gorse_health", {"adm-key-1:admin"});
  auto cli = srv.client();
  for (const char* path : {"/api/health/live", "/api/health/ready", "/api/health/live/"}) {
    const json health = get_ok(cli, path);
    EXPECT_EQ(keys_of(health), (std::set<std::string>{"Ready", "DataStoreError", "CacheStoreError",
                                                      "DataStoreConnected", "CacheStoreConnected"}));
    EXPECT_EQ(health["Ready"], true);
    EXPECT_TRUE(health["DataStoreError"].is_null());
  }
}

TEST(Gorse, UsersRoundTripWithExactFields) {
  Running srv("gorse_users");
  auto cli = srv.client();
  const json object_labels = {{"UserId", "g1"}, {"Labels", {{"gender", "f"}, {"age", 31}}}, {"Comment", "first"}};
  EXPECT_EQ(body_of(post(cli, "/api/user", object_labels)), json({{"RowAffected", 1}}));
  EXPECT_EQ(get_ok(cli, "/api/user/g1"), object_labels);
  // Trailing slash, and Labels of every allowed shape round-trip exactly.
  const json users = json::array({{{"UserId", "g2"}, {"Labels", {"a", "b"}}, {"Comment", ""}},
                                  {{"UserId", "g3"}, {"Labels", nullptr}, {"Comment", "x"}},
                                  {{"UserId", "g4"}, {"Labels", {{"_gorse_labels", 5}}}, {"Comment", ""}},
                                  {{"UserId", "g5"}, {"Labels", {1.5, 2}}, {"Comment", ""}}});
  EXPECT_EQ(body_of(post(cli, "/api/users/", users)), json({{"RowAffected", 4}}));
  for (const auto& user : users) EXPECT_EQ(get_ok(cli, "/api/user/" + user["UserId"].get<std::string>() + "/"), user);
  // Object labels are the user's attributes for the native API too.
  EXPECT_EQ(body_of(cli.Get("/v1/users/g1"))["attributes"]["gender"], "f");
  // A missing Comment means "", missing Labels null.
  post(cli, "/api/user", {{"UserId", "g6"}});
  EXPECT_EQ(get_ok(cli, "/api/user/g6"), json({{"UserId", "g6"}, {"Labels", nullptr}, {"Comment", ""}}));

  // PATCH: null or absent = unchanged; gorsejs sends UserId along.
  auto patched = cli.Patch("/api/user/g1", json({{"UserId", "g1"}, {"Comment", "second"}, {"Labels", nullptr}}).dump(), kJson);
  EXPECT_EQ(body_of(patched), json({{"RowAffected", 1}}));
  EXPECT_EQ(get_ok(cli, "/api/user/g1")["Comment"], "second");
  EXPECT_EQ(get_ok(cli, "/api/user/g1")["Labels"], object_labels["Labels"]);
  // PATCH of a missing user: 200 and nothing created (as Gorse).
  EXPECT_EQ(cli.Patch("/api/user/nobody", R"({"Comment":"x"})", kJson)->status, 200);
  expect_error(cli.Get("/api/user/nobody"), 404, "nobody");

  // DELETE removes the user and their feedback; always RowAffected 1.
  post(cli, "/api/feedback", json::array({{{"FeedbackType", "like"}, {"UserId", "g1"}, {"ItemId", "i1"}}}));
  EXPECT_EQ(body_of(cli.Delete("/api/user/g1")), json({{"RowAffected", 1}}));
  expect_error(cli.Get("/api/user/g1"), 404, "g1");
  EXPECT_EQ(get_ok(cli, "/api/user/g1/feedback"), json::array());
  EXPECT_EQ(body_of(cli.Delete("/api/user/g1")), json({{"RowAffected", 1}}));
}

TEST(Gorse, UserAndItemPagesCoverEveryRowOnce) {
  Running srv("gorse_pages");
  auto cli = srv.client();
  for (const char* kind : {"users", "items"}) {
    const std::string key = std::string(kind) == "users" ? "Users" : "Items";
    const std::string id = std::string(kind) == "users" ? "UserId" : "ItemId";
    // PyGorse sends cursor, gorsejs Cursor: both must page.
    for (const char* param : {"cursor", "Cursor"}) {
      std::vector<std::string> seen;
      std::string cursor;
      int pages = 0;
      do {
        const json page = get_ok(cli, "/api/" + std::string(kind) + "?n=7&" + param + "=" + httplib::detail::encode_query_param(cursor));
        ASSERT_EQ(keys_of(page), (std::set<std::string>{"Cursor", key}));
        EXPECT_LE(page[key].size(), 7u);
        for (const auto& row : page[key]) seen.push_back(row[id]);
        cursor = page["Cursor"];
        ASSERT_LT(++pages, 20) << "paging does not end";
      } while (!cursor.empty());
      const std::size_t expected = std::string(kind) == "users" ? 30 : 20;
      EXPECT_EQ(seen.size(), expected) << kind << " " << param;
      EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), expected) << "a row came twice";
      EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    }
  }
  expect_error(cli.Get("/api/users?cursor=***"), 400, "cursor");
  expect_error(cli.Get("/api/users?n=abc"), 400, "n");
  expect_error(cli.Get("/api/users?n=0"), 400, "n");
  expect_error(cli.Get("/api/users?limit=3"), 400, "limit");
}

TEST(Gorse, ItemsRoundTripPatchCategoriesAndSearch) {
  Running srv("gorse_items");
  auto cli = srv.client();
  const json item = {{"ItemId", "g-item"},      {"IsHidden", false},
                     {"Categories", {"a", "b"}}, {"Timestamp", "2022-02-24"},
                     {"Labels", {"red", "big"}}, {"Comment", "A red balloon"}};
  EXPECT_EQ(body_of(post(cli, "/api/item", item)), json({{"RowAffected", 1}}));
  json expected = item;
  expected["Timestamp"] = "2022-02-24T00:00:00Z";
  const json got = get_ok(cli, "/api/item/g-item");
  EXPECT_EQ(keys_of(got), (std::set<std::string>{"ItemId", "IsHidden", "Categories", "Timestamp", "Labels", "Comment"}));
  EXPECT_EQ(got, expected);
  // An item without a time prints Gorse's zero time.
  post(cli, "/api/items", json::array({{{"ItemId", "g-untimed"}, {"IsHidden", true}}}));
  EXPECT_EQ(get_ok(cli, "/api/item/g-untimed")["Timestamp"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(get_ok(cli, "/api/item/g-untimed")["IsHidden"], true);

  // PATCH as PyGorse sends it: every key, nulls for the unchanged ones.
  const json patch = {{"Categories", nullptr}, {"Comment", "A blue balloon"}, {"IsHidden", nullptr},
                      {"Labels", nullptr}, {"Timestamp", nullptr}};
  EXPECT_EQ(cli.Patch("/api/item/g-item", patch.dump(), kJson)->status, 200);
  expected["Comment"] = "A blue balloon";
  EXPECT_EQ(get_ok(cli, "/api/item/g-item"), expected);
  EXPECT_EQ(cli.Patch("/api/item/g-item", R"({"Timestamp":"2023-01-02T03:04:05Z","IsHidden":true})", kJson)->status, 200);
  EXPECT_EQ(get_ok(cli, "/api/item/g-item")["Timestamp"], "2023-01-02T03:04:05Z");
  EXPECT_EQ(get_ok(cli, "/api/item/g-item")["IsHidden"], true);
  // PATCH's Timestamp is strict RFC 3339, unlike POST's.
  expect_error(cli.Patch("/api/item/g-item", R"({"Timestamp":"2023-01-02"})", kJson), 400, "Timestamp");
  EXPECT_EQ(get_ok(cli, "/api/item/g-item")["Timestamp"], "2023-01-02T03:04:05Z");

  // Categories.
  EXPECT_EQ(body_of(cli.Put("/api/item/g-item/category/c")), json({{"RowAffected", 1}}));
  EXPECT_EQ(get_ok(cli, "/api/item/g-item")["Categories"], json({"a", "b", "c"}));
  EXPECT_EQ(body_of(cli.Delete("/api/item/g-item/category/a/")), json({{"RowAffected", 1}}));
  EXPECT_EQ(get_ok(cli, "/api/item/g-item")["Categories"], json({"b", "c"}));
  expect_error(cli.Put("/api/item/missing/category/c"), 404, "missing");

  // Search over Comment.
  const json found = get_ok(cli, "/api/items?q=blue%20kite&n=5");
  ASSERT_EQ(found["Items"].size(), 1u);
  EXPECT_EQ(found["Items"][0]["ItemId"], "g-item");
  EXPECT_EQ(found["Cursor"], "");

  // POST is an upsert of the Gorse fields; the native title survives it.
  ASSERT_EQ(cli.Put("/v1/items/g-item", R"({"title":"Balloon","price":3})", kJson)->status, 200);
  post(cli, "/api/item", item);
  EXPECT_EQ(body_of(cli.Get("/v1/items/g-item"))["title"], "Balloon");
  EXPECT_EQ(get_ok(cli, "/api/item/g-item")["Comment"], "A red balloon");

  EXPECT_EQ(body_of(cli.Delete("/api/item/g-item")), json({{"RowAffected", 1}}));
  expect_error(cli.Get("/api/item/g-item"), 404, "g-item");
}

TEST(Gorse, BadInputIsRejectedNamingTheFieldAndChangesNothing) {
  Running srv("gorse_bad");
  auto cli = srv.client();
  expect_error(cli.Post("/api/user", "{not json", kJson), 400, "body");
  expect_error(post(cli, "/api/user", {{"UserId", 7}}), 400, "UserId");
  expect_error(post(cli, "/api/user", {{"Comment", "no id"}}), 400, "UserId");
  expect_error(post(cli, "/api/user", {{"UserId", "b1"}, {"Labels", true}}), 400, "Labels");
  expect_error(post(cli, "/api/user", {{"UserId", "b1"}, {"Labels", {1, "a"}}}), 400, "Labels[1]");
  expect_error(post(cli, "/api/user", {{"UserId", "b1"}, {"Labels", {{"x", {{"y", false}}}}}}), 400, "Labels.x.y");
  expect_error(post(cli, "/api/user", {{"UserId", "b1"}, {"Nickname", "b"}}), 400, "Nickname");
  expect_error(post(cli, "/api/user", json::array()), 400, "body");
  // A bad element rejects the whole batch.
  expect_error(post(cli, "/api/users", json::array({{{"UserId", "b1"}}, {{"UserId", ""}}})), 400, "users[1].UserId");
  expect_error(cli.Get("/api/user/b1"), 404, "b1");
  expect_error(post(cli, "/api/items", json::array({{{"ItemId", "b2"}}, {{"ItemId", "b3"}, {"Timestamp", 1700000000}}})),
               400, "items[1].Timestamp");
  expect_error(post(cli, "/api/item", {{"ItemId", "b2"}, {"IsHidden", "yes"}}), 400, "IsHidden");
  expect_error(post(cli, "/api/item", {{"ItemId", "b2"}, {"Categories", "a"}}), 400, "Categories");
  expect_error(post(cli, "/api/item", {{"ItemId", "b2"}, {"Timestamp", "yesterday"}}), 400, "Timestamp");
  expect_error(cli.Get("/api/item/b2"), 404, "b2");
  // Feedback: required fields, types, and all or nothing.
  const json good = {{"FeedbackType", "like"}, {"UserId", "b-user"}, {"ItemId", "i1"}, {"Timestamp", "2022-01-01"}};
  for (const auto& [field, value] : std::vector<std::pair<std::string, json>>{
           {"FeedbackType", nullptr}, {"ItemId", nullptr}, {"UserId", 3}, {"Value", "1"}, {"Timestamp", 5}}) {
    json broken = good;
    if (value.is_null()) {
      broken.erase(field);
    } else {
      broken[field] = value;
    }
    expect_error(post(cli, "/api/feedback", json::array({good, broken})), 400, "feedback[1]." + field);
  }
  expect_error(post(cli, "/api/feedback", good), 400, "body");
  expect_error(post(cli, "/api/feedback", json::array()), 400, "body");
  EXPECT_EQ(get_ok(cli, "/api/user/b-user/feedback"), json::array());
  expect_error(cli.Get("/api/user/b-user"), 404, "b-user");
  // Query parameters and headers.
  expect_error(cli.Get("/api/recommend/u0?n=ten"), 400, "n");
  expect_error(cli.Get("/api/recommend/u0?offset=-1"), 400, "offset");
  expect_error(cli.Get("/api/recommend/u0", {{"X-API-Version", "3"}}), 400, "X-API-Version");
  expect_error(cli.Get("/api/recommend/u0?write-back-type=read&write-back-delay=10x"), 400, "write-back-delay");
  expect_error(cli.Get("/api/user/u0/feedback/click%3E"), 400, "feedback-type");
  expect_error(cli.Get("/api/nothing-here"), 404, "/api/nothing-here");
  expect_error(cli.Post("/api/user/u0", "{}", kJson), 405, "POST");
}

TEST(Gorse, FeedbackAccumulatesOverwritesAndDeletes) {
  Running srv("gorse_feedback");
  auto cli = srv.client();
  const json first = json::array({{{"FeedbackType", "star"}, {"UserId", "f1"}, {"ItemId", "i3"}, {"Value", 1},
                                   {"Timestamp", "2022-01-01T00:00:00Z"}, {"Comment", "nice"}},
                                  {{"FeedbackType", "like"}, {"UserId", "f1"}, {"ItemId", "i3"},
                                   {"Timestamp", "2022-01-02T00:00:00Z"}, {"Labels", {"x"}}}});
  EXPECT_EQ(body_of(post(cli, "/api/feedback", first)), json({{"RowAffected", 2}}));
  json star = get_ok(cli, "/api/feedback/star/f1/i3");
  EXPECT_EQ(keys_of(star), (std::set<std::string>{"FeedbackType", "UserId", "ItemId", "Value", "Timestamp", "Updated",
                                                  "Labels", "Comment"}));
  EXPECT_EQ(star["Value"], 1.0);
  EXPECT_EQ(star["Comment"], "nice");
  EXPECT_EQ(get_ok(cli, "/api/feedback/like/f1/i3")["Labels"], json({"x"}));
  EXPECT_EQ(get_ok(cli, "/api/feedback/like/f1/i3")["Value"], 0.0);  // Gorse's default value
  // POST accumulates: values add up, the earliest time stays, Updated is the latest.
  post(cli, "/api/feedback", json::array({{{"FeedbackType", "star"}, {"UserId", "f1"}, {"ItemId", "i3"},
                                           {"Value", 2}, {"Timestamp", "2022-03-01T00:00:00Z"}}}));
  star = get_ok(cli, "/api/feedback/star/f1/i3");
  EXPECT_EQ(star["Value"], 3.0);
  EXPECT_EQ(star["Timestamp"], "2022-01-01T00:00:00Z");
  EXPECT_EQ(star["Updated"], "2022-03-01T00:00:00Z");
  EXPECT_EQ(star["Comment"], "");  // the newest feedback's comment replaces the older one
  // PUT overwrites the key.
  EXPECT_EQ(body_of(cli.Put("/api/feedback", json::array({{{"FeedbackType", "star"}, {"UserId", "f1"}, {"ItemId", "i3"},
                                                            {"Value", 5}, {"Timestamp", "2022-04-01"}}}).dump(), kJson)),
            json({{"RowAffected", 1}}));
  star = get_ok(cli, "/api/feedback/star/f1/i3");
  EXPECT_EQ(star["Value"], 5.0);
  EXPECT_EQ(star["Timestamp"], "2022-04-01T00:00:00Z");

  // Reads: by pair, by user (type expressions), by item.
  EXPECT_EQ(get_ok(cli, "/api/feedback/f1/i3").size(), 2u);
  EXPECT_EQ(get_ok(cli, "/api/user/f1/feedback").size(), 2u);
  EXPECT_EQ(get_ok(cli, "/api/user/f1/feedback/star").size(), 1u);
  EXPECT_EQ(get_ok(cli, "/api/user/f1/feedback/star%3E%3D5").size(), 1u);
  EXPECT_EQ(get_ok(cli, "/api/user/f1/feedback/star%3C5").size(), 0u);
  const json on_item = get_ok(cli, "/api/item/i3/feedback/star");
  ASSERT_EQ(on_item.size(), 1u);
  EXPECT_EQ(on_item[0]["UserId"], "f1");
  // Feedback in the future is hidden from the user's list, as in Gorse, but kept.
  post(cli, "/api/feedback", json::array({{{"FeedbackType", "read"}, {"UserId", "f1"}, {"ItemId", "i4"},
                                           {"Timestamp", "2999-01-01T00:00:00Z"}}}));
  EXPECT_EQ(get_ok(cli, "/api/user/f1/feedback/read").size(), 0u);
  EXPECT_EQ(get_ok(cli, "/api/item/i4/feedback/read").size(), 1u);

  // Deletes.
  EXPECT_EQ(body_of(cli.Delete("/api/feedback/like/f1/i3")), json({{"RowAffected", 1}}));
  auto none = cli.Get("/api/feedback/like/f1/i3");
  EXPECT_EQ(none->status, 200);
  EXPECT_EQ(none->body, "{}");
  EXPECT_EQ(body_of(cli.Delete("/api/feedback/like/f1/i3")), json({{"RowAffected", 0}}));
  post(cli, "/api/feedback", first);
  EXPECT_EQ(body_of(cli.Delete("/api/feedback/f1/i3")), json({{"RowAffected", 2}}));
  EXPECT_EQ(get_ok(cli, "/api/feedback/f1/i3"), json::array());
}

TEST(Gorse, FeedbackPagesCoverEveryKeyOnce) {
  Running srv("gorse_feedback_pages");
  auto cli = srv.client();
  // Two events of one key must stay one feedback across page boundaries.
  post(cli, "/api/feedback", json::array({{{"FeedbackType", "click"}, {"UserId", "u0"}, {"ItemId", "i0"},
                                           {"Value", 1}, {"Timestamp", "2020-01-01"}}}));
  for (const char* type : {"", "/click"}) {
    for (const char* param : {"cursor", "Cursor"}) {
      std::set<std::string> keys;
      std::size_t rows = 0;
      std::string cursor;
      int pages = 0;
      do {
        const json page = get_ok(cli, "/api/feedback" + std::string(type) + "?n=13&" + param + "=" +
                                          httplib::detail::encode_query_param(cursor));
        EXPECT_EQ(page["Feedback"], page["Feedbacks"]);
        EXPECT_LE(page["Feedback"].size(), 13u);
        for (const auto& fb : page["Feedback"]) {
          keys.insert(fb["FeedbackType"].get<std::string>() + "|" + fb["UserId"].get<std::string>() + "|" +
                      fb["ItemId"].get<std::string>());
          ++rows;
          if (fb["UserId"] == "u0" && fb["ItemId"] == "i0") {
            EXPECT_EQ(fb["Timestamp"], "2020-01-01T00:00:00Z");
          }
        }
        cursor = page["Cursor"];
        ASSERT_LT(++pages, 30);
      } while (!cursor.empty());
      EXPECT_EQ(rows, 120u) << type << " " << param;  // 30 users x 4 items
      EXPECT_EQ(keys.size(), 120u);
    }
  }
  EXPECT_EQ(get_ok(cli, "/api/feedback/purchase")["Feedback"], json::array());
  expect_error(cli.Get("/api/feedback?cursor=bm90IGEgY3Vyc29y"), 400, "cursor");  // base64 of "not a cursor"
}

TEST(Gorse, RecommendAnswersIdsOrScoresWithFiltersAndWriteBack) {
  Running srv("gorse_recommend");
  auto cli = srv.client();
  const json ids = get_ok(cli, "/api/recommend/u0");
  ASSERT_FALSE(ids.empty());
  EXPECT_LE(ids.size(), 10u);
  for (const auto& id : ids) ASSERT_TRUE(id.is_string());
  for (const char* seen : {"i0", "i1", "i2", "i5"}) EXPECT_FALSE(ids_of(ids).count(seen)) << seen;
  // X-API-Version: 2 (PyGorse, gorsejs 0.5): the same list with scores, best first; trailing slash.
  const json scored = get_ok(cli, "/api/recommend/u0/", {{"X-API-Version", "2"}});
  ASSERT_EQ(scored.size(), ids.size());
  for (std::size_t pos = 0; pos < scored.size(); ++pos) {
    EXPECT_EQ(keys_of(scored[pos]), (std::set<std::string>{"Id", "Score"}));
    EXPECT_EQ(scored[pos]["Id"], ids[pos]);
    if (pos > 0) {
      EXPECT_GE(scored[pos - 1]["Score"].get<double>(), scored[pos]["Score"].get<double>());
    }
  }
  // Paging: offset continues where n stopped.
  const json six = get_ok(cli, "/api/recommend/u0?n=6");
  json joined = get_ok(cli, "/api/recommend/u0?n=3");
  for (const auto& id : get_ok(cli, "/api/recommend/u0?n=3&offset=3")) joined.push_back(id);
  EXPECT_EQ(joined, six);
  // Categories: from the path (deprecated) or repeated, all required.
  const json in_c1 = get_ok(cli, "/api/recommend/u0/c1");
  ASSERT_FALSE(in_c1.empty());
  for (const auto& id : in_c1) EXPECT_EQ(body_of(cli.Get("/v1/items/" + id.get<std::string>()))["categories"], json({"c1"}));
  EXPECT_EQ(get_ok(cli, "/api/recommend/u0?category=c1&category=c2"), json::array());
  // Hiding an item counts before the next training.
  const std::string top = ids[0];
  ASSERT_EQ(cli.Patch("/api/item/" + top, R"({"IsHidden":true})", kJson)->status, 200);
  EXPECT_FALSE(ids_of(get_ok(cli, "/api/recommend/u0")).count(top));
  // Write-back: the answered items become feedback of u0 (in the future with a delay) and are not answered again.
  const json written = get_ok(cli, "/api/recommend/u0?n=2&write-back-type=read&write-back-delay=1h");
  ASSERT_EQ(written.size(), 2u);
  for (const auto& id : written) {
    const json fb = get_ok(cli, "/api/feedback/read/u0/" + id.get<std::string>());
    EXPECT_EQ(fb["FeedbackType"], "read");
  }
  EXPECT_EQ(get_ok(cli, "/api/user/u0/feedback/read"), json::array());  // an hour ahead: hidden
  const auto after = ids_of(get_ok(cli, "/api/recommend/u0"));
  for (const auto& id : written) EXPECT_FALSE(after.count(id)) << id;
  // Collaborative filtering: scores always.
  const json cf = get_ok(cli, "/api/collaborative-filtering/u3?n=4");
  ASSERT_EQ(cf.size(), 4u);
  EXPECT_TRUE(cf[0].contains("Score"));
  EXPECT_EQ(get_ok(cli, "/api/intermediate/recommend/u3?n=4"), cf);
  // An unknown user gets popular items rather than an error.
  EXPECT_FALSE(get_ok(cli, "/api/recommend/stranger").empty());
}

TEST(Gorse, SessionRecommendScoresTheSessionAndLeavesItOut) {
  Running srv("gorse_session");
  auto cli = srv.client();
  const json session = json::array({{{"FeedbackType", "click"}, {"UserId", ""}, {"ItemId", "i3"}, {"Timestamp", ""}},
                                    {{"FeedbackType", "click"}, {"UserId", "anon"}, {"ItemId", "i4"},
                                     {"Timestamp", "2024-01-01"}}});
  auto res = post(cli, "/api/session/recommend?n=5", session);
  const json answer = body_of(res);
  ASSERT_TRUE(answer.is_array());
  ASSERT_FALSE(answer.empty());
  EXPECT_LE(answer.size(), 5u);
  for (const auto& score : answer) EXPECT_EQ(keys_of(score), (std::set<std::string>{"Id", "Score"}));
  EXPECT_FALSE(ids_of(answer).count("i3"));
  EXPECT_FALSE(ids_of(answer).count("i4"));
  // Items that co-occur with i3 and i4 in the fixture (users 1..4 clicked them with i5..i9).
  EXPECT_TRUE(ids_of(answer).count("i5") || ids_of(answer).count("i6") || ids_of(answer).count("i2"));
  // A session is not stored.
  expect_error(cli.Get("/api/user/anon"), 404, "anon");
  for (const auto& score : body_of(post(cli, "/api/session/recommend/c2", session)))
    EXPECT_EQ(body_of(cli.Get("/v1/items/" + score["Id"].get<std::string>()))["categories"], json({"c2"}));
  EXPECT_EQ(body_of(post(cli, "/api/session/recommend", json::array())), json::array());
  expect_error(post(cli, "/api/session/recommend", json::array({{{"UserId", "x"}}})), 400, "feedback[0].FeedbackType");
}

TEST(Gorse, LatestPopularAndNeighbors) {
  Running srv("gorse_lists");
  auto cli = srv.client();
  post(cli, "/api/items", json::array({{{"ItemId", "new-a"}, {"Categories", {"c0"}}, {"Timestamp", "2030-01-01"}},
                                       {{"ItemId", "new-b"}, {"Categories", {"c1"}}, {"Timestamp", "2030-02-01"}},
                                       {{"ItemId", "new-c"}, {"Timestamp", "2030-03-01"}, {"IsHidden", true}}}));
  const json latest = get_ok(cli, "/api/latest/?n=2");
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[0]["Id"], "new-b");  // new-c is hidden
  EXPECT_EQ(latest[0]["Score"], 1896134400.0);
  EXPECT_EQ(latest[1]["Id"], "new-a");
  EXPECT_EQ(get_ok(cli, "/api/latest/c0?n=1")[0]["Id"], "new-a");
  EXPECT_EQ(get_ok(cli, "/api/latest?category=c0&n=1"), get_ok(cli, "/api/latest/c0?n=1"));
  EXPECT_EQ(get_ok(cli, "/api/non-personalized/latest?n=2"), latest);

  const json popular = get_ok(cli, "/api/popular/?n=5");
  ASSERT_EQ(popular.size(), 5u);
  for (std::size_t pos = 1; pos < popular.size(); ++pos)
    EXPECT_GE(popular[pos - 1]["Score"].get<double>(), popular[pos]["Score"].get<double>());
  EXPECT_EQ(popular[0]["Score"], 8.0);  // the most clicked items have 8 of the 30 users
  EXPECT_EQ(get_ok(cli, "/api/non-personalized/popular?n=5"), popular);
  EXPECT_EQ(get_ok(cli, "/api/non-personalized/no-such-board"), json::array());
  // user-id removes what that user already has.
  EXPECT_FALSE(ids_of(get_ok(cli, "/api/popular?n=20&user-id=u0")).count("i0"));
  EXPECT_EQ(get_ok(cli, "/api/popular?n=20&user-id=u0").size(), 16u);

  const json neighbors = get_ok(cli, "/api/item/i0/neighbors/?n=3");
  ASSERT_EQ(neighbors.size(), 3u);
  EXPECT_FALSE(ids_of(neighbors).count("i0"));
  EXPECT_EQ(get_ok(cli, "/api/item-to-item/neighbors/i0?n=3"), neighbors);
  expect_error(cli.Get("/api/item-to-item/nope/i0"), 404, "nope");
  EXPECT_EQ(get_ok(cli, "/api/item/new-a/neighbors"), json::array());  // unseen by the model
  for (const auto& score : get_ok(cli, "/api/item/i0/neighbors/c1"))
    EXPECT_EQ(body_of(cli.Get("/v1/items/" + score["Id"].get<std::string>()))["categories"], json({"c1"}));

  // u0 clicked i0 i1 i2 i5; u1 clicked i1 i2 i3 i6: they share two items, u0 and u10 none.
  const json users = get_ok(cli, "/api/user/u0/neighbors?n=30");
  ASSERT_FALSE(users.empty());
  EXPECT_FALSE(ids_of(users).count("u0"));
  EXPECT_TRUE(ids_of(users).count("u1"));
  EXPECT_FALSE(ids_of(users).count("u10"));
  for (std::size_t pos = 1; pos < users.size(); ++pos)
    EXPECT_GE(users[pos - 1]["Score"].get<double>(), users[pos]["Score"].get<double>());
  EXPECT_EQ(get_ok(cli, "/api/user-to-user/neighbors/u0?n=30"), users);
  expect_error(cli.Get("/api/user-to-user/nope/u0"), 404, "nope");
}

// Before the first model (an empty store: nothing to train on) the list
// routes answer [] as Gorse does before its first training; /v1 says 503
// with what to do; an unknown recommender name is still 404.
TEST(Gorse, ListsAreEmptyBeforeTheFirstModel) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("tailor_gorse_no_model_" + std::to_string(::getpid()) + ".db")).string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  ServerOptions options;
  options.port = 0;
  Server server(store::open_store(path), options);
  const int port = server.bind();
  std::thread thread([&] { server.run(); });
  server.wait_for_training();
  httplib::Client cli("127.0.0.1", port);
  for (const char* route : {"/api/recommend/u1", "/api/recommend/u1/c0?n=3", "/api/collaborative-filtering/u1",
                            "/api/popular", "/api/popular/c0", "/api/non-personalized/popular", "/api/item/i1/neighbors",
                            "/api/user/u1/neighbors", "/api/item-to-item/neighbors/i1",
                            "/api/user-to-user/default/u1"})
    EXPECT_EQ(get_ok(cli, route), json::array()) << route;
  const json session = json::array({{{"FeedbackType", "click"}, {"UserId", "u1"}, {"ItemId", "i1"}}});
  auto res = post(cli, "/api/session/recommend", session);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body), json::array());
  expect_error(cli.Get("/api/item-to-item/bogus/i1"), 404, "bogus");
  expect_error(cli.Get("/api/recommend/u1?n=-1"), 400, "n");  // still validated
  auto v1 = cli.Get("/v1/users/u1/recommendations");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->status, 503);
  server.stop();
  thread.join();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TEST(Gorse, KeysAndRolesApplyToTheApiRoutes) {
  Running srv("gorse_auth", {"adm-key-1:admin", "cli-key-1:client"});
  auto cli = srv.client();
  const httplib::Headers admin = {{"X-API-Key", "adm-key-1"}}, client = {{"X-API-Key", "cli-key-1"}};
  expect_error(cli.Get("/api/user/u0"), 401, "X-API-Key");
  expect_error(cli.Get("/api/user/u0", {{"X-API-Key", "wrong"}}), 401, "unknown API key");
  EXPECT_EQ(cli.Get("/api/user/u0", client)->status, 200);
  EXPECT_EQ(cli.Get("/api/recommend/u0", client)->status, 200);
  const json feedback = json::array({{{"FeedbackType", "like"}, {"UserId", "u0"}, {"ItemId", "i9"}}});
  EXPECT_EQ(post(cli, "/api/feedback", feedback, client)->status, 200);
  expect_error(post(cli, "/api/user", {{"UserId", "x"}}, client), 403, "admin");
  expect_error(cli.Delete("/api/feedback/u0/i9", client), 403, "admin");
  EXPECT_EQ(post(cli, "/api/user", {{"UserId", "x"}}, admin)->status, 200);
  EXPECT_EQ(cli.Delete("/api/feedback/u0/i9", admin)->status, 200);
  // The Gorse routes are counted per route pattern.
  const std::string metrics = cli.Get("/metrics", admin)->body;
  EXPECT_NE(metrics.find("route=\"/api/recommend/{user-id}\""), std::string::npos);
}

}  // namespace
}  // namespace tailor::server
