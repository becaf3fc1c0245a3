#pragma once
// TLS for the admin service (jobq-broker --admin-tls-cert/--admin-tls-key):
// reads the PEM files and checks them with OpenSSL before gRPC sees them,
// because gRPC only logs a bad certificate or a key that does not match it
// and then fails to listen, which would read like a port in use.

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace jobq::broker::admin {

// Server credentials presenting `cert_path` (a PEM chain, the server's
// certificate first) with `key_path` (its PEM private key). No client
// certificates are asked for: clients authenticate with bearer tokens.
// InvalidArgument naming the file and what is wrong: unreadable, not PEM,
// or a key that does not belong to the certificate.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> LoadAdminTlsCredentials(
    const std::string& cert_path, const std::string& key_path);

}  // namespace jobq::broker::admin
