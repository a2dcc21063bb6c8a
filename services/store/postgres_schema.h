// The PostgreSQL schema of the store and its forward migrations.
//
// The same tables as the SQLite schema (sqlite_schema.h), in SQL that
// PostgreSQL-wire distributed databases (CockroachDB, YugabyteDB) also accept:
// no advisory locks, no LISTEN/NOTIFY, no stored procedures. Key columns use
// the "C" collation, so that ids order bytewise as in SQLite and paging does
// not depend on the server's locale.
//
// Versions live in a table, apptrust_schema_migrations (one row per applied
// migration). Each migration runs in one transaction that first inserts its
// version row: when several store replicas start at once against an empty or
// old database, the unique key lets exactly one apply it; the others wait on
// that row, get a unique violation when it commits, and find it applied. A
// database newer than this binary is refused (FAILED_PRECONDITION).
// Migrations are only ever appended: a released one is never edited.
#ifndef APPTRUST_SERVICES_STORE_POSTGRES_SCHEMA_H_
#define APPTRUST_SERVICES_STORE_POSTGRES_SCHEMA_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/store/postgres_connection.h"

namespace apptrust::store {

// The version a database has after MigratePostgres().
int LatestPostgresSchemaVersion();

// Brings the database to LatestPostgresSchemaVersion(); safe to run from
// several processes at once.
absl::Status MigratePostgres(PgConnection& connection, absl::Time deadline);

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_POSTGRES_SCHEMA_H_
