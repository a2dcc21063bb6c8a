// GrpcStoreClient: the StoreClient (store_client.h) that talks to
// apptrust-store over gRPC (FingerprintStore), batching reads under load.
#ifndef APPTRUST_SERVICES_DECISION_GRPC_STORE_CLIENT_H_
#define APPTRUST_SERVICES_DECISION_GRPC_STORE_CLIENT_H_

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
#include "services/decision/store_client.h"

namespace apptrust::decision {

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
  // The channel's receive limit. The store bounds a batched answer by bytes
  // (about 1 MiB plus one grant of at most 256 KiB) and may answer only the
  // first reads of a batch; the others go out again in the next one. An
  // answer that still exceeds this (an older store) is RESOURCE_EXHAUSTED for
  // the batch, whose reads are then sent one per call: one grant's size never
  // fails another grant's read.
  static constexpr int kMaxReceiveBytes = 16 * 1024 * 1024;

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
  // Sends `reads` (one, or `singly`: GetGrant each; more: BatchGetGrants);
  // when it finishes, sends what queued meanwhile, then answers `reads`.
  void SendReads(std::vector<PendingRead> reads, bool singly = false);
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

#endif  // APPTRUST_SERVICES_DECISION_GRPC_STORE_CLIENT_H_
