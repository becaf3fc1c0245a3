#pragma once
// Starting and stopping a civetweb server, shared by the two listeners
// that use it: --metrics (metrics_server.h) and --http (broker/http).

#include "absl/status/statusor.h"

struct mg_context;
struct mg_callbacks;

namespace jobq::broker::metrics {

struct CivetwebStarted {
  mg_context* context = nullptr;
  int port = 0;  // the first listening port, as bound (0 asks for a free one)
};

// mg_init_library, then mg_start2 with `options` (name/value pairs ending
// in nullptr), `callbacks` and `user_data`; on success the context and
// its first port. On failure nothing is left running: UNAVAILABLE with
// civetweb's own text (the caller says which listener and what to do), or
// INTERNAL when it listens on no port.
absl::StatusOr<CivetwebStarted> StartCivetweb(const char* const* options,
                                              const mg_callbacks& callbacks, void* user_data);

// Finishes the requests in progress and stops what StartCivetweb started.
void StopCivetweb(mg_context* context);

}  // namespace jobq::broker::metrics
