// Interest tags: readable words for what a user cares about, from category
// affinity (a small table for the demo catalogue, the category name
// otherwise) and the tags of the items in their history.
#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "tailor/profile/profile.h"
#include "tailor/store/store.h"

namespace tailor::profile {
namespace {

// Top-level categories of data/demo and the tag a marketer would use.
constexpr std::pair<std::string_view, std::string_view> kCategoryTags[] = {
    {"running", "runner"},          {"fitness", "健身达人"},        {"books", "bookworm"},
    {"travel", "traveller"},        {"smart-home", "智能家居玩家"}, {"kitchen", "home cook"},
    {"computers", "科技爱好者"},    {"beauty", "美妆爱好者"},       {"baby-kids", "新手父母"},
    {"gaming", "gamer"},            {"coffee-tea", "coffee lover"}, {"fashion", "时尚达人"},
    {"outdoor", "outdoor explorer"}, {"phones-audio", "数码发烧友"},
};

constexpr std::size_t kMaxCategoryTags = 3;

}  // namespace

std::string interest_tag_for_category(std::string_view category) {
  for (const auto& [name, tag] : kCategoryTags)
    if (name == category) return std::string(tag);
  return std::string(category);
}

std::vector<std::string> interest_tags(const store::Store& store, const UserProfile& profile, std::size_t max_tags) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  auto push = [&](std::string tag) {
    if (out.size() < max_tags && !tag.empty() && seen.insert(tag).second) out.push_back(std::move(tag));
  };
  // 1. Categories with positive affinity, strongest first (ties by name).
  std::vector<std::pair<double, std::string>> affinity;
  for (const auto& [name, value] : profile.features)
    if (name.starts_with(kAffinityPrefix) && std::isfinite(value) && value > 0)
      affinity.emplace_back(value, name.substr(kAffinityPrefix.size()));
  std::sort(affinity.begin(), affinity.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  for (std::size_t idx = 0; idx < affinity.size() && idx < kMaxCategoryTags; ++idx)
    push(interest_tag_for_category(affinity[idx].second));
  // 2. Tags of consumed items (not disliked ones), most frequent first.
  std::unordered_map<std::string, std::size_t> item_counts;
  for (const data::Event& event : store.user_events(profile.user_id))
    if (event.type != "dislike") item_counts[event.item_id] += 1;
  std::unordered_map<std::string, std::size_t> tag_counts;
  for (const auto& [item_id, count] : item_counts)
    if (auto item = store.get_item(item_id))
      for (const std::string& tag : item->tags) tag_counts[tag] += count;
  std::vector<std::pair<std::size_t, std::string>> tags;
  for (auto& [tag, count] : tag_counts) tags.emplace_back(count, tag);
  std::sort(tags.begin(), tags.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  for (auto& [count, tag] : tags) push(std::move(tag));
  return out;
}

}  // namespace tailor::profile
