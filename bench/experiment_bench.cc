// Report computation at scale: 1,000,000 exposures of 100,000 users (plus
// their attributed clicks, from the seeded population of
// tests/experiment/simulation.h) written into a fresh SQLite store as the
// runtime writes them, then `experiment_report` timed. Goal (issue 12): < 2 s.
// Also times the exposure log's group commit (records/s) with N writer threads.
//
//   build/bench/experiment_bench [--users 100000] [--exposures 1000000] [--db /tmp/x.db] [--threads 8]
// TAILOR_BENCH_KEEP=1 keeps the store; TAILOR_BENCH_REUSE=1 reads a kept one instead of writing it again.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "../tests/experiment/simulation.h"
#include "tailor/core/core.h"
#include "tailor/experiment/experiment.h"

using namespace tailor;

int main(int argc, char** argv) {
  std::size_t users = 100000, exposures = 1000000;
  int threads = 8;
  std::string db = (std::filesystem::temp_directory_path() / "tailor_experiment_bench.db").string();
  for (int idx = 1; idx + 1 < argc; idx += 2) {
    if (!std::strcmp(argv[idx], "--users")) users = std::stoul(argv[idx + 1]);
    else if (!std::strcmp(argv[idx], "--exposures")) exposures = std::stoul(argv[idx + 1]);
    else if (!std::strcmp(argv[idx], "--db")) db = argv[idx + 1];
    else if (!std::strcmp(argv[idx], "--threads")) threads = std::stoi(argv[idx + 1]);
  }
  const bool reuse = std::filesystem::exists(db) && std::getenv("TAILOR_BENCH_REUSE") != nullptr;
  if (!reuse)
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  auto store = store::open_store(db);
  auto definition = experiment::definition_from_json(
      {{"id", "bench"}, {"variants", {{{"name", "control"}}, {{"name", "treatment"}}}}, {"cuped_days", 0}});
  if (!reuse) {
    experiment::create_experiment(*store, definition, 1);
    experiment::start_experiment(*store, "bench", 1);
  }
  definition = *experiment::load_experiment(*store, "bench");

  // Exposures: exposures/users lists per user on average (Poisson), clicks from the population.
  experiment::sim::Rng rng(2026);
  experiment::sim::Population pop;
  pop.lambda = static_cast<double>(exposures) / static_cast<double>(users) - 1;
  double start = monotonic_seconds();
  std::size_t written = 0, clicks = 0;
  if (!reuse) {
    // As the exposure log writes them: raw records plus the per-user totals, in batches.
    experiment::UserSummaries summaries(*store);
    std::vector<store::Record> batch;
    auto writer = store->begin_write();
    const auto put = [&](store::Record record) {
      batch.push_back(std::move(record));
      if (batch.size() < 5000) return;
      for (const auto& r : batch) writer->put_record(r);
      for (const auto& r : summaries.fold(batch)) writer->put_record(r);
      batch.clear();
    };
    for (std::size_t u = 0; u < users; ++u) {
      const std::string user = "user-" + std::to_string(u);
      const std::size_t variant = *experiment::assign_variant(definition, user);
      const auto sim_user = experiment::sim::draw_user(rng, pop, variant == 1 ? 0.05 : 0.0);
      std::string last;
      for (int e = 0; e < static_cast<int>(sim_user.exposures); ++e) {
        experiment::Exposure exposure;
        exposure.id = last = experiment::make_exposure_id("bench", variant, 1000 + e);
        exposure.user = user;
        exposure.ts = 1000 + e;
        exposure.surface = "recommendations";
        exposure.model = variant == 0 ? "popular" : "itemknn";
        for (int pos = 0; pos < 10; ++pos) {
          exposure.items.push_back("sku-" + std::to_string((u + pos) % 5000));
          exposure.positions.push_back(pos + 1);
        }
        put(experiment::exposure_record(exposure));
        ++written;
      }
      for (int c = 0; c < static_cast<int>(sim_user.clicks); ++c) {
        const nlohmann::json body = {{"exposure", last}, {"item", "sku-1"}, {"type", "click"}, {"value", 1}, {"shown", true}};
        put({experiment::kAttributionCollection,
             "bench." + std::to_string(variant) + "." + std::to_string(c) + "." + user, user, 2000, body.dump()});
        ++clicks;
      }
    }
    for (const auto& r : batch) writer->put_record(r);
    for (const auto& r : summaries.fold(batch)) writer->put_record(r);
    writer->commit();
  }
  std::printf("wrote %zu exposures and %zu attributed clicks of %zu users in %.1f s\n", written, clicks, users,
              monotonic_seconds() - start);

  for (int run = 0; run < 3; ++run) {
    start = monotonic_seconds();
    const std::clock_t cpu_start = std::clock();
    const auto report = experiment::experiment_report(*store, "bench");
    const double seconds = monotonic_seconds() - start;
    const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    std::printf("report: %.3f s wall, %.3f s CPU  (users %.0f + %.0f, ctr lift %+.2f%%, p %.3g, srm p %.3g)%s\n", seconds, cpu,
                report["srm"]["users"][0].get<double>(), report["srm"]["users"][1].get<double>(),
                100 * report["metrics"][0]["variants"][1]["lift"].get<double>(),
                report["metrics"][0]["variants"][1]["p_value"].get<double>(), report["srm"]["p_value"].get<double>(),
                seconds < 2 ? "  goal < 2 s: met" : "  goal < 2 s: NOT met");
  }

  // Group commit throughput: `threads` writers, each waiting for its own commit.
  {
    experiment::ExposureLog log(*store, {});
    constexpr int kPerThread = 500;
    start = monotonic_seconds();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        for (int idx = 0; idx < kPerThread; ++idx)
          log.log({experiment::kExposureCollection, experiment::make_exposure_id("tput", 0, 5000), "t" + std::to_string(t),
                   5000, R"({"items":["a","b","c"]})"});
      });
    for (auto& thread : pool) thread.join();
    const double seconds = monotonic_seconds() - start;
    std::printf("exposure log, %d threads waiting for their commit: %.0f exposures/s, %.1f per commit\n", threads,
                threads * kPerThread / seconds, static_cast<double>(log.committed()) / static_cast<double>(log.batches()));
  }
  store.reset();
  if (std::getenv("TAILOR_BENCH_KEEP") == nullptr)
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  return 0;
}
