#include "services/decision/sweep_classifier.h"

#include <vector>

#include "common/policy/policy.h"
#include "common/policy/probe_outcome.h"

namespace apptrust::decision {

bool AtRisk(v1::SweepStatus status) {
  return status == v1::SWEEP_STATUS_WOULD_SUSPEND || status == v1::SWEEP_STATUS_WILL_SUSPEND_SOON;
}

v1::SweepResult ClassifyApp(const v1::ActiveApp& app, const v1::Fingerprint& observed,
                            absl::Time now, const config::EffectivePolicy& policy) {
  const v1::Grant& grant = app.representative();
  v1::SweepResult result;
  result.set_tenant_id(app.tenant_id());
  result.set_client_id(app.client_id());
  result.set_host(grant.fingerprint().host());
  result.set_active_grants(app.active_grants());
  result.set_representative_grant_id(grant.grant_id());
  *result.mutable_observed_at() = observed.captured_at();
  if (observed.tls().has_not_after()) {
    *result.mutable_cert_not_after() = observed.tls().not_after();
  }

  // A failure of this process is no evidence about the app either way.
  std::vector<v1::Finding> findings =
      policy::ProbeFailedLocally(observed)
          ? policy::DescribeApp(observed, now, policy)
          : policy::Evaluate(policy::EnrolledFromGrant(grant), observed, now, policy);
  const bool local_failure = policy::ProbeFailedLocally(observed);
  v1::SweepStatus status =
      findings.empty() ? v1::SWEEP_STATUS_HEALTHY : v1::SWEEP_STATUS_INFORMATIONAL;
  v1::Reason reason = v1::REASON_UNSPECIFIED;
  if (!local_failure) {
    for (const v1::Finding& finding : findings) {
      // Suspending findings come first (policy::SortFindings).
      if (finding.suspends()) {
        status = v1::SWEEP_STATUS_WOULD_SUSPEND;
        reason = finding.reason();
        break;
      }
      if (finding.reason() == v1::REASON_CERT_EXPIRING_SOON ||
          finding.reason() == v1::REASON_TLS_CERT_REVOKED) {
        status = v1::SWEEP_STATUS_WILL_SUSPEND_SOON;
        reason = finding.reason();
      }
    }
  }
  result.set_status(status);
  result.set_reason(reason);
  for (v1::Finding& finding : findings) *result.add_findings() = std::move(finding);
  return result;
}

}  // namespace apptrust::decision
