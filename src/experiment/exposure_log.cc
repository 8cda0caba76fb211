// The exposure log's writer: a bounded queue and one thread that commits
// whatever has queued in one transaction (group commit). Records are numbered
// as they are queued; the writer commits them in order and publishes the
// highest number handled, so a caller waits for exactly its own record. A
// batch that cannot be committed (after retries) is reported to its waiters
// as Unavailable: they must not acknowledge what is not on disk.
#include <chrono>

#include "tailor/core/core.h"
#include "tailor/experiment/experiment.h"

namespace tailor::experiment {
namespace {
constexpr int kCommitAttempts = 3;
constexpr std::size_t kFailedRangesKept = 64;
}  // namespace

ExposureLog::ExposureLog(store::Store& store, ExposureLogOptions options) : store_(store), options_(options) {
  TAILOR_CHECK_ARG(options_.flush_interval_ms >= 1 && options_.flush_interval_ms <= 10000,
                   "experiment_flush_ms: must be in [1, 10000]");
  TAILOR_CHECK_ARG(options_.max_queue >= 1 && options_.max_queue <= 10'000'000,
                   "experiment_max_queue: must be in [1, 10000000]");
  TAILOR_CHECK_ARG(options_.max_batch >= 1, "max_batch: must be >= 1");
  writer_ = std::thread([this] { run(); });
}

ExposureLog::~ExposureLog() { stop(); }

std::uint64_t ExposureLog::enqueue(store::Record record) {
  std::unique_lock lock(mutex_);
  wake_waiters_.wait(lock, [&] { return stopping_ || queue_.size() < options_.max_queue; });
  if (stopping_) throw_error(ErrorCode::kUnavailable, "experiment exposure log is stopped");
  queue_.push_back(std::move(record));
  const std::uint64_t seq = ++queued_seq_;
  lock.unlock();
  wake_writer_.notify_one();
  return seq;
}

void ExposureLog::log(store::Record record) {
  const std::uint64_t seq = enqueue(std::move(record));
  if (!options_.wait_for_commit) return;
  std::unique_lock lock(mutex_);
  wake_waiters_.wait(lock, [&] { return committed_seq_ >= seq; });
  for (const auto& [from, to] : failed_)
    if (seq >= from && seq <= to) throw_error(ErrorCode::kUnavailable, "experiment exposure could not be written to the store");
}

void ExposureLog::log_async(store::Record record) { enqueue(std::move(record)); }

void ExposureLog::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t seq = queued_seq_;
  wake_writer_.notify_one();
  wake_waiters_.wait(lock, [&] { return committed_seq_ >= seq; });
}

void ExposureLog::stop() noexcept {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  wake_writer_.notify_all();
  wake_waiters_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void ExposureLog::run() {
  std::vector<store::Record> batch;
  for (;;) {
    std::uint64_t first = 0;
    {
      std::unique_lock lock(mutex_);
      wake_writer_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms),
                            [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        if (stopping_) return;
        continue;
      }
      first = committed_seq_ + 1;
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    wake_waiters_.notify_all();  // room in the queue again
    bool ok = false;
    for (int attempt = 0; attempt < kCommitAttempts && !ok; ++attempt) {
      try {
        auto writer = store_.begin_write();
        for (const auto& record : batch) writer->put_record(record);
        if (options_.summaries)
          for (const auto& record : options_.summaries->fold(batch)) writer->put_record(record);
        writer->commit();
        ok = true;
      } catch (const std::exception& e) {
        if (options_.summaries) options_.summaries->forget();  // the totals folded in were not committed
        log_warn(std::string("experiment exposure log: commit failed (attempt ") + std::to_string(attempt + 1) +
                 "): " + e.what());
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * (attempt + 1)));
      }
    }
    const std::uint64_t last = first + batch.size() - 1;
    if (ok) {
      committed_ += batch.size();
      ++batches_;
    } else {
      failures_ += batch.size();
    }
    {
      std::lock_guard lock(mutex_);
      // Failed ranges are kept long enough for their waiters, who wake right after this.
      if (!ok) failed_.emplace_back(first, last);
      if (failed_.size() > kFailedRangesKept) failed_.pop_front();
      committed_seq_ = last;
    }
    wake_waiters_.notify_all();
    batch.clear();
  }
}

}  // namespace tailor::experiment
