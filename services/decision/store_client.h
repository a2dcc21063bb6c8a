// The decision service's view of apptrust-store: the three calls a decision
// needs, asynchronous, with absl::Status errors. An interface so the decision
// logic is unit-tested with a fake; GrpcStoreClient is the real one.
//
// Every call invokes `done` exactly once, on a gRPC thread or (fakes) the
// caller's; `done` must not block. Errors: NOT_FOUND for an unknown grant,
// FAILED_PRECONDITION for a version conflict, INVALID_ARGUMENT as the store
// says, UNAVAILABLE (with the store's address in the message) when the store
// cannot be reached, DEADLINE_EXCEEDED when `deadline` passes first.
#ifndef APPTRUST_SERVICES_DECISION_STORE_CLIENT_H_
#define APPTRUST_SERVICES_DECISION_STORE_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "apptrust/v1/types.pb.h"
#include "common/server/tls_credentials.h"
#include "grpcpp/channel.h"

namespace apptrust::decision {

class StoreClient {
 public:
  using GrantCallback = std::function<void(absl::StatusOr<v1::Grant>)>;

  virtual ~StoreClient() = default;

  virtual void GetGrant(const std::string& tenant_id, const std::string& grant_id,
                        absl::Time deadline, GrantCallback done) = 0;
  // Create or replace (re-approval): the store sets state ACTIVE and version.
  virtual void PutGrant(const v1::Grant& grant, absl::Time deadline, GrantCallback done) = 0;
  // Suspends an ACTIVE grant at `expected_version`; on an already SUSPENDED
  // grant the store returns it with its existing suspension.
  virtual void SuspendGrant(const std::string& tenant_id, const std::string& grant_id,
                            int64_t expected_version, const v1::Suspension& suspension,
                            absl::Time deadline, GrantCallback done) = 0;
};

// Observes each store call (method, gRPC code, latency), e.g. for metrics.
using StoreCallObserver =
    std::function<void(const char* method, int grpc_code, absl::Duration latency)>;

// Reads are batched opportunistically: a GetGrant goes out at once as its
// own call while fewer than kMaxReadCallsInFlight read calls are in flight;
// otherwise it waits for one of them to finish and then goes out with every
// read that queued meanwhile in one BatchGetGrants call (identical keys read
// once). Each read is still made after its refresh arrived, so a batched
// read sees every write acknowledged before it, as a lone GetGrant would; an
// idle replica adds no delay, a busy one makes a few store calls instead of
// one per refresh. A store without BatchGetGrants (UNIMPLEMENTED) gets single
// calls from then on.
class GrpcStoreClient : public StoreClient {
 public:
  static constexpr int kMaxReadCallsInFlight = 2;
  // Must not exceed the store's limit (services/store/validation.h).
  static constexpr int kMaxReadsPerBatch = 1000;

  // A channel to `address` that reconnects quickly when the store comes back
  // (backoff capped at a few seconds) and fails calls fast while it is down;
  // TLS or mutual TLS when `tls` names files (--store_tls_*,
  // common/server/tls_credentials.h), plaintext otherwise.
  static std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                                    const server::TlsClientOptions& tls = {});

  GrpcStoreClient(std::shared_ptr<grpc::Channel> channel, std::string address,
                  StoreCallObserver observer = nullptr);

  void GetGrant(const std::string& tenant_id, const std::string& grant_id, absl::Time deadline,
                GrantCallback done) override;
  void PutGrant(const v1::Grant& grant, absl::Time deadline, GrantCallback done) override;
  void SuspendGrant(const std::string& tenant_id, const std::string& grant_id,
                    int64_t expected_version, const v1::Suspension& suspension, absl::Time deadline,
                    GrantCallback done) override;

 private:
  struct PendingRead {
    std::string tenant_id;
    std::string grant_id;
    absl::Time deadline;
    GrantCallback done;
  };

  template <typename Request>
  void Call(const char* method, Request request, absl::Time deadline, GrantCallback done);
  // Sends `reads` (one: GetGrant; more: BatchGetGrants); when it finishes,
  // sends what queued meanwhile, then answers `reads`.
  void SendReads(std::vector<PendingRead> reads);
  void SendBatch(std::vector<PendingRead> reads);
  // A read call finished: the next batch, if any reads are waiting.
  void ReadCallFinished();

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FingerprintStore::Stub> stub_;
  std::string address_;
  StoreCallObserver observer_;

  absl::Mutex reads_mu_;
  int read_calls_in_flight_ ABSL_GUARDED_BY(reads_mu_) = 0;
  std::vector<PendingRead> waiting_reads_ ABSL_GUARDED_BY(reads_mu_);
  std::atomic<bool> batch_supported_{true};
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_STORE_CLIENT_H_
