// The suspension policy, case by case. Each row of kRows is one change of
// the world between the patient's approval (a baseline OV-certified app with
// its TXT entry, LABEL_IDENTIFIED) and a refresh, and lists the findings
// expected under each profile: S(reason) suspends the refresh, I(reason) is
// reported but does not suspend. Findings are listed in the order Evaluate
// returns them (suspending first, then by reason number); an empty list means
// ALLOW with nothing to report.
#include "common/policy/policy.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/policy/display_identity.h"
#include "common/policy/probe_outcome.h"
#include "common/policy/testing/example_app.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace apptrust::policy {
namespace {

using config::EffectivePolicy;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 28, 12, 0, 0), absl::UTCTimeZone());
const absl::Time kEnrolledAt = kNow - absl::Hours(24 * 30);

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// The app as the patient approved it: https://app.example.com/callback, an
// OV certificate for "Example Health Inc" (US, MO, Kansas City) valid for
// another ~300 days, TLS 1.3, and this client's TXT entry next to another
// app's at example.com.
v1::Fingerprint Baseline() {
  v1::Fingerprint fp;
  fp.set_scheme("https");
  fp.set_host("app.example.com");
  fp.set_port(443);
  fp.set_domain("example.com");
  *fp.mutable_tls() = testing::ExampleHealthOvTls(kNow);
  v1::DnsFingerprint& dns = *fp.mutable_dns();
  dns.set_address_outcome(v1::PROBE_OUTCOME_OK);
  dns.add_addresses("192.0.2.10");
  dns.add_addresses("2001:db8::10");
  dns.set_txt_outcome(v1::PROBE_OUTCOME_OK);
  dns.set_client_id_txt_present(true);
  dns.add_txt_values("cerner-client-id=app-1");
  dns.add_txt_values("cerner-client-id=other-app");
  *fp.mutable_captured_at() = Ts(kEnrolledAt);
  return fp;
}

struct Expect {
  v1::Reason reason;
  bool suspends;
  bool operator==(const Expect& o) const { return reason == o.reason && suspends == o.suspends; }
};
Expect S(v1::Reason r) { return {r, true}; }   // suspends
Expect I(v1::Reason r) { return {r, false}; }  // reported, does not suspend

std::string ToString(const std::vector<Expect>& e) {
  std::vector<std::string> parts;
  parts.reserve(e.size());
  for (const Expect& x : e) {
    parts.push_back(absl::StrCat(x.suspends ? "S(" : "I(", v1::Reason_Name(x.reason), ")"));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

using Change = std::function<void(v1::Fingerprint&)>;

struct Row {
  const char* name;
  // Applied to the baseline before approval, when the approved app differs
  // from the baseline (`change` then starts from this too).
  Change enrolled_change = nullptr;
  v1::ProbeFailure on_probe_failure = v1::PROBE_FAILURE_STALE_OK;
  Change change;  // applied to what was approved: what the refresh observes
  // Expected findings under each profile.
  std::vector<Expect> displayed;
  std::vector<Expect> strict;
  std::vector<Expect> security;
};

void NewCertificate(v1::Fingerprint& fp) {
  fp.mutable_tls()->set_leaf_sha256(std::string(64, 'c'));
  fp.mutable_tls()->set_spki_sha256(std::string(64, 'd'));
  fp.mutable_tls()->set_serial("0C0D");
}

void ClearTls(v1::Fingerprint& fp, v1::ProbeOutcome outcome) {
  fp.clear_tls();
  fp.mutable_tls()->set_outcome(outcome);
}

void NoTxtEntry(v1::Fingerprint& fp) {
  fp.mutable_dns()->set_client_id_txt_present(false);
  fp.mutable_dns()->clear_txt_values();
  fp.mutable_dns()->add_txt_values("cerner-client-id=other-app");
}

using R = v1::Reason;
constexpr R kExpired = v1::REASON_TLS_CERT_EXPIRED;
constexpr R kNotYetValid = v1::REASON_TLS_CERT_NOT_YET_VALID;
constexpr R kUntrusted = v1::REASON_TLS_CHAIN_UNTRUSTED;
constexpr R kHostMismatch = v1::REASON_TLS_HOSTNAME_MISMATCH;
constexpr R kOutdated = v1::REASON_TLS_PROTOCOL_OUTDATED;
constexpr R kRevoked = v1::REASON_TLS_CERT_REVOKED;
constexpr R kTlsGone = v1::REASON_TLS_UNAVAILABLE;
constexpr R kIdentity = v1::REASON_IDENTITY_CHANGED;
constexpr R kDowngraded = v1::REASON_VALIDATION_DOWNGRADED;
constexpr R kTxtMissing = v1::REASON_DNS_TXT_MISSING;
constexpr R kNxdomain = v1::REASON_DNS_DOMAIN_NOT_FOUND;
constexpr R kRedirect = v1::REASON_REDIRECT_DOMAIN_CHANGED;
constexpr R kRefused = v1::REASON_ADDRESS_NOT_ALLOWED;
constexpr R kCertChanged = v1::REASON_CERTIFICATE_CHANGED;
constexpr R kKeyChanged = v1::REASON_KEY_CHANGED;
constexpr R kTxtChanged = v1::REASON_DNS_TXT_CHANGED;
constexpr R kProbeFailed = v1::REASON_PROBE_FAILED;
constexpr R kExpiringSoon = v1::REASON_CERT_EXPIRING_SOON;
constexpr R kPort = v1::REASON_NON_STANDARD_PORT;
constexpr R kDv = v1::REASON_DV_CERTIFICATE;
constexpr R kTxtAbsent = v1::REASON_TXT_RECORD_ABSENT;
constexpr R kNoTls = v1::REASON_NO_TLS;
constexpr R kAddresses = v1::REASON_ADDRESSES_CHANGED;
constexpr R kLocalError = v1::REASON_PROBE_LOCAL_ERROR;

const std::vector<Row>& Rows() {
  static const auto* rows =
      new std::vector<Row>{
          // ---- Nothing the patient relies on changed: never suspends (default profile).
          {.name = "unchanged",
           .change = [](v1::Fingerprint&) {},
           .displayed = {},
           .strict = {},
           .security = {}},
          {.name = "certificate renewed, same identity and key",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_leaf_sha256(std::string(64, 'c'));
                 *fp.mutable_tls()->mutable_not_after() = Ts(kNow + absl::Hours(24 * 400));
               },
           .displayed = {I(kCertChanged)},
           .strict = {S(kCertChanged)},
           .security = {I(kCertChanged)}},
          {.name = "certificate renewed with a new key, same identity",
           .change = NewCertificate,
           .displayed = {I(kCertChanged), I(kKeyChanged)},
           .strict = {S(kCertChanged), S(kKeyChanged)},
           .security = {I(kCertChanged), I(kKeyChanged)}},
          {.name = "A/AAAA addresses changed",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->clear_addresses();
                 fp.mutable_dns()->add_addresses("198.51.100.7");
               },
           .displayed = {I(kAddresses)},
           .strict = {I(kAddresses)},
           .security = {I(kAddresses)}},
          {.name = "TXT entries reordered",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->clear_txt_values();
                 fp.mutable_dns()->add_txt_values("cerner-client-id=other-app");
                 fp.mutable_dns()->add_txt_values("cerner-client-id=app-1");
               },
           .displayed = {},
           .strict = {},
           .security = {}},
          {.name = "unrelated TXT records added (other keys are not kept by the probe)",
           .change = [](v1::Fingerprint&) {},
           .displayed = {},
           .strict = {},
           .security = {}},
          {.name = "another app's TXT entry added at the shared domain",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->add_txt_values("cerner-client-id=new-app");
               },
           .displayed = {I(kTxtChanged)},
           .strict = {S(kTxtChanged)},
           .security = {I(kTxtChanged)}},
          {.name = "certificate expires within 14 days",
           .change =
               [](v1::Fingerprint& fp) {
                 *fp.mutable_tls()->mutable_not_after() = Ts(kNow + absl::Hours(24 * 10));
               },
           .displayed = {I(kExpiringSoon)},
           .strict = {I(kExpiringSoon)},
           .security = {I(kExpiringSoon)}},
          {.name = "EV -> OV, same organization (what is shown did not change)",
           .enrolled_change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_EV);
               },
           .change =
               [](v1::Fingerprint& fp) {
                 NewCertificate(fp);
                 fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_OV);
               },
           .displayed = {I(kCertChanged), I(kKeyChanged)},
           .strict = {S(kCertChanged), S(kKeyChanged)},
           .security = {I(kCertChanged), I(kKeyChanged)}},

          // ---- Security failures: suspend under every profile.
          {.name = "certificate expired (same organization: not also an identity change)",
           .change =
               [](v1::Fingerprint& fp) {
                 *fp.mutable_tls()->mutable_not_after() = Ts(kNow - absl::Hours(24));
               },
           .displayed = {S(kExpired)},
           .strict = {S(kExpired)},
           .security = {S(kExpired)}},
          {.name = "certificate not yet valid",
           .change =
               [](v1::Fingerprint& fp) {
                 *fp.mutable_tls()->mutable_not_before() = Ts(kNow + absl::Hours(24));
               },
           .displayed = {S(kNotYetValid)},
           .strict = {S(kNotYetValid)},
           .security = {S(kNotYetValid)}},
          {.name = "chain no longer trusted, same certificate",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_chain_trusted(false);
                 fp.mutable_tls()->set_verify_error("unable to get local issuer certificate");
               },
           .displayed = {S(kUntrusted)},
           .strict = {S(kUntrusted)},
           .security = {S(kUntrusted)}},
          {.name = "replaced by a self-signed certificate without policy OIDs",
           .change =
               [](v1::Fingerprint& fp) {
                 NewCertificate(fp);
                 fp.mutable_tls()->set_chain_trusted(false);
                 fp.mutable_tls()->set_self_signed(true);
                 fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_NONE);
               },
           .displayed = {S(kUntrusted), S(kDowngraded), I(kCertChanged), I(kKeyChanged), I(kDv)},
           .strict = {S(kUntrusted), S(kDowngraded), S(kCertChanged), S(kKeyChanged), I(kDv)},
           .security = {S(kUntrusted), S(kDowngraded), I(kCertChanged), I(kKeyChanged), I(kDv)}},
          {.name = "certificate for another host",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_hostname_matches(false);
                 fp.mutable_tls()->clear_subject_alt_names();
                 fp.mutable_tls()->add_subject_alt_names("other.example.org");
               },
           .displayed = {S(kHostMismatch)},
           .strict = {S(kHostMismatch)},
           .security = {S(kHostMismatch)}},
          {.name = "TLS 1.1 negotiated",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_protocol_version("TLSv1.1");
                 fp.mutable_tls()->set_tls12_or_newer(false);
               },
           .displayed = {S(kOutdated)},
           .strict = {S(kOutdated)},
           .security = {S(kOutdated)}},
          {.name = "certificate revoked",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_revocation(v1::REVOCATION_REVOKED);
               },
           .displayed = {S(kRevoked)},
           .strict = {S(kRevoked)},
           .security = {S(kRevoked)}},
          {.name = "certificate revoked, listed in a verified CRL",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_revocation(v1::REVOCATION_REVOKED);
                 fp.mutable_tls()->set_revocation_outcome(v1::PROBE_OUTCOME_OK);
               },
           .displayed = {S(kRevoked)},
           .strict = {S(kRevoked)},
           .security = {S(kRevoked)}},
          {.name = "verified CRL does not list the certificate",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_revocation(v1::REVOCATION_GOOD);
                 fp.mutable_tls()->set_revocation_outcome(v1::PROBE_OUTCOME_OK);
               },
           .displayed = {},
           .strict = {},
           .security = {}},
          {.name = "short-lived certificate: no CRL checked",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_revocation(v1::REVOCATION_UNKNOWN);
                 fp.mutable_tls()->set_revocation_outcome(v1::PROBE_OUTCOME_NOT_APPLICABLE);
               },
           .displayed = {},
           .strict = {},
           .security = {}},
          {.name = "host answers but completes no TLS handshake (plain HTTP on 443)",
           .change = [](v1::Fingerprint& fp) { ClearTls(fp, v1::PROBE_OUTCOME_NO_TLS); },
           .displayed = {S(kTlsGone)},
           .strict = {S(kTlsGone)},
           .security = {S(kTlsGone)}},
          {.name = "host name is NXDOMAIN (domain's TXT still answers)",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->clear_addresses();
                 fp.mutable_dns()->set_address_outcome(v1::PROBE_OUTCOME_NXDOMAIN);
                 ClearTls(fp, v1::PROBE_OUTCOME_NXDOMAIN);
               },
           .displayed = {S(kNxdomain)},
           .strict = {S(kNxdomain)},
           .security = {S(kNxdomain)}},
          {.name = "whole domain gone: host and TXT NXDOMAIN",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->clear_addresses();
                 fp.mutable_dns()->set_address_outcome(v1::PROBE_OUTCOME_NXDOMAIN);
                 ClearTls(fp, v1::PROBE_OUTCOME_NXDOMAIN);
                 fp.mutable_dns()->set_txt_outcome(v1::PROBE_OUTCOME_NXDOMAIN);
                 fp.mutable_dns()->clear_txt_values();
                 fp.mutable_dns()->set_client_id_txt_present(false);
               },
           .displayed = {S(kTxtMissing), S(kNxdomain), I(kTxtChanged)},
           .strict = {S(kTxtMissing), S(kNxdomain), S(kTxtChanged)},
           .security = {S(kNxdomain), I(kTxtMissing), I(kTxtChanged)}},
          {.name = "host has no A/AAAA records any more",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->clear_addresses();
                 fp.mutable_dns()->set_address_outcome(v1::PROBE_OUTCOME_NO_DATA);
                 ClearTls(fp, v1::PROBE_OUTCOME_UNSPECIFIED);
               },
           .displayed = {S(kNxdomain)},
           .strict = {S(kNxdomain)},
           .security = {S(kNxdomain)}},
          {.name = "host now resolves only to a private address",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->clear_addresses();
                 fp.mutable_dns()->add_addresses("10.0.0.5");
                 fp.mutable_dns()->add_refused_addresses("10.0.0.5");
                 fp.mutable_dns()->set_address_outcome(v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED);
                 ClearTls(fp, v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED);
               },
           .displayed = {S(kRefused)},
           .strict = {S(kRefused)},
           .security = {S(kRefused)}},
          {.name = "redirect host moved to another eTLD+1",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.set_host("app.example.net");
                 fp.set_domain("example.net");
                 fp.mutable_tls()->clear_subject_alt_names();
                 fp.mutable_tls()->add_subject_alt_names("app.example.net");
               },
           .displayed = {S(kRedirect)},
           .strict = {S(kRedirect)},
           .security = {S(kRedirect)}},

          // ---- What the patient was shown changed: displayed and strict suspend.
          {.name = "organization name changed (new certificate)",
           .change =
               [](v1::Fingerprint& fp) {
                 NewCertificate(fp);
                 fp.mutable_tls()->set_subject_organization("Other Corp");
               },
           .displayed = {S(kIdentity), I(kCertChanged), I(kKeyChanged)},
           .strict = {S(kIdentity), S(kCertChanged), S(kKeyChanged)},
           .security = {I(kIdentity), I(kCertChanged), I(kKeyChanged)}},
          {.name = "organization's legal form spelled out on renewal (Inc -> , Incorporated)",
           .change =
               [](v1::Fingerprint& fp) {
                 NewCertificate(fp);
                 fp.mutable_tls()->set_subject_organization("Example Health, Incorporated");
               },
           .displayed = {I(kCertChanged), I(kKeyChanged)},
           .strict = {S(kIdentity), S(kCertChanged), S(kKeyChanged)},
           .security = {I(kCertChanged), I(kKeyChanged)}},
          {.name = "organization name in other case and spacing, same legal form",
           .change =
               [](v1::Fingerprint& fp) {
                 NewCertificate(fp);
                 fp.mutable_tls()->set_subject_organization("EXAMPLE  HEALTH INC.");
               },
           .displayed = {I(kCertChanged), I(kKeyChanged)},
           .strict = {S(kIdentity), S(kCertChanged), S(kKeyChanged)},
           .security = {I(kCertChanged), I(kKeyChanged)}},
          {.name = "another organization with the same legal form",
           .change =
               [](v1::Fingerprint& fp) {
                 NewCertificate(fp);
                 fp.mutable_tls()->set_subject_organization("Other Health Inc.");
               },
           .displayed = {S(kIdentity), I(kCertChanged), I(kKeyChanged)},
           .strict = {S(kIdentity), S(kCertChanged), S(kKeyChanged)},
           .security = {I(kIdentity), I(kCertChanged), I(kKeyChanged)}},
          {.name = "renewal by another CA (new issuer, key and serial), same organization",
           .change =
               [](v1::Fingerprint& fp) {
                 NewCertificate(fp);
                 fp.mutable_tls()->set_issuer("CN=Other Issuing CA,O=Other CA,C=US");
               },
           .displayed = {I(kCertChanged), I(kKeyChanged)},
           .strict = {S(kCertChanged), S(kKeyChanged)},
           .security = {I(kCertChanged), I(kKeyChanged)}},
          {.name = "organization location changed, same key",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_leaf_sha256(std::string(64, 'e'));
                 fp.mutable_tls()->set_subject_locality("St. Louis");
               },
           .displayed = {S(kIdentity), I(kCertChanged)},
           .strict = {S(kIdentity), S(kCertChanged)},
           .security = {I(kIdentity), I(kCertChanged)}},
          {.name = "OV -> DV: organization no longer verified",
           .change =
               [](v1::Fingerprint& fp) {
                 NewCertificate(fp);
                 fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_DV);
                 fp.mutable_tls()->clear_subject_organization();
                 fp.mutable_tls()->clear_subject_locality();
                 fp.mutable_tls()->clear_subject_state();
                 fp.mutable_tls()->clear_subject_country();
               },
           .displayed = {S(kDowngraded), I(kCertChanged), I(kKeyChanged), I(kDv)},
           .strict = {S(kDowngraded), S(kCertChanged), S(kKeyChanged), I(kDv)},
           .security = {S(kDowngraded), I(kCertChanged), I(kKeyChanged), I(kDv)}},
          {.name = "this client's TXT entry removed, another app's stays",
           .change = NoTxtEntry,
           .displayed = {S(kTxtMissing), I(kTxtChanged)},
           .strict = {S(kTxtMissing), S(kTxtChanged)},
           .security = {I(kTxtMissing), I(kTxtChanged)}},
          {.name = "label gained: approved as DV (Unknown App), now a trusted OV certificate",
           .enrolled_change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_DV);
               },
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_OV);
                 fp.mutable_tls()->set_leaf_sha256(std::string(64, 'e'));
               },
           .displayed = {S(kIdentity), I(kCertChanged)},
           .strict = {S(kIdentity), S(kCertChanged)},
           .security = {I(kIdentity), I(kCertChanged)}},
          {.name = "label gained: approved without TXT entry (Unknown App), entry added",
           .enrolled_change = NoTxtEntry,
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->set_client_id_txt_present(true);
                 fp.mutable_dns()->add_txt_values("cerner-client-id=app-1");
               },
           .displayed = {S(kIdentity), I(kTxtChanged)},
           .strict = {S(kIdentity), S(kTxtChanged)},
           .security = {I(kIdentity), I(kTxtChanged)}},

          // ---- Probe failures: nothing definitive observed; per on_probe_failure.
          // (Under STALE_OK the cache has already substituted the last good
          // observation when it had one; reaching Evaluate means it had none.)
          {.name = "TLS handshake timed out, STALE_OK",
           .change = [](v1::Fingerprint& fp) { ClearTls(fp, v1::PROBE_OUTCOME_TIMEOUT); },
           .displayed = {I(kProbeFailed)},
           .strict = {I(kProbeFailed)},
           .security = {I(kProbeFailed)}},
          {.name = "server down (connection refused), ALLOW",
           .on_probe_failure = v1::PROBE_FAILURE_ALLOW,
           .change =
               [](v1::Fingerprint& fp) { ClearTls(fp, v1::PROBE_OUTCOME_CONNECTION_REFUSED); },
           .displayed = {I(kProbeFailed)},
           .strict = {I(kProbeFailed)},
           .security = {I(kProbeFailed)}},
          {.name = "server down (connection refused), SUSPEND",
           .on_probe_failure = v1::PROBE_FAILURE_SUSPEND,
           .change =
               [](v1::Fingerprint& fp) { ClearTls(fp, v1::PROBE_OUTCOME_CONNECTION_REFUSED); },
           .displayed = {S(kProbeFailed)},
           .strict = {S(kProbeFailed)},
           .security = {S(kProbeFailed)}},
          {.name = "connection reset, SUSPEND",
           .on_probe_failure = v1::PROBE_FAILURE_SUSPEND,
           .change = [](v1::Fingerprint& fp) { ClearTls(fp, v1::PROBE_OUTCOME_CONNECTION_RESET); },
           .displayed = {S(kProbeFailed)},
           .strict = {S(kProbeFailed)},
           .security = {S(kProbeFailed)}},
          {.name = "CRL could not be fetched, STALE_OK: a probe failure, not a revocation",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_revocation(v1::REVOCATION_UNKNOWN);
                 fp.mutable_tls()->set_revocation_outcome(v1::PROBE_OUTCOME_TIMEOUT);
               },
           .displayed = {I(kProbeFailed)},
           .strict = {I(kProbeFailed)},
           .security = {I(kProbeFailed)}},
          {.name = "CRL did not verify, SUSPEND: a probe failure, not a revocation",
           .on_probe_failure = v1::PROBE_FAILURE_SUSPEND,
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_revocation(v1::REVOCATION_UNKNOWN);
                 fp.mutable_tls()->set_revocation_outcome(v1::PROBE_OUTCOME_ERROR);
               },
           .displayed = {S(kProbeFailed)},
           .strict = {S(kProbeFailed)},
           .security = {S(kProbeFailed)}},
          {.name = "TXT lookup SERVFAIL is not a missing TXT entry",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->set_txt_outcome(v1::PROBE_OUTCOME_SERVFAIL);
                 fp.mutable_dns()->clear_txt_values();
                 fp.mutable_dns()->set_client_id_txt_present(false);
               },
           .displayed = {I(kProbeFailed)},
           .strict = {I(kProbeFailed)},
           .security = {I(kProbeFailed)}},
          {.name = "address lookup timed out, SUSPEND",
           .on_probe_failure = v1::PROBE_FAILURE_SUSPEND,
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->clear_addresses();
                 fp.mutable_dns()->set_address_outcome(v1::PROBE_OUTCOME_TIMEOUT);
                 ClearTls(fp, v1::PROBE_OUTCOME_UNSPECIFIED);
               },
           .displayed = {S(kProbeFailed)},
           .strict = {S(kProbeFailed)},
           .security = {S(kProbeFailed)}},
          {.name = "TXT lookup failed but the certificate expired: the TLS part is still judged",
           .change =
               [](v1::Fingerprint& fp) {
                 *fp.mutable_tls()->mutable_not_after() = Ts(kNow - absl::Hours(1));
                 fp.mutable_dns()->set_txt_outcome(v1::PROBE_OUTCOME_ERROR);
                 fp.mutable_dns()->clear_txt_values();
                 fp.mutable_dns()->set_client_id_txt_present(false);
               },
           .displayed = {S(kExpired), I(kProbeFailed)},
           .strict = {S(kExpired), I(kProbeFailed)},
           .security = {S(kExpired), I(kProbeFailed)}},

          // ---- Local failures (no descriptor, memory or port here): no
          // evidence about the app, so no verdict whatever on_probe_failure
          // says, and nothing else is judged (the service answers UNAVAILABLE).
          {.name = "TLS socket could not be opened (EMFILE), SUSPEND",
           .on_probe_failure = v1::PROBE_FAILURE_SUSPEND,
           .change = [](v1::Fingerprint& fp) { ClearTls(fp, v1::PROBE_OUTCOME_LOCAL_ERROR); },
           .displayed = {I(kLocalError)},
           .strict = {I(kLocalError)},
           .security = {I(kLocalError)}},
          {.name = "address lookup failed locally, STALE_OK",
           .change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_dns()->clear_addresses();
                 fp.mutable_dns()->set_address_outcome(v1::PROBE_OUTCOME_LOCAL_ERROR);
                 ClearTls(fp, v1::PROBE_OUTCOME_LOCAL_ERROR);
               },
           .displayed = {I(kLocalError)},
           .strict = {I(kLocalError)},
           .security = {I(kLocalError)}},
          {.name = "TXT lookup failed locally: even an expired certificate is not judged",
           .on_probe_failure = v1::PROBE_FAILURE_SUSPEND,
           .change =
               [](v1::Fingerprint& fp) {
                 *fp.mutable_tls()->mutable_not_after() = Ts(kNow - absl::Hours(1));
                 fp.mutable_dns()->set_txt_outcome(v1::PROBE_OUTCOME_LOCAL_ERROR);
                 fp.mutable_dns()->clear_txt_values();
                 fp.mutable_dns()->set_client_id_txt_present(false);
               },
           .displayed = {I(kLocalError)},
           .strict = {I(kLocalError)},
           .security = {I(kLocalError)}},

          // ---- Informational: what the app lacked at approval and still lacks.
          {.name = "served on port 8443",
           .enrolled_change = [](v1::Fingerprint& fp) { fp.set_port(8443); },
           .change = [](v1::Fingerprint&) {},
           .displayed = {I(kPort)},
           .strict = {I(kPort)},
           .security = {I(kPort)}},
          {.name = "DV certificate at approval and now",
           .enrolled_change =
               [](v1::Fingerprint& fp) {
                 fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_DV);
               },
           .change = [](v1::Fingerprint&) {},
           .displayed = {I(kDv)},
           .strict = {I(kDv)},
           .security = {I(kDv)}},
          {.name = "no TXT entry at approval and now",
           .enrolled_change = NoTxtEntry,
           .change = [](v1::Fingerprint&) {},
           .displayed = {I(kTxtAbsent)},
           .strict = {I(kTxtAbsent)},
           .security = {I(kTxtAbsent)}},
          {.name = "plain http redirect URI",
           .enrolled_change =
               [](v1::Fingerprint& fp) {
                 fp.set_scheme("http");
                 fp.set_port(80);
                 ClearTls(fp, v1::PROBE_OUTCOME_NOT_APPLICABLE);
               },
           .change = [](v1::Fingerprint&) {},
           .displayed = {I(kNoTls)},
           .strict = {I(kNoTls)},
           .security = {I(kNoTls)}},
      };
  return *rows;
}

EffectivePolicy PolicyFor(v1::Profile profile, v1::ProbeFailure on_probe_failure) {
  EffectivePolicy policy;
  policy.profile = profile;
  policy.on_probe_failure = on_probe_failure;
  return policy;
}

std::vector<Expect> EvaluateRow(const Row& row, v1::Profile profile) {
  Enrolled enrolled;
  enrolled.fingerprint = Baseline();
  if (row.enrolled_change) {
    row.enrolled_change(enrolled.fingerprint);
  }
  enrolled.application_name = "Example App";
  enrolled.identity = ComputeIdentity(enrolled.fingerprint, enrolled.application_name,
                                      enrolled.validated, kEnrolledAt);
  v1::Fingerprint observed = enrolled.fingerprint;
  *observed.mutable_captured_at() = Ts(kNow);
  row.change(observed);
  std::vector<Expect> got;
  for (const v1::Finding& f :
       Evaluate(enrolled, observed, kNow, PolicyFor(profile, row.on_probe_failure))) {
    got.push_back({f.reason(), f.suspends()});
  }
  return got;
}

TEST(PolicyTableTest, EveryRowUnderEveryProfile) {
  for (const Row& row : Rows()) {
    EXPECT_EQ(ToString(EvaluateRow(row, v1::PROFILE_DISPLAYED)), ToString(row.displayed))
        << "displayed: " << row.name;
    EXPECT_EQ(ToString(EvaluateRow(row, v1::PROFILE_STRICT)), ToString(row.strict))
        << "strict: " << row.name;
    EXPECT_EQ(ToString(EvaluateRow(row, v1::PROFILE_SECURITY)), ToString(row.security))
        << "security: " << row.name;
  }
}

// The table above must exercise every reason Evaluate can produce, and the
// suspending ones must suspend somewhere.
TEST(PolicyTableTest, CoversEveryReason) {
  std::set<int> seen;
  std::set<int> seen_suspending;
  for (const Row& row : Rows()) {
    for (const auto* list : {&row.displayed, &row.strict, &row.security}) {
      for (const Expect& e : *list) {
        seen.insert(e.reason);
        if (e.suspends) {
          seen_suspending.insert(e.reason);
        }
      }
    }
  }
  const google::protobuf::EnumDescriptor* reasons = v1::Reason_descriptor();
  for (int i = 0; i < reasons->value_count(); ++i) {
    int r = reasons->value(i)->number();
    // ALREADY_SUSPENDED is the decision service's answer for a grant that is
    // already suspended; it never comes from comparing observations.
    if (r == v1::REASON_UNSPECIFIED || r == v1::REASON_ALREADY_SUSPENDED) {
      continue;
    }
    EXPECT_TRUE(seen.count(r)) << "no row covers " << reasons->value(i)->name();
    if (r < v1::REASON_CERT_EXPIRING_SOON) {
      EXPECT_TRUE(seen_suspending.count(r))
          << "no row shows " << reasons->value(i)->name() << " suspending";
    }
  }
}

v1::Finding Only(const std::vector<v1::Finding>& findings, v1::Reason reason) {
  for (const v1::Finding& f : findings) {
    if (f.reason() == reason) {
      return f;
    }
  }
  ADD_FAILURE() << "no finding " << v1::Reason_Name(reason);
  return v1::Finding();
}

Enrolled BaselineEnrolled() {
  Enrolled enrolled;
  enrolled.fingerprint = Baseline();
  enrolled.application_name = "Example App";
  enrolled.identity = ComputeIdentity(enrolled.fingerprint, "Example App", false, kEnrolledAt);
  return enrolled;
}

TEST(PolicyTest, MessagesArePatientSentencesAndDetailsSayWhatChanged) {
  v1::Fingerprint observed = Baseline();
  *observed.mutable_tls()->mutable_not_after() =
      Ts(absl::FromCivil(absl::CivilSecond(2026, 11, 1, 0, 0, 0), absl::UTCTimeZone()));
  observed.mutable_tls()->set_subject_organization("Other Corp");
  auto findings = Evaluate(BaselineEnrolled(), observed, kNow, EffectivePolicy());
  v1::Finding expired = Only(findings, v1::REASON_TLS_CERT_EXPIRED);
  EXPECT_EQ(expired.message(), "The website's security certificate expired on 1 November 2026.");
  EXPECT_EQ(expired.detail(), "not_after: 2026-11-01T00:00:00Z");
  v1::Finding identity = Only(findings, v1::REASON_IDENTITY_CHANGED);
  EXPECT_EQ(identity.detail(), "organization: 'Example Health Inc' \xE2\x86\x92 'Other Corp'");
  for (const v1::Finding& f : findings) {
    EXPECT_TRUE(absl::EndsWith(f.message(), ".")) << f.message();
    EXPECT_FALSE(absl::StrContains(f.message(), "\xE2\x86\x92")) << f.message();
  }
  // Suspending first; the first names the error URN.
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings.front().reason(), v1::REASON_TLS_CERT_EXPIRED);
}

// A fingerprint keeps at most 100 TXT values (common/probe/fingerprint_limits.h);
// a change past them shows only in the hash of the full list, and is a change.
// Without a hash on both sides (a grant enrolled before the cap) the kept
// values are compared, as before.
TEST(PolicyTest, TxtChangePastTheKeptValuesIsSeenByItsHash) {
  EffectivePolicy strict = PolicyFor(v1::PROFILE_STRICT, v1::PROBE_FAILURE_STALE_OK);
  Enrolled enrolled = BaselineEnrolled();
  enrolled.fingerprint.mutable_dns()->set_txt_values_sha256(std::string(64, 'a'));
  v1::Fingerprint observed = enrolled.fingerprint;
  EXPECT_TRUE(Evaluate(enrolled, observed, kNow, strict).empty());
  observed.mutable_dns()->set_txt_values_sha256(std::string(64, 'b'));
  auto findings = Evaluate(enrolled, observed, kNow, strict);
  EXPECT_TRUE(Only(findings, v1::REASON_DNS_TXT_CHANGED).suspends());
  observed.mutable_dns()->clear_txt_values_sha256();
  EXPECT_TRUE(Evaluate(enrolled, observed, kNow, strict).empty());
}

TEST(PolicyTest, SameInputsSameOutput) {
  v1::Fingerprint observed = Baseline();
  NoTxtEntry(observed);
  NewCertificate(observed);
  EffectivePolicy strict = PolicyFor(v1::PROFILE_STRICT, v1::PROBE_FAILURE_STALE_OK);
  auto a = Evaluate(BaselineEnrolled(), observed, kNow, strict);
  auto b = Evaluate(BaselineEnrolled(), observed, kNow, strict);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].SerializeAsString(), b[i].SerializeAsString());
  }
}

TEST(PolicyTest, UnsetEnrolledIdentityIsRecomputedFromTheFingerprint) {
  Enrolled enrolled = BaselineEnrolled();
  enrolled.identity.Clear();
  v1::Fingerprint observed = Baseline();
  EXPECT_TRUE(Evaluate(enrolled, observed, kNow, EffectivePolicy()).empty());
  observed.mutable_tls()->set_subject_country("CA");
  auto findings = Evaluate(enrolled, observed, kNow, EffectivePolicy());
  EXPECT_TRUE(Only(findings, v1::REASON_IDENTITY_CHANGED).suspends());
}

TEST(PolicyTest, ValidatedAppKeepsItsLabelButStillSuspendsOnTxtRemoval) {
  Enrolled enrolled = BaselineEnrolled();
  enrolled.validated = true;
  enrolled.identity = ComputeIdentity(enrolled.fingerprint, "Example App", true, kEnrolledAt);
  ASSERT_EQ(enrolled.identity.label(), v1::LABEL_VALIDATED);
  v1::Fingerprint observed = Baseline();
  NoTxtEntry(observed);
  auto findings = Evaluate(enrolled, observed, kNow, EffectivePolicy());
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings.front().reason(), v1::REASON_DNS_TXT_MISSING);
  EXPECT_TRUE(findings.front().suspends());
}

TEST(PolicyTest, DescribeAppNeverSuspends) {
  v1::Fingerprint observed = Baseline();
  observed.set_port(8443);
  observed.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_DV);
  observed.mutable_tls()->set_chain_trusted(false);
  *observed.mutable_tls()->mutable_not_after() = Ts(kNow + absl::Hours(24));
  NoTxtEntry(observed);
  auto findings = DescribeApp(observed, kNow, EffectivePolicy());
  std::vector<Expect> got;
  got.reserve(findings.size());
  for (const v1::Finding& f : findings) {
    got.push_back({f.reason(), f.suspends()});
  }
  EXPECT_EQ(ToString(got),
            ToString({I(kUntrusted), I(kExpiringSoon), I(kPort), I(kDv), I(kTxtAbsent)}));

  v1::Fingerprint down = Baseline();
  ClearTls(down, v1::PROBE_OUTCOME_TIMEOUT);
  auto failed = DescribeApp(down, kNow, PolicyFor(v1::PROFILE_STRICT, v1::PROBE_FAILURE_SUSPEND));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].reason(), v1::REASON_PROBE_FAILED);
  EXPECT_FALSE(failed[0].suspends());
  EXPECT_THAT(failed[0].detail(), ::testing::HasSubstr("tls: TIMEOUT"));
}

TEST(PolicyTest, RedirectDomainChangedFindingSuspendsInEveryProfile) {
  for (v1::Profile p : {v1::PROFILE_DISPLAYED, v1::PROFILE_STRICT, v1::PROFILE_SECURITY}) {
    v1::Finding f = RedirectDomainChangedFinding("example.com", "evil.example",
                                                 PolicyFor(p, v1::PROBE_FAILURE_STALE_OK));
    EXPECT_EQ(f.reason(), v1::REASON_REDIRECT_DOMAIN_CHANGED);
    EXPECT_TRUE(f.suspends());
    EXPECT_THAT(f.message(), ::testing::HasSubstr("evil.example"));
  }
}

TEST(PolicyTest, ProbeFailedHelper) {
  EXPECT_FALSE(ProbeFailed(Baseline()));
  v1::Fingerprint fp = Baseline();
  fp.mutable_dns()->set_txt_outcome(v1::PROBE_OUTCOME_SERVFAIL);
  EXPECT_TRUE(ProbeFailed(fp));
  fp = Baseline();
  ClearTls(fp, v1::PROBE_OUTCOME_NO_TLS);  // definitive, not a failure
  EXPECT_FALSE(ProbeFailed(fp));
  fp = Baseline();
  fp.mutable_dns()->set_address_outcome(v1::PROBE_OUTCOME_NXDOMAIN);
  EXPECT_FALSE(ProbeFailed(fp));
  fp.mutable_dns()->set_address_outcome(v1::PROBE_OUTCOME_TIMEOUT);
  EXPECT_TRUE(ProbeFailed(fp));
  EXPECT_FALSE(ProbeFailedLocally(fp));
  fp.mutable_dns()->set_txt_outcome(v1::PROBE_OUTCOME_LOCAL_ERROR);
  EXPECT_TRUE(ProbeFailed(fp));
  EXPECT_TRUE(ProbeFailedLocally(fp));
}

// DescribeApp (Enroll, Inspect) reports a local failure the same way: the one
// finding the decision service turns into UNAVAILABLE.
TEST(PolicyTest, LocalFailureIsTheOnlyFindingOfADescription) {
  v1::Fingerprint fp = Baseline();
  ClearTls(fp, v1::PROBE_OUTCOME_LOCAL_ERROR);
  fp.mutable_tls()->set_error("socket: Too many open files");
  std::vector<v1::Finding> findings = DescribeApp(fp, kNow, EffectivePolicy());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].reason(), v1::REASON_PROBE_LOCAL_ERROR);
  EXPECT_FALSE(findings[0].suspends());
  EXPECT_EQ(findings[0].detail(), "tls: LOCAL_ERROR (socket: Too many open files)");
}

TEST(PolicyTest, AnySuspendsAndSortFindings) {
  std::vector<v1::Finding> findings(3);
  findings[0].set_reason(v1::REASON_DV_CERTIFICATE);
  findings[1].set_reason(v1::REASON_DNS_TXT_MISSING);
  findings[1].set_suspends(true);
  findings[2].set_reason(v1::REASON_TLS_CERT_EXPIRED);
  findings[2].set_suspends(true);
  EXPECT_TRUE(AnySuspends(findings));
  SortFindings(findings);
  EXPECT_EQ(findings[0].reason(), v1::REASON_TLS_CERT_EXPIRED);
  EXPECT_EQ(findings[1].reason(), v1::REASON_DNS_TXT_MISSING);
  EXPECT_EQ(findings[2].reason(), v1::REASON_DV_CERTIFICATE);
  findings[0].set_suspends(false);
  findings[1].set_suspends(false);
  EXPECT_FALSE(AnySuspends(findings));
}

}  // namespace
}  // namespace apptrust::policy
