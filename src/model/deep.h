// Private to the model component: the networks behind the deep models
// "sasrec" (sasrec.cc) and "twotower" (twotower.cc), exposed so tests can
// check their hand-written gradients against finite differences and run them
// on tiny data without the Recommender wrapper.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "nn.h"

namespace tailor::model::detail {

// ----------------------------------------------------------------- sasrec ---

struct SasrecConfig {
  std::uint32_t items = 0;
  std::uint32_t max_len = 50;
  std::uint32_t dim = 64;
  std::uint32_t heads = 2;
  std::uint32_t layers = 2;
  std::uint32_t inner = 128;
  double dropout = 0.2;
};

// Self-attentive sequential recommendation (Kang & McAuley, ICDM 2018), as a
// pre-norm Transformer over the last max_len items of a sequence with causal
// attention, tied input/output item embeddings. The maths is in sasrec.cc.
class SasrecNet {
 public:
  explicit SasrecNet(const SasrecConfig& config);
  const SasrecConfig& config() const { return config_; }
  std::size_t param_count() const { return table_.size(); }
  void init(std::span<float> params, dataset::Rng& rng) const;

  // One training sequence (inputs[t] predicts targets[t]; inputs.size() <=
  // max_len): forward and backward. The output layer is a softmax over all
  // items when `negatives` is empty, else over {target} ∪ negatives (sampled
  // softmax; a negative equal to the target is masked). Adds scale · ∂loss/∂θ
  // to grad; returns the summed cross-entropy. Dropout draws from `rng`
  // (train = true), none when train is false.
  double train_sequence(std::span<const float> params, std::span<const std::uint32_t> inputs,
                        std::span<const std::uint32_t> targets, std::span<const std::uint32_t> negatives,
                        float scale, bool train, dataset::Rng& rng, std::span<float> grad) const;

  // The representation after the last input (1 x dim): its inner product with
  // an item's embedding is that item's score.
  nn::RowVec encode(std::span<const float> params, std::span<const std::uint32_t> inputs) const;
  // The item embedding table (items x dim).
  nn::ConstMatMap item_embeddings(std::span<const float> params) const { return table_.view(params, emb_); }

 private:
  struct Block {
    std::size_t ln1_g, ln1_b, wq, wk, wv, wo, ln2_g, ln2_b, w1, b1, w2, b2;
  };
  SasrecConfig config_;
  nn::ParamTable table_;
  std::size_t emb_ = 0, pos_ = 0, lnf_g_ = 0, lnf_b_ = 0;
  std::vector<Block> blocks_;
};

// --------------------------------------------------------------- twotower ---

struct TwoTowerConfig {
  std::uint32_t items = 0;
  std::uint32_t dim = 64;
  std::uint32_t text_dim = 0;  // 0 = no item text vectors
};

// Item tower v_j = e_j + P t_j (e_j only for items seen in training), user
// tower u = W2 tanh(W1 m + b1) + b2 over the mean m of the input items'
// v; score = ⟨u, v_j⟩; multinomial likelihood over the items. Maths in twotower.cc.
class TwoTowerNet {
 public:
  explicit TwoTowerNet(const TwoTowerConfig& config);
  const TwoTowerConfig& config() const { return config_; }
  std::size_t param_count() const { return table_.size(); }
  void init(std::span<float> params, dataset::Rng& rng) const;

  // Item representations (items x dim) for the given text vectors (items x
  // text_dim, row-major; empty when text_dim is 0). use_id[j] = false drops
  // e_j (cold items, and ID dropout in training).
  nn::Mat item_vectors(std::span<const float> params, std::span<const float> text,
                       const std::vector<bool>& use_id) const;
  // User representation from a bag of input items (weights: empty = 1 each).
  nn::RowVec user_vector(std::span<const float> params, const nn::Mat& items, std::span<const std::uint32_t> inputs,
                         std::span<const float> weights) const;

  // One batch: rows of users with input bags and target bags; candidates are
  // the items the softmax runs over (`allowed`, true for items seen in
  // training). Adds scale · ∂loss/∂θ to grad; returns the summed
  // −Σ_targets log softmax.
  double train_batch(std::span<const float> params, std::span<const float> text, const std::vector<bool>& use_id,
                     const std::vector<bool>& allowed, const std::vector<std::vector<std::uint32_t>>& inputs,
                     const std::vector<std::vector<std::uint32_t>>& targets, float scale,
                     std::span<float> grad) const;

 private:
  TwoTowerConfig config_;
  nn::ParamTable table_;
  std::size_t emb_ = 0, proj_ = 0, w1_ = 0, b1_ = 0, w2_ = 0, b2_ = 0;
};

}  // namespace tailor::model::detail
