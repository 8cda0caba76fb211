// Per-user totals written beside the raw exposure and attribution records.
// Body of an "experiment.user" record:
//   {"v": variant, "m": mixed?, "n": exposures, "f": first exposure time,
//    "t": {"<event type>": [count, Σ value, shown count, shown by team A, shown by team B]}}
// The writer that owns the key is the only one that writes it, so its cache
// is authoritative; a key it has not cached is read back from the store.
#include <random>

#include "tailor/core/core.h"
#include "tailor/experiment/experiment.h"

namespace tailor::experiment {
namespace {

using nlohmann::json;

std::string writer_id() {
  std::random_device device;
  const std::uint64_t bits = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(bits));
  return buffer;
}

}  // namespace

UserSummaries::UserSummaries(const store::Store& store) : store_(store), writer_(writer_id()) {}

void UserSummaries::forget() { cache_.clear(); }

UserSummaries::Totals& UserSummaries::totals(const std::string& key, std::size_t variant, Timestamp ts, bool& fresh) {
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  Totals t;
  t.variant = variant;
  t.first = ts;
  fresh = true;
  if (auto stored = store_.get_record(kUserCollection, key)) {
    const auto body = json::parse(stored->body, nullptr, false);
    if (body.is_object()) {
      fresh = false;
      t.variant = body.value("v", variant);
      t.mixed = body.value("m", false);
      t.exposures = body.value("n", 0.0);
      t.first = body.value("f", ts);
      if (body.contains("t") && body["t"].is_object())
        for (auto type = body["t"].begin(); type != body["t"].end(); ++type) {
          const auto& a = type.value();
          if (!a.is_array() || a.size() != 5) continue;
          t.types[type.key()] = {a[0].get<double>(), a[1].get<double>(), a[2].get<double>(), {a[3].get<double>(), a[4].get<double>()}};
        }
    }
  }
  return cache_.emplace(key, std::move(t)).first->second;
}

std::vector<store::Record> UserSummaries::fold(const std::vector<store::Record>& batch) {
  // A bound on memory: the cache is only a shortcut, the store has every committed total.
  constexpr std::size_t kMaxCached = 1'000'000;
  if (cache_.size() > kMaxCached) cache_.clear();
  std::map<std::string, std::string> touched;  // key -> user
  for (const auto& record : batch) {
    const bool exposure = record.collection == kExposureCollection;
    if (!exposure && record.collection != kAttributionCollection) continue;
    const auto parsed = parse_exposure_id(record.key);  // attribution keys share the "<exp>.<variant>." prefix
    if (!parsed || record.user.empty()) continue;
    const std::string key = parsed->first + "." + record.user + "." + writer_;
    bool fresh = false;
    Totals& t = totals(key, parsed->second, record.ts, fresh);
    if (!fresh && t.variant != parsed->second) t.mixed = true;
    if (exposure) {
      t.exposures += 1;
      if (record.ts < t.first) t.first = record.ts;
    } else {
      const auto body = json::parse(record.body, nullptr, false);
      if (!body.is_object()) continue;
      TypeTotals& type = t.types[body.value("type", "")];
      type.count += 1;
      type.value += body.value("value", 1.0);
      if (body.value("shown", false)) {
        type.shown += 1;
        const int team = body.value("team", -1);
        if (team == 0 || team == 1) type.team[team] += 1;
      }
    }
    touched[key] = record.user;
  }
  std::vector<store::Record> out;
  for (const auto& [key, user] : touched) {
    const Totals& t = cache_.at(key);
    json types = json::object();
    for (const auto& [name, type] : t.types)
      types[name] = json::array({type.count, type.value, type.shown, type.team[0], type.team[1]});
    const json body = {{"v", t.variant}, {"m", t.mixed}, {"n", t.exposures}, {"f", t.first}, {"t", types}};
    out.push_back({kUserCollection, key, user, t.first, body.dump()});
  }
  return out;
}

}  // namespace tailor::experiment
