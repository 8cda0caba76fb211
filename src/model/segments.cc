// Popular-in-segment (segments.h): learning segments from user attributes,
// the naive-Bayes segment score, and the payload.
#include "segments.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tailor/model/model.h"

namespace tailor::model::detail {
namespace {

constexpr float kUnknown = -std::numeric_limits<float>::infinity();

[[noreturn]] void corrupt(const std::string& what) {
  throw_error(ErrorCode::kCorruption, "model file: hybrid segments: " + what);
}

void write_f64s(std::ostream& out, const std::vector<double>& values) {
  io::write_u32(out, static_cast<std::uint32_t>(values.size()));
  for (double v : values) io::write_f64(out, v);
}

std::vector<double> read_f64s(std::istream& in) {
  const std::uint32_t count = io::read_u32(in);
  std::vector<double> values;
  for (std::uint32_t pos = 0; pos < count; ++pos) values.push_back(io::read_f64(in));
  return values;
}

}  // namespace

void SegmentTable::build(const std::vector<data::Json>& user_attributes, const dataset::CsrMatrix& user_items,
                         const SegmentOptions& options) {
  smoothing_ = options.smoothing;
  const std::uint32_t n_users = user_items.rows;
  auto attributes_of = [&](std::uint32_t user_idx) -> const data::Json* {
    return user_idx < user_attributes.size() && user_attributes[user_idx].is_object() ? &user_attributes[user_idx]
                                                                                       : nullptr;
  };
  // Quantile cut points of every numeric key with enough values.
  std::map<std::string, std::vector<double>> numeric;
  for (std::uint32_t user_idx = 0; user_idx < n_users; ++user_idx)
    if (const data::Json* attrs = attributes_of(user_idx))
      for (const auto& [key, value] : attrs->items())
        if (value.is_number()) numeric[key].push_back(value.get<double>());
  cuts_.clear();
  for (auto& [key, values] : numeric) {
    if (values.size() < options.min_users) continue;
    std::sort(values.begin(), values.end());
    std::vector<double> cuts;
    for (std::size_t bin = 1; bin < options.numeric_bins; ++bin) {
      const double cut = values[bin * values.size() / options.numeric_bins];
      if (cuts.empty() || cut > cuts.back()) cuts.push_back(cut);
    }
    cuts_[key] = std::move(cuts);
  }
  // Candidate segment names per user, then the ones with enough active users.
  std::vector<std::vector<std::string>> names(n_users);
  std::map<std::string, std::uint32_t> active;
  for (std::uint32_t user_idx = 0; user_idx < n_users; ++user_idx) {
    if (const data::Json* attrs = attributes_of(user_idx)) names[user_idx] = segment_names(*attrs);
    if (user_items.row_size(user_idx) == 0) continue;
    for (const std::string& name : names[user_idx]) ++active[name];
  }
  names_.clear();
  ids_.clear();
  segment_users_.clear();
  for (const auto& [name, count] : active) {
    if (count < options.min_users) continue;
    ids_.emplace(name, static_cast<std::uint32_t>(names_.size()));
    names_.push_back(name);
    segment_users_.push_back(count);
  }
  // user x segment and segment x item counts.
  std::vector<dataset::Interaction> memberships;
  std::vector<dataset::Interaction> counts;
  active_users_ = 0;
  for (std::uint32_t user_idx = 0; user_idx < n_users; ++user_idx) {
    if (user_items.row_size(user_idx) > 0) ++active_users_;
    for (const std::string& name : names[user_idx]) {
      auto it = ids_.find(name);
      if (it == ids_.end()) continue;
      memberships.push_back({user_idx, it->second, 1.0f});
      if (user_items.row_size(user_idx) == 0) continue;
      for (std::uint32_t item_idx : user_items.row_indices(user_idx)) counts.push_back({it->second, item_idx, 1.0f});
    }
  }
  const auto n_segments = static_cast<std::uint32_t>(names_.size());
  user_segments_ = dataset::build_csr(memberships, n_users, n_segments);
  counts_ = dataset::build_csr(counts, n_segments, user_items.cols);
  item_users_.assign(user_items.cols, 0);
  for (std::uint32_t item_idx : user_items.indices) ++item_users_[item_idx];
}

std::vector<std::uint32_t> SegmentTable::segments_of(const data::Json& attributes) const {
  std::vector<std::uint32_t> out;
  if (!attributes.is_object()) return out;
  for (const std::string& name : segment_names(attributes)) {
    auto it = ids_.find(name);
    if (it != ids_.end()) out.push_back(it->second);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::span<const std::uint32_t> SegmentTable::user_segments(std::uint32_t user) const {
  return user < user_segments_.rows ? user_segments_.row_indices(user) : std::span<const std::uint32_t>();
}

void SegmentTable::score(std::span<const std::uint32_t> segments, std::span<float> scores) const {
  if (active_users_ == 0) {
    std::fill(scores.begin(), scores.end(), kUnknown);
    return;
  }
  const double users = active_users_;
  std::vector<double> log_p(scores.size(), 0);
  std::vector<double> total(scores.size(), 0);
  for (std::size_t item_idx = 0; item_idx < scores.size(); ++item_idx) {
    if (item_users_[item_idx] == 0) continue;
    log_p[item_idx] = std::log(item_users_[item_idx] / users);
    total[item_idx] = log_p[item_idx];
  }
  const double m = smoothing_;
  for (std::uint32_t segment : segments) {
    const double n_s = segment_users_[segment];
    // Items no member has: P̂ / P = m / (n_s + m), the same for all of them.
    const double unseen_lift = std::log(m / (n_s + m));
    for (std::size_t item_idx = 0; item_idx < scores.size(); ++item_idx) total[item_idx] += unseen_lift;
    auto items = counts_.row_indices(segment);
    auto counts = counts_.row_values(segment);
    for (std::size_t pos = 0; pos < items.size(); ++pos) {
      const std::uint32_t item_idx = items[pos];
      const double p = item_users_[item_idx] / users;
      total[item_idx] += std::log((counts[pos] + m * p) / (n_s + m)) - log_p[item_idx] - unseen_lift;
    }
  }
  for (std::size_t item_idx = 0; item_idx < scores.size(); ++item_idx)
    scores[item_idx] = item_users_[item_idx] > 0 ? static_cast<float>(total[item_idx]) : kUnknown;
}

void SegmentTable::save(std::ostream& out) const {
  io::write_f64(out, smoothing_);
  io::write_u32(out, static_cast<std::uint32_t>(cuts_.size()));
  for (const auto& [key, cuts] : cuts_) {
    io::write_string(out, key);
    write_f64s(out, cuts);
  }
  io::write_u32(out, static_cast<std::uint32_t>(names_.size()));
  for (const std::string& name : names_) io::write_string(out, name);
  io::write_u32s(out, segment_users_);
  io::write_u32(out, active_users_);
  io::write_csr(out, counts_);
  io::write_csr(out, user_segments_);
}

void SegmentTable::load(std::istream& in, const dataset::CsrMatrix& user_items) {
  smoothing_ = io::read_f64(in);
  if (!(smoothing_ > 0)) corrupt("bad segment smoothing");
  cuts_.clear();
  const std::uint32_t keys = io::read_u32(in);
  for (std::uint32_t pos = 0; pos < keys; ++pos) {
    std::string key = io::read_string(in);
    cuts_[key] = read_f64s(in);
  }
  names_.clear();
  ids_.clear();
  const std::uint32_t count = io::read_u32(in);
  for (std::uint32_t segment = 0; segment < count; ++segment) {
    names_.push_back(io::read_string(in));
    if (!ids_.emplace(names_.back(), segment).second) corrupt("duplicate segment '" + names_.back() + "'");
  }
  segment_users_ = io::read_u32s(in);
  active_users_ = io::read_u32(in);
  counts_ = io::read_csr(in);
  user_segments_ = io::read_csr(in);
  if (segment_users_.size() != count || counts_.rows != count || counts_.cols != user_items.cols ||
      user_segments_.rows != user_items.rows || user_segments_.cols != count)
    corrupt("segment table does not match the users and items");
  for (std::uint32_t n_s : segment_users_)
    if (n_s == 0) corrupt("empty segment");
  item_users_.assign(user_items.cols, 0);
  for (std::uint32_t item_idx : user_items.indices) ++item_users_[item_idx];
}

std::vector<std::string> SegmentTable::segment_names(const data::Json& attributes) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : attributes.items()) {
    if (value.is_string()) {
      out.push_back(key + "=" + value.get<std::string>());
    } else if (value.is_boolean()) {
      out.push_back(key + "=" + (value.get<bool>() ? "true" : "false"));
    } else if (value.is_number()) {
      auto it = cuts_.find(key);
      if (it == cuts_.end()) continue;
      const double v = value.get<double>();
      const auto bin = std::upper_bound(it->second.begin(), it->second.end(), v) - it->second.begin();
      out.push_back(key + "#" + std::to_string(bin));
    } else if (value.is_array()) {
      for (const auto& element : value)
        if (element.is_string()) out.push_back(key + "=" + element.get<std::string>());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace tailor::model::detail
