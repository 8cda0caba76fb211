// snapshot(): the store's users, items and events as a Dataset.
//
// Store indexes may have holes (deleted rows), so users and items are
// remapped densely in scan order (= store index order). Events are aggregated
// per (user, item) with
//   weight = Σ_events type_weight(value) · 0.5^(age_days / half_life_days)
// (no decay factor when half_life_days == 0), age = max(0, now - timestamp).
#include <algorithm>
#include <cmath>
#include <limits>

#include "aggregate.h"
#include "tailor/store/store.h"

namespace tailor::dataset {
namespace {

constexpr std::uint32_t kNoIndex = std::numeric_limits<std::uint32_t>::max();
constexpr double kSecondsPerDay = 86400.0;

// Store index -> dense Dataset index; kNoIndex for holes.
void remember(std::vector<std::uint32_t>& map, std::uint32_t store_idx, std::uint32_t dense_idx) {
  if (map.size() <= store_idx) map.resize(static_cast<std::size_t>(store_idx) + 1, kNoIndex);
  map[store_idx] = dense_idx;
}

std::uint32_t lookup(const std::vector<std::uint32_t>& map, std::uint32_t store_idx) {
  return store_idx < map.size() ? map[store_idx] : kNoIndex;
}

}  // namespace

Dataset snapshot(const store::Store& store, const SnapshotOptions& options, bool quiet) {
  TAILOR_CHECK_ARG(std::isfinite(options.half_life_days) && options.half_life_days >= 0,
                   "snapshot: half_life_days must be >= 0");
  Dataset out;
  std::vector<std::uint32_t> user_map;
  std::vector<std::uint32_t> item_map;

  store.scan_users([&](std::uint32_t store_idx, const data::User& user) {
    std::uint32_t dense_idx = out.users.add(user.id);
    remember(user_map, store_idx, dense_idx);
    if (dense_idx == out.user_attributes.size()) out.user_attributes.push_back(user.attributes);
  });
  store.scan_items([&](std::uint32_t store_idx, const data::Item& item) {
    std::uint32_t dense_idx = out.items.add(item.id);
    remember(item_map, store_idx, dense_idx);
    if (dense_idx == out.item_meta.size()) {
      ItemMeta meta;
      meta.title = item.title;
      meta.description = item.description;
      meta.categories = item.categories;
      meta.tags = item.tags;
      meta.hidden = item.hidden;
      meta.available = item.available;
      meta.created_at = item.created_at;
      out.item_meta.push_back(std::move(meta));
    }
  });

  auto kept = [&](const store::StoredEvent& event) {
    return options.until == 0 || event.timestamp < options.until;
  };

  // Reference time for decay: the caller's, else the newest kept event (a
  // pre-pass, only when decay is on).
  const bool decay = options.half_life_days > 0;
  Timestamp now = options.now;
  if (decay && now == 0) {
    bool any = false;
    store.scan_events([&](const store::StoredEvent& event) {
      if (!kept(event)) return;
      if (!any || event.timestamp > now) now = event.timestamp;
      any = true;
    });
  }

  Progress progress("snapshot", quiet ? 0 : store.stats().events, quiet);
  detail::InteractionAggregator aggregator;
  store.scan_events([&](const store::StoredEvent& event) {
    progress.add();
    if (!kept(event)) return;
    std::uint32_t user_idx = lookup(user_map, event.user_idx);
    std::uint32_t item_idx = lookup(item_map, event.item_idx);
    // Committed after our user/item scans: not part of this snapshot.
    if (user_idx == kNoIndex || item_idx == kNoIndex) return;
    std::optional<double> weight = options.event_types.weight(event.type, event.value);
    if (!weight) return;  // unknown type under a stricter configuration
    double w = *weight;
    if (decay) {
      double age_days = static_cast<double>(std::max<Timestamp>(0, now - event.timestamp)) / kSecondsPerDay;
      w *= std::exp2(-age_days / options.half_life_days);  // 0.5^(age / half_life)
    }
    std::optional<float> rating;
    if (event.type == "rating") rating = static_cast<float>(event.value);
    aggregator.add(user_idx, item_idx, w, event.timestamp, rating);
  });
  progress.finish();

  out.interactions = aggregator.finish();
  out.item_meta.resize(out.items.size());
  out.user_attributes.resize(out.users.size(), data::Json::object());
  return out;
}

}  // namespace tailor::dataset
