// "hybrid": a learned blend of candidate sources, MMR diversity and
// attribute cold start.
//
// Sources (each scores every item; scores are min-max scaled to [0, 1] per
// query, items a source knows nothing about are left out of its term):
//   itemknn, userknn, als (only when registered), bm25, popular — nested
//   models fitted on the same training data; latest — ItemMeta::created_at;
//   segment — popular-in-segment from user attributes, see below;
//   embedding — only when the dataset carries item text vectors
//   (Dataset::item_vectors, from `tailor embed-items`): the cosine of an item's
//   vector to the user's recency-weighted mean vector (embedding.h). It is a
//   language-model signal that needs no events on the item.
// Blend, for weights w (warm: the query has a history; cold: it has none):
//   score(j) = Σ_s w_s · x_s(j)   (-infinity when no weighted source knows j)
// Cold items: with cold_item_fill, an item with no training users takes its
// bm25 score (the embedding score with cold_fill_embedding and item vectors)
// in place of each collaborative source's (itemknn, userknn, als), so a new
// item that only has text competes on its text alone. bm25 is the default
// fill: on the demo's held-out items (cold-items split, 20 %, seed 42) bm25
// fill gave NDCG@10 0.455 and embedding fill 0.354 (bench/content_bench.py).
//
// Learning the weights (fit): a validation part is carved from the training
// data (per user, a random validation_fraction of each user's interactions,
// users with >= 2; seeded by FitOptions::seed); every source is fitted on the
// rest; for up to max_validation_users validation users the scaled scores of
// the union of every source's top `candidates` unseen items are kept; then
// coordinate ascent over the grid kWeightGrid, starting from the best single
// source, maximises mean NDCG@10 on those candidates (ties keep the current
// weight, so the blend is never below the best single source on validation).
// Cold weights are learned the same way over popular, latest and segment (a
// validation user scored from attributes alone). Finally every source is
// refitted on all the training data; the weights are normalised to sum 1.
//
// Segment popularity (segments.h): every user attribute value with enough
// active users is a segment ("gender=female", "age#2" = a quantile bin);
// seg(j | S) is a naive-Bayes popularity of j given the segments S — those of
// RecommendOptions::user_attributes when given, else the known user's stored
// attributes; no segments = plain popularity.
//
// Diversity: with diversity_lambda = d > 0, collect() takes the best
// max(4n, n + 20) items through the shared collector (every filter applies) and
// re-ranks them with mmr_rerank(λ = 1 − d), sim = cosine of the bm25 text
// vectors, or the Jaccard overlap of categories for items without text.
//
// Payload: u32 S + S source names; f32 array warm weights; f32 array cold
// weights; per source u32 present (+ string: the nested model file);
// f32 array latest (scaled, NaN = unknown); the segment table
// (SegmentTable::save); string report (JSON, see detail::hybrid_report).
// The embedding source is stored in the per-source slot as present = 1 +
// EmbeddingScorer::save (vectors and user taste vectors); files without that
// source (all files before it existed) read unchanged.
// Nested model files repeat the id maps and history: simple, and a few MB on
// ml-100k; a model-free payload would need access to other models' payloads.
//
// Tuning (NDCG@10; als is the best single source on both):
//   demo, random 80/20, seeds 42 / 1 / 2 / 3:  als 0.361 0.352 0.341 0.359
//     hybrid 0.365 0.358 0.352 0.366 (validation_fraction 0.2; 0.1: 0.371 0.356 0.349 0.361)
//   ml-100k, RecBole 8:1:1, seeds 42 / 1 / 2:  als 0.325 0.328 0.328
//     hybrid 0.319 0.329 0.331 (validation_fraction 0.2; 0.1: 0.323 0.328 0.331)
//   Scaling the sources by z-score or reciprocal rank instead of min-max moved
//   these by under ±0.005 (noise), so the simplest stays.
#include <algorithm>
#include <cmath>
#include <limits>

#include "embedding.h"
#include "models.h"
#include "segments.h"
#include "text_index.h"

namespace tailor::model {
namespace {

constexpr float kUnknown = -std::numeric_limits<float>::infinity();
constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();  // "source knows nothing"
constexpr std::size_t kNdcgCut = 10;
constexpr float kWeightGrid[] = {0, 0.05f, 0.1f, 0.2f, 0.3f, 0.5f, 0.7f, 1, 1.5f, 2, 3, 5};
constexpr int kMaxAscentRounds = 5;

enum class SourceKind { kModel, kLatest, kSegment, kEmbedding };

struct SourceInfo {
  SourceKind kind = SourceKind::kModel;
  bool collaborative = false;  // filled from bm25 for cold items
  bool cold = false;           // usable without a history
};

std::optional<SourceInfo> describe_source(const std::string& name) {
  if (name == "itemknn" || name == "userknn" || name == "als") return SourceInfo{SourceKind::kModel, true, false};
  if (name == "bm25") return SourceInfo{SourceKind::kModel, false, false};
  if (name == "popular") return SourceInfo{SourceKind::kModel, false, true};
  if (name == "latest") return SourceInfo{SourceKind::kLatest, false, true};
  if (name == "segment") return SourceInfo{SourceKind::kSegment, false, true};
  if (name == "embedding") return SourceInfo{SourceKind::kEmbedding, false, false};
  return std::nullopt;
}

// The sources of a new fit: als joins when another engineer's model is
// registered, embedding when the dataset carries item text vectors (and
// use_embedding is on).
std::vector<std::string> default_sources(const Dataset& dataset, bool use_embedding) {
  std::vector<std::string> names = {"itemknn", "userknn"};
  const auto registered = model_names();
  if (std::find(registered.begin(), registered.end(), "als") != registered.end()) names.push_back("als");
  for (const char* name : {"bm25", "popular", "latest", "segment"}) names.emplace_back(name);
  if (use_embedding && !dataset.item_vectors.empty() && dataset.item_vectors.rows.size() ==
      std::size_t{dataset.item_count()} * dataset.item_vectors.dim)
    names.emplace_back("embedding");
  return names;
}

[[noreturn]] void corrupt(const std::string& what) { throw_error(ErrorCode::kCorruption, "model file: hybrid: " + what); }

// Min-max scales the finite scores to [0, 1] (1 when they are all equal);
// everything else becomes kMissing.
void scale_unit(std::span<float> scores) {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
  for (float s : scores) {
    if (!std::isfinite(s)) continue;
    lo = std::min(lo, s);
    hi = std::max(hi, s);
  }
  const float range = hi - lo;
  for (float& s : scores) {
    if (!std::isfinite(s)) {
      s = kMissing;
    } else {
      s = range > 0 ? (s - lo) / range : 1.0f;
    }
  }
}

// --------------------------------------------------------------- sources ---

// One query as the sources see it.
struct Query {
  std::optional<std::uint32_t> user;
  std::span<const std::uint32_t> items;
  std::span<const float> weights;
  std::span<const std::uint32_t> segments;
};

// The fitted sources of one blend. Const methods are thread-safe.
struct Sources {
  std::vector<std::string> names;
  std::vector<SourceInfo> infos;
  std::vector<std::unique_ptr<Recommender>> models;  // null for latest / segment, or when not kept
  std::vector<float> latest;                         // scaled created_at, kMissing when unknown
  detail::SegmentTable segments;
  std::vector<std::uint32_t> item_users;  // training users per item
  detail::EmbeddingScorer embedding;       // fitted when "embedding" is a source
  bool cold_item_fill = true;
  bool cold_fill_embedding = true;

  std::optional<std::size_t> find(const std::string& name) const {
    for (std::size_t pos = 0; pos < names.size(); ++pos)
      if (names[pos] == name) return pos;
    return std::nullopt;
  }

  // The source cold items take their score from: embedding when fitted (and
  // cold_fill_embedding), else bm25 when kept; nullopt when neither.
  std::optional<std::size_t> fill_source() const {
    if (cold_fill_embedding)
      if (auto s = find("embedding"); s && !embedding.empty()) return s;
    if (auto s = find("bm25"); s && models[*s]) return s;
    return std::nullopt;
  }

  // Scaled scores of the sources with wanted[s] into vectors[s] (each
  // item_count long, kMissing = unknown), cold items filled from the fill source.
  void scaled(const Query& query, const std::vector<bool>& wanted, std::vector<std::vector<float>>& vectors) const {
    const std::size_t n_items = item_users.size();
    const std::optional<std::size_t> text = fill_source();
    bool fill = false;
    if (cold_item_fill && text)
      for (std::size_t s = 0; s < names.size(); ++s) fill = fill || (wanted[s] && infos[s].collaborative);
    vectors.resize(names.size());
    auto compute = [&](std::size_t s) {
      std::vector<float>& out = vectors[s];
      out.assign(n_items, kMissing);
      switch (infos[s].kind) {
        case SourceKind::kModel:
          if (!models[s]) return;
          if (query.user) {
            models[s]->score_user(*query.user, out);
          } else {
            models[s]->score_history(query.items, query.weights, out);
          }
          break;
        case SourceKind::kLatest:
          std::copy(latest.begin(), latest.end(), out.begin());
          break;
        case SourceKind::kSegment:
          segments.score(query.segments, out);
          break;
        case SourceKind::kEmbedding:
          if (embedding.empty()) return;
          if (query.user) {
            embedding.score_user(*query.user, out);
          } else {
            embedding.score_history(query.items, query.weights, out);
          }
          break;
      }
      scale_unit(out);
    };
    if (fill) compute(*text);
    for (std::size_t s = 0; s < names.size(); ++s) {
      if (!wanted[s] || (fill && s == *text)) continue;
      compute(s);
      if (fill && infos[s].collaborative)
        for (std::size_t item_idx = 0; item_idx < n_items; ++item_idx)
          if (item_users[item_idx] == 0) vectors[s][item_idx] = vectors[*text][item_idx];
    }
  }

  // score(j) = Σ_s w_s · x_s(j) over the sources that know j; -inf when none does.
  void blend(const Query& query, std::span<const float> weights, std::span<float> scores) const {
    std::vector<bool> wanted(names.size());
    for (std::size_t s = 0; s < names.size(); ++s) wanted[s] = weights[s] > 0;
    std::vector<std::vector<float>> vectors;
    scaled(query, wanted, vectors);
    std::fill(scores.begin(), scores.end(), kUnknown);
    for (std::size_t s = 0; s < names.size(); ++s) {
      if (!wanted[s]) continue;
      for (std::size_t item_idx = 0; item_idx < scores.size(); ++item_idx) {
        const float x = vectors[s][item_idx];
        if (std::isnan(x)) continue;
        if (scores[item_idx] == kUnknown) scores[item_idx] = 0;
        scores[item_idx] += weights[s] * x;
      }
    }
  }
};

// Fits every source on `train` and derives latest / segment / item users.
struct FillOptions {
  bool cold_item_fill = true;
  bool cold_fill_embedding = true;
  double embedding_half_life = 0;
};

Sources fit_sources(const std::vector<std::string>& names, const Dataset& dataset,
                    std::span<const dataset::Interaction> train, const CsrMatrix& user_items,
                    const detail::SegmentOptions& segment_options, const FillOptions& fill,
                    const std::vector<bool>& keep, const FitOptions& options) {
  Sources sources;
  sources.names = names;
  sources.cold_item_fill = fill.cold_item_fill;
  sources.cold_fill_embedding = fill.cold_fill_embedding;
  for (std::size_t s = 0; s < names.size(); ++s) {
    sources.infos.push_back(*describe_source(names[s]));
    std::unique_ptr<Recommender> model;
    if (sources.infos[s].kind == SourceKind::kModel && keep[s]) {
      model = create_model(names[s]);
      model->fit(dataset, train, options);
    }
    if (sources.infos[s].kind == SourceKind::kEmbedding && keep[s])
      sources.embedding.fit(dataset.item_vectors, dataset.user_count(), train, fill.embedding_half_life);
    sources.models.push_back(std::move(model));
  }
  // latest: created_at scaled over the items that have one (in double: a
  // timestamp does not fit a float's mantissa).
  auto created_at = [&](std::uint32_t item_idx) -> double {
    return item_idx < dataset.item_meta.size() ? static_cast<double>(dataset.item_meta[item_idx].created_at) : 0.0;
  };
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (std::uint32_t item_idx = 0; item_idx < dataset.item_count(); ++item_idx) {
    if (created_at(item_idx) <= 0) continue;
    lo = std::min(lo, created_at(item_idx));
    hi = std::max(hi, created_at(item_idx));
  }
  sources.latest.assign(dataset.item_count(), kMissing);
  for (std::uint32_t item_idx = 0; item_idx < dataset.item_count(); ++item_idx)
    if (created_at(item_idx) > 0)
      sources.latest[item_idx] = hi > lo ? static_cast<float>((created_at(item_idx) - lo) / (hi - lo)) : 1.0f;
  sources.segments.build(dataset.user_attributes, user_items, segment_options);
  sources.item_users.assign(dataset.item_count(), 0);
  for (std::uint32_t item_idx : user_items.indices) ++sources.item_users[item_idx];
  return sources;
}

// ------------------------------------------------------------ validation ---

// Per validation user: candidate items, their scaled source scores
// (candidate-major, one row of S), and the held-out items.
struct ValidationUser {
  std::vector<std::uint32_t> candidates;
  std::vector<float> features;
  std::vector<std::uint32_t> relevant;  // sorted
};

double user_ndcg(const ValidationUser& v, std::span<const float> weights, std::size_t n_sources) {
  std::vector<ScoredItem> blended;
  blended.reserve(v.candidates.size());
  for (std::size_t pos = 0; pos < v.candidates.size(); ++pos) {
    float score = 0;
    bool known = false;
    for (std::size_t s = 0; s < n_sources; ++s) {
      const float x = v.features[pos * n_sources + s];
      if (weights[s] <= 0 || std::isnan(x)) continue;
      score += weights[s] * x;
      known = true;
    }
    if (known) blended.push_back({v.candidates[pos], score});
  }
  const std::size_t k = std::min(kNdcgCut, blended.size());
  std::partial_sort(blended.begin(), blended.begin() + static_cast<std::ptrdiff_t>(k), blended.end(),
                    [](const ScoredItem& a, const ScoredItem& b) {
                      return a.score != b.score ? a.score > b.score : a.item < b.item;
                    });
  double dcg = 0;
  for (std::size_t rank = 0; rank < k; ++rank)
    if (std::binary_search(v.relevant.begin(), v.relevant.end(), blended[rank].item))
      dcg += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
  double idcg = 0;
  for (std::size_t rank = 0; rank < std::min(kNdcgCut, v.relevant.size()); ++rank)
    idcg += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
  return idcg > 0 ? dcg / idcg : 0.0;
}

// Mean NDCG@10; per-user values summed in user order, so the result does not
// depend on the thread count.
double mean_ndcg(const std::vector<ValidationUser>& users, std::span<const float> weights, std::size_t n_sources,
                 int threads) {
  if (users.empty()) return 0;
  std::vector<double> per_user(users.size());
  parallel_for(0, users.size(), threads,
               [&](std::size_t pos) { per_user[pos] = user_ndcg(users[pos], weights, n_sources); });
  double sum = 0;
  for (double v : per_user) sum += v;
  return sum / static_cast<double>(users.size());
}

struct Learned {
  std::vector<float> weights;          // normalised to sum 1
  std::vector<double> single_ndcg;     // per source (NaN when not allowed)
  double ndcg = 0;                     // of the learned blend
};

// Coordinate ascent over kWeightGrid from the best single source.
Learned learn_weights(const std::vector<ValidationUser>& users, const std::vector<bool>& allowed, int threads) {
  const std::size_t n_sources = allowed.size();
  Learned out;
  out.single_ndcg.assign(n_sources, std::numeric_limits<double>::quiet_NaN());
  std::vector<float> weights(n_sources, 0.0f);
  std::optional<std::size_t> best_single;
  for (std::size_t s = 0; s < n_sources; ++s) {
    if (!allowed[s]) continue;
    std::vector<float> one_hot(n_sources, 0.0f);
    one_hot[s] = 1;
    out.single_ndcg[s] = mean_ndcg(users, one_hot, n_sources, threads);
    if (!best_single || out.single_ndcg[s] > out.single_ndcg[*best_single]) best_single = s;
  }
  if (!best_single) {
    out.weights = weights;
    return out;
  }
  weights[*best_single] = 1;
  double current = out.single_ndcg[*best_single];
  for (int round = 0; round < kMaxAscentRounds; ++round) {
    bool improved = false;
    for (std::size_t s = 0; s < n_sources; ++s) {
      if (!allowed[s]) continue;
      const float start = weights[s];
      float best_value = start;
      for (float value : kWeightGrid) {
        if (value == start) continue;
        weights[s] = value;
        bool any = false;
        for (float w : weights) any = any || w > 0;
        if (!any) continue;
        const double ndcg = mean_ndcg(users, weights, n_sources, threads);
        if (ndcg > current + 1e-9) {
          current = ndcg;
          best_value = value;
        }
      }
      weights[s] = best_value;
      improved = improved || best_value != start;
    }
    if (!improved) break;
  }
  float total = 0;
  for (float w : weights) total += w;
  for (float& w : weights) w /= total;
  out.weights = weights;
  out.ndcg = current;
  return out;
}

// ----------------------------------------------------------------- model ---

class Hybrid final : public Recommender {
 public:
  explicit Hybrid(const Params& params)
      : params_(detail::resolve_params("hybrid", detail::hybrid_param_specs(), params)),
        validation_fraction_(params_["validation_fraction"].get<double>()),
        max_validation_users_(params_["max_validation_users"].get<std::size_t>()),
        candidates_(params_["candidates"].get<std::size_t>()),
        diversity_lambda_(params_["diversity_lambda"].get<double>()) {
    fill_options_.cold_item_fill = params_["cold_item_fill"].get<bool>();
    fill_options_.cold_fill_embedding = params_["cold_fill_embedding"].get<bool>();
    fill_options_.embedding_half_life = params_["embedding_half_life"].get<double>();
    segment_options_.smoothing = params_["segment_smoothing"].get<double>();
    segment_options_.min_users = params_["min_segment_users"].get<std::size_t>();
    segment_options_.numeric_bins = params_["numeric_bins"].get<std::size_t>();
  }

  std::string name() const override { return "hybrid"; }
  Params params() const override { return params_; }

  // Weights learned at fit and the validation NDCG@10 behind them.
  Params report() const { return Params::parse(report_text_); }

  std::vector<ScoredItem> similar_items(std::uint32_t item, std::size_t n) const override {
    TAILOR_CHECK_ARG(item < item_count(), "similar_items: item index " + std::to_string(item) + " out of range");
    // The model sources' similar lists, each scaled by its best score, blended
    // with the warm weights. Cold items (no training users) take bm25's scaled
    // similarity in place of the collaborative sources', as in scoring.
    const std::size_t pool = std::max<std::size_t>(n * 4, n + 20);
    const std::optional<std::size_t> text = sources_.fill_source();
    std::vector<float> by_text(item_count(), kMissing);
    if (text) {
      auto similar = sources_.models[*text] ? sources_.models[*text]->similar_items(item, pool)
                                            : similar_by_content(sources_.embedding.vectors(), item, pool);
      for (const ScoredItem& entry : similar)
        by_text[entry.item] = similar.front().score > 0 ? entry.score / similar.front().score : 1.0f;
    }
    const bool fill = cold_item_fill() && text;
    std::vector<float> total(item_count(), kUnknown);
    auto add = [&](std::uint32_t item_idx, float w, float x) {
      if (total[item_idx] == kUnknown) total[item_idx] = 0;
      total[item_idx] += w * x;
    };
    for (std::size_t s = 0; s < sources_.names.size(); ++s) {
      const float w = warm_weights_[s];
      const bool content = sources_.infos[s].kind == SourceKind::kEmbedding && !sources_.embedding.empty();
      if ((!sources_.models[s] && !content) || w <= 0) continue;
      if (text && s == *text) {
        for (std::uint32_t item_idx = 0; item_idx < item_count(); ++item_idx)
          if (!std::isnan(by_text[item_idx])) add(item_idx, w, by_text[item_idx]);
        continue;
      }
      const bool collaborative = sources_.infos[s].collaborative && fill;
      if (collaborative && sources_.item_users[item] == 0) {  // a cold query item: text only
        for (std::uint32_t item_idx = 0; item_idx < item_count(); ++item_idx)
          if (!std::isnan(by_text[item_idx])) add(item_idx, w, by_text[item_idx]);
        continue;
      }
      auto similar = content ? similar_by_content(sources_.embedding.vectors(), item, pool)
                             : sources_.models[s]->similar_items(item, pool);
      const float top = similar.empty() ? 0.0f : similar.front().score;
      for (const ScoredItem& entry : similar)
        if (!collaborative || sources_.item_users[entry.item] > 0)
          add(entry.item, w, top > 0 ? entry.score / top : 1.0f);
      if (collaborative)
        for (std::uint32_t item_idx = 0; item_idx < item_count(); ++item_idx)
          if (sources_.item_users[item_idx] == 0 && !std::isnan(by_text[item_idx])) add(item_idx, w, by_text[item_idx]);
    }
    TopK best(n);
    for (std::uint32_t item_idx = 0; item_idx < item_count(); ++item_idx)
      if (item_idx != item) best.push(item_idx, total[item_idx]);
    return best.take();
  }

  std::vector<ScoredItem> collect(std::span<const float> scores, std::span<const std::uint32_t> seen,
                                  const RecommendOptions& options) const override {
    if (diversity_lambda_ <= 0 || options.n <= 1) return Recommender::collect(scores, seen, options);
    RecommendOptions pool = options;
    if (options.n < item_count()) pool.n = std::min<std::size_t>(item_count(), std::max(options.n * 4, options.n + 20));
    const std::vector<ScoredItem> candidates = Recommender::collect(scores, seen, pool);
    return mmr_rerank(candidates, options.n, 1.0 - diversity_lambda_,
                      [this](std::uint32_t a, std::uint32_t b) { return item_similarity(a, b); });
  }

 protected:
  void score(std::optional<std::uint32_t> user, std::span<const std::uint32_t> history_items,
             std::span<const float> history_weights, std::span<float> scores) const override {
    const std::span<const std::uint32_t> segments =
        user ? sources_.segments.user_segments(*user) : std::span<const std::uint32_t>();
    run(user, history_items, history_weights, segments, scores);
  }

  void score_in_context(std::optional<std::uint32_t> user, std::span<const std::uint32_t> history_items,
                        std::span<const float> history_weights, const RecommendOptions& options,
                        std::span<float> scores) const override {
    if (options.user_attributes.is_null()) {
      score(user, history_items, history_weights, scores);
      return;
    }
    TAILOR_CHECK_ARG(options.user_attributes.is_object(), "recommend: user_attributes must be a JSON object");
    const std::vector<std::uint32_t> segments = sources_.segments.segments_of(options.user_attributes);
    run(user, history_items, history_weights, segments, scores);
  }

  void fit_model(const CsrMatrix& user_items, std::span<const dataset::Interaction> train,
                 const FitOptions& options) override {
    const Dataset* dataset = fitting_dataset();
    TAILOR_ASSERT(dataset != nullptr);
    const std::vector<std::string> names = default_sources(*dataset, params_["use_embedding"].get<bool>());
    const std::size_t n_sources = names.size();
    std::vector<bool> all(n_sources, true);

    // 1. Carve validation from train, per user.
    std::vector<dataset::Interaction> sub_train;
    std::vector<std::vector<std::uint32_t>> held_out(user_items.rows);
    {
      std::vector<std::vector<std::size_t>> by_user(user_items.rows);
      for (std::size_t pos = 0; pos < train.size(); ++pos) by_user[train[pos].user].push_back(pos);
      dataset::Rng rng(options.seed);
      std::vector<bool> validation(train.size(), false);
      for (auto& positions : by_user) {
        if (positions.size() < 2) continue;
        for (std::size_t pos = positions.size() - 1; pos > 0; --pos)
          std::swap(positions[pos], positions[rng.below(pos + 1)]);
        const auto wanted = static_cast<std::size_t>(std::llround(validation_fraction_ * positions.size()));
        const std::size_t n_validation = std::min(wanted, positions.size() - 1);
        for (std::size_t pos = 0; pos < n_validation; ++pos) validation[positions[pos]] = true;
      }
      for (std::size_t pos = 0; pos < train.size(); ++pos) {
        if (validation[pos]) {
          held_out[train[pos].user].push_back(train[pos].item);
        } else {
          sub_train.push_back(train[pos]);
        }
      }
    }
    std::vector<std::uint32_t> validation_users;
    for (std::uint32_t user_idx = 0; user_idx < user_items.rows; ++user_idx) {
      auto& items = held_out[user_idx];
      std::sort(items.begin(), items.end());
      items.erase(std::unique(items.begin(), items.end()), items.end());
      if (!items.empty()) validation_users.push_back(user_idx);
    }
    if (validation_users.size() > max_validation_users_) {
      dataset::Rng rng(options.seed ^ 0x9E3779B97F4A7C15ull);
      for (std::size_t pos = validation_users.size() - 1; pos > 0; --pos)
        std::swap(validation_users[pos], validation_users[rng.below(pos + 1)]);
      validation_users.resize(max_validation_users_);
      std::sort(validation_users.begin(), validation_users.end());
    }

    // 2. Sources on the rest; 3. candidates and their scaled scores.
    const CsrMatrix sub_items = dataset::build_csr(sub_train, user_items.rows, user_items.cols);
    Learned warm;
    Learned cold;
    std::vector<bool> cold_allowed(n_sources);
    for (std::size_t s = 0; s < n_sources; ++s) cold_allowed[s] = describe_source(names[s])->cold;
    if (!validation_users.empty()) {
      const Sources sub = fit_sources(names, *dataset, sub_train, sub_items, segment_options_, fill_options_, all,
                                      options);
      std::vector<ValidationUser> users(validation_users.size());
      parallel_for(0, validation_users.size(), options.threads, [&](std::size_t pos) {
        const std::uint32_t user_idx = validation_users[pos];
        const Query query{user_idx, sub_items.row_indices(user_idx), sub_items.row_values(user_idx),
                          sub.segments.user_segments(user_idx)};
        std::vector<std::vector<float>> vectors;
        sub.scaled(query, all, vectors);
        users[pos] = validation_user(vectors, sub_items.row_indices(user_idx), held_out[user_idx]);
      });
      warm = learn_weights(users, all, options.threads);
      cold = learn_weights(users, cold_allowed, options.threads);
    }
    if (validation_users.empty() || warm.weights.empty()) {
      // Nothing to learn from: equal weights.
      warm.weights.assign(n_sources, 1.0f / static_cast<float>(n_sources));
      cold.weights.assign(n_sources, 0.0f);
      std::size_t n_cold = 0;
      for (std::size_t s = 0; s < n_sources; ++s) n_cold += cold_allowed[s] ? 1 : 0;
      for (std::size_t s = 0; s < n_sources; ++s)
        if (cold_allowed[s]) cold.weights[s] = 1.0f / static_cast<float>(n_cold);
    }
    warm_weights_ = warm.weights;
    cold_weights_ = cold.weights;

    // 4. Refit on everything; keep the weighted sources, bm25 (new items,
    // cold-item fill and diversity use its text) and embedding (cold-item fill).
    std::vector<bool> keep(n_sources);
    for (std::size_t s = 0; s < n_sources; ++s)
      keep[s] = warm_weights_[s] > 0 || cold_weights_[s] > 0 || names[s] == "bm25" || names[s] == "embedding";
    sources_ = fit_sources(names, *dataset, train, user_items, segment_options_, fill_options_, keep, options);
    text_ = nullptr;
    if (auto text = sources_.find("bm25"); text && sources_.models[*text])
      text_ = detail::bm25_text_index(*sources_.models[*text]);

    Params report = Params::object();
    report["validation_users"] = validation_users.size();
    for (std::size_t s = 0; s < n_sources; ++s) {
      report["warm_weights"][names[s]] = warm_weights_[s];
      report["cold_weights"][names[s]] = cold_weights_[s];
      if (!warm.single_ndcg.empty() && std::isfinite(warm.single_ndcg[s]))
        report["validation_ndcg@10"][names[s]] = warm.single_ndcg[s];
    }
    report["validation_ndcg@10"]["blend"] = warm.ndcg;
    report["validation_ndcg@10"]["cold_blend"] = cold.ndcg;
    report["segments"] = sources_.segments.segment_count();
    report_text_ = report.dump();
  }

  void save_payload(std::ostream& out) const override {
    io::write_u32(out, static_cast<std::uint32_t>(sources_.names.size()));
    for (const std::string& name : sources_.names) io::write_string(out, name);
    io::write_floats(out, warm_weights_);
    io::write_floats(out, cold_weights_);
    for (std::size_t s = 0; s < sources_.names.size(); ++s) {
      if (sources_.infos[s].kind == SourceKind::kEmbedding) {
        io::write_u32(out, sources_.embedding.empty() ? 0 : 1);
        if (!sources_.embedding.empty()) sources_.embedding.save(out);
        continue;
      }
      const auto& model = sources_.models[s];
      io::write_u32(out, model ? 1 : 0);
      if (model) io::write_string(out, model->save_bytes());
    }
    io::write_floats(out, sources_.latest);
    sources_.segments.save(out);
    io::write_string(out, report_text_);
  }

  void load_payload(std::istream& in, std::uint32_t /*format_version*/) override {
    Sources sources;
    sources.cold_item_fill = fill_options_.cold_item_fill;
    sources.cold_fill_embedding = fill_options_.cold_fill_embedding;
    const std::uint32_t n_sources = io::read_u32(in);
    for (std::uint32_t s = 0; s < n_sources; ++s) {
      sources.names.push_back(io::read_string(in));
      const auto info = describe_source(sources.names.back());
      if (!info) corrupt("unknown source '" + sources.names.back() + "'");
      sources.infos.push_back(*info);
    }
    warm_weights_ = io::read_floats(in);
    cold_weights_ = io::read_floats(in);
    if (warm_weights_.size() != n_sources || cold_weights_.size() != n_sources) corrupt("weights do not match the sources");
    for (std::uint32_t s = 0; s < n_sources; ++s) {
      const std::uint32_t present = io::read_u32(in);
      if (present > 1) corrupt("bad source flag");
      std::unique_ptr<Recommender> model;
      if (sources.infos[s].kind == SourceKind::kEmbedding) {
        if (present == 1) sources.embedding.load(in, item_count(), user_count());
        if (sources.embedding.empty() && (warm_weights_[s] > 0 || cold_weights_[s] > 0))
          corrupt("weighted source 'embedding' is missing");
        sources.models.push_back(nullptr);
        continue;
      }
      if (present == 1) {
        if (sources.infos[s].kind != SourceKind::kModel) corrupt("a model stored for source '" + sources.names[s] + "'");
        model = load_model_bytes(io::read_string(in));
        if (model->name() != sources.names[s] || model->item_count() != item_count() ||
            model->user_count() != user_count())
          corrupt("source '" + sources.names[s] + "' does not match the hybrid model");
      }
      if (sources.infos[s].kind == SourceKind::kModel && !model && (warm_weights_[s] > 0 || cold_weights_[s] > 0))
        corrupt("weighted source '" + sources.names[s] + "' is missing");
      sources.models.push_back(std::move(model));
    }
    sources.latest = io::read_floats(in);
    if (sources.latest.size() != item_count()) corrupt("latest scores do not match the items");
    sources.segments.load(in, user_items());
    sources.item_users.assign(item_count(), 0);
    for (std::uint32_t item_idx : user_items().indices) ++sources.item_users[item_idx];
    report_text_ = io::read_string(in);
    if (!Params::accept(report_text_)) corrupt("report is not valid JSON");
    sources_ = std::move(sources);
    text_ = nullptr;
    if (auto text = sources_.find("bm25"); text && sources_.models[*text])
      text_ = detail::bm25_text_index(*sources_.models[*text]);
  }

 private:
  bool cold_item_fill() const { return fill_options_.cold_item_fill; }

  void run(std::optional<std::uint32_t> user, std::span<const std::uint32_t> history_items,
           std::span<const float> history_weights, std::span<const std::uint32_t> segments,
           std::span<float> scores) const {
    if (sources_.names.empty()) {  // never fitted
      std::fill(scores.begin(), scores.end(), kUnknown);
      return;
    }
    const bool warm = !history_items.empty();
    const Query query{user, history_items, history_weights, segments};
    sources_.blend(query, warm ? warm_weights_ : cold_weights_, scores);
  }

  // The candidates of one validation user: the union of every source's top
  // `candidates_` unseen items, with their scaled scores.
  ValidationUser validation_user(const std::vector<std::vector<float>>& vectors, std::span<const std::uint32_t> seen,
                                 std::vector<std::uint32_t> relevant) const {
    const std::size_t n_sources = vectors.size();
    std::vector<std::uint32_t> pool;
    for (const auto& scores : vectors) {
      TopK top(candidates_);
      std::size_t seen_pos = 0;
      for (std::uint32_t item_idx = 0; item_idx < scores.size(); ++item_idx) {
        while (seen_pos < seen.size() && seen[seen_pos] < item_idx) ++seen_pos;
        if (seen_pos < seen.size() && seen[seen_pos] == item_idx) continue;
        if (!std::isnan(scores[item_idx])) top.push(item_idx, scores[item_idx]);
      }
      for (const ScoredItem& entry : top.take()) pool.push_back(entry.item);
    }
    std::sort(pool.begin(), pool.end());
    pool.erase(std::unique(pool.begin(), pool.end()), pool.end());
    ValidationUser out;
    out.features.reserve(pool.size() * n_sources);
    for (std::uint32_t item_idx : pool)
      for (std::size_t s = 0; s < n_sources; ++s) out.features.push_back(vectors[s][item_idx]);
    out.candidates = std::move(pool);
    out.relevant = std::move(relevant);
    return out;
  }

  // Text cosine when both items have text, else the Jaccard overlap of their categories.
  float item_similarity(std::uint32_t a, std::uint32_t b) const {
    if (text_ != nullptr && text_->has_terms(a) && text_->has_terms(b)) return text_->cosine(a, b);
    const auto& cats_a = item_meta()[a].categories;
    const auto& cats_b = item_meta()[b].categories;
    if (cats_a.empty() || cats_b.empty()) return 0.0f;
    std::size_t shared = 0;
    for (const std::string& category : cats_a)
      shared += std::count(cats_b.begin(), cats_b.end(), category) > 0 ? 1 : 0;
    const std::size_t unique = cats_a.size() + cats_b.size() - shared;
    return unique > 0 ? static_cast<float>(shared) / static_cast<float>(unique) : 0.0f;
  }

  Params params_;
  double validation_fraction_;
  std::size_t max_validation_users_;
  std::size_t candidates_;
  double diversity_lambda_;
  detail::SegmentOptions segment_options_;
  FillOptions fill_options_;
  Sources sources_;
  std::vector<float> warm_weights_;
  std::vector<float> cold_weights_;
  const text::TextIndex* text_ = nullptr;  // owned by the bm25 source
  std::string report_text_ = "{}";
};

}  // namespace

namespace detail {

std::vector<ParamSpec> hybrid_param_specs() {
  return {
      {"validation_fraction", ParamSpec::Kind::kDouble, 0.2, 0.01, 0.9,
       "share of each user's training interactions held out to learn the blend weights"},
      {"max_validation_users", ParamSpec::Kind::kInt, 2000, 1, 1e9,
       "validation users scored when learning the weights (a seeded sample when there are more)"},
      {"candidates", ParamSpec::Kind::kInt, 100, 10, 1e6,
       "top items per source pooled per validation user when learning the weights"},
      {"diversity_lambda", ParamSpec::Kind::kDouble, 0, 0, 1,
       "MMR diversity weight: 0 = off (relevance order), larger trades relevance for variety"},
      {"cold_item_fill", ParamSpec::Kind::kBool, 1, 0, 1,
       "items without training users take their text score in place of the collaborative sources'"},
      {"use_embedding", ParamSpec::Kind::kBool, 1, 0, 1,
       "add the embedding source when the training data carries item text vectors (tailor embed-items)"},
      {"cold_fill_embedding", ParamSpec::Kind::kBool, 0, 0, 1,
       "cold items take the embedding score instead of bm25's (off: bm25 ranked the demo's new items better)"},
      {"embedding_half_life", ParamSpec::Kind::kDouble, 0, 0, 1e6,
       "recency of the embedding source's user vector: an interaction's weight halves every this many newer ones (0 = off)"},
      {"segment_smoothing", ParamSpec::Kind::kDouble, 20, 0.01, 1e9,
       "pseudo-users pulling a segment's item popularity towards the global one"},
      {"min_segment_users", ParamSpec::Kind::kInt, 10, 1, 1e9,
       "an attribute value needs this many active users to become a segment"},
      {"numeric_bins", ParamSpec::Kind::kInt, 5, 1, 100, "quantile bins of a numeric attribute (age, ...)"},
  };
}

std::unique_ptr<Recommender> make_hybrid(const Params& params) { return std::make_unique<Hybrid>(params); }

Params hybrid_report(const Recommender& model) {
  const auto* hybrid = dynamic_cast<const Hybrid*>(&model);
  return hybrid != nullptr ? hybrid->report() : Params();
}

}  // namespace detail
}  // namespace tailor::model
