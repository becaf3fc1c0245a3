#include "broker/admin/rpc_roles.h"

namespace jobq::broker::admin {

std::string_view RoleName(AdminRole role) { return role == AdminRole::kAdmin ? "admin" : "read"; }

const std::vector<std::pair<std::string_view, AdminRole>>& AdminRpcRoles() {
  // Read: answers from snapshots and the store, changes nothing (results
  // come with GetJob). Admin: changes jobs, queues, workers or the broker.
  static const auto* const kTable = new std::vector<std::pair<std::string_view, AdminRole>>{
      {"GetStatus", AdminRole::kRead},       {"WatchStatus", AdminRole::kRead},
      {"ListQueues", AdminRole::kRead},      {"ListWorkers", AdminRole::kRead},
      {"ListJobs", AdminRole::kRead},        {"GetJob", AdminRole::kRead},
      {"CancelJobs", AdminRole::kAdmin},     {"RetryJobs", AdminRole::kAdmin},
      {"PurgeQueue", AdminRole::kAdmin},     {"PauseQueue", AdminRole::kAdmin},
      {"ResumeQueue", AdminRole::kAdmin},    {"DrainWorker", AdminRole::kAdmin},
      {"Shutdown", AdminRole::kAdmin},       {"ListSchedules", AdminRole::kRead},
      {"GetSchedule", AdminRole::kRead},     {"AddSchedule", AdminRole::kAdmin},
      {"PauseSchedule", AdminRole::kAdmin},  {"ResumeSchedule", AdminRole::kAdmin},
      {"RemoveSchedule", AdminRole::kAdmin}, {"RunSchedule", AdminRole::kAdmin},
      {"SetLimit", AdminRole::kAdmin},       {"ClearLimit", AdminRole::kAdmin},
      {"ListLimits", AdminRole::kRead},      {"WatchJob", AdminRole::kRead},
      {"GetWorkflow", AdminRole::kRead},     {"ListWorkflows", AdminRole::kRead},
      {"CancelWorkflow", AdminRole::kAdmin},
  };
  return *kTable;
}

std::optional<AdminRole> RequiredRole(std::string_view rpc) {
  for (const auto& [name, role] : AdminRpcRoles()) {
    if (name == rpc) {
      return role;
    }
  }
  return std::nullopt;
}

}  // namespace jobq::broker::admin
