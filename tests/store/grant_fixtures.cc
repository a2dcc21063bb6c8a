#include "tests/store/grant_fixtures.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"

namespace apptrust::testing {
namespace {

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
}

}  // namespace

std::unique_ptr<StoreStub> NewStoreStub(const std::shared_ptr<grpc::Channel>& channel) {
  return apptrust::v1::FingerprintStore::NewStub(channel);
}

apptrust::v1::Grant MakeGrant(const std::string& tenant_id, const std::string& grant_id,
                              const std::string& client_id) {
  apptrust::v1::Grant grant;
  grant.set_tenant_id(tenant_id);
  grant.set_grant_id(grant_id);
  grant.set_client_id(client_id);
  grant.set_redirect_uri("https://app.example.com/callback");
  grant.set_persona(apptrust::v1::PERSONA_PATIENT);
  grant.set_application_name("Example Health");
  grant.set_validated(true);
  auto* identity = grant.mutable_identity();
  identity->set_organization_name("Example Health Inc");
  identity->set_organization_location("US, MO, Kansas City");
  identity->set_domain("example.com");
  identity->set_label(apptrust::v1::LABEL_VALIDATED);
  auto* fingerprint = grant.mutable_fingerprint();
  fingerprint->set_host("app.example.com");
  fingerprint->set_port(443);
  fingerprint->set_domain("example.com");
  fingerprint->mutable_tls()->set_present(true);
  fingerprint->mutable_tls()->set_leaf_sha256(std::string(64, 'a'));
  fingerprint->mutable_dns()->add_txt_values("cerner-client-id=" + client_id);
  return grant;
}

apptrust::v1::Suspension MakeSuspension(const std::string& suspension_id,
                                        const std::string& error_uri) {
  apptrust::v1::Suspension suspension;
  suspension.set_suspension_id(suspension_id);
  suspension.set_error_uri(error_uri.empty() && !suspension_id.empty()
                               ? absl::StrCat("https://apptrust.example/errors/"
                                              "urn:apptrust:error:refresh-suspended:tls-cert-"
                                              "expired/instances/",
                                              suspension_id)
                               : error_uri);
  suspension.set_reason(apptrust::v1::REASON_TLS_CERT_EXPIRED);
  suspension.set_error_description("The app's TLS certificate expired.");
  auto* finding = suspension.add_findings();
  finding->set_reason(apptrust::v1::REASON_TLS_CERT_EXPIRED);
  finding->set_suspends(true);
  finding->set_message("The app's certificate has expired.");
  return suspension;
}

grpc::Status Put(StoreStub& stub, const apptrust::v1::Grant& grant, apptrust::v1::Grant* out) {
  grpc::ClientContext context;
  SetDeadline(context);
  apptrust::v1::PutGrantRequest request;
  *request.mutable_grant() = grant;
  apptrust::v1::Grant ignored;
  return stub.PutGrant(&context, request, out != nullptr ? out : &ignored);
}

grpc::Status Get(StoreStub& stub, const std::string& tenant_id, const std::string& grant_id,
                 apptrust::v1::Grant* out) {
  grpc::ClientContext context;
  SetDeadline(context);
  apptrust::v1::GetGrantRequest request;
  request.set_tenant_id(tenant_id);
  request.set_grant_id(grant_id);
  apptrust::v1::Grant ignored;
  return stub.GetGrant(&context, request, out != nullptr ? out : &ignored);
}

grpc::Status Suspend(StoreStub& stub, const std::string& tenant_id, const std::string& grant_id,
                     int64_t expected_version, const apptrust::v1::Suspension& suspension,
                     apptrust::v1::Grant* out) {
  grpc::ClientContext context;
  SetDeadline(context);
  apptrust::v1::SuspendGrantRequest request;
  request.set_tenant_id(tenant_id);
  request.set_grant_id(grant_id);
  request.set_expected_version(expected_version);
  *request.mutable_suspension() = suspension;
  apptrust::v1::Grant ignored;
  return stub.SuspendGrant(&context, request, out != nullptr ? out : &ignored);
}

grpc::Status GetSuspension(StoreStub& stub, const std::string& suspension_id,
                           const std::string& tenant_id, apptrust::v1::Suspension* out) {
  grpc::ClientContext context;
  SetDeadline(context);
  apptrust::v1::GetSuspensionRequest request;
  request.set_suspension_id(suspension_id);
  request.set_tenant_id(tenant_id);
  apptrust::v1::Suspension ignored;
  return stub.GetSuspension(&context, request, out != nullptr ? out : &ignored);
}

grpc::Status Delete(StoreStub& stub, const std::string& tenant_id, const std::string& grant_id) {
  int64_t revision = 0;
  return Delete(stub, tenant_id, grant_id, &revision);
}

grpc::Status Delete(StoreStub& stub, const std::string& tenant_id, const std::string& grant_id,
                    int64_t* revision) {
  grpc::ClientContext context;
  SetDeadline(context);
  apptrust::v1::DeleteGrantRequest request;
  request.set_tenant_id(tenant_id);
  request.set_grant_id(grant_id);
  google::protobuf::Empty ignored;
  const grpc::Status status = stub.DeleteGrant(&context, request, &ignored);
  *revision = 0;
  const auto& trailers = context.GetServerTrailingMetadata();
  if (auto found = trailers.find("apptrust-revision"); found != trailers.end()) {
    *revision = std::stoll(std::string(found->second.data(), found->second.size()));
  }
  return status;
}

grpc::Status List(StoreStub& stub, const apptrust::v1::ListGrantsRequest& request,
                  apptrust::v1::ListGrantsResponse* out) {
  grpc::ClientContext context;
  SetDeadline(context);
  return stub.ListGrants(&context, request, out);
}

grpc::Status BatchGet(StoreStub& stub, const apptrust::v1::BatchGetGrantsRequest& request,
                      apptrust::v1::BatchGetGrantsResponse* out) {
  grpc::ClientContext context;
  SetDeadline(context);
  return stub.BatchGetGrants(&context, request, out);
}

grpc::Status ListAudit(StoreStub& stub, const apptrust::v1::ListAuditEntriesRequest& request,
                       apptrust::v1::ListAuditEntriesResponse* out) {
  grpc::ClientContext context;
  SetDeadline(context);
  return stub.ListAuditEntries(&context, request, out);
}

std::vector<apptrust::v1::AuditEntry> AllAuditEntries(StoreStub& stub, const std::string& tenant_id,
                                                      const std::string& grant_id) {
  apptrust::v1::ListAuditEntriesRequest request;
  request.set_tenant_id(tenant_id);
  request.set_grant_id(grant_id);
  std::vector<apptrust::v1::AuditEntry> entries;
  while (true) {
    apptrust::v1::ListAuditEntriesResponse page;
    const grpc::Status status = ListAudit(stub, request, &page);
    EXPECT_TRUE(status.ok()) << Describe(status);
    if (!status.ok()) return entries;
    entries.insert(entries.end(), page.entries().begin(), page.entries().end());
    if (page.next_page_token().empty()) return entries;
    request.set_page_token(page.next_page_token());
  }
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(status.error_code(), ": ", status.error_message());
}

}  // namespace apptrust::testing
