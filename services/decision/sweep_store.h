// SweepStore: the store calls a sweep makes (FingerprintStore.AcquireLease,
// ListActiveApps, PutSweepResults), behind an interface so the sweeper is
// tested without a store; GrpcSweepStore is the real one.
#ifndef APPTRUST_SERVICES_DECISION_SWEEP_STORE_H_
#define APPTRUST_SERVICES_DECISION_SWEEP_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "apptrust/v1/store.pb.h"
#include "grpcpp/channel.h"

namespace apptrust::decision {

class SweepStore {
 public:
  virtual ~SweepStore() = default;
  // Blocking; each bounded by `timeout`. Errors are the store's statuses.
  virtual absl::StatusOr<v1::AcquireLeaseResponse> AcquireLease(
      const v1::AcquireLeaseRequest& request, absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::ListActiveAppsResponse> ListActiveApps(
      const v1::ListActiveAppsRequest& request, absl::Duration timeout) = 0;
  // FAILED_PRECONDITION: the lease is not held any more.
  virtual absl::StatusOr<v1::PutSweepResultsResponse> PutSweepResults(
      const v1::PutSweepResultsRequest& request, absl::Duration timeout) = 0;
};

class GrpcSweepStore : public SweepStore {
 public:
  explicit GrpcSweepStore(std::shared_ptr<grpc::Channel> channel);
  absl::StatusOr<v1::AcquireLeaseResponse> AcquireLease(const v1::AcquireLeaseRequest& request,
                                                        absl::Duration timeout) override;
  absl::StatusOr<v1::ListActiveAppsResponse> ListActiveApps(
      const v1::ListActiveAppsRequest& request, absl::Duration timeout) override;
  absl::StatusOr<v1::PutSweepResultsResponse> PutSweepResults(
      const v1::PutSweepResultsRequest& request, absl::Duration timeout) override;

 private:
  std::unique_ptr<v1::FingerprintStore::Stub> stub_;
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_SWEEP_STORE_H_
