// "rp3beta": random walks of length three on the user-item graph with a
// popularity penalty (Paudel, Christoffel, Newell, Bernstein 2016; the
// variant of Dacrema et al. 2019's RP3beta).
//
// Transition probabilities from the training weights w, raised to α:
//   P_ui = (w_ui / Σ_j w_uj)^α        user -> item
//   P_iu = (w_ui / Σ_v w_vi)^α        item -> user
// Item-item weights, the two-step walk i -> u -> j damped by the popularity
// pop(j) = number of training users of j:
//   W_ij = Σ_u P_iu · P_uj / pop(j)^β        (j ≠ i)
// Each item keeps its `neighbors` largest W_ij. Scoring a history h with
// weights w (a known user: their training row) is the third step:
//   score(j) = Σ_{i ∈ h} (w_i / Σ_{h} w)^α · W_ij
// Items reached by no neighbour list score -infinity; history entries with
// weight <= 0 are ignored. With α = 1, β = 0 and no pruning, W is exactly the
// two-step walk probability and score(j) the three-step one.
//
// Training is parallel over items like detail::cosine_neighbors (one dense
// accumulator per worker) and deterministic for any thread count.
//
// Tuning (ml-100k, RecBole 8:1:1 split, seed 42; NDCG@10 validation / test):
//   α \ β (k 200)  0.2             0.4             0.6             0.7 (k 100)
//   0.5            0.210 / 0.251   0.220 / 0.269   0.231 / 0.281   -
//   0.8            0.213 / 0.257   0.226 / 0.277   0.237 / 0.295   0.222 / 0.279
//   1.0            0.212 / 0.253   0.224 / 0.274   0.237 / 0.290   0.208 / 0.259
// β >= 0.9 pushes the catalogue's tail to the top (NDCG@10 < 0.01); k = 50
// is within 0.01 of k = 200. Defaults α = 0.8, β = 0.6, k = 200.
//
// Payload: the neighbour matrix W (items x items CSR).
#include <algorithm>
#include <cmath>
#include <limits>

#include "models.h"

namespace tailor::model {
namespace {

constexpr float kUnknown = -std::numeric_limits<float>::infinity();

// m with each row scaled to sum 1 and every value raised to `alpha`.
CsrMatrix transition_matrix(const CsrMatrix& m, double alpha) {
  CsrMatrix out = m;
  for (std::uint32_t row_idx = 0; row_idx < m.rows; ++row_idx) {
    double sum = 0;
    for (float v : m.row_values(row_idx)) sum += v;
    for (std::uint64_t pos = m.indptr[row_idx]; pos < m.indptr[row_idx + 1]; ++pos)
      out.values[pos] = sum > 0 ? static_cast<float>(std::pow(m.values[pos] / sum, alpha)) : 0.0f;
  }
  return out;
}

class Rp3Beta final : public Recommender {
 public:
  explicit Rp3Beta(const Params& params)
      : params_(detail::resolve_params("rp3beta", detail::rp3beta_param_specs(), params)),
        alpha_(params_["alpha"].get<double>()),
        beta_(params_["beta"].get<double>()),
        neighbors_(params_["neighbors"].get<std::size_t>()) {}

  std::string name() const override { return "rp3beta"; }
  Params params() const override { return params_; }

  std::vector<ScoredItem> similar_items(std::uint32_t item, std::size_t n) const override {
    TAILOR_CHECK_ARG(item < item_count(), "similar_items: item index " + std::to_string(item) + " out of range");
    return detail::best_of_row(similarity_, item, n, item);
  }

 protected:
  void score(std::optional<std::uint32_t> /*user*/, std::span<const std::uint32_t> history_items,
             std::span<const float> history_weights, std::span<float> scores) const override {
    std::fill(scores.begin(), scores.end(), kUnknown);
    double total = 0;
    for (float w : history_weights)
      if (w > 0) total += w;
    for (std::size_t pos = 0; pos < history_items.size(); ++pos) {
      if (!(history_weights[pos] > 0)) continue;
      const auto p_ui = static_cast<float>(std::pow(history_weights[pos] / total, alpha_));
      auto neighbor_items = similarity_.row_indices(history_items[pos]);
      auto neighbor_weights = similarity_.row_values(history_items[pos]);
      for (std::size_t pos_n = 0; pos_n < neighbor_items.size(); ++pos_n) {
        float& s = scores[neighbor_items[pos_n]];
        if (s == kUnknown) s = 0;
        s += p_ui * neighbor_weights[pos_n];
      }
    }
  }

  void fit_model(const CsrMatrix& user_items, std::span<const dataset::Interaction> /*train*/,
                 const FitOptions& options) override {
    const CsrMatrix item_users = user_items.transpose();
    const CsrMatrix user_to_item = transition_matrix(user_items, alpha_);
    const CsrMatrix item_to_user = transition_matrix(item_users, alpha_);
    const std::uint32_t n_items = user_items.cols;
    std::vector<double> penalty(n_items, 0.0);  // pop(j)^-β
    for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx) {
      const std::uint32_t pop = item_users.row_size(item_idx);
      if (pop > 0) penalty[item_idx] = std::pow(static_cast<double>(pop), -beta_);
    }

    struct Scratch {
      std::vector<double> acc;
      std::vector<std::uint32_t> touched;
      std::vector<std::uint8_t> seen;
    };
    std::vector<Scratch> scratch(static_cast<std::size_t>(worker_count(options.threads, n_items)));
    std::vector<std::vector<ScoredItem>> neighbors(n_items);
    Progress progress("rp3beta", n_items, options.quiet);
    parallel_for_worker(0, n_items, options.threads, [&](std::size_t index, int worker) {
      const auto item_i = static_cast<std::uint32_t>(index);
      Scratch& s = scratch[static_cast<std::size_t>(worker)];
      if (s.acc.empty()) {
        s.acc.assign(n_items, 0.0);
        s.seen.assign(n_items, 0);
      }
      auto users = item_to_user.row_indices(item_i);
      auto p_iu = item_to_user.row_values(item_i);
      for (std::size_t pos_u = 0; pos_u < users.size(); ++pos_u) {
        auto items = user_to_item.row_indices(users[pos_u]);
        auto p_uj = user_to_item.row_values(users[pos_u]);
        for (std::size_t pos_j = 0; pos_j < items.size(); ++pos_j) {
          const std::uint32_t item_j = items[pos_j];
          if (!s.seen[item_j]) {
            s.seen[item_j] = 1;
            s.touched.push_back(item_j);
          }
          s.acc[item_j] += static_cast<double>(p_iu[pos_u]) * p_uj[pos_j];
        }
      }
      TopK top(neighbors_);
      for (std::uint32_t item_j : s.touched) {
        const double w_ij = s.acc[item_j] * penalty[item_j];
        s.acc[item_j] = 0.0;
        s.seen[item_j] = 0;
        if (item_j != item_i && w_ij > 0) top.push(item_j, static_cast<float>(w_ij));
      }
      s.touched.clear();
      std::vector<ScoredItem> kept = top.take();
      std::sort(kept.begin(), kept.end(), [](const ScoredItem& x, const ScoredItem& y) { return x.item < y.item; });
      neighbors[item_i] = std::move(kept);
      progress.add();
    });
    progress.finish();

    similarity_ = CsrMatrix{};
    similarity_.rows = n_items;
    similarity_.cols = n_items;
    similarity_.indptr.assign(static_cast<std::size_t>(n_items) + 1, 0);
    for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx)
      similarity_.indptr[item_idx + 1] = similarity_.indptr[item_idx] + neighbors[item_idx].size();
    similarity_.indices.reserve(similarity_.indptr.back());
    similarity_.values.reserve(similarity_.indptr.back());
    for (auto& row : neighbors) {
      for (const ScoredItem& neighbor : row) {
        similarity_.indices.push_back(neighbor.item);
        similarity_.values.push_back(neighbor.score);
      }
      std::vector<ScoredItem>().swap(row);
    }
  }

  void save_payload(std::ostream& out) const override { io::write_csr(out, similarity_); }

  void load_payload(std::istream& in, std::uint32_t /*format_version*/) override {
    similarity_ = io::read_csr(in);
    if (similarity_.rows != item_count() || similarity_.cols != item_count())
      throw_error(ErrorCode::kCorruption, "model file: rp3beta: neighbour matrix does not match the items");
  }

 private:
  Params params_;
  double alpha_;
  double beta_;
  std::size_t neighbors_;
  CsrMatrix similarity_;  // items x items, row i = the kept W_ij
};

}  // namespace

namespace detail {

std::vector<ParamSpec> rp3beta_param_specs() {
  return {
      {"alpha", ParamSpec::Kind::kDouble, 0.8, 0, 10,
       "exponent on the transition probabilities (1 = plain random walk)"},
      {"beta", ParamSpec::Kind::kDouble, 0.6, 0, 10,
       "popularity penalty: the walk's arrival weight at item j is divided by pop(j)^beta"},
      {"neighbors", ParamSpec::Kind::kInt, 200, 1, 100000, "largest item-item weights kept per item"},
  };
}

std::unique_ptr<Recommender> make_rp3beta(const Params& params) { return std::make_unique<Rp3Beta>(params); }

}  // namespace detail
}  // namespace tailor::model
