#include "services/decision/sweep_store.h"

#include <chrono>

#include "common/server/grpc_status.h"
#include "grpcpp/client_context.h"

namespace apptrust::decision {
namespace {

template <typename Response, typename Request, typename Call>
absl::StatusOr<Response> Unary(const Request& request, absl::Duration timeout, Call call) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  Response response;
  const grpc::Status status = call(&context, request, &response);
  if (!status.ok()) return server::FromGrpcStatus(status);
  return response;
}

}  // namespace

GrpcSweepStore::GrpcSweepStore(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::FingerprintStore::NewStub(std::move(channel))) {}

absl::StatusOr<v1::AcquireLeaseResponse> GrpcSweepStore::AcquireLease(
    const v1::AcquireLeaseRequest& request, absl::Duration timeout) {
  return Unary<v1::AcquireLeaseResponse>(request, timeout,
                                         [this](auto* context, const auto& req, auto* response) {
                                           return stub_->AcquireLease(context, req, response);
                                         });
}

absl::StatusOr<v1::ListActiveAppsResponse> GrpcSweepStore::ListActiveApps(
    const v1::ListActiveAppsRequest& request, absl::Duration timeout) {
  return Unary<v1::ListActiveAppsResponse>(request, timeout,
                                           [this](auto* context, const auto& req, auto* response) {
                                             return stub_->ListActiveApps(context, req, response);
                                           });
}

absl::StatusOr<v1::PutSweepResultsResponse> GrpcSweepStore::PutSweepResults(
    const v1::PutSweepResultsRequest& request, absl::Duration timeout) {
  return Unary<v1::PutSweepResultsResponse>(request, timeout,
                                            [this](auto* context, const auto& req, auto* response) {
                                              return stub_->PutSweepResults(context, req, response);
                                            });
}

}  // namespace apptrust::decision
