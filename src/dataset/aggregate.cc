// Per-pair aggregation and make_dataset(): building a Dataset without a Store.
#include "aggregate.h"

#include <algorithm>

namespace tailor::dataset {
namespace detail {

void InteractionAggregator::add(std::uint32_t user, std::uint32_t item, double weight, Timestamp timestamp,
                                std::optional<float> rating) {
  Pair& pair = pairs_[key(user, item)];
  pair.weight += weight;
  if (!pair.has_timestamp || timestamp >= pair.timestamp) {
    pair.timestamp = timestamp;
    pair.has_timestamp = true;
  }
  if (rating && (!pair.has_rating || timestamp >= pair.rating_timestamp)) {
    pair.rating = *rating;
    pair.rating_timestamp = timestamp;
    pair.has_rating = true;
  }
}

std::vector<Interaction> InteractionAggregator::finish() const {
  std::vector<Interaction> out;
  out.reserve(pairs_.size());
  for (const auto& [k, pair] : pairs_) {
    // Only negative feedback (or positive cancelled by negative) is not a
    // positive interaction.
    if (!(pair.weight > 0)) continue;
    Interaction x;
    x.user = static_cast<std::uint32_t>(k >> 32);
    x.item = static_cast<std::uint32_t>(k & 0xFFFFFFFFu);
    x.weight = static_cast<float>(pair.weight);
    x.timestamp = pair.timestamp;
    if (pair.has_rating) x.rating = pair.rating;
    out.push_back(x);
  }
  sort_interactions(out);
  return out;
}

void sort_interactions(std::vector<Interaction>& interactions) {
  std::sort(interactions.begin(), interactions.end(), [](const Interaction& a, const Interaction& b) {
    if (a.user != b.user) return a.user < b.user;
    if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
    return a.item < b.item;
  });
}

}  // namespace detail

Dataset make_dataset(std::span<const RawInteraction> rows) {
  Dataset out;
  detail::InteractionAggregator aggregator;
  for (const RawInteraction& row : rows) {
    TAILOR_CHECK_ARG(!row.user.empty(), "make_dataset: empty user id");
    TAILOR_CHECK_ARG(!row.item.empty(), "make_dataset: empty item id");
    std::uint32_t user = out.users.add(row.user);
    std::uint32_t item = out.items.add(row.item);
    aggregator.add(user, item, row.weight, row.timestamp, row.rating);
  }
  out.interactions = aggregator.finish();
  out.item_meta.resize(out.items.size());
  out.user_attributes.assign(out.users.size(), data::Json::object());
  return out;
}

Dataset make_dataset(std::uint32_t user_count, std::uint32_t item_count,
                     std::span<const Interaction> interactions) {
  Dataset out;
  for (std::uint32_t user_idx = 0; user_idx < user_count; ++user_idx) out.users.add(std::to_string(user_idx));
  for (std::uint32_t item_idx = 0; item_idx < item_count; ++item_idx) out.items.add(std::to_string(item_idx));
  detail::InteractionAggregator aggregator;
  for (const Interaction& x : interactions) {
    TAILOR_CHECK_ARG(x.user < user_count && x.item < item_count,
                     "make_dataset: interaction (user " + std::to_string(x.user) + ", item " +
                         std::to_string(x.item) + ") outside " + std::to_string(user_count) + " users x " +
                         std::to_string(item_count) + " items");
    aggregator.add(x.user, x.item, x.weight, x.timestamp, x.rating);
  }
  out.interactions = aggregator.finish();
  out.item_meta.resize(item_count);
  out.user_attributes.assign(user_count, data::Json::object());
  return out;
}

}  // namespace tailor::dataset
