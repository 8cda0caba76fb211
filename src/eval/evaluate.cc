// Offline evaluation of a fitted model: ranking metrics over held-out users
// and rating metrics over held-out ratings.
//
// evaluate_ranking, per test user u (in parallel, one score buffer per worker):
//   scores = model.score_user(u)                      (the kernel)
//   L_u    = model.collect(scores, train_u, n = max K) (the same collector as recommend)
// then every per-list metric of metrics.cc for each K, MRR over L_u, AUC over
// the full score vector, novelty per K and intra-list diversity for max K.
// Per-user values land in a table indexed by the user's position and are
// averaged sequentially afterwards, so results do not depend on thread count.
#include <algorithm>
#include <cmath>
#include <functional>

#include "tailor/eval/eval.h"

namespace tailor::eval {
namespace {

using dataset::CsrMatrix;

// Per-user columns: for each K {precision, recall, f1, ndcg, map, hit, novelty},
// then mrr, auc, diversity.
constexpr std::size_t kPerK = 7;
enum PerK : std::size_t { kPrecision, kRecall, kF1, kNdcg, kMap, kHit, kNovelty };

// cos(i, j) over the items' training user vectors (rows of item_users);
// 0 when either vector is empty.
double item_cosine(const CsrMatrix& item_users, const std::vector<double>& norms, std::uint32_t a,
                   std::uint32_t b) {
  if (norms[a] == 0 || norms[b] == 0) return 0;
  auto users_a = item_users.row_indices(a);
  auto users_b = item_users.row_indices(b);
  auto values_a = item_users.row_values(a);
  auto values_b = item_users.row_values(b);
  double dot = 0;
  std::size_t pos_a = 0, pos_b = 0;
  while (pos_a < users_a.size() && pos_b < users_b.size()) {
    if (users_a[pos_a] < users_b[pos_b]) {
      ++pos_a;
    } else if (users_b[pos_b] < users_a[pos_a]) {
      ++pos_b;
    } else {
      dot += static_cast<double>(values_a[pos_a++]) * values_b[pos_b++];
    }
  }
  return dot / (norms[a] * norms[b]);
}

// Produces user's ranked list (best first, at most max_k) into `top`, and may
// fill `scores` (size n_items) with the full score vector; returns whether it
// did (AUC needs the full vector).
using ListProducer = std::function<bool(std::uint32_t user, int worker, std::span<const std::uint32_t> seen,
                                        std::vector<float>& scores, std::vector<model::ScoredItem>& top)>;

// The one evaluation loop behind evaluate_ranking and evaluate_rankings.
MetricMap evaluate_lists(std::uint32_t n_users, std::uint32_t n_items, std::span<const dataset::Interaction> train,
                         std::span<const dataset::Interaction> test, const EvalOptions& options,
                         const ListProducer& produce) {
  std::vector<std::size_t> ks = options.ks;
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  TAILOR_CHECK_ARG(!ks.empty() && ks.front() > 0, "evaluate: ks must be a non-empty list of cut-offs > 0");
  const std::size_t max_k = ks.back();

  const CsrMatrix train_by_user = dataset::build_csr(train, n_users, n_items);
  const CsrMatrix item_users = train_by_user.transpose();
  std::vector<dataset::Interaction> relevant_rows;
  for (const auto& x : test) {
    const bool relevant = options.relevance_threshold <= 0 || !x.rating || *x.rating >= options.relevance_threshold;
    if (relevant) relevant_rows.push_back(x);
  }
  const CsrMatrix relevant_by_user = dataset::build_csr(relevant_rows, n_users, n_items);

  std::vector<std::uint32_t> users;
  for (std::uint32_t user_idx = 0; user_idx < n_users; ++user_idx)
    if (relevant_by_user.row_size(user_idx) > 0) users.push_back(user_idx);
  if (options.max_users > 0 && users.size() > options.max_users) {
    // Evenly spaced over the user index range: deterministic, no PRNG needed.
    std::vector<std::uint32_t> chosen;
    for (std::size_t pick = 0; pick < options.max_users; ++pick) chosen.push_back(users[pick * users.size() / options.max_users]);
    users = std::move(chosen);
  }

  std::vector<double> item_norms(n_items, 0.0);
  for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx) {
    double sum = 0;
    for (float v : item_users.row_values(item_idx)) sum += static_cast<double>(v) * v;
    item_norms[item_idx] = std::sqrt(sum);
  }
  // Self-information of an item, -log2(pop / |users|), pop clamped to >= 1.
  std::vector<double> self_info(n_items, 0.0);
  for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx) {
    const double pop = std::max<double>(1, item_users.row_size(item_idx));
    self_info[item_idx] = -std::log2(pop / std::max<double>(1, n_users));
  }

  const std::size_t stride = ks.size() * kPerK + 3;
  const std::size_t col_mrr = ks.size() * kPerK, col_auc = col_mrr + 1, col_div = col_mrr + 2;
  std::vector<double> table(users.size() * stride, 0.0);
  std::vector<std::uint32_t> lists(users.size() * max_k, 0);
  std::vector<std::uint32_t> list_sizes(users.size(), 0);

  const int workers = worker_count(options.threads, users.size());
  std::vector<std::vector<float>> score_buffers(static_cast<std::size_t>(workers));
  std::vector<std::vector<model::ScoredItem>> top_buffers(static_cast<std::size_t>(workers));
  bool any_full_scores = false;
  Progress progress("evaluate", users.size(), options.quiet);

  parallel_for_worker(0, users.size(), options.threads, [&](std::size_t row, int worker) {
    const std::uint32_t user = users[row];
    std::vector<float>& scores = score_buffers[static_cast<std::size_t>(worker)];
    std::vector<model::ScoredItem>& top = top_buffers[static_cast<std::size_t>(worker)];
    scores.resize(n_items);
    top.clear();
    const auto seen = train_by_user.row_indices(user);
    const auto relevant = relevant_by_user.row_indices(user);
    const bool full_scores = produce(user, worker, seen, scores, top);
    TAILOR_ASSERT(top.size() <= max_k);
    if (full_scores && row == 0) any_full_scores = true;

    std::uint32_t* list = lists.data() + row * max_k;
    for (std::size_t rank = 0; rank < top.size(); ++rank) list[rank] = top[rank].item;
    list_sizes[row] = static_cast<std::uint32_t>(top.size());
    const std::span<const std::uint32_t> ranked(list, top.size());
    double* values = table.data() + row * stride;

    for (std::size_t k_pos = 0; k_pos < ks.size(); ++k_pos) {
      const std::size_t k = ks[k_pos];
      double* at_k = values + k_pos * kPerK;
      at_k[kPrecision] = precision_at_k(ranked, relevant, k);
      at_k[kRecall] = recall_at_k(ranked, relevant, k);
      at_k[kF1] = f1_at_k(ranked, relevant, k);
      at_k[kNdcg] = ndcg_at_k(ranked, relevant, k);
      at_k[kMap] = map_at_k(ranked, relevant, k);
      at_k[kHit] = hit_rate_at_k(ranked, relevant, k);
      const std::size_t cut = std::min(k, ranked.size());
      double info = 0;
      for (std::size_t rank = 0; rank < cut; ++rank) info += self_info[ranked[rank]];
      at_k[kNovelty] = cut > 0 ? info / static_cast<double>(cut) : 0;
    }
    values[col_mrr] = reciprocal_rank(ranked, relevant);
    if (options.compute_auc && full_scores) values[col_auc] = auc(scores, relevant, seen);
    if (options.compute_beyond_accuracy && ranked.size() >= 2) {
      // ILD = mean over pairs a < b of (1 - cos(a, b))
      double sum = 0;
      std::size_t pairs = 0;
      for (std::size_t rank_a = 0; rank_a < ranked.size(); ++rank_a) {
        for (std::size_t rank_b = rank_a + 1; rank_b < ranked.size(); ++rank_b) {
          sum += 1.0 - item_cosine(item_users, item_norms, ranked[rank_a], ranked[rank_b]);
          ++pairs;
        }
      }
      values[col_div] = sum / static_cast<double>(pairs);
    }
    progress.add();
  });
  progress.finish();

  // Sequential reduction in user order.
  MetricMap out;
  const double n_eval = static_cast<double>(users.size());
  auto mean_of = [&](std::size_t col) {
    double sum = 0;
    for (std::size_t row = 0; row < users.size(); ++row) sum += table[row * stride + col];
    return users.empty() ? 0.0 : sum / n_eval;
  };
  for (std::size_t k_pos = 0; k_pos < ks.size(); ++k_pos) {
    const std::string at = "@" + std::to_string(ks[k_pos]);
    out["precision" + at] = mean_of(k_pos * kPerK + kPrecision);
    out["recall" + at] = mean_of(k_pos * kPerK + kRecall);
    out["f1" + at] = mean_of(k_pos * kPerK + kF1);
    out["ndcg" + at] = mean_of(k_pos * kPerK + kNdcg);
    out["map" + at] = mean_of(k_pos * kPerK + kMap);
    out["hit" + at] = mean_of(k_pos * kPerK + kHit);
  }
  out["mrr"] = mean_of(col_mrr);
  if (options.compute_auc && any_full_scores) out["auc"] = mean_of(col_auc);
  if (options.compute_beyond_accuracy) {
    for (std::size_t k_pos = 0; k_pos < ks.size(); ++k_pos) {
      const std::size_t k = ks[k_pos];
      std::vector<bool> covered(n_items, false);
      std::size_t distinct = 0;
      double novelty_sum = 0;
      std::size_t novelty_users = 0;
      for (std::size_t row = 0; row < users.size(); ++row) {
        const std::size_t cut = std::min<std::size_t>(k, list_sizes[row]);
        for (std::size_t rank = 0; rank < cut; ++rank) {
          const std::uint32_t item = lists[row * max_k + rank];
          if (!covered[item]) {
            covered[item] = true;
            ++distinct;
          }
        }
        if (cut > 0) {
          novelty_sum += table[row * stride + k_pos * kPerK + kNovelty];
          ++novelty_users;
        }
      }
      const std::string at = "@" + std::to_string(k);
      out["coverage" + at] = n_items > 0 ? static_cast<double>(distinct) / n_items : 0;
      out["novelty" + at] = novelty_users > 0 ? novelty_sum / static_cast<double>(novelty_users) : 0;
    }
    double diversity_sum = 0;
    std::size_t diversity_users = 0;
    for (std::size_t row = 0; row < users.size(); ++row) {
      if (list_sizes[row] < 2) continue;
      diversity_sum += table[row * stride + col_div];
      ++diversity_users;
    }
    out["diversity@" + std::to_string(max_k)] =
        diversity_users > 0 ? diversity_sum / static_cast<double>(diversity_users) : 0;
  }
  out["users"] = n_eval;
  return out;
}

}  // namespace

MetricMap evaluate_ranking(const model::Recommender& model, std::span<const dataset::Interaction> train,
                           std::span<const dataset::Interaction> test, const EvalOptions& options) {
  model::RecommendOptions recommend_options;
  recommend_options.exclude_seen = options.exclude_seen;
  std::size_t max_k = 0;
  for (std::size_t k : options.ks) max_k = std::max(max_k, k);
  recommend_options.n = max_k;
  std::vector<bool> trained;
  if (options.cold_items_only) {
    trained.assign(model.item_count(), false);
    for (const auto& x : train)
      if (x.item < trained.size()) trained[x.item] = true;
    recommend_options.filter = [&trained](std::uint32_t item) { return !trained[item]; };
  }
  return evaluate_lists(model.user_count(), model.item_count(), train, test, options,
                        [&](std::uint32_t user, int, std::span<const std::uint32_t> seen, std::vector<float>& scores,
                            std::vector<model::ScoredItem>& top) {
                          model.score_user(user, scores);
                          top = model.collect(scores, seen, recommend_options);
                          return true;
                        });
}

MetricMap evaluate_rankings(const Rankings& rankings, std::uint32_t n_items,
                            std::span<const dataset::Interaction> train, std::span<const dataset::Interaction> test,
                            const EvalOptions& options) {
  std::size_t max_k = 0;
  for (std::size_t k : options.ks) max_k = std::max(max_k, k);
  for (const auto& list : rankings)
    for (std::uint32_t item : list) TAILOR_CHECK_ARG(item < n_items, "rankings: item index out of range");
  return evaluate_lists(static_cast<std::uint32_t>(rankings.size()), n_items, train, test, options,
                        [&](std::uint32_t user, int, std::span<const std::uint32_t> seen, std::vector<float>&,
                            std::vector<model::ScoredItem>& top) {
                          // Same rules as the collector: seen items out when asked, no repeats.
                          float score = static_cast<float>(max_k);
                          for (std::uint32_t item : rankings[user]) {
                            if (top.size() == max_k) break;
                            if (options.exclude_seen && std::binary_search(seen.begin(), seen.end(), item)) continue;
                            bool repeat = false;
                            for (const auto& t : top) repeat = repeat || t.item == item;
                            if (!repeat) top.push_back({item, score--});
                          }
                          return false;
                        });
}

MetricMap evaluate_rating(const model::Recommender& model, std::span<const dataset::Interaction> test) {
  TAILOR_CHECK_ARG(model.predicts_ratings(), "evaluate: model '" + model.name() + "' does not predict ratings");
  std::vector<double> predicted;
  std::vector<double> actual;
  for (const auto& x : test) {
    if (!x.rating) continue;
    std::optional<float> p = model.predict(x.user, x.item);
    if (!p) continue;
    predicted.push_back(*p);
    actual.push_back(*x.rating);
  }
  MetricMap out;
  out["rated"] = static_cast<double>(predicted.size());
  if (!predicted.empty()) {
    out["rmse"] = rmse(predicted, actual);
    out["mae"] = mae(predicted, actual);
  }
  return out;
}

}  // namespace tailor::eval
