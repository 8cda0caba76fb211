// `tailor import`: reads files through the data component's importers into one
// store write transaction. The transaction commits only after every file was
// read without a fatal error, so a failed import leaves the store unchanged.
#include <filesystem>

#include "commands.h"
#include "tailor/data/import.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

namespace fs = std::filesystem;

struct ImportArgs {
  std::string db;
  std::string format;
  std::vector<std::string> paths;
  std::string entity = "events";
  std::string map;
  std::string type = "rating";
  std::string list_separator = "|";
  std::string event_types;
  std::vector<std::string> missing;
  bool strict = false;
  bool clip = false;
  double rating_min = 0.5;
  double rating_max = 5.0;
  std::int64_t max_future_seconds = 86400;
  bool allow_unknown_types = false;
};

data::FileFormat format_from(const std::string& format, const std::string& path) {
  if (format == "csv") return data::FileFormat::kCsv;
  if (format == "tsv") return data::FileFormat::kTsv;
  if (format == "jsonl") return data::FileFormat::kJsonl;
  // "tailor": guess by extension.
  std::string name = fs::path(path).filename().string();
  if (name.find(".jsonl") != std::string::npos || name.find(".json") != std::string::npos)
    return data::FileFormat::kJsonl;
  if (name.find(".tsv") != std::string::npos) return data::FileFormat::kTsv;
  return data::FileFormat::kCsv;
}

// Parses "--missing column=reject|now|default:VALUE".
void apply_missing(const std::vector<std::string>& entries, data::ImportPolicy& policy) {
  for (const auto& entry : entries) {
    auto eq = entry.find('=');
    TAILOR_CHECK_ARG(eq != std::string::npos && eq > 0,
                     "--missing '" + entry + "': expected column=reject|now|default:VALUE");
    std::string column = entry.substr(0, eq), rule = entry.substr(eq + 1);
    data::MissingPolicy m;
    if (rule == "reject") {
      m.kind = data::MissingPolicy::Kind::kReject;
    } else if (rule == "now") {
      m.kind = data::MissingPolicy::Kind::kNow;
    } else if (rule.rfind("default:", 0) == 0) {
      m.kind = data::MissingPolicy::Kind::kDefault;
      m.default_value = rule.substr(8);
    } else {
      TAILOR_CHECK_ARG(false, "--missing '" + entry + "': rule must be reject, now or default:VALUE");
    }
    policy.missing[column] = m;
  }
}

// Merges one file's report into the running total.
void accumulate(data::ImportReport& total, const data::ImportReport& part) {
  total.rows_read += part.rows_read;
  total.users += part.users;
  total.items += part.items;
  total.events += part.events;
  total.duplicates += part.duplicates;
  total.clipped += part.clipped;
  total.defaulted += part.defaulted;
  for (const auto& [reason, n] : part.rejected_by_reason) total.rejected_by_reason[reason] += n;
  for (const auto& ex : part.examples)
    if (total.examples.size() < 20) total.examples.push_back(ex);
}

// The native folder layout written by scripts/gen_demo_data.py and by
// `tailor export`: users.jsonl, items.jsonl, events.csv[.gz] or events.jsonl[.gz].
std::vector<std::pair<std::string, std::string>> native_folder_files(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> files;  // (path, entity)
  for (const char* entity : {"users", "items", "events"}) {
    bool found = false;
    for (const char* ext : {".jsonl", ".jsonl.gz", ".csv", ".csv.gz", ".tsv", ".tsv.gz"}) {
      fs::path p = fs::path(dir) / (std::string(entity) + ext);
      if (fs::exists(p)) {
        files.emplace_back(p.string(), entity);
        found = true;
        break;
      }
    }
    if (!found && std::string(entity) == "events")
      throw_error(ErrorCode::kNotFound, dir + ": no events.csv[.gz] or events.jsonl[.gz] in this folder");
  }
  return files;
}

void run_import(const ImportArgs& args, const GlobalOptions& global) {
  data::ImportPolicy policy;
  policy.on_error = args.strict ? data::OnError::kStrict : data::OnError::kSkip;
  policy.out_of_range = args.clip ? data::OutOfRange::kClip : data::OutOfRange::kReject;
  TAILOR_CHECK_ARG(args.rating_min < args.rating_max, "--rating-min must be below --rating-max");
  policy.rating_min = args.rating_min;
  policy.rating_max = args.rating_max;
  TAILOR_CHECK_ARG(args.max_future_seconds >= 0, "--max-future-seconds must be >= 0");
  policy.max_future_seconds = args.max_future_seconds;
  if (!args.event_types.empty()) policy.event_types.apply_spec(args.event_types);
  policy.event_types.allow_unknown = args.allow_unknown_types;
  apply_missing(args.missing, policy);

  for (const auto& p : args.paths)
    if (!fs::exists(p)) throw_error(ErrorCode::kNotFound, p + ": no such file or folder");

  auto store = store::open_store(args.db);
  auto writer = store->begin_write();
  data::ImportReport total;
  double start = monotonic_seconds();
  const bool quiet = global.quiet || global.json;
  for (const auto& path : args.paths) {
    if (args.format == "movielens-100k") {
      accumulate(total, data::import_movielens_100k(path, policy, *writer, quiet));
    } else if (args.format == "movielens-latest") {
      accumulate(total, data::import_movielens_latest(path, policy, *writer, quiet));
    } else if (args.format == "amazon") {
      accumulate(total, data::import_amazon(path, policy, *writer, quiet));
    } else if (args.format == "tailor") {
      TAILOR_CHECK_ARG(fs::is_directory(path), "--format tailor expects a folder, got " + path);
      for (const auto& [file, entity] : native_folder_files(path)) {
        data::ColumnMapping mapping;
        mapping.entity = entity;
        accumulate(total, data::import_file(file, format_from("tailor", file), mapping, policy, *writer, quiet));
      }
    } else {
      data::ColumnMapping mapping;
      mapping.entity = args.entity;
      mapping.default_type = args.type;
      mapping.list_separator = args.list_separator;
      if (!args.map.empty()) data::parse_mapping_spec(args.map, mapping);
      accumulate(total, data::import_file(path, format_from(args.format, path), mapping, policy, *writer, quiet));
    }
  }
  writer->commit();
  total.seconds = monotonic_seconds() - start;

  if (global.json) {
    print_json(total.to_json());
    return;
  }
  std::printf("imported %llu users, %llu items, %llu events in %.2fs (%.0f events/s)\n",
              static_cast<unsigned long long>(total.users), static_cast<unsigned long long>(total.items),
              static_cast<unsigned long long>(total.events), total.seconds,
              total.seconds > 0 ? static_cast<double>(total.events) / total.seconds : 0.0);
  std::printf("rows read %llu, duplicates removed %llu, clipped %llu, defaulted %llu, rejected %llu\n",
              static_cast<unsigned long long>(total.rows_read), static_cast<unsigned long long>(total.duplicates),
              static_cast<unsigned long long>(total.clipped), static_cast<unsigned long long>(total.defaulted),
              static_cast<unsigned long long>(total.rejected()));
  for (const auto& [reason, n] : total.rejected_by_reason)
    std::printf("  rejected %-28s %llu\n", reason.c_str(), static_cast<unsigned long long>(n));
  for (const auto& ex : total.examples)
    std::printf("  %s:%llu: field '%s': %s\n", ex.file.c_str(), static_cast<unsigned long long>(ex.line),
                ex.field.c_str(), ex.reason.c_str());
}

}  // namespace

void register_import(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand("import", "Import users, items and events from files (all or nothing)");
  cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_option("--format", args->format,
                  "tailor (native folder: users.jsonl, items.jsonl, events.csv[.gz]), csv, tsv, jsonl, "
                  "movielens-100k, movielens-latest, amazon")
      ->required()
      ->check(CLI::IsMember({"tailor", "csv", "tsv", "jsonl", "movielens-100k", "movielens-latest", "amazon"}));
  cmd->add_option("paths", args->paths, "Files or folders to import")->required();
  cmd->add_option("--entity", args->entity, "What the rows of a csv/tsv/jsonl file are")
      ->check(CLI::IsMember({"events", "items", "users"}));
  cmd->add_option("--map", args->map,
                  "Column mapping target=source,... e.g. user=userId,item=movieId,value=rating,timestamp=timestamp "
                  "(source #N = N-th column of a headerless file)");
  cmd->add_option("--type", args->type, "Event type when no type column is mapped");
  cmd->add_option("--list-separator", args->list_separator, "Separator inside categories/tags columns");
  cmd->add_option("--event-types", args->event_types, "Event type weights name=weight,... (negative = negative feedback)");
  cmd->add_option("--missing", args->missing, "Missing-value policy per column: column=reject|now|default:VALUE");
  cmd->add_flag("--strict", args->strict, "Any bad row fails the whole import and nothing is written (exit 3)");
  cmd->add_flag("--clip", args->clip, "Clip out-of-range values (ratings, future timestamps, negative prices) instead of rejecting the row");
  cmd->add_option("--rating-min", args->rating_min, "Lowest valid rating");
  cmd->add_option("--rating-max", args->rating_max, "Highest valid rating");
  cmd->add_option("--max-future-seconds", args->max_future_seconds, "How far in the future a timestamp may be");
  cmd->add_flag("--allow-unknown-types", args->allow_unknown_types, "Accept event types not in the registry (weight 1)");
  cmd->add_flag("--json", global.json, "Print the import report as JSON");
  cmd->callback([args, &global] { run_import(*args, global); });
}

}  // namespace tailor::cli
