// Every flag of apptrust-decision, in one place (DESIGN.md §6). The README's
// flag table and deploy/ use these names.
#ifndef APPTRUST_SERVICES_DECISION_FLAGS_H_
#define APPTRUST_SERVICES_DECISION_FLAGS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apptrust/v1/policy.pb.h"
#include "common/logging/json_log.h"
#include "common/net/address_policy.h"
#include "common/server/server_security_flags.h"
#include "common/server/tls_credentials.h"

ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, store);
ABSL_DECLARE_FLAG(std::string, metrics_listen);
ABSL_DECLARE_FLAG(std::string, policy);
ABSL_DECLARE_FLAG(std::string, dns_servers);
ABSL_DECLARE_FLAG(std::string, trust_store);
ABSL_DECLARE_FLAG(std::string, probe_allow_cidrs);
ABSL_DECLARE_FLAG(absl::Duration, probe_timeout);
ABSL_DECLARE_FLAG(absl::Duration, cache_ttl);
ABSL_DECLARE_FLAG(absl::Duration, grant_cache_ttl);
ABSL_DECLARE_FLAG(absl::Duration, grant_watch_max_lag);
ABSL_DECLARE_FLAG(int64_t, grant_cache_max_entries);
ABSL_DECLARE_FLAG(int64_t, grant_cache_max_bytes);
ABSL_DECLARE_FLAG(int64_t, cache_max_entries);
ABSL_DECLARE_FLAG(int64_t, cache_max_bytes);
ABSL_DECLARE_FLAG(std::string, web_listen);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_grace);
ABSL_DECLARE_FLAG(std::string, store_tls_ca_file);
ABSL_DECLARE_FLAG(std::string, store_tls_cert_file);
ABSL_DECLARE_FLAG(std::string, store_tls_key_file);
ABSL_DECLARE_FLAG(std::string, store_tls_server_name);
ABSL_DECLARE_FLAG(bool, allow_insecure_store);

namespace apptrust::decision {

// The flags, read and checked: everything main() needs to start.
struct DecisionFlags {
  std::string listen;
  std::string store;
  std::string metrics_listen;
  std::string web_listen;
  std::string policy_path;  // empty: the defaults
  v1::PolicyConfig policy;
  std::vector<std::string> dns_servers;
  std::string trust_store;
  std::vector<net::Cidr> probe_allow_cidrs;
  absl::Duration probe_timeout;
  absl::Duration cache_ttl;
  absl::Duration grant_cache_ttl;
  // The coherent grant cache; zero: off.
  absl::Duration grant_watch_max_lag;
  size_t grant_cache_max_entries = 0;
  size_t grant_cache_max_bytes = 0;
  size_t cache_max_entries = 0;
  size_t cache_max_bytes = 0;
  logging::Level log_level = logging::Level::kInfo;
  absl::Duration shutdown_grace;
  // The gRPC listener's TLS, authorization, reflection and health port
  // (common/server/server_security_flags.h).
  server::ServerSecurityFlags security;
  // The channel to the store (and the page's suspension lookups on it).
  server::TlsClientOptions store_tls;
};

// Reads every flag (after absl::ParseCommandLine) and checks it, loading the
// policy file. The first unusable value is INVALID_ARGUMENT
// "--flag=value: why" (server::FlagError).
absl::StatusOr<DecisionFlags> ReadDecisionFlags();

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_FLAGS_H_
