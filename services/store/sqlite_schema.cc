#include "services/store/sqlite_schema.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace apptrust::store {
namespace {

// kMigrations[i] takes the schema from version i to version i + 1.
constexpr const char* kMigrations[] = {
    // 1: grants and suspensions.
    R"sql(
CREATE TABLE grants (
  tenant_id TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  version INTEGER NOT NULL,
  created_at_us INTEGER NOT NULL,
  updated_at_us INTEGER NOT NULL,
  suspension_id TEXT,
  grant_proto BLOB NOT NULL,
  PRIMARY KEY (tenant_id, grant_id)
) WITHOUT ROWID;
CREATE INDEX grants_by_client ON grants (tenant_id, client_id, grant_id);
CREATE TABLE suspensions (
  suspension_id TEXT NOT NULL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  suspended_at_us INTEGER NOT NULL,
  suspension_proto BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX suspensions_by_grant ON suspensions (tenant_id, grant_id);
)sql",
    // 2: the audit trail. AUTOINCREMENT: a seq is never reused, even after
    // the retention sweep removed the newest rows, so page tokens and
    // external copies never see two entries with one seq.
    R"sql(
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time_us INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  action INTEGER NOT NULL,
  caller TEXT NOT NULL,
  version_before INTEGER NOT NULL,
  version_after INTEGER NOT NULL,
  state_before INTEGER NOT NULL,
  state_after INTEGER NOT NULL,
  suspension_id TEXT,
  request_id TEXT,
  details_proto BLOB NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, seq);
CREATE INDEX audit_log_by_grant ON audit_log (tenant_id, grant_id, seq);
CREATE INDEX audit_log_by_time ON audit_log (time_us);
)sql",
    // 3: the change log (WatchGrants) and the database's identity. The
    // writer is single and commits in revision order; AUTOINCREMENT keeps a
    // revision from being reused after a prune.
    R"sql(
CREATE TABLE store_identity (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  store_id TEXT NOT NULL,
  pruned_through INTEGER NOT NULL
);
INSERT INTO store_identity (singleton, store_id, pruned_through)
  VALUES (1, lower(hex(randomblob(16))), 0);
CREATE TABLE grant_changes (
  revision INTEGER PRIMARY KEY AUTOINCREMENT,
  time_us INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  grant_proto BLOB
);
CREATE INDEX grant_changes_by_time ON grant_changes (time_us);
)sql",
    // 4: the sweep: leases (one sweeper among the decision replicas), one
    // result row per app, and an index that walks the ACTIVE grants by app.
    R"sql(
CREATE TABLE leases (
  name TEXT NOT NULL PRIMARY KEY,
  holder TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE sweep_results (
  tenant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  status INTEGER NOT NULL,
  pass_started_at_us INTEGER NOT NULL,
  result_proto BLOB NOT NULL,
  PRIMARY KEY (tenant_id, client_id)
) WITHOUT ROWID;
CREATE INDEX sweep_results_by_pass ON sweep_results (pass_started_at_us);
CREATE INDEX grants_by_state_client ON grants (state, tenant_id, client_id, updated_at_us);
)sql",
};

constexpr int kLatest = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

absl::Status MigrateInTransaction(SqliteConnection& connection) {
  auto version = connection.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version > kLatest) {
    return absl::FailedPreconditionError(absl::StrCat("database schema version ", *version,
                                                      " is newer than this binary supports (",
                                                      kLatest, ")"));
  }
  if (*version < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("database has an invalid schema version ", *version));
  }
  for (int64_t next = *version; next < kLatest; ++next) {
    if (absl::Status status = connection.Exec(kMigrations[next]); !status.ok()) {
      return absl::Status(status.code(), absl::StrCat("migration to schema version ", next + 1,
                                                      " failed: ", status.message()));
    }
  }
  if (*version != kLatest) {
    return connection.Exec(absl::StrCat("PRAGMA user_version = ", kLatest));
  }
  return absl::OkStatus();
}

}  // namespace

int LatestSchemaVersion() { return kLatest; }

absl::Status Migrate(SqliteConnection& connection) {
  if (absl::Status status = connection.Exec("BEGIN IMMEDIATE"); !status.ok()) return status;
  absl::Status status = MigrateInTransaction(connection);
  if (!status.ok()) {
    (void)connection.Exec("ROLLBACK");
    return status;
  }
  return connection.Exec("COMMIT");
}

}  // namespace apptrust::store
