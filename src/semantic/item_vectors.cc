// Item embeddings and their cache.
//
// Each item is embedded from item_text() (passage role). Vectors are cached
// in the store as the artifact "embeddings:<model id>", one per embedding
// model, so switching models never mixes vector spaces and switching back is
// free. A row is reused while its item's text hash is unchanged; a refresh
// embeds only new and changed items, in batches, and drops deleted ones.
//
// Cache layout (little-endian, model::io helpers: strings u64-length-prefixed):
//   "TEMB"              4-byte magic
//   u32                 format version (kCacheVersion)
//   string              type tag "item-embeddings"
//   string              embedding model id (must equal the artifact's)
//   u32                 dim
//   u64 n, then n x     (string item id, u64 FNV-1a hash of item_text)
//   float array         n * dim floats, row-major (u64 count + raw floats)
//   u64 m, then m x     string category (distinct, sorted)
//   "TEME"              4-byte end marker
// Version history: 1 = this layout. Readers reject unknown versions, bad
// magic and truncation with Corruption.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <sstream>
#include <unordered_map>

#include "tailor/core/core.h"
#include "tailor/semantic/semantic.h"

namespace tailor::semantic {
namespace {

constexpr char kCacheMagic[4] = {'T', 'E', 'M', 'B'};
constexpr char kCacheEnd[4] = {'T', 'E', 'M', 'E'};
constexpr std::uint32_t kCacheVersion = 1;
constexpr const char* kCacheType = "item-embeddings";
// Texts per embed() call: the local backend decodes a batch as parallel
// sequences, and 32 short item texts fit its default batch comfortably.
constexpr std::size_t kEmbedBatch = 32;

std::string cache_artifact_name(const std::string& model_id) { return "embeddings:" + model_id; }
// Names the model id of the latest refresh (plain text), so readers that
// open no embedder (training, similar --by content) find the vectors.
constexpr const char* kCurrentArtifact = "embeddings:current";

// FNV-1a, 64-bit: stable across platforms and releases (std::hash is not),
// which is what a persisted cache key needs. Collisions only cost a stale
// vector for an item whose text changed into a colliding one.
std::uint64_t text_hash(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Category ids are slugs ("phones-audio/earbuds"); the embedder understands
// words, so the text carries "phones audio / earbuds".
std::string readable_category(const std::string& category) {
  std::string out;
  for (char c : category) {
    if (c == '-' || c == '_') out.push_back(' ');
    else if (c == '/') out += " / ";
    else out.push_back(c);
  }
  return out;
}

std::string scalar_text(const data::Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_number()) {
    std::ostringstream os;
    os << value.get<double>();
    return os.str();
  }
  return "";
}

struct CachedRow {
  std::uint64_t hash;
  std::size_t row;
};

struct Cache {
  ItemVectors vectors;
  std::vector<std::uint64_t> hashes;  // parallel to vectors.item_ids
};

void write_magic(std::ostream& out, const char (&magic)[4]) { out.write(magic, 4); }
void read_magic(std::istream& in, const char (&magic)[4], const char* what) {
  char got[4] = {};
  in.read(got, 4);
  if (!in || !std::equal(got, got + 4, magic))
    throw_error(ErrorCode::kCorruption, std::string("embedding cache: bad ") + what);
}

std::string serialize_cache(const ItemVectors& vectors, const std::vector<std::uint64_t>& hashes) {
  std::ostringstream out(std::ios::binary);
  write_magic(out, kCacheMagic);
  model::io::write_u32(out, kCacheVersion);
  model::io::write_string(out, kCacheType);
  model::io::write_string(out, vectors.model_id);
  model::io::write_u32(out, static_cast<std::uint32_t>(vectors.dim));
  model::io::write_u64(out, vectors.item_ids.size());
  for (std::size_t row = 0; row < vectors.item_ids.size(); ++row) {
    model::io::write_string(out, vectors.item_ids[row]);
    model::io::write_u64(out, hashes[row]);
  }
  model::io::write_floats(out, vectors.rows);
  model::io::write_u64(out, vectors.categories.size());
  for (const auto& category : vectors.categories) model::io::write_string(out, category);
  write_magic(out, kCacheEnd);
  return out.str();
}

Cache parse_cache(const std::string& bytes, const std::string& model_id) {
  std::istringstream in(bytes, std::ios::binary);
  read_magic(in, kCacheMagic, "magic (not an embedding cache)");
  const std::uint32_t version = model::io::read_u32(in);
  if (version == 0 || version > kCacheVersion)
    throw_error(ErrorCode::kCorruption, "embedding cache: unknown format version " + std::to_string(version));
  if (model::io::read_string(in) != kCacheType)
    throw_error(ErrorCode::kCorruption, "embedding cache: wrong type tag");
  Cache cache;
  auto& v = cache.vectors;
  v.model_id = model::io::read_string(in);
  if (v.model_id != model_id)
    throw_error(ErrorCode::kCorruption, "embedding cache: written for model '" + v.model_id + "', stored under '" +
                                            model_id + "'");
  v.dim = static_cast<int>(model::io::read_u32(in));
  if (v.dim <= 0 || v.dim > 65536) throw_error(ErrorCode::kCorruption, "embedding cache: bad dim");
  const std::uint64_t n = model::io::read_u64(in);
  // Each row takes at least 16 bytes: a count this large cannot be real.
  if (n > bytes.size() / 16) throw_error(ErrorCode::kCorruption, "embedding cache: row count exceeds its size");
  v.item_ids.reserve(n);
  cache.hashes.reserve(n);
  for (std::uint64_t row = 0; row < n; ++row) {
    v.item_ids.push_back(model::io::read_string(in));
    cache.hashes.push_back(model::io::read_u64(in));
  }
  v.rows = model::io::read_floats(in);
  if (v.rows.size() != n * static_cast<std::uint64_t>(v.dim))
    throw_error(ErrorCode::kCorruption, "embedding cache: " + std::to_string(v.rows.size()) + " floats for " +
                                            std::to_string(n) + " rows of dim " + std::to_string(v.dim));
  const std::uint64_t categories = model::io::read_u64(in);
  if (categories > bytes.size() / 8) throw_error(ErrorCode::kCorruption, "embedding cache: category count exceeds its size");
  for (std::uint64_t cat_idx = 0; cat_idx < categories; ++cat_idx) v.categories.push_back(model::io::read_string(in));
  read_magic(in, kCacheEnd, "end marker (truncated)");
  return cache;
}

}  // namespace

std::string item_text(const data::Item& item) {
  // Fixed order and fixed separators: the hash of this string is the cache
  // key. Each part is normalised on its own so a part's trailing space or
  // full stop never doubles the separator.
  std::vector<std::string> parts;
  auto add_part = [&](const std::string& part) {
    std::string clean = data::normalize_text(part);
    if (!clean.empty()) parts.push_back(std::move(clean));
  };
  auto join_list = [](const std::vector<std::string>& values, bool readable) {
    std::string joined;
    for (std::size_t value_idx = 0; value_idx < values.size(); ++value_idx)
      joined += (value_idx > 0 ? ", " : "") + (readable ? readable_category(values[value_idx]) : values[value_idx]);
    return joined;
  };
  add_part(item.title);
  add_part(join_list(item.categories, true));
  add_part(join_list(item.tags, false));
  add_part(item.description);
  if (item.attributes.is_object()) {
    // nlohmann's object is a std::map: keys come out sorted, so the order is stable.
    std::string attributes;
    for (auto it = item.attributes.begin(); it != item.attributes.end(); ++it) {
      const std::string value = scalar_text(it.value());
      if (value.empty()) continue;
      attributes += (attributes.empty() ? "" : ", ") + it.key() + ": " + value;
    }
    add_part(attributes);
  }
  std::string text;
  for (const auto& part : parts) {
    if (!text.empty()) {
      const bool ends_sentence = text.back() == '.' || text.back() == '!' || text.back() == '?' ||
                                 text.ends_with("。") || text.ends_with("！") || text.ends_with("？");
      text += ends_sentence ? " " : ". ";
    }
    text += part;
  }
  return text;
}

std::optional<ItemVectors> load_item_vectors(const store::Store& store, const std::string& model_id) {
  auto bytes = store.get_artifact(cache_artifact_name(model_id));
  if (!bytes) return std::nullopt;
  return parse_cache(*bytes, model_id).vectors;
}

ItemVectors refresh_item_vectors(store::Store& store, llm::Embedder& embedder) {
  const std::string model_id = embedder.model_id();
  const int dim = embedder.dim();
  TAILOR_CHECK_ARG(dim > 0, "embedder reports dim " + std::to_string(dim));

  // The old cache, if any and readable. A damaged cache is derived data, not
  // the user's: rebuild it (and say so) rather than refuse to search.
  Cache old;
  if (auto bytes = store.get_artifact(cache_artifact_name(model_id))) {
    try {
      old = parse_cache(*bytes, model_id);
      if (old.vectors.dim != dim) {
        log_warn("embedding cache for " + model_id + " has dim " + std::to_string(old.vectors.dim) + ", model has " +
                 std::to_string(dim) + "; re-embedding every item");
        old = Cache{};
      }
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kCorruption) throw;
      log_warn(std::string("embedding cache is damaged (") + e.what() + "); re-embedding every item");
      old = Cache{};
    }
  }
  std::unordered_map<std::string, CachedRow> cached;
  cached.reserve(old.vectors.item_ids.size());
  for (std::size_t row = 0; row < old.vectors.item_ids.size(); ++row)
    cached.emplace(old.vectors.item_ids[row], CachedRow{old.hashes[row], row});

  ItemVectors out;
  out.model_id = model_id;
  out.dim = dim;
  std::vector<std::uint64_t> hashes;
  std::set<std::string> categories;
  std::vector<std::size_t> pending_rows;    // rows of `out` still to embed
  std::vector<std::string> pending_texts;
  const auto d = static_cast<std::size_t>(dim);
  store.scan_items([&](std::uint32_t, const data::Item& item) {
    for (const auto& category : item.categories) categories.insert(category);
    std::string text = item_text(item);
    const std::uint64_t hash = text_hash(text);
    const std::size_t row = out.item_ids.size();
    out.item_ids.push_back(item.id);
    hashes.push_back(hash);
    auto hit = cached.find(item.id);
    if (hit != cached.end() && hit->second.hash == hash) {
      const float* src = old.vectors.rows.data() + hit->second.row * d;
      out.rows.insert(out.rows.end(), src, src + d);
    } else {
      out.rows.resize(out.rows.size() + d, 0.0f);
      pending_rows.push_back(row);
      pending_texts.push_back(std::move(text));
    }
  });
  out.categories.assign(categories.begin(), categories.end());

  if (!pending_texts.empty()) {
    Progress progress("embedding items", pending_texts.size(), log_level() > LogLevel::kInfo);
    for (std::size_t begin = 0; begin < pending_texts.size(); begin += kEmbedBatch) {
      const std::size_t end = std::min(pending_texts.size(), begin + kEmbedBatch);
      std::span<const std::string> batch(pending_texts.data() + begin, end - begin);
      const std::vector<float> vectors = embedder.embed(batch, llm::TextRole::kPassage);
      if (vectors.size() != batch.size() * d)
        throw_error(ErrorCode::kInternal, "embedder " + model_id + " returned " + std::to_string(vectors.size()) +
                                              " floats for " + std::to_string(batch.size()) + " texts of dim " +
                                              std::to_string(dim));
      for (std::size_t text_idx = 0; text_idx < batch.size(); ++text_idx)
        std::copy_n(vectors.data() + text_idx * d, d, out.rows.data() + pending_rows[begin + text_idx] * d);
      progress.add(batch.size());
    }
    progress.finish();
  }
  out.embedded_now = pending_texts.size();

  // Write back only when something changed: new/changed rows, deletions, or a
  // reordering; an unchanged catalogue costs one read and no write.
  const bool changed = out.embedded_now > 0 || out.item_ids != old.vectors.item_ids ||
                       out.categories != old.vectors.categories;
  const bool current = store.get_artifact(kCurrentArtifact) == model_id;
  if (changed || !current) {
    auto writer = store.begin_write();
    if (changed) writer->put_artifact(cache_artifact_name(model_id), serialize_cache(out, hashes));
    if (!current) writer->put_artifact(kCurrentArtifact, model_id);
    writer->commit();
  }
  return out;
}

std::optional<ItemVectors> load_current_item_vectors(const store::Store& store) {
  const auto model_id = store.get_artifact(kCurrentArtifact);
  if (!model_id) return std::nullopt;
  return load_item_vectors(store, *model_id);
}

dataset::ContentVectors align_item_vectors(const ItemVectors& vectors, const dataset::IdMap& items) {
  dataset::ContentVectors out;
  out.model_id = vectors.model_id;
  out.dim = static_cast<std::uint32_t>(vectors.dim);
  out.rows.assign(std::size_t{items.size()} * out.dim, 0.0f);
  for (std::size_t row = 0; row < vectors.item_ids.size(); ++row) {
    const auto item_idx = items.find(vectors.item_ids[row]);
    if (!item_idx) continue;
    std::copy_n(vectors.rows.data() + row * out.dim, out.dim, out.rows.data() + std::size_t{*item_idx} * out.dim);
  }
  return out;
}

bool attach_item_vectors(const store::Store& store, dataset::Dataset& dataset) {
  const auto vectors = load_current_item_vectors(store);
  if (!vectors) return false;
  dataset.item_vectors = align_item_vectors(*vectors, dataset.items);
  return true;
}

}  // namespace tailor::semantic
