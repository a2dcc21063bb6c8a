// The decision logic behind DecisionService, free of gRPC server plumbing:
// Enroll, CheckRefresh and Inspect as asynchronous operations over a store
// client, the observation cache and the policy (DESIGN.md §4).
//
// CheckRefresh: validate → read the grant (tenant-scoped) → a SUSPENDED grant
// answers SUSPEND with its stored suspension, without probing → a persona out
// of scope answers ALLOW without probing → a registered redirect URI on
// another eTLD+1 suspends (REDIRECT_DOMAIN_CHANGED) → observe (cache or probe)
// → policy → a suspending finding under ENFORCE is persisted with
// SuspendGrant (adopting another replica's suspension if it won) and answered
// with error="invalid_grant", error_description and error_uri; under SHADOW
// the answer is ALLOW with enforced=false and the findings. When SuspendGrant
// reports a version conflict (the grant was re-approved after it was read),
// the refresh is decided once more on the grant read again; a second
// conflict is ABORTED ("retry").
//
// Observations run to their own bound (ObservationCache's probe_timeout),
// never to a caller's deadline: one caller's short deadline must not turn a
// slow but healthy site into a failure served to the next patient. A caller
// whose deadline passes while its observation runs gets DEADLINE_EXCEEDED
// (gRPC has already ended the call) and nothing is written for it.
//
// The persona enrolled with the grant decides scope; a refresh naming
// another persona is INVALID_ARGUMENT.
//
// Each operation calls `done` exactly once, possibly on another thread. No
// refresh is ever allowed without the grant's state: a store failure is an
// error (UNAVAILABLE), never ALLOW.
#ifndef APPTRUST_SERVICES_DECISION_DECIDER_H_
#define APPTRUST_SERVICES_DECISION_DECIDER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apptrust/v1/decision.pb.h"
#include "apptrust/v1/policy.pb.h"
#include "common/cache/observation_cache.h"
#include "services/decision/decision_metrics.h"
#include "services/decision/store_client.h"

namespace apptrust::decision {

struct DeciderOptions {
  v1::PolicyConfig policy;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // New suspension ids; the default draws 128 random bits (lower hex).
  std::function<std::string()> new_suspension_id;
  // Where decisions, enrollments and suspensions are counted; may be null.
  DecisionMetrics* metrics = nullptr;
};

class Decider {
 public:
  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;

  Decider(DeciderOptions options, StoreClient& store, cache::ObservationCache& cache);

  void Enroll(const v1::EnrollRequest& request, absl::Time deadline,
              Callback<v1::EnrollResponse> done);
  void CheckRefresh(const v1::CheckRefreshRequest& request, absl::Time deadline,
                    Callback<v1::CheckRefreshResponse> done);
  void Inspect(const v1::InspectRequest& request, absl::Time deadline,
               Callback<v1::InspectResponse> done);

 private:
  struct RefreshCall;

  void Record(DecisionRpc rpc, DecisionVerdict verdict, v1::Reason reason,
              absl::Time started) const;
  // CheckRefresh from the grant read on (again after a version conflict).
  void ReadAndDecide(std::shared_ptr<RefreshCall> call);
  void Suspend(std::shared_ptr<RefreshCall> call, std::vector<v1::Finding> findings,
               absl::Time observed_at);

  DeciderOptions options_;
  StoreClient& store_;
  cache::ObservationCache& cache_;
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_DECIDER_H_
