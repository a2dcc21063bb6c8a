#include "services/decision/decision_service.h"

#include <utility>

#include "common/server/grpc_status.h"

namespace apptrust::decision {
namespace {

// The caller's deadline, capped so that a call without one still ends.
absl::Time CallDeadline(grpc::CallbackServerContext* context) {
  const absl::Time cap = absl::Now() + absl::Seconds(60);
  const absl::Time deadline = absl::FromChrono(context->deadline());
  return std::min(deadline, cap);
}

template <typename Response>
std::function<void(absl::StatusOr<Response>)> Finisher(grpc::ServerUnaryReactor* reactor,
                                                       Response* response) {
  return [reactor, response](absl::StatusOr<Response> result) {
    if (!result.ok()) {
      reactor->Finish(server::ToGrpcStatus(result.status()));
      return;
    }
    *response = *std::move(result);
    reactor->Finish(grpc::Status::OK);
  };
}

}  // namespace

grpc::ServerUnaryReactor* DecisionServiceImpl::Enroll(grpc::CallbackServerContext* context,
                                                      const v1::EnrollRequest* request,
                                                      v1::EnrollResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  decider_.Enroll(*request, CallDeadline(context), Finisher(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* DecisionServiceImpl::CheckRefresh(grpc::CallbackServerContext* context,
                                                            const v1::CheckRefreshRequest* request,
                                                            v1::CheckRefreshResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  decider_.CheckRefresh(*request, CallDeadline(context), Finisher(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* DecisionServiceImpl::Inspect(grpc::CallbackServerContext* context,
                                                       const v1::InspectRequest* request,
                                                       v1::InspectResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  decider_.Inspect(*request, CallDeadline(context), Finisher(reactor, response));
  return reactor;
}

}  // namespace apptrust::decision
