// SqliteBackend: the embedded GrantBackend, one SQLite file in WAL mode.
//
// Durability: journal_mode=WAL and synchronous=FULL, so a write is on disk
// (the WAL fsynced) before the call returns; an acknowledged write survives a
// process kill or a power loss. A write call returns success only after the
// COMMIT that contains its write; if that COMMIT fails, the call fails too.
//
// Concurrency: all writes go through one writer connection with group commit
// (sqlite_write_batcher.h): concurrent writers share one transaction and one
// fsync, each write in its own savepoint, so a read-modify-write (conditional
// suspend, version increment) stays atomic and a write that fails (a version
// conflict, an unknown grant) is rolled back without touching the others.
// Writers of this process never contend for SQLite's lock. Reads use a pool of reader
// connections that WAL lets run concurrently with the writer and see only
// committed batches. A busy timeout covers other processes touching the file
// (the sqlite3 CLI, a backup); if one holds the lock past it, the calls of the
// waiting batch fail with UNAVAILABLE, never a raw "database is locked".
//
// Open() creates the file's directory when missing, refuses a file that is
// not an SQLite database or cannot be written, and applies the schema
// migrations of sqlite_schema.h.
#ifndef APPTRUST_SERVICES_STORE_SQLITE_BACKEND_H_
#define APPTRUST_SERVICES_STORE_SQLITE_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/store/grant_backend.h"
#include "services/store/sqlite_connection.h"
#include "services/store/sqlite_write_batcher.h"

namespace apptrust::store {

struct SqliteOptions {
  // How long a statement waits for another process's lock before failing.
  absl::Duration busy_timeout = absl::Seconds(10);
  // Reader connections kept open between calls (more are opened on demand).
  int max_idle_readers = 8;
  // Called after each COMMIT with the number of writes it held (group
  // commit), on the committing thread; must be cheap (metrics).
  std::function<void(int64_t writes)> on_commit;
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

  absl::StatusOr<PutGrantResult> PutGrant(const apptrust::v1::Grant& grant, absl::Time now,
                                          const AuditContext& audit, absl::Time deadline) override;
  absl::StatusOr<apptrust::v1::Grant> GetGrant(absl::string_view tenant_id,
                                               absl::string_view grant_id,
                                               absl::Time deadline) override;
  absl::StatusOr<std::vector<absl::StatusOr<apptrust::v1::Grant>>> GetGrants(
      const std::vector<GrantKey>& keys, absl::Time deadline) override;
  absl::StatusOr<SuspendGrantResult> SuspendGrant(absl::string_view tenant_id,
                                                  absl::string_view grant_id,
                                                  int64_t expected_version,
                                                  const apptrust::v1::Suspension& suspension,
                                                  absl::Time now, const AuditContext& audit,
                                                  absl::Time deadline) override;
  absl::StatusOr<apptrust::v1::Suspension> GetSuspension(absl::string_view suspension_id,
                                                         absl::Time deadline) override;
  absl::StatusOr<DeleteGrantResult> DeleteGrant(absl::string_view tenant_id,
                                                absl::string_view grant_id, absl::Time now,
                                                const AuditContext& audit,
                                                absl::Time deadline) override;
  absl::StatusOr<GrantPage> ListGrants(const ListGrantsQuery& query, absl::Time deadline) override;
  absl::StatusOr<GrantCounts> CountGrants(absl::Time deadline) override;
  absl::StatusOr<AuditPage> ListAuditEntries(const AuditQuery& query, absl::Time deadline) override;
  absl::StatusOr<int64_t> PruneAuditEntries(absl::Time before, int max_entries,
                                            absl::Time deadline) override;
  absl::StatusOr<ChangePage> ReadChanges(int64_t after_revision, int limit,
                                         absl::Time deadline) override;
  absl::StatusOr<ChangeLogState> GetChangeLogState(absl::Time deadline) override;
  absl::StatusOr<int64_t> PruneChanges(absl::Time before, int64_t keep_revisions, int max_changes,
                                       absl::Time deadline) override;
  absl::StatusOr<LeaseState> AcquireLease(absl::string_view name, absl::string_view holder,
                                          absl::Duration ttl, absl::Time now,
                                          absl::Time deadline) override;
  absl::StatusOr<ActiveAppPage> ListActiveApps(const ActiveAppsQuery& query,
                                               absl::Time deadline) override;
  absl::StatusOr<int64_t> PutSweepResults(const SweepWrite& write, absl::Time now,
                                          absl::Time deadline) override;
  absl::StatusOr<SweepResultPage> ListSweepResults(const SweepResultsQuery& query,
                                                   absl::Time deadline) override;
  absl::Status CheckReachable(absl::Time deadline) override;

  // Every grant with its current suspension, ordered by (tenant_id,
  // grant_id), for copying the database elsewhere; `visit` returns false to
  // stop.
  absl::Status ForEachGrant(const std::function<bool(const apptrust::v1::Grant&)>& visit);
  // Every suspension kept (of current and earlier suspensions of every
  // grant), for copying the database elsewhere; `visit` returns false to stop.
  absl::Status ForEachSuspension(const std::function<bool(const apptrust::v1::Suspension&)>& visit);

  const std::string& path() const { return path_; }

  // A consistent snapshot, for tests and metrics.
  SqliteWriteStats write_stats() const;

 private:
  class ReaderLease;

  SqliteBackend(std::string path, SqliteOptions options, std::unique_ptr<SqliteConnection> writer);

  absl::StatusOr<std::unique_ptr<SqliteConnection>> OpenReader();
  absl::StatusOr<std::unique_ptr<SqliteConnection>> TakeReader();
  void ReturnReader(std::unique_ptr<SqliteConnection> reader);

  const std::string path_;
  const SqliteOptions options_;
  // Every write goes through it (group commit).
  SqliteWriteBatcher writer_;
  absl::Mutex readers_mutex_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_ ABSL_GUARDED_BY(readers_mutex_);
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_SQLITE_BACKEND_H_
