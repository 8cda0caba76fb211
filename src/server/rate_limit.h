// Token-bucket rate limits per caller (API key digest or client address).
// Each bucket holds at most `burst` tokens and refills `rps` per second; a
// request takes one. Buckets live in 16 shards, each under its own mutex, so
// callers with different keys rarely contend.
#pragma once

#include <array>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tailor::server {

class RateLimiter {
 public:
  // rps > 0 and burst >= 1 (checked by ServerOptions::validate()).
  RateLimiter(double rps, double burst) : rps_(rps), burst_(burst) {}
  // Takes a token for `key` at monotonic time `now` (seconds). Returns 0 when
  // admitted, else the seconds until a token will be there. Thread-safe.
  double acquire(const std::string& key, double now);

 private:
  struct Bucket {
    double tokens = 0;
    double updated = 0;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
  };
  double rps_;
  double burst_;
  std::array<Shard, 16> shards_;
};

}  // namespace tailor::server
