#include "worker/worker_config.h"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

namespace jobq::worker {

uint32_t DefaultIoThreads() {
  const uint32_t cores = std::thread::hardware_concurrency();
  return std::clamp<uint32_t>(2 * std::max<uint32_t>(1, cores), 1, kMaxIoThreads);
}

uint32_t DefaultCpuProcs() {
  const uint32_t cores = std::thread::hardware_concurrency();
  return std::clamp<uint32_t>(cores, 1, kMaxCpuProcs);
}

std::string LocalHostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') {
    return "localhost";
  }
  return name;
}

std::string DefaultWorkerName() { return LocalHostName() + "-" + std::to_string(getpid()); }

}  // namespace jobq::worker
