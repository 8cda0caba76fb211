// Private to the model component: scoring items by their text vectors
// (dataset::ContentVectors, computed by the semantic component and attached
// to the Dataset before fitting). Used by hybrid's "embedding" source and by
// similar_by_content().
//
// A user's taste is the recency-weighted mean of the vectors of the items they
// used (their training interactions in time order, newest last):
//   u = Σ_h w_h · 0.5^(a_h / H) · v_h,   a_h = number of the user's interactions after h
// (H = recent_half_life interactions; H = 0 turns recency off), and
//   score(j) = ⟨u, v_j⟩ / ‖u‖  = the cosine of u and v_j (the rows are unit vectors)
// for every item j with a vector; -infinity for items without one. A history
// query (no stored user) uses its own weights, without recency (its order is
// not known). Items need no events to be scored, which is the point: a new
// item is recommended from its text on the day it is created.
#pragma once

#include <iosfwd>
#include <span>
#include <vector>

#include "tailor/model/model.h"

namespace tailor::model::detail {

class EmbeddingScorer {
 public:
  // Keeps a copy of `vectors` and each user's taste vector. `train` gives the
  // order of each user's interactions (by timestamp, then item).
  void fit(const dataset::ContentVectors& vectors, std::uint32_t user_count,
           std::span<const dataset::Interaction> train, double recent_half_life);
  bool empty() const { return vectors_.empty(); }
  const dataset::ContentVectors& vectors() const { return vectors_; }

  // scores.size() == item count. Thread-safe.
  void score_user(std::uint32_t user, std::span<float> scores) const;
  void score_history(std::span<const std::uint32_t> items, std::span<const float> weights,
                     std::span<float> scores) const;

  // u32 dim, string model id, floats vectors, floats user profiles.
  void save(std::ostream& out) const;
  // Corruption when the sizes do not match `item_count` / `user_count`.
  void load(std::istream& in, std::uint32_t item_count, std::uint32_t user_count);

 private:
  void score_profile(std::span<const float> profile, std::span<float> scores) const;

  dataset::ContentVectors vectors_;
  std::vector<float> profiles_;  // user_count x dim, unit length (zero when the user has no vector)
};

}  // namespace tailor::model::detail
