// jobq-bench-admin-scan: how long one admin query holds the broker's loop
// thread with many jobs kept. The loop runs ListJobs and PurgeQueue itself,
// between two batches of messages, so the time of one call is the stall
// every producer and worker sees meanwhile (issue target: no call over
// 5 ms with 1,000,000 jobs kept).
//
//   jobq-bench-admin-scan [--jobs N] [--sqlite PATH]
//
// With --sqlite it measures nothing: it writes the same jobs into a new
// SQLite store at PATH, for a real broker to start on
// (bench/jobq/dashboard_jobs_page.sh times the dashboard's pages there).
//
// The jobs are restored into a BrokerCore as a store would hand them over
// at start: N finished jobs over 10 queues and 49 tasks, 1 % of them dead,
// plus 10,000 queued in queue q0 for the purge. Each query pages through
// its answer 100 jobs at a time, as `jobq jobs` does, and the slowest and
// median page are printed as "FIGURE admin_scan <name>_max_ms <value>".
// For comparison, "full_walk" is one pass over every kept job with the
// filter test, which is what each page cost before the index.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "bench/jobq/flag_parsing.h"
#include "broker/core/broker_core.h"
#include "broker/store/sqlite_store.h"

namespace {

using jobq::JobId;
using jobq::broker::core::BrokerCore;
using jobq::broker::core::Job;
using jobq::broker::core::JobFilter;
using jobq::broker::core::JobPage;
namespace wire = jobq::wire;

constexpr jobq::bench::Usage kUsage = {"jobq-bench-admin-scan",
                                       "usage: jobq-bench-admin-scan [--jobs N] [--sqlite PATH]\n"};
constexpr size_t kQueues = 10;
// Prime to kDeadEvery, so that a task holds a few dead jobs, not all or none.
constexpr size_t kTasks = 49;
constexpr size_t kDeadEvery = 100;
constexpr size_t kQueuedToPurge = 10'000;
constexpr jobq::TimeMs kNowMs = 1'800'000'000'000;
// Jobs per transaction when writing a store: the broker's own batches are
// smaller; this only fills a file.
constexpr size_t kJobsPerCommit = 100'000;

double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

std::vector<Job> MakeJobs(size_t finished) {
  jobq::JobIdGenerator ids(/*seed=*/1);
  std::vector<Job> jobs;
  jobs.reserve(finished + kQueuedToPurge);
  for (size_t i = 0; i < finished + kQueuedToPurge; ++i) {
    Job& job = jobs.emplace_back();
    job.id = ids.Next(kNowMs - 3'600'000 + static_cast<jobq::TimeMs>(i / 1000));
    // StrCat, not "q" + to_string: GCC 12's -O3 -Wrestrict false positive.
    job.spec.set_queue(absl::StrCat("q", i < finished ? i % kQueues : 0));
    job.spec.set_task(absl::StrCat("t", i % kTasks));
    job.spec.set_max_attempts(1);
    job.submitted_ms = kNowMs - 3'600'000;
    if (i >= finished) {
      job.state = wire::JOB_STATE_QUEUED;
      continue;
    }
    job.attempt = 1;
    job.finished_ms = kNowMs - 1000;
    job.state = i % kDeadEvery == 0 ? wire::JOB_STATE_DEAD : wire::JOB_STATE_SUCCEEDED;
  }
  return jobs;
}

// Pages through `filter` as `jobq jobs` does; prints the slowest and the
// median page.
void PageThrough(const BrokerCore& core, const char* name, JobFilter filter) {
  std::vector<double> page_ms;
  size_t listed = 0;
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    const JobPage page = core.ListJobs(filter);
    page_ms.push_back(MillisecondsSince(start));
    listed += page.jobs.size();
    if (!page.next_after) {
      break;
    }
    filter.after = page.next_after;
  }
  std::sort(page_ms.begin(), page_ms.end());
  std::printf("FIGURE admin_scan %s_max_ms %.3f\n", name, page_ms.back());
  std::printf("FIGURE admin_scan %s_median_ms %.3f\n", name, page_ms[page_ms.size() / 2]);
  std::printf("NOTE admin_scan %s: %zu jobs in %zu pages\n", name, listed, page_ms.size());
}

// What a page cost before the index: one pass over every kept job.
void FullWalk(const std::vector<Job>& jobs) {
  absl::node_hash_map<JobId, const Job*> by_id;
  for (const Job& job : jobs) {
    by_id.emplace(job.id, &job);
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<const Job*> matching;
  for (const auto& [id, job] : by_id) {
    if (job->state == wire::JOB_STATE_DEAD) {
      matching.push_back(job);
    }
  }
  const size_t keep = std::min<size_t>(101, matching.size());
  std::partial_sort(matching.begin(), matching.begin() + static_cast<std::ptrdiff_t>(keep),
                    matching.end(), [](const Job* a, const Job* b) { return a->id < b->id; });
  std::printf("FIGURE admin_scan full_walk_ms %.3f\n", MillisecondsSince(start));
}

// Writes `jobs` into a new SQLite store at `path`, as the broker would have
// committed them. Exits 1 with a message when the store refuses.
void WriteStore(const std::string& path, const std::vector<Job>& jobs) {
  auto store = jobq::broker::store::SqliteStore::Open(path);
  if (!store.ok()) {
    std::fprintf(stderr, "jobq-bench-admin-scan: %s\n",
                 std::string(store.status().message()).c_str());
    std::exit(1);
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<const Job*> batch;
  for (size_t first = 0; first < jobs.size(); first += kJobsPerCommit) {
    batch.clear();
    for (size_t i = first; i < std::min(jobs.size(), first + kJobsPerCommit); ++i) {
      batch.push_back(&jobs[i]);
    }
    jobq::broker::store::CommitBatch commit;
    commit.changed = batch;
    if (absl::Status committed = (*store)->Commit(commit); !committed.ok()) {
      std::fprintf(stderr, "jobq-bench-admin-scan: %s\n", std::string(committed.message()).c_str());
      std::exit(1);
    }
  }
  std::printf("NOTE admin_scan wrote %zu jobs to %s in %.1f s\n", jobs.size(), path.c_str(),
              MillisecondsSince(start) / 1000);
}

}  // namespace

int main(int argc, char** argv) {
  size_t finished = 1'000'000;
  auto jobs_flag = [&](const std::string& value) {
    if (!jobq::bench::ParseWholeNumber(value, &finished) || finished < kQueues) {
      kUsage.Exit("--jobs takes a whole number of at least 10, not \"" + value + "\"");
    }
  };
  std::string sqlite_path;
  auto sqlite_flag = [&](const std::string& value) {
    if (value.empty()) {
      kUsage.Exit("--sqlite takes the path of a store file to create");
    }
    sqlite_path = value;
  };
  jobq::bench::ParseFlagPairs(argc, argv, kUsage,
                              {{"--jobs", jobs_flag}, {"--sqlite", sqlite_flag}});
  std::vector<Job> jobs = MakeJobs(finished);
  if (!sqlite_path.empty()) {
    WriteStore(sqlite_path, jobs);
    return 0;
  }
  FullWalk(jobs);

  BrokerCore core(jobq::broker::core::CoreOptions{});
  const size_t kept = jobs.size();
  core.Restore(std::move(jobs), {}, kNowMs);
  std::printf("NOTE admin_scan %zu jobs kept\n", kept);

  JobFilter dead;
  dead.state = wire::JOB_STATE_DEAD;
  PageThrough(core, "dead", dead);
  JobFilter dead_of_task = dead;
  dead_of_task.task = "t7";  // sparse: 1 in 4,900 jobs
  PageThrough(core, "dead_task", dead_of_task);
  JobFilter one_queue;
  one_queue.queue = "q3";
  JobFilter first_page;
  const auto start = std::chrono::steady_clock::now();
  (void)core.ListJobs(first_page);
  std::printf("FIGURE admin_scan first_page_ms %.3f\n", MillisecondsSince(start));
  PageThrough(core, "queue", one_queue);

  jobq::broker::core::Effects effects;
  const auto purge_start = std::chrono::steady_clock::now();
  const std::optional<size_t> purged = core.PurgeQueue("q0", kNowMs, &effects);
  std::printf("FIGURE admin_scan purge_%zu_ms %.3f\n", purged.value_or(0),
              MillisecondsSince(purge_start));
  return 0;
}
