// GrantBackend: where the FingerprintStore keeps grants and suspensions.
//
// The gRPC service (store_service.h) validates requests and maps results to
// status codes; everything that must be atomic lives behind this interface, so
// that a second backend (PostgreSQL, for scale-out) can be added without
// touching the service. A backend implements the semantics below exactly, and
// every method is safe to call from many threads at once.
//
// Semantics every backend keeps:
//   - Every grant lookup is scoped by (tenant_id, grant_id): a grant of another
//     tenant is NOT_FOUND, never visible, never modified.
//   - PutGrant creates, or replaces on re-approval: state ACTIVE, suspension
//     cleared, version = previous + 1 (1 on create), created_at kept on
//     replace, updated_at = now. Replace never fails because the grant exists.
//   - SuspendGrant is conditional and idempotent: an ACTIVE grant at
//     expected_version becomes SUSPENDED (version + 1) with the given
//     suspension; an ACTIVE grant at another version is FAILED_PRECONDITION; an
//     already SUSPENDED grant is returned unchanged with its existing
//     suspension (whatever expected_version says).
//   - Suspensions are immutable once written. They survive re-approval (an old
//     error_uri still explains itself) and are removed with their grant.
//   - Audit: every state change (PutGrant; SuspendGrant that suspends;
//     DeleteGrant) appends exactly one apptrust.v1.AuditEntry, with `audit`'s
//     caller and request id, atomically with the change (the same
//     transaction: a change without its entry, or an entry without its
//     change, cannot be observed). A call that fails or changes nothing (an
//     idempotent SuspendGrant) appends none. Entries are kept when their grant
//     is deleted; only PruneAuditEntries removes them. seq increases with
//     every entry and is never reused.
//   - Change log: every state change (the same three) also appends one
//     GrantChange in the same transaction, at a revision that the write
//     returns and stores in the grant (Grant.revision). Revisions are
//     positive and never reused; for two changes of one grant the later
//     commit has the higher revision. ReadChanges hands changes out only up
//     to a revision below which nothing can still commit (its `revision`),
//     so a reader that follows it never misses one: on PostgreSQL a
//     transaction may take its revision before another that commits first.
//     Changes are kept until PruneChanges removes them; resuming after a
//     pruned one is OUT_OF_RANGE.
//   - Errors: NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT (a caller-chosen
//     suspension_id already in use), UNAVAILABLE (the database could not be
//     reached or stayed busy, or a write's commit has an unknown outcome;
//     retrying may help, and a retried write is safe: versions make
//     SuspendGrant idempotent and PutGrant converge), DEADLINE_EXCEEDED (the
//     call's deadline passed), INTERNAL (corruption, a bug).
//   - Deadlines: every call takes the caller's deadline (absl::InfiniteFuture()
//     when it has none). A backend that talks to a server stops waiting for it
//     then; the embedded SQLite backend bounds its waits by its busy timeout
//     instead and ignores it.
#ifndef APPTRUST_SERVICES_STORE_GRANT_BACKEND_H_
#define APPTRUST_SERVICES_STORE_GRANT_BACKEND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/store.pb.h"
#include "apptrust/v1/types.pb.h"

namespace apptrust::store {

// Result of PutGrant. `previous_state` is GRANT_STATE_UNSPECIFIED when the
// grant was created (callers keep per-state gauges with it).
struct PutGrantResult {
  apptrust::v1::Grant grant;
  apptrust::v1::GrantState previous_state = apptrust::v1::GRANT_STATE_UNSPECIFIED;
};

// Result of SuspendGrant. `newly_suspended` is false when the grant was already
// SUSPENDED and `grant` carries the suspension stored earlier.
struct SuspendGrantResult {
  apptrust::v1::Grant grant;
  bool newly_suspended = false;
};

// Result of DeleteGrant.
struct DeleteGrantResult {
  apptrust::v1::GrantState previous_state = apptrust::v1::GRANT_STATE_UNSPECIFIED;
  // The revision of the deletion in the change log.
  int64_t revision = 0;
};

// One page of the change log (ReadChanges).
struct ChangePage {
  // By revision, all above the `after_revision` asked for.
  std::vector<apptrust::v1::GrantChange> changes;
  // Every change at or below it is in this page or before it: the last
  // change's revision when `more`, else the log's current revision (at
  // least the after_revision asked for).
  int64_t revision = 0;
  // True when more changes follow the last one returned.
  bool more = false;
  // The highest revision handed out when the read began (it may not have
  // committed yet): a change that committed before the read began is at or
  // below it, so a reader has seen every such change once it has followed
  // the log up to here.
  int64_t allocated = 0;
};

// Where the change log stands.
struct ChangeLogState {
  // Random, made with the database: tells one database from another (a
  // copy made by --copy_from_sqlite gets its own).
  std::string store_id;
  // Every change at or below it has committed (ReadChanges' bound).
  int64_t revision = 0;
  // ReadChanges may resume after this revision or any later one; older
  // changes were pruned.
  int64_t oldest_resumable = 0;
  // The highest revision handed out so far (it may not have committed yet):
  // a resume point above it comes from another history.
  int64_t allocated = 0;
};
struct GrantKey {
  std::string tenant_id;
  std::string grant_id;
};

// One page of ListGrants, ordered by grant_id.
struct ListGrantsQuery {
  std::string tenant_id;
  // Empty: every client of the tenant.
  std::string client_id;
  // Only grants with grant_id strictly greater (empty: from the start).
  std::string after_grant_id;
  // At least 1.
  int limit = 100;
};

struct GrantPage {
  std::vector<apptrust::v1::Grant> grants;
  // True when more grants follow the last one returned.
  bool more = false;
};

// Who made a state change, for its audit entry (the service fills it in
// from the gRPC call).
struct AuditContext {
  // The store's direct caller (see apptrust.v1.AuditEntry.caller).
  std::string caller;
  // The caller's request id; may be empty.
  std::string request_id;
};

// One page of ListAuditEntries, ordered by seq.
struct AuditQuery {
  std::string tenant_id;
  // Empty: every grant of the tenant.
  std::string grant_id;
  // Only entries with seq strictly greater (0: from the start).
  int64_t after_seq = 0;
  // At least 1.
  int limit = 100;
};

struct AuditPage {
  std::vector<apptrust::v1::AuditEntry> entries;
  // True when more entries follow the last one returned.
  bool more = false;
};

struct GrantCounts {
  int64_t active = 0;
  int64_t suspended = 0;
};

// The state of a named lease after AcquireLease.
struct LeaseState {
  // True when the caller holds it now.
  bool granted = false;
  std::string holder;
  absl::Time expires_at = absl::InfinitePast();
  // The fencing token: increases with every change of holder.
  int64_t epoch = 0;
};

// A position in (tenant_id, client_id) order: pages start strictly after
// it (both empty: from the start).
struct AppKey {
  std::string tenant_id;
  std::string client_id;
};

// One page of ListActiveApps, ordered by (tenant_id, client_id).
struct ActiveAppsQuery {
  // Empty: every tenant.
  std::string tenant_id;
  AppKey after;
  // At least 1.
  int limit = 100;
};

struct ActiveAppPage {
  std::vector<apptrust::v1::ActiveApp> apps;
  bool more = false;
};

// One PutSweepResults: written only while the lease is held at `epoch`.
struct SweepWrite {
  std::string lease_name;
  std::string holder;
  int64_t epoch = 0;
  std::vector<apptrust::v1::SweepResult> results;
  absl::Time pass_started_at = absl::InfinitePast();
  bool pass_complete = false;
};

// One page of ListSweepResults, ordered by (tenant_id, client_id).
struct SweepResultsQuery {
  // Empty: every tenant.
  std::string tenant_id;
  bool at_risk_only = false;
  AppKey after;
  // At least 1.
  int limit = 100;
};

struct SweepResultPage {
  std::vector<apptrust::v1::SweepResult> results;
  bool more = false;
};

class GrantBackend {
 public:
  virtual ~GrantBackend() = default;

  // `grant` carries the caller's fields (ids, redirect_uri, persona,
  // application_name, validated, fingerprint, identity); the server-set fields
  // (state, version, created_at, updated_at, suspension) are ignored and set
  // as described above. Returns the grant as stored.
  virtual absl::StatusOr<PutGrantResult> PutGrant(const apptrust::v1::Grant& grant, absl::Time now,
                                                  const AuditContext& audit,
                                                  absl::Time deadline) = 0;

  // The grant with its suspension (when SUSPENDED). NOT_FOUND when the tenant
  // has no such grant.
  virtual absl::StatusOr<apptrust::v1::Grant> GetGrant(absl::string_view tenant_id,
                                                       absl::string_view grant_id,
                                                       absl::Time deadline) = 0;

  // Several grants at once, one result per key in order (NOT_FOUND results
  // for unknown keys); a failure of the database fails the whole call.
  // Backends that talk to a server send the lookups in one round trip.
  virtual absl::StatusOr<std::vector<absl::StatusOr<apptrust::v1::Grant>>> GetGrants(
      const std::vector<GrantKey>& keys, absl::Time deadline) = 0;

  // `suspension` must carry a suspension_id and suspended_at (the service
  // fills them in when the caller left them empty); tenant_id, grant_id and
  // client_id are filled in from the grant.
  virtual absl::StatusOr<SuspendGrantResult> SuspendGrant(
      absl::string_view tenant_id, absl::string_view grant_id, int64_t expected_version,
      const apptrust::v1::Suspension& suspension, absl::Time now, const AuditContext& audit,
      absl::Time deadline) = 0;

  // NOT_FOUND for unknown ids. Not tenant-scoped here: the service compares
  // the tenant when the caller names one.
  virtual absl::StatusOr<apptrust::v1::Suspension> GetSuspension(absl::string_view suspension_id,
                                                                 absl::Time deadline) = 0;

  // Removes the grant and its suspensions (not its audit entries). Returns
  // the state it had and the deletion's revision.
  virtual absl::StatusOr<DeleteGrantResult> DeleteGrant(absl::string_view tenant_id,
                                                        absl::string_view grant_id, absl::Time now,
                                                        const AuditContext& audit,
                                                        absl::Time deadline) = 0;

  virtual absl::StatusOr<GrantPage> ListGrants(const ListGrantsQuery& query,
                                               absl::Time deadline) = 0;

  // Number of grants per state, over all tenants.
  virtual absl::StatusOr<GrantCounts> CountGrants(absl::Time deadline) = 0;

  // The tenant's audit entries (of one grant when query.grant_id is set),
  // by seq, including those of deleted grants.
  virtual absl::StatusOr<AuditPage> ListAuditEntries(const AuditQuery& query,
                                                     absl::Time deadline) = 0;

  // Removes at most `max_entries` audit entries written before `before`,
  // oldest first, and returns how many it removed. Bounded so that one call
  // holds the writer briefly: a caller with more to remove calls again.
  virtual absl::StatusOr<int64_t> PruneAuditEntries(absl::Time before, int max_entries,
                                                    absl::Time deadline) = 0;

  // At most `limit` (at least 1) changes above `after_revision`, by
  // revision. OUT_OF_RANGE when changes after it were pruned (the message
  // names the oldest resumable revision) or when it is above every revision
  // this database handed out.
  virtual absl::StatusOr<ChangePage> ReadChanges(int64_t after_revision, int limit,
                                                 absl::Time deadline) {
    (void)after_revision, (void)limit, (void)deadline;
    return absl::UnimplementedError("this backend keeps no change log");
  }

  virtual absl::StatusOr<ChangeLogState> GetChangeLogState(absl::Time deadline) {
    (void)deadline;
    return absl::UnimplementedError("this backend keeps no change log");
  }

  // Removes at most `max_changes` changes, oldest first, that were written
  // before `before` or are more than `keep_revisions` revisions older than
  // the newest; returns how many it removed. Bounded like
  // PruneAuditEntries.
  virtual absl::StatusOr<int64_t> PruneChanges(absl::Time before, int64_t keep_revisions,
                                               int max_changes, absl::Time deadline) {
    (void)before, (void)keep_revisions, (void)max_changes, (void)deadline;
    return absl::UnimplementedError("this backend keeps no change log");
  }

  // Sweep support (see FingerprintStore.AcquireLease and the sweep RPCs in
  // store.proto). Leases: granted when free, expired at `now`, or held by
  // `holder` (the expiry becomes now + ttl); the epoch increases whenever
  // the holder changes or a holder returns after its lease expired.
  virtual absl::StatusOr<LeaseState> AcquireLease(absl::string_view name, absl::string_view holder,
                                                  absl::Duration ttl, absl::Time now,
                                                  absl::Time deadline) {
    (void)name, (void)holder, (void)ttl, (void)now, (void)deadline;
    return absl::UnimplementedError("this backend keeps no leases");
  }

  // ACTIVE grants grouped by (tenant_id, client_id): the count and the
  // grant with the latest updated_at (ties: the greatest grant_id).
  virtual absl::StatusOr<ActiveAppPage> ListActiveApps(const ActiveAppsQuery& query,
                                                       absl::Time deadline) {
    (void)query, (void)deadline;
    return absl::UnimplementedError("this backend keeps no sweep results");
  }

  // Replaces each result's row (by tenant_id, client_id) with swept_by set
  // to the holder, in one transaction that first checks the lease is held
  // by write.holder at write.epoch and unexpired at `now`
  // (FAILED_PRECONDITION otherwise, nothing written). With pass_complete,
  // removes the rows whose pass started before write.pass_started_at and
  // returns how many.
  virtual absl::StatusOr<int64_t> PutSweepResults(const SweepWrite& write, absl::Time now,
                                                  absl::Time deadline) {
    (void)write, (void)now, (void)deadline;
    return absl::UnimplementedError("this backend keeps no sweep results");
  }

  virtual absl::StatusOr<SweepResultPage> ListSweepResults(const SweepResultsQuery& query,
                                                           absl::Time deadline) {
    (void)query, (void)deadline;
    return absl::UnimplementedError("this backend keeps no sweep results");
  }

  // OK while the database answers; UNAVAILABLE (with the reason) while it
  // does not. The store's health (and so its readiness) follows it.
  virtual absl::Status CheckReachable(absl::Time deadline) = 0;
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_GRANT_BACKEND_H_
