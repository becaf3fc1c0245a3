#include "broker/admin_flags.h"

#include "absl/strings/str_cat.h"
#include "broker/admin/admin_tokens.h"
#include "common/loopback.h"

namespace jobq::broker {
namespace {

bool AdminTls(const BrokerConfig& config) { return !config.admin_tls_cert.empty(); }

bool AdminTokens(const BrokerConfig& config) { return !config.admin_tokens.empty(); }

// The recipe both refusals end with.
constexpr const char* kHowToProtect =
    "  openssl req -x509 -newkey rsa:3072 -nodes -days 365 -subj /CN=HOST \\\n"
    "    -addext subjectAltName=DNS:HOST -keyout admin.key -out admin.crt\n"
    "  printf 'admin %s\\nread %s\\n' \"$(openssl rand -hex 32)\" \"$(openssl rand -hex 32)\" "
    "> admin.tokens\n"
    "  jobq-broker --admin-tls-cert admin.crt --admin-tls-key admin.key "
    "--admin-tokens admin.tokens ...\n"
    "  (the jobq CLI then takes --admin-ca admin.crt and JOBQ_TOKEN or --token-file)\n";

}  // namespace

void AddAdminSecurityFlags(CLI::App& app, BrokerConfig* config) {
  app.add_option("--admin-tls-cert", config->admin_tls_cert,
                 "PEM certificate chain of the admin service (server certificate first): "
                 "serves --admin over TLS; needs --admin-tls-key")
      ->envname("JOBQ_ADMIN_TLS_CERT");
  app.add_option("--admin-tls-key", config->admin_tls_key,
                 "PEM private key of --admin-tls-cert (unencrypted)")
      ->envname("JOBQ_ADMIN_TLS_KEY");
  app.add_option("--admin-tokens", config->admin_tokens_file,
                 "bearer tokens of the admin service, one per line: \"read TOKEN\" (status, "
                 "lists, watch, results) or \"admin TOKEN\" (everything); # comments; tokens of "
                 "16 characters or more. Without it every admin call is allowed")
      ->envname("JOBQ_ADMIN_TOKENS");
  app.add_option("--health", config->health,
                 "HOST:PORT of an extra plaintext gRPC listener serving only grpc.health.v1 "
                 "(for probes that can do neither TLS nor tokens); off unless given")
      ->envname("JOBQ_HEALTH_LISTEN");
}

std::string CheckAdminSecurityFlags(BrokerConfig* config) {
  if (config->admin_tls_cert.empty() != config->admin_tls_key.empty()) {
    return config->admin_tls_cert.empty()
               ? "--admin-tls-key needs --admin-tls-cert (the certificate it belongs to)"
               : "--admin-tls-cert needs --admin-tls-key (the certificate's private key)";
  }
  if (!config->admin_tokens_file.empty()) {
    absl::StatusOr<std::vector<admin::AdminToken>> tokens =
        admin::LoadAdminTokens(config->admin_tokens_file);
    if (!tokens.ok()) {
      return absl::StrCat("--admin-tokens: ", tokens.status().message());
    }
    config->admin_tokens = *std::move(tokens);
  }
  return "";
}

std::string CheckAdminProtectedMode(const BrokerConfig& config) {
  if (IsLoopbackAddress(config.admin)) {
    return "";
  }
  if (AdminTokens(config) && !AdminTls(config)) {
    return absl::StrCat(
        "refusing to serve admin RPCs on ", config.admin,
        " with --admin-tokens but without TLS: the tokens would cross the network in clear "
        "text (--insecure does not change this).\nAdd --admin-tls-cert and --admin-tls-key:\n",
        kHowToProtect, "or listen on loopback only (--admin 127.0.0.1:PORT).");
  }
  if ((AdminTokens(config) && AdminTls(config)) || config.insecure) {
    return "";
  }
  return absl::StrCat(
      "refusing to serve admin RPCs on ", config.admin, " without ",
      AdminTls(config) ? "--admin-tokens" : "TLS and --admin-tokens",
      ": anyone who can reach it could cancel and purge jobs or shut the broker down.\n"
      "Either protect it with TLS and tokens:\n",
      kHowToProtect,
      "or listen on loopback only (--admin 127.0.0.1:PORT), or, on a network you trust, add "
      "--insecure.");
}

std::string AdminInsecureWarning(const BrokerConfig& config) {
  if (IsLoopbackAddress(config.admin) || (AdminTokens(config) && AdminTls(config))) {
    return "";
  }
  return absl::StrCat("--insecure: the admin service on ", config.admin, " has ",
                      AdminTls(config) ? "no --admin-tokens" : "neither TLS nor --admin-tokens",
                      "; anyone who can reach it can cancel, purge and shut down");
}

std::string CheckHttpProtectedMode(const BrokerConfig& config) {
  if (config.http.empty() || IsLoopbackAddress(config.http)) {
    return "";
  }
  if (AdminTokens(config) && !AdminTls(config)) {
    return absl::StrCat(
        "refusing to serve the dashboard on ", config.http,
        " with --admin-tokens but without TLS: the tokens and session cookies would cross the "
        "network in clear text (--insecure does not change this).\nAdd --admin-tls-cert and "
        "--admin-tls-key (--http then serves HTTPS):\n",
        kHowToProtect, "or listen on loopback only (--http 127.0.0.1:PORT).");
  }
  if ((AdminTokens(config) && AdminTls(config)) || config.insecure) {
    return "";
  }
  return absl::StrCat(
      "refusing to serve the dashboard on ", config.http, " without ",
      AdminTls(config) ? "--admin-tokens" : "TLS and --admin-tokens",
      ": anyone who can reach it could see every job and cancel, purge or retry them.\n"
      "Either protect it with TLS and tokens (--http then serves HTTPS; log in with a token):\n",
      kHowToProtect,
      "or listen on loopback only (--http 127.0.0.1:PORT), or, on a network you trust, add "
      "--insecure.");
}

std::string HttpInsecureWarning(const BrokerConfig& config) {
  if (config.http.empty() || IsLoopbackAddress(config.http) ||
      (AdminTokens(config) && AdminTls(config))) {
    return "";
  }
  return absl::StrCat("--insecure: the dashboard on ", config.http, " has ",
                      AdminTls(config) ? "no --admin-tokens" : "neither TLS nor --admin-tokens",
                      "; anyone who can reach it can see, cancel, purge and retry jobs");
}

}  // namespace jobq::broker
