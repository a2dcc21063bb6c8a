// The suspension policy (DESIGN.md §4) as a pure function: given what the
// patient approved (the enrolled fingerprint and the identity they were
// shown), what the app's website shows now (the observation), the time and
// the effective policy, list the findings, each saying whether it suspends
// the refresh. No I/O, no clock, no globals: the same inputs always give the
// same findings in the same order.
//
// When a finding suspends (the table policy_test.cc spells out case by case):
// - Every profile: security failures, judged on the observation alone
//   (TLS_CERT_EXPIRED, TLS_CERT_NOT_YET_VALID, TLS_CHAIN_UNTRUSTED incl.
//   self-signed, TLS_HOSTNAME_MISMATCH, TLS_PROTOCOL_OUTDATED (< TLS 1.2),
//   TLS_CERT_REVOKED (the issuer's verified CRL lists the leaf),
//   TLS_UNAVAILABLE (an https host that completes no
//   handshake), DNS_DOMAIN_NOT_FOUND (the host's name is NXDOMAIN or has no
//   address), ADDRESS_NOT_ALLOWED (every address refused)); the redirect
//   domain (eTLD+1) differing from the enrolled one (REDIRECT_DOMAIN_CHANGED);
//   VALIDATION_DOWNGRADED (OV/EV enrolled, now DV, IV or none).
// - PROFILE_DISPLAYED (default) and PROFILE_STRICT also: IDENTITY_CHANGED
//   (application name, organization, location or label differ from what the
//   patient saw, in either direction: an app that gained an organization name
//   is also not what the patient approved). Under PROFILE_DISPLAYED the
//   organization is compared as a name (organization_name.h: case, spacing,
//   punctuation and the spelling of the legal form do not count); under
//   PROFILE_STRICT byte for byte and DNS_TXT_MISSING (the client's
//   `<txt_key>=<client_id>` entry was there at approval and is gone).
// - PROFILE_STRICT also: CERTIFICATE_CHANGED (leaf SHA-256), KEY_CHANGED
//   (SPKI SHA-256) and DNS_TXT_CHANGED (the set of `<txt_key>=` entries at
//   the domain changed, including another app's entry). Under the other
//   profiles these are reported with suspends=false.
// - PROBE_FAILED only under on_probe_failure=SUSPEND. The observation cache
//   substitutes the last good observation under STALE_OK before this
//   function runs, so a failure seen here means nothing usable was observed.
//   Nothing is derived from a failed part: a TXT timeout is not a missing
//   TXT entry, a handshake timeout not an unavailable TLS, a CRL that could
//   not be fetched or verified (tls.revocation_outcome) not a revocation.
// - Never: CERT_EXPIRING_SOON, NON_STANDARD_PORT, DV_CERTIFICATE,
//   TXT_RECORD_ABSENT, NO_TLS, ADDRESSES_CHANGED (informational).
// - No verdict: when any part failed for lack of a local resource
//   (PROBE_OUTCOME_LOCAL_ERROR: this process had no descriptor, memory or
//   port to probe with), the only finding is PROBE_LOCAL_ERROR, never
//   suspending, whatever on_probe_failure says; the decision service answers
//   UNAVAILABLE for it (probe_outcome.h).
//
// Findings that explain one another are not repeated: an expired or
// untrusted certificate that still names the same organization is not an
// identity change; a downgrade to DV is VALIDATION_DOWNGRADED, not also
// IDENTITY_CHANGED; a removed TXT entry is DNS_TXT_MISSING, not also a label
// change. One finding per reason; suspending findings first, then by reason
// number, so the first finding names the error URN.
#ifndef APPTRUST_COMMON_POLICY_POLICY_H_
#define APPTRUST_COMMON_POLICY_POLICY_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/config/effective_policy.h"

namespace apptrust::policy {

// What the patient approved.
struct Enrolled {
  v1::Fingerprint fingerprint;
  // What the patient was shown. When unset (label UNSPECIFIED) it is
  // recomputed from `fingerprint` at its captured_at.
  v1::DisplayIdentity identity;
  std::string application_name;
  bool validated = false;
};

// The enrolled side of a stored grant.
Enrolled EnrolledFromGrant(const v1::Grant& grant);

// Findings for a refresh: `observed` compared with `enrolled` at `now`.
std::vector<v1::Finding> Evaluate(const Enrolled& enrolled, const v1::Fingerprint& observed,
                                  absl::Time now, const config::EffectivePolicy& policy);

// Findings for an app nothing is enrolled for yet (Enroll, Inspect): what it
// lacks (DV_CERTIFICATE, TXT_RECORD_ABSENT, NON_STANDARD_PORT, NO_TLS,
// CERT_EXPIRING_SOON) and the security problems and probe failures seen, all
// with suspends=false.
std::vector<v1::Finding> DescribeApp(const v1::Fingerprint& observed, absl::Time now,
                                     const config::EffectivePolicy& policy);

// Whether a finding of `reason` suspends under `policy` (the rules above).
bool ReasonSuspends(v1::Reason reason, const config::EffectivePolicy& policy);

// The finding for a CheckRefresh whose redirect_uri now has a different
// eTLD+1 than the enrolled one (the caller compares the domains).
v1::Finding RedirectDomainChangedFinding(absl::string_view enrolled_domain,
                                         absl::string_view requested_domain,
                                         const config::EffectivePolicy& policy);

// True when any finding suspends.
bool AnySuspends(const std::vector<v1::Finding>& findings);

// Suspending findings first, then by reason number (the order Evaluate uses).
void SortFindings(std::vector<v1::Finding>& findings);

}  // namespace apptrust::policy

#endif  // APPTRUST_COMMON_POLICY_POLICY_H_
