// Schedules kept by the broker with the real binaries (issue 17, item 2):
// `jobq schedule add|list|show|pause|resume|remove|run`, --overlap skip, bad
// input, and the issue's "done when": a schedule --every 1s fires exactly
// once per second across kill -9 of the broker, with no duplicates.
// Every firing makes a job keyed jobq:schedule:NAME@MS (MS: the instant),
// so the jobs' keys show which instants fired; "when" is judged by the
// broker's own clock (the keys, submitted_ms, next_fire), never the test's.
// Waits poll a condition with a deadline; nothing asserts on timing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;

// "2026-12-07T03:56:14.000Z" (what `jobq schedule --json` prints) as unix
// ms; nullopt for null or anything else.
std::optional<TimeMs> Rfc3339Ms(const nlohmann::json& value) {
  if (!value.is_string()) {
    return std::nullopt;
  }
  std::tm fields{};
  int millis = 0;
  char zulu = 0;
  if (std::sscanf(value.get<std::string>().c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c",
                  &fields.tm_year, &fields.tm_mon, &fields.tm_mday, &fields.tm_hour, &fields.tm_min,
                  &fields.tm_sec, &millis, &zulu) != 8 ||
      zulu != 'Z') {
    return std::nullopt;
  }
  fields.tm_year -= 1900;
  fields.tm_mon -= 1;
  return static_cast<TimeMs>(timegm(&fields)) * 1000 + millis;
}

// The firing instant in a job's key when it is one of `name`'s firings.
std::optional<TimeMs> FiringInstant(const nlohmann::json& job, const std::string& name) {
  const std::string prefix = "jobq:schedule:" + name + "@";
  const std::string key = job.value("key", std::string());
  if (key.rfind(prefix, 0) != 0) {
    return std::nullopt;
  }
  return std::stoll(key.substr(prefix.size()));
}

// The jobs of `name`'s firings, every page of `jobq jobs --json`.
std::vector<nlohmann::json> FiringJobs(Cluster& cluster, const std::string& name) {
  std::vector<nlohmann::json> jobs;
  for (nlohmann::json& job : cluster.AllJobs()) {
    if (FiringInstant(job, name)) {
      jobs.push_back(std::move(job));
    }
  }
  return jobs;
}

// The latest firing instant among `jobs` of `name`; 0 when none.
TimeMs LatestInstant(const std::vector<nlohmann::json>& jobs, const std::string& name) {
  TimeMs latest = 0;
  for (const nlohmann::json& job : jobs) {
    latest = std::max(latest, FiringInstant(job, name).value_or(0));
  }
  return latest;
}

// `jobq schedule ACTION NAME --json`'s one object; null when it failed.
nlohmann::json ScheduleJson(Cluster& cluster, const std::string& action, const std::string& name) {
  CommandResult shown = cluster.Jobq({"schedule", action, name, "--json"});
  EXPECT_EQ(shown.exit_code, 0) << action << " " << name << ": " << shown.err;
  std::vector<nlohmann::json> lines = JsonLines(shown.out);
  return lines.size() == 1 ? lines[0] : nlohmann::json();
}

uint64_t Fired(Cluster& cluster, const std::string& name) {
  return ScheduleJson(cluster, "show", name).value("fired", uint64_t{0});
}

// `jobq schedule list --json`, by name.
std::map<std::string, nlohmann::json> ListSchedules(Cluster& cluster) {
  CommandResult listed = cluster.Jobq({"schedule", "list", "--json"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  std::map<std::string, nlohmann::json> schedules;
  for (nlohmann::json& line : JsonLines(listed.out)) {
    const std::string name = line.value("name", std::string());
    schedules[name] = std::move(line);
  }
  return schedules;
}

nlohmann::json Job(Cluster& cluster, const std::string& id) {
  CommandResult shown = cluster.Jobq({"job", id, "--json"});
  EXPECT_EQ(shown.exit_code, 0) << id << ": " << shown.err;
  std::vector<nlohmann::json> lines = JsonLines(shown.out);
  return lines.empty() ? nlohmann::json() : lines[0];
}

bool IsLive(const nlohmann::json& job) {
  const std::string state = job.value("state", std::string());
  return state == "queued" || state == "scheduled" || state == "running";
}

TEST(SchedulesTest, EverySecondFiresOncePerSecondAcrossKillNine) {
  Cluster cluster;
  const std::string store = "sqlite:" + cluster.dir().File("jobs.db");
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);
  cluster.StartWorker("w");

  CommandResult added = cluster.Jobq(
      {"schedule", "add", "tick", "--every", "1s", "noop", "--catch-up", "all", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::optional<TimeMs> created_ms = Rfc3339Ms(JsonLines(added.out).at(0)["created"]);
  ASSERT_TRUE(created_ms) << added.out;

  ASSERT_TRUE(WaitFor([&] { return FiringJobs(cluster, "tick").size() >= 3; }));
  cluster.KillBroker();
  // Down over two firing instants at least, which the restarted broker
  // must fire late, each (with one, --catch-up one would do the same):
  // wait for the clock to pass them (the broker is dead, so there is
  // nothing else to wait for).
  const TimeMs down_over_ms = (WallNowMs() / 1000 + 1) * 1000;
  ASSERT_TRUE(WaitFor([&] { return WallNowMs() > down_over_ms + 1000; }));
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);
  // Only to know how long to wait: past the instants it was down over.
  const TimeMs restarted_ms = WallNowMs();
  ASSERT_TRUE(WaitFor([&] {
    return LatestInstant(FiringJobs(cluster, "tick"), "tick") >= restarted_ms + 2000;
  })) << cluster.broker().Stderr();

  // Paused, it makes no more jobs: the list below is all there is.
  nlohmann::json paused = ScheduleJson(cluster, "pause", "tick");
  EXPECT_EQ(paused["state"], "paused") << paused.dump();
  const std::vector<nlohmann::json> jobs = FiringJobs(cluster, "tick");

  std::set<std::string> ids;
  std::set<std::string> keys;
  std::vector<TimeMs> instants;
  for (const nlohmann::json& job : jobs) {
    ids.insert(job.value("id", std::string()));
    keys.insert(job.value("key", std::string()));
    const TimeMs instant = *FiringInstant(job, "tick");
    instants.push_back(instant);
    EXPECT_EQ(instant % 1000, 0) << "not a whole second: " << job.dump();
    EXPECT_GE(job.value("submitted_ms", TimeMs{0}), instant)
        << "created before its firing instant: " << job.dump();
    EXPECT_EQ(job.value("task", std::string()), "noop") << job.dump();
  }
  EXPECT_EQ(ids.size(), jobs.size()) << "a job listed twice";
  EXPECT_EQ(keys.size(), jobs.size()) << "two jobs for one firing instant";
  std::sort(instants.begin(), instants.end());
  ASSERT_GE(instants.size(), 3u);
  // The first whole second after it was added, then every second, without
  // a gap, through the time the broker was down and past it.
  EXPECT_EQ(instants.front(), (*created_ms / 1000 + 1) * 1000);
  for (size_t i = 1; i < instants.size(); ++i) {
    EXPECT_EQ(instants[i] - instants[i - 1], 1000)
        << "after the firing at " << instants[i - 1] << " ms";
  }
  EXPECT_GE(instants.back(), restarted_ms + 2000);
  for (const TimeMs down_ms : {down_over_ms, down_over_ms + 1000}) {
    EXPECT_TRUE(std::binary_search(instants.begin(), instants.end(), down_ms))
        << "no job for " << down_ms << ", when the broker was down";
  }

  // The broker's own count agrees, and it skipped nothing.
  EXPECT_EQ(paused.value("fired", uint64_t{0}), jobs.size()) << paused.dump();
  EXPECT_EQ(paused.value("skipped", uint64_t{1}), 0u) << paused.dump();
  EXPECT_EQ(Rfc3339Ms(paused["last_fire"]), instants.back()) << paused.dump();

  // Ordinary jobs: the worker, back after the restart, runs them all.
  std::vector<std::string> wait = {"wait"};
  wait.insert(wait.end(), ids.begin(), ids.end());
  CommandResult waited = cluster.Jobq(wait);
  EXPECT_EQ(waited.exit_code, 0) << waited.out << waited.err;
}

// The sorted firing instants of `name`'s jobs after checking that no
// instant has two jobs, and that every instant from the first on either
// made one job or was counted as skipped: none is lost, none is doubled.
std::vector<TimeMs> CheckEachInstantOnce(Cluster& cluster, const std::string& name,
                                         const nlohmann::json& schedule) {
  const std::vector<nlohmann::json> jobs = FiringJobs(cluster, name);
  std::vector<TimeMs> instants;
  for (const nlohmann::json& job : jobs) {
    instants.push_back(*FiringInstant(job, name));
    EXPECT_GE(job.value("submitted_ms", TimeMs{0}), instants.back())
        << "created before its firing instant: " << job.dump();
  }
  std::sort(instants.begin(), instants.end());
  EXPECT_EQ(std::adjacent_find(instants.begin(), instants.end()), instants.end())
      << name << ": two jobs for one firing instant";
  EXPECT_EQ(schedule.value("fired", uint64_t{0}), jobs.size()) << schedule.dump();
  if (!instants.empty()) {
    const uint64_t span = static_cast<uint64_t>(instants.back() - instants.front()) / 1000 + 1;
    EXPECT_EQ(jobs.size() + schedule.value("skipped", uint64_t{0}), span)
        << name << ": instants neither fired nor skipped, or counted twice; " << schedule.dump();
  }
  return instants;
}

// The number of holes in a run of instants a second apart.
size_t Gaps(const std::vector<TimeMs>& instants) {
  size_t gaps = 0;
  for (size_t i = 1; i < instants.size(); ++i) {
    gaps += instants[i] - instants[i - 1] > 1000 ? 1 : 0;
  }
  return gaps;
}

TEST(SchedulesTest, CatchUpDecidesTheFiringsTheBrokerWasDownOver) {
  Cluster cluster;
  const std::string store = "sqlite:" + cluster.dir().File("jobs.db");
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);
  const std::vector<std::string> policies = {"none", "one", "all"};
  for (const std::string& policy : policies) {
    CommandResult added = cluster.Jobq(
        {"schedule", "add", "late-" + policy, "--every", "1s", "noop", "--catch-up", policy});
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }
  ASSERT_TRUE(WaitFor([&] {
    for (const std::string& policy : policies) {
      if (Fired(cluster, "late-" + policy) < 1) {
        return false;
      }
    }
    return true;
  }));

  cluster.KillBroker();
  // Down over two firing instants at least: the broker is dead, so only
  // the clock can be waited for.
  const TimeMs first_missed_ms = (WallNowMs() / 1000 + 1) * 1000;
  const TimeMs second_missed_ms = first_missed_ms + 1000;
  ASSERT_TRUE(WaitFor([&] { return WallNowMs() > second_missed_ms; }));
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);
  const TimeMs restarted_ms = WallNowMs();
  ASSERT_TRUE(WaitFor([&] {
    for (const std::string& policy : policies) {
      const std::optional<TimeMs> last =
          Rfc3339Ms(ScheduleJson(cluster, "show", "late-" + policy)["last_fire"]);
      if (!last || *last < restarted_ms + 1000) {
        return false;
      }
    }
    return true;
  })) << cluster.broker().Stderr();

  std::map<std::string, std::vector<TimeMs>> instants;
  std::map<std::string, nlohmann::json> schedules;
  for (const std::string& policy : policies) {
    const std::string name = "late-" + policy;
    schedules[policy] = ScheduleJson(cluster, "pause", name);
    instants[policy] = CheckEachInstantOnce(cluster, name, schedules[policy]);
  }
  auto has = [&](const std::string& policy, TimeMs at) {
    return std::binary_search(instants[policy].begin(), instants[policy].end(), at);
  };
  // all: every instant it was down over, late; nothing skipped.
  EXPECT_TRUE(has("all", first_missed_ms) && has("all", second_missed_ms));
  EXPECT_EQ(Gaps(instants["all"]), 0u);
  EXPECT_EQ(schedules["all"]["skipped"], 0) << schedules["all"].dump();
  // one: one job for all of them, the latest; the others skipped.
  EXPECT_FALSE(has("one", first_missed_ms));
  EXPECT_EQ(Gaps(instants["one"]), 1u);
  EXPECT_GE(schedules["one"].value("skipped", uint64_t{0}), 1u) << schedules["one"].dump();
  // none: no job for any of them.
  EXPECT_FALSE(has("none", first_missed_ms) || has("none", second_missed_ms));
  EXPECT_EQ(Gaps(instants["none"]), 1u);
  EXPECT_GE(schedules["none"].value("skipped", uint64_t{0}), 2u) << schedules["none"].dump();
  for (const char* policy : {"one", "none"}) {
    EXPECT_THAT(schedules[policy].value("last_skip", std::string()), HasSubstr("--catch-up"))
        << schedules[policy].dump();
  }
}

TEST(SchedulesTest, ListShowPauseRunResumeRemoveAndARestartKeepsThem) {
  Cluster cluster;
  const std::string store = "sqlite:" + cluster.dir().File("jobs.db");
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);
  // No worker: the jobs stay queued, where they can be looked at.

  CommandResult added = cluster.Jobq({"schedule", "add", "report", "--every", "1s", "noop", "--arg",
                                      "k=v", "-q", "reports", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  nlohmann::json fresh = JsonLines(added.out).at(0);
  EXPECT_EQ(fresh["name"], "report");
  EXPECT_EQ(fresh["every"], "1s");
  EXPECT_EQ(fresh["every_ms"], 1000);
  EXPECT_EQ(fresh["task"], "noop");
  EXPECT_EQ(fresh["queue"], "reports");
  EXPECT_EQ(fresh["args"], (nlohmann::json{{"k", "v"}}));
  EXPECT_EQ(fresh["overlap"], "allow");
  EXPECT_EQ(fresh["catch_up"], "one");
  EXPECT_EQ(fresh["state"], "active");
  EXPECT_TRUE(fresh["last_job"].is_null()) << fresh.dump();
  EXPECT_EQ(fresh["fired"], 0);
  EXPECT_EQ(fresh["skipped"], 0);
  const std::optional<TimeMs> created_ms = Rfc3339Ms(fresh["created"]);
  const std::optional<TimeMs> first_ms = Rfc3339Ms(fresh["next_fire"]);
  ASSERT_TRUE(created_ms && first_ms) << fresh.dump();
  EXPECT_GT(*first_ms, *created_ms);

  std::map<std::string, nlohmann::json> listed = ListSchedules(cluster);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed["report"]["every_ms"], 1000) << listed["report"].dump();
  EXPECT_FALSE(listed["report"].contains("next_fires")) << "list leaves them to show";

  // show: the next ten firings, a second apart, from next_fire on.
  nlohmann::json shown = ScheduleJson(cluster, "show", "report");
  ASSERT_TRUE(shown.contains("next_fires")) << shown.dump();
  ASSERT_EQ(shown["next_fires"].size(), 10u) << shown.dump();
  EXPECT_EQ(Rfc3339Ms(shown["next_fires"][0]), Rfc3339Ms(shown["next_fire"])) << shown.dump();
  for (size_t i = 1; i < 10; ++i) {
    EXPECT_EQ(*Rfc3339Ms(shown["next_fires"][i]) - *Rfc3339Ms(shown["next_fires"][i - 1]), 1000)
        << shown.dump();
  }

  // Firings: last_job names the job of last_fire's instant.
  ASSERT_TRUE(WaitFor([&] { return Fired(cluster, "report") >= 2; }));
  nlohmann::json fired = ScheduleJson(cluster, "show", "report");
  ASSERT_TRUE(fired["last_job"].is_string()) << fired.dump();
  nlohmann::json last_job = Job(cluster, fired["last_job"]);
  EXPECT_EQ(last_job["queue"], "reports") << last_job.dump();
  EXPECT_EQ(last_job["state"], "queued") << last_job.dump();
  EXPECT_EQ(fired["last_job_state"], "queued") << fired.dump();
  EXPECT_EQ(FiringInstant(last_job, "report"), Rfc3339Ms(fired["last_fire"]))
      << last_job.dump() << fired.dump();

  // Paused: no next firing, and none while the broker's clock moves on (a
  // second schedule's firings show it does).
  nlohmann::json paused = ScheduleJson(cluster, "pause", "report");
  EXPECT_EQ(paused["state"], "paused") << paused.dump();
  EXPECT_TRUE(paused["next_fire"].is_null()) << paused.dump();
  const uint64_t fired_paused = paused.value("fired", uint64_t{0});
  const std::optional<TimeMs> last_before_pause = Rfc3339Ms(paused["last_fire"]);
  ASSERT_TRUE(last_before_pause) << paused.dump();
  CommandResult clock = cluster.Jobq({"schedule", "add", "clock", "--every", "1s", "noop"});
  ASSERT_EQ(clock.exit_code, 0) << clock.err;
  ASSERT_TRUE(WaitFor([&] { return Fired(cluster, "clock") >= 2; }));
  nlohmann::json still = ScheduleJson(cluster, "show", "report");
  EXPECT_EQ(still["state"], "paused") << still.dump();
  EXPECT_TRUE(still["next_fire"].is_null()) << still.dump();
  EXPECT_FALSE(still.contains("next_fires") && !still["next_fires"].empty()) << still.dump();
  EXPECT_EQ(still.value("fired", uint64_t{0}), fired_paused) << still.dump();
  EXPECT_EQ(FiringJobs(cluster, "report").size(), fired_paused);

  // run: one job now, paused or not; not a firing (no key).
  CommandResult ran = cluster.Jobq({"schedule", "run", "report", "--json"});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  const std::string run_id = JsonLines(ran.out).at(0).value("id", std::string());
  nlohmann::json run_job = Job(cluster, run_id);
  EXPECT_EQ(run_job["state"], "queued") << run_job.dump();
  EXPECT_EQ(run_job["queue"], "reports") << run_job.dump();
  EXPECT_EQ(run_job["task"], "noop") << run_job.dump();
  nlohmann::json after_run = ScheduleJson(cluster, "show", "report");
  EXPECT_EQ(after_run["last_job"], run_id) << after_run.dump();
  EXPECT_EQ(after_run.value("fired", uint64_t{0}), fired_paused + 1) << after_run.dump();

  // Durable: kill -9, and the restarted broker still has both schedules,
  // with their counts, state and last job.
  cluster.KillBroker();
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);
  listed = ListSchedules(cluster);
  ASSERT_EQ(listed.size(), 2u);
  ASSERT_TRUE(listed.count("clock"));
  nlohmann::json restored = listed["report"];
  EXPECT_EQ(restored["state"], "paused") << restored.dump();
  EXPECT_EQ(restored.value("fired", uint64_t{0}), fired_paused + 1) << restored.dump();
  EXPECT_EQ(restored["last_job"], run_id) << restored.dump();
  EXPECT_EQ(restored["last_job_state"], "queued") << restored.dump();
  EXPECT_EQ(restored["args"], (nlohmann::json{{"k", "v"}})) << restored.dump();
  EXPECT_EQ(Rfc3339Ms(restored["created"]), created_ms) << restored.dump();

  // Resumed: it fires from now on; the instants it was paused over make
  // no job.
  nlohmann::json resumed = ScheduleJson(cluster, "resume", "report");
  EXPECT_EQ(resumed["state"], "active") << resumed.dump();
  const std::optional<TimeMs> resumed_next = Rfc3339Ms(resumed["next_fire"]);
  ASSERT_TRUE(resumed_next) << resumed.dump();
  EXPECT_GE(*resumed_next - *last_before_pause, 2000) << "an instant passed while paused";
  ASSERT_TRUE(WaitFor([&] { return Fired(cluster, "report") >= fired_paused + 2; }));
  std::vector<nlohmann::json> jobs = FiringJobs(cluster, "report");
  EXPECT_GE(jobs.size(), fired_paused + 1);
  for (const nlohmann::json& job : jobs) {
    const TimeMs instant = *FiringInstant(job, "report");
    EXPECT_FALSE(instant > *last_before_pause && instant < *resumed_next)
        << "fired while paused: " << job.dump();
  }

  // remove: gone from the broker, its jobs stay.
  CommandResult removed = cluster.Jobq({"schedule", "remove", "report", "--json"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(JsonLines(removed.out).at(0)["removed"], true) << removed.out;
  listed = ListSchedules(cluster);
  EXPECT_EQ(listed.size(), 1u);
  EXPECT_TRUE(listed.count("clock"));
  CommandResult gone = cluster.Jobq({"schedule", "show", "report"});
  EXPECT_EQ(gone.exit_code, kExitRefused) << gone.out << gone.err;
  EXPECT_GE(FiringJobs(cluster, "report").size(), jobs.size());
  EXPECT_EQ(Job(cluster, run_id)["state"], "queued");
}

TEST(SchedulesTest, OverlapSkipSkipsFiringsWhileTheLastJobRuns) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w");
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  // A task three times as long as the interval.
  CommandResult added = cluster.Jobq({"schedule", "add", "slow", "--every", "1s", "sleep", "--arg",
                                      "seconds=3", "--overlap", "skip"});
  ASSERT_EQ(added.exit_code, 0) << added.err;

  size_t most_live = 0;
  nlohmann::json schedule;
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::vector<nlohmann::json> jobs = FiringJobs(cluster, "slow");
        const size_t live = std::count_if(jobs.begin(), jobs.end(), IsLive);
        most_live = std::max(most_live, live);
        const size_t done = std::count_if(jobs.begin(), jobs.end(), [](const nlohmann::json& job) {
          return job.value("state", std::string()) == "succeeded";
        });
        schedule = ScheduleJson(cluster, "show", "slow");
        return done >= 1 && jobs.size() >= 2 && schedule.value("skipped", uint64_t{0}) >= 3;
      },
      std::chrono::seconds(40)))
      << schedule.dump();
  EXPECT_LE(most_live, 1u) << "two of its jobs queued or running at once";
  EXPECT_THAT(schedule.value("last_skip", std::string()), HasSubstr("--overlap skip"))
      << schedule.dump();

  ScheduleJson(cluster, "pause", "slow");
  std::vector<nlohmann::json> jobs = FiringJobs(cluster, "slow");
  std::sort(jobs.begin(), jobs.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return *FiringInstant(a, "slow") < *FiringInstant(b, "slow");
  });
  // On the broker's clock: each job was made after the one before finished.
  for (size_t i = 1; i < jobs.size(); ++i) {
    ASSERT_TRUE(jobs[i - 1].contains("finished_ms")) << jobs[i - 1].dump();
    EXPECT_GE(jobs[i].value("submitted_ms", TimeMs{0}), jobs[i - 1]["finished_ms"].get<TimeMs>())
        << jobs[i - 1].dump() << " " << jobs[i].dump();
  }
  // Each job ran past at least two of the instants it skipped.
  EXPECT_GE(*FiringInstant(jobs[1], "slow") - *FiringInstant(jobs[0], "slow"), 3000);
}

TEST(SchedulesTest, BadInputIsRefusedByNameAndNothingIsHalfCreated) {
  Cluster cluster;
  cluster.StartBroker();
  // Once a year: it makes no job while the test runs.
  CommandResult kept = cluster.Jobq({"schedule", "add", "yearly", "--cron", "0 0 1 1 *", "noop"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;

  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"add", "b", "--cron", "61 * * * *", "noop"}, kExitUsage, "minute field \"61\""},
      {{"add", "b", "--cron", "0 25 * * *", "noop"}, kExitUsage, "hour field \"25\""},
      {{"add", "b", "--cron", "0 0 * * funday", "noop"}, kExitUsage, "day-of-week field"},
      {{"add", "b", "--cron", "* * * *", "noop"}, kExitUsage, "4 fields, want 5"},
      {{"add", "b", "--cron", "@fortnightly", "noop"}, kExitUsage, "unknown macro"},
      {{"add", "b", "--cron", "0 0 * * *", "--tz", "Mars/Olympus", "noop"},
       kExitUsage,
       "unknown time zone \"Mars/Olympus\""},
      {{"add", "b", "--every", "0s", "noop"}, kExitUsage, "out of range: 1s to 366d"},
      {{"add", "b", "noop"}, kExitUsage, "either --cron EXPR or --every DURATION"},
      {{"add", "b", "--cron", "0 * * * *", "--every", "1s", "noop"},
       kExitUsage,
       "--cron excludes --every"},
      {{"add", "bad name", "--every", "1s", "noop"}, kExitUsage, "may hold only letters"},
      {{"add", "b", "--every", "1s", "--tz", "UTC", "noop"}, kExitUsage, "--tz requires --cron"},
      {{"add", "yearly", "--every", "1s", "noop"}, kExitRefused, "\"yearly\" exists"},
      {{"show", "nope"}, kExitRefused, "no schedule named \"nope\""},
      {{"pause", "nope"}, kExitRefused, "no schedule named \"nope\""},
      {{"resume", "nope"}, kExitRefused, "no schedule named \"nope\""},
      {{"remove", "nope"}, kExitRefused, "no schedule named \"nope\""},
      {{"run", "nope"}, kExitRefused, "no schedule named \"nope\""},
      {{"resume", "yearly"}, kExitRefused, "not paused"},
  };
  for (const Case& bad : cases) {
    std::vector<std::string> args = {"schedule"};
    args.insert(args.end(), bad.args.begin(), bad.args.end());
    CommandResult result = cluster.Jobq(args);
    const std::string shown = ::testing::PrintToString(bad.args);
    EXPECT_EQ(result.exit_code, bad.exit_code) << shown << ": " << result.out << result.err;
    EXPECT_THAT(result.err, HasSubstr(bad.says)) << shown;
    EXPECT_TRUE(result.out.empty()) << shown << ": " << result.out;
  }

  CommandResult paused = cluster.Jobq({"schedule", "pause", "yearly"});
  EXPECT_EQ(paused.exit_code, 0) << paused.err;
  CommandResult again = cluster.Jobq({"schedule", "pause", "yearly"});
  EXPECT_EQ(again.exit_code, kExitRefused) << again.err;
  EXPECT_THAT(again.err, HasSubstr("paused already"));

  // The firings' keys are the broker's own.
  CommandResult reserved = cluster.Jobq({"submit", "noop", "--key", "jobq:anything"});
  EXPECT_EQ(reserved.exit_code, kExitRefused) << reserved.out << reserved.err;
  EXPECT_TRUE(reserved.Says("bad_request")) << reserved.out << reserved.err;
  EXPECT_TRUE(reserved.Says("\\\"jobq:\\\"") || reserved.Says("\"jobq:\""))
      << reserved.out << reserved.err;

  CommandResult unreachable =
      cluster.Jobq({"schedule", "list", "--admin", "127.0.0.1:" + std::to_string(FreeTcpPort())});
  EXPECT_EQ(unreachable.exit_code, kExitUsage) << unreachable.out << unreachable.err;
  EXPECT_THAT(unreachable.err, HasSubstr("cannot reach"));

  // Nothing half-made: the one schedule, as added, and no job.
  std::map<std::string, nlohmann::json> listed = ListSchedules(cluster);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed.at("yearly")["cron"], "0 0 1 1 *") << listed.at("yearly").dump();
  EXPECT_EQ(listed.at("yearly")["fired"], 0) << listed.at("yearly").dump();
  EXPECT_TRUE(cluster.AllJobs().empty());
  EXPECT_TRUE(cluster.broker().Running()) << cluster.broker().Stderr();
}

}  // namespace
}  // namespace jobq::testing
