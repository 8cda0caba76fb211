#include "metrics.h"

#include <cmath>
#include <cstdio>

namespace tailor::server {
namespace {

std::string format_double(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

}  // namespace

std::string prometheus_escape(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

HttpMetrics::HttpMetrics(std::vector<Series> series)
    : series_(std::move(series)), counters_(std::make_unique<Counters[]>(series_.size())) {}

void HttpMetrics::observe(std::size_t slot, int status, double seconds) {
  if (slot >= series_.size()) return;
  Counters& c = counters_[slot];
  std::size_t status_idx = kCountedStatuses.size() - 1;  // "other"
  for (std::size_t idx = 0; idx + 1 < kCountedStatuses.size(); ++idx)
    if (kCountedStatuses[idx] == status) status_idx = idx;
  std::size_t bucket_idx = kLatencyBuckets.size();  // +Inf
  for (std::size_t idx = 0; idx < kLatencyBuckets.size(); ++idx)
    if (seconds <= kLatencyBuckets[idx]) {
      bucket_idx = idx;
      break;
    }
  c.by_status[status_idx].fetch_add(1, std::memory_order_relaxed);
  c.buckets[bucket_idx].fetch_add(1, std::memory_order_relaxed);
  c.sum_ns.fetch_add(static_cast<std::uint64_t>(std::max(0.0, seconds) * 1e9), std::memory_order_relaxed);
  c.count.fetch_add(1, std::memory_order_relaxed);
}

void HttpMetrics::write(std::string& out) const {
  auto labels = [&](std::size_t slot) {
    return "method=\"" + prometheus_escape(series_[slot].method) + "\",route=\"" +
           prometheus_escape(series_[slot].route) + "\"";
  };
  out += "# HELP tailor_http_requests_total HTTP requests by method, route pattern and status.\n";
  out += "# TYPE tailor_http_requests_total counter\n";
  for (std::size_t slot = 0; slot < series_.size(); ++slot)
    for (std::size_t idx = 0; idx < kCountedStatuses.size(); ++idx) {
      const auto value = counters_[slot].by_status[idx].load(std::memory_order_relaxed);
      if (value == 0) continue;
      const std::string status = kCountedStatuses[idx] == 0 ? "other" : std::to_string(kCountedStatuses[idx]);
      out += "tailor_http_requests_total{" + labels(slot) + ",status=\"" + status + "\"} " +
             std::to_string(value) + "\n";
    }
  out += "# HELP tailor_http_errors_total HTTP requests answered with a 4xx or 5xx status.\n";
  out += "# TYPE tailor_http_errors_total counter\n";
  for (std::size_t slot = 0; slot < series_.size(); ++slot) {
    std::uint64_t client = 0, server = 0;
    for (std::size_t idx = 0; idx < kCountedStatuses.size(); ++idx) {
      const auto value = counters_[slot].by_status[idx].load(std::memory_order_relaxed);
      const int status = kCountedStatuses[idx];
      if (status >= 400 && status < 500) client += value;
      else if (status >= 500 || status == 0) server += value;  // "other" is only ever unexpected
    }
    if (client > 0) out += "tailor_http_errors_total{" + labels(slot) + ",class=\"4xx\"} " + std::to_string(client) + "\n";
    if (server > 0) out += "tailor_http_errors_total{" + labels(slot) + ",class=\"5xx\"} " + std::to_string(server) + "\n";
  }
  out += "# HELP tailor_http_request_duration_seconds Time in the handler, by route pattern.\n";
  out += "# TYPE tailor_http_request_duration_seconds histogram\n";
  for (std::size_t slot = 0; slot < series_.size(); ++slot) {
    const Counters& c = counters_[slot];
    const auto count = c.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    std::uint64_t cumulative = 0;
    for (std::size_t idx = 0; idx <= kLatencyBuckets.size(); ++idx) {
      cumulative += c.buckets[idx].load(std::memory_order_relaxed);
      const std::string le = idx < kLatencyBuckets.size() ? format_double(kLatencyBuckets[idx]) : "+Inf";
      out += "tailor_http_request_duration_seconds_bucket{" + labels(slot) + ",le=\"" + le + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "tailor_http_request_duration_seconds_sum{" + labels(slot) + "} " +
           format_double(static_cast<double>(c.sum_ns.load(std::memory_order_relaxed)) * 1e-9) + "\n";
    // The +Inf bucket is the count by definition; use it so the two always agree.
    out += "tailor_http_request_duration_seconds_count{" + labels(slot) + "} " + std::to_string(cumulative) + "\n";
  }
}

}  // namespace tailor::server
