#include "producer/client/remote_error.h"

#include <utility>

namespace jobq {

RemoteError::RemoteError(std::string type, std::string message, std::string detail,
                         std::optional<JobId> id)
    : std::runtime_error(type + ": " + message),
      type_(std::move(type)),
      message_(std::move(message)),
      detail_(std::move(detail)),
      id_(id) {}

}  // namespace jobq
