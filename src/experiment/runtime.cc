// The server-side runtime of experiments: the live definitions (re-read from
// the store every few seconds, so every replica follows create/start/stop),
// serving a request with its variant, exposure ids and records, attribution
// of new events, per-variant counters for /metrics and the monitor series.
#include <algorithm>
#include <cstdio>
#include <random>
#include <set>

#include "tailor/core/core.h"
#include "tailor/experiment/experiment.h"

namespace tailor::experiment {
namespace {

using nlohmann::json;

std::string hex(std::uint64_t value, int digits) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
  return std::string(buffer + 16 - digits);
}

std::uint64_t random_u64() {
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   (static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()))
                                    << 1));
  return rng();
}

// Biased so that negative times sort before positive ones, as record_time_key.
std::uint64_t time_bits(Timestamp ts) { return static_cast<std::uint64_t>(ts) ^ (1ULL << 63); }

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string counter_key(const std::string& experiment, const std::string& variant) {
  return experiment + '\x1f' + variant;
}

std::string label_value(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') { out += "\\n"; continue; }
    out.push_back(c);
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------ exposure ids ---

std::string make_exposure_id(const std::string& experiment, std::size_t variant, Timestamp ts) {
  return experiment + "." + std::to_string(variant) + "." + hex(time_bits(ts), 16) + "." + hex(random_u64(), 16);
}

std::optional<std::pair<std::string, std::size_t>> parse_exposure_id(std::string_view id) {
  if (id.size() > 200) return std::nullopt;
  const auto first = id.find('.');
  if (first == std::string_view::npos || first == 0) return std::nullopt;
  const auto second = id.find('.', first + 1);
  if (second == std::string_view::npos || second == first + 1 || second - first > 3) return std::nullopt;
  std::size_t variant = 0;
  for (char c : id.substr(first + 1, second - first - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    variant = variant * 10 + static_cast<std::size_t>(c - '0');
  }
  return std::make_pair(std::string(id.substr(0, first)), variant);
}

store::Record exposure_record(const Exposure& e) {
  json body = {{"surface", e.surface}, {"model", e.model}, {"items", e.items}, {"positions", e.positions},
               {"request_id", e.request_id}, {"variant", e.variant_name}};
  if (!e.teams.empty()) body["teams"] = e.teams;
  return {kExposureCollection, e.id, e.user, e.ts, body.dump()};
}

json Served::experiment_json() const {
  if (!exposure) return nullptr;
  return {{"id", exposure->experiment}, {"variant", exposure->variant_name}, {"exposure_id", exposure->id}};
}

std::string Served::header_value() const {
  return exposure ? exposure->experiment + "/" + exposure->variant_name : "";
}

// ---------------------------------------------------------- model registry ---

ModelRegistry::ModelRegistry(const store::Store& store, double refresh_s) : store_(store), refresh_s_(refresh_s) {}

std::shared_ptr<const model::Recommender> ModelRegistry::get(const std::string& name) {
  const double now = monotonic_seconds();
  {
    std::lock_guard lock(mutex_);
    auto it = models_.find(name);
    if (it != models_.end() && now - it->second.loaded_at < refresh_s_) return it->second.model;
  }
  // Loading happens outside the lock: a slow load of one model does not hold up the others.
  auto bytes = store_.get_artifact(model::model_artifact_name(name));
  if (!bytes)
    throw_error(ErrorCode::kNotFound, "model '" + name + "' is not trained in this store (tailor train --model " + name + ")");
  const std::uint64_t digest = stable_hash(*bytes);
  std::lock_guard lock(mutex_);
  auto& entry = models_[name];
  if (!entry.model || entry.digest != digest) {
    entry.model = std::shared_ptr<const model::Recommender>(model::load_model_bytes(*bytes));
    entry.digest = digest;
  }
  entry.loaded_at = now;
  return entry.model;
}

std::vector<std::string> ModelRegistry::loaded() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, entry] : models_) out.push_back(name);
  return out;
}

// ----------------------------------------------------------------- runtime ---

struct Runtime::Live {
  std::vector<Definition> running;  // by id
};

namespace {
ExposureLogOptions with_summaries(const store::Store& store, ExposureLogOptions options) {
  options.summaries = std::make_shared<UserSummaries>(store);
  return options;
}
}  // namespace

Runtime::Runtime(store::Store& store, RuntimeOptions options)
    : store_(store), options_(options), registry_(store, options.model_refresh_s),
      log_(store, with_summaries(store, options.log)) {
  TAILOR_CHECK_ARG(options_.monitor_interval_s >= 1 && options_.monitor_interval_s <= 86400,
                   "experiment_monitor_interval_s: must be in [1, 86400]");
  monitor_thread_ = std::thread([this] { run_monitor(); });
}

Runtime::~Runtime() { stop(); }

void Runtime::stop() noexcept {
  if (stopped_.exchange(true)) return;
  {
    std::lock_guard lock(monitor_mutex_);
    monitor_stop_ = true;
  }
  monitor_cv_.notify_all();
  if (monitor_thread_.joinable()) monitor_thread_.join();
  try {
    write_monitor_points(now_seconds());
  } catch (const std::exception& e) {
    log_warn(std::string("experiment monitor: last points not written: ") + e.what());
  }
  log_.stop();
}

void Runtime::reload() {
  auto fresh = std::make_shared<Live>();
  for (auto& d : list_experiments(store_))
    if (d.status == Status::kRunning) fresh->running.push_back(std::move(d));
  std::lock_guard lock(live_mutex_);
  live_ = std::move(fresh);
  live_loaded_at_ = monotonic_seconds();
}

std::shared_ptr<const Runtime::Live> Runtime::live() {
  {
    std::lock_guard lock(live_mutex_);
    if (live_ && monotonic_seconds() - live_loaded_at_ < options_.definitions_refresh_s) return live_;
  }
  reload();
  std::lock_guard lock(live_mutex_);
  return live_;
}

bool Runtime::applies(const std::string& surface, const std::string& user) {
  const auto current = live();
  const Timestamp now = now_seconds();
  for (const auto& d : current->running)
    if (is_live(d, now) && contains(d.surfaces, surface) && assign_variant(d, user)) return true;
  return false;
}

Served Runtime::serve(const std::string& surface, const std::string& user,
                      const std::shared_ptr<const model::Recommender>& default_model, std::size_t position_offset,
                      const std::string& request_id, const RankFn& rank) {
  const auto current = live();
  const Timestamp now = now_seconds();
  const Definition* chosen = nullptr;
  std::size_t variant = 0;
  for (const auto& d : current->running) {
    if (!is_live(d, now) || !contains(d.surfaces, surface)) continue;
    if (auto v = assign_variant(d, user)) {
      chosen = &d;
      variant = *v;
      break;
    }
  }
  Served out;
  if (chosen == nullptr) {
    out.model = default_model;
    out.items = rank(*default_model, {});
    return out;
  }
  const auto model_of = [&](const Variant& v) { return v.model.empty() ? default_model : registry_.get(v.model); };
  const auto settings_of = [](const Variant& v) { return ArmSettings{v.diversity, v.rerank}; };
  Exposure e;
  e.experiment = chosen->id;
  e.user = user;
  e.surface = surface;
  e.request_id = request_id;
  e.ts = now;
  if (chosen->mode == "interleave") {
    // Everyone in the traffic share sees both rankers merged; the exposure's
    // variant is 0 and each shown item remembers its team.
    variant = 0;
    const auto model_a = model_of(chosen->variants[0]), model_b = model_of(chosen->variants[1]);
    const auto list_a = rank(*model_a, settings_of(chosen->variants[0]));
    const auto list_b = rank(*model_b, settings_of(chosen->variants[1]));
    std::vector<std::string> ids_a, ids_b;
    for (const auto& r : list_a) ids_a.push_back(r.item);
    for (const auto& r : list_b) ids_b.push_back(r.item);
    e.id = make_exposure_id(chosen->id, 0, now);
    const auto merged = team_draft_interleave(ids_a, ids_b, std::max(ids_a.size(), ids_b.size()), stable_hash(e.id));
    for (std::size_t pos = 0; pos < merged.items.size(); ++pos) {
      const auto& list = merged.teams[pos] == 0 ? list_a : list_b;
      float score = 0;
      for (const auto& r : list)
        if (r.item == merged.items[pos]) score = r.score;
      out.items.push_back({merged.items[pos], score});
    }
    e.teams = merged.teams;
    e.model = model_a->name() + "|" + model_b->name();
    out.model = model_a;
  } else {
    const Variant& v = chosen->variants[variant];
    out.model = model_of(v);
    out.items = rank(*out.model, settings_of(v));
    e.id = make_exposure_id(chosen->id, variant, now);
    e.model = out.model->name();
  }
  e.variant = variant;
  e.variant_name = chosen->mode == "interleave" ? "interleaved" : chosen->variants[variant].name;
  for (std::size_t pos = 0; pos < out.items.size(); ++pos) {
    e.items.push_back(out.items[pos].item);
    e.positions.push_back(static_cast<int>(position_offset + pos + 1));
  }
  log_.log(exposure_record(e));  // returns once durable (ExposureLog); throws rather than acknowledge a lost one
  count(e.experiment, variant, e.model, 1, 0, 0);
  out.exposure = std::move(e);
  return out;
}

void Runtime::count(const std::string& experiment, std::size_t variant, const std::string& model, int exposures,
                    int clicks, int conversions) {
  const auto current = live();
  std::string variant_name = std::to_string(variant);
  for (const auto& d : current->running)
    if (d.id == experiment && variant < d.variants.size())
      variant_name = d.mode == "interleave" ? "interleaved" : d.variants[variant].name;
  std::lock_guard lock(counters_mutex_);
  for (auto* map : {&totals_, &interval_}) {
    auto& c = (*map)[counter_key(experiment, variant_name)];
    c.experiment = experiment;
    c.variant = variant_name;
    if (!model.empty()) c.model = model;
    c.exposures += static_cast<std::uint64_t>(exposures);
    c.clicks += static_cast<std::uint64_t>(clicks);
    c.conversions += static_cast<std::uint64_t>(conversions);
  }
}

void Runtime::on_events(const std::vector<data::Event>& events) {
  if (events.empty() || stopped_) return;
  // Called after the events' commit: they are acknowledged whatever happens
  // here, so a failure to attribute is logged, never thrown at the writer.
  try {
    attribute(events);
  } catch (const std::exception& e) {
    log_warn(std::string("experiment attribution of ") + std::to_string(events.size()) + " event(s) failed: " + e.what());
  }
}

void Runtime::attribute(const std::vector<data::Event>& events) {
  const auto current = live();
  if (current->running.empty()) return;
  const Timestamp now = now_seconds();
  for (const auto& ev : events) {
    // The exposure the client names, when it names one of this user's.
    std::string named_id;
    if (ev.context.is_object() && ev.context.contains("exposure_id") && ev.context["exposure_id"].is_string())
      named_id = ev.context["exposure_id"].get<std::string>();
    const auto named = parse_exposure_id(named_id);
    for (const auto& d : current->running) {
      if (!is_live(d, now)) continue;
      const auto assigned = assign_variant(d, ev.user_id);
      if (!assigned) continue;  // never exposed to this experiment
      std::optional<store::Record> exposure;
      if (named && named->first == d.id) {
        exposure = store_.get_record(kExposureCollection, named_id);
        if (exposure && exposure->user != ev.user_id) exposure.reset();  // someone else's id: ignore it
      }
      if (!exposure) {
        // The user's latest exposure in the window: the events' time minus the window, up to the event.
        store::RecordQuery query;
        query.collection = kExposureCollection;
        query.user = ev.user_id;
        query.key_prefix = d.id + ".";
        query.since = ev.timestamp - d.attribution_window_s;
        query.until = ev.timestamp + 1;
        auto found = store_.list_records(query);
        if (found.empty()) continue;  // no exposure before the event: not the experiment's doing
        exposure = *std::max_element(found.begin(), found.end(),
                                     [](const store::Record& a, const store::Record& b) { return a.ts < b.ts; });
      }
      const auto parsed = parse_exposure_id(exposure->key);
      if (!parsed) continue;
      const auto body = json::parse(exposure->body, nullptr, false);
      bool shown = false;
      int team = -1;
      if (body.is_object() && body.contains("items") && body["items"].is_array())
        for (std::size_t pos = 0; pos < body["items"].size(); ++pos)
          if (body["items"][pos] == ev.item_id) {
            shown = true;
            if (body.contains("teams") && body["teams"].is_array() && pos < body["teams"].size())
              team = body["teams"][pos].get<int>();
          }
      json record = {{"exposure", exposure->key}, {"item", ev.item_id}, {"type", ev.type}, {"value", ev.value},
                     {"shown", shown}};
      if (team >= 0) record["team"] = team;
      // Keyed by the event's identity, so the same event delivered twice is attributed once.
      const std::string identity = ev.user_id + '\x1f' + ev.item_id + '\x1f' + ev.type + '\x1f' +
                                   std::to_string(ev.timestamp) + '\x1f' + std::to_string(ev.value);
      const std::string key = d.id + "." + std::to_string(parsed->second) + "." + hex(time_bits(ev.timestamp), 16) +
                              "." + hex(stable_hash(identity), 16);
      log_.log_async({kAttributionCollection, key, ev.user_id, ev.timestamp, record.dump()});
      const bool click = shown && contains(d.click_types, ev.type);
      const bool conversion = contains(d.conversion_types, ev.type);
      if (click || conversion) count(d.id, parsed->second, "", 0, click ? 1 : 0, conversion ? 1 : 0);
    }
  }
}

void Runtime::flush() { log_.flush(); }

std::string Runtime::metrics_text() {
  std::map<std::string, VariantCounters> totals;
  {
    std::lock_guard lock(counters_mutex_);
    totals = totals_;
  }
  std::string out;
  const auto series = [&](const std::string& name, const std::string& type, const std::string& help,
                          const std::function<double(const VariantCounters&)>& value) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& [key, c] : totals) {
      char number[32];
      std::snprintf(number, sizeof number, "%.9g", value(c));
      out += name + "{experiment=\"" + label_value(c.experiment) + "\",variant=\"" + label_value(c.variant) +
             "\",model=\"" + label_value(c.model) + "\"} " + number + "\n";
    }
  };
  series("tailor_experiment_exposures_total", "counter", "Recommendation lists served under an experiment.",
         [](const VariantCounters& c) { return static_cast<double>(c.exposures); });
  series("tailor_experiment_clicks_total", "counter", "Clicks on shown items attributed to the variant.",
         [](const VariantCounters& c) { return static_cast<double>(c.clicks); });
  series("tailor_experiment_conversions_total", "counter", "Conversion events attributed to the variant.",
         [](const VariantCounters& c) { return static_cast<double>(c.conversions); });
  series("tailor_experiment_ctr", "gauge", "Clicks per exposure since the server started.",
         [](const VariantCounters& c) { return c.exposures ? static_cast<double>(c.clicks) / c.exposures : 0.0; });
  series("tailor_experiment_conversion_rate", "gauge", "Conversions per exposure since the server started.",
         [](const VariantCounters& c) { return c.exposures ? static_cast<double>(c.conversions) / c.exposures : 0.0; });
  out += "# HELP tailor_experiment_log_records_total Exposure log records committed.\n"
         "# TYPE tailor_experiment_log_records_total counter\n"
         "tailor_experiment_log_records_total " + std::to_string(log_.committed()) + "\n";
  out += "# HELP tailor_experiment_log_batches_total Exposure log transactions (group commits).\n"
         "# TYPE tailor_experiment_log_batches_total counter\n"
         "tailor_experiment_log_batches_total " + std::to_string(log_.batches()) + "\n";
  out += "# HELP tailor_experiment_log_failures_total Exposure log records that could not be committed.\n"
         "# TYPE tailor_experiment_log_failures_total counter\n"
         "tailor_experiment_log_failures_total " + std::to_string(log_.failures()) + "\n";
  return out;
}

void Runtime::write_monitor_points(Timestamp now) {
  std::map<std::string, VariantCounters> interval;
  {
    std::lock_guard lock(counters_mutex_);
    interval.swap(interval_);
  }
  static const std::string replica = hex(random_u64(), 8);  // several replicas write their own points
  const Timestamp start = now - now % options_.monitor_interval_s;
  for (const auto& [key, c] : interval) {
    if (c.exposures == 0 && c.clicks == 0 && c.conversions == 0) continue;
    json body = {{"experiment", c.experiment}, {"variant", c.variant}, {"model", c.model},
                 {"exposures", c.exposures}, {"clicks", c.clicks}, {"conversions", c.conversions},
                 {"interval_s", options_.monitor_interval_s}};
    log_.log_async({kMonitorCollection, store::record_time_key(start, c.experiment + "." + c.variant + "." + replica),
                    "", start, body.dump()});
  }
}

void Runtime::run_monitor() {
  std::unique_lock lock(monitor_mutex_);
  while (!monitor_stop_) {
    monitor_cv_.wait_for(lock, std::chrono::seconds(options_.monitor_interval_s));
    if (monitor_stop_) break;
    lock.unlock();
    try {
      write_monitor_points(now_seconds() - 1);  // the interval that just ended
    } catch (const std::exception& e) {
      log_warn(std::string("experiment monitor: ") + e.what());
    }
    lock.lock();
  }
}

}  // namespace tailor::experiment
