// Progress bar and logging. Both write to stderr so stdout stays clean for
// --json output that scripts parse.
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "tailor/core/core.h"

namespace tailor {
namespace {
std::mutex g_stderr_mutex;
std::atomic<LogLevel> g_log_level{LogLevel::kInfo};
}  // namespace

Progress::Progress(std::string label, std::uint64_t total, bool quiet)
    : label_(std::move(label)), total_(total), enabled_(!quiet && isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::set_total(std::uint64_t total) { total_.store(total); }

void Progress::add(std::uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  if (!enabled_) return;
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::steady_clock::now() - start_).count();
  auto last = last_draw_ns_.load(std::memory_order_relaxed);
  // Redraw at most ten times a second; only the thread that wins the CAS draws.
  if (now - last > 100'000'000 && last_draw_ns_.compare_exchange_strong(last, now)) draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) draw(true);
}

void Progress::draw(bool final) {
  std::uint64_t done = done_.load();
  std::uint64_t total = total_.load();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::lock_guard<std::mutex> lock(g_stderr_mutex);
  if (total > 0) {
    double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    int width = 30, filled = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(static_cast<std::size_t>(width), '.');
    std::fprintf(stderr, "\r%s [%s] %3.0f%% %llu/%llu %.1fs", label_.c_str(), bar.c_str(), frac * 100,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), secs);
  } else {
    std::fprintf(stderr, "\r%s %llu %.1fs", label_.c_str(), static_cast<unsigned long long>(done), secs);
  }
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
}

void set_log_level(LogLevel level) { g_log_level.store(level); }
LogLevel log_level() { return g_log_level.load(); }

void log(LogLevel level, std::string_view message) {
  if (level < g_log_level.load() || level == LogLevel::kOff) return;
  static const char* kTags[] = {"debug", "info", "warn", "error"};
  std::lock_guard<std::mutex> lock(g_stderr_mutex);
  std::fprintf(stderr, "[tailor %s] %.*s\n", kTags[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

}  // namespace tailor
