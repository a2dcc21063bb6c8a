// StoreService: the FingerprintStore gRPC service (proto/apptrust/v1/store.proto).
//
// Each RPC validates its request (validation.h), delegates to the
// GrantBackend, maps the result to a gRPC status, and records
// apptrust_store_* metrics. What callers may rely on, beyond the proto:
//   - INVALID_ARGUMENT messages start with the field path ("grant.tenant_id: ...").
//   - PutGrant ignores the server-set fields of the request (state, version,
//     created_at, updated_at, suspension). ALREADY_EXISTS is never returned.
//   - SuspendGrant: expected_version is the version of the grant the caller
//     read (>= 1). An empty suspension.suspension_id gets a random 128-bit hex
//     id, an unset suspended_at gets the server's clock; tenant_id, grant_id
//     and client_id are filled in from the grant. When the grant is already
//     SUSPENDED the answer is OK with the grant and its EXISTING suspension
//     (version unchanged), whatever expected_version says: a caller learns
//     whether its own suspension was stored by comparing the returned
//     suspension_id with the one it sent, so it should send one (and the
//     error_uri built from it). A version mismatch on an ACTIVE grant is
//     FAILED_PRECONDITION (read again, decide again).
//   - GetSuspension with a tenant_id that is not the suspension's is NOT_FOUND.
//   - Until AttachBackend(), every RPC answers UNAVAILABLE (health is
//     NOT_SERVING then too; see main.cc).
//   - Backend trouble (database busy past its timeout, I/O errors) is
//     UNAVAILABLE; callers must not treat it as "no grant".
//   - Reads (GetGrant, BatchGetGrants, GetSuspension, ListGrants) pass a
//     ReadGate (read_gate.h): a read whose caller's deadline passed or that
//     was cancelled is not run (DEADLINE_EXCEEDED / CANCELLED), and when
//     too many wait, RESOURCE_EXHAUSTED.
//   - PutGrant refuses a grant over kMaxGrantBytes, SuspendGrant a suspension
//     over kMaxSuspensionBytes (INVALID_ARGUMENT, validation.h).
//   - BatchGetGrants refuses a key named twice, and stops reading once its
//     response holds max_batch_response_bytes: it may then answer fewer
//     results than requests (the first ones, in order); the caller asks again
//     for the rest. At least one result is always answered.
//   - Every state change is audited (grant_backend.h) with the direct caller
//     of the RPC and its x-request-id (audit_caller.h); ListAuditEntries reads
//     the trail of one tenant, optionally one grant, by seq.
//   - Writes return their change-log revision: PutGrant and SuspendGrant in
//     Grant.revision, DeleteGrant in the trailing metadata
//     "apptrust-revision" (decimal).
//   - WatchGrants (store.proto) polls the backend every
//     watch.poll_interval per stream, and at once after a write through
//     this replica or a heartbeat; see DoWatchGrants.
#ifndef APPTRUST_SERVICES_STORE_STORE_SERVICE_H_
#define APPTRUST_SERVICES_STORE_STORE_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "services/store/grant_backend.h"
#include "services/store/read_gate.h"
#include "services/store/store_metrics.h"

namespace apptrust::store {

// absl::Status → grpc::Status, code for code (ALREADY_EXISTS, which the store
// never means, becomes INTERNAL).
// The call's deadline (absl::InfiniteFuture() when it has none, or for a
// null context in unit tests).
absl::Time DeadlineOf(const grpc::ServerContext* context);

grpc::Status ToGrpcStatus(const absl::Status& status);

// What WatchGrants streams may cost (flags --watch_*, --max_watchers).
struct WatchLimits {
  // How often a stream polls the database when nothing wakes it earlier.
  absl::Duration poll_interval = absl::Milliseconds(50);
  // A progress message is sent at least this often while nothing changes.
  absl::Duration progress_interval = absl::Seconds(1);
  // Streams served at once; one more is RESOURCE_EXHAUSTED.
  int max_watchers = 8;
  // A response stops growing past this (plus one change, at most
  // kMaxGrantBytes + kMaxSuspensionBytes).
  size_t max_message_bytes = 1024 * 1024;
  // Changes read from the database per round trip.
  int changes_per_read = 1000;
};

// What one call may cost the store.
struct StoreLimits {
  ReadGateOptions reads;
  // A BatchGetGrants answer stops growing past this (plus one grant, at most
  // kMaxGrantBytes + kMaxSuspensionBytes), well under a client's 4 MiB
  // default receive limit, and bounds the memory one call can pin.
  size_t max_batch_response_bytes = 1024 * 1024;
  WatchLimits watch;
};

class StoreService final : public apptrust::v1::FingerprintStore::Service {
 public:
  using Clock = std::function<absl::Time()>;

  // `metrics` may be null (no metrics). It must outlive the service.
  explicit StoreService(StoreMetrics* metrics, Clock clock = absl::Now, StoreLimits limits = {});

  // Reads running and waiting (tests, metrics).
  const ReadGate& read_gate() const { return read_gate_; }

  // Starts serving from `backend`, which must outlive the service, and sets
  // the grant gauges from its counts.
  absl::Status AttachBackend(GrantBackend* backend);

  grpc::Status PutGrant(grpc::ServerContext* context, const apptrust::v1::PutGrantRequest* request,
                        apptrust::v1::Grant* response) override;
  grpc::Status GetGrant(grpc::ServerContext* context, const apptrust::v1::GetGrantRequest* request,
                        apptrust::v1::Grant* response) override;
  grpc::Status BatchGetGrants(grpc::ServerContext* context,
                              const apptrust::v1::BatchGetGrantsRequest* request,
                              apptrust::v1::BatchGetGrantsResponse* response) override;
  grpc::Status SuspendGrant(grpc::ServerContext* context,
                            const apptrust::v1::SuspendGrantRequest* request,
                            apptrust::v1::Grant* response) override;
  grpc::Status GetSuspension(grpc::ServerContext* context,
                             const apptrust::v1::GetSuspensionRequest* request,
                             apptrust::v1::Suspension* response) override;
  grpc::Status DeleteGrant(grpc::ServerContext* context,
                           const apptrust::v1::DeleteGrantRequest* request,
                           google::protobuf::Empty* response) override;
  grpc::Status ListGrants(grpc::ServerContext* context,
                          const apptrust::v1::ListGrantsRequest* request,
                          apptrust::v1::ListGrantsResponse* response) override;
  grpc::Status ListAuditEntries(grpc::ServerContext* context,
                                const apptrust::v1::ListAuditEntriesRequest* request,
                                apptrust::v1::ListAuditEntriesResponse* response) override;
  grpc::Status WatchGrants(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<apptrust::v1::WatchGrantsResponse, apptrust::v1::WatchGrantsRequest>*
          stream) override;

  grpc::Status AcquireLease(grpc::ServerContext* context,
                            const apptrust::v1::AcquireLeaseRequest* request,
                            apptrust::v1::AcquireLeaseResponse* response) override;
  grpc::Status ListActiveApps(grpc::ServerContext* context,
                              const apptrust::v1::ListActiveAppsRequest* request,
                              apptrust::v1::ListActiveAppsResponse* response) override;
  grpc::Status PutSweepResults(grpc::ServerContext* context,
                               const apptrust::v1::PutSweepResultsRequest* request,
                               apptrust::v1::PutSweepResultsResponse* response) override;
  grpc::Status ListSweepResults(grpc::ServerContext* context,
                                const apptrust::v1::ListSweepResultsRequest* request,
                                apptrust::v1::ListSweepResultsResponse* response) override;

  // Streams being served (tests, metrics).
  int watchers() const { return watchers_.load(); }

 private:
  // The attached backend, or UNAVAILABLE.
  absl::StatusOr<GrantBackend*> Backend() const;
  // Records metrics, logs unexpected failures, converts the status.
  grpc::Status Finish(const char* method, absl::Time start, const absl::Status& status);

  absl::Status DoPutGrant(const apptrust::v1::PutGrantRequest& request, const AuditContext& audit,
                          apptrust::v1::Grant* response, absl::Time deadline);
  absl::Status DoBatchGetGrants(const apptrust::v1::BatchGetGrantsRequest& request,
                                grpc::ServerContext* context,
                                apptrust::v1::BatchGetGrantsResponse* response,
                                absl::Time deadline);
  // A turn to read for the call `context` (null in unit tests: no deadline).
  absl::StatusOr<ReadGate::Turn> EnterRead(grpc::ServerContext* context);
  absl::Status DoGetGrant(const apptrust::v1::GetGrantRequest& request,
                          apptrust::v1::Grant* response, absl::Time deadline);
  absl::Status DoSuspendGrant(const apptrust::v1::SuspendGrantRequest& request,
                              const AuditContext& audit, apptrust::v1::Grant* response,
                              absl::Time deadline);
  absl::Status DoGetSuspension(const apptrust::v1::GetSuspensionRequest& request,
                               apptrust::v1::Suspension* response, absl::Time deadline);
  absl::Status DoDeleteGrant(const apptrust::v1::DeleteGrantRequest& request,
                             const AuditContext& audit, int64_t* revision, absl::Time deadline);
  absl::Status DoWatchGrants(grpc::ServerContext* context,
                             grpc::ServerReaderWriter<apptrust::v1::WatchGrantsResponse,
                                                      apptrust::v1::WatchGrantsRequest>* stream);
  // Wakes the streams after a write through this replica.
  void NotifyWrite();
  absl::Status DoListGrants(const apptrust::v1::ListGrantsRequest& request,
                            apptrust::v1::ListGrantsResponse* response, absl::Time deadline);
  absl::Status DoListAuditEntries(const apptrust::v1::ListAuditEntriesRequest& request,
                                  apptrust::v1::ListAuditEntriesResponse* response,
                                  absl::Time deadline);

  absl::Status DoAcquireLease(const apptrust::v1::AcquireLeaseRequest& request,
                              apptrust::v1::AcquireLeaseResponse* response, absl::Time deadline);
  absl::Status DoListActiveApps(const apptrust::v1::ListActiveAppsRequest& request,
                                apptrust::v1::ListActiveAppsResponse* response,
                                absl::Time deadline);
  absl::Status DoPutSweepResults(const apptrust::v1::PutSweepResultsRequest& request,
                                 apptrust::v1::PutSweepResultsResponse* response,
                                 absl::Time deadline);
  absl::Status DoListSweepResults(const apptrust::v1::ListSweepResultsRequest& request,
                                  apptrust::v1::ListSweepResultsResponse* response,
                                  absl::Time deadline);

  StoreMetrics* const metrics_;
  const Clock clock_;
  const StoreLimits limits_;
  ReadGate read_gate_;
  std::atomic<GrantBackend*> backend_{nullptr};
  std::atomic<int> watchers_{0};
  // Bumped by every write through this replica; streams wait on it.
  absl::Mutex writes_mutex_;
  int64_t writes_ ABSL_GUARDED_BY(writes_mutex_) = 0;
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_STORE_SERVICE_H_
