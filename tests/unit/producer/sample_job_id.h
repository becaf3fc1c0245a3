#pragma once
// The job id the CLI's table and output tests print and parse.

#include <string>

#include "common/job_id.h"

namespace jobq::cli {

inline constexpr char kSampleJobId[] = "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f";

inline std::string SampleJobIdBytes() { return std::string(JobId::Parse(kSampleJobId)->Bytes()); }

}  // namespace jobq::cli
