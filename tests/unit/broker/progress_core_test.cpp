// BrokerCore: which PROGRESS reports a job keeps (docs/protocol.md,
// PROGRESS): accepted, late (ignored, counted) and refused (ERROR, counted).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/core/broker_core.h"
#include "common/progress_limits.h"
#include "tests/support/core_harness.h"

namespace jobq::testing {
namespace {

using broker::core::Job;

wire::ProgressReport Report(const JobId& id, uint32_t attempt, uint64_t done, uint64_t total,
                            const std::string& message = "") {
  wire::ProgressReport report;
  report.set_id(std::string(id.Bytes()));
  report.set_attempt(attempt);
  report.set_done(done);
  report.set_total(total);
  report.set_message(message);
  return report;
}

void SendProgress(CoreHarness& harness, const std::string& worker,
                  const std::vector<wire::ProgressReport>& reports) {
  wire::Progress progress;
  for (const wire::ProgressReport& report : reports) {
    *progress.add_reports() = report;
  }
  harness.FromWorker(worker, Command::kProgress, progress);
}

// One job running on worker "w", attempt 1.
JobId RunOne(CoreHarness& harness) {
  JobId id = harness.Submit("c", {"t"}, "default", 0, false, /*max_attempts=*/3)[0];
  harness.Hello("w", 1);
  EXPECT_EQ(harness.Dispatched("w").size(), 1u);
  return id;
}

TEST(ProgressCoreTest, ARunningJobKeepsItsLastReportWithTheBrokersTime) {
  CoreHarness harness;
  JobId id = RunOne(harness);
  SendProgress(harness, "w", {Report(id, 1, 3, 10, "page 3")});
  harness.AdvanceMs(250);
  SendProgress(harness, "w", {Report(id, 1, 2, 10, "page 2 again")});
  const Job* job = harness.core().FindJob(id);
  EXPECT_EQ(job->progress.attempt, 1u);
  EXPECT_EQ(job->progress.done, 2u) << "the last report wins, even going down";
  EXPECT_EQ(job->progress.total, 10u);
  EXPECT_EQ(job->progress.message, "page 2 again");
  EXPECT_EQ(job->progress.reported_ms, harness.clock().NowMs());
  EXPECT_EQ(harness.core().counters().progress_accepted, 2u);
  EXPECT_TRUE(harness.CommandsTo("w").empty()) << "an accepted report is not answered";
  EXPECT_TRUE(harness.effects().changed_jobs.empty()) << "a report costs no store write";
}

TEST(ProgressCoreTest, AnUnknownTotalTakesAnyCount) {
  CoreHarness harness;
  JobId id = RunOne(harness);
  SendProgress(harness, "w", {Report(id, 1, 12345, 0)});
  EXPECT_EQ(harness.core().FindJob(id)->progress.done, 12345u);
}

TEST(ProgressCoreTest, MalformedReportsAreRefusedWithOneErrorAndTheRestJudged) {
  CoreHarness harness;
  JobId id = RunOne(harness);
  wire::ProgressReport short_id = Report(id, 1, 1, 2);
  short_id.set_id("abc");
  SendProgress(harness, "w",
               {Report(id, 1, 11, 10), short_id, Report(id, 0, 1, 2),
                Report(id, 1, 1, 2, std::string(kProgressMessageBytesMax + 1, 'x')),
                Report(id, 1, 4, 10, "fine")});
  std::vector<wire::Error> errors = harness.Errors("w");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code(), wire::ERROR_CODE_BAD_BODY);
  EXPECT_NE(errors[0].text().find("report 0"), std::string::npos) << errors[0].text();
  EXPECT_NE(errors[0].text().find("done 11 is above total 10"), std::string::npos)
      << errors[0].text();
  EXPECT_EQ(harness.core().counters().progress_refused, 4u);
  EXPECT_EQ(harness.core().FindJob(id)->progress.done, 4u) << "the good report still counts";
  EXPECT_EQ(harness.core().FindJob(id)->progress.message, "fine");
}

TEST(ProgressCoreTest, AMessageAtItsBoundIsTaken) {
  CoreHarness harness;
  JobId id = RunOne(harness);
  SendProgress(harness, "w", {Report(id, 1, 1, 2, std::string(kProgressMessageBytesMax, 'x'))});
  EXPECT_EQ(harness.core().counters().progress_refused, 0u);
  EXPECT_EQ(harness.core().FindJob(id)->progress.message.size(), kProgressMessageBytesMax);
}

TEST(ProgressCoreTest, AnUndecodableBodyIsABadBody) {
  CoreHarness harness;
  RunOne(harness);
  harness.effects().Clear();
  broker::core::Effects effects;
  harness.core().OnWorkerMessage("w", Command::kProgress, std::string("\xff\xff\xff", 3),
                                 harness.clock().NowMs(), &effects);
  ASSERT_EQ(effects.outbound.size(), 1u);
  const auto& error = static_cast<const wire::Error&>(*effects.outbound[0].body);
  EXPECT_EQ(error.code(), wire::ERROR_CODE_BAD_BODY);
  EXPECT_NE(error.text().find("jobq.wire.Progress"), std::string::npos);
  EXPECT_EQ(harness.core().counters().bad_messages, 1u);
}

TEST(ProgressCoreTest, TooManyReportsInOneMessageAreTooLargeAndNoneIsTaken) {
  CoreHarness harness;
  JobId id = RunOne(harness);
  SendProgress(harness, "w",
               std::vector<wire::ProgressReport>(kProgressReportsMax + 1, Report(id, 1, 1, 2)));
  std::vector<wire::Error> errors = harness.Errors("w");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code(), wire::ERROR_CODE_TOO_LARGE);
  EXPECT_TRUE(harness.core().FindJob(id)->progress.empty());
}

TEST(ProgressCoreTest, LateReportsAreIgnoredAndCountedWithoutAnError) {
  CoreHarness harness;
  JobId id = RunOne(harness);
  harness.Hello("other", 1);
  SendProgress(harness, "w", {Report(id, 2, 1, 2)});       // an attempt it does not run
  SendProgress(harness, "other", {Report(id, 1, 1, 2)});   // not its job
  SendProgress(harness, "w", {Report(JobId(), 1, 1, 2)});  // no such job
  EXPECT_EQ(harness.core().counters().progress_late, 3u);
  EXPECT_TRUE(harness.Errors("w").empty());
  EXPECT_TRUE(harness.core().FindJob(id)->progress.empty());
}

TEST(ProgressCoreTest, AFinishedJobKeepsWhatWasLastAcceptedAndTakesNoMore) {
  CoreHarness harness;
  JobId id = RunOne(harness);
  SendProgress(harness, "w", {Report(id, 1, 9, 10, "almost")});
  harness.Result("w", id, 1, /*ok=*/true);
  ASSERT_EQ(harness.core().FindJob(id)->state, wire::JOB_STATE_SUCCEEDED);
  SendProgress(harness, "w", {Report(id, 1, 10, 10, "done")});  // crossed its RESULT
  EXPECT_EQ(harness.core().counters().progress_late, 1u);
  EXPECT_EQ(harness.core().FindJob(id)->progress.done, 9u);
  EXPECT_EQ(harness.core().FindJob(id)->progress.message, "almost");
}

TEST(ProgressCoreTest, ANewAttemptStartsWithoutTheOldReport) {
  CoreHarness harness;
  JobId id = RunOne(harness);
  SendProgress(harness, "w", {Report(id, 1, 5, 10)});
  harness.Result("w", id, 1, /*ok=*/false, "exception");  // retried after its backoff
  EXPECT_EQ(harness.core().FindJob(id)->progress.attempt, 1u) << "kept while it waits";
  harness.AdvanceMs(60'000);
  harness.Hello("w2", 1);
  ASSERT_EQ(harness.core().FindJob(id)->state, wire::JOB_STATE_RUNNING);
  EXPECT_EQ(harness.core().FindJob(id)->attempt, 2u);
  EXPECT_TRUE(harness.core().FindJob(id)->progress.empty());
  SendProgress(harness, "w2", {Report(id, 1, 6, 10)});  // the old attempt's number
  EXPECT_TRUE(harness.core().FindJob(id)->progress.empty());
  SendProgress(harness, "w2", {Report(id, 2, 1, 10)});
  EXPECT_EQ(harness.core().FindJob(id)->progress.attempt, 2u);
}

}  // namespace
}  // namespace jobq::testing
