#include "services/store/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50052",
          "gRPC listen address host:port (port 0 picks an ephemeral port, printed on start)");
ABSL_FLAG(std::string, db, "./var/apptrust.db",
          "Where grants live: an SQLite database file (its directory is created when missing), "
          "or a PostgreSQL URI, postgresql://USER@HOST:PORT[,HOST2:PORT2...]/DBNAME?PARAMS in "
          "libpq's syntax (sslmode=verify-full&sslrootcert=... for TLS); never with a password "
          "in it (see --db_password_file)");
ABSL_FLAG(std::string, db_password_file, "",
          "PostgreSQL only: file whose first line is the password (a mounted Secret); empty: "
          "libpq's own sources (PGPASSFILE, ~/.pgpass, PGPASSWORD)");
ABSL_FLAG(int32_t, db_pool_size, 16,
          "PostgreSQL only: connections open at most; reads and writes beyond it wait for one");
ABSL_FLAG(absl::Duration, db_statement_timeout, absl::Seconds(10),
          "PostgreSQL only: the longest a statement may run when the caller set no shorter "
          "deadline");
ABSL_FLAG(std::string, copy_from_sqlite, "",
          "Copy every grant and suspension of this SQLite file into the PostgreSQL --db, print "
          "the counts and exit; a grant held there at the same or a newer version is kept");
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
ABSL_FLAG(absl::Duration, watch_poll_interval, absl::Milliseconds(50),
          "WatchGrants: how often each stream polls the database for changes made through any "
          "replica (a write through this replica or a heartbeat polls at once); 10ms..1s");
ABSL_FLAG(absl::Duration, watch_progress_interval, absl::Seconds(1),
          "WatchGrants: a progress message (the current revision) at least this often while "
          "nothing changes");
ABSL_FLAG(int32_t, max_watchers, 8,
          "WatchGrants streams this replica serves at once (each holds a gRPC thread); one more "
          "is refused with RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, change_retention, absl::Hours(1),
          "How long the change log keeps a change for WatchGrants clients that resume; older "
          "resume tokens are refused with OUT_OF_RANGE (the client resynchronises)");
ABSL_FLAG(int64_t, change_retention_revisions, 1000000,
          "The change log also keeps at most this many revisions behind the newest");
ABSL_FLAG(absl::Duration, change_sweep_interval, absl::Seconds(10),
          "How often changes past --change_retention or --change_retention_revisions are removed "
          "(in batches of 1000)");
