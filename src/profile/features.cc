// Profile features: one scan of users, items and events of the store into
// per-user accumulators, then the features derived from them.
//
// Layout while scanning: items are indexed by the store's dense item index
// (top-level category id, price); accumulators by the store's user index.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "tailor/profile/profile.h"
#include "tailor/store/store.h"

namespace tailor::profile {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kDay = 86400;

constexpr std::array<std::string_view, 18> kFixedFeatures = {
    "recency_days",       // days from the user's last event to `now`
    "tenure_days",        // days from the user's first event to `now`
    "frequency",          // number of events
    "active_days",        // distinct UTC days with an event
    "purchases",          // purchase events
    "carts",              // add_to_cart events
    "monetary",           // sum of purchase values
    "avg_order_value",    // monetary / purchases
    "hour_night",         // share of events in [0, 6) UTC
    "hour_morning",       // [6, 12)
    "hour_afternoon",     // [12, 18)
    "hour_evening",       // [18, 24)
    "weekday_share",      // share of events Monday..Friday (UTC)
    "weekend_share",      // Saturday, Sunday
    "price_sensitivity",  // mean of price / category mean price over carted and purchased items
    "avg_rating",         // mean value of rating and review events
    "ratings",            // number of rating and review events
    "dislike_share",      // dislikes / events
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct ItemInfo {
  int category = -1;  // index into the sorted top-level categories, -1 = none
  double price = kNaN;
};

struct Accumulator {
  std::uint64_t events = 0, purchases = 0, carts = 0, dislikes = 0, ratings = 0;
  double monetary = 0, rating_sum = 0;
  double price_ratio_sum = 0;
  std::uint64_t price_ratio_count = 0;
  Timestamp first = std::numeric_limits<Timestamp>::max();
  Timestamp last = std::numeric_limits<Timestamp>::min();
  std::array<std::uint64_t, 4> hours{};
  std::uint64_t weekend = 0;
  std::vector<std::int64_t> days;
  std::vector<double> category_weight;    // per category
  std::vector<std::uint64_t> channel_count;  // per channel
};

}  // namespace

std::span<const std::string_view> fixed_feature_names() { return kFixedFeatures; }

std::optional<double> UserProfile::feature(std::string_view name) const {
  auto it = features.find(std::string(name));
  if (it == features.end()) return std::nullopt;
  return it->second;
}

const UserProfile* ProfileSet::find(std::string_view user_id) const {
  auto it = index_.find(std::string(user_id));
  return it == index_.end() ? nullptr : &users[it->second];
}

ProfileSet compute_profiles(const store::Store& store, const ProfileOptions& options) {
  ProfileSet set;

  // Items: top-level category (first category, text before '/') and price.
  std::vector<std::string> item_category;
  std::vector<double> item_price;
  store.scan_items([&](std::uint32_t idx, const data::Item& item) {
    if (idx >= item_category.size()) {
      item_category.resize(idx + 1);
      item_price.resize(idx + 1, kNaN);
    }
    if (!item.categories.empty()) item_category[idx] = item.categories.front().substr(0, item.categories.front().find('/'));
    if (item.price) item_price[idx] = *item.price;
  });
  for (const auto& c : item_category)
    if (!c.empty()) set.categories.push_back(c);
  std::sort(set.categories.begin(), set.categories.end());
  set.categories.erase(std::unique(set.categories.begin(), set.categories.end()), set.categories.end());
  std::vector<ItemInfo> items(item_category.size());
  std::vector<double> category_price_sum(set.categories.size(), 0), category_price_count(set.categories.size(), 0);
  for (std::size_t item_idx = 0; item_idx < items.size(); ++item_idx) {
    items[item_idx].price = item_price[item_idx];
    if (item_category[item_idx].empty()) continue;
    auto pos = std::lower_bound(set.categories.begin(), set.categories.end(), item_category[item_idx]);
    items[item_idx].category = static_cast<int>(pos - set.categories.begin());
    if (!std::isnan(item_price[item_idx])) {
      category_price_sum[items[item_idx].category] += item_price[item_idx];
      category_price_count[items[item_idx].category] += 1;
    }
  }
  std::vector<double> category_mean_price(set.categories.size(), kNaN);
  for (std::size_t c = 0; c < set.categories.size(); ++c)
    if (category_price_count[c] > 0 && category_price_sum[c] > 0)
      category_mean_price[c] = category_price_sum[c] / category_price_count[c];

  // Users, in index order.
  std::vector<std::int64_t> slot_of_index;  // store user index -> position in set.users, -1 = none
  store.scan_users([&](std::uint32_t idx, const data::User& user) {
    if (idx >= slot_of_index.size()) slot_of_index.resize(idx + 1, -1);
    slot_of_index[idx] = static_cast<std::int64_t>(set.users.size());
    UserProfile profile;
    profile.user_id = user.id;
    profile.attributes = user.attributes.is_object() ? user.attributes : Json::object();
    set.users.push_back(std::move(profile));
  });

  // Events. Channels are discovered on the way, so channel counts are keyed by
  // the order of first appearance and renamed to sorted order afterwards.
  std::vector<Accumulator> acc(set.users.size());
  std::vector<std::string> channels_seen;
  std::unordered_map<std::string, std::size_t> channel_id;
  Timestamp newest = std::numeric_limits<Timestamp>::min();
  const auto& types = options.event_types;
  store.scan_events([&](const store::StoredEvent& ev) {
    if (ev.user_idx >= slot_of_index.size() || slot_of_index[ev.user_idx] < 0) return;
    if (ev.item_idx >= items.size()) return;
    if (options.until != 0 && ev.timestamp >= options.until) return;
    Accumulator& a = acc[static_cast<std::size_t>(slot_of_index[ev.user_idx])];
    const ItemInfo& item = items[ev.item_idx];
    newest = std::max(newest, ev.timestamp);
    a.events += 1;
    a.first = std::min(a.first, ev.timestamp);
    a.last = std::max(a.last, ev.timestamp);
    const std::int64_t day = floor_div(ev.timestamp, kDay);
    a.days.push_back(day);
    a.hours[static_cast<std::size_t>((ev.timestamp - day * kDay) / (6 * 3600))] += 1;
    const std::int64_t weekday = ((day + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
    a.weekend += (weekday == 0 || weekday == 6);
    const std::string channel = ev.channel.empty() ? "unknown" : ev.channel;
    auto [it, inserted] = channel_id.emplace(channel, channels_seen.size());
    if (inserted) channels_seen.push_back(channel);
    if (a.channel_count.size() <= it->second) a.channel_count.resize(it->second + 1, 0);
    a.channel_count[it->second] += 1;

    if (ev.type == "purchase") {
      a.purchases += 1;
      a.monetary += ev.value;
    } else if (ev.type == "add_to_cart") {
      a.carts += 1;
    } else if (ev.type == "dislike") {
      a.dislikes += 1;
    } else if (ev.type == "rating" || ev.type == "review") {
      a.ratings += 1;
      a.rating_sum += ev.value;
    }
    if ((ev.type == "purchase" || ev.type == "add_to_cart") && item.category >= 0 && !std::isnan(item.price) &&
        !std::isnan(category_mean_price[item.category])) {
      a.price_ratio_sum += item.price / category_mean_price[item.category];
      a.price_ratio_count += 1;
    }
    if (item.category >= 0) {
      if (a.category_weight.empty()) a.category_weight.assign(set.categories.size(), 0);
      a.category_weight[item.category] += types.weight(ev.type, ev.value).value_or(types.default_weight);
    }
  });
  set.now = options.now != 0     ? options.now
            : options.until != 0 ? options.until
            : (newest == std::numeric_limits<Timestamp>::min() ? 0 : newest);
  set.channels = channels_seen;
  std::sort(set.channels.begin(), set.channels.end());

  for (std::size_t slot = 0; slot < set.users.size(); ++slot) {
    Accumulator& a = acc[slot];
    UserProfile& profile = set.users[slot];
    profile.event_count = a.events;
    auto& f = profile.features;
    const double events = static_cast<double>(a.events);
    const bool active = a.events > 0;
    std::sort(a.days.begin(), a.days.end());
    f["recency_days"] = active ? static_cast<double>(set.now - a.last) / kDay : kNaN;
    f["tenure_days"] = active ? static_cast<double>(set.now - a.first) / kDay : kNaN;
    f["frequency"] = events;
    f["active_days"] = static_cast<double>(std::unique(a.days.begin(), a.days.end()) - a.days.begin());
    f["purchases"] = static_cast<double>(a.purchases);
    f["carts"] = static_cast<double>(a.carts);
    f["monetary"] = a.monetary;
    f["avg_order_value"] = a.purchases > 0 ? a.monetary / static_cast<double>(a.purchases) : kNaN;
    const char* hour_names[4] = {"hour_night", "hour_morning", "hour_afternoon", "hour_evening"};
    for (std::size_t bucket = 0; bucket < 4; ++bucket)
      f[hour_names[bucket]] = active ? static_cast<double>(a.hours[bucket]) / events : kNaN;
    f["weekend_share"] = active ? static_cast<double>(a.weekend) / events : kNaN;
    f["weekday_share"] = active ? 1.0 - f["weekend_share"] : kNaN;
    f["price_sensitivity"] =
        a.price_ratio_count > 0 ? a.price_ratio_sum / static_cast<double>(a.price_ratio_count) : kNaN;
    f["avg_rating"] = a.ratings > 0 ? a.rating_sum / static_cast<double>(a.ratings) : kNaN;
    f["ratings"] = static_cast<double>(a.ratings);
    f["dislike_share"] = active ? static_cast<double>(a.dislikes) / events : kNaN;
    for (const auto& channel : set.channels) {
      const std::size_t id = channel_id[channel];
      const double count = id < a.channel_count.size() ? static_cast<double>(a.channel_count[id]) : 0.0;
      f[std::string(kChannelPrefix) + channel] = active ? count / events : kNaN;
    }
    // Affinity: the category's share of the user's positive weight, after
    // negative events (dislikes) subtracted inside the category.
    double total = 0;
    for (double w : a.category_weight) total += std::max(0.0, w);
    for (std::size_t c = 0; c < set.categories.size(); ++c) {
      const double w = a.category_weight.empty() ? 0.0 : std::max(0.0, a.category_weight[c]);
      f[std::string(kAffinityPrefix) + set.categories[c]] = total > 0 ? w / total : (active ? 0.0 : kNaN);
    }
    set.index_.emplace(profile.user_id, slot);
  }
  return set;
}

Json features_json(const UserProfile& profile) {
  Json out = Json::object();
  for (const auto& [name, value] : profile.features) {
    if (std::isnan(value)) {
      out[name] = nullptr;
    } else {
      // 6 significant digits keeps the JSON stable and readable.
      const double scale = value == 0 ? 1 : std::pow(10.0, 5 - std::floor(std::log10(std::fabs(value))));
      out[name] = std::round(value * scale) / scale;
    }
  }
  return out;
}

}  // namespace tailor::profile
