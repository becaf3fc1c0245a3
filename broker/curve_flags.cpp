#include "broker/curve_flags.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/loopback.h"

namespace jobq::broker {

std::string CheckCurveFlags(BrokerConfig* config) {
  const bool key = !config->curve_secret_key_file.empty();
  const bool producers = !config->producer_keys_file.empty();
  const bool workers = !config->worker_keys_file.empty();
  if (!key && !producers && !workers) {
    config->curve.reset();
    return "";
  }
  // Lists without a key would have no effect (nothing checks them), and a
  // key without both lists would leave one socket either open to any key
  // or closed to all: both are refused rather than guessed at.
  if (!key) {
    return "--producer-keys and --worker-keys need --curve-secret-key FILE (the broker's own "
           "key pair, from `jobq keygen broker`): without it nothing checks the lists";
  }
  if (!producers || !workers) {
    return absl::StrCat(
        "--curve-secret-key needs both --producer-keys FILE and --worker-keys FILE (allow-lists "
        "of public keys, one per line; `cat a.pub b.pub > FILE` makes one); missing: ",
        producers ? "--worker-keys"
        : workers ? "--producer-keys"
                  : "both");
  }
  curve::ServerKeys keys;
  absl::StatusOr<curve::KeyPair> server = curve::LoadKeyFile(config->curve_secret_key_file);
  if (!server.ok()) {
    return absl::StrCat("--curve-secret-key: ", server.status().message());
  }
  keys.server = *std::move(server);
  absl::StatusOr<curve::AllowList> producer_keys = curve::LoadAllowList(config->producer_keys_file);
  if (!producer_keys.ok()) {
    return absl::StrCat("--producer-keys: ", producer_keys.status().message());
  }
  keys.producers = *std::move(producer_keys);
  absl::StatusOr<curve::AllowList> worker_keys = curve::LoadAllowList(config->worker_keys_file);
  if (!worker_keys.ok()) {
    return absl::StrCat("--worker-keys: ", worker_keys.status().message());
  }
  keys.workers = *std::move(worker_keys);
  config->curve = std::move(keys);
  return "";
}

std::vector<std::string> UnprotectedEndpoints(const BrokerConfig& config) {
  std::vector<std::string> exposed;
  if (config.curve) {
    return exposed;
  }
  for (const std::string* endpoint : {&config.frontend, &config.backend}) {
    if (!IsLoopbackAddress(*endpoint)) {
      exposed.push_back(*endpoint);
    }
  }
  return exposed;
}

std::string CheckProtectedMode(const BrokerConfig& config) {
  const std::vector<std::string> exposed = UnprotectedEndpoints(config);
  if (exposed.empty() || config.insecure) {
    return "";
  }
  return absl::StrCat(
      "refusing to listen on ", absl::StrJoin(exposed, " and "),
      " without authentication: anyone who can reach it could submit or take jobs.\n"
      "Either turn CURVE on:\n"
      "  jobq keygen broker; jobq keygen producer1; jobq keygen worker1\n"
      "  jobq-broker --curve-secret-key broker.key --producer-keys producer1.pub "
      "--worker-keys worker1.pub ...\n"
      "  (workers and producers then take --broker-key broker.pub --curve-key NAME.key)\n"
      "or listen on loopback only (tcp://127.0.0.1:PORT), or, on a network you trust, add "
      "--insecure.");
}

}  // namespace jobq::broker
