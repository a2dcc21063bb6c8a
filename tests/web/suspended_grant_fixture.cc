#include "tests/web/suspended_grant_fixture.h"

#include <fstream>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "common/config/effective_policy.h"
#include "common/policy/error_uri.h"
#include "common/policy/policy.h"
#include "grpcpp/client_context.h"

namespace apptrust::testing {
namespace {

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

std::string RandomSuspensionId() {
  std::random_device device;
  std::string id;
  for (int i = 0; i < 4; ++i) absl::StrAppendFormat(&id, "%08x", device());
  return id;
}

}  // namespace

SuspensionSpec ExpiredCertificateSpec() {
  SuspensionSpec spec;
  spec.identity.set_application_name("Heart Helper");
  spec.identity.set_organization_name("<script>alert(1)</script>");
  spec.identity.set_organization_location("US, MO, Kansas City");
  spec.identity.set_domain("heart-helper.example");
  spec.identity.set_label(v1::LABEL_IDENTIFIED);
  v1::Finding expired;
  expired.set_reason(v1::REASON_TLS_CERT_EXPIRED);
  expired.set_suspends(true);
  expired.set_message(kExpiredSentence);
  expired.set_detail("not_after: 2026-11-01T00:00:00Z (approved with 2027-02-01T00:00:00Z)");
  spec.findings.push_back(expired);
  v1::Finding informational;
  informational.set_reason(v1::REASON_TXT_RECORD_ABSENT);
  informational.set_suspends(false);
  informational.set_message("The website publishes no TXT record for this app.");
  informational.set_detail("no cerner-client-id entry at heart-helper.example");
  spec.findings.push_back(informational);
  return spec;
}

SuspensionSpec EveryKindOfFindingSpec() {
  SuspensionSpec spec = ExpiredCertificateSpec();
  spec.grant_id = "grant-every-finding";
  spec.findings.clear();
  config::EffectivePolicy strict;
  strict.profile = v1::PROFILE_STRICT;
  strict.on_probe_failure = v1::PROBE_FAILURE_SUSPEND;
  const google::protobuf::EnumDescriptor* reasons = v1::Reason_descriptor();
  for (const bool suspending : {true, false}) {
    for (int i = 0; i < reasons->value_count(); ++i) {
      const auto reason = static_cast<v1::Reason>(reasons->value(i)->number());
      if (reason == v1::REASON_UNSPECIFIED) continue;
      if (policy::ReasonSuspends(reason, strict) != suspending) continue;
      v1::Finding finding;
      finding.set_reason(reason);
      finding.set_suspends(suspending);
      finding.set_message(absl::StrCat("What the policy says about ", reasons->value(i)->name()));
      switch (reason) {
        case v1::REASON_TLS_CERT_EXPIRED:
          finding.set_detail("not_after: 2026-11-01T00:00:00Z");
          break;
        case v1::REASON_TLS_CERT_NOT_YET_VALID:
          finding.set_detail("not_before: 2027-01-15T00:00:00Z");
          break;
        case v1::REASON_CERT_EXPIRING_SOON:
          finding.set_detail("not_after: 2026-12-03T12:00:00Z");
          break;
        case v1::REASON_IDENTITY_CHANGED:
          finding.set_detail(
              "organization: 'Heart Helper Inc.' \u2192 '<script>alert(1)</script>'; "
              "location: 'US, MO, Kansas City' \u2192 'US, CA, San Jose'");
          break;
        default:
          finding.set_detail(absl::StrCat(absl::AsciiStrToLower(reasons->value(i)->name()),
                                          ": observed at app.heart-helper.example"));
      }
      spec.findings.push_back(std::move(finding));
    }
  }
  return spec;
}

absl::StatusOr<std::unique_ptr<SuspendedGrantFixture>> SuspendedGrantFixture::Start(
    std::vector<std::string> decision_flags) {
  std::unique_ptr<SuspendedGrantFixture> fixture(new SuspendedGrantFixture());
  auto store = StartStore(fixture->dir_.File("apptrust.db"));
  if (!store.ok()) return store.status();
  fixture->store_ = *std::move(store);
  if (!WaitServing(fixture->store_.channel)) {
    return absl::UnavailableError("apptrust-store did not become SERVING");
  }
  auto decision = StartDecision(fixture->store_.grpc_address, std::move(decision_flags));
  if (!decision.ok()) return decision.status();
  fixture->decision_ = *std::move(decision);
  auto web = fixture->decision_.process->WaitForListener("web");
  if (!web.ok()) return web.status();
  fixture->web_address_ = *web;
  return fixture;
}

absl::StatusOr<v1::Suspension> SuspendedGrantFixture::Suspend(const SuspensionSpec& spec) {
  auto stub = v1::FingerprintStore::NewStub(store_.channel);
  v1::PutGrantRequest put;
  v1::Grant* grant = put.mutable_grant();
  grant->set_tenant_id(spec.tenant_id);
  grant->set_grant_id(spec.grant_id);
  grant->set_client_id(spec.client_id);
  grant->set_redirect_uri(spec.redirect_uri);
  grant->set_persona(v1::PERSONA_PATIENT);
  grant->set_application_name(spec.identity.application_name());
  *grant->mutable_identity() = spec.identity;
  grant->mutable_fingerprint()->set_domain(spec.identity.domain());
  v1::Grant stored;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (auto status = FromGrpc(stub->PutGrant(&context, put, &stored), "PutGrant"); !status.ok()) {
      return status;
    }
  }

  v1::SuspendGrantRequest suspend;
  suspend.set_tenant_id(spec.tenant_id);
  suspend.set_grant_id(spec.grant_id);
  suspend.set_expected_version(stored.version());
  v1::Suspension* suspension = suspend.mutable_suspension();
  suspension->set_suspension_id(RandomSuspensionId());
  suspension->set_tenant_id(spec.tenant_id);
  suspension->set_grant_id(spec.grant_id);
  suspension->set_client_id(spec.client_id);
  suspension->set_reason(spec.reason);
  suspension->set_error_description(spec.error_description);
  suspension->set_redirect_uri(spec.redirect_uri);
  *suspension->mutable_identity() = spec.identity;
  for (const v1::Finding& finding : spec.findings) *suspension->add_findings() = finding;
  suspension->set_error_uri(policy::BuildErrorUri(
      web_base_url(), spec.reason, suspension->suspension_id(), spec.client_id, spec.tenant_id));
  const absl::Time now = absl::Now();
  suspension->mutable_suspended_at()->set_seconds(absl::ToUnixSeconds(now));
  v1::Grant suspended;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (auto status = FromGrpc(stub->SuspendGrant(&context, suspend, &suspended), "SuspendGrant");
        !status.ok()) {
      return status;
    }
  }
  if (!suspended.has_suspension()) {
    return absl::InternalError("SuspendGrant returned a grant without a suspension");
  }
  return suspended.suspension();
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace apptrust::testing
