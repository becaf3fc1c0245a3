#include "broker/migrate/store_tally.h"

#include <algorithm>
#include <functional>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "broker/store/job_record.h"
#include "common/job_state.h"

namespace jobq::broker::migrate {
namespace {

uint64_t Digest(absl::string_view bytes) {
  return std::hash<std::string_view>{}(std::string_view(bytes.data(), bytes.size()));
}

std::string Plural(size_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

template <typename Entry, typename Key>
void SortBy(std::vector<Entry>* entries, Key key) {
  std::sort(entries->begin(), entries->end(),
            [&](const Entry& a, const Entry& b) { return key(a) < key(b); });
}

// The first entry of one list that the other lacks or holds differently.
template <typename Entry, typename Key, typename Show>
absl::Status CompareKind(absl::string_view kind, const std::vector<Entry>& source,
                         const std::vector<Entry>& copy, Key key, Show show) {
  auto counts = [&] {
    return absl::StrCat(" (the source holds ", source.size(), ", the copy ", copy.size(), ")");
  };
  size_t i = 0;
  size_t j = 0;
  while (i < source.size() || j < copy.size()) {
    if (j == copy.size() || (i < source.size() && key(source[i]) < key(copy[j]))) {
      return absl::DataLossError(
          absl::StrCat("the copy lacks ", kind, " ", show(source[i]), counts()));
    }
    if (i == source.size() || key(copy[j]) < key(source[i])) {
      return absl::DataLossError(absl::StrCat("the copy has ", kind, " ", show(copy[j]),
                                              ", which the source lacks", counts()));
    }
    if (source[i].digest != copy[j].digest) {
      return absl::DataLossError(
          absl::StrCat("the copy of ", kind, " ", show(source[i]), " differs from the source's"));
    }
    ++i;
    ++j;
  }
  return absl::OkStatus();
}

}  // namespace

StoreTally Tally(const store::Recovered& recovered) {
  StoreTally tally;
  tally.jobs.reserve(recovered.jobs.size());
  std::string bytes;
  for (const core::Job& job : recovered.jobs) {
    ++tally.jobs_by_state[static_cast<int>(job.state)];
    bytes.clear();
    store::ToRecord(job).SerializeToString(&bytes);
    tally.jobs.push_back({job.id, Digest(bytes)});
  }
  for (const core::SentinelMark& mark : recovered.sentinels) {
    tally.sentinels.push_back({mark.id, Digest(mark.queue)});
  }
  for (const store::ScheduleRecord& schedule : recovered.schedules) {
    tally.schedules.push_back({schedule.spec().name(), Digest(schedule.SerializeAsString())});
  }
  for (const core::LimitRecord& limit : recovered.limits) {
    // Queue and task apart by a NUL, which neither may hold: "a/b" and
    // ("a", "b") are two limits.
    std::string key = absl::StrCat(limit.queue, absl::string_view("\0", 1), limit.task);
    const std::string fields = absl::StrCat(limit.rate.count, " ", limit.rate.period_ms, " ",
                                            limit.burst, " ", limit.concurrency);
    tally.limits.push_back({std::move(key), Digest(fields)});
  }
  for (const store::WorkflowRecord& workflow : recovered.workflows) {
    const JobId id = JobId::FromBytes(workflow.id()).value_or(JobId());
    tally.workflows.push_back({id, Digest(workflow.SerializeAsString())});
  }
  auto by_id = [](const StoreTally::IdEntry& entry) { return entry.id; };
  auto by_name = [](const StoreTally::NamedEntry& entry) { return entry.name; };
  SortBy(&tally.jobs, by_id);
  SortBy(&tally.sentinels, by_id);
  SortBy(&tally.schedules, by_name);
  SortBy(&tally.limits, by_name);
  SortBy(&tally.workflows, by_id);
  return tally;
}

absl::Status CompareTallies(const StoreTally& source, const StoreTally& copy) {
  auto id = [](const StoreTally::IdEntry& entry) { return entry.id; };
  auto name = [](const StoreTally::NamedEntry& entry) { return entry.name; };
  auto show_id = [](const StoreTally::IdEntry& entry) { return entry.id.ToString(); };
  auto show_name = [](const StoreTally::NamedEntry& entry) {
    return absl::StrCat("\"", entry.name, "\"");
  };
  auto show_limit = [](const StoreTally::NamedEntry& entry) {
    const size_t nul = entry.name.find('\0');
    const absl::string_view task = absl::string_view(entry.name).substr(nul + 1);
    return absl::StrCat("of queue \"", entry.name.substr(0, nul), "\"",
                        task.empty() ? "" : absl::StrCat(" task \"", task, "\""));
  };
  for (absl::Status status :
       {CompareKind("job", source.jobs, copy.jobs, id, show_id),
        CompareKind("sentinel", source.sentinels, copy.sentinels, id, show_id),
        CompareKind("schedule", source.schedules, copy.schedules, name, show_name),
        CompareKind("limit", source.limits, copy.limits, name, show_limit),
        CompareKind("workflow", source.workflows, copy.workflows, id, show_id)}) {
    if (!status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

std::string DescribeTally(const StoreTally& tally) {
  std::vector<std::string> states;
  for (const auto& [state, count] : tally.jobs_by_state) {
    states.push_back(
        absl::StrCat(count, " ", std::string(JobStateName(static_cast<wire::JobState>(state)))));
  }
  std::string jobs = Plural(tally.jobs.size(), "job", "jobs");
  if (!states.empty()) {
    absl::StrAppend(&jobs, " (", absl::StrJoin(states, ", "), ")");
  }
  return absl::StrCat(jobs, ", ", Plural(tally.sentinels.size(), "sentinel", "sentinels"), ", ",
                      Plural(tally.schedules.size(), "schedule", "schedules"), ", ",
                      Plural(tally.limits.size(), "limit", "limits"), ", ",
                      Plural(tally.workflows.size(), "workflow", "workflows"));
}

}  // namespace jobq::broker::migrate
