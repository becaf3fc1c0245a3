#include "producer/cli/global_flags.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/curve_keys.h"
#include "producer/cli/addresses.h"

namespace jobq::cli {
namespace {

// A day: the client adds it to its clocks, which a larger value (1e300
// seconds) would overflow.
constexpr double kMaxConnectTimeoutSeconds = 86'400;

}  // namespace

absl::StatusOr<ClientOptions> MakeClientOptions(const GlobalFlags& global,
                                                std::string_view command_broker) {
  if (!std::isfinite(global.connect_timeout_seconds) || global.connect_timeout_seconds <= 0 ||
      global.connect_timeout_seconds > kMaxConnectTimeoutSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat("--connect-timeout must be a number of seconds above 0 and at most ",
                     kMaxConnectTimeoutSeconds, " (a day), got ", global.connect_timeout_seconds));
  }
  ClientOptions options;
  options.broker_endpoint = NormalizeBrokerEndpoint(ResolveAddress(
      command_broker, global.broker, std::getenv(kBrokerEnv), kDefaultBrokerEndpoint));
  options.connect_timeout_ms =
      std::max<int64_t>(1, std::llround(global.connect_timeout_seconds * 1000.0));
  if (!global.broker_key_file.empty() || !global.curve_key_file.empty()) {
    absl::StatusOr<curve::ClientKeys> keys =
        curve::LoadClientKeys(global.broker_key_file, global.curve_key_file);
    if (!keys.ok()) {
      return absl::InvalidArgumentError(keys.status().message());
    }
    options.curve_server_key = std::move(keys->server_public_key);
    options.curve_public_key = std::move(keys->own.public_key);
    options.curve_secret_key = std::move(keys->own.secret_key);
  }
  return options;
}

std::unique_ptr<Client> ConnectOrReport(const GlobalFlags& global,
                                        std::string_view command_broker) {
  absl::StatusOr<ClientOptions> options = MakeClientOptions(global, command_broker);
  if (!options.ok()) {
    PrintError(options.status().message());
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(*options);
  if (!client.ok()) {
    PrintError(DescribeClientFailure(client.status()));
    return nullptr;
  }
  return std::move(client).value();
}

void PrintError(absl::string_view message) {
  std::fflush(stdout);  // keep stdout lines before the error when both go to one terminal
  for (absl::string_view line : absl::StrSplit(message, '\n')) {
    std::fprintf(stderr, "jobq: %.*s\n", static_cast<int>(line.size()), line.data());
  }
}

std::string DescribeClientFailure(const absl::Status& status) {
  std::string message(status.message());
  if (absl::IsUnavailable(status)) {
    if (!message.empty() && message.back() != '?' && message.back() != '.') {
      message += '.';
    }
    absl::StrAppend(&message, " Set --broker or ", kBrokerEnv, " to the broker's frontend.");
  }
  return message;
}

}  // namespace jobq::cli
