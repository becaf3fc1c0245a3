#include "producer/cli/admin_credentials.h"

#include <grpc/support/log.h>
#include <grpcpp/support/client_interceptor.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/loopback.h"

namespace jobq::cli {
namespace {

constexpr std::string_view kBlanks = " \t\r\n";

std::string Trimmed(const std::string& text) {
  const size_t start = text.find_first_not_of(kBlanks);
  if (start == std::string::npos) {
    return "";
  }
  return text.substr(start, text.find_last_not_of(kBlanks) - start + 1);
}

// The token travels as an HTTP/2 header value.
bool PrintableToken(const std::string& token) {
  for (char c : token) {
    if (c < 0x21 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> ReadCa(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read --admin-ca ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--admin-ca ", path,
                     " holds no PEM certificate; give the CA that signed the broker's "
                     "certificate, or the broker's self-signed certificate itself"));
  }
  return text.str();
}

// Adds "authorization: Bearer TOKEN" to each call's metadata. An
// interceptor rather than grpc::AccessTokenCredentials because call
// credentials are refused on a plaintext channel, and a loopback broker
// may take tokens without TLS.
class BearerInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerInterceptor(std::shared_ptr<const std::string> header)
      : header_(std::move(header)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", *header_});
    }
    methods->Proceed();
  }

 private:
  std::shared_ptr<const std::string> header_;
};

class BearerInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerInterceptorFactory(const std::string& token)
      : header_(std::make_shared<const std::string>(absl::StrCat("Bearer ", token))) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new BearerInterceptor(header_);
  }

 private:
  std::shared_ptr<const std::string> header_;
};

}  // namespace

bool IsTlsFailure(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
    return false;
  }
  std::string lower = status.error_message();
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const char* word : {"ssl", "tls", "handshake", "certificate"}) {
    if (lower.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

namespace {

// gRPC's own log lines (a failed handshake, a refused connection) repeat
// what the failed call's status says, as free text on stderr; the CLI
// prints the status with a hint instead. GRPC_VERBOSITY still turns them on.
void QuietGrpcLogs() {
  if (std::getenv("GRPC_VERBOSITY") == nullptr) {
    gpr_set_log_function([](gpr_log_func_args*) {});
  }
}

}  // namespace

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read the token file ", path, ": ",
                                                   std::strerror(errno),
                                                   " (check --token-file or JOBQ_TOKEN_FILE)"));
  }
  std::string line;
  std::getline(in, line);
  std::string token = Trimmed(line);
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the token file ", path,
        " is empty (the token goes on its first line); ask the broker's operator for a token "
        "from its --admin-tokens file"));
  }
  return token;
}

absl::StatusOr<AdminCredentials> ResolveAdminCredentials(const AdminCredentialFlags& flags,
                                                         const std::string& address,
                                                         const EnvLookup& env) {
  auto variable = [&env](const char* name) {
    const char* value = env(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  AdminCredentials credentials;
  const std::string token_env = variable(kTokenEnv);
  const std::string token_file_env = variable(kTokenFileEnv);
  std::string token_file;
  if (!flags.token_file.empty()) {
    token_file = flags.token_file;
    credentials.token_source = absl::StrCat("--token-file ", token_file);
  } else if (!token_env.empty()) {
    credentials.token = Trimmed(token_env);
    credentials.token_source = kTokenEnv;
  } else if (!token_file_env.empty()) {
    token_file = token_file_env;
    credentials.token_source = absl::StrCat(kTokenFileEnv, "=", token_file);
  }
  if (!token_file.empty()) {
    absl::StatusOr<std::string> token = ReadTokenFile(token_file);
    if (!token.ok()) {
      return token.status();
    }
    credentials.token = *std::move(token);
  }
  if (!credentials.token_source.empty() && credentials.token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kTokenEnv,
                                                   " holds only blanks; set it to a "
                                                   "token, or unset it"));
  }
  if (!PrintableToken(credentials.token)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the token from ", credentials.token_source,
        " has spaces or control characters; a token is printable ASCII (check for a stray "
        "quote or a pasted line break)"));
  }

  credentials.ca_file = flags.ca_file.empty() ? variable(kAdminCaEnv) : flags.ca_file;
  credentials.tls_name = flags.tls_name.empty() ? variable(kAdminTlsNameEnv) : flags.tls_name;
  if (!credentials.ca_file.empty()) {
    absl::StatusOr<std::string> pem = ReadCa(credentials.ca_file);
    if (!pem.ok()) {
      return pem.status();
    }
    credentials.ca_pem = *std::move(pem);
  } else if (!credentials.tls_name.empty()) {
    return absl::InvalidArgumentError(
        "--admin-tls-name only applies to TLS; give --admin-ca (JOBQ_ADMIN_CA) too");
  }
  if (!credentials.token.empty() && credentials.ca_pem.empty() && !IsLoopbackAddress(address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to send the admin token in clear text to ", address,
        ": give --admin-ca (JOBQ_ADMIN_CA) with the CA or certificate the broker serves with "
        "--admin-tls-cert"));
  }
  return credentials;
}

std::shared_ptr<grpc::Channel> CreateAdminChannel(const std::string& address,
                                                  const AdminCredentials& credentials,
                                                  grpc::ChannelArguments arguments) {
  QuietGrpcLogs();
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
  if (credentials.ca_pem.empty()) {
    channel_credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = credentials.ca_pem;
    channel_credentials = grpc::SslCredentials(options);
    if (!credentials.tls_name.empty()) {
      arguments.SetSslTargetNameOverride(credentials.tls_name);
    }
  }
  if (credentials.token.empty()) {
    return grpc::CreateCustomChannel(address, channel_credentials, arguments);
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<BearerInterceptorFactory>(credentials.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, channel_credentials,
                                                                 arguments, std::move(factories));
}

std::string AdminFailureHint(const grpc::Status& status, const AdminCredentials& credentials,
                             bool connected) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      if (credentials.token.empty()) {
        return absl::StrCat("This broker wants a token from its --admin-tokens file: set ",
                            kTokenEnv, ", or --token-file FILE (", kTokenFileEnv, ").");
      }
      return absl::StrCat("The token from ", credentials.token_source,
                          " is not in the broker's --admin-tokens file: check it for a typo, "
                          "or ask the operator whether it was removed.");
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::StrCat("Use a token of an \"admin\" line of the broker's --admin-tokens file (",
                          kTokenEnv, " or --token-file).");
    case grpc::StatusCode::UNAVAILABLE:
      if (connected) {
        return "";
      }
      if (IsTlsFailure(status)) {
        return credentials.ca_pem.empty()
                   ? "The TLS handshake failed: give --admin-ca (JOBQ_ADMIN_CA) with the CA "
                     "or certificate the broker serves with --admin-tls-cert."
                   : absl::StrCat(
                         "The TLS handshake failed: is --admin-ca ", credentials.ca_file,
                         " the CA (or the self-signed certificate) of the broker's "
                         "--admin-tls-cert, and does that certificate name the host you connect "
                         "to? --admin-tls-name NAME sets the name to expect. (Or the broker "
                         "serves plaintext: then leave out --admin-ca.)");
      }
      return credentials.ca_pem.empty()
                 ? "If the broker serves TLS (--admin-tls-cert), give --admin-ca (JOBQ_ADMIN_CA)."
                 : "";
    default:
      return "";
  }
}

}  // namespace jobq::cli
