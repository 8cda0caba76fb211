// Micro benchmarks of the ALS kernels (src/model/dense.h): one conjugate-
// gradient row solve for a light row (5 interactions, typical of items in a
// long tail) and a heavy one (100), the Gram matrix, and a whole ALS fit on a
// synthetic matrix. The vectorised solver runs next to its plain reference.
//
//   build-*/bench/micro_als --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include "dense.h"
#include "models.h"

namespace tailor::model {
namespace {

struct RowFixture {
  detail::DenseRows items;
  std::vector<float> gram;
  std::vector<std::uint32_t> indices;
  std::vector<float> weights;
  std::vector<float> x;

  RowFixture(std::uint32_t factors, std::uint32_t nnz) {
    dataset::Rng rng(1);
    items = detail::random_rows(5000, factors, -0.1f, 0.1f, rng);
    gram = detail::gram(items, 1.0f, 1);
    for (std::uint32_t pos = 0; pos < nnz; ++pos) {
      indices.push_back(static_cast<std::uint32_t>(rng.below(items.rows)));
      weights.push_back(1.0f);
    }
    std::sort(indices.begin(), indices.end());
    x = detail::random_rows(1, factors, 0.0f, 0.01f, rng).values;
  }
};

void BM_CgSolve(benchmark::State& state) {
  const auto factors = static_cast<std::uint32_t>(state.range(0));
  RowFixture f(factors, static_cast<std::uint32_t>(state.range(1)));
  detail::AlsRow row{f.gram.data(), &f.items, f.indices, f.weights, 3.0f};
  for (auto _ : state) {
    std::vector<float> x = f.x;
    detail::als_cg_solve(row, factors, 3, x.data());
    benchmark::DoNotOptimize(x.data());
  }
}
BENCHMARK(BM_CgSolve)->Args({64, 5})->Args({64, 100})->Args({128, 5})->Args({48, 5});

void BM_CgSolveReference(benchmark::State& state) {
  const auto factors = static_cast<std::uint32_t>(state.range(0));
  RowFixture f(factors, static_cast<std::uint32_t>(state.range(1)));
  detail::AlsRow row{f.gram.data(), &f.items, f.indices, f.weights, 3.0f};
  for (auto _ : state) {
    std::vector<float> x = f.x;
    detail::als_cg_solve_reference(row, factors, 3, x.data());
    benchmark::DoNotOptimize(x.data());
  }
}
BENCHMARK(BM_CgSolveReference)->Args({64, 5})->Args({64, 100});

void BM_Gram(benchmark::State& state) {
  dataset::Rng rng(2);
  detail::DenseRows m = detail::random_rows(20000, 64, -0.1f, 0.1f, rng);
  for (auto _ : state) benchmark::DoNotOptimize(detail::gram(m, 1.0f, 1).data());
  state.SetItemsProcessed(state.iterations() * m.rows);
}
BENCHMARK(BM_Gram);

// A whole fit: 20000 users x 5000 items, ~40 interactions per user.
void BM_AlsFit(benchmark::State& state) {
  dataset::Rng rng(3);
  std::vector<dataset::Interaction> xs;
  for (std::uint32_t user_idx = 0; user_idx < 20000; ++user_idx)
    for (int pos = 0; pos < 40; ++pos)
      xs.push_back({user_idx, static_cast<std::uint32_t>(rng.below(rng.below(5000) + 1)), 1.0f, 0});
  Dataset d = dataset::make_dataset(20000, 5000, xs);
  for (auto _ : state) {
    auto m = create_model("als", Params{{"iterations", 3}});
    FitOptions o;
    o.threads = static_cast<int>(state.range(0));
    m->fit(d, d.interactions, o);
    benchmark::DoNotOptimize(m.get());
  }
}
BENCHMARK(BM_AlsFit)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tailor::model

BENCHMARK_MAIN();
