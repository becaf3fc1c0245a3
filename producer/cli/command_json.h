#pragma once
// The JSON `jobq purge|pause|resume|drain --json` print; the dashboard's
// POST /api/queues/NAME/... and /api/workers/NAME/drain answer with the
// same objects. One line, no newline. Pure; thread-safe.

#include <string>

#include "jobq/admin.pb.h"

namespace jobq::cli {

// {"queue","cancelled"}
std::string FormatPurgeJson(const std::string& queue, const admin::PurgeQueueResponse& response);
// {"queue","paused"}: `paused` false after a resume.
std::string FormatPauseJson(const std::string& queue, bool paused);
// {"worker","queues":[...],"in_flight"}
std::string FormatDrainJson(const std::string& worker, const admin::DrainWorkerResponse& response);

}  // namespace jobq::cli
