#pragma once
// Builders for the worker tests: dispatched jobs with readable defaults.

#include <cstdint>
#include <string>

#include "jobq/wire.pb.h"

namespace jobq::worker::testing {

// A 16-byte id whose last byte is `n`, so ids are distinct and printable.
inline std::string TestJobId(uint8_t n) {
  std::string id(16, '\0');
  id[15] = static_cast<char>(n);
  return id;
}

inline wire::DispatchedJob MakeJob(const std::string& task, const std::string& payload,
                                   uint8_t n = 1) {
  wire::DispatchedJob job;
  job.set_id(TestJobId(n));
  job.set_queue("default");
  job.set_task(task);
  job.set_payload(payload);
  job.set_content_type("application/json");
  job.set_kind(wire::KIND_IO);
  job.set_attempt(1);
  return job;
}

}  // namespace jobq::worker::testing
