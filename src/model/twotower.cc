// "twotower": a two-tower recommender whose item tower reads the items' text
// vectors, so it ranks new items from their text, trained on the CPU with
// hand-written gradients on Eigen (nn.h; gradients checked against finite
// differences in tests/model/deep_models_test.cc).
//
// Towers (row vectors, d = factors):
//   item  v_j = [j seen in training] · e_j + t_j P        (t_j: the item's text vector, P: text_dim x d)
//   user  m = mean_{h ∈ input} v_h,  z = tanh(m W₁ + b₁),  u = z W₂ + b₂
//   score(u, j) = ⟨u, v_j⟩
// Without text vectors (none attached, or use_text off) v_j = e_j and this is
// a denoising autoencoder with tied item weights (Mult-DAE, Liang et al. 2018).
// Loss (multinomial likelihood, as Mult-DAE/VAE): for each user, the input is
// their training items each kept with probability 1 − input_dropout, the
// target is all of them:
//   ℓ = Σ_{j ∈ targets} (log Σ_{k ∈ seen} exp s_k − s_j)
// over the items seen in training (the softmax never pushes a new item down).
// ID dropout: per batch each item's e_j is dropped with probability
// id_dropout, so t_j P must carry the item on its own — exactly what a cold
// item (no events, so no e_j) has at answer time.
// Backward (batch rows b, items j):
//   dS = |T_b| softmax(S_b) − 1[j ∈ T_b];  dU = dS V;  dV += dSᵀ U
//   dW₂ += zᵀ dU, db₂ += Σ dU, dz = dU W₂ᵀ;  dpre = dz ∘ (1 − z²)
//   dW₁ += mᵀ dpre, db₁ += Σ dpre, dm = dpre W₁ᵀ;  dV_h += dm_b / |input_b|
//   de_j += dV_j (where e_j was used);  dP += Tᵀ dV
// Adam on mini-batches of users; single-threaded Eigen products, so results
// never depend on the thread count.
//
// Answering: v_j for every item with e_j (seen in training) or a text vector
// is computed once after fitting and kept; an item with neither scores −∞.
// similar_items is the cosine of the v_j.
//
// Payload: floats the parameters; u32 rows + floats the answer-time item
// vectors (items x d, zero rows for items with neither e_j nor text); u8-as-u32
// flags per item (1 = scorable).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "deep.h"
#include "models.h"

namespace tailor::model {
namespace detail {

TwoTowerNet::TwoTowerNet(const TwoTowerConfig& config) : config_(config) {
  emb_ = table_.add(config.items, config.dim);
  proj_ = table_.add(config.text_dim, config.dim);
  w1_ = table_.add(config.dim, config.dim);
  b1_ = table_.add(1, config.dim);
  w2_ = table_.add(config.dim, config.dim);
  b2_ = table_.add(1, config.dim);
}

void TwoTowerNet::init(std::span<float> params, dataset::Rng& rng) const {
  std::fill(params.begin(), params.end(), 0.0f);
  nn::normal_init(table_.view(params, emb_), 1.0 / std::sqrt(static_cast<double>(config_.dim)), rng);
  if (config_.text_dim > 0) nn::glorot_init(table_.view(params, proj_), rng);
  nn::glorot_init(table_.view(params, w1_), rng);
  nn::glorot_init(table_.view(params, w2_), rng);
}

nn::Mat TwoTowerNet::item_vectors(std::span<const float> params, std::span<const float> text,
                                  const std::vector<bool>& use_id) const {
  const auto E = table_.view(params, emb_);
  nn::Mat v(config_.items, config_.dim);
  if (config_.text_dim > 0) {
    const nn::ConstMatMap T(text.data(), config_.items, config_.text_dim);
    v.noalias() = T * table_.view(params, proj_);
  } else {
    v.setZero();
  }
  for (std::uint32_t item_idx = 0; item_idx < config_.items; ++item_idx)
    if (use_id[item_idx]) v.row(item_idx) += E.row(item_idx);
  return v;
}

nn::RowVec TwoTowerNet::user_vector(std::span<const float> params, const nn::Mat& items,
                                    std::span<const std::uint32_t> inputs, std::span<const float> /*weights*/) const {
  nn::RowVec m = nn::RowVec::Zero(config_.dim);
  for (std::uint32_t item : inputs) m += items.row(item);
  if (!inputs.empty()) m /= static_cast<float>(inputs.size());
  const nn::RowVec z = ((m * table_.view(params, w1_)) + table_.view(params, b1_).row(0)).array().tanh().matrix();
  return z * table_.view(params, w2_) + table_.view(params, b2_).row(0);
}

double TwoTowerNet::train_batch(std::span<const float> params, std::span<const float> text,
                                const std::vector<bool>& use_id, const std::vector<bool>& allowed,
                                const std::vector<std::vector<std::uint32_t>>& inputs,
                                const std::vector<std::vector<std::uint32_t>>& targets, float scale,
                                std::span<float> grad) const {
  const auto B = static_cast<Eigen::Index>(inputs.size());
  const Eigen::Index d = config_.dim;
  const nn::Mat V = item_vectors(params, text, use_id);
  // Towers, batched.
  nn::Mat M = nn::Mat::Zero(B, d);
  for (Eigen::Index row = 0; row < B; ++row) {
    for (std::uint32_t item : inputs[row]) M.row(row) += V.row(item);
    if (!inputs[row].empty()) M.row(row) /= static_cast<float>(inputs[row].size());
  }
  const nn::Mat Z = ((M * table_.view(params, w1_)).rowwise() + table_.view(params, b1_).row(0)).array().tanh().matrix();
  const nn::Mat U = (Z * table_.view(params, w2_)).rowwise() + table_.view(params, b2_).row(0);
  nn::Mat S = U * V.transpose();
  for (std::uint32_t item_idx = 0; item_idx < config_.items; ++item_idx)
    if (!allowed[item_idx]) S.col(item_idx).setConstant(-std::numeric_limits<float>::infinity());
  double loss = 0;
  for (Eigen::Index row = 0; row < B; ++row) {
    if (targets[row].empty()) continue;
    const float top = S.row(row).maxCoeff();
    const double lse = top + std::log(static_cast<double>((S.row(row).array() - top).exp().sum()));
    for (std::uint32_t item : targets[row]) loss += lse - S(row, item);
  }
  nn::softmax_rows(S);
  for (Eigen::Index row = 0; row < B; ++row) {
    S.row(row) *= static_cast<float>(targets[row].size());
    for (std::uint32_t item : targets[row]) S(row, item) -= 1.0f;
  }
  S *= scale;  // dS
  // Backward.
  const nn::Mat dU = S * V;
  nn::Mat dV = S.transpose() * U;
  table_.view(grad, w2_).noalias() += Z.transpose() * dU;
  table_.view(grad, b2_).row(0) += dU.colwise().sum();
  nn::Mat dpre = dU * table_.view(params, w2_).transpose();
  dpre.array() *= 1.0f - Z.array().square();
  table_.view(grad, w1_).noalias() += M.transpose() * dpre;
  table_.view(grad, b1_).row(0) += dpre.colwise().sum();
  const nn::Mat dM = dpre * table_.view(params, w1_).transpose();
  for (Eigen::Index row = 0; row < B; ++row) {
    if (inputs[row].empty()) continue;
    const nn::RowVec share = dM.row(row) / static_cast<float>(inputs[row].size());
    for (std::uint32_t item : inputs[row]) dV.row(item) += share;
  }
  auto dE = table_.view(grad, emb_);
  for (std::uint32_t item_idx = 0; item_idx < config_.items; ++item_idx)
    if (use_id[item_idx]) dE.row(item_idx) += dV.row(item_idx);
  if (config_.text_dim > 0) {
    const nn::ConstMatMap T(text.data(), config_.items, config_.text_dim);
    table_.view(grad, proj_).noalias() += T.transpose() * dV;
  }
  return loss;
}

}  // namespace detail

namespace {

namespace nn = detail::nn;
constexpr float kUnknown = -std::numeric_limits<float>::infinity();

[[noreturn]] void corrupt(const std::string& what) { throw_error(ErrorCode::kCorruption, "model file: twotower: " + what); }

class TwoTower final : public Recommender {
 public:
  explicit TwoTower(const Params& params)
      : params_(detail::resolve_params("twotower", detail::twotower_param_specs(), params)) {}

  std::string name() const override { return "twotower"; }
  Params params() const override { return params_; }

  std::vector<ScoredItem> similar_items(std::uint32_t item, std::size_t n) const override {
    TAILOR_CHECK_ARG(item < item_count(), "similar_items: item index " + std::to_string(item) + " out of range");
    if (!scorable_.empty() && !scorable_[item]) return {};
    TopK top(n);
    if (scorable_.empty()) return {};
    const float norm_a = items_.row(item).norm();
    for (std::uint32_t item_idx = 0; item_idx < item_count(); ++item_idx) {
      if (item_idx == item || !scorable_[item_idx]) continue;
      const float norm_b = items_.row(item_idx).norm();
      if (norm_a > 0 && norm_b > 0) top.push(item_idx, items_.row(item).dot(items_.row(item_idx)) / (norm_a * norm_b));
    }
    return top.take();
  }

 protected:
  // The user tower reads the bag of items, unweighted, as in training.
  void score(std::optional<std::uint32_t> /*user*/, std::span<const std::uint32_t> history_items,
             std::span<const float> /*history_weights*/, std::span<float> scores) const override {
    std::fill(scores.begin(), scores.end(), kUnknown);
    if (!net_ || history_items.empty()) return;
    std::vector<std::uint32_t> inputs;
    for (std::uint32_t item : history_items)
      if (scorable_[item]) inputs.push_back(item);
    if (inputs.empty()) return;
    const nn::RowVec u = net_->user_vector(weights_, items_, inputs, {});
    for (std::uint32_t item_idx = 0; item_idx < item_count(); ++item_idx)
      if (scorable_[item_idx]) scores[item_idx] = items_.row(item_idx).dot(u);
  }

  void fit_model(const CsrMatrix& user_items, std::span<const dataset::Interaction> /*train*/,
                 const FitOptions& options) override {
    const Dataset* dataset = fitting_dataset();
    TAILOR_ASSERT(dataset != nullptr);
    const std::uint32_t n_items = user_items.cols;
    std::vector<bool> seen(n_items, false);
    for (std::uint32_t item_idx : user_items.indices) seen[item_idx] = true;
    const auto& vectors = dataset->item_vectors;
    const bool use_text = params_["use_text"].get<bool>() && !vectors.empty() &&
                          vectors.rows.size() == std::size_t{n_items} * vectors.dim;
    detail::TwoTowerConfig config;
    config.items = n_items;
    config.dim = params_["factors"].get<std::uint32_t>();
    config.text_dim = use_text ? vectors.dim : 0;
    net_ = std::make_unique<detail::TwoTowerNet>(config);
    weights_.assign(net_->param_count(), 0.0f);
    dataset::Rng rng(options.seed);
    net_->init(weights_, rng);
    const std::span<const float> text = use_text ? std::span<const float>(vectors.rows) : std::span<const float>();

    std::vector<std::uint32_t> users;
    for (std::uint32_t user_idx = 0; user_idx < user_items.rows; ++user_idx)
      if (user_items.row_size(user_idx) > 0) users.push_back(user_idx);
    const auto epochs = params_["epochs"].get<int>();
    const auto batch_size = params_["batch_size"].get<std::size_t>();
    const double input_dropout = params_["input_dropout"].get<double>();
    const double id_dropout = use_text ? params_["id_dropout"].get<double>() : 0.0;
    nn::Adam adam(weights_.size(), params_["learning_rate"].get<double>(), params_["weight_decay"].get<double>());
    std::vector<float> grad(weights_.size());
    Progress progress("twotower", static_cast<std::size_t>(epochs), options.quiet);
    for (int epoch = 0; epoch < epochs && !users.empty(); ++epoch) {
      for (std::size_t pos = users.size() - 1; pos > 0; --pos) std::swap(users[pos], users[rng.below(pos + 1)]);
      for (std::size_t start = 0; start < users.size(); start += batch_size) {
        const std::size_t stop = std::min(users.size(), start + batch_size);
        std::vector<std::vector<std::uint32_t>> inputs, targets;
        std::size_t n_targets = 0;
        for (std::size_t pos = start; pos < stop; ++pos) {
          const auto row = user_items.row_indices(users[pos]);
          targets.emplace_back(row.begin(), row.end());
          inputs.emplace_back();
          for (std::uint32_t item : row)
            if (rng.uniform() >= input_dropout) inputs.back().push_back(item);
          n_targets += row.size();
        }
        std::vector<bool> use_id = seen;
        if (id_dropout > 0)
          for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx)
            if (use_id[item_idx] && rng.uniform() < id_dropout) use_id[item_idx] = false;
        std::fill(grad.begin(), grad.end(), 0.0f);
        net_->train_batch(weights_, text, use_id, seen, inputs, targets,
                          1.0f / static_cast<float>(std::max<std::size_t>(n_targets, 1)), grad);
        adam.step(weights_, grad);
      }
      progress.add(1);
    }
    progress.finish();
    // Answer-time item vectors: e_j for items seen in training, t_j P for any item with text.
    scorable_.assign(n_items, false);
    for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx)
      scorable_[item_idx] = seen[item_idx] || (use_text && vectors.has(item_idx));
    items_ = net_->item_vectors(weights_, text, seen);
    for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx)
      if (!scorable_[item_idx]) items_.row(item_idx).setZero();
  }

  void save_payload(std::ostream& out) const override {
    io::write_u32(out, net_ ? net_->config().text_dim : 0);
    io::write_floats(out, weights_);
    io::write_floats(out, {items_.data(), static_cast<std::size_t>(items_.size())});
    std::vector<std::uint32_t> flags(scorable_.begin(), scorable_.end());
    io::write_u32s(out, flags);
  }

  void load_payload(std::istream& in, std::uint32_t /*format_version*/) override {
    detail::TwoTowerConfig config;
    config.items = item_count();
    config.dim = params_["factors"].get<std::uint32_t>();
    config.text_dim = io::read_u32(in);
    if (config.text_dim > 65536) corrupt("bad text dimension");
    std::vector<float> weights = io::read_floats(in);
    std::vector<float> items = io::read_floats(in);
    std::vector<std::uint32_t> flags = io::read_u32s(in);
    auto net = std::make_unique<detail::TwoTowerNet>(config);
    if (weights.empty() && items.empty() && flags.empty()) {  // never fitted
      net_.reset();
      weights_.clear();
      items_.resize(0, 0);
      scorable_.clear();
      return;
    }
    if (weights.size() != net->param_count()) corrupt("parameter count does not match the configuration");
    if (items.size() != std::size_t{item_count()} * config.dim || flags.size() != item_count())
      corrupt("item vectors do not match the items");
    for (std::uint32_t flag : flags)
      if (flag > 1) corrupt("bad item flag");
    net_ = std::move(net);
    weights_ = std::move(weights);
    items_ = nn::ConstMatMap(items.data(), item_count(), config.dim);
    scorable_.assign(flags.begin(), flags.end());
  }

 private:
  Params params_;
  std::unique_ptr<detail::TwoTowerNet> net_;
  std::vector<float> weights_;
  nn::Mat items_;               // answer-time item vectors
  std::vector<bool> scorable_;  // seen in training or has text
};

}  // namespace

namespace detail {

std::vector<ParamSpec> twotower_param_specs() {
  return {
      {"factors", ParamSpec::Kind::kInt, 64, 2, 1024, "size d of the user and item vectors"},
      {"epochs", ParamSpec::Kind::kInt, 100, 1, 10000, "passes over the users"},
      {"batch_size", ParamSpec::Kind::kInt, 128, 1, 1e6, "users per Adam step"},
      {"learning_rate", ParamSpec::Kind::kDouble, 0.002, 1e-6, 1, "Adam step size"},
      {"weight_decay", ParamSpec::Kind::kDouble, 0, 0, 1, "decoupled (AdamW) weight decay"},
      {"input_dropout", ParamSpec::Kind::kDouble, 0.5, 0, 0.95,
       "share of a user's items hidden from the user tower in training (denoising)"},
      {"id_dropout", ParamSpec::Kind::kDouble, 0.5, 0, 1,
       "share of items whose ID embedding is dropped per batch, so the text projection learns to stand alone"},
      {"use_text", ParamSpec::Kind::kBool, 1, 0, 1, "use item text vectors when the training data carries them"},
  };
}

std::unique_ptr<Recommender> make_twotower(const Params& params) { return std::make_unique<TwoTower>(params); }

}  // namespace detail
}  // namespace tailor::model
