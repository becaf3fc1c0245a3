// Delayed jobs with the real binaries (issue 17, item 1): `jobq submit
// --delay/--at` and the "delay"/"at" fields of JSON Lines hold a job
// `scheduled` until its time, also across kill -9 of the broker on SQLite.
// "Not before its time" is judged by the broker's own clock: the
// started_ms of `jobq job ID --json` against the due time.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "common/clock.h"
#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

// Long enough to see a job scheduled before it is due; short enough for CI.
constexpr TimeMs kDelayMs = 2500;
constexpr char kDelay[] = "2500ms";
// Across a broker restart, which takes a while of its own.
constexpr TimeMs kRestartDelayMs = 5000;
constexpr char kRestartDelay[] = "5000ms";

// `ms` as RFC 3339 with milliseconds, written at UTC offset `offset_minutes`.
std::string Rfc3339(TimeMs ms, int offset_minutes) {
  const TimeMs local_ms = ms + offset_minutes * 60'000LL;
  const std::time_t seconds = static_cast<std::time_t>(local_ms / 1000);
  std::tm fields{};
  gmtime_r(&seconds, &fields);
  char text[64];
  const int offset = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d",
                fields.tm_year + 1900, fields.tm_mon + 1, fields.tm_mday, fields.tm_hour,
                fields.tm_min, fields.tm_sec, static_cast<int>(local_ms % 1000),
                offset_minutes < 0 ? '-' : '+', offset / 60, offset % 60);
  return text;
}

nlohmann::json Job(Cluster& cluster, const std::string& id) {
  CommandResult shown = cluster.Jobq({"job", id, "--json"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  std::vector<nlohmann::json> lines = JsonLines(shown.out);
  return lines.empty() ? nlohmann::json() : lines[0];
}

std::vector<std::string> Ids(const std::vector<nlohmann::json>& lines) {
  std::vector<std::string> ids;
  for (const nlohmann::json& line : lines) {
    ids.push_back(line.at("id").get<std::string>());
  }
  return ids;
}

// The scheduled count of `queue` in `jobq status --json` (figures), which
// gives uint64s as strings.
uint64_t ScheduledInStatus(Cluster& cluster, const std::string& queue) {
  nlohmann::json status = cluster.Status();
  for (const nlohmann::json& depth : status["figures"]["queues"]) {
    if (depth.value("name", "") == queue) {
      return std::stoull(depth.value("scheduled", std::string("0")));
    }
  }
  return 0;
}

// Waits for the jobs, which must succeed, and checks that none started
// before its due time on the broker's clock.
void ExpectRunNoEarlierThan(Cluster& cluster, const std::vector<std::string>& ids,
                            const std::vector<TimeMs>& due_ms) {
  std::vector<std::string> args = {"wait"};
  args.insert(args.end(), ids.begin(), ids.end());
  CommandResult waited = cluster.Jobq(args);
  ASSERT_EQ(waited.exit_code, 0) << waited.out << waited.err;
  for (size_t i = 0; i < ids.size(); ++i) {
    nlohmann::json job = Job(cluster, ids[i]);
    EXPECT_EQ(job["state"], "succeeded") << job.dump();
    const TimeMs started_ms = job.value("started_ms", TimeMs{0});
    EXPECT_GE(started_ms, due_ms[i]) << "job " << i << " started " << due_ms[i] - started_ms
                                     << " ms before its time: " << job.dump();
  }
}

TEST(DelayedJobsTest, DelayAndAtHoldAJobScheduledUntilItsTime) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w");  // idle: only the delay keeps the jobs from it
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  // --delay counts from the CLI's clock, which reads after this.
  const TimeMs delay_due_ms = WallNowMs() + kDelayMs;
  CommandResult delayed = cluster.Jobq({"submit", "echo", "--arg", "i=1", "--delay", kDelay});
  ASSERT_EQ(delayed.exit_code, 0) << delayed.err;
  // An exact time, written in India's offset: the same instant.
  const TimeMs at_due_ms = WallNowMs() + kDelayMs;
  CommandResult at =
      cluster.Jobq({"submit", "echo", "--arg", "i=2", "--at", Rfc3339(at_due_ms, 5 * 60 + 30)});
  ASSERT_EQ(at.exit_code, 0) << at.err;
  const std::vector<std::string> ids = {JsonLines(delayed.out).at(0)["id"],
                                        JsonLines(at.out).at(0)["id"]};

  if (WallNowMs() < delay_due_ms - 1000) {  // else the machine was too slow to look in time
    EXPECT_EQ(Ids(cluster.AllJobs("scheduled")), ids);
    const std::vector<TimeMs> due = {delay_due_ms, at_due_ms};
    for (size_t i = 0; i < ids.size(); ++i) {
      nlohmann::json job = Job(cluster, ids[i]);
      EXPECT_EQ(job["state"], "scheduled") << job.dump();
      EXPECT_FALSE(job.contains("started_ms")) << job.dump();
      // jobq job shows when it is due: no earlier than asked, and not
      // later than the CLI's own clock could have put it.
      EXPECT_GE(job.value("due_ms", TimeMs{0}), due[i]) << job.dump();
      EXPECT_LE(job.value("due_ms", TimeMs{0}), WallNowMs() + kDelayMs + 1000) << job.dump();
    }
    EXPECT_EQ(ScheduledInStatus(cluster, "default"), 2u);
  }
  ExpectRunNoEarlierThan(cluster, ids, {delay_due_ms, at_due_ms});
  EXPECT_TRUE(cluster.AllJobs("scheduled").empty());
}

TEST(DelayedJobsTest, ScheduledJobsSurviveKillNineOfTheBrokerAndRunAfter) {
  Cluster cluster;
  const std::string store = "sqlite:" + cluster.dir().File("jobs.db");
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);

  // No worker yet. JSON Lines: one "delay", one "at".
  const TimeMs delay_due_ms = WallNowMs() + kRestartDelayMs;
  const TimeMs at_due_ms = delay_due_ms + 100;
  const std::string lines =
      std::string(R"({"task": "echo", "args": {"i": 1}, "delay": ")") + kRestartDelay + "\"}\n" +
      R"({"task": "echo", "args": {"i": 2}, "at": ")" + Rfc3339(at_due_ms, 0) + "\"}\n";
  CommandResult submitted = cluster.Jobq({"submit", "--file", "-"}, lines);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  const std::vector<std::string> ids = Ids(JsonLines(submitted.out));
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(Ids(cluster.AllJobs("scheduled")), ids);

  cluster.KillBroker();
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);
  if (WallNowMs() < delay_due_ms - 1000) {
    EXPECT_EQ(Ids(cluster.AllJobs("scheduled")), ids) << "recovered as scheduled";
  }

  cluster.StartWorker("after");
  ExpectRunNoEarlierThan(cluster, ids, {delay_due_ms, at_due_ms});
}

TEST(DelayedJobsTest, ATimeInThePastRunsNow) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w");
  for (const char* at : {"2001-01-01T00:00:00Z", "1999-12-31T23:59:59-08:00"}) {
    CommandResult run = cluster.Jobq({"submit", "echo", "--at", at, "--wait"},
                                     /*input=*/"", std::chrono::seconds(30));
    ASSERT_EQ(run.exit_code, 0) << at << ": " << run.err;
    EXPECT_EQ(JsonLines(run.out).at(0)["state"], "succeeded") << run.out;
  }
  CommandResult zero = cluster.Jobq({"submit", "echo", "--delay", "0", "--wait"});
  ASSERT_EQ(zero.exit_code, 0) << zero.err;
}

TEST(DelayedJobsTest, BadTimesAreUsageErrorsAndNothingIsSubmitted) {
  Cluster cluster;
  cluster.StartBroker();

  CommandResult date_only = cluster.Jobq({"submit", "echo", "--at", "2026-12-24"});
  EXPECT_EQ(date_only.exit_code, 2);
  EXPECT_NE(date_only.err.find("--at must be an RFC 3339 time with a UTC offset, such as "
                               "2026-12-24T18:00:00Z"),
            std::string::npos)
      << date_only.err;
  EXPECT_NE(date_only.err.find("got \"2026-12-24\""), std::string::npos) << date_only.err;

  CommandResult both =
      cluster.Jobq({"submit", "echo", "--delay", "1m", "--at", "2026-12-24T18:00:00Z"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;

  CommandResult file =
      cluster.Jobq({"submit", "--file", "-"},
                   "{\"task\": \"echo\", \"delay\": \"1m\"}\n"
                   "{\"task\": \"echo\", \"delay\": 60, \"at\": \"2026-12-24T18:00:00Z\"}\n");
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_NE(file.err.find("stdin line 2: give either \"delay\""), std::string::npos) << file.err;
  EXPECT_NE(file.err.find("nothing was submitted"), std::string::npos) << file.err;

  EXPECT_TRUE(cluster.AllJobs().empty()) << "a refused input sends nothing";
}

}  // namespace
}  // namespace jobq::testing
