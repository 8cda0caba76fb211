// The write side of records on SQLite (sqlite_records.cc), called by the
// writer inside its transaction. Private to the store component.
#pragma once

#include <cstddef>
#include <string>

#include "sqlite_writer.h"
#include "tailor/store/store.h"

namespace tailor::store {

void sqlite_put_record(WriteConnection& connection, const Record& record);
bool sqlite_delete_record(WriteConnection& connection, const std::string& collection, const std::string& key);
std::size_t sqlite_delete_records(WriteConnection& connection, const RecordQuery& query);

}  // namespace tailor::store
