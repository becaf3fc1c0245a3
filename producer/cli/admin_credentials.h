#pragma once
// How the jobq CLI authenticates to the broker's admin service: a bearer
// token (JOBQ_TOKEN, or the first line of --token-file / JOBQ_TOKEN_FILE)
// sent as "authorization: Bearer TOKEN" on every call, over TLS when
// --admin-ca / JOBQ_ADMIN_CA names the CA (or the self-signed certificate)
// to trust. Thread-compatible.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace jobq::cli {

inline constexpr char kTokenEnv[] = "JOBQ_TOKEN";
inline constexpr char kTokenFileEnv[] = "JOBQ_TOKEN_FILE";
inline constexpr char kAdminCaEnv[] = "JOBQ_ADMIN_CA";
inline constexpr char kAdminTlsNameEnv[] = "JOBQ_ADMIN_TLS_NAME";

// What the flags say; empty: not given.
struct AdminCredentialFlags {
  std::string token_file;
  std::string ca_file;
  std::string tls_name;
};

struct AdminCredentials {
  std::string token;         // empty: no token is sent
  std::string token_source;  // where it came from, for messages ("JOBQ_TOKEN")
  std::string ca_pem;        // empty: plaintext
  std::string ca_file;
  std::string tls_name;  // empty: the host of the address
};

// getenv, or a fake in tests: null for an unset variable.
using EnvLookup = std::function<const char*(const char*)>;

// The token from, in this order, --token-file, JOBQ_TOKEN, JOBQ_TOKEN_FILE
// (an empty variable counts as unset), and the TLS settings from the flags,
// else JOBQ_ADMIN_CA / JOBQ_ADMIN_TLS_NAME. InvalidArgument saying what is
// wrong and what to do: an unreadable or empty file, a token with spaces or
// control characters, --admin-tls-name without --admin-ca, and a token that
// would go in clear text to an `address` off loopback.
absl::StatusOr<AdminCredentials> ResolveAdminCredentials(const AdminCredentialFlags& flags,
                                                         const std::string& address,
                                                         const EnvLookup& env);

// The first line of `path`, trimmed; InvalidArgument when unreadable or empty.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// A channel to `address` with `credentials`: TLS when a CA is given, and
// the token on every call when one is.
std::shared_ptr<grpc::Channel> CreateAdminChannel(const std::string& address,
                                                  const AdminCredentials& credentials,
                                                  grpc::ChannelArguments arguments);

// Whether a failed call's message says the TLS handshake failed.
bool IsTlsFailure(const grpc::Status& status);

// What to do about an admin call that failed with `status`; "" when there
// is nothing to add to the broker's own message. `connected`: the channel
// reached the broker (else nobody answered, or the TLS handshake failed).
std::string AdminFailureHint(const grpc::Status& status, const AdminCredentials& credentials,
                             bool connected);

}  // namespace jobq::cli
