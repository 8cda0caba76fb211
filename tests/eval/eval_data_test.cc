// Quality and speed on real data (label "data": needs the shared datasets).
//
// ml-100k, every rating an implicit interaction of weight 1 (the rating kept
// as `rating`), per-user random 80/20 split with seed 42, all items ranked
// with training items masked. Acceptance: ItemKNN NDCG@10 >= 1.3 x MostPopular
// NDCG@10; the Surprise-default baseline predictor has RMSE < 0.96.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "../shared_datasets.h"
#include "tailor/eval/eval.h"

namespace tailor::eval {
namespace {

using dataset::Dataset;
using testing_data::read_ratings;

const std::string& kDatasets = testing_data::kDatasetsDir;

struct ModelRun {
  MetricMap metrics;
  double fit_seconds = 0;
};

ModelRun fit_and_evaluate(const Dataset& d, const dataset::Split& s, const std::string& name,
                     const model::Params& params = model::Params::object()) {
  auto m = model::create_model(name, params);
  const double t0 = monotonic_seconds();
  m->fit(d, s.train, model::FitOptions{});
  ModelRun run;
  run.fit_seconds = monotonic_seconds() - t0;
  EvalOptions o;
  o.ks = {5, 10, 20};
  const double t1 = monotonic_seconds();
  run.metrics = evaluate_ranking(*m, s.train, s.test, o);
  run.metrics["eval_seconds"] = monotonic_seconds() - t1;
  run.metrics["fit_seconds"] = run.fit_seconds;
  if (m->predicts_ratings()) {
    for (const auto& [k, v] : evaluate_rating(*m, s.test)) run.metrics[k] = v;
  }
  return run;
}

TEST(Ml100k, ItemKnnBeatsPopularAndBaselineRmse) {
  Dataset d = read_ratings(kDatasets + "/ml-100k/u.data", '\t');
  ASSERT_FALSE(d.interactions.empty()) << "ml-100k not found under " << kDatasets;
  ASSERT_EQ(d.interactions.size(), 100000u);
  ASSERT_EQ(d.user_count(), 943u);
  ASSERT_EQ(d.item_count(), 1682u);
  dataset::SplitOptions so;
  so.kind = dataset::SplitKind::kRandom;
  so.test_fraction = 0.2;
  so.seed = 42;
  const dataset::Split s = dataset::split(d, so);

  std::map<std::string, ModelRun> runs;
  for (const std::string name : {"popular", "itemknn", "userknn", "baseline"}) runs[name] = fit_and_evaluate(d, s, name);

  std::printf("ml-100k, random 80/20 per user, seed 42: %zu train / %zu test\n", s.train.size(), s.test.size());
  std::printf("%-10s %8s %8s %8s %8s %8s %8s %8s %8s %7s %8s %8s\n", "model", "ndcg@5", "ndcg@10", "ndcg@20", "prec@10",
              "rec@10", "map@10", "mrr", "auc", "cov@10", "fit_s", "eval_s");
  for (const auto& [name, run] : runs) {
    const MetricMap& m = run.metrics;
    std::printf("%-10s %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %7.4f %8.3f %8.3f\n", name.c_str(),
                m.at("ndcg@5"), m.at("ndcg@10"), m.at("ndcg@20"), m.at("precision@10"), m.at("recall@10"),
                m.at("map@10"), m.at("mrr"), m.at("auc"), m.at("coverage@10"), m.at("fit_seconds"),
                m.at("eval_seconds"));
  }
  std::printf("baseline rmse %.4f mae %.4f over %.0f ratings\n", runs["baseline"].metrics.at("rmse"),
              runs["baseline"].metrics.at("mae"), runs["baseline"].metrics.at("rated"));

  for (int k : {5, 10, 20}) {
    const std::string key = "ndcg@" + std::to_string(k);
    std::printf("%s itemknn / popular = %.2f\n", key.c_str(),
                runs["itemknn"].metrics.at(key) / runs["popular"].metrics.at(key));
  }
  EXPECT_GE(runs["itemknn"].metrics.at("ndcg@10"), 1.3 * runs["popular"].metrics.at("ndcg@10"));
  EXPECT_LT(runs["baseline"].metrics.at("rmse"), 0.96);
  EXPECT_DOUBLE_EQ(runs["itemknn"].metrics.at("users"), 943);
}

// Fits on the larger catalogue and checks every item got neighbours; the fit
// time is printed for information (speed is measured in bench/, not asserted).
TEST(MlLatestSmall, ItemKnnFitsEveryItem) {
  Dataset d = read_ratings(kDatasets + "/ml-latest-small/ratings.csv", ',');
  ASSERT_FALSE(d.interactions.empty()) << "ml-latest-small not found under " << kDatasets;
  ASSERT_EQ(d.interactions.size(), 100836u);
  auto m = model::create_model("itemknn");
  const double t0 = monotonic_seconds();
  m->fit(d, d.interactions, model::FitOptions{});
  const double seconds = monotonic_seconds() - t0;
  std::printf("ml-latest-small itemknn fit: %zu items in %.3f s\n", static_cast<std::size_t>(d.item_count()), seconds);
  std::size_t with_neighbours = 0;
  for (std::uint32_t item = 0; item < d.item_count(); ++item) with_neighbours += !m->similar_items(item, 5).empty();
  // Items rated by a single user who rated nothing else have no co-rated neighbour.
  EXPECT_GT(with_neighbours, d.item_count() * 9 / 10);
}

}  // namespace
}  // namespace tailor::eval
