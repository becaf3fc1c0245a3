#include "broker/metrics/civetweb_start.h"

#include <civetweb.h>

#include <string>

namespace jobq::broker::metrics {

absl::StatusOr<CivetwebStarted> StartCivetweb(const char* const* options,
                                              const mg_callbacks& callbacks, void* user_data) {
  mg_init_library(0);
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = user_data;
  init.configuration_options = const_cast<const char**>(options);
  char error_text[256] = "";
  mg_error_data error{};
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  mg_context* context = mg_start2(&init, &error);
  if (context == nullptr) {
    mg_exit_library();
    return absl::UnavailableError(error_text);
  }
  mg_server_port port{};
  if (mg_get_server_ports(context, 1, &port) != 1 || port.port == 0) {
    StopCivetweb(context);
    return absl::InternalError("no listening port");
  }
  return CivetwebStarted{context, port.port};
}

void StopCivetweb(mg_context* context) {
  mg_stop(context);  // waits for the requests in progress
  mg_exit_library();
}

}  // namespace jobq::broker::metrics
