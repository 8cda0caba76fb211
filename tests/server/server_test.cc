// End-to-end tests of the /v1 API: an in-process Server on port 0 over a temp
// SQLite store with a small dataset, driven through real HTTP.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "running.h"
#include "tailor/server/server.h"

namespace tailor::server {
namespace {

using nlohmann::json;
using test_support::body_of;
using test_support::Running;

std::vector<std::string> rec_ids(httplib::Client& cli, const std::string& user, int n = 10) {
  auto res = cli.Get("/v1/users/" + user + "/recommendations?n=" + std::to_string(n));
  EXPECT_TRUE(res && res->status == 200) << (res ? res->body : "no response");
  std::vector<std::string> ids;
  if (!res || res->status != 200) return ids;
  const json doc = json::parse(res->body);  // bound: a temporary's member would dangle in the loop
  for (const auto& it : doc["items"]) ids.push_back(it["item"]);
  return ids;
}

TEST(Server, HealthReadyAndModel) {
  Running srv("health");
  auto cli = srv.client();
  auto health = cli.Get("/v1/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(body_of(health)["status"], "ok");
  EXPECT_EQ(cli.Get("/v1/ready")->status, 200);
  auto model = body_of(cli.Get("/v1/models/current"));
  EXPECT_EQ(model["name"], "itemknn");
  EXPECT_EQ(model["items"], 20);
  EXPECT_EQ(model["users"], 30);
}

TEST(Server, UserAndItemCrudWithChineseIds) {
  Running srv("crud");
  auto cli = srv.client();
  const std::string user_path = "/v1/users/用户甲";
  auto put = cli.Put(user_path, R"({"attributes": {"城市": "北京", "age": 31}, "labels": ["新客"]})",
                     "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 201) << put->body;
  auto got = body_of(cli.Get(user_path));
  EXPECT_EQ(got["id"], "用户甲");
  EXPECT_EQ(got["attributes"]["城市"], "北京");
  EXPECT_EQ(got["labels"][0], "新客");
  EXPECT_EQ(cli.Put(user_path, R"({"comment": "回头客"})", "application/json")->status, 200);
  EXPECT_EQ(body_of(cli.Get(user_path))["comment"], "回头客");
  EXPECT_EQ(cli.Delete(user_path)->status, 200);
  auto missing = cli.Get(user_path);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(body_of(missing)["error"]["code"], "not_found");
  EXPECT_EQ(cli.Delete(user_path)->status, 404);

  const std::string item_path = "/v1/items/商品一";
  auto put_item = cli.Put(item_path, R"({"title": "红茶  礼盒", "categories": ["茶"], "price": 88.5})",
                          "application/json");
  EXPECT_EQ(put_item->status, 201) << put_item->body;
  auto item = body_of(cli.Get(item_path));
  EXPECT_EQ(item["title"], "红茶 礼盒");  // normalised like the importer does
  EXPECT_EQ(item["price"], 88.5);
  auto page = body_of(cli.Get("/v1/items?limit=5"));
  EXPECT_EQ(page["items"].size(), 5u);
  auto next = body_of(cli.Get("/v1/items?limit=100&cursor=" + page["cursor"].get<std::string>()));
  EXPECT_EQ(next["items"].size(), 21u - 5u);
  EXPECT_EQ(cli.Delete(item_path)->status, 200);
  EXPECT_EQ(cli.Get(item_path)->status, 404);
}

TEST(Server, PercentEncodedSlashInIds) {
  Running srv("slash");
  auto cli = srv.client();
  EXPECT_EQ(cli.Put("/v1/items/a%2Fb", R"({"title": "slashed"})", "application/json")->status, 201);
  auto item = body_of(cli.Get("/v1/items/a%2Fb"));
  EXPECT_EQ(item["id"], "a/b");
  EXPECT_EQ(cli.Get("/v1/items/a/b")->status, 404);  // an unencoded slash is another path
  auto post = cli.Post("/v1/events", R"({"user": "x/y", "item": "i3", "type": "click"})", "application/json");
  EXPECT_EQ(post->status, 200) << post->body;
  auto ids = rec_ids(cli, "x%2Fy");
  EXPECT_FALSE(ids.empty());
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "i3"), 0);
}

TEST(Server, BatchWithOneBadElementWritesNothing) {
  Running srv("batch");
  auto cli = srv.client();
  auto before = body_of(cli.Get("/v1/users/u1/recommendations?n=20&explain=true"));
  const std::string batch = R"([
    {"user": "u1", "item": "i10", "type": "click", "timestamp": "2024-01-02T03:04:05+08:00"},
    {"user": "u1", "item": "i11", "type": "click", "timestamp": "not a time"},
    {"user": "u1", "item": "i12", "type": "click"}])";
  auto res = cli.Post("/v1/events", batch, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  const std::string message = body_of(res)["error"]["message"];
  EXPECT_NE(message.find("events[1].timestamp"), std::string::npos) << message;
  auto after = body_of(cli.Get("/v1/users/u1/recommendations?n=20&explain=true"));
  EXPECT_EQ(after["explain"]["history_length"], before["explain"]["history_length"]);

  for (const auto& [bad, field] : std::vector<std::pair<std::string, std::string>>{
           {R"([{"user": "u1", "item": "i1", "type": "teleport"}])", "events[0].type"},
           {R"([{"user": "u1", "item": "i1", "type": "click"}, {"user": "", "item": "i1", "type": "click"}])",
            "events[1].user"},
           {R"({"user": "u1", "item": "i1", "type": "rating", "value": "5"})", "value"},
           {R"({"user": "u1", "type": "click"})", "item"},
           {R"({"user": "u1", "item": "i1", "type": "click", "colour": "red"})", "colour"}}) {
    auto r = cli.Post("/v1/events", bad, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_NE(body_of(r)["error"]["message"].get<std::string>().find(field), std::string::npos) << r->body;
  }
  auto ok = cli.Post("/v1/events", R"([{"user": "u1", "item": "i10", "type": "click", "timestamp": 1700000000},
                                        {"user": "u1", "item": "i10", "type": "click", "timestamp": 1700000000}])",
                     "application/json");
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(body_of(ok)["written"], 1);
  EXPECT_EQ(body_of(ok)["duplicates"], 1);
}

TEST(Server, BadInputNeverCrashes) {
  Running srv("bad");
  auto cli = srv.client();
  struct Case {
    std::string method, path, body;
    int status;
  };
  const std::vector<Case> cases = {
      {"PUT", "/v1/users/u1", "{not json", 400},
      {"PUT", "/v1/users/u1", "[1, 2]", 400},
      {"PUT", "/v1/users/u1", R"({"labels": 5})", 400},
      {"PUT", "/v1/users/u1", R"({"attributes": "x"})", 400},
      {"PUT", "/v1/items/i1", R"({"price": "cheap"})", 400},
      {"PUT", "/v1/items/i1", R"({"hidden": 1})", 400},
      {"PUT", "/v1/items/i1", R"({"id": "other"})", 400},
      {"POST", "/v1/events", "", 400},
      {"POST", "/v1/events", "[]", 400},
      {"POST", "/v1/events", "null", 400},
      {"GET", "/v1/users/u1/recommendations?n=abc", "", 400},
      {"GET", "/v1/users/u1/recommendations?n=0", "", 400},
      {"GET", "/v1/users/u1/recommendations?diversity=2", "", 400},
      {"GET", "/v1/users/u1/recommendations?bogus=1", "", 400},
      {"GET", "/v1/items?limit=-1", "", 400},
      {"GET", "/v1/items/%ZZ", "", 400},
      {"GET", "/v1/nope", "", 404},
      {"GET", "/", "", 404},
      {"DELETE", "/v1/events", "", 405},
      {"GET", "/v1/items/nothere/similar", "", 404},
  };
  for (const auto& c : cases) {
    httplib::Result res = c.method == "GET"      ? cli.Get(c.path)
                          : c.method == "PUT"    ? cli.Put(c.path, c.body, "application/json")
                          : c.method == "POST"   ? cli.Post(c.path, c.body, "application/json")
                                                 : cli.Delete(c.path);
    ASSERT_TRUE(res) << c.method << " " << c.path;
    EXPECT_EQ(res->status, c.status) << c.method << " " << c.path << " " << res->body;
    auto doc = json::parse(res->body);
    EXPECT_TRUE(doc["error"]["code"].is_string()) << res->body;
    EXPECT_TRUE(doc["error"]["message"].is_string()) << res->body;
  }
  // Over the 1 MiB limit of this server.
  auto big = cli.Post("/v1/events", std::string(2 << 20, ' '), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(body_of(big)["error"]["code"], "payload_too_large");
  // Nothing above changed u1 and the server still answers.
  EXPECT_EQ(srv.client().Get("/v1/health")->status, 200);
  EXPECT_EQ(body_of(srv.client().Get("/v1/users/u1"))["labels"].size(), 0u);
}

TEST(Server, AuthByRole) {
  Running srv("auth", {"admin-key-123:admin", "client-key-456:client"});
  auto cli = srv.client();
  EXPECT_EQ(cli.Get("/v1/health")->status, 200);  // open
  auto none = cli.Get("/v1/items/i1");
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(body_of(none)["error"]["code"], "unauthenticated");
  EXPECT_EQ(cli.Get("/v1/items/i1", {{"Authorization", "Bearer wrong-key-000"}})->status, 401);
  const httplib::Headers client = {{"Authorization", "Bearer client-key-456"}};
  const httplib::Headers admin = {{"X-API-Key", "admin-key-123"}};
  EXPECT_EQ(cli.Get("/v1/items/i1", client)->status, 200);
  EXPECT_EQ(cli.Get("/v1/users/u1/recommendations", client)->status, 200);
  EXPECT_EQ(cli.Post("/v1/events", client, R"({"user": "u1", "item": "i9", "type": "view"})", "application/json")
                ->status,
            200);
  auto denied = cli.Put("/v1/items/new1", client, R"({"title": "x"})", "application/json");
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(body_of(denied)["error"]["code"], "permission_denied");
  EXPECT_EQ(cli.Get("/v1/items/new1", admin)->status, 404);  // the refused write changed nothing
  EXPECT_EQ(cli.Delete("/v1/users/u1", client)->status, 403);
  EXPECT_EQ(cli.Post("/v1/models/train", client, "", "application/json")->status, 403);
  EXPECT_EQ(cli.Put("/v1/items/new1", admin, R"({"title": "x"})", "application/json")->status, 201);
}

TEST(Server, NewFeedbackIsExcludedAtOnce) {
  Running srv("fresh");
  auto cli = srv.client();
  auto first = rec_ids(cli, "u0");
  ASSERT_FALSE(first.empty());
  const std::string target = first.front();
  auto post = cli.Post("/v1/events", json({{"user", "u0"}, {"item", target}, {"type", "purchase"}}).dump(),
                       "application/json");
  ASSERT_EQ(post->status, 200) << post->body;
  auto second = rec_ids(cli, "u0");
  EXPECT_EQ(std::count(second.begin(), second.end(), target), 0) << target;

  // A user the model has never seen is scored on the history just written.
  ASSERT_EQ(cli.Post("/v1/events", R"([{"user": "newbie", "item": "i4", "type": "click"},
                                        {"user": "newbie", "item": "i5", "type": "click"}])",
                     "application/json")
                ->status,
            200);
  auto fresh = body_of(cli.Get("/v1/users/newbie/recommendations?explain=1"));
  EXPECT_EQ(fresh["explain"]["source"], "model (history from store)");
  EXPECT_EQ(fresh["explain"]["history_length"], 2);
  for (const auto& it : fresh["items"]) {
    EXPECT_NE(it["item"], "i4");
    EXPECT_NE(it["item"], "i5");
  }
  // exclude= and category= filters.
  auto filtered = body_of(cli.Get("/v1/users/u0/recommendations?n=20&category=c1&exclude=i1,i4"));
  for (const auto& it : filtered["items"]) {
    EXPECT_EQ(it["categories"][0], "c1");
    EXPECT_NE(it["item"], "i1");
    EXPECT_NE(it["item"], "i4");
  }
}

TEST(Server, TrainSwapsWhileRequestsKeepSucceeding) {
  Running srv("swap");
  auto before = srv.server().model();
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int thread_idx = 0; thread_idx < 3; ++thread_idx)
    clients.emplace_back([&, thread_idx] {
      auto cli = srv.client();
      while (!done) {
        auto res = cli.Get("/v1/users/u" + std::to_string(thread_idx) + "/recommendations?n=5");
        (res && res->status == 200 ? ok : failed)++;
      }
    });
  auto cli = srv.client();
  auto train = cli.Post("/v1/models/train", R"({"model": "popular"})", "application/json");
  ASSERT_EQ(train->status, 202) << train->body;
  srv.server().wait_for_training();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  done = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(ok, 0);
  EXPECT_NE(srv.server().model(), before);
  auto model = body_of(cli.Get("/v1/models/current"));
  EXPECT_EQ(model["name"], "popular");
  EXPECT_EQ(model["source"], "trained");
  EXPECT_EQ(model["last_training"]["status"], "ok");
  EXPECT_EQ(cli.Post("/v1/models/train", R"({"model": "nosuchmodel"})", "application/json")->status, 400);
}

TEST(Server, GracefulStopFinishesInFlight) {
  Running srv("stop");
  std::atomic<bool> done{false};
  std::atomic<int> server_errors{0}, ok{0};
  std::thread client([&] {
    auto cli = srv.client();
    while (!done) {
      auto res = cli.Get("/v1/users/u3/recommendations");
      if (!res) break;  // the server has gone: connection refused
      (res->status == 200 ? ok : server_errors)++;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const double start = monotonic_seconds();
  srv.stop();  // returns once run() has returned
  EXPECT_LT(monotonic_seconds() - start, 10.0);
  done = true;
  client.join();
  EXPECT_GT(ok, 0);
  EXPECT_EQ(server_errors, 0);
  EXPECT_FALSE(srv.client().Get("/v1/health"));
}

// Latency of the recommend route over one keep-alive connection (printed, never asserted).
TEST(Server, RecommendLatency) {
  Running srv("latency");
  auto cli = srv.client();
  cli.set_keep_alive(true);
  std::vector<double> ms;
  for (int request_idx = 0; request_idx < 1000; ++request_idx) {
    const double start = monotonic_seconds();
    auto res = cli.Get("/v1/users/u" + std::to_string(request_idx % 30) + "/recommendations?n=10");
    ms.push_back((monotonic_seconds() - start) * 1000);
    ASSERT_TRUE(res && res->status == 200);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("recommend latency over 1000 requests: p50 %.3f ms, p99 %.3f ms\n", ms[500], ms[990]);
}

}  // namespace
}  // namespace tailor::server
