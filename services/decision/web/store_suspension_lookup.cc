#include "services/decision/web/store_suspension_lookup.h"

#include <utility>

#include "apptrust/v1/store.grpc.pb.h"
#include "common/server/grpc_status.h"
#include "grpcpp/client_context.h"

namespace apptrust::web {

SuspensionLookup MakeStoreSuspensionLookup(std::shared_ptr<grpc::Channel> channel,
                                           absl::Duration timeout) {
  std::shared_ptr<v1::FingerprintStore::StubInterface> stub =
      v1::FingerprintStore::NewStub(std::move(channel));
  return [stub, timeout](const std::string& suspension_id,
                         const std::string& tenant_id) -> absl::StatusOr<v1::Suspension> {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    v1::GetSuspensionRequest request;
    request.set_suspension_id(suspension_id);
    request.set_tenant_id(tenant_id);
    v1::Suspension suspension;
    const grpc::Status status = stub->GetSuspension(&context, request, &suspension);
    if (!status.ok()) {
      return server::FromGrpcStatus(status);
    }
    return suspension;
  };
}

}  // namespace apptrust::web
