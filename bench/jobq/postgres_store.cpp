// jobq-bench-postgres-store: what the PostgreSQL store costs, against a
// server given by its connection string (use an empty database: the bench
// erases every job it wrote, and reads back everything).
//
//   jobq-bench-postgres-store --conninfo URI [--jobs N] [--batch B]
//                             [--recover-jobs M] [--payload BYTES]
//                             [--recover-only 1]
//
// Commit: N jobs go through the lifecycle the broker writes, in batches of
// B (one Commit each, as the loop's group commit): submitted (insert),
// running (update), succeeded and erased. Printed as jobs per second of
// each phase. Recover: M jobs written in batches of 10,000, then a new
// PostgresStore opened and Recover() timed (the store's read and the
// parse of every record). --recover-only 1 writes nothing and times the
// Recover of what the database holds (from an earlier run). Figures as
// "FIGURE postgres_store <name> <value>".

#include "broker/store/postgres_store.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/jobq/flag_parsing.h"

namespace {

using jobq::JobId;
using jobq::broker::core::Job;
using jobq::broker::store::CommitBatch;
using jobq::broker::store::PostgresStore;
namespace wire = jobq::wire;

constexpr jobq::bench::Usage kUsage = {
    "jobq-bench-postgres-store",
    "usage: jobq-bench-postgres-store --conninfo URI [--jobs N] [--batch B]\n"
    "                                 [--recover-jobs M] [--payload BYTES]\n"
    "                                 [--recover-only 1]\n"};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::vector<Job> MakeJobs(size_t count, size_t payload_bytes, uint64_t seed) {
  jobq::JobIdGenerator ids(seed);
  std::vector<Job> jobs(count);
  for (size_t i = 0; i < count; ++i) {
    Job& job = jobs[i];
    job.id = ids.Next(1'800'000'000'000 + static_cast<int64_t>(i / 1000));
    job.spec.set_queue("q" + std::to_string(i % 10));
    job.spec.set_task("task");
    job.spec.set_content_type("application/json");
    job.spec.set_payload(std::string(payload_bytes, 'p'));
    job.submitted_ms = 1'800'000'000'000;
    job.state = wire::JOB_STATE_QUEUED;
  }
  return jobs;
}

// Commits `jobs` in batches of `batch`, with `change` applied to each job
// first and erased when `erase`. Exits on an error.
double CommitAll(PostgresStore& store, std::vector<Job>& jobs, size_t batch, void (*change)(Job&),
                 bool erase) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<const Job*> changed;
  std::vector<JobId> erased;
  for (size_t at = 0; at < jobs.size(); at += batch) {
    changed.clear();
    erased.clear();
    for (size_t i = at; i < std::min(jobs.size(), at + batch); ++i) {
      change(jobs[i]);
      if (erase) {
        erased.push_back(jobs[i].id);
      } else {
        changed.push_back(&jobs[i]);
      }
    }
    if (absl::Status status = store.Commit(CommitBatch{changed, erased, {}, {}}); !status.ok()) {
      std::fprintf(stderr, "commit: %s\n", std::string(status.message()).c_str());
      std::exit(1);
    }
  }
  return static_cast<double>(jobs.size()) / Seconds(start);
}

// Opens a new store on `conninfo` and recovers it; exits unless it had
// `expected` jobs (any number when 0).
void TimeRecover(const std::string& conninfo, size_t expected);

std::unique_ptr<PostgresStore> OpenOrExit(const std::string& conninfo) {
  absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(conninfo);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    std::exit(1);
  }
  return std::move(*store);
}

void TimeRecover(const std::string& conninfo, size_t expected) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<PostgresStore> store = OpenOrExit(conninfo);
  absl::StatusOr<jobq::broker::store::Recovered> recovered = store->Recover();
  const double seconds = Seconds(start);
  if (!recovered.ok() || (expected != 0 && recovered->jobs.size() != expected)) {
    std::fprintf(
        stderr, "recover: %s\n",
        recovered.ok() ? "wrong count" : std::string(recovered.status().message()).c_str());
    std::exit(1);
  }
  std::printf("FIGURE postgres_store recover_jobs %zu\n", recovered->jobs.size());
  std::printf("FIGURE postgres_store recover_s %.2f\n", seconds);
}

}  // namespace

int main(int argc, char** argv) {
  std::string conninfo;
  size_t jobs_count = 200'000;
  size_t batch = 1000;
  size_t recover_jobs = 1'000'000;
  size_t payload = 100;
  size_t recover_only = 0;
  auto number = [](size_t* out) {
    return [out](const std::string& value) {
      if (!jobq::bench::ParseWholeNumber(value, out)) {
        kUsage.Exit("not a whole number: " + value);
      }
    };
  };
  jobq::bench::ParseFlagPairs(argc, argv, kUsage,
                              {{"--conninfo", jobq::bench::Text(&conninfo)},
                               {"--jobs", number(&jobs_count)},
                               {"--batch", number(&batch)},
                               {"--recover-jobs", number(&recover_jobs)},
                               {"--payload", number(&payload)},
                               {"--recover-only", number(&recover_only)}});
  if (conninfo.empty() || batch == 0) {
    kUsage.Exit(conninfo.empty() ? "--conninfo is required" : "--batch must be positive");
  }
  if (recover_only != 0) {
    TimeRecover(conninfo, 0);
    return 0;
  }
  std::unique_ptr<PostgresStore> store = OpenOrExit(conninfo);

  std::vector<Job> jobs = MakeJobs(jobs_count, payload, 1);
  const double submitted = CommitAll(
      *store, jobs, batch, [](Job&) {}, false);
  const double started = CommitAll(
      *store, jobs, batch,
      [](Job& job) {
        job.state = wire::JOB_STATE_RUNNING;
        job.attempt = 1;
        job.leased_to = "worker-1";
        job.started_ms = 1'800'000'000'001;
      },
      false);
  const double finished = CommitAll(
      *store, jobs, batch, [](Job& job) { job.state = wire::JOB_STATE_SUCCEEDED; }, true);
  std::printf("FIGURE postgres_store commit_insert_jobs_per_s %.0f\n", submitted);
  std::printf("FIGURE postgres_store commit_update_jobs_per_s %.0f\n", started);
  std::printf("FIGURE postgres_store commit_erase_jobs_per_s %.0f\n", finished);
  std::printf("FIGURE postgres_store commit_lifecycle_jobs_per_s %.0f\n",
              1.0 / (1.0 / submitted + 1.0 / started + 1.0 / finished));

  if (recover_jobs > 0) {
    std::vector<Job> kept = MakeJobs(recover_jobs, payload, 2);
    CommitAll(
        *store, kept, 10'000, [](Job&) {}, false);
    kept = {};
    store.reset();
    TimeRecover(conninfo, recover_jobs);
  }
  return 0;
}
