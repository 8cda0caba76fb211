// HnswIndex: hierarchical navigable small-world graph (Malkov & Yashunin,
// "Efficient and robust approximate nearest neighbor search using HNSW
// graphs", TPAMI 2018), for inner-product similarity s(a, b) = <a, b>.
//
// Each node gets a level L = floor(-ln U * mL), U ~ Uniform(0, 1], with
// mL = 1/ln M, so P(L >= l) = M^-l: each layer holds ~1/M of the one below,
// and a search does O(1) expected hops per layer over O(log_M n) layers.
// Insertion (Algorithm 1): greedy descent (beam 1) from the entry point to
// layer L+1, then on each layer l <= L a beam search of width efConstruction
// (Algorithm 2) whose result is pruned to M links by the heuristic
// (Algorithm 4); links are made both ways, and a node whose list overflows
// (M above layer 0, 2M on layer 0) is pruned again by the same heuristic.
// Search: greedy descent to layer 1, then a beam of max(ef, k) on layer 0.
//
// Everything is written with similarities (higher = closer); the paper's
// "distance" is 1 - s for unit vectors, which orders pairs identically.
// Search keeps no state in the index: the visited set is a thread-local
// epoch-stamped array, so concurrent searches on different threads never
// share mutable memory.
#include <algorithm>
#include <cmath>
#include <queue>
#include <string>
#include <utility>

#include "index_impl.h"
#include "kernels.h"
#include "tailor/core/core.h"

namespace tailor::ann::detail {

namespace {

using Scored = std::pair<float, std::uint32_t>;  // (similarity to the query, node)

// Visited set in O(1) per call: tags[node] == epoch means "seen in this
// call". Bumping the epoch clears the set; the array is wiped only when the
// 32-bit epoch wraps. thread_local: one per thread, never shared.
struct Visited {
  std::vector<std::uint32_t> tags;
  std::uint32_t epoch = 0;
  void start(std::size_t n) {
    if (tags.size() < n) tags.resize(n, 0);
    if (++epoch == 0) {
      std::fill(tags.begin(), tags.end(), 0);
      epoch = 1;
    }
  }
  // True the first time a node is seen in this call.
  bool insert(std::uint32_t node) {
    if (tags[node] == epoch) return false;
    tags[node] = epoch;
    return true;
  }
};

Visited& thread_visited() {
  thread_local Visited visited;
  return visited;
}

// Greedy walk (beam 1) on one layer: move to the best neighbour while it
// improves the similarity. Returns the local optimum.
Scored greedy_closest(const HnswIndex& index, const float* query, Scored current, int layer) {
  const auto d = static_cast<std::size_t>(index.dim_);
  for (bool improved = true; improved;) {
    improved = false;
    const std::uint32_t* list = index.links(current.second, layer);
    for (std::uint32_t link = 1; link <= list[0]; ++link) {
      const float sim = dot(query, index.row(list[link]), d);
      if (sim > current.first) {
        current = {sim, list[link]};
        improved = true;
      }
    }
  }
  return current;
}

// Algorithm 2 (SEARCH-LAYER) with a filter. `candidates` is the frontier
// (best first), `kept` the best `ef` allowed nodes found (worst on top).
// Disallowed nodes are traversed (they are the graph's roads) but never kept;
// the walk stops when the best frontier node is worse than the worst kept one
// and `kept` is full. With a mask of density f, filling `kept` with ef allowed
// nodes takes ~ef/f visits: the beam widens by itself as the mask thins.
// Returns the kept nodes, best first.
std::vector<Scored> search_layer(const HnswIndex& index, const float* query, const std::vector<Scored>& entries,
                                 std::size_t ef, int layer, const std::vector<bool>* allow) {
  const auto d = static_cast<std::size_t>(index.dim_);
  Visited& visited = thread_visited();
  visited.start(index.size());
  std::priority_queue<Scored> candidates;                                           // best on top
  std::priority_queue<Scored, std::vector<Scored>, std::greater<Scored>> kept;      // worst on top
  auto allowed = [allow](std::uint32_t node) { return allow == nullptr || (*allow)[node]; };
  for (const Scored& entry : entries) {
    if (!visited.insert(entry.second)) continue;
    candidates.push(entry);
    if (allowed(entry.second)) {
      kept.push(entry);
      if (kept.size() > ef) kept.pop();
    }
  }
  while (!candidates.empty()) {
    const Scored current = candidates.top();
    if (kept.size() >= ef && current.first < kept.top().first) break;
    candidates.pop();
    const std::uint32_t* list = index.links(current.second, layer);
    const std::uint32_t count = list[0];
    if (count > 0) __builtin_prefetch(index.row(list[1]));
    for (std::uint32_t link = 1; link <= count; ++link) {
      const std::uint32_t node = list[link];
      if (link < count) __builtin_prefetch(index.row(list[link + 1]));
      if (!visited.insert(node)) continue;
      const float sim = dot(query, index.row(node), d);
      if (kept.size() < ef || sim > kept.top().first) {
        candidates.push({sim, node});
        if (allowed(node)) {
          kept.push({sim, node});
          if (kept.size() > ef) kept.pop();
        }
      }
    }
  }
  std::vector<Scored> out(kept.size());
  for (std::size_t i = out.size(); i-- > 0; kept.pop()) out[i] = kept.top();
  return out;
}

// Algorithm 4 (SELECT-NEIGHBORS-HEURISTIC), without extendCandidates and
// keepPrunedConnections (as hnswlib). `candidates` are sorted best first by
// similarity to the base node. A candidate e is kept only if it is closer to
// the base than to every neighbour already kept: s(e, base) >= s(e, r) for
// all kept r. This spreads links over directions (a cluster is linked once,
// through its nearest member) which is what keeps clustered data navigable.
std::vector<std::uint32_t> select_neighbours(const HnswIndex& index, const std::vector<Scored>& candidates,
                                             std::size_t m) {
  std::vector<std::uint32_t> out;
  if (candidates.size() <= m) {
    for (const Scored& c : candidates) out.push_back(c.second);
    return out;
  }
  const auto d = static_cast<std::size_t>(index.dim_);
  for (const Scored& c : candidates) {
    if (out.size() >= m) break;
    bool good = true;
    for (std::uint32_t kept : out) {
      if (dot(index.row(c.second), index.row(kept), d) > c.first) {
        good = false;
        break;
      }
    }
    if (good) out.push_back(c.second);
  }
  return out;
}

void write_links(std::uint32_t* list, const std::vector<std::uint32_t>& nodes) {
  list[0] = static_cast<std::uint32_t>(nodes.size());
  std::copy(nodes.begin(), nodes.end(), list + 1);
}

}  // namespace

void check_hnsw_options(const HnswOptions& options) {
  TAILOR_CHECK_ARG(options.m >= 2 && options.m <= 128, "m: must be in [2, 128], got " + std::to_string(options.m));
  TAILOR_CHECK_ARG(options.ef_construction >= options.m && options.ef_construction <= 4096,
                   "ef_construction: must be in [m, 4096], got " + std::to_string(options.ef_construction));
  TAILOR_CHECK_ARG(options.ef_search >= 1 && options.ef_search <= 4096,
                   "ef_search: must be in [1, 4096], got " + std::to_string(options.ef_search));
}

HnswIndex::HnswIndex(int dim, const HnswOptions& options) : dim_(dim), options_(options) {
  TAILOR_CHECK_ARG(dim >= 1 && dim <= 65536, "dim: must be in [1, 65536], got " + std::to_string(dim));
  check_hnsw_options(options);
}

std::uint32_t* HnswIndex::links(std::uint32_t node, int layer) {
  if (layer == 0) return links0_.data() + static_cast<std::size_t>(node) * (cap0() + 1);
  return upper_[node].data() + static_cast<std::size_t>(layer - 1) * (cap_upper() + 1);
}

const std::uint32_t* HnswIndex::links(std::uint32_t node, int layer) const {
  return const_cast<HnswIndex*>(this)->links(node, layer);
}

int HnswIndex::draw_level(std::uint32_t id) const {
  // U in (0, 1]: the top 53 bits of a 64-bit draw, plus one, times 2^-53.
  const std::uint64_t bits = splitmix64(options_.seed ^ splitmix64(id));
  const double u = static_cast<double>((bits >> 11) + 1) * 0x1.0p-53;
  const double mult = 1.0 / std::log(static_cast<double>(options_.m));
  const double level = std::floor(-std::log(u) * mult);
  return level >= kMaxLevel ? kMaxLevel : static_cast<int>(level);
}

void HnswIndex::add(std::span<const float> rows) {
  check_rows(rows, dim_, size());
  const std::size_t first = size();
  const std::size_t n = rows.size() / static_cast<std::size_t>(dim_);
  data_.insert(data_.end(), rows.begin(), rows.end());
  levels_.resize(first + n);
  links0_.resize((first + n) * (cap0() + 1), 0);
  upper_.resize(first + n);
  for (std::size_t id = first; id < first + n; ++id) {
    const int level = draw_level(static_cast<std::uint32_t>(id));
    levels_[id] = static_cast<std::uint8_t>(level);
    upper_[id].assign(static_cast<std::size_t>(level) * (cap_upper() + 1), 0);
  }
  for (std::size_t id = first; id < first + n; ++id) insert(static_cast<std::uint32_t>(id));
}

// Algorithm 1 (INSERT) for a node whose row, level and empty link lists are
// already in place.
void HnswIndex::insert(std::uint32_t node) {
  const int level = levels_[node];
  if (entry_ == kNoNode) {
    entry_ = node;
    max_level_ = level;
    return;
  }
  const auto d = static_cast<std::size_t>(dim_);
  const float* query = row(node);
  Scored current{dot(query, row(entry_), d), entry_};
  for (int layer = max_level_; layer > level; --layer) current = greedy_closest(*this, query, current, layer);
  std::vector<Scored> entries{current};
  for (int layer = std::min(level, max_level_); layer >= 0; --layer) {
    std::vector<Scored> found =
        search_layer(*this, query, entries, static_cast<std::size_t>(options_.ef_construction), layer, nullptr);
    const std::vector<std::uint32_t> chosen = select_neighbours(*this, found, cap_upper());
    write_links(links(node, layer), chosen);
    const std::size_t cap = layer == 0 ? cap0() : cap_upper();
    for (std::uint32_t other : chosen) {
      std::uint32_t* list = links(other, layer);
      if (list[0] < cap) {
        list[1 + list[0]] = node;
        ++list[0];
        continue;
      }
      // Overflow: re-select `cap` links of `other` among its links plus node.
      std::vector<Scored> pool;
      pool.reserve(cap + 1);
      const float* base = row(other);
      for (std::uint32_t link = 1; link <= list[0]; ++link) pool.push_back({dot(base, row(list[link]), d), list[link]});
      pool.push_back({dot(base, query, d), node});
      std::sort(pool.begin(), pool.end(), std::greater<Scored>());
      write_links(list, select_neighbours(*this, pool, cap));
    }
    entries = std::move(found);
  }
  if (level > max_level_) {
    entry_ = node;
    max_level_ = level;
  }
}

std::vector<Hit> HnswIndex::search(std::span<const float> query, std::size_t k,
                                   const std::vector<bool>* allow) const {
  SearchOptions options;
  options.k = k;
  options.allow = allow;
  return search_with(query, options);
}

std::vector<Hit> HnswIndex::search_with(std::span<const float> query, const SearchOptions& options) const {
  const std::size_t n = size();
  check_query(query, dim_, options, n);
  if (n == 0) return {};
  const auto d = static_cast<std::size_t>(dim_);
  const std::size_t beam = std::max<std::size_t>(options.ef > 0 ? options.ef : options_.ef_search, options.k);
  const std::vector<bool>* allow = options.allow;

  // Exact fallback. The graph walk scores about beam/f nodes' M fresh
  // neighbours each, ~beam*M/f dot products for a mask of density f, while
  // scoring the allowed rows directly costs f*n; below that crossover (and
  // whenever the beam covers the whole index) brute force is both cheaper and
  // exact. f is estimated from up to 1024 evenly spaced mask entries, O(1).
  bool exact = beam >= n;
  if (allow != nullptr && options.exact_when_sparse && !exact) {
    const std::size_t samples = std::min<std::size_t>(n, 1024);
    std::size_t hits = 0;
    for (std::size_t s = 0; s < samples; ++s) hits += (*allow)[s * n / samples] ? 1 : 0;
    const double density = static_cast<double>(hits) / static_cast<double>(samples);
    exact = hits == 0 || density * static_cast<double>(n) <=
                             static_cast<double>(beam) * static_cast<double>(options_.m) / density;
  }
  if (exact) {
    TopK top(std::min(options.k, n));
    for (std::uint32_t node = 0; node < n; ++node) {
      if (allow != nullptr && !(*allow)[node]) continue;
      top.offer(node, dot(query.data(), row(node), d));
    }
    return top.take_sorted();
  }

  Scored current{dot(query.data(), row(entry_), d), entry_};
  for (int layer = max_level_; layer > 0; --layer) current = greedy_closest(*this, query.data(), current, layer);
  const std::vector<Scored> found = search_layer(*this, query.data(), {current}, beam, 0, allow);
  // search_layer returns best first by (similarity, id) descending; re-sort
  // with hit_better so equal scores order by ascending id, as FlatIndex does.
  std::vector<Hit> hits;
  hits.reserve(found.size());
  for (const Scored& s : found) hits.push_back({s.second, s.first});
  std::sort(hits.begin(), hits.end(), hit_better);
  if (hits.size() > options.k) hits.resize(options.k);
  return hits;
}

}  // namespace tailor::ann::detail
