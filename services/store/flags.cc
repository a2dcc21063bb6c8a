#include "services/store/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50052",
          "gRPC listen address host:port (port 0 picks an ephemeral port, printed on start)");
ABSL_FLAG(std::string, db, "./var/apptrust.db",
          "SQLite database file; its directory is created when missing");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9102",
          "Prometheus /metrics listen address host:port");
ABSL_FLAG(std::string, log_level, "info", "Minimum log level: debug, info, warning, error");
ABSL_FLAG(int32_t, max_running_reads, 16,
          "Reads (GetGrant, BatchGetGrants, GetSuspension, ListGrants) run at once; the others "
          "wait (services/store/read_gate.h)");
ABSL_FLAG(int32_t, max_waiting_reads, 32,
          "Reads that may wait for a turn; one more is refused with RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long in-flight RPCs may take before they are cancelled");
ABSL_FLAG(absl::Duration, audit_retention, absl::Hours(6 * 365 * 24),
          "How long audit entries (every grant state change) are kept, also after their "
          "grant is deleted; default 6 years (HIPAA documentation retention); inf keeps them "
          "forever");
ABSL_FLAG(absl::Duration, audit_sweep_interval, absl::Hours(1),
          "How often entries older than --audit_retention are removed (in batches of 1000)");
