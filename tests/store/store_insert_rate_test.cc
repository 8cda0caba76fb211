// Insert rate of the SQLite store on MovieLens-latest-small-shaped data
// (610 users, 9,742 items, ~100k rating events sorted by user): the real
// ratings.csv when the shared datasets are present, else a synthetic stream of
// the same shape (or of TAILOR_STORE_RATE_EVENTS events). Prints events/s; asserts only what was stored, never a time,
// so a slow or busy machine cannot fail it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <time.h>

#include <gtest/gtest.h>

#include "store_test_util.h"
#include "tailor/store/store.h"

namespace tailor::store {
namespace {

using testing_util::TempDir;

struct Workload {
  std::string source;
  std::vector<Item> items;
  std::vector<Event> events;
};

// movies.csv gives the item order (items are imported before ratings);
// only the leading movieId of each line is needed.
bool load_movielens(const std::string& dir, Workload& workload) {
  std::ifstream movies(dir + "/movies.csv");
  std::ifstream ratings(dir + "/ratings.csv");
  if (!movies || !ratings) return false;
  std::string line;
  std::getline(movies, line);
  while (std::getline(movies, line)) {
    Item item;
    item.id = line.substr(0, line.find(','));
    item.title = line.substr(line.find(',') + 1);
    workload.items.push_back(std::move(item));
  }
  std::getline(ratings, line);
  while (std::getline(ratings, line)) {
    std::stringstream fields(line);
    std::string user, item, rating, timestamp;
    std::getline(fields, user, ',');
    std::getline(fields, item, ',');
    std::getline(fields, rating, ',');
    std::getline(fields, timestamp, ',');
    workload.events.push_back(testing_util::make_event(user, item, "rating", std::stoll(timestamp), std::stod(rating)));
  }
  workload.source = dir;
  return true;
}

// CPU seconds of this process: unlike wall time, hardly moved by other load
// on the machine, so runs can be compared.
double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// `events` events from events/165 users (at least 610) over 9,742 items
// (20,000 past the ml-latest-small size), each user's items sorted.
void synthesize(Workload& workload, int events) {
  const int users = std::max(610, events / 165);
  const int items = events <= 100'836 ? 9742 : 20'000;
  std::mt19937 random(42);
  for (int item = 0; item < items; ++item)
    workload.items.push_back(Item{.id = std::to_string(item * 3 + 1), .title = "Movie " + std::to_string(item)});
  std::uniform_int_distribution<int> pick_item(0, items - 1);
  for (int user = 0; user < users; ++user) {
    std::vector<int> picked;
    const int count = events / users + (user < events % users ? 1 : 0);
    while (static_cast<int>(picked.size()) < count) picked.push_back(pick_item(random));
    std::sort(picked.begin(), picked.end());
    for (int item : picked)
      workload.events.push_back(testing_util::make_event(std::to_string(user + 1), workload.items[item].id, "rating",
                                                         964'982'703 + random() % 100'000'000,
                                                         0.5 * (1 + random() % 10)));
  }
  workload.source = "synthetic " + std::to_string(events);
}

// TAILOR_STORE_RATE_EVENTS=N measures a synthetic stream of N events instead.
Workload load_workload() {
  Workload workload;
  if (std::optional<std::string> events = env_var("TAILOR_STORE_RATE_EVENTS")) {
    synthesize(workload, std::stoi(*events));
  } else if (!load_movielens(std::string(TAILOR_DATASETS_DIR) + "/ml-latest-small", workload)) {
    synthesize(workload, 100'836);
  }
  return workload;
}

// Imports the workload in one transaction and prints the rates.
void import_and_report(Store& store, const Workload& workload, const char* label) {
  const std::uint64_t events_before = store.stats().events;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::unique_ptr<StoreWriter> writer = store.begin_write();
  for (const Item& item : workload.items) writer->put_item(item);
  const auto items_done = Clock::now();
  const double cpu_start = cpu_seconds();
  std::uint64_t inserted = 0;
  for (const Event& event : workload.events) inserted += writer->put_event(event) ? 1 : 0;
  const auto events_done = Clock::now();
  writer->commit();
  const auto committed = Clock::now();
  const double cpu = cpu_seconds() - cpu_start;

  auto seconds = [](Clock::duration duration) { return std::chrono::duration<double>(duration).count(); };
  const double event_seconds = seconds(committed - items_done);
  const auto events = static_cast<double>(workload.events.size());
  std::printf(
      "[ rate     ] %s, %s: %zu items in %.3f s; %zu events in %.3f s (put %.3f s + commit %.3f s, cpu %.3f s)"
      " = %.0f events/s (%.0f per cpu second)\n",
      label, workload.source.c_str(), workload.items.size(), seconds(items_done - start), workload.events.size(),
      event_seconds, seconds(events_done - items_done), seconds(committed - events_done), cpu,
      events / event_seconds, events / cpu);
  ::testing::Test::RecordProperty("events_per_second", static_cast<int>(events / event_seconds));

  EXPECT_EQ(store.stats().events, events_before + inserted);
  EXPECT_GT(inserted, workload.events.size() * 9 / 10);
  EXPECT_GE(store.stats().items, workload.items.size());
}

// The common case: a first import into a new store (the writer defers the
// per-item index and builds it at commit).
TEST(StoreInsertRate, ImportIntoEmptyStore) {
  const Workload workload = load_workload();
  TempDir dir;
  std::unique_ptr<Store> store = open_store(dir.file("rate.db"));  // fsync on, as in production
  import_and_report(*store, workload, "empty store");
}

// Adding to a store that already has events: the index is kept up to date
// event by event.
TEST(StoreInsertRate, ImportIntoNonEmptyStore) {
  const Workload workload = load_workload();
  TempDir dir;
  std::unique_ptr<Store> store = open_store(dir.file("rate.db"));
  std::unique_ptr<StoreWriter> writer = store->begin_write();
  writer->put_event(testing_util::make_event("someone", "something", "view", 1));
  writer->commit();
  import_and_report(*store, workload, "non-empty store");
}

}  // namespace
}  // namespace tailor::store
