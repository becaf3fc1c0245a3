// A test plugin whose registration fails, as a plugin that cannot work here
// (a missing licence, a library it needs) would.

#include "worker/tasks/plugin_api.h"

extern "C" void jobq_register_tasks_v1(jobq::worker::TaskRegistry*, absl::Status* status) {
  *status = absl::FailedPreconditionError("the licence file /etc/example.lic is missing");
}
