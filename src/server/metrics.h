// Request metrics of the HTTP server: per-route counters by status and a
// latency histogram per route, written in Prometheus text format 0.0.4.
//
// Hot path: observe() does three relaxed atomic increments on the route's own
// cache-line-aligned block (no lock, no allocation); write() reads them with
// relaxed loads, so a scrape may see a request in the count but not yet in the
// histogram (Prometheus tolerates that).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tailor::server {

// Upper bounds of the latency buckets, seconds (+Inf is implicit).
inline constexpr std::array<double, 13> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1,    0.25,  0.5,    1.0,   2.5,   5.0};
// Statuses with their own counter; anything else is counted as status="other".
inline constexpr std::array<int, 15> kCountedStatuses = {200, 201, 202, 204, 400, 401, 403, 404,
                                                         405, 409, 413, 429, 500, 503, 0};

// Escapes a Prometheus label value (backslash, double quote, newline).
std::string prometheus_escape(const std::string& value);

class HttpMetrics {
 public:
  struct Series {
    std::string method;
    std::string route;  // the route pattern, never a concrete id
  };
  // One slot per series; callers pass the slot index to observe().
  explicit HttpMetrics(std::vector<Series> series);
  // Records one request. Thread-safe, lock-free.
  void observe(std::size_t slot, int status, double seconds);
  // Appends tailor_http_requests_total, tailor_http_errors_total and
  // tailor_http_request_duration_seconds. Thread-safe with observe().
  void write(std::string& out) const;

 private:
  struct alignas(64) Counters {
    std::array<std::atomic<std::uint64_t>, kCountedStatuses.size()> by_status{};
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> buckets{};  // non-cumulative; last = +Inf
    std::atomic<std::uint64_t> sum_ns{0};
    std::atomic<std::uint64_t> count{0};
  };
  std::vector<Series> series_;
  std::unique_ptr<Counters[]> counters_;
};

}  // namespace tailor::server
