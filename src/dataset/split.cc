// Train / validation / test splits and the splitmix64 PRNG behind them.
//
// Every splitter works on positions into dataset.interactions, grouped by user
// (each group ordered by timestamp, then item), marks each position with the
// part it goes to, and emits the three parts in dataset order. Randomness comes
// only from Rng, walked over users in index order, so a split depends only on
// the dataset and the options — not on platform, standard library or threads.
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "tailor/dataset/dataset.h"

namespace tailor::dataset {

// ------------------------------------------------------------------- Rng ---

// splitmix64 (Steele, Lea, Flood 2014; the seeding generator of xoshiro).
std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Rejection sampling: draws below 2^64 mod n are retried, so every residue is
// equally likely.
std::uint64_t Rng::below(std::uint64_t n) {
  TAILOR_ASSERT(n > 0);
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  while (true) {
    std::uint64_t r = next();
    if (r >= threshold) return r % n;
  }
}

// The top 53 bits as a double in [0, 1).
double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

namespace {

enum class Part : std::uint8_t { kTrain, kValidation, kTest };

// Positions of dataset.interactions per user, each ordered by (timestamp, item).
std::vector<std::vector<std::size_t>> group_by_user(const Dataset& dataset) {
  std::vector<std::vector<std::size_t>> groups(dataset.user_count());
  for (std::size_t pos = 0; pos < dataset.interactions.size(); ++pos) {
    std::uint32_t user = dataset.interactions[pos].user;
    TAILOR_CHECK_ARG(user < groups.size(), "split: interaction of user " + std::to_string(user) +
                                               " outside the dataset's " + std::to_string(groups.size()) +
                                               " users");
    groups[user].push_back(pos);
  }
  for (auto& group : groups) {
    std::stable_sort(group.begin(), group.end(), [&](std::size_t a, std::size_t b) {
      const Interaction& x = dataset.interactions[a];
      const Interaction& y = dataset.interactions[b];
      if (x.timestamp != y.timestamp) return x.timestamp < y.timestamp;
      return x.item < y.item;
    });
  }
  return groups;
}

// Fisher–Yates with Rng::below.
void shuffle(std::vector<std::size_t>& v, Rng& rng) {
  for (std::size_t pos = v.size(); pos > 1; --pos) {
    std::size_t other = static_cast<std::size_t>(rng.below(pos));
    std::swap(v[pos - 1], v[other]);
  }
}

// round(n * fraction) clamped to [0, n - 1]: every user keeps a training item.
std::size_t held_out_count(std::size_t n, double fraction) {
  auto count = static_cast<std::size_t>(std::floor(static_cast<double>(n) * fraction + 0.5));
  return std::min(count, n == 0 ? 0 : n - 1);
}

Split emit(const Dataset& dataset, const std::vector<Part>& parts) {
  Split out;
  for (std::size_t pos = 0; pos < parts.size(); ++pos) {
    switch (parts[pos]) {
      case Part::kTrain: out.train.push_back(dataset.interactions[pos]); break;
      case Part::kValidation: out.validation.push_back(dataset.interactions[pos]); break;
      case Part::kTest: out.test.push_back(dataset.interactions[pos]); break;
    }
  }
  return out;
}

// RecBole's Dataset._calcu_split_ids for ratios {0.8, 0.1, 0.1}: sizes of
// (train, validation, test) for a group of n. The double arithmetic matches
// Python's int(ratio * tot) bit for bit.
std::array<std::size_t, 3> recbole_counts(std::size_t n) {
  constexpr std::array<double, 3> kRatios{0.8, 0.1, 0.1};
  const double tot = static_cast<double>(n);
  std::array<std::size_t, 3> cnt{};
  for (std::size_t part = 0; part < 3; ++part) cnt[part] = static_cast<std::size_t>(kRatios[part] * tot);
  cnt[0] = n - cnt[1] - cnt[2];
  // "make sure every part is not empty": test first, then validation.
  for (std::size_t back = 1; back < 3; ++back) {
    if (cnt[0] <= 1) break;
    double share = kRatios[3 - back] * tot;
    if (share > 0 && share < 1) {
      ++cnt[3 - back];
      --cnt[0];
    }
  }
  return cnt;
}

void check_fraction(double fraction, const char* what) {
  TAILOR_CHECK_ARG(std::isfinite(fraction) && fraction > 0 && fraction < 1,
                   std::string("split: test_fraction must be in (0, 1) for ") + what + ", got " +
                       std::to_string(fraction));
}

Split split_global_temporal(const Dataset& dataset, const SplitOptions& options,
                            const std::vector<std::vector<std::size_t>>& groups) {
  check_fraction(options.test_fraction, "global_temporal");
  std::vector<Part> parts(dataset.interactions.size(), Part::kTrain);
  if (dataset.interactions.empty()) return emit(dataset, parts);
  std::vector<Timestamp> times;
  times.reserve(dataset.interactions.size());
  for (const Interaction& x : dataset.interactions) times.push_back(x.timestamp);
  std::sort(times.begin(), times.end());
  // The (1 - f) quantile: the timestamp at sorted position floor((1 - f) N).
  auto cut_pos = static_cast<std::size_t>(std::floor((1.0 - options.test_fraction) *
                                                     static_cast<double>(times.size())));
  cut_pos = std::min(cut_pos, times.size() - 1);
  const Timestamp cutoff = times[cut_pos];
  for (const auto& group : groups) {
    if (group.size() < options.min_user_interactions) continue;
    for (std::size_t pos : group)
      if (dataset.interactions[pos].timestamp >= cutoff) parts[pos] = Part::kTest;
  }
  return emit(dataset, parts);
}

// Items, not users, are held out: a seeded sample of the items that have
// interactions, all of whose interactions become test.
Split split_cold_items(const Dataset& dataset, const SplitOptions& options) {
  check_fraction(options.test_fraction, "cold_items");
  std::vector<std::uint32_t> items;
  {
    std::vector<bool> used(dataset.item_count(), false);
    for (const Interaction& x : dataset.interactions) used[x.item] = true;
    for (std::uint32_t item_idx = 0; item_idx < dataset.item_count(); ++item_idx)
      if (used[item_idx]) items.push_back(item_idx);
  }
  Rng rng(options.seed);
  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  shuffle(order, rng);
  const std::size_t n_cold = held_out_count(items.size(), options.test_fraction);
  std::vector<bool> cold(dataset.item_count(), false);
  for (std::size_t rank = 0; rank < n_cold; ++rank) cold[items[order[rank]]] = true;
  std::vector<Part> parts(dataset.interactions.size(), Part::kTrain);
  for (std::size_t pos = 0; pos < dataset.interactions.size(); ++pos)
    if (cold[dataset.interactions[pos].item]) parts[pos] = Part::kTest;
  return emit(dataset, parts);
}

}  // namespace

Split split(const Dataset& dataset, const SplitOptions& options) {
  if (options.kind == SplitKind::kColdItems) return split_cold_items(dataset, options);
  const auto groups = group_by_user(dataset);
  if (options.kind == SplitKind::kGlobalTemporal) return split_global_temporal(dataset, options, groups);
  if (options.kind == SplitKind::kRandom) check_fraction(options.test_fraction, "random");
  if (options.kind == SplitKind::kTemporal && options.last_n == 0) check_fraction(options.test_fraction, "temporal");

  std::vector<Part> parts(dataset.interactions.size(), Part::kTrain);
  Rng rng(options.seed);
  // A user needs two interactions to have one in train and one held out.
  const std::size_t min_n = std::max<std::size_t>(options.min_user_interactions, 2);
  for (auto group : groups) {
    const std::size_t n = group.size();
    if (n < min_n) continue;
    switch (options.kind) {
      case SplitKind::kRandom: {
        std::size_t n_test = held_out_count(n, options.test_fraction);
        shuffle(group, rng);
        for (std::size_t rank = 0; rank < n_test; ++rank) parts[group[rank]] = Part::kTest;
        break;
      }
      case SplitKind::kTemporal: {
        std::size_t n_test = options.last_n > 0 ? std::min(options.last_n, n - 1)
                                                : held_out_count(n, options.test_fraction);
        for (std::size_t rank = n - n_test; rank < n; ++rank) parts[group[rank]] = Part::kTest;
        break;
      }
      case SplitKind::kLeaveOneOut:
        parts[group.back()] = Part::kTest;
        break;
      case SplitKind::kRecbole: {
        // RecBole shuffles (order RO), then takes train, validation, test in turn.
        auto cnt = recbole_counts(n);
        shuffle(group, rng);
        for (std::size_t rank = cnt[0]; rank < cnt[0] + cnt[1]; ++rank) parts[group[rank]] = Part::kValidation;
        for (std::size_t rank = cnt[0] + cnt[1]; rank < n; ++rank) parts[group[rank]] = Part::kTest;
        break;
      }
      case SplitKind::kGlobalTemporal:
      case SplitKind::kColdItems:
        break;  // handled above
    }
  }
  return emit(dataset, parts);
}

// Shuffles all positions once, then cuts them into k contiguous folds of
// floor(N / k) or floor(N / k) + 1 (the first N mod k folds are the larger),
// like scikit-learn's KFold(shuffle=True).
std::vector<Split> kfold(const Dataset& dataset, int k, std::uint64_t seed) {
  TAILOR_CHECK_ARG(k >= 2, "kfold: k must be >= 2, got " + std::to_string(k));
  const std::size_t n = dataset.interactions.size();
  const auto folds = static_cast<std::size_t>(k);
  TAILOR_CHECK_ARG(n >= folds, "kfold: " + std::to_string(k) + " folds need at least as many interactions, got " +
                                   std::to_string(n));
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  Rng rng(seed);
  shuffle(order, rng);
  std::vector<std::size_t> fold_of(n);
  std::size_t start = 0;
  for (std::size_t fold = 0; fold < folds; ++fold) {
    std::size_t size = n / folds + (fold < n % folds ? 1 : 0);
    for (std::size_t rank = start; rank < start + size; ++rank) fold_of[order[rank]] = fold;
    start += size;
  }
  std::vector<Split> out(folds);
  for (std::size_t fold = 0; fold < folds; ++fold) {
    std::vector<Part> parts(n);
    for (std::size_t pos = 0; pos < n; ++pos) parts[pos] = fold_of[pos] == fold ? Part::kTest : Part::kTrain;
    out[fold] = emit(dataset, parts);
  }
  return out;
}

SplitKind parse_split_kind(std::string_view name_in) {
  std::string normalised(name_in);  // the CLI spells them with hyphens
  std::replace(normalised.begin(), normalised.end(), '-', '_');
  const std::string_view name = normalised;
  if (name == "random") return SplitKind::kRandom;
  if (name == "temporal") return SplitKind::kTemporal;
  if (name == "leave_one_out" || name == "loo") return SplitKind::kLeaveOneOut;
  if (name == "global_temporal") return SplitKind::kGlobalTemporal;
  if (name == "recbole") return SplitKind::kRecbole;
  if (name == "cold_items") return SplitKind::kColdItems;
  throw_error(ErrorCode::kInvalidArgument,
              "split: unknown kind '" + std::string(name_in) +
                  "' (expected random, temporal, leave_one_out, global_temporal, recbole or cold_items)");
}

std::string_view split_kind_name(SplitKind kind) {
  switch (kind) {
    case SplitKind::kRandom: return "random";
    case SplitKind::kTemporal: return "temporal";
    case SplitKind::kLeaveOneOut: return "leave_one_out";
    case SplitKind::kGlobalTemporal: return "global_temporal";
    case SplitKind::kRecbole: return "recbole";
    case SplitKind::kColdItems: return "cold_items";
  }
  return "random";
}

}  // namespace tailor::dataset
