// Front door of the model component: the Recommender interface, the registry
// that creates models by name, the top-k collector, and the versioned model
// file format.
//
// A recommender is fitted on a Dataset's training interactions and answers
// for dense indexes of that dataset. Scoring and selection are separate: a
// model's score_user() fills one score per item (the kernel); recommend()
// (shared by all models) keeps the best n that pass the filters (the collector).
//
// Model file (little-endian, strings and arrays length-prefixed, see io::):
//   "TLRM"            4-byte magic
//   u32               format version (kModelFormatVersion)
//   string            model name (registry name)
//   string            parameters as JSON (every key, defaults filled in)
//   u32 n + strings   user ids, in index order
//   u32 n + strings   item ids, in index order
//   per item          u32 n + category strings, u32 flags (1 hidden, 2 available), u64 created_at,
//                     then (version >= 2) string title, string description, u32 n + tag strings
//   csr               training history, users x items
//   ...               the model's payload (save_payload)
//   "TLRE"            4-byte end marker
// Loaders accept every older format version they know and reject others,
// bad magic and truncation with Corruption. Version history:
//   1  item metadata = categories, flags, created_at
//   2  item metadata adds title, description and tags (content models, display);
//      a version-1 file loads with them empty
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tailor/dataset/dataset.h"

namespace tailor::model {

using dataset::CsrMatrix;
using dataset::Dataset;

struct ScoredItem {
  std::uint32_t item = 0;
  float score = 0;
};

// Per-call knobs of recommend(); they travel with the call.
struct RecommendOptions {
  std::size_t n = 10;
  bool exclude_seen = true;      // items in the user's training history
  bool exclude_hidden = true;    // ItemMeta::hidden
  bool exclude_unavailable = true;
  std::vector<std::uint32_t> exclude;  // further items to leave out
  // When set, only items for which this returns true are kept.
  std::function<bool(std::uint32_t)> filter;
  // What the caller knows about the user, as in data::User::attributes
  // ({"gender": "female", "age": 31, ...}); null = nothing. Used by models
  // that support attribute cold start (hybrid: popular-in-segment for a user
  // without history); other models ignore it.
  data::Json user_attributes;
};

// What a model was fitted on and what it needs at answer time.
struct FitOptions {
  int threads = 0;         // 0 = default_thread_count()
  std::uint64_t seed = 42;
  bool quiet = true;       // no progress bar
};

// Hyper-parameters as a flat JSON object; each model documents its keys and
// rejects unknown ones with InvalidArgument naming the key.
using Params = nlohmann::json;

// One hyper-parameter of a model: the single place its name, type, default,
// range and doc live (CLI help and parameter docs are generated from it).
struct ParamSpec {
  enum class Kind { kInt, kDouble, kBool };
  std::string name;
  Kind kind = Kind::kDouble;
  double default_value = 0;  // bools: 0 / 1
  double min = 0;            // inclusive range, ints and doubles
  double max = 0;
  std::string doc;
};

class Recommender {
 public:
  virtual ~Recommender() = default;

  // Stable name used by the registry and stored in model files ("popular", "itemknn", ...).
  virtual std::string name() const = 0;
  virtual Params params() const = 0;

  // Trains on `train` (interactions referring to dataset's id maps). The
  // dataset supplies id maps and item metadata; its own interactions are not read.
  // Not safe to call concurrently with anything else on this object.
  void fit(const Dataset& dataset, std::span<const dataset::Interaction> train, const FitOptions& options);

  // Top-n items for a known user, best first. Throws InvalidArgument for an
  // index >= user_count(). Safe to call concurrently after fit/load.
  std::vector<ScoredItem> recommend(std::uint32_t user, const RecommendOptions& options) const;

  // Top-n items for an arbitrary history (new or anonymous users, sessions).
  // history_weights is empty (every weight 1) or as long as history_items;
  // repeated items are merged (weights summed). exclude_seen leaves out the
  // history. Safe to call concurrently after fit/load.
  std::vector<ScoredItem> recommend_history(std::span<const std::uint32_t> history_items,
                                            std::span<const float> history_weights,
                                            const RecommendOptions& options) const;

  // The kernel for a known user: scores.size() == item_count(), one score per
  // item, -infinity where the model knows nothing. Used by evaluation, which
  // needs the full vector (AUC). Safe to call concurrently after fit/load.
  void score_user(std::uint32_t user, std::span<float> scores) const;

  // The kernel for an arbitrary history (repeats merged as in
  // recommend_history): one score per item, -infinity where the model knows
  // nothing. Composite models (hybrid) blend their sources with it. Throws
  // InvalidArgument for a bad history or buffer. Safe to call concurrently after fit/load.
  void score_history(std::span<const std::uint32_t> history_items, std::span<const float> history_weights,
                     std::span<float> scores) const;

  // The collector behind recommend(): the best options.n items of `scores`
  // (ties to the smaller index, -inf / NaN never kept) that pass the filters.
  // `seen` (sorted ascending) is left out when options.exclude_seen. Thread-safe.
  // Models that re-rank the kept list (hybrid's MMR diversity) override it and
  // take their candidates from Recommender::collect, so the filters always apply;
  // evaluation goes through it too. Results stay sorted by score.
  virtual std::vector<ScoredItem> collect(std::span<const float> scores, std::span<const std::uint32_t> seen,
                                          const RecommendOptions& options) const;

  // Most similar items to `item` (never the item itself). Empty when the model
  // has no notion of similarity for it. Safe to call concurrently after fit/load.
  virtual std::vector<ScoredItem> similar_items(std::uint32_t item, std::size_t n) const = 0;

  // Predicted rating for explicit-feedback models; nullopt for pure rankers.
  virtual std::optional<float> predict(std::uint32_t /*user*/, std::uint32_t /*item*/) const {
    return std::nullopt;
  }
  virtual bool predicts_ratings() const { return false; }

  // Writes / reads the full model (id maps and history included) in the
  // versioned format. load() replaces this object's state; throws Corruption
  // for a bad file, naming what was wrong.
  void save(std::ostream& out) const;
  void save_file(const std::string& path) const;
  std::string save_bytes() const;

  std::uint32_t user_count() const { return user_ids_.size(); }
  std::uint32_t item_count() const { return item_ids_.size(); }
  const dataset::IdMap& user_ids() const { return user_ids_; }
  const dataset::IdMap& item_ids() const { return item_ids_; }
  // Training history of a user (item indexes sorted, with weights).
  const CsrMatrix& user_items() const { return user_items_; }
  const std::vector<dataset::ItemMeta>& item_meta() const { return item_meta_; }

 protected:
  // The kernel: scores[item] for every item, for a user with this history.
  // `user` is the index when the user is known, nullopt for a history-only query.
  // Scores of items the model knows nothing about must be -infinity.
  virtual void score(std::optional<std::uint32_t> user, std::span<const std::uint32_t> history_items,
                     std::span<const float> history_weights, std::span<float> scores) const = 0;
  // The kernel as recommend() / recommend_history() call it, with the call's
  // options (options.user_attributes). Defaults to score(); models that use
  // per-call context override it. score_user() / score_history() call score().
  virtual void score_in_context(std::optional<std::uint32_t> user, std::span<const std::uint32_t> history_items,
                                std::span<const float> history_weights, const RecommendOptions& options,
                                std::span<float> scores) const;
  virtual void fit_model(const CsrMatrix& user_items, std::span<const dataset::Interaction> train,
                         const FitOptions& options) = 0;
  virtual void save_payload(std::ostream& out) const = 0;
  virtual void load_payload(std::istream& in, std::uint32_t format_version) = 0;

  // The dataset passed to fit(), while fit_model() runs (nullptr otherwise):
  // for models that need more than the training matrix and item metadata
  // (hybrid learns popular-in-segment from user_attributes).
  const Dataset* fitting_dataset() const { return fitting_dataset_; }

  friend std::unique_ptr<Recommender> load_model(std::istream& in);

 private:
  const Dataset* fitting_dataset_ = nullptr;
  dataset::IdMap user_ids_;
  dataset::IdMap item_ids_;
  std::vector<dataset::ItemMeta> item_meta_;
  CsrMatrix user_items_;
};

inline constexpr std::uint32_t kModelFormatVersion = 2;

// ------------------------------------------------------- store artifacts ---

// Trained models live in the store as artifacts, so every process that opens
// the store (CLI, servers) answers from the same model: the latest trained one
// under kCurrentModelArtifact, and each model name under model_artifact_name().
inline constexpr const char* kCurrentModelArtifact = "model:current";
std::string model_artifact_name(const std::string& model_name);

struct StoreTrainingSummary {
  std::uint32_t users = 0;
  std::uint32_t items = 0;
  std::size_t interactions = 0;
  double fit_seconds = 0;
  std::size_t model_bytes = 0;
};

// Called on the snapshot before fitting, to attach what lives above the model
// layer (the item text vectors of the semantic component: callers pass
// semantic::attach_item_vectors). Empty = nothing to attach.
using PrepareDataset = std::function<void(dataset::Dataset&)>;

// Snapshots the store, fits `model_name` on every interaction, and saves it as
// both the current model and the named one in one durable write. Returns the
// fitted model. InvalidArgument for an unknown model / bad params / an empty
// store. Safe to call while other threads read the store.
std::unique_ptr<Recommender> train_from_store(store::Store& store, const std::string& model_name,
                                              const Params& params, const dataset::SnapshotOptions& snapshot_options,
                                              const FitOptions& fit_options, StoreTrainingSummary* summary = nullptr,
                                              const PrepareDataset& prepare = {});

// Creates a model by registry name with hyper-parameters (unknown keys ->
// InvalidArgument). Names: popular, itemknn, userknn, baseline, bm25, hybrid, ...
std::unique_ptr<Recommender> create_model(const std::string& name, const Params& params = Params::object());
std::vector<std::string> model_names();
// The hyper-parameters a model accepts; throws InvalidArgument for an unknown name.
std::vector<ParamSpec> model_param_specs(const std::string& name);

// Reads a model written by save(). Corruption for a damaged or unknown file,
// NotFound / IO when the file cannot be opened.
std::unique_ptr<Recommender> load_model(std::istream& in);
std::unique_ptr<Recommender> load_model_file(const std::string& path);
std::unique_ptr<Recommender> load_model_bytes(const std::string& bytes);

// Keeps the n best (score, item) pairs; ties broken by the smaller item index
// so results are deterministic. Scores of -inf / NaN are never kept.
class TopK {
 public:
  explicit TopK(std::size_t n) : n_(n) {}
  // True when push(item, score) would keep the pair right now; lets callers
  // skip expensive filters for candidates that cannot make the list.
  bool accepts(std::uint32_t item, float score) const;
  void push(std::uint32_t item, float score);
  // Best first.
  std::vector<ScoredItem> take();

 private:
  std::size_t n_;
  std::vector<ScoredItem> heap_;
};

// Maximal marginal relevance re-ranking (Carbonell & Goldstein, 1998).
// `candidates` are (item, relevance), any order. Greedily picks up to n of
// them, each time the one maximising
//   MMR(i) = λ · rel(i) − (1 − λ) · max_{j ∈ S} sim(i, j)
// (S = items picked so far; the max is 0 while S is empty; ties to the smaller
// item), where rel is the relevance min-max scaled to [0, 1] over the
// candidates so λ means the same whatever the score scale. λ = 1 keeps
// relevance order; smaller λ trades relevance for intra-list diversity.
// `similarity(i, j)` should be symmetric, in [0, 1]. The returned scores are
// the MMR values at pick time, which never increase down the list. O(n · |candidates|)
// similarity calls. InvalidArgument unless λ is in [0, 1]. Thread-safe.
std::vector<ScoredItem> mmr_rerank(std::span<const ScoredItem> candidates, std::size_t n, double lambda,
                                   const std::function<float(std::uint32_t, std::uint32_t)>& similarity);

// The n items whose text vectors are closest to `item`'s (cosine; the rows
// are unit vectors), best first, never `item` itself; empty when `item` has no
// vector. Items need no events: what `similar --by content` answers. O(items · dim). Thread-safe.
std::vector<ScoredItem> similar_by_content(const dataset::ContentVectors& vectors, std::uint32_t item, std::size_t n);

// Binary I/O helpers for payloads (little-endian, length-prefixed). Readers
// throw Corruption on truncation.
namespace io {
void write_u32(std::ostream& out, std::uint32_t v);
void write_u64(std::ostream& out, std::uint64_t v);
void write_f32(std::ostream& out, float v);
void write_f64(std::ostream& out, double v);
void write_string(std::ostream& out, const std::string& s);
void write_floats(std::ostream& out, std::span<const float> v);
void write_u32s(std::ostream& out, std::span<const std::uint32_t> v);
void write_csr(std::ostream& out, const CsrMatrix& m);
std::uint32_t read_u32(std::istream& in);
std::uint64_t read_u64(std::istream& in);
float read_f32(std::istream& in);
double read_f64(std::istream& in);
std::string read_string(std::istream& in);
std::vector<float> read_floats(std::istream& in);
std::vector<std::uint32_t> read_u32s(std::istream& in);
CsrMatrix read_csr(std::istream& in);
}  // namespace io

}  // namespace tailor::model
