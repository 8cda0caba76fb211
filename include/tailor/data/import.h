// Importers: CSV/TSV/JSONL with a column mapping, and built-in adapters for
// MovieLens 100K, MovieLens latest-small and Amazon 2018 review JSONL.
//
// An import reads rows, validates and cleans each one according to an
// ImportPolicy, and hands the good rows to an ImportSink (the Store's writer in
// production, a vector in tests). Nothing is written until every file has been
// read: the caller commits the sink only when import_* returns normally, so a
// failed import leaves the store unchanged.
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
  // Column name -> policy for missing values. Columns not listed: value and
  // channel default ("1" / ""), timestamp rejects, ids reject.
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
  // Columns not mapped go into attributes (items/users) or context (events).
  bool keep_unmapped_as_attributes = true;
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
  std::uint64_t clipped = 0;          // values clipped under OutOfRange::kClip
  std::uint64_t defaulted = 0;        // missing values filled by policy
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

// Generic import of one file (plain or .gz) with a mapping.
// Throws tailor::Error(InvalidArgument) with file, line and field for a
// malformed file, or for any bad row under OnError::kStrict.
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

// Parses a --map spec "user=userId,item=movieId,value=rating" into mapping.fields.
void parse_mapping_spec(std::string_view spec, ColumnMapping& mapping);

}  // namespace tailor::data
