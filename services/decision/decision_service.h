// apptrust.v1.DecisionService over gRPC's callback API: each RPC hands the
// request and the caller's deadline to the Decider and finishes the reactor
// when the Decider answers, so a call waiting on a probe holds no thread.
// An answer whose observation failed for lack of a local resource (finding
// PROBE_LOCAL_ERROR) becomes UNAVAILABLE: no verdict without evidence.
#ifndef APPTRUST_SERVICES_DECISION_DECISION_SERVICE_H_
#define APPTRUST_SERVICES_DECISION_DECISION_SERVICE_H_

#include "apptrust/v1/decision.grpc.pb.h"
#include "services/decision/decider.h"

namespace apptrust::decision {

class DecisionServiceImpl final : public v1::DecisionService::CallbackService {
 public:
  explicit DecisionServiceImpl(Decider& decider) : decider_(decider) {}

  grpc::ServerUnaryReactor* Enroll(grpc::CallbackServerContext* context,
                                   const v1::EnrollRequest* request,
                                   v1::EnrollResponse* response) override;
  grpc::ServerUnaryReactor* CheckRefresh(grpc::CallbackServerContext* context,
                                         const v1::CheckRefreshRequest* request,
                                         v1::CheckRefreshResponse* response) override;
  grpc::ServerUnaryReactor* Inspect(grpc::CallbackServerContext* context,
                                    const v1::InspectRequest* request,
                                    v1::InspectResponse* response) override;

 private:
  Decider& decider_;
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_DECISION_SERVICE_H_
