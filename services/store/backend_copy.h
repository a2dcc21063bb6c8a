// Copying a SQLite store into PostgreSQL (apptrust-store --copy_from_sqlite):
// every grant (with its version, state, times and current suspension) and
// every suspension ever made (earlier ones still explain their error_uri).
//
// Safe to repeat and to run while the PostgreSQL store serves: a grant the
// destination holds at the same or a newer version is left alone (a grant
// re-approved or suspended there since is never rolled back), and a
// suspension already present is kept. Audit entries are not copied: they stay
// in the SQLite file, which should be kept as the record of what happened
// before the move.
#ifndef APPTRUST_SERVICES_STORE_BACKEND_COPY_H_
#define APPTRUST_SERVICES_STORE_BACKEND_COPY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/store/postgres_backend.h"
#include "services/store/sqlite_backend.h"

namespace apptrust::store {

struct CopyCounts {
  int64_t grants_read = 0;
  int64_t grants_written = 0;
  // Held at the same or a newer version by the destination.
  int64_t grants_kept = 0;
  int64_t suspensions_read = 0;
  int64_t suspensions_written = 0;
  int64_t suspensions_kept = 0;

  // "grants: 12 read, 10 written, 2 kept (same or newer version there);
  //  suspensions: 4 read, 4 written, 0 kept (already there)"
  std::string ToString() const;
};

// `per_write_timeout` bounds each write, not the whole copy.
absl::StatusOr<CopyCounts> CopySqliteToPostgres(SqliteBackend& from, PostgresBackend& to,
                                                absl::Duration per_write_timeout);

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_BACKEND_COPY_H_
