// apptrustctl: the command line for AppTrust's services.
//
//   apptrustctl health                      health of --target
//   apptrustctl inspect URL [--client_id=C] [--application_name=N]
//   apptrustctl enroll --tenant=T --client_id=C --grant=G --redirect_uri=URL
//                      [--application_name=N] [--persona=patient] [--validated]
//   apptrustctl check --tenant=T --client_id=C --grant=G [--redirect_uri=URL] [--persona=P]
//   apptrustctl grant get|delete --tenant=T --grant=G
//   apptrustctl grant list --tenant=T [--client_id=C]
//   apptrustctl audit --tenant=T [--grant=G]  every state change, oldest first
//   apptrustctl report [--tenant=T] [--all] [--json|--csv]  the latest sweep:
//                      apps whose patients a refresh would (soon) cut off
//
// Output is for people by default (what the patient would be shown, each
// finding as a sentence); --json prints the response message as JSON for
// scripts. Exit status: 0 success, 1 the call failed, 2 bad usage.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "common/policy/display_identity.h"
#include "common/time/proto_time.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/apptrustctl/ctl_channel.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "apptrust-decision address host:port (health: the service to check)");
ABSL_FLAG(std::string, store, "127.0.0.1:50052", "apptrust-store address (grant commands)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(15), "Deadline of each call");
ABSL_FLAG(bool, json, false, "Print the response as JSON");
ABSL_FLAG(std::string, tenant, "", "Tenant id");
ABSL_FLAG(std::string, client_id, "", "OAuth client id of the app");
ABSL_FLAG(std::string, grant, "", "Grant id (the gateway's opaque id, never a token)");
ABSL_FLAG(std::string, redirect_uri, "", "The app's redirect URI");
ABSL_FLAG(std::string, application_name, "", "The app's name as registered");
ABSL_FLAG(std::string, persona, "patient", "patient, provider or system");
ABSL_FLAG(bool, validated, false, "The app passed the formal validation program");
ABSL_FLAG(bool, csv, false, "report: print CSV (RFC 4180) instead of a table");
ABSL_FLAG(bool, all, false, "report: every app swept, not only those at risk");

namespace {

namespace v1 = apptrust::v1;

constexpr char kUsage[] =
    "apptrustctl COMMAND [flags]\n"
    "  health                                 health of --target\n"
    "  inspect URL [--client_id] [--application_name]\n"
    "  enroll --tenant --client_id --grant --redirect_uri [--application_name] [--persona] "
    "[--validated]\n"
    "  check --tenant --client_id --grant [--redirect_uri] [--persona]\n"
    "  grant get|delete --tenant --grant\n"
    "  grant list --tenant [--client_id]\n"
    "  audit --tenant [--grant]               the audit trail (store), oldest first\n"
    "  report [--tenant] [--all] [--csv]      apps at risk in the latest sweep (store)\n"
    "Common flags: --target (decision), --store, --json, --timeout,\n"
    "  --tls_ca_file, --tls_cert_file, --tls_key_file, --tls_server_name (TLS / mutual TLS)";

int Usage(const std::string& why) {
  std::fprintf(stderr, "apptrustctl: %s\n\n%s\n", why.c_str(), kUsage);
  return 2;
}

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
}

int Failed(const char* what, const std::string& address, const grpc::Status& status) {
  std::fprintf(stderr, "apptrustctl: %s at %s failed: %s: %s\n", what, address.c_str(),
               absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
               status.error_message().c_str());
  return 1;
}

void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::printf("%s", json.c_str());
}

std::string Date(const google::protobuf::Timestamp& t) {
  if (apptrust::timeconv::IsUnset(t)) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", apptrust::timeconv::FromProto(t), absl::UTCTimeZone());
}

std::string LabelOrDash(v1::Label label) {
  const std::string name = apptrust::policy::LabelDisplayName(label);
  return name.empty() ? "-" : name;
}

std::string LevelText(v1::ValidationLevel level) {
  switch (level) {
    case v1::VALIDATION_LEVEL_EV:
      return "EV";
    case v1::VALIDATION_LEVEL_OV:
      return "OV";
    case v1::VALIDATION_LEVEL_IV:
      return "IV";
    case v1::VALIDATION_LEVEL_DV:
      return "DV";
    default:
      return "no validation-level";
  }
}

std::string OutcomeText(v1::ProbeOutcome outcome) {
  std::string name = v1::ProbeOutcome_Name(outcome);
  absl::string_view short_name(name);
  short_name.remove_prefix(std::string("PROBE_OUTCOME_").size());
  return absl::AsciiStrToLower(short_name);
}

void PrintIdentity(const v1::DisplayIdentity& identity) {
  std::printf("What the patient is shown:\n");
  std::printf("  Label:         %s\n", LabelOrDash(identity.label()).c_str());
  std::printf("  Website:       %s\n", identity.domain().c_str());
  if (!identity.application_name().empty()) {
    std::printf("  Application:   %s\n", identity.application_name().c_str());
  }
  if (!identity.organization_name().empty()) {
    std::printf("  Organization:  %s\n", identity.organization_name().c_str());
  }
  if (!identity.organization_location().empty()) {
    std::printf("  Location:      %s\n", identity.organization_location().c_str());
  }
}

void PrintFingerprint(const v1::Fingerprint& fp) {
  const v1::TlsFingerprint& tls = fp.tls();
  std::printf("What the website shows (%s:%u):\n", fp.host().c_str(), fp.port());
  if (tls.present()) {
    std::printf("  TLS:           %s, %s certificate, chain %s, host name %s\n",
                tls.protocol_version().c_str(), LevelText(tls.validation_level()).c_str(),
                tls.chain_trusted() ? "trusted" : "NOT trusted",
                tls.hostname_matches() ? "matches" : "does NOT match");
    std::printf("  Certificate:   %s; valid %s to %s\n",
                tls.subject_organization().empty() ? "(no organization)"
                                                   : tls.subject_organization().c_str(),
                Date(tls.not_before()).c_str(), Date(tls.not_after()).c_str());
  } else {
    std::printf("  TLS:           none (%s)\n", OutcomeText(tls.outcome()).c_str());
  }
  const v1::DnsFingerprint& dns = fp.dns();
  std::printf("  Addresses:     %s\n", dns.addresses().empty()
                                           ? OutcomeText(dns.address_outcome()).c_str()
                                           : absl::StrJoin(dns.addresses(), ", ").c_str());
  std::printf("  TXT at %s: client entry %s\n", fp.domain().c_str(),
              dns.client_id_txt_present() ? "present" : "absent");
}

void PrintFindings(const google::protobuf::RepeatedPtrField<v1::Finding>& findings) {
  if (findings.empty()) {
    std::printf("Findings: none\n");
    return;
  }
  std::printf("Findings:\n");
  for (const v1::Finding& finding : findings) {
    std::printf("  - [%s] %s\n", finding.suspends() ? "suspends" : "info",
                finding.message().c_str());
    if (!finding.detail().empty()) std::printf("      %s\n", finding.detail().c_str());
  }
}

bool ParsePersona(const std::string& text, v1::Persona* persona) {
  const std::string upper = "PERSONA_" + absl::AsciiStrToUpper(text);
  return v1::Persona_Parse(upper, persona);
}

bool Require(std::initializer_list<std::pair<const char*, std::string>> flags) {
  for (const auto& [name, value] : flags) {
    if (value.empty()) {
      Usage(absl::StrCat("--", name, " is required"));
      return false;
    }
  }
  return true;
}

int Health() {
  const std::string target = absl::GetFlag(FLAGS_target);
  auto stub = grpc::health::v1::Health::NewStub(apptrust::ctl::Channel(target));
  grpc::ClientContext context;
  SetDeadline(context);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, {}, &response);
  if (!status.ok()) return Failed("health check", target, status);
  std::printf("%s\n",
              grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()).c_str());
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

std::unique_ptr<v1::DecisionService::Stub> DecisionStub() {
  return v1::DecisionService::NewStub(apptrust::ctl::Channel(absl::GetFlag(FLAGS_target)));
}

std::unique_ptr<v1::FingerprintStore::Stub> StoreStub() {
  return v1::FingerprintStore::NewStub(apptrust::ctl::Channel(absl::GetFlag(FLAGS_store)));
}

int Inspect(const std::vector<char*>& args) {
  if (args.size() < 3) return Usage("inspect needs a URL");
  v1::InspectRequest request;
  request.set_redirect_uri(args[2]);
  request.set_client_id(absl::GetFlag(FLAGS_client_id));
  request.set_application_name(absl::GetFlag(FLAGS_application_name));
  grpc::ClientContext context;
  SetDeadline(context);
  v1::InspectResponse response;
  const grpc::Status status = DecisionStub()->Inspect(&context, request, &response);
  if (!status.ok()) return Failed("Inspect", absl::GetFlag(FLAGS_target), status);
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(response);
    return 0;
  }
  PrintIdentity(response.identity());
  PrintFingerprint(response.fingerprint());
  PrintFindings(response.findings());
  return 0;
}

int Enroll() {
  v1::EnrollRequest request;
  request.set_tenant_id(absl::GetFlag(FLAGS_tenant));
  request.set_client_id(absl::GetFlag(FLAGS_client_id));
  request.set_grant_id(absl::GetFlag(FLAGS_grant));
  request.set_redirect_uri(absl::GetFlag(FLAGS_redirect_uri));
  if (!Require({{"tenant", request.tenant_id()},
                {"client_id", request.client_id()},
                {"grant", request.grant_id()},
                {"redirect_uri", request.redirect_uri()}})) {
    return 2;
  }
  request.set_application_name(absl::GetFlag(FLAGS_application_name));
  request.set_validated(absl::GetFlag(FLAGS_validated));
  v1::Persona persona;
  if (!ParsePersona(absl::GetFlag(FLAGS_persona), &persona)) {
    return Usage("--persona must be patient, provider or system");
  }
  request.set_persona(persona);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::EnrollResponse response;
  const grpc::Status status = DecisionStub()->Enroll(&context, request, &response);
  if (!status.ok()) return Failed("Enroll", absl::GetFlag(FLAGS_target), status);
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(response);
    return 0;
  }
  std::printf("Enrolled grant %s (version %lld).\n", request.grant_id().c_str(),
              static_cast<long long>(response.grant_version()));
  PrintIdentity(response.identity());
  PrintFingerprint(response.fingerprint());
  PrintFindings(response.findings());
  return 0;
}

int Check() {
  v1::CheckRefreshRequest request;
  request.set_tenant_id(absl::GetFlag(FLAGS_tenant));
  request.set_client_id(absl::GetFlag(FLAGS_client_id));
  request.set_grant_id(absl::GetFlag(FLAGS_grant));
  if (!Require({{"tenant", request.tenant_id()},
                {"client_id", request.client_id()},
                {"grant", request.grant_id()}})) {
    return 2;
  }
  request.set_redirect_uri(absl::GetFlag(FLAGS_redirect_uri));
  v1::Persona persona;
  if (!ParsePersona(absl::GetFlag(FLAGS_persona), &persona)) {
    return Usage("--persona must be patient, provider or system");
  }
  request.set_persona(persona);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::CheckRefreshResponse response;
  const grpc::Status status = DecisionStub()->CheckRefresh(&context, request, &response);
  if (!status.ok()) return Failed("CheckRefresh", absl::GetFlag(FLAGS_target), status);
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(response);
    return 0;
  }
  const bool suspend = response.verdict() == v1::VERDICT_SUSPEND;
  std::printf("Verdict: %s%s\n", suspend ? "SUSPEND" : "ALLOW",
              response.enforced() ? "" : " (shadow mode: not enforced)");
  if (suspend) {
    std::printf("error:             %s\n", response.error().c_str());
    std::printf("error_description: %s\n", response.error_description().c_str());
    std::printf("error_uri:         %s\n", response.error_uri().c_str());
  }
  PrintFindings(response.findings());
  return 0;
}

void PrintGrant(const v1::Grant& grant) {
  std::printf("Grant %s (tenant %s, client %s): %s, version %lld, updated %s\n",
              grant.grant_id().c_str(), grant.tenant_id().c_str(), grant.client_id().c_str(),
              grant.state() == v1::GRANT_STATE_SUSPENDED ? "SUSPENDED" : "ACTIVE",
              static_cast<long long>(grant.version()), Date(grant.updated_at()).c_str());
}

int GrantCommand(const std::vector<char*>& args) {
  if (args.size() < 3) return Usage("grant needs get, list or delete");
  const std::string verb = args[2];
  const std::string tenant = absl::GetFlag(FLAGS_tenant);
  const std::string store = absl::GetFlag(FLAGS_store);
  auto stub = StoreStub();
  if (verb == "get" || verb == "delete") {
    if (!Require({{"tenant", tenant}, {"grant", absl::GetFlag(FLAGS_grant)}})) return 2;
    grpc::ClientContext context;
    SetDeadline(context);
    if (verb == "delete") {
      v1::DeleteGrantRequest request;
      request.set_tenant_id(tenant);
      request.set_grant_id(absl::GetFlag(FLAGS_grant));
      google::protobuf::Empty empty;
      const grpc::Status status = stub->DeleteGrant(&context, request, &empty);
      if (!status.ok()) return Failed("DeleteGrant", store, status);
      std::printf("Deleted grant %s.\n", request.grant_id().c_str());
      return 0;
    }
    v1::GetGrantRequest request;
    request.set_tenant_id(tenant);
    request.set_grant_id(absl::GetFlag(FLAGS_grant));
    v1::Grant grant;
    const grpc::Status status = stub->GetGrant(&context, request, &grant);
    if (!status.ok()) return Failed("GetGrant", store, status);
    if (absl::GetFlag(FLAGS_json)) {
      PrintJson(grant);
      return 0;
    }
    PrintGrant(grant);
    PrintIdentity(grant.identity());
    if (grant.state() == v1::GRANT_STATE_SUSPENDED) {
      std::printf("Suspended %s: %s\n", Date(grant.suspension().suspended_at()).c_str(),
                  grant.suspension().error_uri().c_str());
      PrintFindings(grant.suspension().findings());
    }
    return 0;
  }
  if (verb == "list") {
    if (!Require({{"tenant", tenant}})) return 2;
    v1::ListGrantsRequest request;
    request.set_tenant_id(tenant);
    request.set_client_id(absl::GetFlag(FLAGS_client_id));
    request.set_page_size(500);
    v1::ListGrantsResponse all;
    while (true) {
      grpc::ClientContext context;
      SetDeadline(context);
      v1::ListGrantsResponse page;
      const grpc::Status status = stub->ListGrants(&context, request, &page);
      if (!status.ok()) return Failed("ListGrants", store, status);
      for (const v1::Grant& grant : page.grants()) *all.add_grants() = grant;
      if (page.next_page_token().empty()) break;
      request.set_page_token(page.next_page_token());
    }
    if (absl::GetFlag(FLAGS_json)) {
      PrintJson(all);
      return 0;
    }
    for (const v1::Grant& grant : all.grants()) PrintGrant(grant);
    std::printf("%d grant(s).\n", all.grants_size());
    return 0;
  }
  return Usage(absl::StrCat("unknown grant command '", verb, "'"));
}

// "REASON_TLS_CERT_EXPIRED" -> "TLS_CERT_EXPIRED": the table is narrow.
std::string WithoutPrefix(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

// One line per entry: what changed, when, by whom, and why (suspensions).
void PrintAuditTable(const v1::ListAuditEntriesResponse& all) {
  std::printf("%-23s  %-10s  %-24s  %-8s  %-40s  %s\n", "TIME (UTC)", "ACTION", "GRANT", "VERSION",
              "CALLER", "REASON");
  for (const v1::AuditEntry& entry : all.entries()) {
    const std::string time = absl::FormatTime(
        "%Y-%m-%d %H:%M:%E3S", apptrust::timeconv::FromProto(entry.time()), absl::UTCTimeZone());
    const std::string versions = absl::StrCat(entry.version_before(), "->", entry.version_after());
    const std::string reason = entry.reason() == v1::REASON_UNSPECIFIED
                                   ? "-"
                                   : WithoutPrefix(v1::Reason_Name(entry.reason()), "REASON_");
    std::printf("%-23s  %-10s  %-24s  %-8s  %-40s  %s\n", time.c_str(),
                WithoutPrefix(v1::AuditAction_Name(entry.action()), "AUDIT_ACTION_").c_str(),
                entry.grant_id().c_str(), versions.c_str(), entry.caller().c_str(), reason.c_str());
  }
  std::printf("%d entr%s.\n", all.entries_size(), all.entries_size() == 1 ? "y" : "ies");
}

int Audit() {
  const std::string tenant = absl::GetFlag(FLAGS_tenant);
  if (!Require({{"tenant", tenant}})) return 2;
  const std::string store = absl::GetFlag(FLAGS_store);
  auto stub = StoreStub();
  v1::ListAuditEntriesRequest request;
  request.set_tenant_id(tenant);
  request.set_grant_id(absl::GetFlag(FLAGS_grant));
  request.set_page_size(1000);
  v1::ListAuditEntriesResponse all;
  while (true) {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ListAuditEntriesResponse page;
    const grpc::Status status = stub->ListAuditEntries(&context, request, &page);
    if (!status.ok()) return Failed("ListAuditEntries", store, status);
    for (v1::AuditEntry& entry : *page.mutable_entries()) *all.add_entries() = std::move(entry);
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(all);
    return 0;
  }
  PrintAuditTable(all);
  return 0;
}

std::string ReasonOrDash(v1::Reason reason) {
  return reason == v1::REASON_UNSPECIFIED ? "-" : WithoutPrefix(v1::Reason_Name(reason), "REASON_");
}

// One CSV field (RFC 4180). The values come from the network (client ids,
// hosts): a leading = + - @ is defused with a quote so a spreadsheet shows
// it as text instead of running it as a formula.
std::string CsvField(absl::string_view value) {
  std::string text(value);
  if (!text.empty() && absl::string_view("=+-@\t\r").find(text[0]) != absl::string_view::npos)
    text.insert(0, "'");
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string Rfc3339(const google::protobuf::Timestamp& t) {
  if (apptrust::timeconv::IsUnset(t)) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", apptrust::timeconv::FromProto(t),
                          absl::UTCTimeZone());
}

void PrintReportCsv(const v1::ListSweepResultsResponse& all) {
  std::printf(
      "tenant_id,client_id,host,status,reason,active_grants,cert_not_after,observed_at,"
      "pass_started_at,swept_by\n");
  for (const v1::SweepResult& r : all.results()) {
    const std::vector<std::string> fields = {
        CsvField(r.tenant_id()),
        CsvField(r.client_id()),
        CsvField(r.host()),
        WithoutPrefix(v1::SweepStatus_Name(r.status()), "SWEEP_STATUS_"),
        r.reason() == v1::REASON_UNSPECIFIED
            ? ""
            : WithoutPrefix(v1::Reason_Name(r.reason()), "REASON_"),
        std::to_string(r.active_grants()),
        Rfc3339(r.cert_not_after()),
        Rfc3339(r.observed_at()),
        Rfc3339(r.pass_started_at()),
        CsvField(r.swept_by())};
    std::printf("%s\n", absl::StrJoin(fields, ",").c_str());
  }
}

void PrintReportTable(const v1::ListSweepResultsResponse& all) {
  std::printf("%-17s  %-22s  %7s  %-16s  %-24s  %-32s  %s\n", "STATUS", "REASON", "GRANTS",
              "TENANT", "CLIENT", "HOST", "CERT EXPIRES");
  int64_t grants = 0;
  for (const v1::SweepResult& r : all.results()) {
    grants += r.active_grants();
    std::printf("%-17s  %-22s  %7lld  %-16s  %-24s  %-32s  %s\n",
                WithoutPrefix(v1::SweepStatus_Name(r.status()), "SWEEP_STATUS_").c_str(),
                ReasonOrDash(r.reason()).c_str(), static_cast<long long>(r.active_grants()),
                r.tenant_id().c_str(), r.client_id().c_str(), r.host().c_str(),
                Date(r.cert_not_after()).c_str());
  }
  std::printf("%d app%s, %lld active grant%s.\n", all.results_size(),
              all.results_size() == 1 ? "" : "s", static_cast<long long>(grants),
              grants == 1 ? "" : "s");
}

int Report() {
  if (absl::GetFlag(FLAGS_json) && absl::GetFlag(FLAGS_csv)) {
    return Usage("--json and --csv exclude each other");
  }
  const std::string store = absl::GetFlag(FLAGS_store);
  auto stub = StoreStub();
  v1::ListSweepResultsRequest request;
  request.set_tenant_id(absl::GetFlag(FLAGS_tenant));
  request.set_at_risk_only(!absl::GetFlag(FLAGS_all));
  request.set_page_size(1000);
  v1::ListSweepResultsResponse all;
  while (true) {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ListSweepResultsResponse page;
    const grpc::Status status = stub->ListSweepResults(&context, request, &page);
    if (!status.ok()) return Failed("ListSweepResults", store, status);
    for (v1::SweepResult& r : *page.mutable_results()) *all.add_results() = std::move(r);
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(all);
  } else if (absl::GetFlag(FLAGS_csv)) {
    PrintReportCsv(all);
  } else {
    PrintReportTable(all);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return Usage("missing command");
  const std::string command = args[1];
  if (command == "health") return Health();
  if (command == "inspect") return Inspect(args);
  if (command == "enroll") return Enroll();
  if (command == "check") return Check();
  if (command == "grant") return GrantCommand(args);
  if (command == "audit") return Audit();
  if (command == "report") return Report();
  return Usage(absl::StrCat("unknown command '", command, "'"));
}
