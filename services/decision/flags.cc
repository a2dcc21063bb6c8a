#include "services/decision/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC listen address host:port (port 0 picks an ephemeral port, printed on start)");
ABSL_FLAG(std::string, store, "127.0.0.1:50052", "Address host:port of apptrust-store");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9101",
          "Prometheus /metrics listen address host:port");
ABSL_FLAG(std::string, policy, "",
          "Path to policy.textproto (apptrust.v1.PolicyConfig); empty means the defaults");
ABSL_FLAG(std::string, dns_servers, "",
          "Comma-separated DNS servers host:port; empty means the system resolver");
ABSL_FLAG(std::string, trust_store, "",
          "CA bundle (PEM) that app certificates must chain to; empty means the system bundle");
ABSL_FLAG(std::string, probe_allow_cidrs, "",
          "Comma-separated CIDRs the probe may contact although they are private, loopback or "
          "otherwise refused by default (tests: 127.0.0.0/8)");
ABSL_FLAG(absl::Duration, probe_timeout, absl::Seconds(5),
          "Upper bound of one probe (DNS + connect + TLS handshake)");
ABSL_FLAG(absl::Duration, cache_ttl, absl::Minutes(5),
          "How long an observation is reused; 0s disables caching");
ABSL_FLAG(absl::Duration, grant_cache_ttl, absl::ZeroDuration(),
          "How long this replica reuses a grant it read from the store; 0s (default) reads the "
          "store on every refresh. Above 0, a suspension, deletion or re-approval made through "
          "another replica is seen up to this late (see docs/OPERATING.md)");
ABSL_FLAG(int64_t, cache_max_entries, 100000, "Most observations kept (least recently used go)");
ABSL_FLAG(int64_t, cache_max_bytes, int64_t{128} << 20,
          "Most bytes of observations kept, per kind (endpoint, TXT): what an app's certificate "
          "and records really hold is counted, so inflated certificates cannot fill the pod");
ABSL_FLAG(std::string, web_listen, "127.0.0.1:8080",
          "HTTP listen address of the page behind every error_uri");
ABSL_FLAG(std::string, log_level, "info", "Minimum log level: debug, info, warning, error");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long in-flight RPCs may take before they are cancelled");
