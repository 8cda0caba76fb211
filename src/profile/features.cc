// Profile features: per-user accumulators over events, then the features
// derived from them. Three ways in, one accumulation code path:
//   compute_profiles      one scan of users, items and events (every user)
//   compute_user_profile  one user's events + the items they touched
//   refresh_profiles      compute_user_profile for the changed users of a set
//
// Layout while scanning: items are indexed by the store's dense item index
// (top-level category id, price, brand id); accumulators by the store's user
// index. Channels get ids in order of first appearance and are renamed to
// sorted order when the features are written.
//
// Exactness: every floating-point sum over events (money, ratings, price
// ratios, category and brand weights) is an ExactSum, a fixed-point integer
// sum, so it does not depend on the order the events arrive in. That is what
// makes the per-user path (newest first) equal, bit for bit, to the scan
// (storage order).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_set>

#include "tailor/profile/profile.h"
#include "tailor/store/store.h"

namespace tailor::profile {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kDay = 86400;

constexpr std::array<std::string_view, 20> kFixedFeatures = {
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
    "brand_loyalty",      // share of the user's positive brand weight on their top brand
    "brand_count",        // brands with positive weight
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Order-independent sum: each term rounded to a multiple of 2^-52 and added as
// a 128-bit integer. |term| <= 2^53 keeps a term below 2^105, so 2^22 terms of
// the largest size still fit; a larger or non-finite term, or an overflow,
// makes the sum NaN (kInvalid).
class ExactSum {
 public:
  void add(double x) {
    if (sum_ == kInvalid) return;
    if (!std::isfinite(x) || std::fabs(x) > kMaxTerm) {
      sum_ = kInvalid;
      return;
    }
    const Int128 term = static_cast<Int128>(std::nearbyint(std::ldexp(x, kFractionBits)));
    if (__builtin_add_overflow(sum_, term, &sum_)) sum_ = kInvalid;
  }
  double value() const { return sum_ == kInvalid ? kNaN : std::ldexp(static_cast<double>(sum_), -kFractionBits); }

 private:
  __extension__ typedef __int128 Int128;
  __extension__ typedef unsigned __int128 UInt128;
  static constexpr int kFractionBits = 52;
  static constexpr double kMaxTerm = 9007199254740992.0;  // 2^53
  static constexpr Int128 kInvalid = static_cast<Int128>(UInt128{1} << 127);  // the minimum, never a real sum here
  Int128 sum_ = 0;
};

struct ItemInfo {
  int category = -1;  // index into the sorted top-level categories, -1 = none
  double price = kNaN;
  int brand = -1;     // index into the caller's brand names, -1 = none
};

std::string top_category(const data::Item& item) {
  return item.categories.empty() ? std::string() : item.categories.front().substr(0, item.categories.front().find('/'));
}

// attributes.brand when it is a non-empty string, trimmed; "" otherwise.
std::string brand_of(const data::Item& item) {
  if (!item.attributes.is_object()) return {};
  auto it = item.attributes.find("brand");
  if (it == item.attributes.end() || !it->is_string()) return {};
  const std::string& text = it->get_ref<const std::string&>();
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// Brand names interned to dense ids.
struct BrandTable {
  std::vector<std::string> names;
  std::unordered_map<std::string, int> ids;
  int id(const std::string& name) {
    if (name.empty()) return -1;
    auto [it, inserted] = ids.emplace(name, static_cast<int>(names.size()));
    if (inserted) names.push_back(name);
    return it->second;
  }
};

// Every item of the store by index, the sorted categories and their mean prices.
struct Catalogue {
  std::vector<ItemInfo> items;
  std::vector<std::string> categories;
  std::vector<double> category_mean_price;
  BrandTable brands;
  std::uint64_t hash = 0;  // FNV-1a over (index, category, price bits, brand) of every item
};

void hash_bytes(std::uint64_t& h, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t idx = 0; idx < size; ++idx) {
    h ^= bytes[idx];
    h *= 1099511628211ULL;
  }
}

Catalogue scan_catalogue(const store::Store& store) {
  Catalogue cat;
  cat.hash = 14695981039346656037ULL;
  std::vector<std::string> item_category;
  std::vector<double> item_price;
  store.scan_items([&](std::uint32_t idx, const data::Item& item) {
    if (idx >= item_category.size()) {
      item_category.resize(idx + 1);
      item_price.resize(idx + 1, kNaN);
      cat.items.resize(idx + 1);
    }
    item_category[idx] = top_category(item);
    if (item.price) item_price[idx] = *item.price;
    const std::string brand = brand_of(item);
    cat.items[idx].brand = cat.brands.id(brand);
    const double price = item_price[idx];
    // An item without category, price or brand (as put_event creates them)
    // changes nobody's features but its users': left out of the hash.
    if (item_category[idx].empty() && std::isnan(price) && brand.empty()) return;
    hash_bytes(cat.hash, &idx, sizeof idx);
    hash_bytes(cat.hash, item_category[idx].data(), item_category[idx].size() + 1);
    hash_bytes(cat.hash, &price, sizeof price);
    hash_bytes(cat.hash, brand.c_str(), brand.size() + 1);
  });
  for (const auto& c : item_category)
    if (!c.empty()) cat.categories.push_back(c);
  std::sort(cat.categories.begin(), cat.categories.end());
  cat.categories.erase(std::unique(cat.categories.begin(), cat.categories.end()), cat.categories.end());
  std::vector<double> price_sum(cat.categories.size(), 0), price_count(cat.categories.size(), 0);
  for (std::size_t item_idx = 0; item_idx < cat.items.size(); ++item_idx) {
    ItemInfo& info = cat.items[item_idx];
    info.price = item_price[item_idx];
    if (item_category[item_idx].empty()) continue;
    auto pos = std::lower_bound(cat.categories.begin(), cat.categories.end(), item_category[item_idx]);
    info.category = static_cast<int>(pos - cat.categories.begin());
    if (!std::isnan(info.price)) {
      price_sum[static_cast<std::size_t>(info.category)] += info.price;
      price_count[static_cast<std::size_t>(info.category)] += 1;
    }
  }
  cat.category_mean_price.assign(cat.categories.size(), kNaN);
  for (std::size_t c = 0; c < cat.categories.size(); ++c)
    if (price_count[c] > 0 && price_sum[c] > 0) cat.category_mean_price[c] = price_sum[c] / price_count[c];
  return cat;
}

struct Accumulator {
  std::uint64_t events = 0, purchases = 0, carts = 0, dislikes = 0, ratings = 0;
  ExactSum monetary, rating_sum, price_ratio_sum;
  std::uint64_t price_ratio_count = 0;
  Timestamp first = std::numeric_limits<Timestamp>::max();
  Timestamp last = std::numeric_limits<Timestamp>::min();
  std::array<std::uint64_t, 4> hours{};
  std::uint64_t weekend = 0;
  std::vector<std::int64_t> days;
  std::vector<ExactSum> category_weight;     // per category, allocated on the first categorised event
  std::vector<std::uint64_t> channel_count;  // per channel id
  std::unordered_map<int, ExactSum> brand_weight;

  // One counted event; channel == npos counts it without a channel bucket.
  void add(std::string_view type, double value, Timestamp timestamp, std::size_t channel, const ItemInfo& item,
           const std::vector<double>& category_mean_price, const data::EventTypes& types) {
    events += 1;
    first = std::min(first, timestamp);
    last = std::max(last, timestamp);
    const std::int64_t day = floor_div(timestamp, kDay);
    days.push_back(day);
    hours[static_cast<std::size_t>((timestamp - day * kDay) / (6 * 3600))] += 1;
    const std::int64_t weekday = ((day + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
    weekend += (weekday == 0 || weekday == 6);
    if (channel != std::string::npos) {
      if (channel_count.size() <= channel) channel_count.resize(channel + 1, 0);
      channel_count[channel] += 1;
    }
    if (type == "purchase") {
      purchases += 1;
      monetary.add(value);
    } else if (type == "add_to_cart") {
      carts += 1;
    } else if (type == "dislike") {
      dislikes += 1;
    } else if (type == "rating" || type == "review") {
      ratings += 1;
      rating_sum.add(value);
    }
    if ((type == "purchase" || type == "add_to_cart") && item.category >= 0 && !std::isnan(item.price) &&
        !std::isnan(category_mean_price[static_cast<std::size_t>(item.category)])) {
      price_ratio_sum.add(item.price / category_mean_price[static_cast<std::size_t>(item.category)]);
      price_ratio_count += 1;
    }
    const double weight = types.weight(type, value).value_or(types.default_weight);
    if (item.category >= 0) {
      if (category_weight.empty()) category_weight.resize(category_mean_price.size());
      category_weight[static_cast<std::size_t>(item.category)].add(weight);
    }
    if (item.brand >= 0) brand_weight[item.brand].add(weight);
  }
};

// Names the accumulator's ids: channel_slot[c] is the accumulator channel id
// of channels[c] (npos = never seen); brand ids index brand_names.
struct Naming {
  const std::vector<std::string>& categories;
  const std::vector<std::string>& channels;
  const std::vector<std::size_t>& channel_slot;
  const std::vector<std::string>& brand_names;
};

void set_recency(UserProfile& profile, Timestamp now) {
  const bool active = profile.event_count > 0;
  profile.features["recency_days"] = active ? static_cast<double>(now - profile.last_event) / kDay : kNaN;
  profile.features["tenure_days"] = active ? static_cast<double>(now - profile.first_event) / kDay : kNaN;
}

void finish(Accumulator& a, const Naming& naming, Timestamp now, UserProfile& profile) {
  profile.event_count = a.events;
  const bool active = a.events > 0;
  profile.first_event = active ? a.first : 0;
  profile.last_event = active ? a.last : 0;
  auto& f = profile.features;
  const double events = static_cast<double>(a.events);
  std::sort(a.days.begin(), a.days.end());
  set_recency(profile, now);
  f["frequency"] = events;
  f["active_days"] = static_cast<double>(std::unique(a.days.begin(), a.days.end()) - a.days.begin());
  f["purchases"] = static_cast<double>(a.purchases);
  f["carts"] = static_cast<double>(a.carts);
  f["monetary"] = a.monetary.value();
  f["avg_order_value"] = a.purchases > 0 ? a.monetary.value() / static_cast<double>(a.purchases) : kNaN;
  const char* hour_names[4] = {"hour_night", "hour_morning", "hour_afternoon", "hour_evening"};
  for (std::size_t bucket = 0; bucket < 4; ++bucket)
    f[hour_names[bucket]] = active ? static_cast<double>(a.hours[bucket]) / events : kNaN;
  f["weekend_share"] = active ? static_cast<double>(a.weekend) / events : kNaN;
  f["weekday_share"] = active ? 1.0 - f["weekend_share"] : kNaN;
  f["price_sensitivity"] =
      a.price_ratio_count > 0 ? a.price_ratio_sum.value() / static_cast<double>(a.price_ratio_count) : kNaN;
  f["avg_rating"] = a.ratings > 0 ? a.rating_sum.value() / static_cast<double>(a.ratings) : kNaN;
  f["ratings"] = static_cast<double>(a.ratings);
  f["dislike_share"] = active ? static_cast<double>(a.dislikes) / events : kNaN;
  for (std::size_t c = 0; c < naming.channels.size(); ++c) {
    const std::size_t id = naming.channel_slot[c];
    const double count = id < a.channel_count.size() ? static_cast<double>(a.channel_count[id]) : 0.0;
    f[std::string(kChannelPrefix) + naming.channels[c]] = active ? count / events : kNaN;
  }
  // Affinity: the category's share of the user's positive weight, after
  // negative events (dislikes) subtracted inside the category.
  double total = 0;
  for (const ExactSum& w : a.category_weight) total += std::max(0.0, w.value());
  for (std::size_t c = 0; c < naming.categories.size(); ++c) {
    const double w = a.category_weight.empty() ? 0.0 : std::max(0.0, a.category_weight[c].value());
    f[std::string(kAffinityPrefix) + naming.categories[c]] = total > 0 ? w / total : (active ? 0.0 : kNaN);
  }
  // Brands: the same shares over brands. Summed in name order so that the
  // total does not depend on the brand ids (which differ between the paths).
  std::vector<std::pair<std::string, double>> brands;
  for (const auto& [brand, sum] : a.brand_weight)
    if (const double w = sum.value(); w > 0) brands.emplace_back(naming.brand_names[static_cast<std::size_t>(brand)], w);
  std::sort(brands.begin(), brands.end());
  double brand_total = 0;
  for (const auto& [name, w] : brands) brand_total += w;
  std::stable_sort(brands.begin(), brands.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  f["brand_count"] = static_cast<double>(brands.size());
  f["brand_loyalty"] = brands.empty() ? kNaN : brands.front().second / brand_total;
  profile.top_brands.clear();
  for (std::size_t rank = 0; rank < brands.size() && rank < kTopBrands; ++rank)
    profile.top_brands.push_back({brands[rank].first, brands[rank].second / brand_total});
}

std::size_t channel_index(const std::vector<std::string>& sorted, const std::string& channel) {
  auto pos = std::lower_bound(sorted.begin(), sorted.end(), channel);
  return pos != sorted.end() && *pos == channel ? static_cast<std::size_t>(pos - sorted.begin()) : std::string::npos;
}

std::string channel_name(const std::string& channel) { return channel.empty() ? "unknown" : channel; }

// One user's counted events with the info of their items (events on items
// that no longer exist, or at/after options.until, are dropped).
struct LoadedUser {
  data::User user;
  std::vector<data::Event> events;
  std::vector<ItemInfo> items;  // parallel to events
  BrandTable brands;
};

std::optional<LoadedUser> load_user(const store::Store& store, const std::string& user_id,
                                    const std::vector<std::string>& categories, const ProfileOptions& options) {
  auto user = store.get_user(user_id);
  if (!user) return std::nullopt;
  LoadedUser loaded;
  loaded.user = std::move(*user);
  std::unordered_map<std::string, std::optional<ItemInfo>> item_info;
  for (data::Event& event : store.user_events(user_id)) {
    if (options.until != 0 && event.timestamp >= options.until) continue;
    auto [it, inserted] = item_info.try_emplace(event.item_id);
    if (inserted) {
      if (auto item = store.get_item(event.item_id)) {
        ItemInfo info;
        const std::string category = top_category(*item);
        auto pos = std::lower_bound(categories.begin(), categories.end(), category);
        if (!category.empty() && pos != categories.end() && *pos == category)
          info.category = static_cast<int>(pos - categories.begin());
        if (item->price) info.price = *item->price;
        info.brand = loaded.brands.id(brand_of(*item));
        it->second = info;
      }
    }
    if (!it->second) continue;
    loaded.items.push_back(*it->second);
    loaded.events.push_back(std::move(event));
  }
  return loaded;
}

// The profile of a loaded user under a universe; `now` 0 = the universe's
// rule, never before the user's own newest event.
UserProfile profile_of(LoadedUser& loaded, const ProfileUniverse& universe, const ProfileOptions& options) {
  Accumulator acc;
  for (std::size_t idx = 0; idx < loaded.events.size(); ++idx) {
    const data::Event& ev = loaded.events[idx];
    acc.add(ev.type, ev.value, ev.timestamp, channel_index(universe.channels, channel_name(ev.channel)),
            loaded.items[idx], universe.category_mean_price, options.event_types);
  }
  Timestamp now = universe.now(options);
  if (options.now == 0 && options.until == 0 && acc.events > 0) now = std::max(now, acc.last);
  std::vector<std::size_t> identity(universe.channels.size());
  for (std::size_t c = 0; c < identity.size(); ++c) identity[c] = c;
  UserProfile profile;
  profile.user_id = loaded.user.id;
  profile.attributes = loaded.user.attributes.is_object() ? loaded.user.attributes : Json::object();
  finish(acc, Naming{universe.categories, universe.channels, identity, loaded.brands.names}, now, profile);
  return profile;
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

// refresh_profiles' access to the set's private bookkeeping.
struct ProfileSetAccess {
  static std::unordered_map<std::string, std::size_t>& index(ProfileSet& set) { return set.index_; }
  static std::vector<std::uint32_t>& user_idx(ProfileSet& set) { return set.user_idx_; }
  static const ProfileOptions& options(const ProfileSet& set) { return set.options_; }
  static std::uint64_t catalogue_hash(const ProfileSet& set) { return set.catalogue_hash_; }
};

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

Timestamp ProfileUniverse::now(const ProfileOptions& options) const {
  return options.now != 0 ? options.now : options.until != 0 ? options.until : newest;
}

ProfileUniverse ProfileSet::universe() const { return {categories, category_mean_price, channels, newest}; }

ProfileSet compute_profiles(const store::Store& store, const ProfileOptions& options) {
  ProfileSet set;
  set.options_ = options;
  Catalogue cat = scan_catalogue(store);
  set.catalogue_hash_ = cat.hash;

  // Users, in index order.
  std::vector<std::int64_t> slot_of_index;  // store user index -> position in set.users, -1 = none
  store.scan_users([&](std::uint32_t idx, const data::User& user) {
    if (idx >= slot_of_index.size()) slot_of_index.resize(idx + 1, -1);
    slot_of_index[idx] = static_cast<std::int64_t>(set.users.size());
    UserProfile profile;
    profile.user_id = user.id;
    profile.attributes = user.attributes.is_object() ? user.attributes : Json::object();
    set.users.push_back(std::move(profile));
    set.user_idx_.push_back(idx);
  });

  std::vector<Accumulator> acc(set.users.size());
  std::vector<std::string> channels_seen;
  std::unordered_map<std::string, std::size_t> channel_id;
  Timestamp newest = std::numeric_limits<Timestamp>::min();
  store.scan_events([&](const store::StoredEvent& ev) {
    if (ev.user_idx >= slot_of_index.size() || slot_of_index[ev.user_idx] < 0) return;
    if (ev.item_idx >= cat.items.size()) return;
    if (options.until != 0 && ev.timestamp >= options.until) return;
    newest = std::max(newest, ev.timestamp);
    auto [it, inserted] = channel_id.emplace(channel_name(ev.channel), channels_seen.size());
    if (inserted) channels_seen.push_back(it->first);
    acc[static_cast<std::size_t>(slot_of_index[ev.user_idx])].add(
        ev.type, ev.value, ev.timestamp, it->second, cat.items[ev.item_idx], cat.category_mean_price,
        options.event_types);
  });
  set.newest = newest == std::numeric_limits<Timestamp>::min() ? 0 : newest;
  set.categories = std::move(cat.categories);
  set.category_mean_price = std::move(cat.category_mean_price);
  set.channels = channels_seen;
  std::sort(set.channels.begin(), set.channels.end());
  set.now = set.universe().now(options);
  std::vector<std::size_t> channel_slot;
  for (const auto& channel : set.channels) channel_slot.push_back(channel_id[channel]);

  const Naming naming{set.categories, set.channels, channel_slot, cat.brands.names};
  for (std::size_t slot = 0; slot < set.users.size(); ++slot) {
    finish(acc[slot], naming, set.now, set.users[slot]);
    set.index_.emplace(set.users[slot].user_id, slot);
  }
  return set;
}

ProfileUniverse scan_profile_universe(const store::Store& store, const ProfileOptions& options) {
  Catalogue cat = scan_catalogue(store);
  ProfileUniverse universe;
  std::unordered_set<std::string> channels;
  Timestamp newest = std::numeric_limits<Timestamp>::min();
  store.scan_events([&](const store::StoredEvent& ev) {
    if (ev.item_idx >= cat.items.size()) return;
    if (options.until != 0 && ev.timestamp >= options.until) return;
    newest = std::max(newest, ev.timestamp);
    channels.insert(channel_name(ev.channel));
  });
  universe.categories = std::move(cat.categories);
  universe.category_mean_price = std::move(cat.category_mean_price);
  universe.channels.assign(channels.begin(), channels.end());
  std::sort(universe.channels.begin(), universe.channels.end());
  universe.newest = newest == std::numeric_limits<Timestamp>::min() ? 0 : newest;
  return universe;
}

std::optional<UserProfile> compute_user_profile(const store::Store& store, const std::string& user_id,
                                                const ProfileUniverse& universe, const ProfileOptions& options) {
  auto loaded = load_user(store, user_id, universe.categories, options);
  if (!loaded) return std::nullopt;
  return profile_of(*loaded, universe, options);
}

std::optional<UserProfile> compute_user_profile(const store::Store& store, const std::string& user_id,
                                                const ProfileOptions& options) {
  if (!store.get_user(user_id)) return std::nullopt;  // before the O(events) universe scan
  return compute_user_profile(store, user_id, scan_profile_universe(store, options), options);
}

ProfileRefresh refresh_profiles(ProfileSet& set, const store::Store& store,
                                std::span<const std::string> changed_user_ids) {
  const ProfileOptions options = ProfileSetAccess::options(set);
  ProfileRefresh result;
  if (scan_catalogue(store).hash != ProfileSetAccess::catalogue_hash(set)) {
    set = compute_profiles(store, options);
    result.full = true;
    result.users = set.users.size();
    return result;
  }
  std::vector<std::string> changed(changed_user_ids.begin(), changed_user_ids.end());
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  auto& index = ProfileSetAccess::index(set);
  auto& user_idx = ProfileSetAccess::user_idx(set);

  // 1. Read the changed users (nullopt = deleted) and drop their old profiles.
  std::vector<std::pair<std::uint32_t, LoadedUser>> loaded;
  std::vector<bool> drop(set.users.size(), false);
  for (const auto& id : changed) {
    if (auto it = index.find(id); it != index.end()) drop[it->second] = true;
    auto user = load_user(store, id, set.categories, options);
    if (!user) continue;
    auto idx = store.user_index(id);
    if (!idx) continue;  // deleted between the two reads
    loaded.emplace_back(*idx, std::move(*user));
  }
  result.users = changed.size();

  // 2. The new universe: channels and newest over the kept users' stored
  // features and the changed users' events. A kept user uses channel c iff
  // their channel.c share is > 0.
  std::set<std::string> channels;
  Timestamp newest = std::numeric_limits<Timestamp>::min();
  for (std::size_t slot = 0; slot < set.users.size(); ++slot) {
    if (drop[slot] || set.users[slot].event_count == 0) continue;
    newest = std::max(newest, set.users[slot].last_event);
    for (const auto& channel : set.channels) {
      auto it = set.users[slot].features.find(std::string(kChannelPrefix) + channel);
      if (it != set.users[slot].features.end() && it->second > 0) channels.insert(channel);
    }
  }
  for (const auto& [idx, user] : loaded)
    for (const auto& event : user.events) {
      newest = std::max(newest, event.timestamp);
      channels.insert(channel_name(event.channel));
    }
  ProfileUniverse universe = set.universe();
  universe.channels.assign(channels.begin(), channels.end());
  universe.newest = newest == std::numeric_limits<Timestamp>::min() ? 0 : newest;
  const Timestamp now = universe.now(options);

  // 3. Kept users: re-key channels, re-time recency and tenure.
  std::vector<UserProfile> users;
  std::vector<std::uint32_t> idxs;
  for (std::size_t slot = 0; slot < set.users.size(); ++slot) {
    if (drop[slot]) continue;
    UserProfile& profile = set.users[slot];
    if (universe.channels != set.channels) {
      for (const auto& channel : set.channels)
        if (!channels.count(channel)) profile.features.erase(std::string(kChannelPrefix) + channel);
      for (const auto& channel : universe.channels)
        profile.features.try_emplace(std::string(kChannelPrefix) + channel, profile.event_count > 0 ? 0.0 : kNaN);
    }
    if (now != set.now) set_recency(profile, now);
    users.push_back(std::move(profile));
    idxs.push_back(user_idx[slot]);
  }
  // 4. Changed users, computed afresh and merged in store index order.
  std::sort(loaded.begin(), loaded.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<UserProfile> merged;
  std::vector<std::uint32_t> merged_idx;
  std::size_t kept = 0;
  for (auto& [idx, user] : loaded) {
    while (kept < users.size() && idxs[kept] < idx) {
      merged.push_back(std::move(users[kept]));
      merged_idx.push_back(idxs[kept++]);
    }
    merged.push_back(profile_of(user, universe, options));
    merged_idx.push_back(idx);
  }
  for (; kept < users.size(); ++kept) {
    merged.push_back(std::move(users[kept]));
    merged_idx.push_back(idxs[kept]);
  }
  set.users = std::move(merged);
  user_idx = std::move(merged_idx);
  set.channels = std::move(universe.channels);
  set.newest = universe.newest;
  set.now = now;
  index.clear();
  for (std::size_t slot = 0; slot < set.users.size(); ++slot) index.emplace(set.users[slot].user_id, slot);
  return result;
}

ProfileUniverseCache::ProfileUniverseCache(double max_age_s, ProfileOptions options)
    : max_age_s_(max_age_s), options_(std::move(options)) {
  TAILOR_CHECK_ARG(max_age_s >= 0 && max_age_s <= 86400, "profile universe cache: max_age_s must be in [0, 86400]");
}

std::shared_ptr<const ProfileUniverse> ProfileUniverseCache::get(const store::Store& store, std::uint64_t version) {
  std::lock_guard lock(mutex_);
  const double now = steady_seconds();
  if (!universe_ || version != version_ || now - built_at_ > max_age_s_) {
    universe_ = std::make_shared<const ProfileUniverse>(scan_profile_universe(store, options_));
    version_ = version;
    built_at_ = now;
  }
  return universe_;
}

namespace {
double round6(double value) {
  // 6 significant digits keeps the JSON stable and readable.
  const double scale = value == 0 ? 1 : std::pow(10.0, 5 - std::floor(std::log10(std::fabs(value))));
  return std::round(value * scale) / scale;
}
}  // namespace

Json features_json(const UserProfile& profile) {
  Json out = Json::object();
  for (const auto& [name, value] : profile.features) {
    if (std::isnan(value)) out[name] = nullptr;
    else out[name] = round6(value);
  }
  return out;
}

Json brands_json(const UserProfile& profile) {
  Json out = Json::array();
  for (const auto& b : profile.top_brands) out.push_back({{"brand", b.brand}, {"share", round6(b.share)}});
  return out;
}

}  // namespace tailor::profile
