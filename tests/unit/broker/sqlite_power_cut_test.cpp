// A power cut right after Commit returned: what SqliteStore acknowledged
// must be on disk, not only in the page cache. A kill -9 cannot tell the
// two apart (the kernel still writes the page cache out), so a store
// running with synchronous=OFF passes ACommittedJobSurvivesKillMinus9.
// Here PowerCutVfs (tests/support) drops every write not fsync'ed, and the
// test that runs the store with less than FULL shows that it can fail.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/store/job_record.h"
#include "broker/store/sqlite_store.h"
#include "common/job_id.h"
#include "tests/support/power_cut_vfs.h"
#include "tests/unit/broker/sqlite_test_dir.h"

namespace jobq::broker::store {
namespace {

using ::jobq::testing::PowerCutVfs;

class SqlitePowerCutTest : public SqliteDirTest {
 protected:
  core::Job Job(const std::string& task) {
    core::Job job;
    job.id = ids_.Next(1'700'000'000'000 + (++now_));
    job.spec.set_queue("default");
    job.spec.set_task(task);
    job.spec.set_payload(std::string(3000, 'p'));  // compared byte for byte after the cut
    job.submitted_ms = 1'700'000'000'000 + now_;
    return job;
  }

  // Runs `use` on a store opened through PowerCutVfs in a child process,
  // which then cuts the power and ends at once: no close, no checkpoint.
  // `use` returns what went wrong, or "". Fails the test when the child did.
  void UseThenCutPower(const std::function<std::string(SqliteStore&)>& use) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      _exit(RunChild(use));
    }
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFEXITED(wait_status)) << "the child died of signal " << WTERMSIG(wait_status);
    ASSERT_EQ(WEXITSTATUS(wait_status), 0) << "the child failed: see its stderr above";
  }

  // The jobs a store opened normally (the default VFS) finds afterwards.
  std::map<JobId, core::Job> Survivors() {
    std::map<JobId, core::Job> by_id;
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) {
      return by_id;
    }
    absl::StatusOr<Recovered> recovered = (*store)->Recover();
    EXPECT_TRUE(recovered.ok()) << recovered.status();
    if (!recovered.ok()) {
      return by_id;
    }
    for (core::Job& job : recovered->jobs) {
      by_id.emplace(job.id, std::move(job));
    }
    return by_id;
  }

 private:
  int RunChild(const std::function<std::string(SqliteStore&)>& use) {
    PowerCutVfs vfs;
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
    std::string failure = store.ok() ? use(**store) : std::string(store.status().message());
    if (failure.empty()) {
      if (absl::Status cut = vfs.CutPower(); !cut.ok()) {
        failure = cut.ToString();
      }
    }
    if (!failure.empty()) {
      std::fprintf(stderr, "child: %s\n", failure.c_str());
      return 1;
    }
    // Never closed (a close would checkpoint): the power is gone. Nothing
    // touches the connection, or the VFS it points to, before _exit.
    (void)store->release();
    return 0;
  }

  JobIdGenerator ids_{42};
  int64_t now_ = 0;
};

// "" when `status` is OK, else why, for the child to report.
std::string Why(const absl::Status& status, const char* what) {
  return status.ok() ? "" : std::string(what) + ": " + status.ToString();
}

absl::Status CommitJobs(Store& store, const std::vector<const core::Job*>& changed) {
  return store.Commit(CommitBatch{changed, {}, {}, {}});
}

TEST_F(SqlitePowerCutTest, EveryAcknowledgedCommitSurvivesAPowerCut) {
  const core::Job first = Job("first");
  core::Job first_running = first;
  first_running.state = wire::JOB_STATE_RUNNING;
  first_running.attempt = 1;
  const core::Job second = Job("second");
  UseThenCutPower([&](SqliteStore& store) {
    std::string why = Why(CommitJobs(store, {&first}), "commit 1");
    if (!why.empty()) {
      return why;
    }
    // The last commit both adds a job and changes one: all of it must stay.
    return Why(CommitJobs(store, {&first_running, &second}), "commit 2");
  });

  const std::map<JobId, core::Job> survivors = Survivors();
  ASSERT_EQ(survivors.size(), 2u);
  for (const core::Job* job : std::vector<const core::Job*>{&first_running, &second}) {
    ASSERT_EQ(survivors.count(job->id), 1u) << job->spec.task();
    EXPECT_EQ(survivors.at(job->id).spec.task(), job->spec.task());
    EXPECT_EQ(survivors.at(job->id).state, job->state) << job->spec.task();
    EXPECT_EQ(survivors.at(job->id).attempt, job->attempt) << job->spec.task();
    EXPECT_EQ(survivors.at(job->id).spec.payload(), job->spec.payload());
  }
}

// The same power cut with the WAL not fsync'ed at commit (OFF: never;
// NORMAL: only at checkpoints): the job committed last is gone, while the
// one committed under FULL before it stays. Proves the power cut above
// loses what was not synced, and so that it would catch a store that
// acknowledged before its data was durable.
class SqlitePowerCutBelowFullTest : public SqlitePowerCutTest,
                                    public ::testing::WithParamInterface<const char*> {};

TEST_P(SqlitePowerCutBelowFullTest, LosesTheCommitThatWasNotSynced) {
  const core::Job synced = Job("synced");
  const core::Job unsynced = Job("unsynced");
  UseThenCutPower([&](SqliteStore& store) {
    std::string why = Why(CommitJobs(store, {&synced}), "commit under FULL");
    if (!why.empty()) {
      return why;
    }
    why = Why(store.SetSynchronousForTest(GetParam()), "set synchronous");
    if (!why.empty()) {
      return why;
    }
    why = Why(CommitJobs(store, {&unsynced}), "commit below FULL");
    if (!why.empty()) {
      return why;
    }
    // Committed for SQLite, before the power cut: the loss below is the
    // power cut's doing.
    absl::StatusOr<Recovered> before = store.Recover();
    if (!before.ok()) {
      return Why(before.status(), "recover before the cut");
    }
    return before->jobs.size() == 2 ? std::string()
                                    : "recover before the cut found " +
                                          std::to_string(before->jobs.size()) + " jobs, not 2";
  });

  const std::map<JobId, core::Job> survivors = Survivors();
  EXPECT_EQ(survivors.count(synced.id), 1u) << "what FULL synced must survive";
  EXPECT_EQ(survivors.count(unsynced.id), 0u)
      << "synchronous=" << GetParam() << " lost nothing: the power cut did not cut";
  EXPECT_EQ(survivors.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(OffAndNormal, SqlitePowerCutBelowFullTest,
                         ::testing::Values("OFF", "NORMAL"));

}  // namespace
}  // namespace jobq::broker::store
