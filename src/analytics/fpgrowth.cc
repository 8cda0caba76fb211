// Baskets, frequent itemsets by FP-Growth, and association rules.
//
// FP-Growth (Han, Pei, Yin 2000). Items that are frequent on their own get a
// rank: descending count, ties by item index. Every basket, its frequent items
// sorted by rank, is inserted as a path from the root of a prefix tree
// (FpTree) whose nodes count the baskets sharing that prefix; a header table
// links all nodes of one item. Mining an item i of a tree: its support is the
// sum of its nodes' counts; its conditional pattern base is the root paths
// above those nodes, each weighted by the node's count; the items of the base
// that are frequent form a smaller conditional tree, mined recursively with i
// appended to the prefix. Trees use local item ids [0, k) that keep the rank
// order, so a root path has increasing ids and mining goes from k-1 down.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <unordered_map>

#include "tailor/analytics/analytics.h"
#include "tailor/core/core.h"

namespace tailor::analytics {
namespace {

constexpr std::uint32_t kNone = UINT32_MAX;

struct FpNode {
  std::uint32_t item = kNone;          // local id; kNone for the root
  std::uint32_t parent = kNone;
  std::uint32_t first_child = kNone;
  std::uint32_t next_sibling = kNone;
  std::uint32_t next_link = kNone;     // next node of the same item (header chain)
  std::uint64_t count = 0;
};

class FpTree {
 public:
  explicit FpTree(std::size_t item_count) : head_(item_count, kNone), totals_(item_count, 0) {
    nodes_.emplace_back();
  }

  // path: local ids in increasing order.
  void insert(std::span<const std::uint32_t> path, std::uint64_t count) {
    std::uint32_t node = 0;
    for (std::uint32_t item : path) {
      std::uint32_t child = nodes_[node].first_child;
      while (child != kNone && nodes_[child].item != item) child = nodes_[child].next_sibling;
      if (child == kNone) {
        TAILOR_ASSERT(nodes_.size() < kNone);
        child = static_cast<std::uint32_t>(nodes_.size());
        FpNode fresh;
        fresh.item = item;
        fresh.parent = node;
        fresh.next_sibling = nodes_[node].first_child;
        fresh.next_link = head_[item];
        nodes_.push_back(fresh);
        nodes_[node].first_child = child;
        head_[item] = child;
      }
      nodes_[child].count += count;
      totals_[item] += count;
      node = child;
    }
  }

  std::size_t item_count() const { return head_.size(); }
  std::uint64_t total(std::uint32_t item) const { return totals_[item]; }
  std::uint32_t head(std::uint32_t item) const { return head_[item]; }
  const FpNode& node(std::uint32_t index) const { return nodes_[index]; }

 private:
  std::vector<FpNode> nodes_;
  std::vector<std::uint32_t> head_;
  std::vector<std::uint64_t> totals_;
};

// A conditional tree and the global rank of each of its local ids.
struct ConditionalTree {
  FpTree tree{0};
  std::vector<std::uint32_t> ranks;
};

class Miner {
 public:
  Miner(std::uint64_t min_count, std::size_t max_size, std::size_t max_itemsets,
        const std::vector<std::uint32_t>& rank_items, std::atomic<std::size_t>& emitted)
      : min_count_(min_count), max_size_(max_size), max_itemsets_(max_itemsets), rank_items_(rank_items),
        emitted_(emitted) {}

  // Mines local item `item` of `tree` (whose local ids map to `ranks`) under `prefix`.
  void mine_item(const FpTree& tree, const std::vector<std::uint32_t>& ranks, std::uint32_t item,
                 std::vector<std::uint32_t>& prefix, std::vector<Itemset>& out) {
    const std::uint64_t support = tree.total(item);
    if (support < min_count_) return;
    prefix.push_back(ranks[item]);
    emit(prefix, support, out);
    if (max_size_ == 0 || prefix.size() < max_size_) {
      ConditionalTree cond = conditional(tree, ranks, item);
      for (std::size_t local = cond.tree.item_count(); local-- > 0;) {
        mine_item(cond.tree, cond.ranks, static_cast<std::uint32_t>(local), prefix, out);
      }
    }
    prefix.pop_back();
  }

 private:
  void emit(const std::vector<std::uint32_t>& prefix, std::uint64_t count, std::vector<Itemset>& out) {
    const std::size_t total = emitted_.fetch_add(1) + 1;
    if (max_itemsets_ != 0 && total > max_itemsets_) {
      throw_error(ErrorCode::kInvalidArgument,
                  "more than " + std::to_string(max_itemsets_) +
                      " frequent itemsets; raise the minimum support or limit the itemset size");
    }
    Itemset itemset;
    itemset.items.reserve(prefix.size());
    for (std::uint32_t rank : prefix) itemset.items.push_back(rank_items_[rank]);
    std::sort(itemset.items.begin(), itemset.items.end());
    itemset.count = count;
    out.push_back(std::move(itemset));
  }

  // The conditional pattern base of `item` (every root path above its nodes,
  // weighted by the node's count), restricted to its frequent items, as a tree.
  ConditionalTree conditional(const FpTree& tree, const std::vector<std::uint32_t>& ranks, std::uint32_t item) {
    std::vector<std::uint64_t> counts(item, 0);  // ancestors have local ids < item
    for (std::uint32_t n = tree.head(item); n != kNone; n = tree.node(n).next_link) {
      const std::uint64_t c = tree.node(n).count;
      for (std::uint32_t p = tree.node(n).parent; tree.node(p).item != kNone; p = tree.node(p).parent) {
        counts[tree.node(p).item] += c;
      }
    }
    std::vector<std::uint32_t> remap(item, kNone);
    ConditionalTree cond;
    for (std::uint32_t local = 0; local < item; ++local) {
      if (counts[local] >= min_count_) {
        remap[local] = static_cast<std::uint32_t>(cond.ranks.size());
        cond.ranks.push_back(ranks[local]);
      }
    }
    cond.tree = FpTree(cond.ranks.size());
    if (cond.ranks.empty()) return cond;
    std::vector<std::uint32_t> path;
    for (std::uint32_t n = tree.head(item); n != kNone; n = tree.node(n).next_link) {
      path.clear();
      for (std::uint32_t p = tree.node(n).parent; tree.node(p).item != kNone; p = tree.node(p).parent) {
        const std::uint32_t mapped = remap[tree.node(p).item];
        if (mapped != kNone) path.push_back(mapped);
      }
      std::reverse(path.begin(), path.end());  // root first: increasing ids
      if (!path.empty()) cond.tree.insert(path, tree.node(n).count);
    }
    return cond;
  }

  std::uint64_t min_count_;
  std::size_t max_size_;
  std::size_t max_itemsets_;
  const std::vector<std::uint32_t>& rank_items_;
  std::atomic<std::size_t>& emitted_;
};

bool itemset_less(const Itemset& a, const Itemset& b) {
  if (a.items.size() != b.items.size()) return a.items.size() < b.items.size();
  return a.items < b.items;
}

struct ItemsHash {
  std::size_t operator()(const std::vector<std::uint32_t>& items) const noexcept {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (std::uint32_t item : items) h = (h ^ item) * 0x100000001b3ULL + (h >> 29);
    return static_cast<std::size_t>(h);
  }
};

}  // namespace

std::vector<Basket> make_baskets(const dataset::Dataset& data, const BasketOptions& options) {
  TAILOR_CHECK_ARG(options.min_rating >= 0, "min_rating must be >= 0");
  TAILOR_CHECK_ARG(options.session_gap_minutes >= 0, "session_gap_minutes must be >= 0");
  const double gap_seconds = options.session_gap_minutes * 60.0;
  std::vector<Basket> baskets;
  Basket current;
  std::uint32_t current_user = kNone;
  Timestamp last_time = 0;
  auto flush = [&] {
    if (current.empty()) return;
    std::sort(current.begin(), current.end());
    current.erase(std::unique(current.begin(), current.end()), current.end());
    baskets.push_back(std::move(current));
    current.clear();
  };
  // interactions are sorted by (user, timestamp, item).
  for (const dataset::Interaction& interaction : data.interactions) {
    if (interaction.weight <= 0) continue;
    if (options.min_rating > 0 && (!interaction.rating || *interaction.rating < options.min_rating)) continue;
    const bool new_user = interaction.user != current_user;
    const bool new_session = !new_user && gap_seconds > 0 &&
                             static_cast<double>(interaction.timestamp - last_time) > gap_seconds;
    if (new_user || new_session) flush();
    current_user = interaction.user;
    last_time = interaction.timestamp;
    current.push_back(interaction.item);
  }
  flush();
  return baskets;
}

std::uint64_t min_support_count(double min_support, std::size_t basket_count) {
  const double exact = min_support * static_cast<double>(basket_count);
  // Tolerate rounding in min_support * n (0.3 * 10 = 3.0000000000000004).
  const auto count = static_cast<std::uint64_t>(std::ceil(exact - 1e-9));
  return std::max<std::uint64_t>(count, 1);
}

std::vector<Itemset> frequent_itemsets(std::span<const Basket> baskets, const ItemsetOptions& options) {
  TAILOR_CHECK_ARG(options.min_support > 0 && options.min_support <= 1, "min_support must be in (0, 1]");
  const std::uint64_t min_count = min_support_count(options.min_support, baskets.size());

  // Global ranks of the items frequent on their own.
  std::uint32_t max_item = 0;
  for (const Basket& basket : baskets) {
    for (std::uint32_t item : basket) max_item = std::max(max_item, item + 1);
  }
  std::vector<std::uint64_t> item_counts(max_item, 0);
  for (const Basket& basket : baskets) {
    for (std::size_t pos = 0; pos < basket.size(); ++pos) {
      TAILOR_CHECK_ARG(pos == 0 || basket[pos - 1] < basket[pos], "baskets must be sorted and duplicate-free");
      ++item_counts[basket[pos]];
    }
  }
  std::vector<std::uint32_t> rank_items;  // rank -> item
  for (std::uint32_t item = 0; item < max_item; ++item) {
    if (item_counts[item] >= min_count) rank_items.push_back(item);
  }
  std::sort(rank_items.begin(), rank_items.end(), [&](std::uint32_t a, std::uint32_t b) {
    return item_counts[a] != item_counts[b] ? item_counts[a] > item_counts[b] : a < b;
  });
  std::vector<std::uint32_t> item_rank(max_item, kNone);
  for (std::uint32_t rank = 0; rank < rank_items.size(); ++rank) item_rank[rank_items[rank]] = rank;

  FpTree tree(rank_items.size());
  std::vector<std::uint32_t> path;
  for (const Basket& basket : baskets) {
    path.clear();
    for (std::uint32_t item : basket) {
      if (item_rank[item] != kNone) path.push_back(item_rank[item]);
    }
    std::sort(path.begin(), path.end());
    if (!path.empty()) tree.insert(path, 1);
  }
  std::vector<std::uint32_t> identity(rank_items.size());
  for (std::uint32_t rank = 0; rank < identity.size(); ++rank) identity[rank] = rank;

  // The top-level items are independent subproblems over a read-only tree.
  // The rarest items have the smallest conditional bases, so hand out the most
  // frequent (largest) ones first for balance.
  std::atomic<std::size_t> emitted{0};
  const std::size_t top = rank_items.size();
  const int workers = worker_count(options.threads, top);
  std::vector<std::vector<Itemset>> per_worker(static_cast<std::size_t>(std::max(workers, 1)));
  Miner miner(min_count, options.max_size, options.max_itemsets, rank_items, emitted);
  parallel_for_worker(
      0, top, options.threads,
      [&](std::size_t index, int worker) {
        std::vector<std::uint32_t> prefix;
        miner.mine_item(tree, identity, static_cast<std::uint32_t>(index), prefix,
                        per_worker[static_cast<std::size_t>(worker)]);
      },
      1);
  std::vector<Itemset> result;
  result.reserve(emitted.load());
  for (auto& part : per_worker) {
    for (Itemset& itemset : part) result.push_back(std::move(itemset));
  }
  std::sort(result.begin(), result.end(), itemset_less);
  return result;
}

std::vector<Rule> association_rules(std::span<const Itemset> itemsets, std::size_t basket_count,
                                    const RuleOptions& options) {
  TAILOR_CHECK_ARG(options.min_confidence >= 0 && options.min_confidence <= 1, "min_confidence must be in [0, 1]");
  TAILOR_CHECK_ARG(options.min_lift >= 0, "min_lift must be >= 0");
  std::vector<Rule> rules;
  if (basket_count == 0) return rules;
  std::unordered_map<std::vector<std::uint32_t>, std::uint64_t, ItemsHash> counts;
  counts.reserve(itemsets.size());
  for (const Itemset& itemset : itemsets) counts.emplace(itemset.items, itemset.count);
  auto count_of = [&](const std::vector<std::uint32_t>& items) {
    auto it = counts.find(items);
    TAILOR_CHECK_ARG(it != counts.end(), "association_rules: itemsets are not closed under subsets");
    return it->second;
  };
  const double n = static_cast<double>(basket_count);
  std::vector<std::uint32_t> antecedent;
  std::vector<std::uint32_t> consequent;
  for (const Itemset& itemset : itemsets) {
    const std::size_t size = itemset.items.size();
    if (size < 2) continue;
    TAILOR_CHECK_ARG(size < 32, "association_rules: itemsets of 32 or more items are not supported");
    const std::uint32_t full = (1U << size) - 1;
    // Every non-empty proper subset mask is an antecedent; its complement the consequent.
    for (std::uint32_t mask = 1; mask < full; ++mask) {
      antecedent.clear();
      consequent.clear();
      for (std::size_t pos = 0; pos < size; ++pos) {
        ((mask >> pos) & 1U ? antecedent : consequent).push_back(itemset.items[pos]);
      }
      // support(X ∪ Y) = c / n; confidence = c / count(X); lift = confidence / (count(Y) / n).
      const double confidence = static_cast<double>(itemset.count) / static_cast<double>(count_of(antecedent));
      if (confidence < options.min_confidence) continue;
      const double lift = confidence / (static_cast<double>(count_of(consequent)) / n);
      if (lift < options.min_lift) continue;
      rules.push_back({antecedent, consequent, static_cast<double>(itemset.count) / n, confidence, lift});
    }
  }
  std::sort(rules.begin(), rules.end(), [](const Rule& a, const Rule& b) {
    if (a.lift != b.lift) return a.lift > b.lift;
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    if (a.support != b.support) return a.support > b.support;
    if (a.antecedent != b.antecedent) return a.antecedent < b.antecedent;
    return a.consequent < b.consequent;
  });
  return rules;
}

std::vector<Rule> rules_for_item(std::span<const Rule> rules, std::uint32_t item) {
  std::vector<Rule> out;
  for (const Rule& rule : rules) {
    if (rule.antecedent.size() == 1 && rule.antecedent[0] == item) out.push_back(rule);
  }
  return out;
}

}  // namespace tailor::analytics
