// Exact (FlatIndex) against approximate (HnswIndex) search, by catalogue size:
// build time, single-thread queries/s and recall@k, to find the catalogue
// size above which HNSW at recall >= 0.95 answers faster than brute force
// (make_index's exact_below). bench/ann_bench.py runs this binary and
// hnswlib on the same vectors and prints the ratios.
//
//   ann_bench [--sizes 1000,5000,10000,20000,50000,100000] [--dim 384]
//             [--queries 200] [--k 10] [--m 16] [--ef-construction 200]
//             [--efs 16,32,64,128,256,512] [--data clustered|uniform]
//             [--clusters 100] [--seed 1] [--vectors FILE] [--json FILE]
//
// --vectors reads "TVEC", u32 rows, u32 queries, u32 dim, then rows*dim and
// queries*dim float32 (little-endian); otherwise vectors are generated.
// The HNSW graph is grown by appending: since insertion is sequential and
// deterministic, the graph after the first n rows is exactly the graph a
// fresh build of those n rows gives, and the build time of size n is the
// cumulative insertion time.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tailor/ann/ann.h"
#include "tailor/core/core.h"

namespace {

using tailor::monotonic_seconds;
namespace ann = tailor::ann;

struct Args {
  std::vector<std::size_t> sizes = {1000, 5000, 10000, 20000, 50000, 100000};
  int dim = 384;
  std::size_t queries = 200;
  std::size_t k = 10;
  int m = 16;
  int ef_construction = 200;
  std::vector<int> efs = {16, 32, 64, 128, 256, 512};
  std::string data = "clustered";
  int clusters = 100;
  std::uint64_t seed = 1;
  std::string vectors;
  std::string json;
};

template <typename T>
std::vector<T> parse_list(const std::string& text) {
  std::vector<T> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(static_cast<T>(std::stoll(item)));
  return out;
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) tailor::throw_error(tailor::ErrorCode::kInvalidArgument, "missing value for " + flag);
    const std::string value = argv[++i];
    if (flag == "--sizes") a.sizes = parse_list<std::size_t>(value);
    else if (flag == "--dim") a.dim = std::stoi(value);
    else if (flag == "--queries") a.queries = std::stoul(value);
    else if (flag == "--k") a.k = std::stoul(value);
    else if (flag == "--m") a.m = std::stoi(value);
    else if (flag == "--ef-construction") a.ef_construction = std::stoi(value);
    else if (flag == "--efs") a.efs = parse_list<int>(value);
    else if (flag == "--data") a.data = value;
    else if (flag == "--clusters") a.clusters = std::stoi(value);
    else if (flag == "--seed") a.seed = std::stoull(value);
    else if (flag == "--vectors") a.vectors = value;
    else if (flag == "--json") a.json = value;
    else tailor::throw_error(tailor::ErrorCode::kInvalidArgument, "unknown flag " + flag);
  }
  std::sort(a.sizes.begin(), a.sizes.end());
  return a;
}

void normalise(float* row, int dim) {
  double norm = 0.0;
  for (int d = 0; d < dim; ++d) norm += static_cast<double>(row[d]) * row[d];
  const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (int d = 0; d < dim; ++d) row[d] *= inv;
}

// Rows then queries, all unit. "clustered": a mixture of `clusters` random
// unit centres with gaussian spread 0.04 per coordinate (within-cluster
// cosine ~0.6, like sentence embeddings of one category); "uniform": isotropic.
std::vector<float> generate(const Args& a, std::size_t n) {
  std::mt19937_64 rng(a.seed);
  std::normal_distribution<float> normal;
  const auto d = static_cast<std::size_t>(a.dim);
  std::vector<float> centres(static_cast<std::size_t>(a.clusters) * d);
  for (auto& v : centres) v = normal(rng);
  for (int c = 0; c < a.clusters; ++c) normalise(centres.data() + c * d, a.dim);
  std::uniform_int_distribution<int> pick(0, a.clusters - 1);
  std::vector<float> out(n * d);
  for (std::size_t r = 0; r < n; ++r) {
    float* row = out.data() + r * d;
    if (a.data == "uniform") {
      for (std::size_t j = 0; j < d; ++j) row[j] = normal(rng);
    } else {
      const float* centre = centres.data() + static_cast<std::size_t>(pick(rng)) * d;
      for (std::size_t j = 0; j < d; ++j) row[j] = centre[j] + 0.04f * normal(rng);
    }
    normalise(row, a.dim);
  }
  return out;
}

void load_vectors(Args& a, std::vector<float>& rows, std::vector<float>& queries) {
  std::ifstream in(a.vectors, std::ios::binary);
  if (!in) tailor::throw_error(tailor::ErrorCode::kIO, "cannot open " + a.vectors);
  char magic[4];
  std::uint32_t n = 0, nq = 0, dim = 0;
  in.read(magic, 4);
  in.read(reinterpret_cast<char*>(&n), 4);
  in.read(reinterpret_cast<char*>(&nq), 4);
  in.read(reinterpret_cast<char*>(&dim), 4);
  if (!in || std::memcmp(magic, "TVEC", 4) != 0)
    tailor::throw_error(tailor::ErrorCode::kCorruption, a.vectors + ": not a TVEC file");
  a.dim = static_cast<int>(dim);
  a.queries = nq;
  rows.resize(static_cast<std::size_t>(n) * dim);
  queries.resize(static_cast<std::size_t>(nq) * dim);
  in.read(reinterpret_cast<char*>(rows.data()), static_cast<std::streamsize>(rows.size() * 4));
  in.read(reinterpret_cast<char*>(queries.data()), static_cast<std::streamsize>(queries.size() * 4));
  if (!in) tailor::throw_error(tailor::ErrorCode::kCorruption, a.vectors + ": truncated");
  while (!a.sizes.empty() && a.sizes.back() > n) a.sizes.pop_back();
}

double recall(const std::vector<std::vector<ann::Hit>>& truth, const std::vector<std::vector<ann::Hit>>& found) {
  double total = 0.0;
  for (std::size_t q = 0; q < truth.size(); ++q) {
    std::set<std::uint32_t> want;
    for (const auto& h : truth[q]) want.insert(h.id);
    std::size_t got = 0;
    for (const auto& h : found[q]) got += want.count(h.id);
    total += static_cast<double>(got) / static_cast<double>(std::max<std::size_t>(1, truth[q].size()));
  }
  return total / static_cast<double>(truth.size());
}

// One query at a time on one thread (a serving request's latency path);
// returns queries per second, best of 3 passes (the machine is shared), and
// fills `out`.
double time_queries(const ann::Index& index, const std::vector<float>& queries, std::size_t nq, int dim,
                    const ann::SearchOptions& options, std::vector<std::vector<ann::Hit>>& out) {
  out.assign(nq, {});
  double best = 0.0;
  for (int pass = 0; pass < 3; ++pass) {
    const double start = monotonic_seconds();
    for (std::size_t q = 0; q < nq; ++q)
      out[q] = index.search_with(std::span<const float>(queries).subspan(q * dim, dim), options);
    best = std::max(best, static_cast<double>(nq) / (monotonic_seconds() - start));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) try {
  Args a = parse_args(argc, argv);
  std::vector<float> rows, queries;
  if (!a.vectors.empty()) {
    load_vectors(a, rows, queries);
  } else {
    auto all = generate(a, a.sizes.back() + a.queries);
    queries.assign(all.end() - static_cast<std::ptrdiff_t>(a.queries * a.dim), all.end());
    all.resize(a.sizes.back() * a.dim);
    rows = std::move(all);
  }
  const auto d = static_cast<std::size_t>(a.dim);
  std::FILE* json = a.json.empty() ? nullptr : std::fopen(a.json.c_str(), "w");

  ann::HnswOptions hnsw_options;
  hnsw_options.m = a.m;
  hnsw_options.ef_construction = a.ef_construction;
  auto hnsw = ann::make_hnsw_index(a.dim, hnsw_options);
  double hnsw_build = 0.0;

  std::printf("ANN bench: dim %d, %zu queries, k %zu, data %s, HNSW M %d efC %d, 1 thread\n", a.dim, a.queries, a.k,
              a.vectors.empty() ? a.data.c_str() : a.vectors.c_str(), a.m, a.ef_construction);
  std::printf("%8s %9s %10s %12s %9s | %5s %7s %10s %8s\n", "rows", "flat q/s", "flat-b q/s", "hnsw build s", "bytes/row",
              "ef", "recall", "hnsw q/s", "vs flat");
  for (std::size_t n : a.sizes) {
    const auto prefix = std::span<const float>(rows).first(n * d);
    auto flat = ann::make_flat_index(a.dim);
    flat->add(prefix);
    {
      const double start = monotonic_seconds();
      hnsw->add(prefix.subspan(hnsw->size() * d));
      hnsw_build += monotonic_seconds() - start;
    }
    ann::SearchOptions options;
    options.k = a.k;
    std::vector<std::vector<ann::Hit>> truth, found;
    const double flat_qps = time_queries(*flat, queries, a.queries, a.dim, options, truth);
    double flat_batch_qps = 0.0;
    for (int pass = 0; pass < 3; ++pass) {
      const double batch_start = monotonic_seconds();
      flat->search_batch(queries, options, 1);
      flat_batch_qps = std::max(flat_batch_qps, static_cast<double>(a.queries) / (monotonic_seconds() - batch_start));
    }
    const double bytes_per_row = static_cast<double>(hnsw->serialize().size()) / static_cast<double>(n);
    bool first = true;
    for (int ef : a.efs) {
      options.ef = ef;
      const double qps = time_queries(*hnsw, queries, a.queries, a.dim, options, found);
      const double r = recall(truth, found);
      if (first) {
        std::printf("%8zu %9.0f %10.0f %12.2f %9.0f | %5d %7.4f %10.0f %7.2fx\n", n, flat_qps, flat_batch_qps,
                    hnsw_build, bytes_per_row, ef, r, qps, qps / flat_qps);
      } else {
        std::printf("%8s %9s %10s %12s %9s | %5d %7.4f %10.0f %7.2fx\n", "", "", "", "", "", ef, r, qps,
                    qps / flat_qps);
      }
      first = false;
      if (json) {
        std::fprintf(json,
                     "{\"rows\": %zu, \"flat_qps\": %.1f, \"flat_batch_qps\": %.1f, \"hnsw_build_s\": %.3f, "
                     "\"ef\": %d, \"recall\": %.4f, \"hnsw_qps\": %.1f}\n",
                     n, flat_qps, flat_batch_qps, hnsw_build, ef, r, qps);
      }
    }
    std::fflush(stdout);
  }
  if (json) std::fclose(json);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ann_bench: %s\n", e.what());
  return 1;
}
