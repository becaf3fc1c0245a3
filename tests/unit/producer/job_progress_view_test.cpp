// What `jobq wait --progress` and `jobq job` print of a job's progress: the
// bar line, the JSON line, the detail row; and the bars redrawn in place.

#include "producer/cli/job_progress_view.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "producer/cli/admin_tables.h"

namespace jobq::cli {
namespace {

admin::JobInfo Running(uint64_t done, uint64_t total, const std::string& message) {
  admin::JobInfo job;
  job.set_id(std::string(JobId::FromBytes(std::string(16, '\x11'))->Bytes()));
  job.set_state(wire::JOB_STATE_RUNNING);
  admin::JobProgress& progress = *job.mutable_progress();
  progress.set_attempt(1);
  progress.set_done(done);
  progress.set_total(total);
  progress.set_message(message);
  progress.set_reported_ms(1'800'000'000'000);
  return job;
}

TEST(JobProgressViewTest, ABarShowsTheShareTheCountsAndTheMessage) {
  EXPECT_EQ(FormatProgressBarLine(Running(4, 10, "page 4")),
            "11111111 [#########---------------] 4/10  40% running  page 4");
  EXPECT_EQ(FormatProgressBarLine(Running(12, 0, "")),
            "11111111 [------------------------] 12 done running");
  admin::JobInfo done = Running(9, 10, "line\nbreak");
  done.set_state(wire::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(FormatProgressBarLine(done),
            "11111111 [########################] 9/10 100% succeeded  line break")
      << "a finished job's bar is full; control characters do not reach the terminal";
}

TEST(JobProgressViewTest, AJsonLineCarriesTheReport) {
  nlohmann::json line = nlohmann::json::parse(FormatProgressJsonLine(Running(4, 10, "p")));
  EXPECT_EQ(line["id"], "11111111-1111-1111-1111-111111111111");
  EXPECT_EQ(line["state"], "running");
  EXPECT_EQ(line["done"], 4);
  EXPECT_EQ(line["total"], 10);
  EXPECT_EQ(line["message"], "p");
  EXPECT_EQ(line["reported_ms"], 1'800'000'000'000);
  admin::JobInfo queued;
  queued.set_id(std::string(16, '\x11'));
  queued.set_state(wire::JOB_STATE_QUEUED);
  EXPECT_FALSE(nlohmann::json::parse(FormatProgressJsonLine(queued)).contains("done"));
}

TEST(JobProgressViewTest, JobDetailShowsTheLastReport) {
  EXPECT_EQ(FormatJobProgress(Running(4, 10, "page 4").progress()), "4/10 (40%) page 4");
  EXPECT_EQ(FormatJobProgress(Running(7, 0, "").progress()), "7 done");
  const std::string detail = FormatJobDetail(Running(4, 10, "page 4"), 1'800'000'001'000);
  const size_t row = detail.find("\nprogress ");
  ASSERT_NE(row, std::string::npos) << detail;
  EXPECT_NE(detail.find("4/10 (40%) page 4 (attempt 1, reported", row), std::string::npos)
      << detail;
  nlohmann::json json = nlohmann::json::parse(FormatJobDetailJson(Running(4, 10, "page 4")));
  EXPECT_EQ(json["progress"]["done"], 4);
}

TEST(JobProgressViewTest, BarsAreRedrawnInPlace) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  const JobId id = *JobId::FromBytes(std::string(16, '\x11'));
  JobProgressBars bars(out, {id});
  bars.Redraw();
  bars.Update(Running(5, 10, ""));
  std::fclose(out);
  const std::string text(buffer, size);
  free(buffer);
  // Drawn once, then moved up one line, erased, and drawn again.
  EXPECT_NE(text.find("\033[1A\r\033[J"), std::string::npos);
  EXPECT_NE(text.find("5/10  50% running"), std::string::npos) << text;
}

}  // namespace
}  // namespace jobq::cli
