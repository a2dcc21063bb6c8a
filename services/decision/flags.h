// Every flag of apptrust-decision, in one place (DESIGN.md §6). The README's
// flag table and deploy/ use these names.
#ifndef APPTRUST_SERVICES_DECISION_FLAGS_H_
#define APPTRUST_SERVICES_DECISION_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/time/time.h"

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
ABSL_DECLARE_FLAG(int64_t, cache_max_entries);
ABSL_DECLARE_FLAG(int64_t, cache_max_bytes);
ABSL_DECLARE_FLAG(std::string, web_listen);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_grace);

#endif  // APPTRUST_SERVICES_DECISION_FLAGS_H_
