// Front door of the experiment component: A/B tests and interleaving of
// recommenders, ranking settings and copy, run by the server itself.
//
//   definition ──> assignment (hash of salt and user, layers, traffic share)
//              ──> serving (the variant's model from the ModelRegistry)
//              ──> exposure log (asynchronous, group commit, acknowledged = durable)
//              ──> attribution of later events (by exposure_id, else by user and item in a window)
//              ──> report (per-user metrics, SRM first, sequential t-tests, CUPED,
//                  Holm/BH, Bayesian) and monitoring (CTR/conversion time series)
//
// Persistent state lives in store records, so it runs on every store backend:
//   "experiment"             key = experiment id, body = the definition (definition_json)
//   "experiment.exposure"    key = exposure id "<exp>.<variant idx>.<16 hex time>.<random>", user set,
//                            body {"surface","items","positions","teams"?,"request_id","model"}
//   "experiment.attribution" key "<exp>.<variant idx>.<16 hex time>.<event hash>", user set,
//                            body {"exposure","item","type","value","shown","team"?}
//   "experiment.monitor"     key record_time_key(interval start, "<exp>.<variant>"), body counts of one interval
//   "experiment.user"        key "<exp>.<user>.<writer>", user set: one writer's running totals of one
//                            user (UserSummaries), written in the same transaction as the records
//                            they count, so a report reads one small record per user instead of
//                            every exposure (the 2 s goal for a million exposures, bench/experiment_bench.cc)
//
// The statistics are a pure library of their own: tailor/experiment/stats.h.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailor/data/data.h"
#include "tailor/experiment/stats.h"
#include "tailor/model/model.h"
#include "tailor/rank/rank.h"
#include "tailor/store/store.h"

namespace tailor::experiment {

inline constexpr const char* kExperimentCollection = "experiment";
inline constexpr const char* kExposureCollection = "experiment.exposure";
inline constexpr const char* kAttributionCollection = "experiment.attribution";
inline constexpr const char* kMonitorCollection = "experiment.monitor";
inline constexpr const char* kUserCollection = "experiment.user";

// ------------------------------------------------------------ definition ---

// Where an experiment applies: "recommendations" (/v1/users/{id}/recommendations),
// "gorse_recommend" (/api/recommend), "search", "campaign".
inline const std::vector<std::string>& surface_names() {
  static const std::vector<std::string> kNames = {"recommendations", "gorse_recommend", "search", "campaign"};
  return kNames;
}

// What one variant changes. Empty/absent fields keep the request's own.
struct Variant {
  std::string name;                 // [a-z0-9_-]{1,32}
  double weight = 1;                // share of the experiment's users, relative to the others (> 0)
  std::string model;                // trained model name (artifact model:<name>); "" = the server's current
  std::optional<double> diversity;  // MMR diversity in [0, 1]
  std::optional<bool> rerank;       // false = no reranking (diversity 0) whatever the request asked
  std::string copy_strategy;        // campaigns: "llm", "template", ... (recorded, used by the campaign component)
  nlohmann::json params = nlohmann::json::object();  // anything else the variant stands for (recorded)
};

enum class Status { kDraft, kRunning, kStopped };
std::string_view status_name(Status status);

struct Definition {
  std::string id;                   // [a-z0-9_-]{1,64}
  std::string name;                 // free text (zh/en)
  std::string description;
  std::string mode = "ab";          // "ab" | "interleave" (exactly two variants, team-draft)
  std::vector<std::string> surfaces = {"recommendations", "gorse_recommend"};
  std::string salt;                 // default: the id; change it to re-randomise
  std::string layer;                // experiments in one layer never share a user; default: the id
  double traffic = 1;               // share of the layer's users in the experiment, (0, 1]
  int bucket_start = 0;             // [bucket_start, bucket_end) of kLayerBuckets, allocated at creation
  int bucket_end = 0;
  std::vector<Variant> variants;    // first = control; 2..20
  std::string primary_metric = "ctr";
  std::vector<std::string> guardrail_metrics = {"conversion"};
  std::vector<std::string> click_types = {"click"};
  std::vector<std::string> conversion_types = {"purchase"};
  std::int64_t attribution_window_s = 86400;  // events this long after an exposure count for it
  double alpha = 0.05;
  bool sequential = true;           // headline numbers from confidence sequences (peeking-safe)
  double sequential_tuning = 5000;  // expected total users (gbstats' tuning parameter)
  std::string correction = "holm";  // "holm" | "bh" | "none", across metrics × variants
  int cuped_days = 0;               // pre-period length for CUPED; 0 = off
  bool bayesian = false;            // add chance to win and expected loss
  Status status = Status::kDraft;
  Timestamp start_at = 0;           // planned start/stop (0 = when started/stopped by hand)
  Timestamp stop_at = 0;
  Timestamp created_at = 0, started_at = 0, stopped_at = 0;
};

inline constexpr int kLayerBuckets = 10000;

// Parses and validates a definition body (POST /v1/experiments, `tailor
// experiment create`); InvalidArgument naming the field. Fields the server
// owns (status, buckets, timestamps) are ignored on input.
Definition definition_from_json(const nlohmann::json& body);
nlohmann::json definition_to_json(const Definition& definition);

// Metric names a report understands: "ctr", "conversion", "revenue_per_user",
// "items_per_user", "count:<type>", "value:<type>". InvalidArgument otherwise.
void check_metric_name(const std::string& name);

// ---------------------------------------------------------------- records ---
// Each writes one transaction (durable on return). Thread-safe as the store.

// Creates the experiment (status draft), allocating the first free bucket
// range of its layer of size traffic·kLayerBuckets; AlreadyExists for a
// taken id, InvalidArgument when the layer has no room.
Definition create_experiment(store::Store& store, Definition definition, Timestamp now);
std::optional<Definition> load_experiment(const store::Store& store, const std::string& id);
std::vector<Definition> list_experiments(const store::Store& store);
// draft -> running (start) and running -> stopped (stop); InvalidArgument for
// another transition, NotFound for an unknown id.
Definition start_experiment(store::Store& store, const std::string& id, Timestamp now);
Definition stop_experiment(store::Store& store, const std::string& id, Timestamp now);

// ------------------------------------------------------------- assignment ---

// 64-bit hash of text (FNV-1a, then the splitmix64 finaliser so every bit
// avalanches); identical on every platform and release, which is what makes
// assignment sticky across restarts and replicas.
std::uint64_t stable_hash(std::string_view text);
// Uniform in [0, 1) from the top 53 bits of stable_hash.
double unit_hash(std::string_view text);

// The user's bucket in a layer, [0, kLayerBuckets).
int layer_bucket(const std::string& layer, const std::string& user);
// The variant index for `user`, or nullopt when the user's layer bucket is
// outside the experiment's range (not in the experiment: the default serves).
// Pure function of the definition and the user id.
std::optional<std::size_t> assign_variant(const Definition& definition, const std::string& user);

// True when the experiment serves requests at `now`: running, and inside its
// planned window when it has one.
bool is_live(const Definition& definition, Timestamp now);

// ----------------------------------------------------------- interleaving ---

// Team-draft interleaving (Radlinski, Kurup & Joachims 2008): in each round
// the team with fewer picks (a coin `coin_seed` decides ties) adds its
// highest-ranked item not yet shown. teams[i] is 0 (A) or 1 (B) for items[i].
struct Interleaved {
  std::vector<std::string> items;
  std::vector<int> teams;
};
Interleaved team_draft_interleave(const std::vector<std::string>& a, const std::vector<std::string>& b,
                                  std::size_t n, std::uint64_t coin_seed);

// -------------------------------------------------------------- exposures ---

struct Exposure {
  std::string id;                  // also the record key
  std::string experiment;
  std::size_t variant = 0;
  std::string variant_name;
  std::string user;
  std::string surface;
  std::string model;               // name of the model that ranked it
  std::vector<std::string> items;
  std::vector<int> positions;      // 1-based rank in the response (offset paging included)
  std::vector<int> teams;          // interleaving only
  std::string request_id;
  Timestamp ts = 0;
};

// "<exp>.<variant>.<16 hex digits of ts>.<10 hex random>"; parse_exposure_id
// returns (experiment, variant) or nullopt for text that is not one.
std::string make_exposure_id(const std::string& experiment, std::size_t variant, Timestamp ts);
std::optional<std::pair<std::string, std::size_t>> parse_exposure_id(std::string_view id);
store::Record exposure_record(const Exposure& exposure);

// Per-user running totals that the exposure log writes beside the exposures
// and attributions of each batch, in the same transaction: variant, number of
// exposures, and per event type (count, Σ value, shown count, shown count per
// interleaving team). Each writer (process) owns its keys (a random writer id
// in the key), so replicas never overwrite each other's totals; a report sums
// a user's records. Only the log's writer thread calls fold(); not thread-safe.
class UserSummaries {
 public:
  explicit UserSummaries(const store::Store& store);
  // The summary records to write with `batch` (exposure and attribution
  // records; others are ignored).
  std::vector<store::Record> fold(const std::vector<store::Record>& batch);
  // After a failed commit: drop the cached totals; the store holds the truth.
  void forget();

 private:
  struct TypeTotals {
    double count = 0, value = 0, shown = 0, team[2] = {0, 0};
  };
  struct Totals {
    std::size_t variant = 0;
    bool mixed = false;
    double exposures = 0;
    Timestamp first = 0;
    std::map<std::string, TypeTotals> types;
  };
  Totals& totals(const std::string& key, std::size_t variant, Timestamp ts, bool& fresh);
  const store::Store& store_;
  std::string writer_;
  std::unordered_map<std::string, Totals> cache_;
};

// The asynchronous exposure log: a bounded queue drained by one background
// thread that writes everything queued in one transaction (group commit).
//
// What "acknowledged" means: log() returns only after the transaction holding
// the exposure has committed (when wait_for_commit is set, the default), so an
// exposure id that reached a client is on disk and survives kill -9 and power
// loss. Concurrent requests share one commit, so the cost per request is at
// most about two commits, not one per request. With wait_for_commit off, log()
// returns once the exposure is queued and an exposure can be lost if the
// process dies within flush_interval_ms of the answer (bench numbers of both
// in docs/benchmarks.md). The queue is bounded: when max_queue exposures wait,
// log() blocks until the writer catches up (back-pressure, never a drop).
struct ExposureLogOptions {
  bool wait_for_commit = true;
  int flush_interval_ms = 20;       // the writer wakes at least this often; [1, 10000]
  std::size_t max_queue = 100000;   // exposures waiting at most; [1, 10'000'000]
  std::size_t max_batch = 5000;     // exposures per transaction at most
  std::shared_ptr<UserSummaries> summaries;  // written with each batch when set (the runtime sets it)
};

class ExposureLog {
 public:
  ExposureLog(store::Store& store, ExposureLogOptions options);
  ~ExposureLog();  // flushes and joins
  ExposureLog(const ExposureLog&) = delete;
  ExposureLog& operator=(const ExposureLog&) = delete;

  // Queues the record (an exposure, an attribution, a monitor point) and,
  // with wait_for_commit, waits for its commit. Unavailable when the writer
  // failed to commit it (the caller must not acknowledge it) or the log is stopped.
  // Thread-safe.
  void log(store::Record record);
  // Queues without waiting (attributions and monitor points, which no client holds an id of).
  void log_async(store::Record record);
  // Blocks until everything queued before the call is committed. Thread-safe.
  void flush();
  // Flushes and stops the writer; later log() calls throw Unavailable. Idempotent.
  void stop() noexcept;

  std::uint64_t committed() const { return committed_.load(); }
  std::uint64_t batches() const { return batches_.load(); }
  std::uint64_t failures() const { return failures_.load(); }

 private:
  void run();
  std::uint64_t enqueue(store::Record record);

  store::Store& store_;
  ExposureLogOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_writer_, wake_waiters_;
  std::deque<store::Record> queue_;
  std::uint64_t queued_seq_ = 0;     // sequence number of the last queued record
  std::uint64_t committed_seq_ = 0;  // every record up to it has been handled
  std::deque<std::pair<std::uint64_t, std::uint64_t>> failed_;  // sequence ranges of recent failed batches
  bool stopping_ = false;
  std::atomic<std::uint64_t> committed_{0}, batches_{0}, failures_{0};
  std::thread writer_;
};

// ------------------------------------------------------------ model registry ---

// Trained models by name, loaded from the store's artifacts (model:<name>) on
// first use and kept as immutable snapshots, so several models serve at once
// (one per variant). A model is reloaded when its artifact is older than
// `refresh_s` seconds in the registry's cache and the artifact changed size
// or bytes (a retrain). Thread-safe; requests keep the shared_ptr they got.
class ModelRegistry {
 public:
  explicit ModelRegistry(const store::Store& store, double refresh_s = 60);
  // NotFound naming the model when the store has no such artifact.
  std::shared_ptr<const model::Recommender> get(const std::string& name);
  std::vector<std::string> loaded() const;

 private:
  struct Entry {
    std::shared_ptr<const model::Recommender> model;
    std::uint64_t digest = 0;  // stable_hash of the artifact the model was loaded from
    double loaded_at = 0;
  };
  const store::Store& store_;
  double refresh_s_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> models_;
};

// --------------------------------------------------------------- serving ---

// An item as a ranker returns it.
struct RankedItem {
  std::string item;
  float score = 0;
};

// What a variant asks the ranker to do.
struct ArmSettings {
  std::optional<double> diversity;
  std::optional<bool> rerank;
};

// The route's ranking step, given the model and settings to use; returns the
// list to show (after the route's own paging and filters).
using RankFn = std::function<std::vector<RankedItem>(const model::Recommender& model, const ArmSettings& settings)>;

// The answer to one recommendation request under the experiments.
struct Served {
  std::vector<RankedItem> items;
  std::shared_ptr<const model::Recommender> model;  // the model that ranked them (A's when interleaved)
  std::optional<Exposure> exposure;                 // set when the user is in a live experiment
  // {"id","variant","exposure_id","mode"} for the response, null without exposure.
  nlohmann::json experiment_json() const;
  // "experiment-id/variant" for the X-Tailor-Experiment header; "" without exposure.
  std::string header_value() const;
};

struct RuntimeOptions {
  ExposureLogOptions log;
  double model_refresh_s = 60;
  int monitor_interval_s = 60;      // one time-series point per variant per interval; [1, 86400]
  double definitions_refresh_s = 2; // running experiments re-read from the store this often (other replicas' changes)
};

// Per variant counters since the start of this process (for /metrics) and of
// the current monitor interval.
struct VariantCounters {
  std::string experiment, variant, model;
  std::uint64_t exposures = 0, clicks = 0, conversions = 0;
};

// The server's experiment runtime: live definitions, the registry, the
// exposure log and the attribution of new events. Thread-safe.
class Runtime {
 public:
  Runtime(store::Store& store, RuntimeOptions options = {});
  ~Runtime();  // stop()
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // The one call a recommendation route makes: finds the live experiment of
  // `surface` that holds `user` (at most one per layer; the first by id when
  // layers differ), ranks with its variant's model and settings (or, for
  // interleaving, both variants' lists merged by team draft), logs the
  // exposure (acknowledged: see ExposureLog) and returns it. Without an
  // experiment it is rank(default_model, {}) and nothing is logged.
  Served serve(const std::string& surface, const std::string& user,
               const std::shared_ptr<const model::Recommender>& default_model, std::size_t position_offset,
               const std::string& request_id, const RankFn& rank);
  // True when a live experiment of `surface` holds the user (answers of such
  // users are not taken from the response cache: each carries its own exposure).
  bool applies(const std::string& surface, const std::string& user);

  // Attributes newly stored events (after their commit): an event whose
  // context has "exposure_id" goes to that exposure; otherwise to the user's
  // latest exposure in each live experiment within the attribution window,
  // marked shown when the item was in it. Written asynchronously.
  void on_events(const std::vector<data::Event>& events);

  // Re-reads the definitions now (after create/start/stop through this process).
  void reload();
  // Prometheus text: per experiment/variant/model exposures, clicks,
  // conversions, CTR and conversion rate; exposure log counters.
  std::string metrics_text();
  // Writes the current interval's monitor points now (tests; the background
  // thread does it every monitor_interval_s).
  void write_monitor_points(Timestamp now);
  void flush();
  void stop() noexcept;

  ModelRegistry& models() { return registry_; }

 private:
  struct Live;
  std::shared_ptr<const Live> live();
  void attribute(const std::vector<data::Event>& events);
  void run_monitor();
  void count(const std::string& experiment, std::size_t variant, const std::string& model, int exposures, int clicks,
             int conversions);

  store::Store& store_;
  RuntimeOptions options_;
  ModelRegistry registry_;
  ExposureLog log_;
  std::mutex live_mutex_;
  std::shared_ptr<const Live> live_;
  double live_loaded_at_ = -1e18;
  std::mutex counters_mutex_;
  std::map<std::string, VariantCounters> totals_, interval_;  // key "exp\x1fvariant"
  std::mutex monitor_mutex_;
  std::condition_variable monitor_cv_;
  bool monitor_stop_ = false;
  std::thread monitor_thread_;
  std::atomic<bool> stopped_{false};
};

// --------------------------------------------------- recommendation routes ---

// Turns the pipeline's answer into the list shown (the route's own paging
// and filters); null = every item of the answer, in order.
using FinishFn =
    std::function<std::vector<RankedItem>(const model::Recommender& model, const rank::RecommendResult& answer)>;

struct ServedRecommendation : Served {
  std::string source;               // rank::RecommendResult::source of the (last) ranking
  std::size_t history_length = 0;
};

// The one call a recommendation route makes (/v1 and Gorse /api alike):
// rank::recommend_for_user under the variant the user is assigned to (its
// model from the registry, its diversity / reranking), the exposure logged
// and acknowledged (see ExposureLog), or the plain pipeline with
// `default_model` when no live experiment holds the user or `runtime` is null.
// Thread-safe.
ServedRecommendation serve_recommendation(Runtime* runtime, const std::string& surface, const store::Store& store,
                                          const std::shared_ptr<const model::Recommender>& default_model,
                                          const rank::RecommendQuery& query, std::size_t position_offset,
                                          const std::string& request_id, const FinishFn& finish = {});

// ---------------------------------------------------------------- report ---

struct ReportOptions {
  Timestamp now = 0;                       // 0 = now
  std::optional<bool> sequential;          // override the definition's
  std::optional<bool> bayesian;
  std::optional<int> cuped_days;
  std::optional<std::string> correction;
  std::vector<std::string> metrics;        // override primary + guardrails (first = primary)
};

// The experiment's results from its exposures and attributions: per-user
// metrics per variant, the SRM check first, then per metric and variant the
// lift with its interval and p-value (sequential by default; fixed-horizon
// beside it), the multiple-comparison adjusted p-value, optional CUPED and
// Bayesian numbers, and a verdict naming the winner when the primary metric
// is significant. Interleaving experiments report wins/losses/ties per user
// with a sign test. NotFound for an unknown experiment.
nlohmann::json experiment_report(const store::Store& store, const std::string& id, const ReportOptions& options = {});
// The report as a text table, SRM first.
std::string report_table(const nlohmann::json& report);

// ------------------------------------------------------------ monitoring ---

struct MonitorOptions {
  std::string experiment;          // "" = all
  double threshold = 0.2;          // flag a relative drop larger than this, (0, 1)
  int baseline_points = 7;         // trailing points the baseline averages, [1, 1000]
  std::uint64_t min_exposures = 100;  // points with fewer exposures are not judged
  Timestamp since = 0;
};

// The time series of every variant with CTR and conversion per point, the
// trailing baseline (exposure-weighted over the previous baseline_points
// points) and an alert when a point's rate fell more than `threshold` below it.
nlohmann::json monitor_report(const store::Store& store, const MonitorOptions& options);

}  // namespace tailor::experiment
