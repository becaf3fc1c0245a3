#include "broker/migrate/migrate_store.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"

namespace jobq::broker::migrate {
namespace {

using Steady = std::chrono::steady_clock;

template <typename T>
std::span<const T> Slice(const std::vector<T>& all, size_t begin, size_t count) {
  const size_t from = std::min(begin, all.size());
  return std::span<const T>(all).subspan(from, std::min(count, all.size() - from));
}

absl::Status Prefixed(absl::string_view side, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(side, ": ", status.message()));
}

// Two names of one SQLite file would have the second open refused as "in
// use by another process", which would send the operator looking for a
// broker that is not there.
absl::Status CheckDistinct(const std::string& from, const std::string& to) {
  if (absl::StartsWith(from, "sqlite:") && absl::StartsWith(to, "sqlite:")) {
    std::error_code error;
    const auto a = std::filesystem::weakly_canonical(from.substr(7), error);
    const auto b = std::filesystem::weakly_canonical(to.substr(7), error);
    if (!error && a == b) {
      return absl::InvalidArgumentError(absl::StrCat("FROM and TO are the same file (", a.string(),
                                                     "); name the store to copy and a new one"));
    }
  }
  if (from == to) {
    return absl::InvalidArgumentError(
        "FROM and TO are the same store; name the store to copy and a new, empty one");
  }
  for (const std::string* spec : {&from, &to}) {
    if (*spec == "memory") {
      return absl::InvalidArgumentError(absl::StrCat(
          spec == &from ? "FROM" : "TO",
          ": memory keeps nothing once its broker stops; name an SQLite file or postgres://"));
    }
  }
  return absl::OkStatus();
}

// What to do with a TO that holds part of a copy, for the error that left it.
absl::Status PartCopied(const HeldStore& to, const absl::Status& status) {
  const std::string empty_it =
      to.is_sqlite()
          ? absl::StrCat("delete ", to.name().substr(7), " (with its -wal and -shm files)")
          : "empty it (TRUNCATE jobq_jobs, jobq_sentinels, jobq_schedules, jobq_limits, "
            "jobq_workflows; or dropdb and createdb)";
  return absl::Status(status.code(), absl::StrCat(status.message(), "; TO (", to.name(),
                                                  ") now holds part of the copy: ", empty_it,
                                                  " before running this again"));
}

// TO must be empty: a copy merged into another store's jobs could never be
// told apart from them, nor checked.
absl::Status CheckEmpty(HeldStore& to) {
  absl::StatusOr<store::Recovered> held = to.store().Recover();
  if (!held.ok()) {
    return Prefixed("TO", held.status());
  }
  const StoreTally tally = Tally(*held);
  if (tally.records() == 0) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "TO: ", to.name(), " already holds ", DescribeTally(tally),
      "; nothing was written. Copy into an empty store: a new SQLite file, or a new database "
      "(createdb)"));
}

// Every record of `from` into `to`, a batch at a time, each kind advancing
// together so that every transaction stays bounded.
absl::Status CopyInBatches(const store::Recovered& from, HeldStore& source, HeldStore& to,
                           size_t batch_records) {
  const size_t longest = std::max({from.jobs.size(), from.sentinels.size(), from.schedules.size(),
                                   from.limits.size(), from.workflows.size()});
  std::vector<const core::Job*> changed;
  for (size_t begin = 0; begin < longest; begin += batch_records) {
    changed.clear();
    for (const core::Job& job : Slice(from.jobs, begin, batch_records)) {
      changed.push_back(&job);
    }
    store::CommitBatch batch;
    batch.changed = changed;
    batch.sentinels_added = Slice(from.sentinels, begin, batch_records);
    batch.schedules_changed = Slice(from.schedules, begin, batch_records);
    batch.limits = Slice(from.limits, begin, batch_records);
    batch.workflows_changed = Slice(from.workflows, begin, batch_records);
    absl::Status committed = to.store().Commit(batch);
    if (!committed.ok()) {
      committed = Prefixed("TO", committed);
      return begin == 0 ? committed : PartCopied(to, committed);
    }
    for (const HeldStore* side : {&source, &to}) {
      if (absl::Status held = side->held(); !held.ok()) {
        return PartCopied(to, held);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MigrateReport> MigrateStore(const std::string& from, const std::string& to,
                                           const MigrateOptions& options) {
  const Steady::time_point start = Steady::now();
  JOBQ_RETURN_IF_ERROR(CheckDistinct(from, to));
  // FROM first: a refused FROM leaves a TO file that did not exist uncreated.
  JOBQ_ASSIGN_OR_RETURN(std::unique_ptr<HeldStore> source,
                        HeldStore::Open("FROM", from, options.hold));
  JOBQ_ASSIGN_OR_RETURN(std::unique_ptr<HeldStore> destination,
                        HeldStore::Open("TO", to, options.hold));
  JOBQ_RETURN_IF_ERROR(CheckEmpty(*destination));

  absl::StatusOr<store::Recovered> recovered = source->store().Recover();
  if (!recovered.ok()) {
    return Prefixed("FROM", recovered.status());
  }
  JOBQ_RETURN_IF_ERROR(source->held());
  const StoreTally source_tally = Tally(*recovered);
  JOBQ_RETURN_IF_ERROR(
      CopyInBatches(*recovered, *source, *destination, std::max<size_t>(options.batch_records, 1)));
  // The source's records are no longer needed: the check reads the copy
  // into the memory they held.
  *recovered = store::Recovered{};

  absl::StatusOr<store::Recovered> copied = destination->store().Recover();
  if (!copied.ok()) {
    return PartCopied(*destination, Prefixed("TO: reading the copy back", copied.status()));
  }
  const StoreTally copy_tally = Tally(*copied);
  *copied = store::Recovered{};
  if (absl::Status same = CompareTallies(source_tally, copy_tally); !same.ok()) {
    return PartCopied(*destination, Prefixed("TO: the copy is not the source", same));
  }
  // Still held at the end: no broker can have written to either meanwhile.
  for (const HeldStore* side : {source.get(), destination.get()}) {
    if (absl::Status held = side->held(); !held.ok()) {
      return PartCopied(*destination, held);
    }
  }
  MigrateReport report;
  report.from = source->name();
  report.to = destination->name();
  report.copied = source_tally;
  report.took = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - start);
  return report;
}

std::string DescribeReport(const MigrateReport& report) {
  return absl::StrFormat("copied %s from %s to %s and checked the copy, in %.1f s",
                         DescribeTally(report.copied), report.from, report.to,
                         static_cast<double>(report.took.count()) / 1000.0);
}

}  // namespace jobq::broker::migrate
