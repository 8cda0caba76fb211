// import_file and its machinery: a ColumnMapping becomes a Plan (one source
// per target field, plus free columns), the Plan is bound to a CSV header or
// used on JSON objects, and each row goes through the RowCleaner into the
// ImportSession. Also parse_mapping_spec and guess_file_format.
#include <algorithm>
#include <cctype>
#include <unordered_map>
#include <unordered_set>

#include "csv_reader.h"
#include "import_driver.h"
#include "jsonl_reader.h"
#include "text_util.h"

namespace tailor::data {

namespace {

// Where one value comes from: a column name (CSV header / JSON key, dotted for
// nesting in JSON) or "#N", the N-th column of a headerless file.
struct Source {
  std::string name;
  int column = -1;                // CSV column, once bound
  std::vector<std::string> path;  // JSON: name split on '.'
};

// A value copied as is into context (events) or attributes (items, users).
struct FreeColumn {
  std::string key;
  Source source;
};

struct Plan {
  Entity entity = Entity::kEvents;
  std::vector<Source> fields;    // per target field; empty name = not mapped
  std::vector<bool> required;    // the header must have the column
  std::vector<FreeColumn> extras;  // context.KEY / attributes.KEY, from the mapping
  bool headerless = false;
};

bool is_column_number(std::string_view name) {
  return name.size() > 1 && name[0] == '#' &&
         std::all_of(name.begin() + 1, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> split_path(const std::string& name) {
  std::vector<std::string> path;
  std::size_t pos = 0;
  for (;;) {
    std::size_t dot = name.find('.', pos);
    path.push_back(name.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return path;
}

Source make_source(std::string name) {
  Source source;
  source.path = split_path(name);
  source.name = std::move(name);
  return source;
}

std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (auto name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

Plan make_plan(const ColumnMapping& mapping) {
  Plan plan;
  plan.entity = parse_entity(mapping.entity);
  const std::vector<std::string_view> targets = entity_field_names(plan.entity);
  const std::vector<std::string_view> natives = entity_native_columns(plan.entity);
  const std::string_view free_prefix = plan.entity == Entity::kEvents ? "context." : "attributes.";
  plan.fields.resize(targets.size());
  plan.required.assign(targets.size(), false);

  std::size_t numbered = 0;
  for (const auto& [target, source] : mapping.fields) {
    TAILOR_CHECK_ARG(!source.empty(), "mapping: field '" + target + "' has an empty source column");
    numbered += is_column_number(source) ? 1 : 0;
    if (target.size() > free_prefix.size() && target.compare(0, free_prefix.size(), free_prefix) == 0) {
      plan.extras.push_back({target.substr(free_prefix.size()), make_source(source)});
      continue;
    }
    auto it = std::find(targets.begin(), targets.end(), target);
    TAILOR_CHECK_ARG(it != targets.end(), "mapping: unknown field '" + target + "' for " + mapping.entity +
                                              " (known: " + join(targets) + ", " + std::string(free_prefix) +
                                              "KEY)");
    auto index = static_cast<std::size_t>(it - targets.begin());
    plan.fields[index] = make_source(source);
    plan.required[index] = true;
  }
  TAILOR_CHECK_ARG(numbered == 0 || numbered == mapping.fields.size(),
                   "mapping: mixes '#N' column numbers with column names; use one or the other");
  plan.headerless = numbered > 0;

  // Targets the mapping leaves out read their native column when the file has
  // one; ids must be found one way or the other.
  const std::size_t id_fields = plan.entity == Entity::kEvents ? 2 : 1;
  for (std::size_t index = 0; index < targets.size(); ++index) {
    if (!plan.fields[index].name.empty()) continue;
    if (index < id_fields) {
      TAILOR_CHECK_ARG(!plan.headerless, "mapping: field '" + std::string(targets[index]) +
                                             "' must be mapped to a '#N' column in a headerless file");
      plan.required[index] = true;
    }
    if (!plan.headerless) plan.fields[index] = make_source(std::string(natives[index]));
  }
  return plan;
}

// Finds a dotted source in a JSON object: the literal key first, then the path.
const Json* lookup(const Json& object, const Source& source) {
  auto it = object.find(source.name);
  if (it != object.end()) return &*it;
  if (source.path.size() < 2) return nullptr;
  const Json* node = &object;
  for (const std::string& key : source.path) {
    if (!node->is_object()) return nullptr;
    auto child = node->find(key);
    if (child == node->end()) return nullptr;
    node = &*child;
  }
  return node;
}

// One file's import: binds the plan to the file, then per row fills values_
// (one FieldValue per target field) and hands it to the cleaner and session.
// The CSV and JSONL loops differ only in how they fill values_ and copy free
// columns; accept_row takes the latter as a lambda so the hot CSV path has no
// indirect calls.
class Importer {
 public:
  Importer(ImportSession& session, const std::string& path, const ColumnMapping& mapping, const DriverOptions& options)
      : session_(session), path_(path), mapping_(mapping), options_(options), plan_(make_plan(mapping)),
        cleaner_(session, mapping, plan_.entity, source_names(plan_), options.cleaner) {
    session_.set_file(path_);
  }

  void read_csv(char delimiter);
  void read_jsonl();

 private:
  static std::vector<std::string> source_names(const Plan& plan) {
    std::vector<std::string> names;
    for (const Source& source : plan.fields) names.push_back(source.name);
    return names;
  }
  void bind_header(const std::vector<std::string_view>& header);
  void bind_numbered(std::size_t width, std::uint64_t line);
  // Cleans the row in values_ and hands it on; add_free fills context/attributes.
  template <typename AddFree>
  void accept_row(AddFree&& add_free);

  ImportSession& session_;
  const std::string& path_;
  const ColumnMapping& mapping_;
  const DriverOptions& options_;
  Plan plan_;
  RowCleaner cleaner_;
  static constexpr std::size_t kMaxFields =
      std::max({kEventFieldNames.size(), kItemFieldNames.size(), kUserFieldNames.size()});
  FieldValue values_[kMaxFields];
  Event event_;
  std::vector<FreeColumn> unmapped_;  // CSV columns the mapping does not name
};

template <typename AddFree>
void Importer::accept_row(AddFree&& add_free) {
  switch (plan_.entity) {
    case Entity::kEvents:
      if (!cleaner_.clean_event(values_, event_)) return;
      add_free(event_.context);
      session_.accept_event(event_);
      return;
    case Entity::kItems: {
      Item item;
      if (!cleaner_.clean_item(values_, item)) return;
      add_free(item.attributes);
      if (options_.fix_item) options_.fix_item(item);
      session_.accept_item(std::move(item));
      return;
    }
    case Entity::kUsers: {
      User user;
      if (!cleaner_.clean_user(values_, user)) return;
      add_free(user.attributes);
      session_.accept_user(std::move(user));
      return;
    }
  }
}

void Importer::bind_header(const std::vector<std::string_view>& header) {
  std::unordered_map<std::string, int> by_name, by_lower;
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  std::vector<std::string_view> names;
  for (std::size_t column = 0; column < header.size(); ++column) {
    std::string_view name = trim_ascii(header[column]);
    names.push_back(name);
    by_name.try_emplace(std::string(name), static_cast<int>(column));
    by_lower.try_emplace(lower(name), static_cast<int>(column));
  }
  auto find = [&](const std::string& name) {
    if (auto it = by_name.find(name); it != by_name.end()) return it->second;
    if (auto it = by_lower.find(lower(name)); it != by_lower.end()) return it->second;
    return -1;
  };
  const std::vector<std::string_view> targets = entity_field_names(plan_.entity);
  std::vector<bool> used(header.size(), false);
  auto bind = [&](Source& source, std::string_view target, bool required) {
    source.column = find(source.name);
    if (source.column < 0 && required)
      throw_error(ErrorCode::kInvalidArgument, path_ + ":1: field '" + std::string(target) + "': column '" +
                                                   source.name + "' is not in the header (columns: " +
                                                   join(names) + ")");
    if (source.column >= 0) used[static_cast<std::size_t>(source.column)] = true;
  };
  for (std::size_t index = 0; index < plan_.fields.size(); ++index)
    if (!plan_.fields[index].name.empty()) bind(plan_.fields[index], targets[index], plan_.required[index]);
  for (FreeColumn& extra : plan_.extras) bind(extra.source, extra.key, true);
  if (mapping_.keep_unmapped_as_attributes) {
    for (std::size_t column = 0; column < header.size(); ++column) {
      if (used[column]) continue;
      std::string key = names[column].empty() ? "#" + std::to_string(column) : std::string(names[column]);
      Source source;
      source.name = key;
      source.column = static_cast<int>(column);
      unmapped_.push_back({key, source});
    }
  }
}

void Importer::bind_numbered(std::size_t width, std::uint64_t line) {
  std::vector<bool> used(width, false);
  auto bind = [&](Source& source) {
    std::optional<std::int64_t> number = parse_int(std::string_view(source.name).substr(1));
    TAILOR_CHECK_ARG(number && *number < static_cast<std::int64_t>(width),
                     path_ + ":" + std::to_string(line) + ": mapping names column " + source.name +
                         " but the file has " + std::to_string(width) + " columns");
    source.column = static_cast<int>(*number);
    used[static_cast<std::size_t>(source.column)] = true;
  };
  for (Source& source : plan_.fields)
    if (!source.name.empty()) bind(source);
  for (FreeColumn& extra : plan_.extras) bind(extra.source);
  if (!mapping_.keep_unmapped_as_attributes) return;
  for (std::size_t column = 0; column < width; ++column) {
    if (used[column]) continue;
    Source source;
    source.name = "#" + std::to_string(column);
    source.column = static_cast<int>(column);
    unmapped_.push_back({source.name, source});
  }
}

void Importer::read_csv(char delimiter) {
  CsvReader reader(path_, delimiter, session_.progress());
  std::vector<std::string_view> cells;
  std::size_t width = 0;
  if (!plan_.headerless) {
    if (!reader.next(cells)) return;  // an empty file imports nothing
    bind_header(cells);
    width = cells.size();
    std::vector<std::string> names(cells.begin(), cells.end());
    reader.set_column_names(std::move(names));
  }
  const bool auto_type = options_.auto_type_free_columns;
  auto add_free = [&](Json& target) {
    auto add = [&](const FreeColumn& free) {
      std::string_view text = cells[static_cast<std::size_t>(free.source.column)];
      if (trim_ascii(text).empty()) return;
      target[free.key] = auto_type ? auto_typed(text) : Json(normalize_text(text));
    };
    for (const FreeColumn& free : unmapped_) add(free);
    for (const FreeColumn& free : plan_.extras) add(free);  // named in the mapping: wins a clash
  };

  while (reader.next(cells)) {
    ++session_.report().rows_read;
    session_.set_line(reader.line());
    if (plan_.headerless && width == 0) {
      width = cells.size();  // the first record sets the width of a headerless file
      bind_numbered(width, reader.line());
    }
    if (cells.size() != width) {
      session_.reject("", "wrong_field_count",
                      "expected " + std::to_string(width) + " fields, got " + std::to_string(cells.size()));
      continue;
    }
    for (std::size_t index = 0; index < plan_.fields.size(); ++index) {
      int column = plan_.fields[index].column;
      values_[index] = column >= 0 ? FieldValue::of_text(cells[static_cast<std::size_t>(column)]) : FieldValue{};
    }
    accept_row(add_free);
  }
}

void Importer::read_jsonl() {
  TAILOR_CHECK_ARG(!plan_.headerless, "mapping: '#N' columns need a CSV/TSV file, not JSONL");
  std::unordered_set<std::string> used;
  for (const Source& source : plan_.fields)
    if (!source.name.empty()) used.insert(source.path.front()), used.insert(source.name);
  for (const FreeColumn& extra : plan_.extras) used.insert(extra.source.path.front()), used.insert(extra.source.name);

  JsonlReader reader(path_, session_.progress());
  Json row;
  std::string error;
  auto copy_value = [](const Json& value) {
    return value.is_string() ? Json(normalize_text(value.get_ref<const std::string&>())) : value;
  };
  auto add_free = [&](Json& target) {
    if (mapping_.keep_unmapped_as_attributes)
      for (const auto& [key, value] : row.items())
        if (!value.is_null() && used.count(key) == 0) target[key] = copy_value(value);
    for (const FreeColumn& extra : plan_.extras) {
      const Json* value = lookup(row, extra.source);
      if (value == nullptr || value->is_null() || (value->is_string() && value->get_ref<const std::string&>().empty()))
        continue;
      target[extra.key] = copy_value(*value);
    }
  };
  for (;;) {
    JsonlReader::Status status = reader.next(row, error);
    if (status == JsonlReader::Status::kEnd) break;
    ++session_.report().rows_read;
    session_.set_line(reader.line());
    if (status == JsonlReader::Status::kBad) {
      session_.reject("", "invalid_json", error);
      continue;
    }
    for (std::size_t index = 0; index < plan_.fields.size(); ++index) {
      const Source& source = plan_.fields[index];
      values_[index] = source.name.empty() ? FieldValue{} : FieldValue::of_json(lookup(row, source));
    }
    accept_row(add_free);
  }
}

}  // namespace

void import_into(ImportSession& session, const std::string& path, FileFormat format, const ColumnMapping& mapping,
                 const DriverOptions& options) {
  Importer importer(session, path, mapping, options);
  switch (format) {
    case FileFormat::kCsv:
      importer.read_csv(mapping.delimiter != '\0' ? mapping.delimiter : ',');
      break;
    case FileFormat::kTsv:
      importer.read_csv(mapping.delimiter != '\0' ? mapping.delimiter : '\t');
      break;
    case FileFormat::kJsonl:
      importer.read_jsonl();
      break;
  }
}

ImportReport import_file(const std::string& path, FileFormat format, const ColumnMapping& mapping,
                         const ImportPolicy& policy, ImportSink& sink, bool quiet) {
  ImportSession session(policy, sink, quiet);
  session.add_file(path);
  import_into(session, path, format, mapping);
  return session.finish();
}

void parse_mapping_spec(std::string_view spec, ColumnMapping& mapping) {
  std::size_t pos = 0;
  while (pos < spec.size()) {
    std::size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    std::string_view entry = trim_ascii(spec.substr(pos, comma - pos));
    pos = comma + 1;
    if (entry.empty()) continue;
    std::size_t eq = entry.find('=');
    TAILOR_CHECK_ARG(eq != std::string_view::npos,
                     "mapping: entry '" + std::string(entry) + "' must be target=column");
    std::string target(trim_ascii(entry.substr(0, eq)));
    std::string source(trim_ascii(entry.substr(eq + 1)));
    TAILOR_CHECK_ARG(!target.empty() && !source.empty(),
                     "mapping: entry '" + std::string(entry) + "' must be target=column");
    mapping.fields[target] = source;
  }
}

std::optional<FileFormat> guess_file_format(std::string_view path) {
  std::string name(path);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".gz")) name.resize(name.size() - 3);
  if (ends_with(".csv")) return FileFormat::kCsv;
  if (ends_with(".tsv") || ends_with(".tab")) return FileFormat::kTsv;
  if (ends_with(".jsonl") || ends_with(".ndjson") || ends_with(".json")) return FileFormat::kJsonl;
  return std::nullopt;
}

}  // namespace tailor::data
