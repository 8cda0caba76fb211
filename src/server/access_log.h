// Structured access log of the server: one JSON object per request, one line
// each, written to stderr or appended to a file:
//   {"ts":"2026-01-02T03:04:05.678Z","method":"GET","path":"/v1/users/u1/recommendations",
//    "route":"/v1/users/{id}/recommendations","status":200,"duration_ms":0.412,
//    "key":"3f9a1c2e","bytes":1234}
// path is the request path without the query string (query values can carry
// personal data); route is the matched pattern ("unmatched" otherwise); key is
// the first 8 hex digits of the SHA-256 of the API key that authenticated the
// request (null without one), never the key; bytes is the response body size.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace tailor::server {

struct AccessRecord {
  std::string_view method;
  std::string_view path;
  std::string_view route;
  int status = 0;
  double duration_s = 0;
  std::string_view key_digest;  // full SHA-256 hex of the key, "" = none; only a prefix is logged
  std::size_t bytes = 0;
};

// One JSON line of the record (no trailing newline). Pure function.
std::string access_log_line(const AccessRecord& record, double unix_seconds);

class AccessLog {
 public:
  // destination: "stderr" or "-" for stderr, otherwise a file path opened for
  // append (created when missing). IO error naming access_log when it cannot
  // be opened.
  explicit AccessLog(const std::string& destination);
  // Writes one line; lines of concurrent requests never interleave. Thread-safe.
  void write(const AccessRecord& record);

 private:
  std::mutex mutex_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
};

}  // namespace tailor::server
