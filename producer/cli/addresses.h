#pragma once
// Where the CLI finds the broker: the `--broker` / `--admin` flag given
// after the subcommand, else the one before it, else JOBQ_BROKER /
// JOBQ_ADMIN, else the default. Pure; thread-safe.

#include <string>
#include <string_view>

namespace jobq::cli {

inline constexpr char kBrokerEnv[] = "JOBQ_BROKER";
inline constexpr char kAdminEnv[] = "JOBQ_ADMIN";
inline constexpr std::string_view kDefaultAdminAddress = "127.0.0.1:50051";

// The first non-empty of the arguments. `env_value` may be null (unset).
std::string ResolveAddress(std::string_view command_flag, std::string_view global_flag,
                           const char* env_value, std::string_view fallback);

// A ZeroMQ endpoint from what people type: "host:port" gets "tcp://"; an
// address that names its transport ("ipc://...", "tcp://...") is kept. In a
// list of brokers ("a:5555, b:5555"), each item alike.
std::string NormalizeBrokerEndpoint(std::string_view address);

}  // namespace jobq::cli
