// "sasrec": self-attentive sequential recommendation (Kang & McAuley, ICDM
// 2018) for next-item prediction, trained on the CPU with hand-written
// gradients on Eigen (nn.h; every gradient is checked against finite
// differences in tests/model/deep_models_test.cc).
//
// Network, for a sequence s_0..s_{L-1} (L <= max_len, positions right-aligned
// so the latest item always sits at position max_len − 1):
//   x⁰_t = E[s_t] + P[max_len − L + t]                         (dropout)
//   per block (pre-norm):
//     a = LN₁(x);  Q = a W_q, K = a W_k, V = a W_v              (heads: column blocks of d/h)
//     A_h = softmax(Q_h K_hᵀ / √(d/h) + causal mask);  O = [A_h V_h]_h
//     x ← x + dropout(O W_o)
//     c = LN₂(x);  x ← x + dropout(ReLU(c W₁ + b₁)·(dropout) W₂ + b₂)
//   h = LN_f(x);  score_t(j) = ⟨h_t, E[j]⟩  (input and output embeddings tied)
// Loss: cross-entropy of the next item at every position (all positions of
// one sequence in one pass: causal attention makes position t see only
// s_0..s_t, the same as RecBole's training on every prefix), over all items,
// or over {target} ∪ `negatives` uniformly drawn items shared by a batch
// (sampled softmax; uniform proposals need no log-Q correction).
// Backward, per layer, in train_sequence(); the attention part:
//   dV_h = A_hᵀ dO_h,  dA = dO_h V_hᵀ,  dS = A ∘ (dA − rowsum(dA ∘ A)),
//   dQ_h = dS K_h / √(d/h),  dK_h = dSᵀ Q_h / √(d/h).
//
// Training data: each user's training interactions in time order (ties by
// item), cut from the end into windows of max_len + 1 items, each window one
// sequence (inputs = all but the last, targets = all but the first). Adam,
// mini-batches of `batch_size` sequences, shuffled every epoch. A batch is
// split into kChunks fixed chunks, each accumulating its own gradient buffer,
// summed in chunk order: the result does not depend on the thread count.
//
// Answering: a known user's sequence is the last max_len items of their
// training history in time order (kept in the payload); a history-only query
// (fold-in, anonymous sessions) has no order in the Recommender interface, so
// its items are taken by descending weight, then index — a known gap for
// sessions. Items never seen in training score −∞. similar_items is the cosine
// of the item embeddings.
//
// Payload: u32 n_users, then per user u32s of their last max_len items; floats
// the parameters (layout fixed by the config in the params JSON).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "deep.h"
#include "models.h"

namespace tailor::model {
namespace detail {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Per-block activations kept by the forward pass for the backward pass.
struct BlockCache {
  nn::Mat x_in, a, q, k, v, o, att_mask, x_mid, c, f1, r, r_mask, f2_mask;
  nn::LayerNormCache ln1, ln2;
  std::vector<nn::Mat> attn;  // per head, L x L
};

}  // namespace

SasrecNet::SasrecNet(const SasrecConfig& config) : config_(config) {
  const std::uint32_t d = config.dim;
  emb_ = table_.add(config.items, d);
  pos_ = table_.add(config.max_len, d);
  for (std::uint32_t layer = 0; layer < config.layers; ++layer) {
    Block b{};
    b.ln1_g = table_.add(1, d);
    b.ln1_b = table_.add(1, d);
    b.wq = table_.add(d, d);
    b.wk = table_.add(d, d);
    b.wv = table_.add(d, d);
    b.wo = table_.add(d, d);
    b.ln2_g = table_.add(1, d);
    b.ln2_b = table_.add(1, d);
    b.w1 = table_.add(d, config.inner);
    b.b1 = table_.add(1, config.inner);
    b.w2 = table_.add(config.inner, d);
    b.b2 = table_.add(1, d);
    blocks_.push_back(b);
  }
  lnf_g_ = table_.add(1, d);
  lnf_b_ = table_.add(1, d);
}

void SasrecNet::init(std::span<float> params, dataset::Rng& rng) const {
  std::fill(params.begin(), params.end(), 0.0f);
  const double stddev = 1.0 / std::sqrt(static_cast<double>(config_.dim));
  nn::normal_init(table_.view(params, emb_), stddev, rng);
  nn::normal_init(table_.view(params, pos_), stddev, rng);
  for (const Block& b : blocks_) {
    table_.view(params, b.ln1_g).setOnes();
    table_.view(params, b.ln2_g).setOnes();
    for (std::size_t w : {b.wq, b.wk, b.wv, b.wo, b.w1, b.w2}) nn::glorot_init(table_.view(params, w), rng);
  }
  table_.view(params, lnf_g_).setOnes();
}

double SasrecNet::train_sequence(std::span<const float> params, std::span<const std::uint32_t> inputs,
                                 std::span<const std::uint32_t> targets, std::span<const std::uint32_t> negatives,
                                 float scale, bool train, dataset::Rng& rng, std::span<float> grad) const {
  const auto L = static_cast<Eigen::Index>(inputs.size());
  TAILOR_ASSERT(L > 0 && inputs.size() <= config_.max_len && targets.size() == inputs.size());
  const Eigen::Index d = config_.dim;
  const Eigen::Index dk = d / config_.heads;
  const float attn_scale = 1.0f / std::sqrt(static_cast<float>(dk));
  const double p = train ? config_.dropout : 0.0;
  const Eigen::Index first_pos = config_.max_len - L;
  const auto E = table_.view(params, emb_);
  const auto P = table_.view(params, pos_);

  // ---- forward
  nn::Mat x(L, d);
  for (Eigen::Index t = 0; t < L; ++t) x.row(t) = E.row(inputs[t]) + P.row(first_pos + t);
  nn::Mat in_mask;
  nn::dropout_forward(x, p, rng, in_mask);
  std::vector<BlockCache> caches(blocks_.size());
  for (std::size_t layer = 0; layer < blocks_.size(); ++layer) {
    const Block& b = blocks_[layer];
    BlockCache& c = caches[layer];
    c.x_in = x;
    nn::layer_norm_forward(x, table_.view(params, b.ln1_g), table_.view(params, b.ln1_b), c.a, c.ln1);
    c.q = c.a * table_.view(params, b.wq);
    c.k = c.a * table_.view(params, b.wk);
    c.v = c.a * table_.view(params, b.wv);
    c.o.resize(L, d);
    c.attn.resize(config_.heads);
    for (std::uint32_t head = 0; head < config_.heads; ++head) {
      nn::Mat s = c.q.middleCols(head * dk, dk) * c.k.middleCols(head * dk, dk).transpose() * attn_scale;
      for (Eigen::Index row = 0; row < L; ++row)
        for (Eigen::Index col = row + 1; col < L; ++col) s(row, col) = kNegInf;  // causal
      nn::softmax_rows(s);
      c.o.middleCols(head * dk, dk) = s * c.v.middleCols(head * dk, dk);
      c.attn[head] = std::move(s);
    }
    nn::Mat att = c.o * table_.view(params, b.wo);
    nn::dropout_forward(att, p, rng, c.att_mask);
    c.x_mid = c.x_in + att;
    nn::layer_norm_forward(c.x_mid, table_.view(params, b.ln2_g), table_.view(params, b.ln2_b), c.c, c.ln2);
    c.f1 = (c.c * table_.view(params, b.w1)).rowwise() + table_.view(params, b.b1).row(0);
    c.r = c.f1.cwiseMax(0.0f);
    nn::dropout_forward(c.r, p, rng, c.r_mask);
    nn::Mat f2 = (c.r * table_.view(params, b.w2)).rowwise() + table_.view(params, b.b2).row(0);
    nn::dropout_forward(f2, p, rng, c.f2_mask);
    x = c.x_mid + f2;
  }
  nn::Mat h;
  nn::LayerNormCache lnf;
  nn::layer_norm_forward(x, table_.view(params, lnf_g_), table_.view(params, lnf_b_), h, lnf);

  // ---- loss: dz = softmax(z) − onehot(target), scaled
  auto dE = table_.view(grad, emb_);
  nn::Mat dh(L, d);
  double loss = 0;
  if (negatives.empty()) {
    nn::Mat z = h * E.transpose();  // L x items
    for (Eigen::Index t = 0; t < L; ++t) {
      const float top = z.row(t).maxCoeff();
      const double log_sum = top + std::log(static_cast<double>((z.row(t).array() - top).exp().sum()));
      loss += log_sum - z(t, targets[t]);
    }
    nn::softmax_rows(z);
    for (Eigen::Index t = 0; t < L; ++t) z(t, targets[t]) -= 1.0f;
    z *= scale;
    dh = z * E;
    dE.noalias() += z.transpose() * h;
  } else {
    const auto K = static_cast<Eigen::Index>(negatives.size());
    nn::Mat cand(K, d);
    for (Eigen::Index k = 0; k < K; ++k) cand.row(k) = E.row(negatives[k]);
    nn::Mat z(L, K + 1);
    z.rightCols(K) = h * cand.transpose();
    for (Eigen::Index t = 0; t < L; ++t) {
      z(t, 0) = h.row(t).dot(E.row(targets[t]));
      for (Eigen::Index k = 0; k < K; ++k)
        if (negatives[k] == targets[t]) z(t, k + 1) = kNegInf;
    }
    for (Eigen::Index t = 0; t < L; ++t) {
      const float top = z.row(t).maxCoeff();
      double sum = 0;
      for (Eigen::Index col = 0; col <= K; ++col) sum += std::exp(static_cast<double>(z(t, col) - top));
      loss += top + std::log(sum) - z(t, 0);
    }
    nn::softmax_rows(z);
    z.col(0).array() -= 1.0f;
    z *= scale;
    const nn::Mat dz_neg = z.rightCols(K);
    dh = dz_neg * cand;
    const nn::Mat dcand = dz_neg.transpose() * h;
    for (Eigen::Index k = 0; k < K; ++k) dE.row(negatives[k]) += dcand.row(k);
    for (Eigen::Index t = 0; t < L; ++t) {
      dh.row(t) += z(t, 0) * E.row(targets[t]);
      dE.row(targets[t]) += z(t, 0) * h.row(t);
    }
  }

  // ---- backward
  nn::Mat dx;
  nn::layer_norm_backward(dh, lnf, table_.view(params, lnf_g_), dx, table_.view(grad, lnf_g_),
                          table_.view(grad, lnf_b_));
  for (std::size_t layer = blocks_.size(); layer-- > 0;) {
    const Block& b = blocks_[layer];
    const BlockCache& c = caches[layer];
    // x_out = x_mid + drop(drop(ReLU(c W1 + b1)) W2 + b2)
    nn::Mat df2 = dx;
    nn::dropout_backward(df2, c.f2_mask);
    table_.view(grad, b.w2).noalias() += c.r.transpose() * df2;
    table_.view(grad, b.b2).row(0) += df2.colwise().sum();
    nn::Mat dr = df2 * table_.view(params, b.w2).transpose();
    nn::dropout_backward(dr, c.r_mask);
    dr.array() *= (c.f1.array() > 0).cast<float>();
    table_.view(grad, b.w1).noalias() += c.c.transpose() * dr;
    table_.view(grad, b.b1).row(0) += dr.colwise().sum();
    const nn::Mat dc = dr * table_.view(params, b.w1).transpose();
    nn::Mat dx_ln2;
    nn::layer_norm_backward(dc, c.ln2, table_.view(params, b.ln2_g), dx_ln2, table_.view(grad, b.ln2_g),
                            table_.view(grad, b.ln2_b));
    nn::Mat dmid = dx + dx_ln2;
    // x_mid = x_in + drop(O W_o)
    nn::Mat datt = dmid;
    nn::dropout_backward(datt, c.att_mask);
    table_.view(grad, b.wo).noalias() += c.o.transpose() * datt;
    const nn::Mat dO = datt * table_.view(params, b.wo).transpose();
    nn::Mat dq(L, d), dkm(L, d), dv(L, d);
    for (std::uint32_t head = 0; head < config_.heads; ++head) {
      const nn::Mat& A = c.attn[head];
      const auto cols = [&](const nn::Mat& m) { return m.middleCols(head * dk, dk); };
      dv.middleCols(head * dk, dk) = A.transpose() * cols(dO);
      nn::Mat dA = cols(dO) * cols(c.v).transpose();
      const nn::Col row_dot = (dA.cwiseProduct(A)).rowwise().sum();
      nn::Mat dS = A.cwiseProduct(dA.colwise() - row_dot);
      dq.middleCols(head * dk, dk) = dS * cols(c.k) * attn_scale;
      dkm.middleCols(head * dk, dk) = dS.transpose() * cols(c.q) * attn_scale;
    }
    table_.view(grad, b.wq).noalias() += c.a.transpose() * dq;
    table_.view(grad, b.wk).noalias() += c.a.transpose() * dkm;
    table_.view(grad, b.wv).noalias() += c.a.transpose() * dv;
    const nn::Mat da = dq * table_.view(params, b.wq).transpose() + dkm * table_.view(params, b.wk).transpose() +
                       dv * table_.view(params, b.wv).transpose();
    nn::Mat dx_ln1;
    nn::layer_norm_backward(da, c.ln1, table_.view(params, b.ln1_g), dx_ln1, table_.view(grad, b.ln1_g),
                            table_.view(grad, b.ln1_b));
    dx = dmid + dx_ln1;
  }
  nn::dropout_backward(dx, in_mask);
  auto dP = table_.view(grad, pos_);
  for (Eigen::Index t = 0; t < L; ++t) {
    dE.row(inputs[t]) += dx.row(t);
    dP.row(first_pos + t) += dx.row(t);
  }
  return loss;
}

nn::RowVec SasrecNet::encode(std::span<const float> params, std::span<const std::uint32_t> inputs) const {
  // The forward pass without dropout, keeping only what the next layer needs.
  const auto L = static_cast<Eigen::Index>(inputs.size());
  const Eigen::Index d = config_.dim;
  const Eigen::Index dk = d / config_.heads;
  const float attn_scale = 1.0f / std::sqrt(static_cast<float>(dk));
  const Eigen::Index first_pos = config_.max_len - L;
  const auto E = table_.view(params, emb_);
  const auto P = table_.view(params, pos_);
  nn::Mat x(L, d);
  for (Eigen::Index t = 0; t < L; ++t) x.row(t) = E.row(inputs[t]) + P.row(first_pos + t);
  nn::Mat a, cnorm;
  nn::LayerNormCache cache;
  for (const Block& b : blocks_) {
    nn::layer_norm_forward(x, table_.view(params, b.ln1_g), table_.view(params, b.ln1_b), a, cache);
    const nn::Mat q = a * table_.view(params, b.wq);
    const nn::Mat k = a * table_.view(params, b.wk);
    const nn::Mat v = a * table_.view(params, b.wv);
    nn::Mat o(L, d);
    for (std::uint32_t head = 0; head < config_.heads; ++head) {
      nn::Mat s = q.middleCols(head * dk, dk) * k.middleCols(head * dk, dk).transpose() * attn_scale;
      for (Eigen::Index row = 0; row < L; ++row)
        for (Eigen::Index col = row + 1; col < L; ++col) s(row, col) = kNegInf;
      nn::softmax_rows(s);
      o.middleCols(head * dk, dk) = s * v.middleCols(head * dk, dk);
    }
    x += o * table_.view(params, b.wo);
    nn::layer_norm_forward(x, table_.view(params, b.ln2_g), table_.view(params, b.ln2_b), cnorm, cache);
    const nn::Mat r = ((cnorm * table_.view(params, b.w1)).rowwise() + table_.view(params, b.b1).row(0)).cwiseMax(0.0f);
    x += (r * table_.view(params, b.w2)).rowwise() + table_.view(params, b.b2).row(0);
  }
  nn::Mat last = x.bottomRows(1);
  nn::Mat h;
  nn::layer_norm_forward(last, table_.view(params, lnf_g_), table_.view(params, lnf_b_), h, cache);
  return h.row(0);
}

}  // namespace detail

namespace {

namespace nn = detail::nn;
constexpr float kUnknown = -std::numeric_limits<float>::infinity();
// Gradient buffers per batch: fixed, so results do not depend on the thread count.
constexpr std::size_t kChunks = 8;

[[noreturn]] void corrupt(const std::string& what) { throw_error(ErrorCode::kCorruption, "model file: sasrec: " + what); }

class Sasrec final : public Recommender {
 public:
  explicit Sasrec(const Params& params) : params_(detail::resolve_params("sasrec", detail::sasrec_param_specs(), params)) {}

  std::string name() const override { return "sasrec"; }
  Params params() const override { return params_; }

  std::vector<ScoredItem> similar_items(std::uint32_t item, std::size_t n) const override {
    TAILOR_CHECK_ARG(item < item_count(), "similar_items: item index " + std::to_string(item) + " out of range");
    if (!net_ || !trained_[item]) return {};
    const auto E = net_->item_embeddings(weights_);
    const float norm_a = E.row(item).norm();
    TopK top(n);
    for (std::uint32_t item_idx = 0; item_idx < item_count(); ++item_idx) {
      if (item_idx == item || !trained_[item_idx]) continue;
      const float norm_b = E.row(item_idx).norm();
      if (norm_a > 0 && norm_b > 0) top.push(item_idx, E.row(item).dot(E.row(item_idx)) / (norm_a * norm_b));
    }
    return top.take();
  }

 protected:
  void score(std::optional<std::uint32_t> user, std::span<const std::uint32_t> history_items,
             std::span<const float> history_weights, std::span<float> scores) const override {
    std::fill(scores.begin(), scores.end(), kUnknown);
    if (!net_) return;
    std::vector<std::uint32_t> sequence;
    if (user && *user < sequences_.size() && history_matches_training(*user, history_items)) {
      sequence = sequences_[*user];
    } else {
      // No order is known: heaviest first in time means lightest first here,
      // so the heaviest item sits last, where the model looks hardest.
      std::vector<std::size_t> order(history_items.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const float wa = history_weights.empty() ? 1.0f : history_weights[a];
        const float wb = history_weights.empty() ? 1.0f : history_weights[b];
        return wa < wb;
      });
      for (std::size_t pos : order)
        if (trained_[history_items[pos]]) sequence.push_back(history_items[pos]);
      const std::size_t max_len = net_->config().max_len;
      if (sequence.size() > max_len) sequence.erase(sequence.begin(), sequence.end() - static_cast<std::ptrdiff_t>(max_len));
    }
    if (sequence.empty()) return;
    const nn::RowVec h = net_->encode(weights_, sequence);
    const auto E = net_->item_embeddings(weights_);
    for (std::uint32_t item_idx = 0; item_idx < item_count(); ++item_idx)
      if (trained_[item_idx]) scores[item_idx] = E.row(item_idx).dot(h);
  }

  void fit_model(const CsrMatrix& user_items, std::span<const dataset::Interaction> train,
                 const FitOptions& options) override {
    const std::uint32_t n_items = user_items.cols;
    trained_.assign(n_items, false);
    for (std::uint32_t item_idx : user_items.indices) trained_[item_idx] = true;
    sequences_ = time_ordered(train, user_items.rows);
    detail::SasrecConfig config;
    config.items = n_items;
    config.max_len = params_["max_len"].get<std::uint32_t>();
    config.dim = params_["factors"].get<std::uint32_t>();
    config.heads = effective_heads();
    config.layers = params_["layers"].get<std::uint32_t>();
    config.inner = params_["inner_size"].get<std::uint32_t>();
    config.dropout = params_["dropout"].get<double>();
    net_ = std::make_unique<detail::SasrecNet>(config);
    weights_.assign(net_->param_count(), 0.0f);
    dataset::Rng rng(options.seed);
    net_->init(weights_, rng);

    // Training windows: (user, end) = sequence[end - len .. end] with len <= max_len + 1.
    struct Window {
      std::uint32_t user;
      std::uint32_t begin, end;  // [begin, end) of the user's full training sequence
    };
    const std::vector<std::vector<std::uint32_t>> full = time_ordered(train, user_items.rows, false);
    std::vector<Window> windows;
    for (std::uint32_t user_idx = 0; user_idx < full.size(); ++user_idx) {
      auto end = static_cast<std::uint32_t>(full[user_idx].size());
      while (end >= 2) {
        const std::uint32_t begin = end > config.max_len + 1 ? end - (config.max_len + 1) : 0;
        windows.push_back({user_idx, begin, end});
        end = begin + 1;  // the next window's last item is this one's first input
        if (begin == 0) break;
      }
    }
    if (windows.empty() || n_items == 0) {  // nothing to learn an order from: the model knows nothing
      sequences_ = std::vector<std::vector<std::uint32_t>>(user_items.rows);
      net_.reset();
      weights_.clear();
      return;
    }
    const auto batch_size = params_["batch_size"].get<std::size_t>();
    const auto epochs = params_["epochs"].get<int>();
    const auto n_negatives = params_["negatives"].get<std::size_t>();
    const bool sampled = n_negatives > 0 && n_negatives + 1 < n_items;
    nn::Adam adam(weights_.size(), params_["learning_rate"].get<double>(), params_["weight_decay"].get<double>());
    std::vector<std::vector<float>> grads(kChunks, std::vector<float>(weights_.size()));
    std::vector<float> total(weights_.size());
    std::vector<std::size_t> order(windows.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::vector<std::uint32_t> trained_items;
    for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx)
      if (trained_[item_idx]) trained_items.push_back(item_idx);
    Progress progress("sasrec", static_cast<std::size_t>(epochs), options.quiet);
    for (int epoch = 0; epoch < epochs; ++epoch) {
      for (std::size_t pos = order.size() - 1; pos > 0; --pos) std::swap(order[pos], order[rng.below(pos + 1)]);
      for (std::size_t start = 0; start < order.size(); start += batch_size) {
        const std::size_t stop = std::min(order.size(), start + batch_size);
        std::vector<std::uint32_t> negatives;
        if (sampled)
          for (std::size_t k = 0; k < n_negatives; ++k) negatives.push_back(trained_items[rng.below(trained_items.size())]);
        std::size_t positions = 0;
        for (std::size_t pos = start; pos < stop; ++pos) positions += windows[order[pos]].end - windows[order[pos]].begin - 1;
        const float scale = 1.0f / static_cast<float>(positions);
        const std::uint64_t batch_seed = rng.next();
        parallel_for(0, kChunks, options.threads, [&](std::size_t chunk) {
          std::vector<float>& grad = grads[chunk];
          std::fill(grad.begin(), grad.end(), 0.0f);
          for (std::size_t pos = start + chunk; pos < stop; pos += kChunks) {
            const Window& w = windows[order[pos]];
            const auto& seq = full[w.user];
            dataset::Rng dropout_rng(batch_seed ^ (0x9E3779B97F4A7C15ull * (pos + 1)));
            net_->train_sequence(weights_, {seq.data() + w.begin, seq.data() + w.end - 1},
                                 {seq.data() + w.begin + 1, seq.data() + w.end}, negatives, scale, true, dropout_rng,
                                 grad);
          }
        });
        std::fill(total.begin(), total.end(), 0.0f);
        for (const auto& grad : grads)
          for (std::size_t pos = 0; pos < total.size(); ++pos) total[pos] += grad[pos];
        adam.step(weights_, total);
      }
      progress.add(1);
    }
    progress.finish();
  }

  void save_payload(std::ostream& out) const override {
    io::write_u32(out, static_cast<std::uint32_t>(sequences_.size()));
    for (const auto& seq : sequences_) io::write_u32s(out, seq);
    io::write_floats(out, weights_);
  }

  void load_payload(std::istream& in, std::uint32_t /*format_version*/) override {
    const std::uint32_t n_users = io::read_u32(in);
    if (n_users != user_count()) corrupt("sequences do not match the users");
    std::vector<std::vector<std::uint32_t>> sequences(n_users);
    for (auto& seq : sequences) {
      seq = io::read_u32s(in);
      for (std::uint32_t item : seq)
        if (item >= item_count()) corrupt("sequence item out of range");
    }
    std::vector<float> weights = io::read_floats(in);
    trained_.assign(item_count(), false);
    for (std::uint32_t item_idx : user_items().indices) trained_[item_idx] = true;
    net_.reset();
    detail::SasrecConfig config;
    config.items = item_count();
    config.max_len = params_["max_len"].get<std::uint32_t>();
    config.dim = params_["factors"].get<std::uint32_t>();
    config.heads = effective_heads();
    config.layers = params_["layers"].get<std::uint32_t>();
    config.inner = params_["inner_size"].get<std::uint32_t>();
    auto net = std::make_unique<detail::SasrecNet>(config);
    const bool fitted = std::any_of(sequences.begin(), sequences.end(), [](const auto& s) { return !s.empty(); });
    if (fitted && weights.size() != net->param_count()) corrupt("parameter count does not match the configuration");
    if (!fitted && !weights.empty() && weights.size() != net->param_count()) corrupt("bad parameter count");
    sequences_ = std::move(sequences);
    weights_ = std::move(weights);
    if (weights_.size() == net->param_count() && !weights_.empty()) net_ = std::move(net);
  }

 private:
  // Each user's training items in time order (ties by item); the last
  // max_len of them when `tail`.
  std::vector<std::vector<std::uint32_t>> time_ordered(std::span<const dataset::Interaction> train,
                                                       std::uint32_t n_users, bool tail = true) const {
    std::vector<std::vector<const dataset::Interaction*>> by_user(n_users);
    for (const auto& x : train) by_user[x.user].push_back(&x);
    std::vector<std::vector<std::uint32_t>> out(n_users);
    const std::size_t max_len = params_["max_len"].get<std::size_t>();
    for (std::uint32_t user_idx = 0; user_idx < n_users; ++user_idx) {
      auto& xs = by_user[user_idx];
      std::stable_sort(xs.begin(), xs.end(), [](const auto* a, const auto* b) {
        return a->timestamp != b->timestamp ? a->timestamp < b->timestamp : a->item < b->item;
      });
      for (const auto* x : xs) out[user_idx].push_back(x->item);
      // A pair aggregated from repeats appears once; keep the latest occurrence.
      if (tail && out[user_idx].size() > max_len)
        out[user_idx].erase(out[user_idx].begin(), out[user_idx].end() - static_cast<std::ptrdiff_t>(max_len));
    }
    return out;
  }

  // The largest head count <= `heads` that divides `factors` (each head takes
  // factors / heads columns), so any (factors, heads) a tuner draws is valid.
  std::uint32_t effective_heads() const {
    const auto factors = params_["factors"].get<std::uint32_t>();
    std::uint32_t heads = params_["heads"].get<std::uint32_t>();
    while (heads > 1 && factors % heads != 0) --heads;
    return heads;
  }

  // The stored sequence answers for a known user unless the caller's history
  // differs from the training row (fold-in of new items).
  bool history_matches_training(std::uint32_t user, std::span<const std::uint32_t> history) const {
    const auto row = user_items().row_indices(user);
    return row.size() == history.size() && std::equal(row.begin(), row.end(), history.begin());
  }

  Params params_;
  std::unique_ptr<detail::SasrecNet> net_;
  std::vector<float> weights_;
  std::vector<std::vector<std::uint32_t>> sequences_;  // per user, last max_len training items, oldest first
  std::vector<bool> trained_;
};

}  // namespace

namespace detail {

std::vector<ParamSpec> sasrec_param_specs() {
  return {
      {"factors", ParamSpec::Kind::kInt, 64, 2, 1024, "hidden size d (item embeddings, attention, residual stream)"},
      {"heads", ParamSpec::Kind::kInt, 2, 1, 16,
       "attention heads (the largest count <= this that divides factors is used)"},
      {"layers", ParamSpec::Kind::kInt, 2, 1, 8, "Transformer blocks"},
      {"inner_size", ParamSpec::Kind::kInt, 128, 2, 4096, "hidden units of each block's feed-forward layer"},
      {"max_len", ParamSpec::Kind::kInt, 50, 2, 1000, "latest items of a user's sequence the model reads"},
      {"dropout", ParamSpec::Kind::kDouble, 0.2, 0, 0.9, "dropout on the input, attention and feed-forward outputs"},
      {"learning_rate", ParamSpec::Kind::kDouble, 0.001, 1e-6, 1, "Adam step size"},
      {"weight_decay", ParamSpec::Kind::kDouble, 0, 0, 1, "decoupled (AdamW) weight decay"},
      {"epochs", ParamSpec::Kind::kInt, 30, 1, 10000, "passes over the training windows"},
      {"batch_size", ParamSpec::Kind::kInt, 128, 1, 1e6, "training windows per Adam step"},
      {"negatives", ParamSpec::Kind::kInt, 256, 0, 1e6,
       "sampled-softmax negatives per batch (0 or >= items - 1: full softmax over all items)"},
  };
}

std::unique_ptr<Recommender> make_sasrec(const Params& params) { return std::make_unique<Sasrec>(params); }

}  // namespace detail
}  // namespace tailor::model
