// Every flag of apptrust-store, in one place (DESIGN.md §6). The README's
// flag table and deploy/ use these names.
#ifndef APPTRUST_SERVICES_STORE_FLAGS_H_
#define APPTRUST_SERVICES_STORE_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, db);
ABSL_DECLARE_FLAG(std::string, db_password_file);
ABSL_DECLARE_FLAG(int32_t, db_pool_size);
ABSL_DECLARE_FLAG(absl::Duration, db_statement_timeout);
ABSL_DECLARE_FLAG(std::string, copy_from_sqlite);
ABSL_DECLARE_FLAG(std::string, metrics_listen);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_grace);
ABSL_DECLARE_FLAG(int32_t, max_running_reads);
ABSL_DECLARE_FLAG(int32_t, max_waiting_reads);
ABSL_DECLARE_FLAG(absl::Duration, audit_retention);
ABSL_DECLARE_FLAG(absl::Duration, audit_sweep_interval);
ABSL_DECLARE_FLAG(absl::Duration, watch_poll_interval);
ABSL_DECLARE_FLAG(absl::Duration, watch_progress_interval);
ABSL_DECLARE_FLAG(int32_t, max_watchers);
ABSL_DECLARE_FLAG(absl::Duration, change_retention);
ABSL_DECLARE_FLAG(int64_t, change_retention_revisions);
ABSL_DECLARE_FLAG(absl::Duration, change_sweep_interval);

#endif  // APPTRUST_SERVICES_STORE_FLAGS_H_
