// Request validation: every refusal is INVALID_ARGUMENT naming the field.
#include "services/store/validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::store {
namespace {

using ::testing::StartsWith;

v1::PutGrantRequest ValidPut() {
  v1::PutGrantRequest request;
  request.mutable_grant()->set_tenant_id("tenant");
  request.mutable_grant()->set_grant_id("grant");
  request.mutable_grant()->set_client_id("client");
  request.mutable_grant()->set_redirect_uri("https://app.example.com/callback");
  return request;
}

TEST(ValidatePutGrantTest, NamesEachField) {
  EXPECT_TRUE(ValidatePutGrant(ValidPut()).ok());
  EXPECT_EQ(ValidatePutGrant(v1::PutGrantRequest()).message(), "grant: must be set");
  auto request = ValidPut();
  request.mutable_grant()->clear_tenant_id();
  EXPECT_EQ(ValidatePutGrant(request).message(), "grant.tenant_id: must not be empty");
  request = ValidPut();
  request.mutable_grant()->set_grant_id(std::string(300, 'g'));
  EXPECT_THAT(std::string(ValidatePutGrant(request).message()), StartsWith("grant.grant_id: "));
  request = ValidPut();
  request.mutable_grant()->set_client_id("tab\t");
  EXPECT_THAT(std::string(ValidatePutGrant(request).message()), StartsWith("grant.client_id: "));
  request = ValidPut();
  request.mutable_grant()->set_persona(static_cast<v1::Persona>(17));
  EXPECT_THAT(std::string(ValidatePutGrant(request).message()), StartsWith("grant.persona: "));
}

TEST(ValidatePutGrantTest, RedirectUriMustParseAndIsNamedOnce) {
  for (const std::string& bad :
       {std::string(), std::string("not a uri"), std::string("ftp://app.example.com/"),
        std::string("https://user@app.example.com/"), std::string("https://app.exa\nmple.com/"),
        std::string("https://app.\xff.example/")}) {
    auto request = ValidPut();
    request.mutable_grant()->set_redirect_uri(bad);
    const absl::Status status = ValidatePutGrant(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    const std::string message(status.message());
    EXPECT_THAT(message, StartsWith("grant.redirect_uri: ")) << bad;
    EXPECT_EQ(message.find("redirect_uri", 13), std::string::npos) << message;
  }
  auto idn = ValidPut();
  idn.mutable_grant()->set_redirect_uri(
      "https://app.b\xc3\xbc"
      "cher-klinik.example/cb");
  EXPECT_TRUE(ValidatePutGrant(idn).ok());
}

TEST(ValidateSuspendGrantTest, RefusesSuspensionIdsThePageCannotServe) {
  v1::SuspendGrantRequest request;
  request.set_tenant_id("t");
  request.set_grant_id("g");
  request.set_expected_version(1);
  for (const std::string& bad : {std::string("with space"), std::string("a/b"),
                                 std::string("a%2Fb"), std::string(".."), std::string(129, 'x')}) {
    request.mutable_suspension()->set_suspension_id(bad);
    const absl::Status status = ValidateSuspendGrant(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), StartsWith("suspension.suspension_id: ")) << bad;
  }
  request.mutable_suspension()->set_suspension_id("0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(ValidateSuspendGrant(request).ok());
  request.mutable_suspension()->clear_suspension_id();
  EXPECT_TRUE(ValidateSuspendGrant(request).ok());
}

TEST(ValidateSuspendGrantTest, ChecksVersionAndSuspensionFields) {
  v1::SuspendGrantRequest request;
  request.set_tenant_id("t");
  request.set_grant_id("g");
  request.set_expected_version(1);
  EXPECT_TRUE(ValidateSuspendGrant(request).ok());
  request.set_expected_version(0);
  EXPECT_THAT(std::string(ValidateSuspendGrant(request).message()),
              StartsWith("expected_version: "));
  request.set_expected_version(3);
  request.mutable_suspension()->set_suspension_id(std::string(257, 'a'));
  EXPECT_THAT(std::string(ValidateSuspendGrant(request).message()),
              StartsWith("suspension.suspension_id: "));
  request.mutable_suspension()->set_suspension_id("abc");
  request.mutable_suspension()->set_tenant_id("other");
  EXPECT_THAT(std::string(ValidateSuspendGrant(request).message()),
              StartsWith("suspension.tenant_id: "));
  request.mutable_suspension()->set_tenant_id("t");
  request.mutable_suspension()->set_grant_id("other");
  EXPECT_THAT(std::string(ValidateSuspendGrant(request).message()),
              StartsWith("suspension.grant_id: "));
  request.mutable_suspension()->set_grant_id("g");
  EXPECT_TRUE(ValidateSuspendGrant(request).ok());
  request.clear_tenant_id();
  EXPECT_EQ(ValidateSuspendGrant(request).message(), "tenant_id: must not be empty");
}

TEST(ValidateOtherRequestsTest, NameTheirFields) {
  v1::GetGrantRequest get;
  get.set_tenant_id("t");
  EXPECT_EQ(ValidateGetGrant(get).message(), "grant_id: must not be empty");
  v1::DeleteGrantRequest remove;
  remove.set_grant_id("g");
  EXPECT_EQ(ValidateDeleteGrant(remove).message(), "tenant_id: must not be empty");
  v1::GetSuspensionRequest suspension;
  EXPECT_EQ(ValidateGetSuspension(suspension).message(), "suspension_id: must not be empty");
  suspension.set_suspension_id("s");
  EXPECT_TRUE(ValidateGetSuspension(suspension).ok());
  suspension.set_tenant_id("\x01");
  EXPECT_THAT(std::string(ValidateGetSuspension(suspension).message()), StartsWith("tenant_id: "));
  v1::ListGrantsRequest list;
  list.set_tenant_id("t");
  EXPECT_TRUE(ValidateListGrants(list).ok());
  list.set_page_size(-1);
  EXPECT_THAT(std::string(ValidateListGrants(list).message()), StartsWith("page_size: "));
  list.set_page_size(5000);
  EXPECT_TRUE(ValidateListGrants(list).ok());
  list.set_client_id(std::string(257, 'c'));
  EXPECT_THAT(std::string(ValidateListGrants(list).message()), StartsWith("client_id: "));
}

TEST(EffectivePageSizeTest, DefaultsAndCaps) {
  EXPECT_EQ(EffectivePageSize(0), 100);
  EXPECT_EQ(EffectivePageSize(1), 1);
  EXPECT_EQ(EffectivePageSize(1000), 1000);
  EXPECT_EQ(EffectivePageSize(1001), 1000);
}

TEST(ValidateSweepTest, LeaseRequestsNameEachField) {
  v1::AcquireLeaseRequest lease;
  lease.set_name("sweep");
  lease.set_holder("host:1:abc");
  lease.mutable_ttl()->set_seconds(30);
  EXPECT_TRUE(ValidateAcquireLease(lease).ok());
  auto bad = lease;
  bad.clear_name();
  EXPECT_EQ(ValidateAcquireLease(bad).message(), "name: must not be empty");
  bad = lease;
  bad.set_holder("tab\t");
  EXPECT_THAT(std::string(ValidateAcquireLease(bad).message()), StartsWith("holder: "));
  bad = lease;
  bad.clear_ttl();
  EXPECT_EQ(ValidateAcquireLease(bad).message(), "ttl: must be set");
  bad.mutable_ttl()->set_seconds(3601);
  EXPECT_EQ(ValidateAcquireLease(bad).message(), "ttl: must be from 1s to 1h");
  bad.mutable_ttl()->set_seconds(0);
  bad.mutable_ttl()->set_nanos(500000000);
  EXPECT_EQ(ValidateAcquireLease(bad).message(), "ttl: must be from 1s to 1h");
}

TEST(ValidateSweepTest, SweepWritesNameTheResultAndField) {
  v1::PutSweepResultsRequest put;
  put.set_lease_name("sweep");
  put.set_holder("me");
  put.set_epoch(1);
  put.mutable_pass_started_at()->set_seconds(1);
  v1::SweepResult& result = *put.add_results();
  result.set_tenant_id("t");
  result.set_client_id("c");
  result.set_status(v1::SWEEP_STATUS_HEALTHY);
  EXPECT_TRUE(ValidatePutSweepResults(put).ok());
  auto bad = put;
  bad.set_epoch(0);
  EXPECT_EQ(ValidatePutSweepResults(bad).message(), "epoch: must be at least 1");
  bad = put;
  bad.clear_pass_started_at();
  EXPECT_EQ(ValidatePutSweepResults(bad).message(), "pass_started_at: must be set");
  bad = put;
  bad.mutable_results(0)->set_status(v1::SWEEP_STATUS_UNSPECIFIED);
  EXPECT_THAT(std::string(ValidatePutSweepResults(bad).message()),
              StartsWith("results[0].status: "));
  bad = put;
  bad.mutable_results(0)->clear_client_id();
  EXPECT_EQ(ValidatePutSweepResults(bad).message(), "results[0].client_id: must not be empty");
  v1::ListSweepResultsRequest list;
  list.set_page_size(-1);
  EXPECT_THAT(std::string(ValidateListSweepResults(list).message()), StartsWith("page_size: "));
  v1::ListActiveAppsRequest apps;
  apps.set_tenant_id("tab\t");
  EXPECT_THAT(std::string(ValidateListActiveApps(apps).message()), StartsWith("tenant_id: "));
}

}  // namespace
}  // namespace apptrust::store
