#include "common/policy/policy.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/policy/display_identity.h"
#include "common/policy/organization_name.h"
#include "common/policy/probe_outcome.h"
#include "common/time/proto_time.h"
#include "common/time/time_format.h"

namespace apptrust::policy {
namespace {

using config::EffectivePolicy;

constexpr char kArrow[] = " \xE2\x86\x92 ";  // " → " in details, never in messages

using timeconv::FromProto;

std::string OutcomeName(v1::ProbeOutcome outcome) {
  std::string name = v1::ProbeOutcome_Name(outcome);
  constexpr absl::string_view kPrefix = "PROBE_OUTCOME_";
  if (absl::string_view(name).substr(0, kPrefix.size()) == kPrefix) {
    name.erase(0, kPrefix.size());
  }
  return name.empty() ? absl::StrCat(static_cast<int>(outcome)) : name;
}

std::string LevelName(v1::ValidationLevel level) {
  switch (level) {
    case v1::VALIDATION_LEVEL_DV:
      return "DV";
    case v1::VALIDATION_LEVEL_OV:
      return "OV";
    case v1::VALIDATION_LEVEL_EV:
      return "EV";
    case v1::VALIDATION_LEVEL_IV:
      return "IV";
    default:
      return "none";
  }
}

std::string Quoted(absl::string_view s) { return absl::StrCat("'", s, "'"); }

// At most this many values are spelled out in a finding's detail: a detail
// is stored in the suspension and shown on the page, and an app's lists can
// hold a hundred long values each.
constexpr size_t kMaxListedValues = 10;

template <typename Container>
std::string List(const Container& values) {
  std::vector<std::string> shown;
  for (const auto& value : values) {
    if (shown.size() == kMaxListedValues) break;
    shown.emplace_back(value);
  }
  if (static_cast<size_t>(values.size()) > kMaxListedValues) {
    shown.push_back(absl::StrCat("… ", values.size() - kMaxListedValues, " more"));
  }
  return absl::StrCat("[", absl::StrJoin(shown, ", "), "]");
}

std::set<std::string> AsSet(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return std::set<std::string>(values.begin(), values.end());
}

// Outcomes with the gaps of hand-built or older fingerprints filled in: an
// unset outcome means "no information", never a failure.
v1::ProbeOutcome AddressOutcome(const v1::Fingerprint& fp) {
  v1::ProbeOutcome outcome = fp.dns().address_outcome();
  if (outcome != v1::PROBE_OUTCOME_UNSPECIFIED) {
    return outcome;
  }
  if (fp.host_is_ip_literal()) {
    return v1::PROBE_OUTCOME_NOT_APPLICABLE;
  }
  if (!fp.dns().addresses().empty() || fp.tls().present()) {
    return v1::PROBE_OUTCOME_OK;
  }
  return v1::PROBE_OUTCOME_NOT_APPLICABLE;
}

v1::ProbeOutcome TlsOutcome(const v1::Fingerprint& fp) {
  v1::ProbeOutcome outcome = fp.tls().outcome();
  if (outcome != v1::PROBE_OUTCOME_UNSPECIFIED) {
    return outcome;
  }
  return fp.tls().present() ? v1::PROBE_OUTCOME_OK : v1::PROBE_OUTCOME_NOT_APPLICABLE;
}

v1::ProbeOutcome TxtOutcome(const v1::Fingerprint& fp) {
  v1::ProbeOutcome outcome = fp.dns().txt_outcome();
  if (outcome != v1::PROBE_OUTCOME_UNSPECIFIED) {
    return outcome;
  }
  if (fp.host_is_ip_literal()) {
    return v1::PROBE_OUTCOME_NOT_APPLICABLE;
  }
  if (fp.dns().client_id_txt_present() || !fp.dns().txt_values().empty()) {
    return v1::PROBE_OUTCOME_OK;
  }
  return v1::PROBE_OUTCOME_NOT_APPLICABLE;
}

// The TXT lookup answered: NXDOMAIN and NO_DATA at the domain mean "no
// entries" (some servers answer NXDOMAIN for a name that only has children).
bool TxtDefinitive(v1::ProbeOutcome outcome) {
  return outcome == v1::PROBE_OUTCOME_OK || outcome == v1::PROBE_OUTCOME_NO_DATA ||
         outcome == v1::PROBE_OUTCOME_NXDOMAIN;
}

bool TlsUsable(const v1::Fingerprint& fp) {
  return TlsOutcome(fp) == v1::PROBE_OUTCOME_OK && fp.tls().present();
}

bool IsModernProtocol(const v1::TlsFingerprint& tls) {
  return tls.tls12_or_newer() || tls.protocol_version() == "TLSv1.2" ||
         tls.protocol_version() == "TLSv1.3";
}

// One finding per reason; details of repeated additions are joined.
class Findings {
 public:
  Findings(const EffectivePolicy& policy, bool describe_only)
      : policy_(policy), describe_only_(describe_only) {}

  void Add(v1::Reason reason, absl::string_view message, absl::string_view detail) {
    auto [it, inserted] = by_reason_.try_emplace(reason);
    v1::Finding& finding = it->second;
    if (inserted) {
      finding.set_reason(reason);
      finding.set_suspends(!describe_only_ && ReasonSuspends(reason, policy_));
      finding.set_message(std::string(message));
      finding.set_detail(std::string(detail));
    } else if (!detail.empty() && finding.detail() != detail) {
      finding.set_detail(absl::StrCat(finding.detail(), "; ", detail));
    }
  }

  bool Has(v1::Reason reason) const { return by_reason_.count(reason) > 0; }

  std::vector<v1::Finding> Sorted() const {
    std::vector<v1::Finding> out;
    out.reserve(by_reason_.size());
    for (const auto& [reason, finding] : by_reason_) {
      out.push_back(finding);
    }
    SortFindings(out);
    return out;
  }

 private:
  const EffectivePolicy& policy_;
  bool describe_only_;
  std::map<v1::Reason, v1::Finding> by_reason_;
};

// Outcomes that answer for the whole host, whichever step reported them.
void AddDefinitiveHostOutcome(v1::ProbeOutcome outcome, const v1::Fingerprint& observed,
                              absl::string_view step, Findings& findings) {
  if (outcome == v1::PROBE_OUTCOME_NXDOMAIN) {
    findings.Add(v1::REASON_DNS_DOMAIN_NOT_FOUND, "The website's name does not exist.",
                 absl::StrCat(step, ": ", observed.host(), " is NXDOMAIN"));
  } else if (outcome == v1::PROBE_OUTCOME_NO_DATA) {
    findings.Add(v1::REASON_DNS_DOMAIN_NOT_FOUND, "The website's name leads nowhere.",
                 absl::StrCat(step, ": ", observed.host(), " has no A or AAAA record"));
  } else if (outcome == v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED) {
    findings.Add(v1::REASON_ADDRESS_NOT_ALLOWED,
                 "The website points to a network address that may not be contacted.",
                 absl::StrCat(step, ": refused addresses [",
                              absl::StrJoin(observed.dns().refused_addresses(), ", "), "]"));
  }
}

void AddProbeFailure(absl::string_view part, v1::ProbeOutcome outcome, absl::string_view error,
                     Findings& findings) {
  std::string detail = absl::StrCat(part, ": ", OutcomeName(outcome));
  if (!error.empty()) {
    absl::StrAppend(&detail, " (", error, ")");
  }
  findings.Add(v1::REASON_PROBE_FAILED, "The app's website could not be checked just now.", detail);
}

// Security failures and informational facts about the certificate, judged
// on the observation alone.
void CheckCertificate(const v1::Fingerprint& observed, absl::Time now,
                      const EffectivePolicy& policy, Findings& findings) {
  const v1::TlsFingerprint& tls = observed.tls();
  if (tls.has_not_after()) {
    absl::Time not_after = FromProto(tls.not_after());
    if (not_after < now) {
      findings.Add(v1::REASON_TLS_CERT_EXPIRED,
                   absl::StrCat("The website's security certificate expired on ",
                                timeconv::FormatHumanDate(not_after), "."),
                   absl::StrCat("not_after: ", timeconv::FormatRfc3339(not_after)));
    } else if (not_after - now <= policy.expiring_soon) {
      findings.Add(v1::REASON_CERT_EXPIRING_SOON,
                   absl::StrCat("The website's security certificate expires on ",
                                timeconv::FormatHumanDate(not_after), "."),
                   absl::StrCat("not_after: ", timeconv::FormatRfc3339(not_after)));
    }
  }
  if (tls.has_not_before()) {
    absl::Time not_before = FromProto(tls.not_before());
    if (now < not_before) {
      findings.Add(v1::REASON_TLS_CERT_NOT_YET_VALID,
                   absl::StrCat("The website's security certificate is not valid until ",
                                timeconv::FormatHumanDate(not_before), "."),
                   absl::StrCat("not_before: ", timeconv::FormatRfc3339(not_before)));
    }
  }
  if (!tls.chain_trusted()) {
    std::string detail = absl::StrCat("issuer: ", Quoted(tls.issuer()));
    if (!tls.verify_error().empty()) {
      absl::StrAppend(&detail, "; ", tls.verify_error());
    }
    findings.Add(v1::REASON_TLS_CHAIN_UNTRUSTED,
                 tls.self_signed()
                     ? "The website's security certificate is self-signed, so no trusted "
                       "authority vouches for it."
                     : "The website's security certificate is not issued by a trusted "
                       "authority.",
                 tls.self_signed() ? absl::StrCat("self-signed; ", detail) : detail);
  }
  if (!tls.hostname_matches()) {
    std::vector<std::string> names(tls.subject_alt_names().begin(), tls.subject_alt_names().end());
    if (names.empty() && !tls.subject_common_name().empty()) {
      names.push_back(tls.subject_common_name());
    }
    findings.Add(v1::REASON_TLS_HOSTNAME_MISMATCH,
                 "The website's security certificate was issued for a different website.",
                 absl::StrCat("host: ", observed.host(), "; certificate names: ", List(names)));
  }
  if (!IsModernProtocol(tls) && !tls.protocol_version().empty()) {
    findings.Add(
        v1::REASON_TLS_PROTOCOL_OUTDATED,
        "The website uses an outdated version of secure connections.",
        absl::StrCat("protocol: ", tls.protocol_version(), " (TLS 1.2 or newer required)"));
  }
  if (tls.revocation() == v1::REVOCATION_REVOKED) {
    findings.Add(v1::REASON_TLS_CERT_REVOKED,
                 "The website's security certificate has been revoked by its issuer.",
                 absl::StrCat("serial: ", tls.serial(), "; issuer: ", Quoted(tls.issuer())));
  }
  if (!IsOrganizationValidated(tls.validation_level())) {
    findings.Add(v1::REASON_DV_CERTIFICATE,
                 "The website's certificate does not say which organization runs it.",
                 absl::StrCat("validation_level: ", LevelName(tls.validation_level())));
  }
}

// The one finding for an observation this process could not make for lack of
// a local resource (probe_outcome.h): nothing else is judged, not even the
// parts that were observed, because a partial observation would be judged
// as if the missing part had answered.
std::vector<v1::Finding> LocalFailureOnly(const v1::Fingerprint& observed,
                                          const EffectivePolicy& policy) {
  Findings findings(policy, /*describe_only=*/true);
  auto add = [&findings](absl::string_view part, v1::ProbeOutcome outcome,
                         absl::string_view error) {
    if (!IsLocalFailure(outcome)) return;
    std::string detail = absl::StrCat(part, ": ", OutcomeName(outcome));
    if (!error.empty()) absl::StrAppend(&detail, " (", error, ")");
    findings.Add(v1::REASON_PROBE_LOCAL_ERROR,
                 "The app's website could not be checked just now; please try again.", detail);
  };
  add("addresses", observed.dns().address_outcome(), observed.dns().error());
  add("tls", observed.tls().outcome(), observed.tls().error());
  add("revocation", observed.tls().revocation_outcome(), observed.tls().revocation_error());
  add("txt", observed.dns().txt_outcome(), observed.dns().error());
  return findings.Sorted();
}

// Everything judged on the observation alone, plus the comparisons with
// `enrolled` when there is one.
std::vector<v1::Finding> Collect(const Enrolled* enrolled, const v1::Fingerprint& observed,
                                 absl::Time now, const EffectivePolicy& policy) {
  if (ProbeFailedLocally(observed)) {
    return LocalFailureOnly(observed, policy);
  }
  Findings findings(policy, /*describe_only=*/enrolled == nullptr);
  const v1::Fingerprint* before = enrolled ? &enrolled->fingerprint : nullptr;
  const bool https = observed.scheme() != "http";

  // Where the app is.
  if (before != nullptr && !before->domain().empty() && !observed.domain().empty() &&
      before->domain() != observed.domain()) {
    findings.Add(
        v1::REASON_REDIRECT_DOMAIN_CHANGED,
        absl::StrCat("The app now sends you to a different website (", observed.domain(),
                     ") than the one you approved (", before->domain(), ")."),
        absl::StrCat("domain: ", Quoted(before->domain()), kArrow, Quoted(observed.domain())));
  }
  if (https && observed.port() != 0 && observed.port() != 443) {
    findings.Add(v1::REASON_NON_STANDARD_PORT,
                 absl::StrCat("The website uses an unusual network port (", observed.port(), ")."),
                 absl::StrCat("port: ", observed.port(), " (443 expected)"));
  }
  if (!https) {
    findings.Add(v1::REASON_NO_TLS, "The website does not use a secure (encrypted) connection.",
                 "scheme: http");
  }

  // Addresses. A host that does not resolve (or only to refused addresses)
  // cannot have been connected to: the TLS step then says nothing.
  v1::ProbeOutcome address = AddressOutcome(observed);
  bool host_reached =
      address == v1::PROBE_OUTCOME_OK || address == v1::PROBE_OUTCOME_NOT_APPLICABLE;
  if (IsProbeFailure(address)) {
    AddProbeFailure("addresses", address, observed.tls().error(), findings);
  } else {
    AddDefinitiveHostOutcome(address, observed, "addresses", findings);
  }
  if (address == v1::PROBE_OUTCOME_OK && before != nullptr &&
      AddressOutcome(*before) == v1::PROBE_OUTCOME_OK) {
    std::set<std::string> old_addresses = AsSet(before->dns().addresses());
    std::set<std::string> new_addresses = AsSet(observed.dns().addresses());
    if (old_addresses != new_addresses) {
      findings.Add(v1::REASON_ADDRESSES_CHANGED, "The website's network addresses changed.",
                   absl::StrCat("addresses: ", List(old_addresses), kArrow, List(new_addresses)));
    }
  }

  // TLS.
  v1::ProbeOutcome tls = TlsOutcome(observed);
  bool tls_usable = false;
  if (host_reached && https) {
    if (IsProbeFailure(tls)) {
      AddProbeFailure("tls", tls, observed.tls().error(), findings);
    } else if (tls == v1::PROBE_OUTCOME_NO_TLS) {
      std::string detail = "tls: NO_TLS";
      if (!observed.tls().error().empty()) {
        absl::StrAppend(&detail, " (", observed.tls().error(), ")");
      }
      findings.Add(v1::REASON_TLS_UNAVAILABLE,
                   "The website does not offer a secure (encrypted) connection.", detail);
    } else if (TlsUsable(observed)) {
      tls_usable = true;
      CheckCertificate(observed, now, policy, findings);
      // A CRL that could not be fetched or verified says nothing: a probe
      // failure, never a revocation.
      if (IsProbeFailure(observed.tls().revocation_outcome())) {
        AddProbeFailure("revocation", observed.tls().revocation_outcome(),
                        observed.tls().revocation_error(), findings);
      }
    } else {
      AddDefinitiveHostOutcome(tls, observed, "tls", findings);
    }
  }
  if (tls_usable && before != nullptr && before->tls().present()) {
    const v1::TlsFingerprint& a = before->tls();
    const v1::TlsFingerprint& b = observed.tls();
    if (IsOrganizationValidated(a.validation_level()) &&
        !IsOrganizationValidated(b.validation_level())) {
      findings.Add(v1::REASON_VALIDATION_DOWNGRADED,
                   "The website's certificate no longer verifies the organization that runs "
                   "it.",
                   absl::StrCat("validation_level: ", LevelName(a.validation_level()), kArrow,
                                LevelName(b.validation_level())));
    }
    if (!a.leaf_sha256().empty() && a.leaf_sha256() != b.leaf_sha256()) {
      findings.Add(v1::REASON_CERTIFICATE_CHANGED,
                   "The website's security certificate was replaced.",
                   absl::StrCat("leaf_sha256: ", a.leaf_sha256(), kArrow, b.leaf_sha256()));
    }
    if (!a.spki_sha256().empty() && a.spki_sha256() != b.spki_sha256()) {
      findings.Add(v1::REASON_KEY_CHANGED, "The website's encryption key changed.",
                   absl::StrCat("spki_sha256: ", a.spki_sha256(), kArrow, b.spki_sha256()));
    }
  }

  // TXT at the domain.
  v1::ProbeOutcome txt = TxtOutcome(observed);
  bool txt_known = TxtDefinitive(txt);
  if (IsProbeFailure(txt)) {
    AddProbeFailure("txt", txt, observed.dns().error(), findings);
  } else if (txt_known && !observed.dns().client_id_txt_present()) {
    if (before != nullptr && before->dns().client_id_txt_present()) {
      findings.Add(v1::REASON_DNS_TXT_MISSING,
                   "The website's domain no longer confirms that this app belongs to it.",
                   absl::StrCat("TXT ", policy.txt_key, "=<client id> at ", observed.domain(),
                                ": present", kArrow, "absent"));
    } else {
      findings.Add(v1::REASON_TXT_RECORD_ABSENT,
                   "The website's domain does not confirm that this app belongs to it.",
                   absl::StrCat("no TXT ", policy.txt_key, "=<client id> at ", observed.domain()));
    }
  }
  if (txt_known && before != nullptr && TxtDefinitive(TxtOutcome(*before))) {
    std::set<std::string> old_values = AsSet(before->dns().txt_values());
    std::set<std::string> new_values = AsSet(observed.dns().txt_values());
    // The kept values are at most the first 100 (fingerprint_limits.h); the
    // hash covers them all. A fingerprint from before the cap has no hash:
    // then the values, which were all kept, are what is compared.
    const std::string& old_hash = before->dns().txt_values_sha256();
    const std::string& new_hash = observed.dns().txt_values_sha256();
    const bool changed =
        !old_hash.empty() && !new_hash.empty() ? old_hash != new_hash : old_values != new_values;
    if (changed) {
      findings.Add(v1::REASON_DNS_TXT_CHANGED,
                   "The app's registration records on the website's domain changed.",
                   absl::StrCat("txt: ", List(old_values), kArrow, List(new_values)));
    }
  }

  // What the patient was shown. Compared only on a usable handshake (or
  // plain http, which shows no organization either way): a failed or absent
  // handshake is reported above and would otherwise also "change" the
  // identity.
  if (enrolled != nullptr && host_reached && (tls_usable || !https)) {
    v1::DisplayIdentity shown = enrolled->identity;
    if (shown.label() == v1::LABEL_UNSPECIFIED) {
      shown = ComputeIdentity(*before, enrolled->application_name, enrolled->validated,
                              FromProto(before->captured_at()));
    }
    // Trust lost since approval is a security finding, not an identity
    // change; trust gained is a change (names appear the patient never saw).
    bool was_trusted =
        HasTrustedOrganizationCertificate(before->tls(), FromProto(before->captured_at())) ||
        !shown.organization_name().empty();
    v1::DisplayIdentity now_shown =
        was_trusted
            ? ClaimedIdentity(observed, enrolled->application_name, enrolled->validated)
            : ComputeIdentity(observed, enrolled->application_name, enrolled->validated, now);
    // The TXT entry's state is only known from a definitive lookup; keep the
    // enrolled one otherwise so a TXT timeout does not change the label.
    if (!txt_known) {
      v1::Fingerprint patched = observed;
      patched.mutable_dns()->set_client_id_txt_present(before->dns().client_id_txt_present());
      now_shown =
          was_trusted
              ? ClaimedIdentity(patched, enrolled->application_name, enrolled->validated)
              : ComputeIdentity(patched, enrolled->application_name, enrolled->validated, now);
    }
    std::vector<std::string> changes;
    bool downgraded = findings.Has(v1::REASON_VALIDATION_DOWNGRADED);
    if (!downgraded) {
      // The same organization however its legal form is spelled, except
      // under PROFILE_STRICT (organization_name.h).
      const bool same_organization =
          policy.profile == v1::PROFILE_STRICT
              ? shown.organization_name() == now_shown.organization_name()
              : SameOrganizationName(shown.organization_name(), now_shown.organization_name());
      if (!same_organization) {
        changes.push_back(absl::StrCat("organization: ", Quoted(shown.organization_name()), kArrow,
                                       Quoted(now_shown.organization_name())));
      }
      if (shown.organization_location() != now_shown.organization_location()) {
        changes.push_back(absl::StrCat("location: ", Quoted(shown.organization_location()), kArrow,
                                       Quoted(now_shown.organization_location())));
      }
      if (shown.application_name() != now_shown.application_name()) {
        changes.push_back(absl::StrCat("application_name: ", Quoted(shown.application_name()),
                                       kArrow, Quoted(now_shown.application_name())));
      }
    }
    bool label_explained = downgraded || findings.Has(v1::REASON_DNS_TXT_MISSING);
    if (!label_explained && shown.label() != now_shown.label()) {
      changes.push_back(absl::StrCat("label: ", v1::Label_Name(shown.label()), kArrow,
                                     v1::Label_Name(now_shown.label())));
    }
    if (!changes.empty()) {
      findings.Add(v1::REASON_IDENTITY_CHANGED,
                   "What the website shows about who runs the app changed since you "
                   "approved it.",
                   absl::StrJoin(changes, "; "));
    }
  }
  return findings.Sorted();
}

}  // namespace

Enrolled EnrolledFromGrant(const v1::Grant& grant) {
  Enrolled enrolled;
  enrolled.fingerprint = grant.fingerprint();
  enrolled.identity = grant.identity();
  enrolled.application_name = grant.application_name();
  enrolled.validated = grant.validated();
  return enrolled;
}

bool ReasonSuspends(v1::Reason reason, const EffectivePolicy& policy) {
  switch (reason) {
    case v1::REASON_TLS_CERT_EXPIRED:
    case v1::REASON_TLS_CERT_NOT_YET_VALID:
    case v1::REASON_TLS_CHAIN_UNTRUSTED:
    case v1::REASON_TLS_HOSTNAME_MISMATCH:
    case v1::REASON_TLS_PROTOCOL_OUTDATED:
    case v1::REASON_TLS_CERT_REVOKED:
    case v1::REASON_TLS_UNAVAILABLE:
    case v1::REASON_DNS_DOMAIN_NOT_FOUND:
    case v1::REASON_ADDRESS_NOT_ALLOWED:
    case v1::REASON_REDIRECT_DOMAIN_CHANGED:
    case v1::REASON_VALIDATION_DOWNGRADED:
    case v1::REASON_ALREADY_SUSPENDED:
      return true;
    case v1::REASON_IDENTITY_CHANGED:
    case v1::REASON_DNS_TXT_MISSING:
      return policy.profile == v1::PROFILE_DISPLAYED || policy.profile == v1::PROFILE_STRICT;
    case v1::REASON_CERTIFICATE_CHANGED:
    case v1::REASON_KEY_CHANGED:
    case v1::REASON_DNS_TXT_CHANGED:
      return policy.profile == v1::PROFILE_STRICT;
    case v1::REASON_PROBE_FAILED:
      return policy.on_probe_failure == v1::PROBE_FAILURE_SUSPEND;
    case v1::REASON_PROBE_LOCAL_ERROR:
      return false;  // no evidence either way: no verdict at all
    default:
      return false;  // informational
  }
}

std::vector<v1::Finding> Evaluate(const Enrolled& enrolled, const v1::Fingerprint& observed,
                                  absl::Time now, const EffectivePolicy& policy) {
  return Collect(&enrolled, observed, now, policy);
}

std::vector<v1::Finding> DescribeApp(const v1::Fingerprint& observed, absl::Time now,
                                     const EffectivePolicy& policy) {
  return Collect(nullptr, observed, now, policy);
}

v1::Finding RedirectDomainChangedFinding(absl::string_view enrolled_domain,
                                         absl::string_view requested_domain,
                                         const EffectivePolicy& policy) {
  v1::Finding finding;
  finding.set_reason(v1::REASON_REDIRECT_DOMAIN_CHANGED);
  finding.set_suspends(ReasonSuspends(v1::REASON_REDIRECT_DOMAIN_CHANGED, policy));
  finding.set_message(absl::StrCat("The app now sends you to a different website (",
                                   requested_domain, ") than the one you approved (",
                                   enrolled_domain, ")."));
  finding.set_detail(
      absl::StrCat("domain: ", Quoted(enrolled_domain), kArrow, Quoted(requested_domain)));
  return finding;
}

bool AnySuspends(const std::vector<v1::Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const v1::Finding& f) { return f.suspends(); });
}

void SortFindings(std::vector<v1::Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(),
                   [](const v1::Finding& a, const v1::Finding& b) {
                     if (a.suspends() != b.suspends()) {
                       return a.suspends();
                     }
                     return a.reason() < b.reason();
                   });
}

}  // namespace apptrust::policy
