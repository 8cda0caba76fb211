// `tailor split` writes a seeded split of the store's interactions to files,
// and read_split_dir() reads such files back, so that peer libraries in bench/
// train and test on exactly the split Tailor uses.
//
// Files (tab-separated, header line, UTF-8): train.tsv, valid.tsv, test.tsv with
//   user_id  item_id  weight  rating  timestamp
// `rating` is empty when the interaction has no explicit rating. Tabs are safe
// as a separator because ids never contain control characters (validate_id).
#include <charconv>
#include <filesystem>
#include <fstream>

#include "commands.h"
#include "tailor/dataset/dataset.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSplitFiles[] = {"train.tsv", "valid.tsv", "test.tsv"};

void write_part(const fs::path& path, const dataset::Dataset& data, const std::vector<dataset::Interaction>& part) {
  std::ofstream out(path);
  if (!out) throw_error(ErrorCode::kIO, path.string() + ": cannot write");
  out << "user_id\titem_id\tweight\trating\ttimestamp\n";
  for (const auto& x : part) {
    out << data.users.id(x.user) << '\t' << data.items.id(x.item) << '\t' << x.weight << '\t';
    if (x.rating) out << *x.rating;
    out << '\t' << x.timestamp << '\n';
  }
  out.flush();
  if (!out) throw_error(ErrorCode::kIO, path.string() + ": write failed");
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    std::size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return fields;
}

template <typename T>
T parse_number(std::string_view text, const std::string& where, const char* field) {
  T value{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  TAILOR_CHECK_ARG(ec == std::errc() && p == text.data() + text.size(),
                   where + ": field '" + field + "': not a number: '" + std::string(text) + "'");
  return value;
}

std::vector<dataset::Interaction> read_part(const fs::path& path, const dataset::Dataset& data) {
  std::vector<dataset::Interaction> part;
  if (!fs::exists(path)) return part;
  std::ifstream in(path);
  if (!in) throw_error(ErrorCode::kIO, path.string() + ": cannot read");
  std::string line;
  std::uint64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 || line.empty()) continue;
    const std::string where = path.string() + ":" + std::to_string(line_no);
    auto fields = split_tabs(line);
    TAILOR_CHECK_ARG(fields.size() == 5, where + ": expected 5 tab-separated fields");
    auto user = data.users.find(std::string(fields[0]));
    auto item = data.items.find(std::string(fields[1]));
    TAILOR_CHECK_ARG(user.has_value(), where + ": field 'user_id': '" + std::string(fields[0]) + "' is not in the store");
    TAILOR_CHECK_ARG(item.has_value(), where + ": field 'item_id': '" + std::string(fields[1]) + "' is not in the store");
    dataset::Interaction x;
    x.user = *user;
    x.item = *item;
    x.weight = parse_number<float>(fields[2], where, "weight");
    if (!fields[3].empty()) x.rating = parse_number<float>(fields[3], where, "rating");
    x.timestamp = parse_number<Timestamp>(fields[4], where, "timestamp");
    part.push_back(x);
  }
  return part;
}

struct SplitArgs {
  std::string db;
  std::string split = "random";
  double test_fraction = 0.2;
  std::size_t last_n = 0;
  std::uint64_t seed = 42;
  std::string out;
};

}  // namespace

dataset::Split read_split_dir(const std::string& dir, const dataset::Dataset& data) {
  TAILOR_CHECK_ARG(fs::is_directory(dir), "--split-dir: '" + dir + "' is not a folder");
  dataset::Split split;
  split.train = read_part(fs::path(dir) / kSplitFiles[0], data);
  split.validation = read_part(fs::path(dir) / kSplitFiles[1], data);
  split.test = read_part(fs::path(dir) / kSplitFiles[2], data);
  TAILOR_CHECK_ARG(!split.train.empty() && !split.test.empty(),
                   "--split-dir: '" + dir + "' needs a non-empty train.tsv and test.tsv");
  return split;
}

eval::Rankings read_rankings(const std::string& path, const dataset::Dataset& data) {
  std::ifstream in(path);
  if (!in) throw_error(ErrorCode::kNotFound, path + ": cannot read");
  eval::Rankings rankings(data.user_count());
  std::string line;
  std::uint64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 || line.empty()) continue;  // header: user_id item_id (best first)
    auto fields = split_tabs(line);
    const std::string where = path + ":" + std::to_string(line_no);
    TAILOR_CHECK_ARG(fields.size() >= 2, where + ": expected user_id<TAB>item_id");
    auto user = data.users.find(std::string(fields[0]));
    auto item = data.items.find(std::string(fields[1]));
    TAILOR_CHECK_ARG(user && item, where + ": unknown user or item id");
    rankings[*user].push_back(*item);
  }
  return rankings;
}

void register_split(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<SplitArgs>();
  auto* cmd = app.add_subcommand("split", "Write a seeded train/validation/test split of the store to TSV files");
  cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_option("--split", args->split, "random, temporal, leave-one-out, global-temporal, recbole, cold-items")
      ->check(CLI::IsMember({"random", "temporal", "leave-one-out", "loo", "global-temporal", "recbole", "cold-items", "cold_items"}));
  cmd->add_option("--test-fraction", args->test_fraction, "Share of each user's interactions held out");
  cmd->add_option("--last-n", args->last_n, "Temporal split: hold out each user's last N interactions");
  cmd->add_option("--seed", args->seed, "Random seed");
  cmd->add_option("--out", args->out, "Folder to write train.tsv, valid.tsv, test.tsv into")->required();
  cmd->add_flag("--json", global.json, "Print the sizes as JSON");
  cmd->callback([args, &global] {
    TAILOR_CHECK_ARG(args->test_fraction > 0 && args->test_fraction < 1, "--test-fraction must be in (0, 1)");
    auto store = store::open_store(args->db, {.read_only = true});
    dataset::SnapshotOptions snapshot_options;
    snapshot_options.event_types.allow_unknown = true;
    dataset::Dataset data = dataset::snapshot(*store, snapshot_options, global.quiet || global.json);
    dataset::SplitOptions options;
    options.kind = dataset::parse_split_kind(args->split);
    options.test_fraction = args->test_fraction;
    options.last_n = args->last_n;
    options.seed = args->seed;
    dataset::Split split = dataset::split(data, options);
    fs::create_directories(args->out);
    write_part(fs::path(args->out) / kSplitFiles[0], data, split.train);
    write_part(fs::path(args->out) / kSplitFiles[1], data, split.validation);
    write_part(fs::path(args->out) / kSplitFiles[2], data, split.test);
    nlohmann::json doc = {{"train", split.train.size()},
                          {"validation", split.validation.size()},
                          {"test", split.test.size()},
                          {"users", data.user_count()},
                          {"items", data.item_count()},
                          {"out", args->out}};
    if (global.json)
      print_json(doc);
    else
      std::printf("wrote %zu train, %zu validation, %zu test interactions to %s\n", split.train.size(),
                  split.validation.size(), split.test.size(), args->out.c_str());
  });
}

}  // namespace tailor::cli
