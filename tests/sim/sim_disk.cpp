#include "tests/sim/sim_disk.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

namespace jobq::testing {

std::string SimStorePath(const std::string& name, uint64_t seed) {
  std::error_code error;
  const std::string directory =
      std::filesystem::is_directory("/dev/shm", error) && ::access("/dev/shm", W_OK) == 0
          ? std::string("/dev/shm")
          : std::filesystem::temp_directory_path().string();
  return directory + "/jobq-" + name + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(seed) + ".db";
}

void RemoveSimStore(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path + suffix, ignored);
  }
}

}  // namespace jobq::testing
