#pragma once
// jobq-broker's admin-service security flags (--admin-tls-cert,
// --admin-tls-key, --admin-tokens, --health) and the admin half of
// protected mode (DESIGN.md §9): an admin address off loopback needs TLS
// and tokens, or --insecure. The ZeroMQ half is in curve_flags.h.

#include <CLI/CLI.hpp>
#include <string>

#include "broker/broker_config.h"

namespace jobq::broker {

// Registers the flags (with their JOBQ_* variables) on `app`; `config`
// must outlive the parse.
void AddAdminSecurityFlags(CLI::App& app, BrokerConfig* config);

// After parsing: checks that --admin-tls-cert and --admin-tls-key come
// together and loads the tokens file into config->admin_tokens. "" when
// all is well, else what is wrong and how to fix it.
std::string CheckAdminSecurityFlags(BrokerConfig* config);

// Protected mode for the admin service. "" when the broker may start;
// else why not and how to fix it. Pure.
//  * loopback --admin: always allowed;
//  * elsewhere, TLS and tokens: allowed;
//  * elsewhere, tokens without TLS: refused even with --insecure (the
//    tokens would cross the network in clear text);
//  * elsewhere, otherwise: refused unless --insecure.
std::string CheckAdminProtectedMode(const BrokerConfig& config);

// The warning to log at every start when --insecure lets the admin
// service listen off loopback without TLS and tokens; "" when none.
std::string AdminInsecureWarning(const BrokerConfig& config);

// Protected mode for the dashboard (--http), with the admin service's
// rules, its TLS files and its tokens: "" when the broker may start, else
// why not and how to fix it. Pure.
//  * no --http, or a loopback one: always allowed;
//  * elsewhere, TLS (--admin-tls-cert) and tokens: allowed;
//  * elsewhere, tokens without TLS: refused even with --insecure (the
//    tokens and session cookies would cross the network in clear text);
//  * elsewhere, otherwise: refused unless --insecure.
std::string CheckHttpProtectedMode(const BrokerConfig& config);

// The warning to log at every start when --insecure lets --http listen
// off loopback without TLS and tokens; "" when none.
std::string HttpInsecureWarning(const BrokerConfig& config);

}  // namespace jobq::broker
