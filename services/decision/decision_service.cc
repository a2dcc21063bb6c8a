#include "services/decision/decision_service.h"

#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/server/grpc_status.h"

namespace apptrust::decision {
namespace {

// The caller's deadline, capped so that a call without one still ends.
absl::Time CallDeadline(grpc::CallbackServerContext* context) {
  const absl::Time cap = absl::Now() + absl::Seconds(60);
  const absl::Time deadline = absl::FromChrono(context->deadline());
  return std::min(deadline, cap);
}

// An answer built on an observation this process could not make (the
// policy's PROBE_LOCAL_ERROR: no descriptor, memory or port to probe with)
// is no answer about the app: UNAVAILABLE, which the gateway retries, instead
// of a verdict or a description (common/policy/probe_outcome.h). A SUSPEND
// never rests on such a finding (it never suspends); it is passed through.
template <typename Response>
absl::StatusOr<Response> NoAnswerWithoutEvidence(absl::StatusOr<Response> result) {
  if (!result.ok()) return result;
  if constexpr (std::is_same_v<Response, v1::CheckRefreshResponse>) {
    if (result->verdict() == v1::VERDICT_SUSPEND) return result;
  }
  for (const v1::Finding& finding : result->findings()) {
    if (finding.reason() == v1::REASON_PROBE_LOCAL_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("the app could not be observed for lack of a local resource (",
                       finding.detail(), "); retry"));
    }
  }
  return result;
}

template <typename Response>
std::function<void(absl::StatusOr<Response>)> Finisher(grpc::ServerUnaryReactor* reactor,
                                                       Response* response) {
  return [reactor, response](absl::StatusOr<Response> decided) {
    absl::StatusOr<Response> result = NoAnswerWithoutEvidence(std::move(decided));
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
