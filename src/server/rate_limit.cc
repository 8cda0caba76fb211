#include "rate_limit.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include "tailor/server/server.h"

namespace tailor::server {

double RateLimiter::acquire(const std::string& key, double now) {
  Shard& shard = shards_[std::hash<std::string>{}(key) % shards_.size()];
  std::lock_guard lock(shard.mutex);
  auto [it, inserted] = shard.buckets.try_emplace(key, Bucket{burst_, now});
  Bucket& bucket = it->second;
  // tokens(now) = min(burst, tokens(updated) + rps * (now - updated))
  bucket.tokens = std::min(burst_, bucket.tokens + rps_ * std::max(0.0, now - bucket.updated));
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return 0;
  }
  return (1 - bucket.tokens) / rps_;
}

std::pair<double, double> parse_rate_limit(std::string_view text) {
  auto number = [&](std::string_view part) {
    double value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    TAILOR_CHECK_ARG(ec == std::errc() && end == part.data() + part.size() && value > 0 && value <= 1e6,
                     "rate-limit: expected RPS[:BURST] with numbers in (0, 1e6], got '" + std::string(text) + "'");
    return value;
  };
  const auto colon = text.find(':');
  const double rps = number(text.substr(0, colon));
  const double burst = colon == std::string_view::npos ? std::max(1.0, rps) : number(text.substr(colon + 1));
  TAILOR_CHECK_ARG(burst >= 1, "rate-limit: BURST must be >= 1");
  return {rps, burst};
}

}  // namespace tailor::server
