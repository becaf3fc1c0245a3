#include "producer/cli/progress_bar.h"

#include <gtest/gtest.h>

namespace jobq::cli {
namespace {

BulkProgress Progress(uint64_t acked, double elapsed_seconds) {
  BulkProgress progress;
  progress.submitted = acked;
  progress.acked = acked;
  progress.elapsed_seconds = elapsed_seconds;
  return progress;
}

TEST(FormatProgressLineTest, WithKnownTotal) {
  EXPECT_EQ(FormatProgressLine(Progress(50, 2.0), 200, /*notify=*/false),
            "[######------------------] 50/200 acked 25%  25 jobs/s");
}

TEST(FormatProgressLineTest, CompleteBarIsFull) {
  EXPECT_EQ(FormatProgressLine(Progress(200, 4.0), 200, /*notify=*/false),
            "[########################] 200/200 acked 100%  50 jobs/s");
}

TEST(FormatProgressLineTest, NoRateBeforeTimePasses) {
  EXPECT_EQ(FormatProgressLine(Progress(0, 0.0), 10, /*notify=*/false),
            "[------------------------] 0/10 acked 0%  0 jobs/s");
}

TEST(FormatProgressLineTest, RejectedAndFinishedCounts) {
  BulkProgress progress = Progress(10, 1.0);
  progress.rejected = 2;
  progress.finished = 7;
  EXPECT_EQ(FormatProgressLine(progress, 10, /*notify=*/true),
            "[########################] 10/10 acked 100%  10 jobs/s  2 rejected  7 finished");
}

}  // namespace
}  // namespace jobq::cli
