// The SQLite schema of the store and its forward migrations.
//
// The schema version lives in the database header (PRAGMA user_version): 0 is
// an empty file, N means migrations 1..N have run. Opening a database applies
// the missing migrations in order, all in one IMMEDIATE transaction, so a
// crash mid-migration leaves the previous version intact. A database newer
// than this binary is refused rather than guessed at. Migrations are only ever
// appended: a released one is never edited.
//
// Tables (version 1):
//   grants(tenant_id, grant_id, client_id, state, version, created_at_us,
//          updated_at_us, suspension_id, grant_proto)  PRIMARY KEY (tenant_id, grant_id)
//     the key columns mirror the serialized apptrust.v1.Grant (whose
//     `suspension` field is never stored there; it is joined in);
//   suspensions(suspension_id PRIMARY KEY, tenant_id, grant_id, suspended_at_us,
//               suspension_proto)
//     one row per suspension ever made, immutable.
//
// Version 2 adds:
//   audit_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, time_us, tenant_id,
//             grant_id, client_id, action, caller, version_before,
//             version_after, state_before, state_after, suspension_id,
//             request_id, details_proto)
//     one row per grant state change (apptrust.v1.AuditEntry), written in the
//     transaction of the change and never updated; rows outlive their grant
//     and are removed only by the retention sweep. details_proto is a
//     serialized AuditEntry holding only what has no column (reason,
//     findings).
#ifndef APPTRUST_SERVICES_STORE_SQLITE_SCHEMA_H_
#define APPTRUST_SERVICES_STORE_SQLITE_SCHEMA_H_

#include "absl/status/status.h"
#include "services/store/sqlite_connection.h"

namespace apptrust::store {

// The version a database has after Migrate().
int LatestSchemaVersion();

// Brings `connection`'s database to LatestSchemaVersion(). FAILED_PRECONDITION
// when the database is newer than this binary.
absl::Status Migrate(SqliteConnection& connection);

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_SQLITE_SCHEMA_H_
