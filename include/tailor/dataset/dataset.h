// Front door of the dataset component: a snapshot of the store's behaviour as
// dense matrices, and the splitters used by offline evaluation.
//
// Layout: users and items are remapped to dense indexes [0, n) in the order
// they are first seen by the store (IdMap). Interactions are aggregated per
// (user, item): weight = sum over events of type_weight(value) * decay(age),
// where decay(age) = 0.5^(age / half_life) when a half life is set. Pairs whose
// total weight is <= 0 (only negative feedback) are dropped from the positive
// matrix. For explicit ratings the latest rating value is kept separately.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tailor/data/data.h"

namespace tailor::store { class Store; }

namespace tailor::dataset {

// String id <-> dense index. Lookups are O(1).
class IdMap {
 public:
  // Returns the index of id, adding it when new.
  std::uint32_t add(const std::string& id);
  std::optional<std::uint32_t> find(const std::string& id) const;
  const std::string& id(std::uint32_t index) const { return ids_[index]; }
  std::uint32_t size() const { return static_cast<std::uint32_t>(ids_.size()); }
  const std::vector<std::string>& ids() const { return ids_; }

 private:
  std::vector<std::string> ids_;
  std::unordered_map<std::string, std::uint32_t> index_;
};

// Compressed sparse rows of float weights. Row r's entries are
// cols[indptr[r] .. indptr[r+1]) with matching values, columns sorted ascending.
struct CsrMatrix {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::vector<std::uint64_t> indptr{0};
  std::vector<std::uint32_t> indices;
  std::vector<float> values;

  std::size_t nnz() const { return indices.size(); }
  std::span<const std::uint32_t> row_indices(std::uint32_t r) const {
    return {indices.data() + indptr[r], indices.data() + indptr[r + 1]};
  }
  std::span<const float> row_values(std::uint32_t r) const {
    return {values.data() + indptr[r], values.data() + indptr[r + 1]};
  }
  std::uint32_t row_size(std::uint32_t r) const {
    return static_cast<std::uint32_t>(indptr[r + 1] - indptr[r]);
  }
  // Binary search in row r; nullopt when (r, c) is not stored.
  std::optional<float> at(std::uint32_t r, std::uint32_t c) const;
  CsrMatrix transpose() const;
};

// One aggregated (user, item) interaction.
struct Interaction {
  std::uint32_t user = 0;
  std::uint32_t item = 0;
  float weight = 0;        // aggregated event weight (after decay), > 0
  Timestamp timestamp = 0; // latest event between the pair
  std::optional<float> rating;  // latest explicit rating, if any
};

// Builds a CSR from interactions (duplicates of a pair are summed). `rows` x
// `cols` is the shape of the result: users x items, or with by_item items x
// users (row = interaction.item, column = interaction.user). Throws
// InvalidArgument when an interaction lies outside the shape.
CsrMatrix build_csr(std::span<const Interaction> interactions, std::uint32_t rows, std::uint32_t cols,
                    bool by_item = false);

struct SnapshotOptions {
  data::EventTypes event_types = data::EventTypes::defaults();
  // Time decay half life in days; 0 = no decay. Age is measured from `now`
  // (0 = the newest event in the store).
  double half_life_days = 0;
  Timestamp now = 0;
  // Only events with timestamp < until (0 = all), for global temporal splits.
  Timestamp until = 0;
};

// Item metadata carried by the snapshot for filters, cold start, diversity
// and content models (title, description and tags are the item's text, NFC
// as the importer stored it).
struct ItemMeta {
  std::string title;
  std::string description;
  std::vector<std::string> categories;
  std::vector<std::string> tags;
  bool hidden = false;
  bool available = true;
  Timestamp created_at = 0;
};

// Dense content vectors of items (text embeddings). Row r belongs to the item
// of dense index r; an item without a vector has an all-zero row. The vectors
// are computed above the model layer (the semantic component embeds item text
// with a language model and caches the result in the store), so the dataset
// layer never fills them: a caller that has them attaches them to a Dataset
// (semantic::attach_item_vectors) before fitting. Rows are L2-normalised, so
// an inner product is a cosine.
struct ContentVectors {
  std::string model_id;           // the embedding model that produced them
  std::uint32_t dim = 0;          // 0 = none
  std::vector<float> rows;        // item_count x dim, row-major

  bool empty() const { return dim == 0; }
  std::span<const float> row(std::uint32_t item) const { return {rows.data() + std::size_t{item} * dim, dim}; }
  // False for an item beyond the table or with an all-zero row.
  bool has(std::uint32_t item) const;
};

// Everything a recommender trains on. Immutable once built; share it as
// shared_ptr<const Dataset>.
struct Dataset {
  IdMap users;
  IdMap items;
  std::vector<Interaction> interactions;  // sorted by (user, timestamp, item)
  std::vector<ItemMeta> item_meta;        // size == items.size()
  std::vector<data::Json> user_attributes;  // size == users.size()
  // Text embeddings of the items when the caller attached them (empty
  // otherwise); rows == item_count when present. Models that use content
  // (hybrid's embedding source, twotower) read them at fit and keep a copy.
  ContentVectors item_vectors;

  std::uint32_t user_count() const { return users.size(); }
  std::uint32_t item_count() const { return items.size(); }
  CsrMatrix user_items() const;  // rows = users
};

// One already-weighted interaction between string ids, for make_dataset().
struct RawInteraction {
  std::string user;
  std::string item;
  float weight = 1;
  Timestamp timestamp = 0;
  std::optional<float> rating;
};

// Builds a Dataset directly from interactions, without a Store (tests,
// bindings, benchmarks). Users and items get indexes in order of first
// appearance. Repeated (user, item) pairs aggregate as in snapshot(): weights
// summed, latest timestamp, rating of the latest row that has one. Pairs whose
// total weight is <= 0 are dropped (their user and item keep their index).
// Item metadata and user attributes are defaults.
Dataset make_dataset(std::span<const RawInteraction> rows);
// Same from dense indexes; ids are the decimal indexes ("0", "1", ...).
// Throws InvalidArgument when an interaction is outside the counts.
Dataset make_dataset(std::uint32_t user_count, std::uint32_t item_count,
                     std::span<const Interaction> interactions);

// Reads every user, item and event of the store into a Dataset (with a
// progress bar unless quiet). Items and users with no events are included so
// that cold items can be recommended by content later. Events of unknown types
// (EventTypes::weight gives nullopt) are skipped, and so are events whose user
// or item appeared after the user/item scans (a writer committed in between).
// With decay and now = 0, ages are measured from the newest event kept
// (the newest before `until` when that is set). Reads through the Store's
// const interface only; safe to run while a writer is open.
Dataset snapshot(const store::Store& store, const SnapshotOptions& options = {}, bool quiet = true);

// ---------------------------------------------------------------- splits ---

// A split of one dataset's interactions into train and test (and optional
// validation). Both refer to the same IdMaps of the parent dataset.
struct Split {
  std::vector<Interaction> train;
  std::vector<Interaction> validation;
  std::vector<Interaction> test;
};

enum class SplitKind {
  kRandom,        // per user: a random test_fraction of their interactions
  kTemporal,      // per user: the latest last_n, or latest test_fraction
  kLeaveOneOut,   // per user: the single latest interaction
  kGlobalTemporal,// everything at or after the time quantile 1 - test_fraction
  kRecbole,       // per user random 8:1:1 train:validation:test (RecBole's RO split)
  kColdItems,     // a random test_fraction of the items: every interaction with them is test
};
// Every split except kGlobalTemporal leaves each user at least one training
// interaction. Outputs keep the dataset's interaction order, (user, timestamp, item).
// Per-user sizes: random n_test = round(n * test_fraction); temporal last_n or
// round(n * test_fraction); both clamped to [0, n - 1]. Recbole follows
// RecBole's Dataset._calcu_split_ids: validation = floor(0.1 n), test =
// floor(0.1 n), train = the rest; then (test first, then validation) a part
// whose exact share 0.1 n lies in (0, 1) takes one interaction from train
// while train keeps more than one. test_fraction is not used by kRecbole.
// kColdItems draws round(test_fraction x items with interactions) items
// (seeded) and moves all their interactions to test, so those items are
// unknown to training (the cold-start protocol); a user may end with no
// training interaction, and min_user_interactions does not apply.

struct SplitOptions {
  SplitKind kind = SplitKind::kRandom;
  double test_fraction = 0.2;
  std::size_t last_n = 0;            // temporal: when > 0, overrides test_fraction
  std::uint64_t seed = 42;
  // Users with fewer interactions than this keep everything in train.
  std::size_t min_user_interactions = 2;
};

// Deterministic for a given dataset and options, on every platform: uses its
// own PRNG (splitmix64), never std::uniform_*_distribution.
Split split(const Dataset& dataset, const SplitOptions& options);

// K-fold over interactions (for rating metrics): fold f of k is the test set;
// every interaction is in exactly one test fold.
std::vector<Split> kfold(const Dataset& dataset, int k, std::uint64_t seed);

// "random", "temporal", "leave_one_out" (or "loo"), "global_temporal", "recbole", "cold_items".
SplitKind parse_split_kind(std::string_view name);  // throws InvalidArgument
std::string_view split_kind_name(SplitKind kind);

// Small deterministic PRNG used by splits and models (splitmix64).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  // Uniform in [0, n) (rejection sampling, no modulo bias); n > 0.
  std::uint64_t below(std::uint64_t n);
  // Uniform in [0, 1).
  double uniform();

 private:
  std::uint64_t state_;
};

}  // namespace tailor::dataset
