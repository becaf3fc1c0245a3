// A test plugin with one new task and one whose name ("echo") every worker
// has already: loading it must add neither.

#include "worker/tasks/plugin_api.h"

namespace {

std::string Null(jobq::worker::TaskContext&) { return "null"; }

}  // namespace

extern "C" void jobq_register_tasks_v1(jobq::worker::TaskRegistry* registry, absl::Status* status) {
  *status = registry->Register("clash_only", jobq::worker::TaskKind::kIo, Null);
  if (status->ok()) {
    *status = registry->Register("echo", jobq::worker::TaskKind::kIo, Null);
  }
}
