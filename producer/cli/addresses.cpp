#include "producer/cli/addresses.h"

#include "absl/strings/str_cat.h"

namespace jobq::cli {

std::string ResolveAddress(std::string_view command_flag, std::string_view global_flag,
                           const char* env_value, std::string_view fallback) {
  if (!command_flag.empty()) {
    return std::string(command_flag);
  }
  if (!global_flag.empty()) {
    return std::string(global_flag);
  }
  if (env_value != nullptr && env_value[0] != '\0') {
    return env_value;
  }
  return std::string(fallback);
}

std::string NormalizeBrokerEndpoint(std::string_view address) {
  if (address.find("://") != std::string_view::npos) {
    return std::string(address);
  }
  return absl::StrCat("tcp://", std::string(address));
}

}  // namespace jobq::cli
