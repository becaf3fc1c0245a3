#pragma once

// The flags protected mode looks at, for the checks of --admin
// (admin_auth_test.cpp) and of --http (http_access_test.cpp), which share
// them: TLS from the admin certificate flags, the admin tokens, --insecure.

#include "broker/admin/admin_auth.h"
#include "broker/broker_config.h"

namespace jobq::testing {

inline broker::BrokerConfig ProtectedModeFlags(bool tls, bool tokens, bool insecure) {
  broker::BrokerConfig config;
  if (tls) {
    config.admin_tls_cert = "admin.crt";
    config.admin_tls_key = "admin.key";
  }
  if (tokens) {
    config.admin_tokens = {{broker::admin::AdminRole::kAdmin, "admin-token-0123456789abcdef"}};
  }
  config.insecure = insecure;
  return config;
}

}  // namespace jobq::testing
