// Front door of the core component: errors, checks, parallel_for, progress,
// logging, time helpers. Every other component depends on this and nothing
// here depends on another component.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tailor {

// ---------------------------------------------------------------- errors ---

// One error type for the whole engine. Boundaries translate it exactly once:
// the CLI into an exit code (see exit_code_for), the server into an HTTP status.
enum class ErrorCode {
  kInvalidArgument,  // the caller (user, file, request) gave something wrong
  kNotFound,
  kAlreadyExists,
  kIO,
  kCorruption,       // a file or database is damaged or of an unknown format
  kUnavailable,      // a dependency (database, model endpoint) cannot be reached
  kInternal,         // a bug in Tailor
};

std::string_view error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// Process exit codes of the `tailor` command; stable, scripts rely on them.
enum class ExitCode : int {
  kOk = 0,
  kFailure = 1,        // internal error or IO
  kUsage = 2,          // bad command line
  kInvalidInput = 3,   // data rejected (strict import, bad file)
  kNotFound = 4,
};
ExitCode exit_code_for(ErrorCode code);

[[noreturn]] void throw_error(ErrorCode code, const std::string& message);

}  // namespace tailor

// A condition the user can reach: always on, throws tailor::Error naming what was wrong.
#define TAILOR_CHECK_ARG(cond, msg)                                              \
  do {                                                                           \
    if (!(cond)) ::tailor::throw_error(::tailor::ErrorCode::kInvalidArgument, (msg)); \
  } while (0)

// A programmer invariant. Kept on in all builds outside hot loops; in hot loops
// use TAILOR_DASSERT which compiles out with NDEBUG.
#define TAILOR_ASSERT(cond)                                                               \
  do {                                                                                    \
    if (!(cond))                                                                          \
      ::tailor::throw_error(::tailor::ErrorCode::kInternal,                               \
                            std::string("invariant failed: " #cond " at ") + __FILE__ + ":" + \
                                std::to_string(__LINE__));                                \
  } while (0)
#ifdef NDEBUG
#define TAILOR_DASSERT(cond) ((void)0)
#else
#define TAILOR_DASSERT(cond) TAILOR_ASSERT(cond)
#endif

namespace tailor {

// ---------------------------------------------------------- parallel_for ---

// Number of worker threads to use when the caller asks for 0 ("auto"):
// TAILOR_THREADS if set, else std::thread::hardware_concurrency().
int default_thread_count();

// The one parallel loop of the engine. Calls fn(index) for every index in
// [begin, end) on up to `threads` threads (0 = default_thread_count()), in
// contiguous chunks handed out dynamically so uneven work balances. Blocks
// until all work is done. The first exception thrown by fn stops the handing
// out of further chunks and is rethrown on the caller's thread.
// fn must be safe to call concurrently for different indexes.
void parallel_for(std::size_t begin, std::size_t end, int threads,
                  const std::function<void(std::size_t)>& fn, std::size_t grain = 0);

// Same, but fn also receives the worker number in [0, threads) so callers can
// keep per-thread scratch buffers without locks. Returns nothing; use
// worker_count(threads, n) to size the scratch.
void parallel_for_worker(std::size_t begin, std::size_t end, int threads,
                         const std::function<void(std::size_t index, int worker)>& fn,
                         std::size_t grain = 0);
int worker_count(int threads, std::size_t n);

// -------------------------------------------------------------- progress ---

// A progress bar on stderr for long work. Draws only when stderr is a terminal
// and quiet is false; otherwise it is silent and costs one atomic add per call.
// Safe to call add() from many threads.
class Progress {
 public:
  Progress(std::string label, std::uint64_t total, bool quiet = false);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(std::uint64_t n = 1);
  void set_total(std::uint64_t total);
  void finish();

 private:
  void draw(bool final);
  std::string label_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> total_;
  std::atomic<std::int64_t> last_draw_ns_{0};
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
};

// --------------------------------------------------------------- logging ---

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };
void set_log_level(LogLevel level);
LogLevel log_level();
// Writes one line to stderr with a level tag when level >= log_level().
void log(LogLevel level, std::string_view message);
inline void log_info(std::string_view m) { log(LogLevel::kInfo, m); }
inline void log_warn(std::string_view m) { log(LogLevel::kWarn, m); }
inline void log_debug(std::string_view m) { log(LogLevel::kDebug, m); }

// ------------------------------------------------------------------ time ---

// Timestamps inside Tailor are int64 seconds since the Unix epoch, UTC.
using Timestamp = std::int64_t;
Timestamp now_seconds();

// Parses a timestamp given as Unix seconds (integer or fractional), Unix
// milliseconds (13 digits), an ISO 8601 / RFC 3339 date-time with or without
// a zone offset ("2018-06-17T10:00:00+08:00", "2018-06-17 10:00:00", "2018-06-17";
// no offset means UTC) and returns UTC seconds. nullopt when unparseable.
std::optional<Timestamp> parse_timestamp(std::string_view text);

// RFC 3339 in UTC, e.g. "2018-06-17T02:00:00Z".
std::string format_timestamp(Timestamp ts);

// ------------------------------------------------------------------ misc ---

// Seconds since an arbitrary point, for timing.
double monotonic_seconds();

// Reads an environment variable; nullopt when unset.
std::optional<std::string> env_var(const char* name);

}  // namespace tailor
