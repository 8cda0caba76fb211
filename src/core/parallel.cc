// The engine's one parallel loop. Chunks of `grain` indexes are handed out
// through an atomic cursor, so threads that finish early take more work.
#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "tailor/core/core.h"

namespace tailor {

int default_thread_count() {
  if (auto v = env_var("TAILOR_THREADS")) {
    try {
      int n = std::stoi(*v);
      if (n > 0) return n;
    } catch (...) {
    }
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

int worker_count(int threads, std::size_t n) {
  int t = threads <= 0 ? default_thread_count() : threads;
  if (n < static_cast<std::size_t>(t)) t = static_cast<int>(std::max<std::size_t>(n, 1));
  return t;
}

void parallel_for_worker(std::size_t begin, std::size_t end, int threads,
                         const std::function<void(std::size_t, int)>& fn, std::size_t grain) {
  if (end <= begin) return;
  const std::size_t n = end - begin;
  const int workers = worker_count(threads, n);
  if (grain == 0) grain = std::max<std::size_t>(1, n / (static_cast<std::size_t>(workers) * 16));
  if (workers == 1) {
    for (std::size_t i = begin; i < end; ++i) fn(i, 0);
    return;
  }
  std::atomic<std::size_t> cursor{begin};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto body = [&](int worker) {
    while (!failed.load(std::memory_order_relaxed)) {
      std::size_t lo = cursor.fetch_add(grain, std::memory_order_relaxed);
      if (lo >= end) break;
      std::size_t hi = std::min(end, lo + grain);
      try {
        for (std::size_t i = lo; i < hi; ++i) fn(i, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed.store(true);
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(workers - 1));
  for (int w = 1; w < workers; ++w) pool.emplace_back(body, w);
  body(0);
  for (auto& t : pool) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

void parallel_for(std::size_t begin, std::size_t end, int threads,
                  const std::function<void(std::size_t)>& fn, std::size_t grain) {
  parallel_for_worker(begin, end, threads, [&](std::size_t i, int) { fn(i); }, grain);
}

}  // namespace tailor
