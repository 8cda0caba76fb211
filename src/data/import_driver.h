// The generic import loop behind import_file, shared with the dataset
// adapters: resolves a ColumnMapping against a CSV header (or "#N" columns, or
// JSON keys), reads rows, cleans them with a RowCleaner and hands them to the
// ImportSession. Private to the data component.
#pragma once

#include <functional>
#include <string>

#include "import_session.h"
#include "row_cleaner.h"

namespace tailor::data {

struct DriverOptions {
  RowCleaner::Options cleaner;
  // Free columns (unmapped ones, context.KEY, attributes.KEY) from CSV: true =
  // text that is a number becomes a number; false = always text (tag texts).
  bool auto_type_free_columns = true;
  // Called on each clean item before it is staged, to fix dataset quirks.
  std::function<void(Item&)> fix_item;
};

// Reads one file into the session. The caller has called session.add_file(path).
// Throws InvalidArgument for a bad mapping, a header that lacks a mapped
// column, or a structurally broken file; rows are rejected through the session.
void import_into(ImportSession& session, const std::string& path, FileFormat format, const ColumnMapping& mapping,
                 const DriverOptions& options = {});

}  // namespace tailor::data
