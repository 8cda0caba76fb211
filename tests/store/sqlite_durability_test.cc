// Durability of the SQLite store under kill -9: a child process commits
// batches of events and acknowledges each commit on a pipe; the parent kills
// it at an arbitrary point, reopens the store and checks that the database is
// sound, that every acknowledged event is there and that no batch is half there.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "sqlite_store.h"
#include "store_test_util.h"
#include "tailor/store/store.h"

namespace tailor::store {
namespace {

using testing_util::make_event;
using testing_util::TempDir;

constexpr std::int64_t kBatch = 250;
constexpr Timestamp kFirstTimestamp = 1'000'000;

// Event number n of the stream; its timestamp identifies it.
Event stream_event(std::int64_t n) {
  Event event = make_event("user-" + std::to_string(n % 13), "item-" + std::to_string(n % 101),
                           n % 3 ? "view" : "purchase", kFirstTimestamp + n, static_cast<double>(n % 7));
  if (n % 5 == 0) event.context = {{"n", n}};
  return event;
}

// Child: writes batches from `next` on, forever, acknowledging each commit.
[[noreturn]] void write_batches(const std::string& path, std::int64_t next, int ack_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed parent
  try {
    std::unique_ptr<Store> store = open_store(path);
    for (;;) {
      std::unique_ptr<StoreWriter> writer = store->begin_write();
      for (std::int64_t n = next; n < next + kBatch; ++n) writer->put_event(stream_event(n));
      writer->commit();
      next += kBatch;
      if (write(ack_fd, &next, sizeof next) != sizeof next) _exit(3);
    }
  } catch (...) {
    _exit(2);
  }
}

TEST(SqliteDurabilityTest, AcknowledgedBatchesSurviveKill9) {
  TempDir dir;
  const std::string path = dir.file("durable.db");
  std::int64_t stored = 0;
  // Several rounds, each killing at another moment and appending to what the
  // previous round left, so recovery of a store that was killed is tested too.
  const int kill_delays_us[] = {0, 200, 1500, 50};
  for (int round = 0; round < 4; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(pipe_fds[0]);
      write_batches(path, stored, pipe_fds[1]);
    }
    close(pipe_fds[1]);

    std::int64_t acknowledged = stored;
    std::int64_t ack = 0;
    const std::int64_t wanted = stored + kBatch * (3 + 2 * round);
    while (acknowledged < wanted) {
      ssize_t got = read(pipe_fds[0], &ack, sizeof ack);
      if (got != sizeof ack) break;
      acknowledged = ack;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(kill_delays_us[round]));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    // Acknowledgements written before the kill count as well.
    while (read(pipe_fds[0], &ack, sizeof ack) == sizeof ack) acknowledged = ack;
    close(pipe_fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited by itself, status " << status;
    ASSERT_GE(acknowledged, wanted) << "round " << round << ": the writer acknowledged too little";

    std::unique_ptr<Store> store = open_store(path);
    const std::vector<std::string> problems = dynamic_cast<SqliteStore&>(*store).check_integrity();
    EXPECT_TRUE(problems.empty()) << problems.front();
    const auto events = static_cast<std::int64_t>(store->stats().events);
    EXPECT_GE(events, acknowledged) << "round " << round << ": acknowledged events lost";
    EXPECT_LE(events, acknowledged + kBatch) << "round " << round;  // at most the batch not yet acknowledged
    EXPECT_EQ(events % kBatch, 0) << "round " << round << ": half a batch is visible";

    // Exactly events 0 .. events-1, each once.
    std::set<Timestamp> timestamps;
    store->scan_events([&](const StoredEvent& event) { timestamps.insert(event.timestamp); });
    ASSERT_EQ(static_cast<std::int64_t>(timestamps.size()), events);
    if (events > 0) {
      EXPECT_EQ(*timestamps.begin(), kFirstTimestamp);
      EXPECT_EQ(*timestamps.rbegin(), kFirstTimestamp + events - 1);
    }
    stored = events;
  }
}

}  // namespace
}  // namespace tailor::store
