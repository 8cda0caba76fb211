// `tailor profile`, `tailor labels`, `tailor segments`: user profiles, rule
// labels and k-means segments (tailor_profile). `segments` stores its result
// as the artifact "segments:current"; `profile` reads it to name a user's segment.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include "commands.h"
#include "tailor/profile/profile.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

struct ProfileArgs {
  std::string db;
  std::string user;
  std::string rules;
  std::string now;
};

profile::RuleSet load_rules(const std::string& path) {
  return path.empty() ? profile::RuleSet::defaults() : profile::RuleSet::load(path);
}

profile::ProfileOptions profile_options(const std::string& now) {
  profile::ProfileOptions options;
  if (!now.empty()) {
    auto ts = parse_timestamp(now);
    TAILOR_CHECK_ARG(ts.has_value(), "--now '" + now + "': expected Unix seconds or an ISO 8601 date-time");
    options.now = *ts;
  }
  return options;
}

std::optional<profile::SegmentResult> stored_segments(const store::Store& store) {
  auto bytes = store.get_artifact(profile::kSegmentsArtifact);
  if (!bytes) return std::nullopt;
  nlohmann::json doc = nlohmann::json::parse(*bytes, nullptr, false);
  if (doc.is_discarded()) throw_error(ErrorCode::kCorruption, "segments artifact: not valid JSON");
  return profile::segments_from_json(doc);
}

void run_profile(const ProfileArgs& args, const GlobalOptions& global) {
  auto rules = load_rules(args.rules);  // rule errors before the scan
  auto store = store::open_store(args.db);
  const auto options = profile_options(args.now);
  // One user: the store-wide universe (one scan) plus that user's events only.
  if (!store->get_user(args.user)) throw_error(ErrorCode::kNotFound, "user '" + args.user + "' is not in the store");
  const auto universe = profile::scan_profile_universe(*store, options);
  const auto found = profile::compute_user_profile(*store, args.user, universe, options);
  if (!found) throw_error(ErrorCode::kNotFound, "user '" + args.user + "' is not in the store");
  const profile::UserProfile* user = &*found;
  const Timestamp now = options.now != 0 ? options.now : std::max(universe.newest, user->last_event);
  nlohmann::json doc = {{"user", user->user_id},
                        {"attributes", user->attributes},
                        {"now", format_timestamp(now)},
                        {"features", profile::features_json(*user)},
                        {"brands", profile::brands_json(*user)},
                        {"labels", rules.labels_for(*user)},
                        {"tags", profile::interest_tags(*store, *user)}};
  std::optional<profile::Segment> segment;
  if (auto segments = stored_segments(*store))
    if (auto id = segments->segment_of(user->user_id))
      for (const auto& s : segments->segments)
        if (s.id == *id) segment = s;
  if (segment)
    doc["segment"] = {{"id", segment->id}, {"name", segment->name}, {"description", segment->description}};
  if (global.json) {
    print_json(doc);
    return;
  }
  std::printf("user %s  (%llu events, now = %s)\n", user->user_id.c_str(),
              static_cast<unsigned long long>(user->event_count), format_timestamp(now).c_str());
  std::printf("attributes: %s\n", user->attributes.dump().c_str());
  for (const auto& [name, value] : doc["features"].items())
    std::printf("  %-26s %s\n", name.c_str(), value.dump().c_str());
  std::string brands;
  for (const auto& b : user->top_brands) {
    char share[32];
    std::snprintf(share, sizeof share, " %.0f%%", 100 * b.share);
    brands += (brands.empty() ? "" : ", ") + b.brand + share;
  }
  std::printf("brands: %s\n", brands.empty() ? "(none)" : brands.c_str());
  std::string labels;
  for (const auto& l : doc["labels"]) labels += (labels.empty() ? "" : ", ") + l.get<std::string>();
  std::printf("labels: %s\n", labels.empty() ? "(none)" : labels.c_str());
  std::string tags;
  for (const auto& t : doc["tags"]) tags += (tags.empty() ? "" : ", ") + t.get<std::string>();
  std::printf("tags: %s\n", tags.empty() ? "(none)" : tags.c_str());
  if (segment)
    std::printf("segment %d: %s — %s\n", segment->id, segment->name.c_str(), segment->description.c_str());
  else
    std::printf("segment: none yet (run `tailor segments`)\n");
}

struct LabelsArgs {
  std::string db;
  std::string rules;
  std::string now;
};

void run_labels(const LabelsArgs& args, const GlobalOptions& global) {
  auto rules = load_rules(args.rules);
  auto store = store::open_store(args.db);
  auto profiles = profile::compute_profiles(*store, profile_options(args.now));
  std::map<std::string, std::size_t> counts;
  for (const auto& user : profiles.users)
    for (const auto& label : rules.labels_for(user)) counts[label] += 1;
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& label : rules.labels()) labels.push_back({{"label", label}, {"count", counts[label]}});
  if (global.json) {
    print_json({{"users", profiles.users.size()}, {"rules", rules.size()}, {"labels", labels}});
    return;
  }
  std::printf("%zu users, %zu rules\n", profiles.users.size(), rules.size());
  for (const auto& l : labels)
    std::printf("  %8zu  %s\n", l["count"].get<std::size_t>(), l["label"].get<std::string>().c_str());
}

struct SegmentsArgs {
  std::string db;
  int k = 0;
  std::uint64_t seed = 42;
  bool no_save = false;
  std::string describe = "rules";  // "rules" or "llm"
  std::vector<std::string> langs;  // --lang, each "zh", "en" or "zh,en"
  LlmFlags llm;
};

// --lang values, comma lists split; default zh then en (first users write Chinese).
std::vector<std::string> describe_langs(const std::vector<std::string>& given) {
  std::vector<std::string> langs;
  for (const auto& entry : given) {
    std::size_t start = 0;
    while (start <= entry.size()) {
      const auto end = std::min(entry.find(',', start), entry.size());
      if (end > start) langs.push_back(entry.substr(start, end - start));
      start = end + 1;
    }
  }
  if (langs.empty()) langs = {"zh", "en"};
  return langs;
}

void run_segments(SegmentsArgs args, const GlobalOptions& global) {
  TAILOR_CHECK_ARG(args.describe == "rules" || args.describe == "llm",
                   "--describe: expected rules or llm, got '" + args.describe + "'");
  profile::SegmentDescribeOptions describe;
  describe.langs = describe_langs(args.langs);
  describe.validate();  // flag errors before the scan
  std::unique_ptr<llm::Generator> generator;
  if (args.describe == "llm") {
    apply_llm_env(args.llm);
    if (!args.llm.no_generator) generator = llm::open_generator(args.llm.config);
  }
  auto store = store::open_store(args.db);
  auto profiles = profile::compute_profiles(*store);
  profile::SegmentOptions options;
  options.k = args.k;
  options.seed = args.seed;
  options.threads = global.threads;
  auto result = profile::compute_segments(profiles, options);
  std::optional<profile::SegmentDescribeStats> described;
  if (args.describe == "llm") described = profile::describe_segments(result, generator.get(), describe);
  if (!args.no_save) {
    auto writer = store->begin_write();
    writer->put_artifact(profile::kSegmentsArtifact, profile::segments_json(result, true).dump());
    writer->commit();
  }
  if (global.json) {
    auto doc = profile::segments_json(result, false);
    if (described)
      doc["describe"] = {{"langs", describe.langs},
                         {"model", generator ? generator->model_id() : std::string()},
                         {"llm", described->llm},
                         {"rules", described->rules},
                         {"generations", described->generations}};
    print_json(doc);
    return;
  }
  std::printf("k = %d, silhouette = %.4f (seed %llu)%s\n", result.k, result.silhouette,
              static_cast<unsigned long long>(result.seed), args.no_save ? "" : ", saved as segments:current");
  for (const auto& s : result.segments) {
    std::printf("  %2d  %6zu  %-28s %s\n", s.id, s.size, s.name.c_str(), s.description.c_str());
    for (std::size_t idx = 1; idx < s.descriptions.size(); ++idx)
      std::printf("  %2s  %6s  %-28s %s\n", "", "", "", s.descriptions[idx].text.c_str());
  }
  if (described)
    std::printf("descriptions: %zu by the model, %zu rule words (%zu generations)\n", described->llm,
                described->rules, described->generations);
}

struct CategoryPropensityArgs {
  std::string db;
  profile::CategoryPropensityOptions options;
};

void run_category_propensity(const CategoryPropensityArgs& args, const GlobalOptions& global) {
  auto store = store::open_store(args.db, {.read_only = true});
  profile::CategoryPropensityOptions options = args.options;
  options.threads = global.threads;
  const auto result = profile::category_propensity(*store, options);
  if (global.json) {
    print_json(profile::category_propensity_json(result));
    return;
  }
  std::printf("%s propensity (%s): cutoff %s, horizon %d days, %zu positives of %zu users\n", result.category.c_str(),
              result.model.c_str(), format_timestamp(result.cutoff).c_str(), result.horizon_days, result.positives,
              result.train_users + result.test_users);
  std::printf("test AUC %.4f, lift@10%% %.2f (%zu train users, %zu test users)\n", result.auc, result.lift_top10,
              result.train_users, result.test_users);
  for (const auto& [feature, value] : result.importance) std::printf("  %-32s %.4f\n", feature.c_str(), value);
  std::printf("audience:\n");
  for (const auto& [user, score] : result.audience) std::printf("  %-20s %.4f\n", user.c_str(), score);
}

}  // namespace

void run_store_propensity(const std::string& db, const std::string& category, int horizon_days,
                          const std::string& cutoff, const std::string& model, std::uint64_t seed, std::size_t top,
                          const GlobalOptions& global) {
  CategoryPropensityArgs args;
  args.db = db;
  args.options.category = category;
  args.options.horizon_days = horizon_days;
  if (!cutoff.empty()) {
    auto ts = parse_timestamp(cutoff);
    TAILOR_CHECK_ARG(ts.has_value(), "--cutoff: cannot parse '" + cutoff + "' as a time");
    args.options.cutoff = *ts;
  }
  args.options.model = model;
  args.options.seed = seed;
  args.options.top = top;
  run_category_propensity(args, global);
}

void register_profile(CLI::App& app, GlobalOptions& global) {
  {
    auto args = std::make_shared<ProfileArgs>();
    auto* cmd = app.add_subcommand("profile", "A user's profile: features, rule labels and segment");
    cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
    cmd->add_option("--user", args->user, "User id")->required();
    cmd->add_option("--rules", args->rules, "Label rule file (default: the built-in default_labels.rules)");
    cmd->add_option("--now", args->now, "Reference time for recency (default: the newest event)");
    cmd->add_flag("--json", global.json, "Print JSON");
    cmd->callback([args, &global] { run_profile(*args, global); });
  }
  {
    auto args = std::make_shared<LabelsArgs>();
    auto* cmd = app.add_subcommand("labels", "Evaluate label rules for every user and count each label");
    cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
    cmd->add_option("--rules", args->rules, "Label rule file (default: the built-in default_labels.rules)");
    cmd->add_option("--now", args->now, "Reference time for recency (default: the newest event)");
    cmd->add_flag("--json", global.json, "Print JSON");
    cmd->callback([args, &global] { run_labels(*args, global); });
  }
  {
    auto args = std::make_shared<SegmentsArgs>();
    auto* cmd = app.add_subcommand("segments", "Cluster users into segments (k-means++, k by silhouette) and save them");
    cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
    cmd->add_option("--k", args->k, "Number of segments (0 = choose by silhouette in [2, 12])")->check(CLI::Range(0, 100));
    cmd->add_option("--seed", args->seed, "Random seed (same seed, same segments)");
    cmd->add_flag("--no-save", args->no_save, "Do not store the result as segments:current");
    cmd->add_option("--describe", args->describe,
                    "Segment descriptions: rules (default) or llm (the generator, checked; rule words where a check fails)")
        ->check(CLI::IsMember({"rules", "llm"}));
    cmd->add_option("--lang", args->langs, "Languages of --describe llm: zh, en or zh,en (default zh,en)");
    add_llm_flags(cmd, args->llm);
    cmd->add_flag("--json", global.json, "Print JSON");
    cmd->callback([args, &global] { run_segments(*args, global); });
  }
}

}  // namespace tailor::cli
