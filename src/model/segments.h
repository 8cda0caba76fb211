// Private to the model component: popular-in-segment, the attribute cold
// start behind hybrid's "segment" source.
//
// Each user attribute value is a segment: strings and booleans as they are
// ("gender=female", "vip=true"), each string element of an array
// ("interests=tea"), numbers by quantile bin of their key ("age#2" of
// numeric_bins, cut points learned from every user's value). A segment is
// kept when at least min_users active users (users with training
// interactions) have it. With c(j) = training users of item j, U = active
// users, P(j) = c(j) / U, n_s = active users in segment s, c_s(j) = those of
// them with j, m = smoothing, the naive-Bayes score of a set of segments S is
//   P̂(j | s)  = (c_s(j) + m · P(j)) / (n_s + m)
//   seg(j | S) = log P(j) + Σ_{s ∈ S} log(P̂(j | s) / P(j))      (-inf when c(j) = 0)
// (an empty S gives plain popularity, log P(j)). Layout: `counts_` is a
// segments x items CSR of c_s(j); `user_segments_` users x segments (value 1).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "tailor/dataset/dataset.h"

namespace tailor::model::detail {

struct SegmentOptions {
  double smoothing = 20;         // m, > 0
  std::size_t min_users = 10;    // active users a segment needs
  std::size_t numeric_bins = 5;  // quantile bins per numeric key, >= 1
};

// Immutable after build() / load(); const methods are thread-safe.
class SegmentTable {
 public:
  // Learns the segments from the users' attributes (index = user; missing or
  // non-object entries have none) and their training items.
  void build(const std::vector<data::Json>& user_attributes, const dataset::CsrMatrix& user_items,
             const SegmentOptions& options);

  // Segment ids of an attribute object, ascending; values no segment was
  // learned for are left out (an unknown key or value is not an error).
  std::vector<std::uint32_t> segments_of(const data::Json& attributes) const;
  // The stored segments of a training user (empty for an index out of range).
  std::span<const std::uint32_t> user_segments(std::uint32_t user) const;

  // seg(j | segments) for every item (scores.size() == item count).
  void score(std::span<const std::uint32_t> segments, std::span<float> scores) const;

  std::size_t segment_count() const { return names_.size(); }
  const std::string& segment_name(std::uint32_t segment) const { return names_[segment]; }

  // Layout: f64 smoothing; u32 n + per numeric key (string key, u32 n + f64
  // cut points); u32 n + segment names (id = position); u32 array n_s; u32 U;
  // csr counts; csr user segments.
  void save(std::ostream& out) const;
  // `user_items` is the training history the table was built on (c(j) is
  // recomputed from it). Corruption when the payload does not fit it.
  void load(std::istream& in, const dataset::CsrMatrix& user_items);

 private:
  std::vector<std::string> segment_names(const data::Json& attributes) const;

  double smoothing_ = 20;
  std::map<std::string, std::vector<double>> cuts_;  // numeric key -> ascending cut points
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<std::uint32_t> segment_users_;  // n_s
  std::uint32_t active_users_ = 0;            // U
  dataset::CsrMatrix counts_;                 // segments x items, c_s(j)
  dataset::CsrMatrix user_segments_;          // users x segments
  std::vector<std::uint32_t> item_users_;     // c(j)
};

}  // namespace tailor::model::detail
