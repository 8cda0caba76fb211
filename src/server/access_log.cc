#include "access_log.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "tailor/core/core.h"

namespace tailor::server {
namespace {

int close_file(std::FILE* file) { return file == stderr ? 0 : std::fclose(file); }

// RFC 3339 UTC with milliseconds: "2026-01-02T03:04:05.678Z".
std::string format_ts(double unix_seconds) {
  const double whole = std::floor(unix_seconds);
  const std::time_t secs = static_cast<std::time_t>(whole);
  int millis = static_cast<int>((unix_seconds - whole) * 1000.0);
  if (millis > 999) millis = 999;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buffer;
}

}  // namespace

std::string access_log_line(const AccessRecord& record, double unix_seconds) {
  nlohmann::ordered_json line;
  line["ts"] = format_ts(unix_seconds);
  line["method"] = record.method;
  line["path"] = record.path;
  line["route"] = record.route;
  line["status"] = record.status;
  // Microsecond resolution is plenty and keeps lines short.
  line["duration_ms"] = std::round(record.duration_s * 1e6) / 1e3;
  if (record.key_digest.size() >= 8) {
    line["key"] = record.key_digest.substr(0, 8);
  } else {
    line["key"] = nullptr;
  }
  line["bytes"] = record.bytes;
  // Paths are raw client bytes: replace invalid UTF-8 rather than fail.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

AccessLog::AccessLog(const std::string& destination) : file_(nullptr, close_file) {
  if (destination == "stderr" || destination == "-") {
    file_.reset(stderr);
    return;
  }
  std::FILE* file = std::fopen(destination.c_str(), "a");
  if (file == nullptr)
    throw_error(ErrorCode::kIO, "access_log: cannot open '" + destination + "': " + std::strerror(errno));
  file_.reset(file);
}

void AccessLog::write(const AccessRecord& record) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string line = access_log_line(record, now);
  line.push_back('\n');
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), file_.get());
  std::fflush(file_.get());  // a crash must not lose the lines of answered requests
}

}  // namespace tailor::server
