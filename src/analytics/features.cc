// CSV reading and feature encoding for the propensity models: a header line,
// then one record per line; numeric columns pass through as floats and
// categorical columns become one-hot columns "<column>=<value>".
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tailor/analytics/analytics.h"
#include "tailor/core/core.h"

namespace tailor::analytics {
namespace {

// Splits one CSV record. Quoted fields may hold the delimiter and "" for a quote.
std::vector<std::string> split_record(std::string_view line, char delimiter, std::size_t line_number) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  bool was_quoted = false;
  for (std::size_t pos = 0; pos < line.size(); ++pos) {
    const char c = line[pos];
    if (quoted) {
      if (c == '"') {
        if (pos + 1 < line.size() && line[pos + 1] == '"') {
          field.push_back('"');
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = true;
      was_quoted = true;
    } else if (c == delimiter) {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else {
      field.push_back(c);
    }
  }
  TAILOR_CHECK_ARG(!quoted, "line " + std::to_string(line_number) + ": unterminated quoted field");
  fields.push_back(std::move(field));
  return fields;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::size_t column_index(const Table& table, const std::string& name, const std::string& what) {
  auto it = std::find(table.columns.begin(), table.columns.end(), name);
  if (it == table.columns.end()) {
    std::string known;
    for (const std::string& column : table.columns) known += (known.empty() ? "" : ", ") + column;
    throw_error(ErrorCode::kInvalidArgument, what + " column '" + name + "' is not in the header (columns: " + known + ")");
  }
  return static_cast<std::size_t>(it - table.columns.begin());
}

std::string at_line(const Table& table, std::size_t row, const std::string& column) {
  return "line " + std::to_string(table.lines[row]) + ", column '" + column + "'";
}

}  // namespace

Table parse_csv(const std::string& text, char delimiter) {
  Table table;
  std::size_t line_number = 0;
  std::size_t start = 0;
  bool header = true;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    if (header) {
      if (delimiter == 0) {
        delimiter = std::count(line.begin(), line.end(), ';') > std::count(line.begin(), line.end(), ',') ? ';' : ',';
      }
      table.columns = split_record(line, delimiter, line_number);
      std::set<std::string> seen;
      for (const std::string& column : table.columns) {
        TAILOR_CHECK_ARG(!column.empty(), "line " + std::to_string(line_number) + ": empty column name in header");
        TAILOR_CHECK_ARG(seen.insert(column).second,
                         "line " + std::to_string(line_number) + ": duplicate column '" + column + "'");
      }
      header = false;
      continue;
    }
    std::vector<std::string> fields = split_record(line, delimiter, line_number);
    TAILOR_CHECK_ARG(fields.size() == table.columns.size(),
                     "line " + std::to_string(line_number) + ": " + std::to_string(fields.size()) +
                         " fields, the header has " + std::to_string(table.columns.size()));
    table.rows.push_back(std::move(fields));
    table.lines.push_back(line_number);
  }
  TAILOR_CHECK_ARG(!header, "the CSV has no header line");
  return table;
}

Table read_csv(const std::string& path, char delimiter) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(ErrorCode::kIO, "cannot open " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  try {
    return parse_csv(buffer.str(), delimiter);
  } catch (const Error& e) {
    throw Error(e.code(), path + ": " + e.what());
  }
}

FeatureMatrix encode_features(const Table& table, const FeatureOptions& options) {
  TAILOR_CHECK_ARG(!options.label.empty(), "a label column is required");
  TAILOR_CHECK_ARG(options.max_categories >= 2 && options.max_categories <= 10000, "max_categories must be in [2, 10000]");
  TAILOR_CHECK_ARG(!table.rows.empty(), "the table has no data rows");
  const std::size_t label_col = column_index(table, options.label, "label");
  std::vector<bool> dropped(table.columns.size(), false);
  std::vector<bool> forced(table.columns.size(), false);
  for (const std::string& name : options.drop) dropped[column_index(table, name, "drop")] = true;
  for (const std::string& name : options.categorical) forced[column_index(table, name, "categorical")] = true;
  TAILOR_CHECK_ARG(!dropped[label_col], "the label column '" + options.label + "' cannot be dropped");

  FeatureMatrix out;
  out.rows = table.rows.size();
  out.labels.resize(out.rows);
  for (std::size_t row = 0; row < out.rows; ++row) {
    const std::string& value = table.rows[row][label_col];
    if (!options.positive.empty()) {
      out.labels[row] = std::string(trim(value)) == options.positive ? 1.0F : 0.0F;
    } else {
      auto number = parse_number(value);
      TAILOR_CHECK_ARG(number && (*number == 0 || *number == 1),
                       at_line(table, row, options.label) + ": label '" + value +
                           "' is not 0 or 1 (pass the positive value, e.g. --positive yes)");
      out.labels[row] = static_cast<float>(*number);
    }
  }

  // Plan the output columns: (source column, category or empty for numeric).
  struct Output {
    std::size_t column;
    bool numeric;
    std::map<std::string, std::size_t> categories;  // value -> offset from first
    std::size_t first = 0;
    std::size_t width = 1;
    std::size_t other = SIZE_MAX;  // offset of the lumped "other" column
  };
  std::vector<Output> plan;
  for (std::size_t col = 0; col < table.columns.size(); ++col) {
    if (col == label_col || dropped[col]) continue;
    Output output{col, !forced[col] && parse_number(table.rows[0][col]).has_value(), {}, out.names.size(), 1, SIZE_MAX};
    const std::string& name = table.columns[col];
    if (output.numeric) {
      out.names.push_back(name);
    } else {
      std::map<std::string, std::size_t> freq;
      for (const auto& fields : table.rows) ++freq[std::string(trim(fields[col]))];
      std::vector<std::pair<std::string, std::size_t>> by_count(freq.begin(), freq.end());
      std::stable_sort(by_count.begin(), by_count.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      const bool lump = by_count.size() > options.max_categories;
      const std::size_t kept = lump ? options.max_categories - 1 : by_count.size();
      std::sort(by_count.begin(), by_count.begin() + static_cast<std::ptrdiff_t>(kept));  // by value, stable names
      for (std::size_t pos = 0; pos < kept; ++pos) {
        output.categories.emplace(by_count[pos].first, pos);
        out.names.push_back(name + "=" + by_count[pos].first);
      }
      if (lump) {
        output.other = kept;
        out.names.push_back(name + "=<other>");
      }
      output.width = out.names.size() - output.first;
    }
    plan.push_back(std::move(output));
  }
  TAILOR_CHECK_ARG(!plan.empty(), "no feature columns left after the label and dropped columns");
  out.cols = out.names.size();
  out.values.assign(out.rows * out.cols, 0.0F);
  for (std::size_t row = 0; row < out.rows; ++row) {
    float* dest = out.values.data() + row * out.cols;
    for (const Output& output : plan) {
      const std::string& value = table.rows[row][output.column];
      if (output.numeric) {
        auto number = parse_number(value);
        TAILOR_CHECK_ARG(number.has_value(), at_line(table, row, table.columns[output.column]) + ": '" + value +
                                                 "' is not a number (the column is numeric; pass it as categorical "
                                                 "or drop it)");
        dest[output.first] = static_cast<float>(*number);
      } else {
        auto it = output.categories.find(std::string(trim(value)));
        const std::size_t offset = it != output.categories.end() ? it->second : output.other;
        TAILOR_ASSERT(offset != SIZE_MAX);
        dest[output.first + offset] = 1.0F;
      }
    }
  }
  return out;
}

}  // namespace tailor::analytics
