// SqliteBackend: the embedded GrantBackend, one SQLite file in WAL mode.
//
// Durability: journal_mode=WAL and synchronous=FULL, so a write is on disk
// (the WAL fsynced) before the call returns; an acknowledged write survives a
// process kill or a power loss.
//
// Concurrency: all writes go through one writer connection under a mutex,
// each in a BEGIN IMMEDIATE transaction, so writers of this process never
// contend for SQLite's lock and a read-modify-write (conditional suspend,
// version increment) is atomic. Reads use a pool of reader connections that
// WAL lets run concurrently with the writer. A busy timeout covers other
// processes touching the file (the sqlite3 CLI, a backup); if one holds the
// lock past it, the call fails with UNAVAILABLE, never a raw "database is
// locked".
//
// Open() creates the file's directory when missing, refuses a file that is
// not an SQLite database or cannot be written, and applies the schema
// migrations of sqlite_schema.h.
#ifndef APPTRUST_SERVICES_STORE_SQLITE_BACKEND_H_
#define APPTRUST_SERVICES_STORE_SQLITE_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/store/grant_backend.h"
#include "services/store/sqlite_connection.h"

namespace apptrust::store {

struct SqliteOptions {
  // How long a statement waits for another process's lock before failing.
  absl::Duration busy_timeout = absl::Seconds(10);
  // Reader connections kept open between calls (more are opened on demand).
  int max_idle_readers = 8;
};

class SqliteBackend : public GrantBackend {
 public:
  // Errors name `path`: FAILED_PRECONDITION when the directory cannot be
  // created or the file cannot be written, DATA_LOSS when the file is not an
  // SQLite database, FAILED_PRECONDITION when its schema is newer than this
  // binary.
  static absl::StatusOr<std::unique_ptr<SqliteBackend>> Open(const std::string& path,
                                                             SqliteOptions options = {});
  ~SqliteBackend() override;

  absl::StatusOr<PutGrantResult> PutGrant(const apptrust::v1::Grant& grant,
                                          absl::Time now) override;
  absl::StatusOr<apptrust::v1::Grant> GetGrant(absl::string_view tenant_id,
                                               absl::string_view grant_id) override;
  absl::StatusOr<SuspendGrantResult> SuspendGrant(absl::string_view tenant_id,
                                                  absl::string_view grant_id,
                                                  int64_t expected_version,
                                                  const apptrust::v1::Suspension& suspension,
                                                  absl::Time now) override;
  absl::StatusOr<apptrust::v1::Suspension> GetSuspension(absl::string_view suspension_id) override;
  absl::StatusOr<apptrust::v1::GrantState> DeleteGrant(absl::string_view tenant_id,
                                                       absl::string_view grant_id) override;
  absl::StatusOr<GrantPage> ListGrants(const ListGrantsQuery& query) override;
  absl::StatusOr<GrantCounts> CountGrants() override;

  const std::string& path() const { return path_; }

 private:
  class ReaderLease;

  SqliteBackend(std::string path, SqliteOptions options, std::unique_ptr<SqliteConnection> writer);

  absl::StatusOr<std::unique_ptr<SqliteConnection>> OpenReader();
  absl::StatusOr<std::unique_ptr<SqliteConnection>> TakeReader();
  void ReturnReader(std::unique_ptr<SqliteConnection> reader);

  // Runs `body` on the writer connection inside BEGIN IMMEDIATE ... COMMIT,
  // rolling back when it fails.
  template <typename Body>
  auto WriteTransaction(Body body) -> decltype(body(std::declval<SqliteConnection&>()));

  const std::string path_;
  const SqliteOptions options_;
  absl::Mutex writer_mutex_;
  std::unique_ptr<SqliteConnection> writer_ ABSL_GUARDED_BY(writer_mutex_);
  absl::Mutex readers_mutex_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_ ABSL_GUARDED_BY(readers_mutex_);
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_SQLITE_BACKEND_H_
