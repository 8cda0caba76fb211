// Tests of core: parallel_for covers every index once and rethrows, timestamps
// parse to UTC, error codes map to exit codes.
#include <atomic>
#include <vector>

#include <gtest/gtest.h>

#include "tailor/core/core.h"

namespace tailor {
namespace {

TEST(ParallelFor, VisitsEveryIndexExactlyOnce) {
  std::vector<std::atomic<int>> hits(10007);
  parallel_for(0, hits.size(), 4, [&](std::size_t i) { hits[i].fetch_add(1); }, 13);
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(ParallelFor, EmptyRangeDoesNothing) {
  int calls = 0;
  parallel_for(5, 5, 4, [&](std::size_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ParallelFor, RethrowsFirstExceptionOnCaller) {
  EXPECT_THROW(parallel_for(0, 1000, 3,
                            [](std::size_t i) {
                              if (i == 517) throw Error(ErrorCode::kInvalidArgument, "boom");
                            }),
               Error);
}

TEST(ParallelFor, WorkerIdsAreInRange) {
  int workers = worker_count(3, 100);
  std::vector<std::atomic<int>> per_worker(static_cast<std::size_t>(workers));
  parallel_for_worker(0, 100, 3, [&](std::size_t, int w) {
    ASSERT_GE(w, 0);
    ASSERT_LT(w, workers);
    per_worker[static_cast<std::size_t>(w)].fetch_add(1);
  });
  int total = 0;
  for (auto& c : per_worker) total += c.load();
  EXPECT_EQ(total, 100);
}

TEST(Timestamp, ParsesUnixSecondsMillisAndIso) {
  EXPECT_EQ(parse_timestamp("964982703"), 964982703);
  EXPECT_EQ(parse_timestamp("964982703.9"), 964982703);
  EXPECT_EQ(parse_timestamp("1529193600000"), 1529193600);
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_timestamp("2018-06-17"), 1529193600);
  EXPECT_EQ(parse_timestamp("2018-06-17T08:00:00+08:00"), 1529193600);
  EXPECT_EQ(parse_timestamp("2018-06-16 19:00:00-05:00"), 1529193600);
  EXPECT_EQ(parse_timestamp("2000-02-29T12:30:15.250Z"), 951827415);
}

TEST(Timestamp, RejectsGarbage) {
  EXPECT_FALSE(parse_timestamp(""));
  EXPECT_FALSE(parse_timestamp("yesterday"));
  EXPECT_FALSE(parse_timestamp("2018-13-01"));
  EXPECT_FALSE(parse_timestamp("2019-02-29"));
  EXPECT_FALSE(parse_timestamp("2018-06-17T25:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2018-06-17T10:00:00+0800junk"));
  EXPECT_FALSE(parse_timestamp("1e400"));
}

TEST(Timestamp, FormatsRfc3339Utc) {
  EXPECT_EQ(format_timestamp(1529193600), "2018-06-17T00:00:00Z");
  EXPECT_EQ(parse_timestamp(format_timestamp(1234567890)), 1234567890);
}

TEST(Errors, MapToExitCodes) {
  EXPECT_EQ(exit_code_for(ErrorCode::kInvalidArgument), ExitCode::kInvalidInput);
  EXPECT_EQ(exit_code_for(ErrorCode::kNotFound), ExitCode::kNotFound);
  EXPECT_EQ(exit_code_for(ErrorCode::kIO), ExitCode::kFailure);
  EXPECT_EQ(error_code_name(ErrorCode::kCorruption), "corruption");
}

}  // namespace
}  // namespace tailor
