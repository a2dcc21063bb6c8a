// Which probe outcomes are failures. A probe part either observed something
// definitive about the world (OK, NXDOMAIN, NO_DATA, NO_TLS,
// ADDRESS_NOT_ALLOWED: the world answered) or failed to observe anything
// (SERVFAIL, TIMEOUT, CONNECTION_REFUSED, CONNECTION_RESET, ERROR,
// LOCAL_ERROR). Only definitive observations may be judged; failures go
// through the policy's `on_probe_failure` and the cache's stale-if-error.
//
// One kind of failure is set apart: LOCAL_ERROR, when this process lacked a
// resource to probe with (file descriptors, memory, local ports). That is no
// evidence about the app in either direction, so it is neither judged nor
// replaced by an older observation (an attacker who exhausts our descriptors
// must not get a hijacked app judged on its last good observation) nor
// cached; the refresh answers UNAVAILABLE and the gateway retries.
//
// The probe engine, the policy and the observation cache share these
// definitions so they can never disagree about what a failure is.
#ifndef APPTRUST_COMMON_POLICY_PROBE_OUTCOME_H_
#define APPTRUST_COMMON_POLICY_PROBE_OUTCOME_H_

#include "apptrust/v1/types.pb.h"

namespace apptrust::policy {

// True for SERVFAIL, TIMEOUT, CONNECTION_REFUSED, CONNECTION_RESET, ERROR,
// LOCAL_ERROR. UNSPECIFIED is not a failure (nothing was attempted or
// reported).
bool IsProbeFailure(v1::ProbeOutcome outcome);

// True for LOCAL_ERROR only: the failure was this process's, not the app's.
bool IsLocalFailure(v1::ProbeOutcome outcome);

// True when any part of the fingerprint (addresses, TLS handshake, TXT
// lookup) failed to observe anything definitive.
bool ProbeFailed(const v1::Fingerprint& fingerprint);

// True when any part of the fingerprint failed for lack of a local resource.
bool ProbeFailedLocally(const v1::Fingerprint& fingerprint);

}  // namespace apptrust::policy

#endif  // APPTRUST_COMMON_POLICY_PROBE_OUTCOME_H_
