// Private to the dataset component: per-(user, item) aggregation shared by
// snapshot() and make_dataset().
//
// For every pair: weight = Σ event weights (already decayed by the caller),
// timestamp = latest event, rating = value of the latest rating event (a later
// event at the same second wins, so input order breaks ties).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "tailor/dataset/dataset.h"

namespace tailor::dataset::detail {

class InteractionAggregator {
 public:
  void add(std::uint32_t user, std::uint32_t item, double weight, Timestamp timestamp,
           std::optional<float> rating);
  // Pairs with total weight > 0, sorted by (user, timestamp, item).
  std::vector<Interaction> finish() const;

 private:
  struct Pair {
    double weight = 0;
    Timestamp timestamp = 0;
    bool has_timestamp = false;
    float rating = 0;
    Timestamp rating_timestamp = 0;
    bool has_rating = false;
  };
  static std::uint64_t key(std::uint32_t user, std::uint32_t item) {
    return (static_cast<std::uint64_t>(user) << 32) | item;
  }
  std::unordered_map<std::uint64_t, Pair> pairs_;
};

// Sorts interactions by (user, timestamp, item), the Dataset order.
void sort_interactions(std::vector<Interaction>& interactions);

}  // namespace tailor::dataset::detail
