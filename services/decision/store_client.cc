#include "services/decision/store_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace apptrust::decision {
namespace {

absl::Status FromGrpc(const grpc::Status& status, const std::string& address) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  if (code == absl::StatusCode::kUnavailable) {
    return absl::UnavailableError(
        absl::StrCat("store unavailable at ", address, ": ", status.error_message()));
  }
  return absl::Status(code, absl::StrCat("store: ", status.error_message()));
}

}  // namespace

std::shared_ptr<grpc::Channel> GrpcStoreClient::MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  // Without these the channel backs off for up to two minutes after the
  // store restarts; refreshes would fail long after the store is back.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

GrpcStoreClient::GrpcStoreClient(std::shared_ptr<grpc::Channel> channel, std::string address,
                                 StoreCallObserver observer)
    : channel_(std::move(channel)),
      stub_(v1::FingerprintStore::NewStub(channel_)),
      address_(std::move(address)),
      observer_(std::move(observer)) {}

template <typename Request>
void GrpcStoreClient::Call(const char* method, Request request, absl::Time deadline,
                           GrantCallback done) {
  struct State {
    grpc::ClientContext context;
    Request request;
    v1::Grant response;
    absl::Time started;
  };
  auto state = std::make_shared<State>();
  state->request = std::move(request);
  state->context.set_deadline(absl::ToChronoTime(deadline));
  state->started = absl::Now();
  auto on_done = [this, method, state, done = std::move(done)](grpc::Status status) {
    if (observer_) observer_(method, status.error_code(), absl::Now() - state->started);
    absl::Status result = FromGrpc(status, address_);
    if (result.ok()) {
      done(std::move(state->response));
    } else {
      done(std::move(result));
    }
  };
  auto* async = stub_->async();
  if constexpr (std::is_same_v<Request, v1::GetGrantRequest>) {
    async->GetGrant(&state->context, &state->request, &state->response, std::move(on_done));
  } else if constexpr (std::is_same_v<Request, v1::PutGrantRequest>) {
    async->PutGrant(&state->context, &state->request, &state->response, std::move(on_done));
  } else {
    async->SuspendGrant(&state->context, &state->request, &state->response, std::move(on_done));
  }
}

void GrpcStoreClient::GetGrant(const std::string& tenant_id, const std::string& grant_id,
                               absl::Time deadline, GrantCallback done) {
  v1::GetGrantRequest request;
  request.set_tenant_id(tenant_id);
  request.set_grant_id(grant_id);
  Call("GetGrant", std::move(request), deadline, std::move(done));
}

void GrpcStoreClient::PutGrant(const v1::Grant& grant, absl::Time deadline, GrantCallback done) {
  v1::PutGrantRequest request;
  *request.mutable_grant() = grant;
  Call("PutGrant", std::move(request), deadline, std::move(done));
}

void GrpcStoreClient::SuspendGrant(const std::string& tenant_id, const std::string& grant_id,
                                   int64_t expected_version, const v1::Suspension& suspension,
                                   absl::Time deadline, GrantCallback done) {
  v1::SuspendGrantRequest request;
  request.set_tenant_id(tenant_id);
  request.set_grant_id(grant_id);
  request.set_expected_version(expected_version);
  *request.mutable_suspension() = suspension;
  Call("SuspendGrant", std::move(request), deadline, std::move(done));
}

}  // namespace apptrust::decision
