#include "common/policy/display_identity.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/net/redirect_uri.h"
#include "common/time/proto_time.h"

namespace apptrust::policy {
namespace {

using timeconv::FromProto;

v1::DisplayIdentity Identity(const v1::Fingerprint& observed, absl::string_view application_name,
                             bool validated, bool organization_shown) {
  v1::DisplayIdentity identity;
  identity.set_domain(observed.domain());
  identity.set_domain_unicode(net::HostForDisplay(observed.domain()));
  if (organization_shown) {
    identity.set_application_name(std::string(application_name));
    identity.set_organization_name(observed.tls().subject_organization());
    identity.set_organization_location(OrganizationLocation(observed.tls()));
  }
  if (validated) {
    identity.set_label(v1::LABEL_VALIDATED);
  } else if (organization_shown && observed.dns().client_id_txt_present()) {
    identity.set_label(v1::LABEL_IDENTIFIED);
  } else {
    identity.set_label(v1::LABEL_UNKNOWN_APP);
  }
  return identity;
}

}  // namespace

bool IsOrganizationValidated(v1::ValidationLevel level) {
  return level == v1::VALIDATION_LEVEL_OV || level == v1::VALIDATION_LEVEL_EV;
}

bool HasTrustedOrganizationCertificate(const v1::TlsFingerprint& tls, absl::Time now) {
  if (!tls.present() || !IsOrganizationValidated(tls.validation_level())) {
    return false;
  }
  if (!tls.chain_trusted() || !tls.hostname_matches()) {
    return false;
  }
  if (tls.has_not_before() && now < FromProto(tls.not_before())) {
    return false;
  }
  if (tls.has_not_after() && now > FromProto(tls.not_after())) {
    return false;
  }
  return true;
}

std::string OrganizationLocation(const v1::TlsFingerprint& tls) {
  std::vector<std::string> parts;
  for (const std::string* part :
       {&tls.subject_country(), &tls.subject_state(), &tls.subject_locality()}) {
    if (!part->empty()) {
      parts.push_back(*part);
    }
  }
  return absl::StrJoin(parts, ", ");
}

v1::DisplayIdentity ComputeIdentity(const v1::Fingerprint& observed,
                                    absl::string_view application_name, bool validated,
                                    absl::Time now) {
  return Identity(observed, application_name, validated,
                  HasTrustedOrganizationCertificate(observed.tls(), now));
}

v1::DisplayIdentity ClaimedIdentity(const v1::Fingerprint& observed,
                                    absl::string_view application_name, bool validated) {
  const v1::TlsFingerprint& tls = observed.tls();
  return Identity(observed, application_name, validated,
                  tls.present() && IsOrganizationValidated(tls.validation_level()));
}

std::string LabelDisplayName(v1::Label label) {
  switch (label) {
    case v1::LABEL_VALIDATED:
      return "Validated";
    case v1::LABEL_IDENTIFIED:
      return "Identified";
    case v1::LABEL_UNKNOWN_APP:
      return "Unknown App";
    default:
      return "";
  }
}

}  // namespace apptrust::policy
