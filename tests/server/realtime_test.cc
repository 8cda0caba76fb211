// Real-time behaviour of the server: new feedback of a known user folded into
// their recommendations at once, retraining after N new events, the
// recommendation cache (hits, and misses after a write or a new model) and
// the structured access log. In-process server on port 0, real HTTP.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "access_log.h"
#include "running.h"
#include "tailor/server/server.h"

namespace tailor::server {
namespace {

using nlohmann::json;
using test_support::body_of;
using test_support::Running;
namespace fs = std::filesystem;

// Two tastes that never mix: 10 books b0..b9 read by r0..r19, 10 games
// g0..g9 played by p0..p19 (each user 4 items of their side), and the test
// user "t" who read b0, b1, b2 only.
std::string make_two_taste_store(const std::string& name) {
  const fs::path path = fs::temp_directory_path() / ("tailor_realtime_" + name + "_" + std::to_string(::getpid()) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  auto store = store::open_store(path.string());
  auto writer = store->begin_write();
  for (const char* side : {"b", "g"})
    for (int item_idx = 0; item_idx < 10; ++item_idx) {
      data::Item item;
      item.id = side + std::to_string(item_idx);
      item.title = item.id;
      item.categories = {std::string(side) == "b" ? "books" : "games"};
      writer->put_item(item);
    }
  Timestamp ts = 1700000000;
  auto event = [&](const std::string& user, const std::string& item) {
    data::Event ev;
    ev.user_id = user;
    ev.item_id = item;
    ev.type = "click";
    ev.timestamp = ts++;
    writer->put_event(ev);
  };
  for (int user_idx = 0; user_idx < 20; ++user_idx)
    for (int offset : {0, 1, 3, 6}) {
      event("r" + std::to_string(user_idx), "b" + std::to_string((user_idx + offset) % 10));
      event("p" + std::to_string(user_idx), "g" + std::to_string((user_idx + offset) % 10));
    }
  for (const char* item : {"b0", "b1", "b2"}) event("t", item);
  writer->commit();
  return path.string();
}

// A server on a given store file; stopped, joined and the files removed at the end.
class Live {
 public:
  Live(std::string path, const std::function<void(ServerOptions&)>& tweak = {}) : path_(std::move(path)) {
    ServerOptions options;
    options.port = 0;
    if (tweak) tweak(options);
    server_ = std::make_unique<Server>(store::open_store(path_), options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
    server_->wait_for_training();
  }
  ~Live() {
    server_->stop();
    thread_.join();
    server_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }
  httplib::Client client() const {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(30, 0);
    return cli;
  }
  Server& server() { return *server_; }

 private:
  std::string path_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::thread thread_;
};

std::map<std::string, int> categories_of(const json& answer) {
  std::map<std::string, int> out;
  for (const auto& it : answer["items"]) out[it["categories"][0].get<std::string>()] += 1;
  return out;
}

// One Prometheus sample without labels (or the first series of that name).
double metric(httplib::Client& cli, const std::string& name) {
  const auto res = cli.Get("/metrics");
  EXPECT_TRUE(res && res->status == 200);
  std::istringstream lines(res ? res->body : "");
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  ADD_FAILURE() << name << " not in /metrics";
  return -1;
}

TEST(Realtime, NewFeedbackOfAKnownUserShiftsTheirRecommendations) {
  Live srv(make_two_taste_store("foldin"));
  auto cli = srv.client();
  const auto before = body_of(cli.Get("/v1/users/t/recommendations?n=5&explain=1"));
  ASSERT_EQ(before["items"].size(), 5u) << before.dump();
  EXPECT_EQ(before["explain"]["source"], "model");
  EXPECT_EQ(categories_of(before)["games"], 0) << before.dump();

  // A burst of game purchases: the model (trained before them) never saw these.
  json burst = json::array();
  for (const char* item : {"g0", "g1", "g3", "g6"}) burst.push_back({{"user", "t"}, {"item", item}, {"type", "purchase"}});
  const auto post = cli.Post("/v1/events", burst.dump(), "application/json");
  ASSERT_EQ(post->status, 200) << post->body;

  const auto after = body_of(cli.Get("/v1/users/t/recommendations?n=5&explain=1"));
  ASSERT_EQ(after["items"].size(), 5u) << after.dump();
  EXPECT_EQ(after["explain"]["source"], "model (new feedback folded in)");
  // Purchases weigh 5, the three book clicks 1 each: games lead now.
  const auto cats = categories_of(after);
  EXPECT_GE(cats.count("games") ? cats.at("games") : 0, 3) << after.dump();
  for (const auto& it : after["items"])
    for (const char* bought : {"g0", "g1", "g3", "g6"}) EXPECT_NE(it["item"], bought);
}

TEST(Realtime, RetrainsAfterNNewEvents) {
  Live srv(make_two_taste_store("retrain"), [](ServerOptions& o) { o.retrain_after_events = 5; });
  auto cli = srv.client();
  const auto first = body_of(cli.Get("/v1/models/current"));
  const auto generation = first["generation"].get<std::uint64_t>();
  EXPECT_EQ(metric(cli, "tailor_model_events_since_training"), 0);

  // Four new events: below the threshold, no training.
  json four = json::array();
  for (const char* item : {"b5", "b6", "b7", "b8"}) four.push_back({{"user", "t"}, {"item", item}, {"type", "click"}});
  ASSERT_EQ(cli.Post("/v1/events", four.dump(), "application/json")->status, 200);
  EXPECT_EQ(body_of(cli.Get("/v1/models/current"))["events_since_training"], 4);
  // The fifth crosses the threshold; the scheduler starts a training.
  // Poll: the trigger is asynchronous; no assertion on how long it takes.
  ASSERT_EQ(cli.Post("/v1/events", json({{"user", "t"}, {"item", "b9"}, {"type", "click"}}).dump(), "application/json")
                ->status,
            200);
  json current;
  for (int attempt = 0; attempt < 600; ++attempt) {
    current = body_of(cli.Get("/v1/models/current"));
    if (current["generation"].get<std::uint64_t>() > generation) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(current["generation"].get<std::uint64_t>(), generation) << current.dump();
  EXPECT_EQ(current["source"], "trained");
  EXPECT_EQ(current["name"], "itemknn");
  // Retrained on the new events: t's clicks on b5..b8 are in the model's history now.
  srv.server().wait_for_training();
  const auto model = srv.server().model();
  const auto t_idx = model->user_ids().find("t");
  ASSERT_TRUE(t_idx.has_value());
  EXPECT_EQ(model->user_items().row_indices(*t_idx).size(), 8u);  // b0-b2 and b5-b9
  const auto res = cli.Get("/metrics");
  EXPECT_NE(res->body.find("tailor_model_trainings_total{trigger=\"events\"} 1"), std::string::npos) << res->body;
}

TEST(Realtime, CacheServesRepeatsAndMissesAfterWritesAndNewModels) {
  Running srv("cache");
  auto cli = srv.client();
  const double misses0 = metric(cli, "tailor_rec_cache_misses_total");
  const double hits0 = metric(cli, "tailor_rec_cache_hits_total");
  const auto first = cli.Get("/v1/users/u3/recommendations?n=4");
  ASSERT_EQ(first->status, 200);
  const auto second = cli.Get("/v1/users/u3/recommendations?n=4");
  EXPECT_EQ(second->body, first->body);
  EXPECT_EQ(metric(cli, "tailor_rec_cache_misses_total"), misses0 + 1);
  EXPECT_EQ(metric(cli, "tailor_rec_cache_hits_total"), hits0 + 1);
  // Other parameters are another answer.
  ASSERT_EQ(cli.Get("/v1/users/u3/recommendations?n=4&explain=1")->status, 200);
  EXPECT_EQ(metric(cli, "tailor_rec_cache_misses_total"), misses0 + 2);

  // A new event of u3 makes the next answer fresh: the bought item is gone.
  const std::string top = body_of(first)["items"][0]["item"];
  ASSERT_EQ(cli.Post("/v1/events", json({{"user", "u3"}, {"item", top}, {"type", "purchase"}}).dump(),
                     "application/json")
                ->status,
            200);
  const auto third = body_of(cli.Get("/v1/users/u3/recommendations?n=4"));
  for (const auto& it : third["items"]) EXPECT_NE(it["item"], top);
  EXPECT_EQ(metric(cli, "tailor_rec_cache_misses_total"), misses0 + 3);

  // A catalogue change (the item's title) is seen too.
  const std::string next = third["items"][0]["item"];
  ASSERT_EQ(cli.Put("/v1/items/" + next, R"({"title": "renamed", "categories": ["c9"]})", "application/json")->status,
            200);
  const auto fourth = body_of(cli.Get("/v1/users/u3/recommendations?n=4"));
  EXPECT_EQ(fourth["items"][0]["title"], "renamed") << fourth.dump();

  // A new model: misses again.
  ASSERT_TRUE(srv.server().start_training());
  srv.server().wait_for_training();
  const double misses = metric(cli, "tailor_rec_cache_misses_total");
  ASSERT_EQ(cli.Get("/v1/users/u3/recommendations?n=4")->status, 200);
  EXPECT_EQ(metric(cli, "tailor_rec_cache_misses_total"), misses + 1);
}

TEST(Realtime, CacheCanBeTurnedOff) {
  Running srv("nocache", {}, [](ServerOptions& o) { o.rec_cache_entries = 0; });
  auto cli = srv.client();
  ASSERT_EQ(cli.Get("/v1/users/u3/recommendations")->status, 200);
  ASSERT_EQ(cli.Get("/v1/users/u3/recommendations")->status, 200);
  EXPECT_EQ(metric(cli, "tailor_rec_cache_hits_total"), 0);
  EXPECT_EQ(metric(cli, "tailor_rec_cache_entries"), 0);
}

TEST(AccessLog, LineFormat) {
  const std::string digest = sha256_hex("secret-key");
  const auto line = json::parse(access_log_line(
      {"GET", "/v1/users/a\"b/recommendations", "/v1/users/{id}/recommendations", 200, 0.0012346, digest, 321},
      1767322445.5));
  EXPECT_EQ(line["ts"], "2026-01-02T02:54:05.500Z");
  EXPECT_EQ(line["method"], "GET");
  EXPECT_EQ(line["path"], "/v1/users/a\"b/recommendations");
  EXPECT_EQ(line["route"], "/v1/users/{id}/recommendations");
  EXPECT_EQ(line["status"], 200);
  EXPECT_DOUBLE_EQ(line["duration_ms"].get<double>(), 1.235);
  EXPECT_EQ(line["key"], digest.substr(0, 8));
  EXPECT_EQ(line["bytes"], 321);
  const auto anonymous = json::parse(access_log_line({"GET", "/x", "unmatched", 404, 0, "", 0}, 0));
  EXPECT_TRUE(anonymous["key"].is_null());
  // Invalid UTF-8 in a path never breaks the line.
  EXPECT_NO_THROW(json::parse(access_log_line({"GET", "/\xff\xfe", "unmatched", 404, 0, "", 0}, 0)));
}

TEST(AccessLog, OneJsonLinePerRequestWithKeyIdNeverTheKey) {
  const fs::path log = fs::temp_directory_path() / ("tailor_access_" + std::to_string(::getpid()) + ".log");
  fs::remove(log);
  {
    Running srv("access", {"admin-secret-123:admin"}, [&](ServerOptions& o) { o.access_log = log.string(); });
    auto cli = srv.client();
    const httplib::Headers admin = {{"Authorization", "Bearer admin-secret-123"}};
    ASSERT_EQ(cli.Get("/v1/health")->status, 200);
    ASSERT_EQ(cli.Get("/v1/users/u1/recommendations?n=3", admin)->status, 200);
    ASSERT_EQ(cli.Get("/v1/users/u1", {{"X-API-Key", "wrong"}})->status, 401);
    ASSERT_EQ(cli.Get("/nowhere")->status, 404);
  }
  std::ifstream in(log);
  std::vector<json> lines;
  std::string text;
  for (std::string line; std::getline(in, line);) {
    text += line + "\n";
    lines.push_back(json::parse(line));
  }
  fs::remove(log);
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_EQ(text.find("admin-secret-123"), std::string::npos) << "the key itself must never be logged";
  EXPECT_EQ(lines[0]["route"], "/v1/health");
  EXPECT_TRUE(lines[0]["key"].is_null());
  EXPECT_EQ(lines[1]["method"], "GET");
  EXPECT_EQ(lines[1]["path"], "/v1/users/u1/recommendations");  // no query string
  EXPECT_EQ(lines[1]["route"], "/v1/users/{id}/recommendations");
  EXPECT_EQ(lines[1]["status"], 200);
  EXPECT_EQ(lines[1]["key"], sha256_hex("admin-secret-123").substr(0, 8));
  EXPECT_GT(lines[1]["bytes"].get<int>(), 10);
  EXPECT_GE(lines[1]["duration_ms"].get<double>(), 0);
  EXPECT_EQ(lines[2]["status"], 401);
  EXPECT_TRUE(lines[2]["key"].is_null());
  EXPECT_EQ(lines[3]["route"], "unmatched");
  EXPECT_EQ(lines[3]["status"], 404);
}

TEST(AccessLog, UnwritableDestinationIsRejectedNamingTheSetting) {
  ServerOptions options;
  options.port = 0;
  options.access_log = "/nonexistent-dir/x/access.log";
  const std::string path = test_support::make_store("badlog");
  try {
    Server srv(store::open_store(path), options);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("access_log"), std::string::npos) << e.what();
  }
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

}  // namespace
}  // namespace tailor::server
