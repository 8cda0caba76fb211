// open_store: picks the backend from a store URL. Today only SQLite exists:
//   sqlite:///abs/path.db   absolute path (three slashes)
//   sqlite://rel/path.db    path relative to the working directory
//   path/x.db, /abs/x.db    a plain path (anything without "scheme://")
#include <string>
#include <string_view>

#include "sqlite_store.h"
#include "tailor/store/store.h"

namespace tailor::store {
namespace {

constexpr std::string_view kBackends =
    "available store backends: sqlite (sqlite:///absolute/path.db, sqlite://relative/path.db or a plain path)";

}  // namespace

std::unique_ptr<Store> open_store(const std::string& url, const StoreOptions& options) {
  TAILOR_CHECK_ARG(!url.empty(), "store URL must not be empty; " + std::string(kBackends));
  const std::size_t separator = url.find("://");
  if (separator == std::string::npos) return SqliteStore::open(url, options);

  const std::string scheme = url.substr(0, separator);
  const std::string rest = url.substr(separator + 3);
  if (scheme == "sqlite" || scheme == "sqlite3") {
    TAILOR_CHECK_ARG(!rest.empty(), "store URL '" + url + "' names no database file");
    return SqliteStore::open(rest, options);
  }
  // The rest of a non-SQLite URL may hold a password: only the scheme is echoed.
  if (scheme == "postgres" || scheme == "postgresql")
    throw_error(ErrorCode::kUnavailable,
                "store URL scheme '" + scheme + "': the PostgreSQL backend is not built into this Tailor; " +
                    std::string(kBackends));
  throw_error(ErrorCode::kInvalidArgument, "store URL scheme '" + scheme + "' is unknown; " + std::string(kBackends));
}

}  // namespace tailor::store
