// Quality of the implicit-feedback models on real data (label "data": needs
// the shared datasets).
//
// RecBole protocol on ml-100k: every rating an implicit interaction of weight
// 1, per-user random 8:1:1 train / validation / test (SplitKind::kRecbole,
// seed 42), models fitted on train, all items ranked with train and
// validation items masked, metrics @10. References: RecBole's BPR quick-start
// reports NDCG@10 0.2768 (REFERENCE_NUMBERS.md §5). Acceptance: every model
// beats MostPopular's NDCG@10, and the better of als / ease reaches 0.30.
// Timings are printed, never asserted.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "../shared_datasets.h"
#include "tailor/eval/eval.h"

namespace tailor::eval {
namespace {

using dataset::Dataset;

const std::string& kDatasets = testing_data::kDatasetsDir;

struct ModelRun {
  std::string name;
  model::Params params;
  MetricMap metrics;
  double fit_seconds = 0;
};

TEST(Ml100kRecbole, ImplicitModelsBeatPopular) {
  const Dataset d = testing_data::read_ml100k();
  ASSERT_EQ(d.interactions.size(), 100000u) << "ml-100k not found under " << kDatasets;
  dataset::SplitOptions so;
  so.kind = dataset::SplitKind::kRecbole;
  so.seed = 42;
  const dataset::Split s = dataset::split(d, so);
  std::vector<dataset::Interaction> masked = s.train;
  masked.insert(masked.end(), s.validation.begin(), s.validation.end());

  std::vector<ModelRun> runs = {
      {"popular", model::Params::object()},
      {"als", model::Params::object()},
      {"bpr", model::Params::object()},
      {"ease", model::Params::object()},
      {"rp3beta", model::Params::object()},
  };
  for (ModelRun& run : runs) {
    auto m = model::create_model(run.name, run.params);
    run.params = m->params();
    const double start = monotonic_seconds();
    m->fit(d, s.train, model::FitOptions{});
    run.fit_seconds = monotonic_seconds() - start;
    EvalOptions o;
    o.ks = {10};
    o.compute_auc = false;
    o.compute_beyond_accuracy = false;
    run.metrics = evaluate_ranking(*m, masked, s.test, o);
  }

  std::printf("ml-100k, RecBole 8:1:1 split, seed 42: %zu train / %zu validation / %zu test\n", s.train.size(),
              s.validation.size(), s.test.size());
  std::printf("%-8s %8s %9s %8s %8s %8s  %s\n", "model", "ndcg@10", "recall@10", "mrr", "hit@10", "fit_s", "params");
  for (const ModelRun& run : runs) {
    const MetricMap& m = run.metrics;
    std::printf("%-8s %8.4f %9.4f %8.4f %8.4f %8.3f  %s\n", run.name.c_str(), m.at("ndcg@10"), m.at("recall@10"),
                m.at("mrr"), m.at("hit@10"), run.fit_seconds, run.params.dump().c_str());
  }

  const double popular = runs[0].metrics.at("ndcg@10");
  for (const ModelRun& run : runs) {
    if (run.name != "popular") {
      EXPECT_GT(run.metrics.at("ndcg@10"), popular) << run.name;
    }
    EXPECT_DOUBLE_EQ(run.metrics.at("users"), 943) << run.name;
  }
  EXPECT_GE(std::max(runs[1].metrics.at("ndcg@10"), runs[3].metrics.at("ndcg@10")), 0.30);
}

}  // namespace
}  // namespace tailor::eval
