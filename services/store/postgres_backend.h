// PostgresBackend: the GrantBackend on PostgreSQL, for several stateless store
// replicas over one highly available database.
//
// The same semantics as SqliteBackend (grant_backend.h), proven by the same
// conformance suite. How it keeps them with many writers on many replicas:
//   - Every write is one transaction that first locks the grant's row
//     (SELECT ... FOR UPDATE), so concurrent writers of one grant, on any
//     replica, take turns: versions increase by one per change and exactly one
//     of two racing SuspendGrant calls suspends (the other finds the grant
//     SUSPENDED and answers with the winner's suspension). Two creators of one
//     new grant race on its primary key; the loser retries and replaces.
//   - A serialization failure or deadlock (SQLSTATE 40001, 40P01, as a
//     distributed database reports contention) is retried, a few times, by the
//     deadline.
//   - A write answers OK only after its COMMIT was acknowledged without a
//     warning. A commit whose outcome is unknown (the connection died during
//     COMMIT, the call's deadline passed then, or the server warned that the
//     synchronous-replication wait was cancelled) is UNAVAILABLE: retrying is
//     safe (SuspendGrant is idempotent, PutGrant converges).
//   - Reads and writes go to the primary only: the URI gets
//     target_session_attrs=read-write unless it names it (anything else is
//     refused), so a multi-host URI finds the new primary after a failover.
//     Replica reads would serve stale or missing grants.
//   - Each call sets statement_timeout to what is left of its deadline.
//   - Connections: a bounded pool (postgres_pool.h) of non-blocking libpq
//     connections (postgres_connection.h); prepared statements with
//     plan_cache_mode=force_custom_plan (a generic plan chosen for one
//     tenant's skew must not serve them all); a batch of reads is one
//     pipeline, one round trip.
//
// The password never appears in the URI (Open refuses one that carries it):
// it comes from options.password (the --db_password_file flag) or libpq's
// own sources (PGPASSFILE, PGPASSWORD). TLS (sslmode=verify-full,
// sslrootcert=...) goes in the URI.
#ifndef APPTRUST_SERVICES_STORE_POSTGRES_BACKEND_H_
#define APPTRUST_SERVICES_STORE_POSTGRES_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/store/grant_backend.h"
#include "services/store/postgres_pool.h"

namespace apptrust::store {

// True for "postgresql://..." and "postgres://..." (libpq's URI forms).
bool IsPostgresUri(absl::string_view db);

struct PostgresOptions {
  // A libpq URI, multi-host lists included; no password in it.
  std::string uri;
  // Empty: libpq's own sources (PGPASSFILE, ~/.pgpass, PGPASSWORD).
  std::string password;
  // Connections open at most.
  int pool_size = 16;
  absl::Duration connect_timeout = absl::Seconds(5);
  // How long a caller waits for a free connection at most.
  absl::Duration acquire_timeout = absl::Seconds(5);
  // statement_timeout for calls without a deadline (and the most any call
  // gets); a call waits for the server at most a second longer.
  absl::Duration max_statement_timeout = absl::Seconds(30);
  // Called after each committed write transaction with its number of
  // writes (always 1: no group commit here; PostgreSQL shares fsyncs
  // itself); must be cheap (metrics).
  std::function<void(int64_t writes)> on_commit;
};

// pg_current_snapshot() as text: the transactions that had not finished
// when it was taken.
struct PgSnapshot {
  // "xmin:xmax:xip,..."; INTERNAL for anything else.
  static absl::StatusOr<PgSnapshot> Parse(absl::string_view text);
  // True when `xid` had finished (committed or aborted) by then.
  bool Finished(uint64_t xid) const;

  uint64_t xmin = 0;
  uint64_t xmax = 0;
  std::vector<uint64_t> xip;
};

// The change log (ReadChanges): a revision comes from a sequence, so a
// transaction may hold revision 5 while one holding 6 commits first; a
// reader that moved past 6 would never see 5. Reads therefore stop at a mark
// below which every transaction has finished, found by snapshot visibility
// (as SpiceDB's PostgreSQL watch does; commit timestamps are not used): a
// read notes the highest revision handed out, then takes an xid of its own
// as a bound (it writes nothing; only while revisions are being handed out)
// and a pg_current_snapshot(). A write takes its xid before its revision, so
// every transaction holding a revision up to the mark has an xid below the
// bound; once a later snapshot shows every xid below the bound that was
// running then (the xip list, and everything from xmax up) finished, the
// mark is committed through. A long-open write transaction holds the mark
// back: the stream lags, it never skips. Every replica keeps its own mark;
// they agree on what is below it.
class PostgresBackend : public GrantBackend {
 public:
  // Checks the URI, connects and applies the migrations of
  // postgres_schema.h by `deadline`. INVALID_ARGUMENT for a URI that is not
  // one, carries a password, or asks for standby sessions;
  // FAILED_PRECONDITION for failed authentication or a schema newer than
  // this binary; UNAVAILABLE when no server answered (worth retrying).
  static absl::StatusOr<std::unique_ptr<PostgresBackend>> Open(PostgresOptions options,
                                                               absl::Time deadline);
  ~PostgresBackend() override;

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

  // For copying another database in: stores `grant` (with its version,
  // state, times and current suspension) unless the database holds that
  // grant at the same or a newer version. Returns whether it was written.
  absl::StatusOr<bool> ImportGrant(const apptrust::v1::Grant& grant, absl::Time deadline);
  // Stores a suspension (current or earlier) unless its id is present.
  // Returns whether it was written.
  absl::StatusOr<bool> ImportSuspension(const apptrust::v1::Suspension& suspension,
                                        absl::Time deadline);

  PgPoolStats pool_stats() const { return pool_.stats(); }

 private:
  class Transaction;
  explicit PostgresBackend(PostgresOptions options, PgPoolOptions pool_options);

  // `deadline`, or a little after max_statement_timeout from now when that is
  // sooner. The client's own bound: the server's statement timeout does not
  // cover a COMMIT's wait for a synchronous standby, nor a silent server.
  absl::Time Bounded(absl::Time deadline) const;
  // The statement_timeout (milliseconds) for a call with `deadline`.
  std::string TimeoutMillis(absl::Time deadline) const;
  // The statement_timeout command for a call with `deadline`.
  PgCommand TimeoutFor(absl::Time deadline, bool local) const;
  // Runs `commands` (after the timeout) on a pooled connection; results
  // exclude the timeout's.
  absl::StatusOr<std::vector<PgResult>> Read(std::vector<PgCommand> commands, absl::Time deadline);
  // Runs `body` in a transaction, retrying it on ABORTED (a serialization
  // failure, or a lost race to create a row) while the deadline allows.
  template <typename T, typename Body>
  absl::StatusOr<T> Write(absl::Time deadline, Body body);

  // A revision mark not yet known to be committed through: the highest
  // revision handed out, an xid taken after reading it, and a snapshot
  // taken after that.
  struct PendingRevisions {
    int64_t handed_out = 0;
    uint64_t bound_xid = 0;
    PgSnapshot snapshot;
  };
  struct Observation {
    int64_t handed_out = 0;
    int64_t committed_through = 0;
  };
  static constexpr size_t kMaxPendingObservations = 256;
  // Reads the sequence and a snapshot, and moves the committed mark.
  absl::StatusOr<Observation> Observe(absl::Time deadline);

  absl::Mutex watermark_mutex_;
  int64_t committed_through_ ABSL_GUARDED_BY(watermark_mutex_) = 0;
  std::vector<PendingRevisions> pending_ ABSL_GUARDED_BY(watermark_mutex_);

  const PostgresOptions options_;
  // How to connect (the pool's, kept for the migration's own connection).
  const PgConnectOptions connect_;
  PgPool pool_;
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_POSTGRES_BACKEND_H_
