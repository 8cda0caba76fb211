// Backend-independent parts of records (store.h): the time-sortable key and
// the validation every backend runs before a record is written.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "tailor/store/store.h"

namespace tailor::store {

std::string record_time_key(Timestamp ts, std::string_view suffix) {
  // Flip the sign bit so that negative times sort before positive ones as
  // unsigned hex: key order = time order for every int64.
  const auto biased = static_cast<std::uint64_t>(ts) ^ (std::uint64_t{1} << 63);
  char digits[17];
  std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(biased));
  std::string key(digits, 16);
  key += '-';
  key += suffix;
  return key;
}

void validate_record(const Record& record) {
  TAILOR_CHECK_ARG(!record.collection.empty() && record.collection.size() <= 64,
                   "record.collection must be 1..64 bytes");
  for (char c : record.collection) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-';
    TAILOR_CHECK_ARG(ok, "record.collection '" + record.collection + "': only a-z, 0-9, '_', '.', ':' and '-'");
  }
  TAILOR_CHECK_ARG(!record.key.empty() && record.key.size() <= 512, "record.key must be 1..512 bytes");
  TAILOR_CHECK_ARG(record.key.find('\0') == std::string::npos, "record.key must not contain NUL");
  TAILOR_CHECK_ARG(record.user.size() <= 512, "record.user must be at most 512 bytes");
  TAILOR_CHECK_ARG(record.user.find('\0') == std::string::npos, "record.user must not contain NUL");
  TAILOR_CHECK_ARG(nlohmann::json::accept(record.body), "record.body of " + record.collection + "/" + record.key +
                                                            " is not a JSON document");
}

}  // namespace tailor::store
