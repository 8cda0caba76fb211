// Importers: CSV/TSV/JSONL with a column mapping, and built-in adapters for
// MovieLens 100K, MovieLens latest-small and Amazon 2018 review JSONL.
//
// An import reads rows, validates and cleans each one according to an
// ImportPolicy, and hands the good rows to an ImportSink (the Store's writer in
// production, a vector in tests). Nothing is written until every file has been
// read: the caller commits the sink only when import_* returns normally, so a
// failed import leaves the store unchanged.
//
// Threads: each import_* call reads and cleans on the calling thread and calls
// the sink from that thread only; calls with different sinks may run
// concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tailor/data/data.h"

namespace tailor::data {

// What to do with a row that fails a check.
enum class OnError {
  kSkip,    // count it in the report by reason, keep going (default)
  kStrict,  // the first bad row fails the whole import (InvalidArgument naming file, line, field)
};

// What to do with a value outside its allowed range (rating outside the scale,
// timestamp in the future, negative price).
enum class OutOfRange { kReject, kClip };

// Per-column handling of a missing (absent or empty) value.
struct MissingPolicy {
  enum class Kind { kReject, kDefault, kNow /* timestamps only */ } kind = Kind::kReject;
  std::string default_value;
};

struct ImportPolicy {
  OnError on_error = OnError::kSkip;
  OutOfRange out_of_range = OutOfRange::kReject;
  double rating_min = 0.5;
  double rating_max = 5.0;
  // Events later than now + max_future_seconds are out of range.
  std::int64_t max_future_seconds = 86400;
  // Target field name ("user", "value", "timestamp", "price", ...; the source
  // column name is also accepted) -> policy for missing values. Fields not
  // listed: value and channel default ("1" / ""), type defaults to
  // ColumnMapping::default_type, event timestamps and ids reject, every other
  // field stays empty. Item and user timestamps are optional: only a kDefault or
  // kNow entry applies to them. kNow is only valid for "timestamp".
  std::map<std::string, MissingPolicy> missing;
  EventTypes event_types = EventTypes::defaults();
  // Keep at most this many rejected-row examples in the report.
  std::size_t max_examples = 20;
};

// Where the target field of a mapping comes from.
struct ColumnMapping {
  // Which entity each row of the file describes: "events", "items" or "users".
  std::string entity = "events";
  // target field -> source column name (CSV header or JSON key, dotted for nesting)
  // or "#N" for the N-th column (0-based) of a headerless file.
  // Event fields: user, item, type, value, timestamp, channel, context.
  // Item fields: item, title, description, categories, tags, price, hidden, available, timestamp.
  // User fields: user, attributes.*, labels.
  std::map<std::string, std::string> fields;
  // Event type to use when no "type" column is mapped.
  std::string default_type = "rating";
  // Separator inside list columns (categories, tags).
  std::string list_separator = "|";
  // Columns not mapped go into attributes (items/users) or context (events);
  // text that parses as a number stays a number.
  bool keep_unmapped_as_attributes = true;
  // Field separator of CSV/TSV files; '\0' = by format (',' for kCsv, '\t' for kTsv).
  char delimiter = '\0';
};

struct RejectedRow {
  std::string file;
  std::uint64_t line = 0;
  std::string field;
  std::string reason;
};

struct ImportReport {
  std::uint64_t rows_read = 0;
  std::uint64_t users = 0;
  std::uint64_t items = 0;
  std::uint64_t events = 0;
  std::uint64_t duplicates = 0;       // exact duplicate rows removed
  std::uint64_t merged = 0;           // repeated user/item ids: the last row won
  std::uint64_t clipped = 0;          // values clipped under OutOfRange::kClip
  std::uint64_t defaulted = 0;        // missing values filled by an ImportPolicy::missing entry
  std::map<std::string, std::uint64_t> rejected_by_reason;
  std::vector<RejectedRow> examples;  // first max_examples rejected rows
  double seconds = 0;

  std::uint64_t rejected() const;
  Json to_json() const;
};

// Receives cleaned records. Implementations must not commit anything until the
// importer returns; see the header comment.
class ImportSink {
 public:
  virtual ~ImportSink() = default;
  virtual void put_user(const User& user) = 0;
  virtual void put_item(const Item& item) = 0;
  // Returns false when the event was a duplicate of one already stored (same
  // user, item, type and timestamp); it is then counted, not written twice.
  virtual bool put_event(const Event& event) = 0;
};

enum class FileFormat { kCsv, kTsv, kJsonl };

// The format a file name suggests (.csv, .tsv/.tab, .jsonl/.ndjson/.json, each
// optionally .gz); nullopt when the name says nothing.
std::optional<FileFormat> guess_file_format(std::string_view path);

// Generic import of one file (plain or .gz) with a mapping.
// An empty mapping.fields means the native column names (user_id, item_id,
// type, value, timestamp, channel, context for events; item_id, title,
// description, categories, tags, price, hidden, available, created_at,
// attributes for items; user_id, attributes, labels, comment, created_at for
// users). Targets a mapping does not name fall back to their native column when
// the file has it. Extra targets "context.KEY" (events) and "attributes.KEY"
// (items, users) copy one column into that key.
// Throws tailor::Error(InvalidArgument) with file, line and field for a
// malformed file, or for any bad row under OnError::kStrict; NotFound / IO when
// the file is missing or unreadable, Corruption for a damaged gzip stream.
ImportReport import_file(const std::string& path, FileFormat format, const ColumnMapping& mapping,
                         const ImportPolicy& policy, ImportSink& sink, bool quiet = true);

// MovieLens 100K folder: u.item (items, genres as categories), u.user
// (age, gender, occupation, zip as attributes), u.data (rating events).
ImportReport import_movielens_100k(const std::string& dir, const ImportPolicy& policy, ImportSink& sink,
                                   bool quiet = true);

// MovieLens latest-small folder: movies.csv, ratings.csv, tags.csv (tag events,
// the tag text in context.tag, weight of type "tag").
ImportReport import_movielens_latest(const std::string& dir, const ImportPolicy& policy, ImportSink& sink,
                                     bool quiet = true);

// Amazon 2018: a reviews file *_5.json.gz (rating events with the review text in
// context.review / context.summary) and optionally a meta_*.json.gz next to it.
// `path` is the folder or the reviews file.
ImportReport import_amazon(const std::string& path, const ImportPolicy& policy, ImportSink& sink,
                           bool quiet = true);

// Parses a --map spec "user=userId,item=movieId,value=rating" into mapping.fields
// (entries replace existing ones). Sources may be "#N"; targets may be
// "context.KEY" / "attributes.KEY". Throws InvalidArgument naming a malformed entry.
void parse_mapping_spec(std::string_view spec, ColumnMapping& mapping);

}  // namespace tailor::data
