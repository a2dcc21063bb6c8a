// What a sweep concludes about one app from one observation, as a pure
// function (no I/O, no clock): the same policy code a refresh runs
// (policy::Evaluate against the enrolled fingerprint of the app's most
// recently approved ACTIVE grant), sorted into what the app's developer
// needs to hear.
//
//   WOULD_SUSPEND      a refresh now would suspend (reason: the first
//                      suspending finding, the one the error URN names);
//                      shadow-mode tenants included, since turning
//                      enforcement on would cut these patients off.
//   WILL_SUSPEND_SOON  nothing suspends yet, but the certificate expires
//                      within the tenant's expiring_soon (CERT_EXPIRING_SOON)
//                      or its CRL lists it (TLS_CERT_REVOKED).
//   INFORMATIONAL      only findings that never suspend (DV, no TXT record,
//                      a non-standard port, ...), or no usable evidence (a
//                      local probe failure).
//   HEALTHY            no findings.
//
// Why the newest grant: grants of one app enrolled at different times may
// hold different fingerprints (a certificate renewed between approvals).
// Under the default profile a renewal with the same displayed identity does
// not suspend, so every grant of the app is judged alike; the newest
// approval is what most patients saw last. Under PROFILE_STRICT older grants
// may suspend where the newest does not (CERTIFICATE_CHANGED): the sweep
// then under-reports, never over-reports.
#ifndef APPTRUST_SERVICES_DECISION_SWEEP_CLASSIFIER_H_
#define APPTRUST_SERVICES_DECISION_SWEEP_CLASSIFIER_H_

#include "absl/time/time.h"
#include "apptrust/v1/store.pb.h"
#include "apptrust/v1/types.pb.h"
#include "common/config/effective_policy.h"

namespace apptrust::decision {

// The result row for `app` (tenant, client, host, grant count, status,
// reason, findings, certificate expiry, observed_at from the observation).
v1::SweepResult ClassifyApp(const v1::ActiveApp& app, const v1::Fingerprint& observed,
                            absl::Time now, const config::EffectivePolicy& policy);

// True for WOULD_SUSPEND and WILL_SUSPEND_SOON.
bool AtRisk(v1::SweepStatus status);

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_SWEEP_CLASSIFIER_H_
