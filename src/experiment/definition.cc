// Experiment definitions (validated JSON in the "experiment" record
// collection), their lifecycle, deterministic assignment and team-draft
// interleaving.
//
// Assignment is two independent hashes of the user id:
//   bucket  = ⌊unit_hash("layer\x1f" + layer + "\x1f" + user) · 10000⌋  — in the
//             experiment when bucket ∈ [bucket_start, bucket_end); experiments
//             of one layer get disjoint ranges, so they never share a user;
//   variant = the first v with unit_hash("variant\x1f" + salt + "\x1f" + user) < Σ_{w ≤ v} weight_w / Σ weight.
// Separate hashes keep the variant split independent of the traffic cut.
// Both are pure functions of stored fields and the id, hence sticky across
// restarts and replicas.
#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "tailor/core/core.h"
#include "tailor/experiment/experiment.h"

namespace tailor::experiment {
namespace {

using nlohmann::json;

bool is_slug(const std::string& text, std::size_t max) {
  if (text.empty() || text.size() > max) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string string_field(const json& body, const std::string& key, const std::string& fallback = "") {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  TAILOR_CHECK_ARG(body[key].is_string(), key + ": must be a string");
  return body[key].get<std::string>();
}

double number_field(const json& body, const std::string& key, double fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  TAILOR_CHECK_ARG(body[key].is_number(), key + ": must be a number");
  const double out = body[key].get<double>();
  TAILOR_CHECK_ARG(std::isfinite(out), key + ": must be finite");
  return out;
}

bool bool_field(const json& body, const std::string& key, bool fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  TAILOR_CHECK_ARG(body[key].is_boolean(), key + ": must be true or false");
  return body[key].get<bool>();
}

std::vector<std::string> string_list(const json& body, const std::string& key, std::vector<std::string> fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  TAILOR_CHECK_ARG(body[key].is_array(), key + ": must be an array of strings");
  std::vector<std::string> out;
  for (const auto& v : body[key]) {
    TAILOR_CHECK_ARG(v.is_string() && !v.get<std::string>().empty(), key + ": must be an array of non-empty strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Timestamp time_field(const json& body, const std::string& key) {
  if (!body.contains(key) || body[key].is_null()) return 0;
  if (body[key].is_number_integer()) return body[key].get<Timestamp>();
  TAILOR_CHECK_ARG(body[key].is_string(), key + ": must be Unix seconds or an ISO 8601 time");
  auto parsed = parse_timestamp(body[key].get<std::string>());
  TAILOR_CHECK_ARG(parsed.has_value(), key + ": not a time: '" + body[key].get<std::string>() + "'");
  return *parsed;
}

Status parse_status(const std::string& text) {
  if (text == "draft") return Status::kDraft;
  if (text == "running") return Status::kRunning;
  if (text == "stopped") return Status::kStopped;
  throw_error(ErrorCode::kCorruption, "experiment record: unknown status '" + text + "'");
}

Variant variant_from_json(const json& body, std::size_t idx) {
  const std::string where = "variants[" + std::to_string(idx) + "].";
  TAILOR_CHECK_ARG(body.is_object(), "variants[" + std::to_string(idx) + "]: must be an object");
  static const std::set<std::string> kKnown = {"name", "weight", "model", "diversity", "rerank", "copy_strategy", "params"};
  for (auto it = body.begin(); it != body.end(); ++it)
    TAILOR_CHECK_ARG(kKnown.count(it.key()), where + it.key() + ": unknown field");
  Variant v;
  v.name = string_field(body, "name");
  TAILOR_CHECK_ARG(is_slug(v.name, 32), where + "name: 1-32 characters of a-z, 0-9, '_' or '-'");
  v.weight = number_field(body, "weight", 1);
  TAILOR_CHECK_ARG(v.weight > 0 && v.weight <= 1e6, where + "weight: must be in (0, 1e6]");
  v.model = string_field(body, "model");
  if (!v.model.empty()) {
    const auto names = model::model_names();
    TAILOR_CHECK_ARG(v.model.size() <= 64 && std::find(names.begin(), names.end(), v.model) != names.end(),
                     where + "model: unknown model '" + v.model + "'");
  }
  if (body.contains("diversity") && !body["diversity"].is_null()) {
    const double d = number_field(body, "diversity", 0);
    TAILOR_CHECK_ARG(d >= 0 && d <= 1, where + "diversity: must be in [0, 1]");
    v.diversity = d;
  }
  if (body.contains("rerank") && !body["rerank"].is_null()) v.rerank = bool_field(body, "rerank", true);
  v.copy_strategy = string_field(body, "copy_strategy");
  TAILOR_CHECK_ARG(v.copy_strategy.size() <= 64, where + "copy_strategy: at most 64 bytes");
  if (body.contains("params")) {
    TAILOR_CHECK_ARG(body["params"].is_object(), where + "params: must be an object");
    v.params = body["params"];
  }
  return v;
}

json variant_to_json(const Variant& v) {
  json out = {{"name", v.name}, {"weight", v.weight}, {"model", v.model}, {"params", v.params}};
  out["diversity"] = v.diversity ? json(*v.diversity) : json(nullptr);
  out["rerank"] = v.rerank ? json(*v.rerank) : json(nullptr);
  out["copy_strategy"] = v.copy_strategy;
  return out;
}

void write_definition(store::Store& store, const Definition& d) {
  auto writer = store.begin_write();
  writer->put_record({kExperimentCollection, d.id, "", d.created_at, definition_to_json(d).dump()});
  writer->commit();
}

Definition stored_definition(const store::Record& record) {
  const auto body = json::parse(record.body, nullptr, false);
  if (body.is_discarded()) throw_error(ErrorCode::kCorruption, "experiment record '" + record.key + "': not JSON");
  Definition d = definition_from_json(body);
  d.status = parse_status(string_field(body, "status", "draft"));
  d.bucket_start = static_cast<int>(number_field(body, "bucket_start", 0));
  d.bucket_end = static_cast<int>(number_field(body, "bucket_end", 0));
  d.created_at = time_field(body, "created_at");
  d.started_at = time_field(body, "started_at");
  d.stopped_at = time_field(body, "stopped_at");
  return d;
}

}  // namespace

std::string_view status_name(Status status) {
  switch (status) {
    case Status::kDraft: return "draft";
    case Status::kRunning: return "running";
    case Status::kStopped: return "stopped";
  }
  return "draft";
}

void check_metric_name(const std::string& name) {
  if (name == "ctr" || name == "conversion" || name == "revenue_per_user" || name == "items_per_user") return;
  for (const char* prefix : {"count:", "value:"})
    if (name.starts_with(prefix) && name.size() > std::string_view(prefix).size() && name.size() <= 70) return;
  throw_error(ErrorCode::kInvalidArgument, "metric '" + name +
                                               "': one of ctr, conversion, revenue_per_user, items_per_user, "
                                               "count:<event type>, value:<event type>");
}

Definition definition_from_json(const json& body) {
  TAILOR_CHECK_ARG(body.is_object(), "body: must be a JSON object");
  static const std::set<std::string> kKnown = {
      "id", "name", "description", "mode", "surfaces", "salt", "layer", "traffic", "variants", "primary_metric",
      "guardrail_metrics", "click_types", "conversion_types", "attribution_window_s", "alpha", "sequential",
      "sequential_tuning", "correction", "cuped_days", "bayesian", "start_at", "stop_at",
      // owned by the server; accepted (and ignored on create) so a GET body can be posted back
      "status", "bucket_start", "bucket_end", "created_at", "started_at", "stopped_at"};
  for (auto it = body.begin(); it != body.end(); ++it)
    TAILOR_CHECK_ARG(kKnown.count(it.key()), it.key() + ": unknown field");
  Definition d;
  d.id = string_field(body, "id");
  TAILOR_CHECK_ARG(is_slug(d.id, 64), "id: 1-64 characters of a-z, 0-9, '_' or '-'");
  d.name = string_field(body, "name", d.id);
  TAILOR_CHECK_ARG(d.name.size() <= 200, "name: at most 200 bytes");
  d.description = string_field(body, "description");
  TAILOR_CHECK_ARG(d.description.size() <= 4000, "description: at most 4000 bytes");
  d.mode = string_field(body, "mode", "ab");
  TAILOR_CHECK_ARG(d.mode == "ab" || d.mode == "interleave", "mode: must be \"ab\" or \"interleave\"");
  d.surfaces = string_list(body, "surfaces", d.surfaces);
  TAILOR_CHECK_ARG(!d.surfaces.empty(), "surfaces: at least one");
  for (const auto& s : d.surfaces)
    TAILOR_CHECK_ARG(std::find(surface_names().begin(), surface_names().end(), s) != surface_names().end(),
                     "surfaces: unknown surface '" + s + "' (recommendations, gorse_recommend, search, campaign)");
  d.salt = string_field(body, "salt", d.id);
  TAILOR_CHECK_ARG(!d.salt.empty() && d.salt.size() <= 128, "salt: 1-128 bytes");
  d.layer = string_field(body, "layer", d.id);
  TAILOR_CHECK_ARG(is_slug(d.layer, 64), "layer: 1-64 characters of a-z, 0-9, '_' or '-'");
  d.traffic = number_field(body, "traffic", 1);
  TAILOR_CHECK_ARG(d.traffic > 0 && d.traffic <= 1, "traffic: must be in (0, 1]");
  TAILOR_CHECK_ARG(body.contains("variants") && body["variants"].is_array(), "variants: required, an array");
  for (std::size_t idx = 0; idx < body["variants"].size(); ++idx)
    d.variants.push_back(variant_from_json(body["variants"][idx], idx));
  TAILOR_CHECK_ARG(d.variants.size() >= 2 && d.variants.size() <= 20, "variants: between 2 and 20 (control first)");
  std::set<std::string> names;
  for (const auto& v : d.variants) TAILOR_CHECK_ARG(names.insert(v.name).second, "variants: duplicate name '" + v.name + "'");
  if (d.mode == "interleave") TAILOR_CHECK_ARG(d.variants.size() == 2, "variants: interleaving compares exactly two");
  d.primary_metric = string_field(body, "primary_metric", d.primary_metric);
  check_metric_name(d.primary_metric);
  d.guardrail_metrics = string_list(body, "guardrail_metrics", d.guardrail_metrics);
  TAILOR_CHECK_ARG(d.guardrail_metrics.size() <= 20, "guardrail_metrics: at most 20");
  for (const auto& m : d.guardrail_metrics) check_metric_name(m);
  d.click_types = string_list(body, "click_types", d.click_types);
  d.conversion_types = string_list(body, "conversion_types", d.conversion_types);
  TAILOR_CHECK_ARG(!d.click_types.empty(), "click_types: at least one event type");
  TAILOR_CHECK_ARG(!d.conversion_types.empty(), "conversion_types: at least one event type");
  d.attribution_window_s = static_cast<std::int64_t>(number_field(body, "attribution_window_s", 86400));
  TAILOR_CHECK_ARG(d.attribution_window_s >= 1 && d.attribution_window_s <= 90 * 86400,
                   "attribution_window_s: must be in [1, 7776000] (90 days)");
  d.alpha = number_field(body, "alpha", 0.05);
  TAILOR_CHECK_ARG(d.alpha > 0 && d.alpha < 0.5, "alpha: must be in (0, 0.5)");
  d.sequential = bool_field(body, "sequential", true);
  d.sequential_tuning = number_field(body, "sequential_tuning", 5000);
  TAILOR_CHECK_ARG(d.sequential_tuning >= 1 && d.sequential_tuning <= 1e12, "sequential_tuning: must be in [1, 1e12]");
  d.correction = string_field(body, "correction", "holm");
  TAILOR_CHECK_ARG(d.correction == "holm" || d.correction == "bh" || d.correction == "none",
                   "correction: must be \"holm\", \"bh\" or \"none\"");
  d.cuped_days = static_cast<int>(number_field(body, "cuped_days", 0));
  TAILOR_CHECK_ARG(d.cuped_days >= 0 && d.cuped_days <= 365, "cuped_days: must be in [0, 365]");
  d.bayesian = bool_field(body, "bayesian", false);
  d.start_at = time_field(body, "start_at");
  d.stop_at = time_field(body, "stop_at");
  TAILOR_CHECK_ARG(d.stop_at == 0 || d.stop_at > d.start_at, "stop_at: must be after start_at");
  return d;
}

json definition_to_json(const Definition& d) {
  json variants = json::array();
  for (const auto& v : d.variants) variants.push_back(variant_to_json(v));
  return {{"id", d.id}, {"name", d.name}, {"description", d.description}, {"mode", d.mode},
          {"surfaces", d.surfaces}, {"salt", d.salt}, {"layer", d.layer}, {"traffic", d.traffic},
          {"bucket_start", d.bucket_start}, {"bucket_end", d.bucket_end}, {"variants", variants},
          {"primary_metric", d.primary_metric}, {"guardrail_metrics", d.guardrail_metrics},
          {"click_types", d.click_types}, {"conversion_types", d.conversion_types},
          {"attribution_window_s", d.attribution_window_s}, {"alpha", d.alpha}, {"sequential", d.sequential},
          {"sequential_tuning", d.sequential_tuning}, {"correction", d.correction}, {"cuped_days", d.cuped_days},
          {"bayesian", d.bayesian}, {"status", status_name(d.status)}, {"start_at", d.start_at},
          {"stop_at", d.stop_at}, {"created_at", d.created_at}, {"started_at", d.started_at},
          {"stopped_at", d.stopped_at}};
}

std::optional<Definition> load_experiment(const store::Store& store, const std::string& id) {
  auto record = store.get_record(kExperimentCollection, id);
  if (!record) return std::nullopt;
  return stored_definition(*record);
}

std::vector<Definition> list_experiments(const store::Store& store) {
  std::vector<Definition> out;
  store::RecordQuery query;
  query.collection = kExperimentCollection;
  store.scan_records(query, [&](const store::Record& record) { out.push_back(stored_definition(record)); });
  return out;
}

Definition create_experiment(store::Store& store, Definition d, Timestamp now) {
  if (load_experiment(store, d.id)) throw_error(ErrorCode::kAlreadyExists, "experiment '" + d.id + "' already exists");
  // First free range of the layer among experiments that are not stopped.
  const int size = std::max(1, static_cast<int>(std::lround(d.traffic * kLayerBuckets)));
  std::vector<std::pair<int, int>> taken;
  for (const auto& other : list_experiments(store))
    if (other.layer == d.layer && other.status != Status::kStopped) taken.emplace_back(other.bucket_start, other.bucket_end);
  std::sort(taken.begin(), taken.end());
  int start = 0;
  for (const auto& [lo, hi] : taken) {
    if (lo - start >= size) break;
    start = std::max(start, hi);
  }
  TAILOR_CHECK_ARG(start + size <= kLayerBuckets,
                   "traffic: layer '" + d.layer + "' has " + std::to_string(kLayerBuckets - start) +
                       " of 10000 buckets free, the experiment needs " + std::to_string(size));
  d.bucket_start = start;
  d.bucket_end = start + size;
  d.status = Status::kDraft;
  d.created_at = now;
  d.started_at = d.stopped_at = 0;
  write_definition(store, d);
  return d;
}

Definition start_experiment(store::Store& store, const std::string& id, Timestamp now) {
  auto d = load_experiment(store, id);
  if (!d) throw_error(ErrorCode::kNotFound, "experiment '" + id + "' does not exist");
  TAILOR_CHECK_ARG(d->status == Status::kDraft, "status: experiment '" + id + "' is " +
                                                    std::string(status_name(d->status)) + ", only a draft can start");
  // A variant whose model is not trained would fail every request it serves: refuse to start instead.
  for (std::size_t idx = 0; idx < d->variants.size(); ++idx) {
    const auto& name = d->variants[idx].model;
    TAILOR_CHECK_ARG(name.empty() || store.get_artifact(model::model_artifact_name(name)).has_value(),
                     "variants[" + std::to_string(idx) + "].model: '" + name +
                         "' is not trained in this store (tailor train --model " + name + ")");
  }
  d->status = Status::kRunning;
  d->started_at = now;
  write_definition(store, *d);
  return *d;
}

Definition stop_experiment(store::Store& store, const std::string& id, Timestamp now) {
  auto d = load_experiment(store, id);
  if (!d) throw_error(ErrorCode::kNotFound, "experiment '" + id + "' does not exist");
  TAILOR_CHECK_ARG(d->status == Status::kRunning, "status: experiment '" + id + "' is " +
                                                      std::string(status_name(d->status)) + ", only a running one can stop");
  d->status = Status::kStopped;
  d->stopped_at = now;
  write_definition(store, *d);
  return *d;
}

bool is_live(const Definition& d, Timestamp now) {
  if (d.status != Status::kRunning) return false;
  if (d.start_at != 0 && now < d.start_at) return false;
  if (d.stop_at != 0 && now >= d.stop_at) return false;
  return true;
}

std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  // splitmix64 finaliser: FNV's low bits are weak; this makes every output bit depend on every input bit.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

double unit_hash(std::string_view text) { return static_cast<double>(stable_hash(text) >> 11) * 0x1.0p-53; }

int layer_bucket(const std::string& layer, const std::string& user) {
  const std::string key = "layer\x1f" + layer + "\x1f" + user;
  return static_cast<int>(unit_hash(key) * kLayerBuckets);
}

std::optional<std::size_t> assign_variant(const Definition& d, const std::string& user) {
  const int bucket = layer_bucket(d.layer, user);
  if (bucket < d.bucket_start || bucket >= d.bucket_end) return std::nullopt;
  double total = 0;
  for (const auto& v : d.variants) total += v.weight;
  const double u = unit_hash("variant\x1f" + d.salt + "\x1f" + user) * total;
  double cumulative = 0;
  for (std::size_t idx = 0; idx < d.variants.size(); ++idx) {
    cumulative += d.variants[idx].weight;
    if (u < cumulative) return idx;
  }
  return d.variants.size() - 1;
}

Interleaved team_draft_interleave(const std::vector<std::string>& a, const std::vector<std::string>& b, std::size_t n,
                                  std::uint64_t coin_seed) {
  Interleaved out;
  std::set<std::string> shown;
  std::size_t next_a = 0, next_b = 0, picks_a = 0, picks_b = 0;
  std::uint64_t coin = coin_seed;
  const auto take = [&](const std::vector<std::string>& list, std::size_t& next) -> std::optional<std::string> {
    while (next < list.size() && shown.count(list[next])) ++next;
    if (next >= list.size()) return std::nullopt;
    return list[next++];
  };
  while (out.items.size() < n) {
    bool a_turn;
    if (picks_a != picks_b) {
      a_turn = picks_a < picks_b;
    } else {
      coin = stable_hash(std::to_string(coin));  // a fresh fair coin per round, reproducible from the seed
      a_turn = (coin & 1) == 0;
    }
    auto pick = a_turn ? take(a, next_a) : take(b, next_b);
    if (!pick) {  // one list ran out: the other fills the rest
      a_turn = !a_turn;
      pick = a_turn ? take(a, next_a) : take(b, next_b);
      if (!pick) break;
    }
    shown.insert(*pick);
    out.items.push_back(*pick);
    out.teams.push_back(a_turn ? 0 : 1);
    (a_turn ? picks_a : picks_b)++;
  }
  return out;
}

}  // namespace tailor::experiment
