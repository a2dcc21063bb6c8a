// The display identity: what the patient is shown about an app when they
// approve it (DESIGN.md §1). The application name and the organization's
// name and location are shown only when a valid, trusted OV or EV
// certificate ties a legal entity to the site; the domain (eTLD+1) is always
// shown; the label summarises how much could be verified.
//
// Decisions callers may rely on:
// - "Trusted" means chain_trusted, hostname_matches, and now within
//   [not_before, not_after]. Revocation is not part of it: an unknown status
//   is the norm (short-lived certificates, no CRL distribution point), and a
//   REVOKED certificate suspends on its own (TLS_CERT_REVOKED).
// - LABEL_VALIDATED whenever the app passed the vendor's formal validation
//   program (`validated`), even without an OV/EV certificate: validation is a
//   statement about the app, made by the vendor; the website's own weaknesses
//   are reported as findings, and the name and organization still need the
//   certificate. Otherwise LABEL_IDENTIFIED with a trusted OV/EV certificate
//   and the client's TXT entry, LABEL_UNKNOWN_APP without either.
#ifndef APPTRUST_COMMON_POLICY_DISPLAY_IDENTITY_H_
#define APPTRUST_COMMON_POLICY_DISPLAY_IDENTITY_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"

namespace apptrust::policy {

// The identity shown for `observed` at `now`.
v1::DisplayIdentity ComputeIdentity(const v1::Fingerprint& observed,
                                    absl::string_view application_name, bool validated,
                                    absl::Time now);

// The identity the certificate *claims*: as ComputeIdentity, but an OV/EV
// certificate counts whatever its trust, hostname match and validity dates.
// The policy compares this with what the patient saw, so that an expired or
// untrusted certificate is reported as the security failure it is, not also
// as an identity change.
v1::DisplayIdentity ClaimedIdentity(const v1::Fingerprint& observed,
                                    absl::string_view application_name, bool validated);

// True for a TLS handshake whose leaf is OV or EV and trusted at `now` (see
// above): the condition for showing names.
bool HasTrustedOrganizationCertificate(const v1::TlsFingerprint& tls, absl::Time now);

// "C, ST, L" from the leaf subject, skipping empty parts: "US, MO, Kansas City".
std::string OrganizationLocation(const v1::TlsFingerprint& tls);

// OV or EV: the levels that verify an organization.
bool IsOrganizationValidated(v1::ValidationLevel level);

// The label as the patient reads it: "Validated", "Identified", "Unknown App";
// "" for LABEL_UNSPECIFIED.
std::string LabelDisplayName(v1::Label label);

}  // namespace apptrust::policy

#endif  // APPTRUST_COMMON_POLICY_DISPLAY_IDENTITY_H_
