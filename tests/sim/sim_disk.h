#pragma once
// Where the simulations keep their SQLite files: on /dev/shm when it can be
// written (a run commits thousands of batches; tmpfs makes fsync free), else
// the temporary directory. Not thread-safe.

#include <cstdint>
#include <string>

namespace jobq::testing {

// A store path for run `seed` of simulation `name`, unique to this process.
std::string SimStorePath(const std::string& name, uint64_t seed);
// Removes the store and its -wal and -shm files; missing ones are fine.
void RemoveSimStore(const std::string& path);

}  // namespace jobq::testing
