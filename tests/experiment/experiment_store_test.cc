// The experiment component over a real SQLite store: lifecycle and layer
// buckets, the exposure log's acknowledgement (group commit; an acknowledged
// exposure survives kill -9 of the writer's process), serving with several
// trained models at once, attribution by exposure id and by (user, item)
// window, the report (SRM first, a winner on synthetic data) and monitoring.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "simulation.h"
#include "tailor/core/core.h"
#include "tailor/dataset/dataset.h"
#include "tailor/experiment/experiment.h"

namespace tailor::experiment {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TempStore {
 public:
  explicit TempStore(const std::string& name) {
    path_ = (fs::path(::testing::TempDir()) / ("tailor_experiment_" + name + "_" + std::to_string(::getpid()) + ".db")).string();
    remove();
    store_ = store::open_store(path_);
  }
  ~TempStore() {
    store_.reset();
    remove();
  }
  store::Store& store() { return *store_; }
  const std::string& path() const { return path_; }

 private:
  void remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }
  std::string path_;
  std::unique_ptr<store::Store> store_;
};

json two_way(const std::string& id) {
  return {{"id", id}, {"variants", {{{"name", "control"}}, {{"name", "treatment"}}}}};
}

TEST(Lifecycle, CreateStartStopAndLayerBuckets) {
  TempStore temp("lifecycle");
  auto& store = temp.store();
  auto body = two_way("first");
  body["layer"] = "ranking";
  body["traffic"] = 0.6;
  const auto first = create_experiment(store, definition_from_json(body), 100);
  EXPECT_EQ(first.bucket_start, 0);
  EXPECT_EQ(first.bucket_end, 6000);
  EXPECT_EQ(first.status, Status::kDraft);
  EXPECT_THROW(create_experiment(store, definition_from_json(body), 100), Error);  // same id
  auto second = two_way("second");
  second["layer"] = "ranking";
  second["traffic"] = 0.6;
  try {
    create_experiment(store, definition_from_json(second), 100);
    FAIL() << "the layer had no room";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("traffic"), std::string::npos);
  }
  second["traffic"] = 0.4;
  const auto placed = create_experiment(store, definition_from_json(second), 100);
  EXPECT_EQ(placed.bucket_start, 6000);
  EXPECT_EQ(placed.bucket_end, 10000);
  auto untrained = two_way("untrained");
  untrained["variants"][1]["model"] = "als";
  create_experiment(store, definition_from_json(untrained), 100);
  try {
    start_experiment(store, "untrained", 200);
    FAIL() << "started with a model the store does not have";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("variants[1].model"), std::string::npos) << e.what();
  }
  EXPECT_EQ(start_experiment(store, "first", 200).status, Status::kRunning);
  EXPECT_THROW(start_experiment(store, "first", 200), Error);
  EXPECT_EQ(stop_experiment(store, "first", 300).stopped_at, 300);
  EXPECT_THROW(stop_experiment(store, "nope", 300), Error);
  // The stored definition is what assignment reads: it survives a reopen.
  auto reopened = store::open_store(temp.path());
  const auto loaded = load_experiment(*reopened, "second");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->bucket_start, 6000);
  EXPECT_EQ(list_experiments(*reopened).size(), 3u);
}

store::Record test_record(int idx) {
  return {kExposureCollection, make_exposure_id("log", 0, 1000 + idx), "u" + std::to_string(idx), 1000 + idx,
          R"({"items":["a"]})"};
}

TEST(ExposureLog, GroupCommitAcknowledgesOnlyCommitted) {
  TempStore temp("log");
  ExposureLog log(temp.store(), {});
  constexpr int kThreads = 8, kPerThread = 100;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> keys(kThreads);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int idx = 0; idx < kPerThread; ++idx) {
        auto record = test_record(t * kPerThread + idx);
        keys[t].push_back(record.key);
        log.log(record);
        // Acknowledged: another connection to the file sees it now.
        thread_local auto reader = store::open_store(temp.path(), {.read_only = true});
        EXPECT_TRUE(reader->get_record(kExposureCollection, record.key)) << record.key;
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(log.committed(), static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_LT(log.batches(), log.committed()) << "concurrent requests share commits";
  log.stop();
  EXPECT_THROW(log.log(test_record(0)), Error);
}

TEST(ExposureLog, AcknowledgedExposuresSurviveKill9) {
  TempStore temp("kill9");
  const std::string acked = temp.path() + ".acked";
  fs::remove(acked);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child logs as fast as it can and records each acknowledged key
    // (after log() returned) in a side file, flushed per line.
    auto store = store::open_store(temp.path());
    ExposureLog log(*store, {});
    std::ofstream out(acked);
    for (int idx = 0;; ++idx) {
      auto record = test_record(idx);
      log.log(record);
      out << record.key << std::endl;
    }
  }
  // Let it run for a while, then kill it without warning.
  for (int wait = 0; wait < 200; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream in(acked);
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) ++lines;
    if (lines >= 50) break;
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  auto store = store::open_store(temp.path());
  std::ifstream in(acked);
  std::string key;
  int checked = 0;
  while (std::getline(in, key)) {
    if (key.empty()) continue;
    EXPECT_TRUE(store->get_record(kExposureCollection, key)) << "acknowledged exposure lost: " << key;
    ++checked;
  }
  EXPECT_GE(checked, 20);
  fs::remove(acked);
}

// 40 users, 12 items in 2 categories: even users like category a, odd ones b.
void fill_store(store::Store& store) {
  auto writer = store.begin_write();
  for (int item = 0; item < 12; ++item) {
    data::Item it;
    it.id = "i" + std::to_string(item);
    it.categories = {item % 2 == 0 ? "a" : "b"};
    writer->put_item(it);
  }
  for (int user = 0; user < 40; ++user)
    for (int k = 0; k < 3; ++k) {
      data::Event ev;
      ev.user_id = "u" + std::to_string(user);
      ev.item_id = "i" + std::to_string((user % 2) + 2 * ((user + k) % 6));
      ev.type = "click";
      ev.timestamp = 1000 + user + k;
      writer->put_event(ev);
    }
  writer->commit();
}

TEST(Runtime, ServesVariantModelsLogsAndAttributes) {
  TempStore temp("runtime");
  auto& store = temp.store();
  fill_store(store);
  dataset::SnapshotOptions snap;
  model::FitOptions fit;
  auto current = std::shared_ptr<const model::Recommender>(model::train_from_store(store, "itemknn", {}, snap, fit));
  model::train_from_store(store, "popular", {}, snap, fit);
  auto body = two_way("models");
  body["variants"][0]["model"] = "itemknn";
  body["variants"][1]["model"] = "popular";
  body["attribution_window_s"] = 3600;
  create_experiment(store, definition_from_json(body), now_seconds());
  start_experiment(store, "models", now_seconds());

  Runtime runtime(store, {});
  const RankFn rank = [](const model::Recommender& model, const ArmSettings&) {
    std::vector<RankedItem> out;
    for (const auto& r : model.recommend(0, {.n = 3})) out.push_back({model.item_ids().id(r.item), r.score});
    return out;
  };
  std::set<std::string> models_seen;
  std::map<std::string, Served> served;
  for (int user = 0; user < 40; ++user) {
    const std::string id = "u" + std::to_string(user);
    served[id] = runtime.serve("recommendations", id, current, 0, "req-" + id, rank);
    ASSERT_TRUE(served[id].exposure) << "traffic is 1: everyone is in";
    const auto& e = *served[id].exposure;
    EXPECT_EQ(e.variant, *assign_variant(*load_experiment(store, "models"), id));
    EXPECT_EQ(served[id].model->name(), e.variant == 0 ? "itemknn" : "popular");
    models_seen.insert(served[id].model->name());
    EXPECT_TRUE(store.get_record(kExposureCollection, e.id)) << "acknowledged means stored";
    // Sticky: the same user gets the same variant again.
    EXPECT_EQ(runtime.serve("recommendations", id, current, 0, "again", rank).exposure->variant, e.variant);
  }
  EXPECT_EQ(models_seen.size(), 2u) << "two models served at once";
  EXPECT_EQ(runtime.models().loaded().size(), 2u);
  // Another surface is not in the experiment.
  EXPECT_FALSE(runtime.serve("search", "u1", current, 0, "", rank).exposure);

  // Attribution: u0 clicks a shown item naming its exposure; u1 clicks a shown
  // item without an id (window rule); u2 clicks an item that was not shown;
  // u3's click is older than its exposures (outside the window).
  const auto& e0 = *served["u0"].exposure;
  const auto& e1 = *served["u1"].exposure;
  std::vector<data::Event> events(4);
  events[0] = {"u0", e0.items.at(0), "click", 1.0, now_seconds() + 1, "", json{{"exposure_id", e0.id}}};
  events[1] = {"u1", e1.items.at(1), "click", 1.0, now_seconds() + 1, "", json::object()};
  std::string unseen;
  for (int item = 0; item < 12 && unseen.empty(); ++item) {
    const std::string id = "i" + std::to_string(item);
    if (std::find(served["u2"].exposure->items.begin(), served["u2"].exposure->items.end(), id) ==
        served["u2"].exposure->items.end())
      unseen = id;
  }
  events[2] = {"u2", unseen, "purchase", 30.0, now_seconds() + 1, "", json::object()};
  events[3] = {"u3", served["u3"].exposure->items.at(0), "click", 1.0, now_seconds() - 7200, "", json::object()};
  runtime.on_events(events);
  runtime.flush();
  store::RecordQuery query;
  query.collection = kAttributionCollection;
  const auto attributions = store.list_records(query);
  ASSERT_EQ(attributions.size(), 3u);
  std::map<std::string, json> by_user;
  for (const auto& r : attributions) by_user[r.user] = json::parse(r.body);
  EXPECT_EQ(by_user["u0"]["exposure"], e0.id);
  EXPECT_TRUE(by_user["u0"]["shown"].get<bool>());
  EXPECT_TRUE(by_user["u1"]["shown"].get<bool>());
  EXPECT_FALSE(by_user["u2"]["shown"].get<bool>());
  EXPECT_EQ(by_user.count("u3"), 0u);
  // Delivered twice, attributed once.
  runtime.on_events(events);
  runtime.flush();
  EXPECT_EQ(store.list_records(query).size(), 3u);

  const std::string metrics = runtime.metrics_text();
  EXPECT_NE(metrics.find("tailor_experiment_exposures_total{experiment=\"models\""), std::string::npos);
  EXPECT_NE(metrics.find("tailor_experiment_clicks_total"), std::string::npos);
  runtime.write_monitor_points(now_seconds());
  runtime.flush();
  const auto monitor = monitor_report(store, {});
  ASSERT_EQ(monitor["series"].size(), 2u);
  double exposures = 0;
  for (const auto& s : monitor["series"]) exposures += s["points"][0]["exposures"].get<double>();
  EXPECT_EQ(exposures, 80);
}

// Writes exposures and attributions as the runtime would, for `users` users
// of experiment `id` whose variant is chosen by `variant_of`.
// Writes the records and the per-user totals the exposure log would write with them.
void write_with_summaries(store::Store& store, const std::vector<store::Record>& records) {
  UserSummaries summaries(store);
  auto writer = store.begin_write();
  for (const auto& record : records) writer->put_record(record);
  for (const auto& record : summaries.fold(records)) writer->put_record(record);
  writer->commit();
}

void write_synthetic(store::Store& store, const std::string& id, int users,
                     const std::function<std::size_t(int)>& variant_of, const std::function<sim::SimUser(int)>& user_of) {
  std::vector<store::Record> records;
  for (int u = 0; u < users; ++u) {
    const std::string user = "s" + std::to_string(u);
    const std::size_t variant = variant_of(u);
    const auto sim_user = user_of(u);
    std::string last;
    for (int e = 0; e < static_cast<int>(sim_user.exposures); ++e) {
      last = make_exposure_id(id, variant, 5000 + e);
      records.push_back({kExposureCollection, last, user, 5000 + e, R"({"items":["x"]})"});
    }
    for (int c = 0; c < static_cast<int>(sim_user.clicks); ++c)
      records.push_back({kAttributionCollection, id + "." + std::to_string(variant) + "." + std::to_string(c) + "." + user,
                         user, 6000, json({{"exposure", last}, {"item", "x"}, {"type", "click"}, {"shown", true}}).dump()});
  }
  write_with_summaries(store, records);
}

TEST(Report, NamesTheWinnerAndChecksSrmFirst) {
  TempStore temp("report");
  auto& store = temp.store();
  create_experiment(store, definition_from_json(two_way("win")), 1);
  start_experiment(store, "win", 1);
  sim::Rng rng(3);
  sim::Population pop;
  pop.ctr = 0.1;
  std::vector<std::size_t> variants;
  write_synthetic(store, "win", 6000, [](int u) { return static_cast<std::size_t>(u % 2); },
                  [&](int u) { return sim::draw_user(rng, pop, u % 2 == 1 ? 0.5 : 0.0); });
  const auto report = experiment_report(store, "win");
  EXPECT_FALSE(report["srm"]["flag"].get<bool>());
  EXPECT_EQ(report["verdict"]["winner"], "treatment") << report.dump(1);
  const auto& ctr = report["metrics"][0];
  EXPECT_EQ(ctr["name"], "ctr");
  EXPECT_EQ(ctr["type"], "ratio");
  EXPECT_NEAR(ctr["variants"][1]["lift"].get<double>(), 0.5, 0.15);
  EXPECT_TRUE(ctr["variants"][1]["significant"].get<bool>());
  const std::string table = report_table(report);
  EXPECT_LT(table.find("sample ratio"), table.find("ctr")) << "SRM is shown before any result";

  // A 52/48 logged split of a 50/50 design on 20,000 users: flagged, and no winner declared.
  create_experiment(store, definition_from_json(two_way("srm")), 1);
  start_experiment(store, "srm", 1);
  write_synthetic(store, "srm", 20000, [](int u) { return static_cast<std::size_t>(u % 100 < 52 ? 0 : 1); },
                  [&](int) { return sim::draw_user(rng, pop, 0); });
  const auto broken = experiment_report(store, "srm");
  EXPECT_TRUE(broken["srm"]["flag"].get<bool>());
  EXPECT_LT(broken["srm"]["p_value"].get<double>(), 0.001);
  EXPECT_TRUE(broken["verdict"]["winner"].is_null());
  EXPECT_NE(broken["verdict"]["reason"].get<std::string>().find("sample-ratio"), std::string::npos);
  EXPECT_THROW(experiment_report(store, "missing"), Error);
}

TEST(UserSummaries, WritersAddUpAndMixedVariantsAreDropped) {
  TempStore temp("summaries");
  auto& store = temp.store();
  create_experiment(store, definition_from_json(two_way("sum")), 1);
  // Two writers (replicas) each log one exposure of user a; user b shows up in both variants.
  const auto exposure = [](const std::string& user, std::size_t variant) {
    return store::Record{kExposureCollection, make_exposure_id("sum", variant, 10), user, 10, "{}"};
  };
  const auto click = [](const std::string& user, std::size_t variant, const std::string& tag) {
    return store::Record{kAttributionCollection, "sum." + std::to_string(variant) + "." + tag, user, 11,
                         json({{"type", "click"}, {"shown", true}, {"value", 1}}).dump()};
  };
  write_with_summaries(store, {exposure("a", 1), click("a", 1, "x"), exposure("b", 0)});
  write_with_summaries(store, {exposure("a", 1), exposure("b", 1), exposure("c", 0)});
  store::RecordQuery query;
  query.collection = kUserCollection;
  EXPECT_EQ(store.count_records(query), 5u) << "one record per user and writer";
  const auto report = experiment_report(store, "sum");
  EXPECT_EQ(report["multiple_variant_users"], 1);
  EXPECT_EQ(report["variants"][1]["exposures"], 2);  // a's two exposures, one per writer
  EXPECT_EQ(report["srm"]["users"][0], 1);           // c
  EXPECT_EQ(report["srm"]["users"][1], 1);           // a; b is dropped
  EXPECT_DOUBLE_EQ(report["metrics"][0]["variants"][1]["mean"].get<double>(), 0.5);  // 1 click / 2 exposures
}

TEST(Report, InterleavingSignTest) {
  TempStore temp("interleave");
  auto& store = temp.store();
  auto body = two_way("tdi");
  body["mode"] = "interleave";
  create_experiment(store, definition_from_json(body), 1);
  start_experiment(store, "tdi", 1);
  // 300 users: team B's items get a click from 60% of them, team A's from 30%.
  sim::Rng rng(11);
  std::vector<store::Record> records;
  for (int u = 0; u < 300; ++u) {
    const std::string user = "t" + std::to_string(u);
    const std::string exposure = make_exposure_id("tdi", 0, 100);
    records.push_back({kExposureCollection, exposure, user, 100, R"({"items":["x","y"],"teams":[0,1]})"});
    int n = 0;
    for (int team : {0, 1})
      if (rng.bernoulli(team == 1 ? 0.6 : 0.3))
        records.push_back({kAttributionCollection, "tdi.0." + std::to_string(n++) + "." + user, user, 101,
                           json({{"exposure", exposure}, {"type", "click"}, {"shown", true}, {"team", team}}).dump()});
  }
  write_with_summaries(store, records);
  const auto report = experiment_report(store, "tdi");
  const auto& i = report["interleaving"];
  EXPECT_GT(i["wins_b"].get<std::size_t>(), i["wins_a"].get<std::size_t>());
  EXPECT_LT(i["p_value"].get<double>(), 0.001);
  EXPECT_EQ(report["verdict"]["winner"], "treatment");
  EXPECT_EQ(i["wins_a"].get<std::size_t>() + i["wins_b"].get<std::size_t>() + i["ties"].get<std::size_t>(), 300u);
}

TEST(Monitor, FlagsADropAgainstTheTrailingBaseline) {
  TempStore temp("monitor");
  auto& store = temp.store();
  auto writer = store.begin_write();
  const std::vector<double> clicks = {100, 104, 98, 101, 99, 60, 100};  // per 1000 exposures; the 6th drops 40%
  for (std::size_t t = 0; t < clicks.size(); ++t) {
    const Timestamp start = 60 * static_cast<Timestamp>(t);
    writer->put_record({kMonitorCollection, store::record_time_key(start, "e.b.r"), "", start,
                        json({{"experiment", "e"}, {"variant", "b"}, {"model", "itemknn"}, {"exposures", 1000},
                              {"clicks", clicks[t]}, {"conversions", 10}, {"interval_s", 60}}).dump()});
  }
  writer->commit();
  MonitorOptions options;
  options.threshold = 0.2;
  options.baseline_points = 3;
  const auto report = monitor_report(store, options);
  ASSERT_EQ(report["alerts"].size(), 1u) << report.dump(1);
  EXPECT_EQ(report["alerts"][0]["metric"], "ctr");
  EXPECT_EQ(report["alerts"][0]["start"], format_timestamp(300));
  EXPECT_NEAR(report["alerts"][0]["drop"].get<double>(), 1 - 60.0 / ((101 + 98 + 99) / 3.0), 1e-9);
  options.threshold = 0.5;
  EXPECT_EQ(monitor_report(store, options)["alerts"].size(), 0u);
}

}  // namespace
}  // namespace tailor::experiment
