#include "common/policy/probe_outcome.h"

namespace apptrust::policy {

bool IsProbeFailure(v1::ProbeOutcome outcome) {
  switch (outcome) {
    case v1::PROBE_OUTCOME_SERVFAIL:
    case v1::PROBE_OUTCOME_TIMEOUT:
    case v1::PROBE_OUTCOME_CONNECTION_REFUSED:
    case v1::PROBE_OUTCOME_CONNECTION_RESET:
    case v1::PROBE_OUTCOME_ERROR:
    case v1::PROBE_OUTCOME_LOCAL_ERROR:
      return true;
    default:
      return false;
  }
}

bool IsLocalFailure(v1::ProbeOutcome outcome) { return outcome == v1::PROBE_OUTCOME_LOCAL_ERROR; }

bool ProbeFailed(const v1::Fingerprint& fingerprint) {
  return IsProbeFailure(fingerprint.dns().address_outcome()) ||
         IsProbeFailure(fingerprint.tls().outcome()) ||
         IsProbeFailure(fingerprint.tls().revocation_outcome()) ||
         IsProbeFailure(fingerprint.dns().txt_outcome());
}

bool ProbeFailedLocally(const v1::Fingerprint& fingerprint) {
  return IsLocalFailure(fingerprint.dns().address_outcome()) ||
         IsLocalFailure(fingerprint.tls().outcome()) ||
         IsLocalFailure(fingerprint.tls().revocation_outcome()) ||
         IsLocalFailure(fingerprint.dns().txt_outcome());
}

}  // namespace apptrust::policy
