// The scenario matrix of DESIGN.md §7, end to end: enroll an app through the
// real decision service, change the world (certificate, DNS, server), refresh,
// and check the verdict, the reasons and the error_uri the gateway would get.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_world.h"
#include "tests/store/grant_fixtures.h"
#include "tests/store/metrics_scrape.h"
#include "tests/support/http_client.h"
#include "tests/support/raw_grpc_call.h"

namespace apptrust::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using v1::CheckRefreshResponse;

// How many `method` calls `store` answered OK or FAILED_PRECONDITION (its
// apptrust_store_rpcs_total).
double StoreRpcCount(const RunningService& store, const std::string& method) {
  auto text = ScrapeMetrics(store.metrics_address);
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return -1;
  double total = 0;
  for (const char* code : {"OK", "FAILED_PRECONDITION"}) {
    total += SeriesValue(*text, absl::StrCat("apptrust_store_rpcs_total{code=\"", code,
                                             "\",method=\"", method, "\"}"))
                 .value_or(0);
  }
  return total;
}

class DecisionE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto world = E2eWorld::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = world->release();
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(world_, nullptr);
    auto decision = world_->Decision();
    ASSERT_TRUE(decision.ok()) << decision.status();
    decision_ = *decision;
  }

  static std::unique_ptr<v1::DecisionService::Stub> Stub(RunningService* service) {
    return v1::DecisionService::NewStub(service->channel);
  }

  TestApp* NewApp(const std::string& name, LeafOptions leaf = ExampleHealthOv()) {
    auto app = world_->AddApp(name, std::move(leaf));
    EXPECT_TRUE(app.ok()) << app.status();
    return app.ok() ? *app : nullptr;
  }

  static grpc::Status Enroll(RunningService* service, const TestApp& app,
                             const std::string& grant_id, v1::EnrollResponse* response,
                             v1::Persona persona = v1::PERSONA_PATIENT) {
    v1::EnrollRequest request;
    request.set_tenant_id("tenant-a");
    request.set_client_id(app.client_id);
    request.set_grant_id(grant_id);
    request.set_redirect_uri(app.redirect_uri);
    request.set_application_name("Example Health App");
    request.set_persona(persona);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    const grpc::Status status = Stub(service)->Enroll(&context, request, response);
    if (status.ok()) SawRevision(response->store_revision());
    return status;
  }

  // Like a gateway, the tests pass the highest store revision they were
  // given as min_store_revision, so a write through one replica is honoured
  // by the next refresh on any (read-your-writes; without it, within the
  // grant cache's --grant_watch_max_lag).
  static void SawRevision(int64_t revision) {
    absl::MutexLock lock(&revision_mu_);
    int64_t& seen = seen_revisions_[world_];
    seen = std::max(seen, revision);
  }
  static int64_t SeenRevision() {
    absl::MutexLock lock(&revision_mu_);
    return seen_revisions_[world_];
  }

  static grpc::Status Check(RunningService* service, const TestApp& app,
                            const std::string& grant_id, CheckRefreshResponse* response,
                            absl::Duration deadline = absl::Seconds(20),
                            const std::string& redirect_uri = "") {
    v1::CheckRefreshRequest request;
    request.set_tenant_id("tenant-a");
    request.set_client_id(app.client_id);
    request.set_grant_id(grant_id);
    request.set_redirect_uri(redirect_uri);
    request.set_min_store_revision(SeenRevision());
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    const grpc::Status status = Stub(service)->CheckRefresh(&context, request, response);
    if (status.ok()) SawRevision(response->store_revision());
    return status;
  }

  // Enrolls `grant_id` for `app` on `service` (default: decision_).
  void EnrollOk(const TestApp& app, const std::string& grant_id, v1::EnrollResponse* out = nullptr,
                RunningService* service = nullptr) {
    v1::EnrollResponse response;
    const grpc::Status status =
        Enroll(service != nullptr ? service : decision_, app, grant_id, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (out != nullptr) *out = response;
  }

  CheckRefreshResponse CheckOk(const TestApp& app, const std::string& grant_id,
                               RunningService* service = nullptr) {
    CheckRefreshResponse response;
    const grpc::Status status =
        Check(service != nullptr ? service : decision_, app, grant_id, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static std::vector<v1::Reason> SuspendingReasons(const CheckRefreshResponse& response) {
    std::vector<v1::Reason> reasons;
    for (const v1::Finding& f : response.findings()) {
      if (f.suspends()) reasons.push_back(f.reason());
    }
    return reasons;
  }

  static std::vector<v1::Reason> AllReasons(const CheckRefreshResponse& response) {
    std::vector<v1::Reason> reasons;
    for (const v1::Finding& f : response.findings()) reasons.push_back(f.reason());
    return reasons;
  }

  static void ExpectSuspended(const CheckRefreshResponse& response, v1::Reason reason) {
    EXPECT_EQ(response.verdict(), v1::VERDICT_SUSPEND);
    EXPECT_TRUE(response.enforced());
    EXPECT_THAT(SuspendingReasons(response), Contains(reason));
    EXPECT_EQ(response.error(), "invalid_grant");
    EXPECT_FALSE(response.error_description().empty());
    EXPECT_FALSE(response.suspension_id().empty());
    EXPECT_THAT(response.error_uri(),
                HasSubstr(absl::StrCat("/instances/", response.suspension_id())));
  }

  static void ExpectAllowed(const CheckRefreshResponse& response) {
    EXPECT_EQ(response.verdict(), v1::VERDICT_ALLOW);
    EXPECT_TRUE(response.enforced());
    EXPECT_TRUE(SuspendingReasons(response).empty());
    EXPECT_TRUE(response.error_uri().empty());
  }

  // The world of the running test: this suite's own, or the one of the
  // store setup of a DecisionCoreE2eTest.
  static inline E2eWorld* world_ = nullptr;
  static inline absl::Mutex revision_mu_;
  static inline std::map<const E2eWorld*, int64_t> seen_revisions_ ABSL_GUARDED_BY(revision_mu_);
  RunningService* decision_ = nullptr;
};

// The core of the matrix (enroll, refresh ALLOW, a change, SUSPEND with its
// error_uri and page, re-approval) on every store setup: SQLite, PostgreSQL,
// and two store replicas on one PostgreSQL database. Two decision replicas
// take part, first_ and second_ (E2eWorld::DecisionReplica: with two store
// replicas each has its own), so what one writes is read through the other.
class DecisionCoreE2eTest : public DecisionE2eTest,
                            public ::testing::WithParamInterface<StoreSetup> {
 protected:
  // One world per store setup, made by the first test that needs it (on the
  // test body's thread, which outlives the PostgreSQL server it starts).
  static void SetUpTestSuite() {}
  static void TearDownTestSuite() {
    world_ = nullptr;
    Worlds().Clear();
  }

  void SetUp() override {
    auto world = Worlds().Get(GetParam());
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = *world;
    DecisionE2eTest::SetUp();
    first_ = decision_;
    auto second = world_->DecisionReplica(1);
    ASSERT_TRUE(second.ok()) << second.status();
    second_ = *second;
  }

  // The explanation page of `response`'s error_uri as `service` serves it.
  static HttpResponse Page(RunningService* service, const CheckRefreshResponse& response) {
    auto web = service->process->WaitForListener("web");
    EXPECT_TRUE(web.ok()) << web.status();
    auto split = SplitHttpUrl(response.error_uri());
    EXPECT_TRUE(split.ok()) << split.status();
    if (!web.ok() || !split.ok()) return {};
    auto page = HttpRequest(*web, "GET", split->second);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? *page : HttpResponse{};
  }

  static WorldsBySetup& Worlds() {
    static auto* worlds = new WorldsBySetup();
    return *worlds;
  }

  RunningService* first_ = nullptr;
  RunningService* second_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(Stores, DecisionCoreE2eTest,
                         ::testing::Values(StoreSetup::kSqlite, StoreSetup::kPostgres,
                                           StoreSetup::kTwoPostgresReplicas),
                         StoreSetupName);

TEST_P(DecisionCoreE2eTest, UnchangedAppIsAllowed) {
  TestApp* app = NewApp("unchanged");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-unchanged");
  ExpectAllowed(CheckOk(*app, "grant-unchanged", first_));
  ExpectAllowed(CheckOk(*app, "grant-unchanged", second_));
}

TEST_P(DecisionCoreE2eTest, ExpiredCertificateSuspendsWithAStableErrorUri) {
  TestApp* app = NewApp("expired");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-expired");
  ExpectAllowed(CheckOk(*app, "grant-expired", second_));
  LeafOptions expired = ExampleHealthOv();
  expired.not_before = absl::Now() - absl::Hours(24 * 100);
  expired.not_after = absl::Now() - absl::Hours(24);
  ASSERT_TRUE(world_->ServeCertificate(*app, expired).ok());

  const CheckRefreshResponse first = CheckOk(*app, "grant-expired", first_);
  ExpectSuspended(first, v1::REASON_TLS_CERT_EXPIRED);
  // The URN is one path segment (':' is a valid pchar, RFC 3986 §3.3).
  EXPECT_THAT(first.error_uri(),
              HasSubstr("/errors/urn:apptrust:error:refresh-suspended:tls-cert-expired/"));
  EXPECT_THAT(first.error_uri(), HasSubstr("client=client-expired"));
  EXPECT_THAT(first.error_uri(), HasSubstr("tenant=tenant-a"));
  // RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
  for (const char c : first.error_description()) {
    EXPECT_TRUE(c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') << first.error_description();
  }

  // The same suspension is answered again, through the other replica too,
  // without a new one.
  const CheckRefreshResponse second = CheckOk(*app, "grant-expired", second_);
  EXPECT_EQ(second.verdict(), v1::VERDICT_SUSPEND);
  EXPECT_EQ(second.suspension_id(), first.suspension_id());
  EXPECT_EQ(second.error_uri(), first.error_uri());
  EXPECT_THAT(SuspendingReasons(second), Contains(v1::REASON_ALREADY_SUSPENDED));

  // The page behind the error_uri, from either replica, explains it.
  for (RunningService* service : {first_, second_}) {
    const HttpResponse page = Page(service, first);
    EXPECT_EQ(page.status, 200) << first.error_uri();
    EXPECT_THAT(page.body, HasSubstr("security certificate expired"));
  }
}

TEST_P(DecisionCoreE2eTest, ChangedOrganizationSuspends) {
  TestApp* app = NewApp("orgchange");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-orgchange");
  LeafOptions other = ExampleHealthOv();
  other.organization = "Someone Else LLC";
  ASSERT_TRUE(world_->ServeCertificate(*app, other).ok());
  const CheckRefreshResponse response = CheckOk(*app, "grant-orgchange", second_);
  ExpectSuspended(response, v1::REASON_IDENTITY_CHANGED);
  bool detail_names_both = false;
  for (const v1::Finding& f : response.findings()) {
    if (f.reason() == v1::REASON_IDENTITY_CHANGED) {
      detail_names_both = absl::StrContains(f.detail(), "Example Health, Inc.") &&
                          absl::StrContains(f.detail(), "Someone Else LLC");
    }
  }
  EXPECT_TRUE(detail_names_both);
  EXPECT_EQ(CheckOk(*app, "grant-orgchange", first_).suspension_id(), response.suspension_id());
}

TEST_P(DecisionCoreE2eTest, RemovedTxtEntrySuspends) {
  TestApp* app = NewApp("txtremoved");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-txtremoved");
  auto& txt = world_->records().txt;
  txt.erase(std::remove_if(txt.begin(), txt.end(),
                           [&](const DnsRecords::Txt& t) { return t.name == app->domain; }),
            txt.end());
  world_->records().AddTxt(app->domain, {"google-site-verification=abc"});
  ASSERT_TRUE(world_->PublishDns().ok());
  const CheckRefreshResponse response = CheckOk(*app, "grant-txtremoved", first_);
  ExpectSuspended(response, v1::REASON_DNS_TXT_MISSING);
  EXPECT_EQ(CheckOk(*app, "grant-txtremoved", second_).suspension_id(), response.suspension_id());
}

TEST_P(DecisionCoreE2eTest, SuspendedGrantStaysSuspendedUntilReEnrolled) {
  TestApp* app = NewApp("refixed");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-refixed");
  LeafOptions expired = ExampleHealthOv();
  expired.not_before = absl::Now() - absl::Hours(48);
  expired.not_after = absl::Now() - absl::Hours(1);
  ASSERT_TRUE(world_->ServeCertificate(*app, expired).ok());
  const CheckRefreshResponse suspended = CheckOk(*app, "grant-refixed", first_);
  ExpectSuspended(suspended, v1::REASON_TLS_CERT_EXPIRED);

  // The site is fixed, but the patient has not approved again: the other
  // replica honours the suspension without probing.
  ASSERT_TRUE(world_->ServeCertificate(*app, ExampleHealthOv()).ok());
  const int connections = app->server->accepted_connections();
  const CheckRefreshResponse still = CheckOk(*app, "grant-refixed", second_);
  EXPECT_EQ(still.verdict(), v1::VERDICT_SUSPEND);
  EXPECT_EQ(still.suspension_id(), suspended.suspension_id());
  EXPECT_EQ(app->server->accepted_connections(), connections) << "a suspended grant was probed";

  // Re-approval through the other replica makes it ACTIVE with the new
  // fingerprint, for both.
  EnrollOk(*app, "grant-refixed", nullptr, second_);
  ExpectAllowed(CheckOk(*app, "grant-refixed", first_));
  ExpectAllowed(CheckOk(*app, "grant-refixed", second_));
}

// SuspendGrant racing through the two store replicas on one database: both
// decision services refresh the same grants of a changed app at once, both
// read each grant ACTIVE at version 1 and both ask for a suspension. One
// suspension wins per grant; both answers carry it and the store holds it
// alone. (The app's handshakes are slowed so that both services read before
// either writes; the outcome asserted holds whatever the interleaving.)
TEST_P(DecisionCoreE2eTest, RacingRefreshesThroughTwoReplicasShareOneSuspension) {
  TestApp* app = NewApp("race");
  ASSERT_NE(app, nullptr);
  constexpr int kGrants = 8;
  auto grant_id = [](int i) { return absl::StrCat("grant-race-", i); };
  for (int i = 0; i < kGrants; ++i) EnrollOk(*app, grant_id(i));
  LeafOptions expired = ExampleHealthOv();
  expired.not_before = absl::Now() - absl::Hours(48);
  expired.not_after = absl::Now() - absl::Hours(1);
  ASSERT_TRUE(world_->ServeCertificate(*app, expired).ok());
  ASSERT_TRUE(app->server->SetHandshakeDelay(absl::Milliseconds(500)).ok());
  auto suspend_calls = [&] {
    double calls = 0;
    for (int replica = 0; replica < world_->store_replicas(); ++replica) {
      calls += StoreRpcCount(world_->store(replica), "SuspendGrant");
    }
    return calls;
  };
  const double suspend_calls_before = suspend_calls();

  struct Call {
    int grant;
    grpc::ClientContext context;
    CheckRefreshResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<CheckRefreshResponse>> reader;
  };
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<Call>> calls;  // grant i: calls[2i] first_, calls[2i+1] second_
  auto first_stub = Stub(first_);
  auto second_stub = Stub(second_);
  for (int i = 0; i < kGrants; ++i) {
    for (v1::DecisionService::Stub* stub : {first_stub.get(), second_stub.get()}) {
      auto call = std::make_unique<Call>();
      call->grant = i;
      v1::CheckRefreshRequest request;
      request.set_tenant_id("tenant-a");
      request.set_client_id(app->client_id);
      request.set_grant_id(grant_id(i));
      call->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
      call->reader = stub->AsyncCheckRefresh(&call->context, request, &cq);
      call->reader->Finish(&call->response, &call->status, call.get());
      calls.push_back(std::move(call));
    }
  }
  for (size_t done = 0; done < calls.size(); ++done) {
    void* tag;
    bool ok;
    ASSERT_TRUE(cq.Next(&tag, &ok));
  }
  ASSERT_TRUE(app->server->SetHandshakeDelay(absl::ZeroDuration()).ok());

  auto store = NewStoreStub(world_->store(0).channel);
  for (int i = 0; i < kGrants; ++i) {
    SCOPED_TRACE(grant_id(i));
    const Call& one = *calls[2 * i];
    const Call& other = *calls[2 * i + 1];
    ASSERT_TRUE(one.status.ok()) << one.status.error_message();
    ASSERT_TRUE(other.status.ok()) << other.status.error_message();
    EXPECT_EQ(one.response.verdict(), v1::VERDICT_SUSPEND);
    EXPECT_EQ(other.response.verdict(), v1::VERDICT_SUSPEND);
    ASSERT_FALSE(one.response.suspension_id().empty());
    EXPECT_EQ(other.response.suspension_id(), one.response.suspension_id());
    EXPECT_EQ(other.response.error_uri(), one.response.error_uri());

    // The store's history of the grant: one enrollment, one suspension.
    v1::ListAuditEntriesRequest request;
    request.set_tenant_id("tenant-a");
    request.set_grant_id(grant_id(i));
    v1::ListAuditEntriesResponse audit;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    const grpc::Status listed = store->ListAuditEntries(&context, request, &audit);
    ASSERT_TRUE(listed.ok()) << listed.error_message();
    std::vector<std::string> suspensions;
    for (const v1::AuditEntry& entry : audit.entries()) {
      if (entry.action() == v1::AUDIT_ACTION_SUSPENDED) {
        suspensions.push_back(entry.suspension_id());
      }
    }
    EXPECT_THAT(suspensions, ::testing::ElementsAre(one.response.suspension_id()));
  }

  // Both services asked for suspensions (each at most once per grant):
  // more than one call per grant means some grants were raced for.
  const double raced = suspend_calls() - suspend_calls_before;
  std::printf("SuspendGrant calls for %d grants refreshed by two services: %.0f\n", kGrants, raced);
  EXPECT_GT(raced, kGrants);
}

TEST_F(DecisionE2eTest, EnrollShowsTheIdentityOfAnOvCertificateAndTheDomain) {
  TestApp* app = NewApp("identity");
  ASSERT_NE(app, nullptr);
  v1::EnrollResponse response;
  EnrollOk(*app, "grant-identity", &response);
  EXPECT_EQ(response.identity().domain(), "identity.test");
  EXPECT_EQ(response.identity().label(), v1::LABEL_IDENTIFIED);
  EXPECT_EQ(response.identity().organization_name(), "Example Health, Inc.");
  EXPECT_EQ(response.identity().organization_location(), "US, MO, Kansas City");
  EXPECT_EQ(response.identity().application_name(), "Example Health App");
  EXPECT_EQ(response.fingerprint().tls().validation_level(), v1::VALIDATION_LEVEL_OV);
  EXPECT_TRUE(response.fingerprint().dns().client_id_txt_present());
  EXPECT_GT(response.grant_version(), 0);
}

TEST_F(DecisionE2eTest, RenewedCertificateWithTheSameIdentityIsAllowed) {
  TestApp* app = NewApp("renewed");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-renewed");
  LeafOptions renewed = ExampleHealthOv();
  renewed.key_type = KeyType::kRsa2048;  // new key too
  ASSERT_TRUE(world_->ServeCertificate(*app, renewed).ok());
  ExpectAllowed(CheckOk(*app, "grant-renewed"));
}

TEST_F(DecisionE2eTest, StrictProfileSuspendsOnARenewedCertificate) {
  const std::string policy = world_->WriteFile("strict.textproto", "profile: PROFILE_STRICT\n");
  auto strict = world_->Decision({"--policy=" + policy});
  ASSERT_TRUE(strict.ok()) << strict.status();
  TestApp* app = NewApp("strict");
  ASSERT_NE(app, nullptr);
  v1::EnrollResponse enrolled;
  ASSERT_TRUE(Enroll(*strict, *app, "grant-strict", &enrolled).ok());
  ASSERT_TRUE(world_->ServeCertificate(*app, ExampleHealthOv()).ok());
  const CheckRefreshResponse response = CheckOk(*app, "grant-strict", *strict);
  ExpectSuspended(response, v1::REASON_CERTIFICATE_CHANGED);
}

TEST_F(DecisionE2eTest, DowngradeFromOvToDvSuspends) {
  TestApp* app = NewApp("downgrade");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-downgrade");
  LeafOptions dv;
  dv.policy = CertPolicy::kDv;
  ASSERT_TRUE(world_->ServeCertificate(*app, dv).ok());
  ExpectSuspended(CheckOk(*app, "grant-downgrade"), v1::REASON_VALIDATION_DOWNGRADED);
}

TEST_F(DecisionE2eTest, SelfSignedCertificateSuspends) {
  TestApp* app = NewApp("selfsigned");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-selfsigned");
  LeafOptions self_signed = ExampleHealthOv();
  self_signed.self_signed = true;
  ASSERT_TRUE(world_->ServeCertificate(*app, self_signed).ok());
  ExpectSuspended(CheckOk(*app, "grant-selfsigned"), v1::REASON_TLS_CHAIN_UNTRUSTED);
}

TEST_F(DecisionE2eTest, CertificateForAnotherHostSuspends) {
  TestApp* app = NewApp("wronghost");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-wronghost");
  ASSERT_TRUE(world_
                  ->ServeCertificate(*app, ExampleHealthOv({"elsewhere.example.test"}),
                                     /*keep_names=*/true)
                  .ok());
  ExpectSuspended(CheckOk(*app, "grant-wronghost"), v1::REASON_TLS_HOSTNAME_MISMATCH);
}

// Bytes that are not UTF-8, from a hostile app (or whoever took over its DNS),
// suspend exactly like their UTF-8 twins: never INTERNAL, never a grant left
// ACTIVE without a suspension. The suspension is readable from the store and
// its page is served. (Subject fields cannot carry such bytes here: OpenSSL 3
// refuses to parse a certificate whose name strings are not valid, so such a
// server fails the handshake, TLS_UNAVAILABLE. A dNSName is an IA5String
// that nothing validates, so it can.)
TEST_F(DecisionE2eTest, NonUtf8BytesFromTheAppSuspendLikeTheirUtf8Twins) {
  auto web = decision_->process->WaitForListener("web");
  ASSERT_TRUE(web.ok()) << web.status();
  auto store = NewStoreStub(world_->store().channel);
  struct Case {
    std::string name;
    // Put before the client id in the app's TXT entry, or after the host in
    // the certificate's only DNS name.
    std::string txt_prefix;
    std::string san_suffix;
    v1::Reason reason;
  };
  const std::vector<Case> cases = {
      {"txttwin", "XX", "", v1::REASON_DNS_TXT_MISSING},
      {"txtbytes", "\xff\xfe", "", v1::REASON_DNS_TXT_MISSING},
      {"santwin", "", "XX", v1::REASON_TLS_HOSTNAME_MISMATCH},
      {"sanbytes", "", "\xff\xfe", v1::REASON_TLS_HOSTNAME_MISMATCH},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TestApp* app = NewApp(c.name);
    ASSERT_NE(app, nullptr);
    const std::string grant = "grant-" + c.name;
    EnrollOk(*app, grant);
    if (!c.txt_prefix.empty()) {
      auto& txt = world_->records().txt;
      txt.erase(std::remove_if(txt.begin(), txt.end(),
                               [&](const DnsRecords::Txt& t) { return t.name == app->domain; }),
                txt.end());
      world_->records().AddTxt(app->domain,
                               {absl::StrCat("cerner-client-id=", c.txt_prefix, app->client_id)});
      ASSERT_TRUE(world_->PublishDns().ok());
    } else {
      ASSERT_TRUE(world_
                      ->ServeCertificate(*app, ExampleHealthOv({app->host + c.san_suffix}),
                                         /*keep_names=*/true)
                      .ok());
    }
    const CheckRefreshResponse response = CheckOk(*app, grant);
    ExpectSuspended(response, c.reason);

    v1::GetSuspensionRequest request;
    request.set_suspension_id(response.suspension_id());
    v1::Suspension suspension;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    const grpc::Status read = store->GetSuspension(&context, request, &suspension);
    ASSERT_TRUE(read.ok()) << read.error_message();
    EXPECT_EQ(suspension.reason(), c.reason);
    if (c.san_suffix == "\xff\xfe") {
      // Visible, escaped: the detail shows what was served.
      bool escaped = false;
      for (const v1::Finding& f : suspension.findings()) {
        escaped |= absl::StrContains(f.detail(), app->host + "\\xFF\\xFE");
      }
      EXPECT_TRUE(escaped);
    }

    auto split = SplitHttpUrl(response.error_uri());
    ASSERT_TRUE(split.ok()) << split.status();
    auto page = HttpRequest(*web, "GET", split->second);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->status, 200) << response.error_uri();
  }
}

// An approval (Enroll) and a preview (Inspect) of an app whose certificate
// carries bytes that are not UTF-8 work, with those bytes escaped.
TEST_F(DecisionE2eTest, NonUtf8CertificateNamesAreEnrolledEscaped) {
  TestApp* app = NewApp("bytesenroll");
  ASSERT_NE(app, nullptr);
  const std::string hostile = "x\xff\xfe." + app->host;
  ASSERT_TRUE(
      world_->ServeCertificate(*app, ExampleHealthOv({app->host, hostile}), /*keep_names=*/true)
          .ok());
  v1::InspectRequest inspect;
  inspect.set_redirect_uri(app->redirect_uri);
  inspect.set_client_id(app->client_id);
  v1::InspectResponse inspected;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  const grpc::Status status = Stub(decision_)->Inspect(&context, inspect, &inspected);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(inspected.fingerprint().tls().subject_alt_names(),
              Contains("x\\xFF\\xFE." + app->host));

  v1::EnrollResponse enrolled;
  EnrollOk(*app, "grant-bytesenroll", &enrolled);
  EXPECT_THAT(enrolled.fingerprint().tls().subject_alt_names(),
              Contains("x\\xFF\\xFE." + app->host));
  ExpectAllowed(CheckOk(*app, "grant-bytesenroll"));
}

TEST_F(DecisionE2eTest, ReorderedAndUnrelatedTxtRecordsAreAllowed) {
  TestApp* app = NewApp("txtreorder");
  ASSERT_NE(app, nullptr);
  world_->records().AddTxt(app->domain, {"cerner-client-id=another-app"});
  ASSERT_TRUE(world_->PublishDns().ok());
  EnrollOk(*app, "grant-txtreorder");
  auto& txt = world_->records().txt;
  txt.erase(std::remove_if(txt.begin(), txt.end(),
                           [&](const DnsRecords::Txt& t) { return t.name == app->domain; }),
            txt.end());
  // Same entries in another layout and order, plus unrelated records.
  world_->records().AddTxt(app->domain, {"v=spf1 -all"});
  world_->records().AddTxt(app->domain, {"cerner-client-id=another-app",
                                         absl::StrCat("cerner-client-id=", app->client_id)});
  ASSERT_TRUE(world_->PublishDns().ok());
  ExpectAllowed(CheckOk(*app, "grant-txtreorder"));
}

TEST_F(DecisionE2eTest, ChangedAddressesAreAllowed) {
  TestApp* app = NewApp("addresses");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-addresses");
  for (auto& host : world_->records().hosts) {
    // dnsmasq serves one A and one AAAA per host record: add an AAAA.
    if (host.name == app->host) host.addresses = {"127.0.0.1", "::1"};
  }
  ASSERT_TRUE(world_->PublishDns().ok());
  const CheckRefreshResponse response = CheckOk(*app, "grant-addresses");
  ExpectAllowed(response);
  EXPECT_THAT(AllReasons(response), Contains(v1::REASON_ADDRESSES_CHANGED));
}

TEST_F(DecisionE2eTest, NxdomainSuspends) {
  TestApp* app = NewApp("nxdomain");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-nxdomain");
  auto& hosts = world_->records().hosts;
  hosts.erase(std::remove_if(hosts.begin(), hosts.end(),
                             [&](const DnsRecords::Host& h) { return h.name == app->host; }),
              hosts.end());
  ASSERT_TRUE(world_->PublishDns().ok());
  ExpectSuspended(CheckOk(*app, "grant-nxdomain"), v1::REASON_DNS_DOMAIN_NOT_FOUND);
}

TEST_F(DecisionE2eTest, ServerDownFollowsOnProbeFailure) {
  const std::string policy = world_->WriteFile("suspend-on-failure.textproto",
                                               "on_probe_failure: PROBE_FAILURE_SUSPEND\n");
  auto suspending = world_->Decision({"--policy=" + policy});
  ASSERT_TRUE(suspending.ok()) << suspending.status();
  TestApp* app = NewApp("serverdown");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-down-stale");
  v1::EnrollResponse enrolled;
  ASSERT_TRUE(Enroll(*suspending, *app, "grant-down-suspend", &enrolled).ok());
  // Both services have a good observation of the app; then it goes away.
  ExpectAllowed(CheckOk(*app, "grant-down-stale"));
  ExpectAllowed(CheckOk(*app, "grant-down-suspend", *suspending));
  app->server.reset();  // connection refused from now on

  // Default STALE_OK: the last good observation (seconds old) stands in.
  ExpectAllowed(CheckOk(*app, "grant-down-stale"));
  // SUSPEND: a refresh with nothing definitive observed is suspended.
  ExpectSuspended(CheckOk(*app, "grant-down-suspend", *suspending), v1::REASON_PROBE_FAILED);
}

TEST_F(DecisionE2eTest, ProviderPersonaIsAllowedWithoutProbing) {
  TestApp* app = NewApp("provider");
  ASSERT_NE(app, nullptr);
  v1::EnrollResponse enrolled;
  ASSERT_TRUE(Enroll(decision_, *app, "grant-provider", &enrolled, v1::PERSONA_PROVIDER).ok());
  ASSERT_TRUE(app->server->WaitForHandshakes(1));
  LeafOptions expired = ExampleHealthOv();
  expired.not_before = absl::Now() - absl::Hours(48);
  expired.not_after = absl::Now() - absl::Hours(24);
  ASSERT_TRUE(world_->ServeCertificate(*app, expired).ok());
  const int connections = app->server->accepted_connections();
  ExpectAllowed(CheckOk(*app, "grant-provider"));
  EXPECT_EQ(app->server->accepted_connections(), connections) << "a provider grant was probed";
}

// --grant_cache_ttl: a replica that reuses grants it read sees its own
// writes at once and never suspends a grant re-approved through another
// replica (its SuspendGrant conflicts on the version; it reads again).
TEST_F(DecisionE2eTest, GrantCacheSeesOwnWritesAndNeverSuspendsAReApprovedGrant) {
  auto cached = world_->Decision({"--grant_watch_max_lag=0s", "--grant_cache_ttl=1h"});
  ASSERT_TRUE(cached.ok()) << cached.status();
  TestApp* app = NewApp("grantcache");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-cache");
  auto hits = [&]() -> double {
    auto text = ScrapeMetrics((*cached)->metrics_address);
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? SeriesValue(*text, R"(apptrust_grant_cache_requests_total{result="hit"})")
                           .value_or(-1)
                     : -1;
  };
  ExpectAllowed(CheckOk(*app, "grant-cache", *cached));
  const double hits_before = hits();
  ExpectAllowed(CheckOk(*app, "grant-cache", *cached));
  EXPECT_EQ(hits(), hits_before + 1) << "the second refresh read the store again";

  // The organization changes and the patient approves the new one through
  // the other replica; the caching replica still remembers version 1.
  LeafOptions other = ExampleHealthOv();
  other.organization = "Example Health Group";
  ASSERT_TRUE(world_->ServeCertificate(*app, other).ok());
  EnrollOk(*app, "grant-cache");
  ExpectAllowed(CheckOk(*app, "grant-cache", *cached));

  // Its own suspension is remembered: the next refresh is SUSPEND with the
  // same suspension, without probing.
  LeafOptions expired = other;
  expired.not_before = absl::Now() - absl::Hours(48);
  expired.not_after = absl::Now() - absl::Hours(1);
  ASSERT_TRUE(world_->ServeCertificate(*app, expired).ok());
  const CheckRefreshResponse suspended = CheckOk(*app, "grant-cache", *cached);
  ExpectSuspended(suspended, v1::REASON_TLS_CERT_EXPIRED);
  const int connections = app->server->accepted_connections();
  const CheckRefreshResponse still = CheckOk(*app, "grant-cache", *cached);
  EXPECT_EQ(still.verdict(), v1::VERDICT_SUSPEND);
  EXPECT_EQ(still.suspension_id(), suspended.suspension_id());
  EXPECT_EQ(app->server->accepted_connections(), connections) << "a suspended grant was probed";
}

TEST_F(DecisionE2eTest, ShadowModeAllowsButReportsTheFindings) {
  const std::string policy =
      world_->WriteFile("shadow.textproto", "enforcement: ENFORCEMENT_SHADOW\n");
  auto shadow = world_->Decision({"--policy=" + policy});
  ASSERT_TRUE(shadow.ok()) << shadow.status();
  TestApp* app = NewApp("shadow");
  ASSERT_NE(app, nullptr);
  v1::EnrollResponse enrolled;
  ASSERT_TRUE(Enroll(*shadow, *app, "grant-shadow", &enrolled).ok());
  LeafOptions self_signed = ExampleHealthOv();
  self_signed.self_signed = true;
  ASSERT_TRUE(world_->ServeCertificate(*app, self_signed).ok());
  const CheckRefreshResponse response = CheckOk(*app, "grant-shadow", *shadow);
  EXPECT_EQ(response.verdict(), v1::VERDICT_ALLOW);
  EXPECT_FALSE(response.enforced());
  EXPECT_THAT(SuspendingReasons(response), Contains(v1::REASON_TLS_CHAIN_UNTRUSTED));
  EXPECT_TRUE(response.error_uri().empty());
  // Nothing was suspended: a second look still judges afresh.
  EXPECT_FALSE(CheckOk(*app, "grant-shadow", *shadow).enforced());
}

TEST_F(DecisionE2eTest, LoopbackIsRefusedWithoutAnAllowList) {
  auto strict = world_->DecisionWithExactFlags(
      {absl::StrCat("--dns_servers=", world_->dns().server()),
       absl::StrCat("--trust_store=", world_->pki().root_pem_path()), "--cache_ttl=0s"});
  ASSERT_TRUE(strict.ok()) << strict.status();
  TestApp* app = NewApp("refused");
  ASSERT_NE(app, nullptr);
  v1::InspectRequest request;
  request.set_redirect_uri(app->redirect_uri);
  request.set_client_id(app->client_id);
  v1::InspectResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  const grpc::Status status = Stub(*strict)->Inspect(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.fingerprint().dns().address_outcome(), v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED);
  bool refused_finding = false;
  for (const v1::Finding& f : response.findings()) {
    refused_finding |= f.reason() == v1::REASON_ADDRESS_NOT_ALLOWED;
  }
  EXPECT_TRUE(refused_finding);
  EXPECT_EQ(app->server->accepted_connections(), 0);
}

TEST_F(DecisionE2eTest, ConcurrentRefreshesOfOneAppShareOneHandshake) {
  TestApp* app = NewApp("singleflight");
  ASSERT_NE(app, nullptr);
  constexpr int kGrants = 200;
  for (int i = 0; i < kGrants; ++i) EnrollOk(*app, absl::StrCat("grant-sf-", i));
  // A decision service with a cold cache and the default TTL.
  auto cold = world_->Decision({"--cache_ttl=5m"});
  ASSERT_TRUE(cold.ok()) << cold.status();
  ASSERT_TRUE(app->server->WaitForHandshakes(kGrants));
  const int before = app->server->completed_handshakes();

  auto stub = Stub(*cold);
  grpc::CompletionQueue cq;
  struct Call {
    grpc::ClientContext context;
    CheckRefreshResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<CheckRefreshResponse>> reader;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kGrants; ++i) {
    auto call = std::make_unique<Call>();
    v1::CheckRefreshRequest request;
    request.set_tenant_id("tenant-a");
    request.set_client_id(app->client_id);
    request.set_grant_id(absl::StrCat("grant-sf-", i));
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    call->reader = stub->AsyncCheckRefresh(&call->context, request, &cq);
    call->reader->Finish(&call->response, &call->status, call.get());
    calls.push_back(std::move(call));
  }
  int allowed = 0;
  for (int i = 0; i < kGrants; ++i) {
    void* tag;
    bool ok;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    auto* call = static_cast<Call*>(tag);
    ASSERT_TRUE(call->status.ok()) << call->status.error_message();
    allowed += call->response.verdict() == v1::VERDICT_ALLOW;
  }
  EXPECT_EQ(allowed, kGrants);
  app->server->WaitForHandshakes(before + 2, absl::Seconds(1));  // let stragglers show
  EXPECT_EQ(app->server->completed_handshakes() - before, 1);
}

TEST_F(DecisionE2eTest, CallerDeadlineShorterThanASilentServerEndsTheCall) {
  TestApp* app = NewApp("silent");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-silent");
  app->server->SetMode(TlsServerMode::kSilent);
  CheckRefreshResponse response;
  const absl::Time start = absl::Now();
  const grpc::Status status =
      Check(decision_, *app, "grant-silent", &response, absl::Milliseconds(700));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  // Correctness, not speed: the call ended with the caller's deadline, long
  // before the 3 s probe timeout of this service.
  EXPECT_LT(elapsed, absl::Seconds(3));
}

// Defect: a refresh with a 150 ms deadline started the probe of a slow host
// and ended it at its own deadline; the timeout was cached and served to the
// next patient, whose deadline was long, and under PROBE_FAILURE_SUSPEND that
// grant was suspended although the host is fine.
TEST_F(DecisionE2eTest, AShortCallerDeadlineDoesNotSuspendTheNextPatient) {
  const std::string policy = world_->WriteFile("suspend-on-failure-slow.textproto",
                                               "on_probe_failure: PROBE_FAILURE_SUSPEND\n");
  // Observations expire after 1 s, so the refresh below starts a new probe.
  auto decision = world_->Decision({"--policy=" + policy, "--cache_ttl=1s"});
  ASSERT_TRUE(decision.ok()) << decision.status();
  TestApp* app = NewApp("slowhost");
  ASSERT_NE(app, nullptr);
  v1::EnrollResponse enrolled;
  ASSERT_TRUE(Enroll(*decision, *app, "grant-slow-hurried", &enrolled).ok());
  ASSERT_TRUE(Enroll(*decision, *app, "grant-slow-patient", &enrolled).ok());
  absl::SleepFor(absl::Milliseconds(1100));
  // Healthy, but its handshake takes 600 ms (the probe's bound is 3 s).
  ASSERT_TRUE(app->server->SetHandshakeDelay(absl::Milliseconds(600)).ok());

  CheckRefreshResponse hurried;
  const grpc::Status gone =
      Check(*decision, *app, "grant-slow-hurried", &hurried, absl::Milliseconds(150));
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << gone.error_message();
  // The next patient's refresh, while the first probe still runs or just
  // after it finished: the slow host is healthy, so ALLOW.
  CheckRefreshResponse patient;
  const grpc::Status status =
      Check(*decision, *app, "grant-slow-patient", &patient, absl::Seconds(15));
  ASSERT_TRUE(status.ok()) << status.error_message();
  ExpectAllowed(patient);
  // And the hurried patient's own grant was not suspended either.
  ExpectAllowed(CheckOk(*app, "grant-slow-hurried", *decision));
  ASSERT_TRUE(app->server->SetHandshakeDelay(absl::ZeroDuration()).ok());
}

TEST_F(DecisionE2eTest, RedirectToAnotherDomainSuspends) {
  TestApp* app = NewApp("redirect");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-redirect");
  CheckRefreshResponse response;
  ASSERT_TRUE(Check(decision_, *app, "grant-redirect", &response, absl::Seconds(20),
                    "https://app.elsewhere.test/callback")
                  .ok());
  ExpectSuspended(response, v1::REASON_REDIRECT_DOMAIN_CHANGED);
}

// Issue 12: an app registered with an IRI (a U-label host) is enrolled and
// checked like its A-label twin. DNS and the certificate name the A-label,
// which was computed with libidn2 (idn2_lookup_u8, IDNA2008 with the UTS #46
// non-transitional mapping) outside the code under test.
TEST_F(DecisionE2eTest, InternationalisedRedirectUriIsEnrolledAndAllowedByItsALabels) {
  const std::string a_label_domain = "xn--bcher-klinik-dlb.example";
  const std::string a_label_host = "app." + a_label_domain;
  const std::string u_label_domain =
      "b\xc3\xbc"
      "cher-klinik.example";
  auto added = world_->AddAppAt("idn", a_label_host, a_label_domain, "app." + u_label_domain,
                                ExampleHealthOv({a_label_host}));
  ASSERT_TRUE(added.ok()) << added.status();
  const TestApp& app = **added;
  ASSERT_THAT(app.redirect_uri, HasSubstr("app.b\xc3\xbc"
                                          "cher-klinik.example:"));

  v1::InspectRequest inspect;
  inspect.set_redirect_uri(app.redirect_uri);
  inspect.set_client_id(app.client_id);
  v1::InspectResponse inspected;
  grpc::ClientContext inspect_context;
  inspect_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  const grpc::Status inspect_status =
      Stub(decision_)->Inspect(&inspect_context, inspect, &inspected);
  ASSERT_TRUE(inspect_status.ok()) << inspect_status.error_message();
  // The patient reads the U-labels; what is compared and stored is A-labels.
  EXPECT_EQ(inspected.identity().domain(), a_label_domain);
  EXPECT_EQ(inspected.identity().domain_unicode(), u_label_domain);
  EXPECT_EQ(inspected.fingerprint().host(), a_label_host);

  v1::EnrollResponse enrolled;
  EnrollOk(app, "grant-idn", &enrolled);
  EXPECT_EQ(enrolled.identity().domain(), a_label_domain);
  EXPECT_EQ(enrolled.identity().label(), v1::LABEL_IDENTIFIED);
  EXPECT_TRUE(enrolled.fingerprint().tls().hostname_matches());
  EXPECT_TRUE(enrolled.fingerprint().dns().client_id_txt_present());

  CheckRefreshResponse by_u_label;
  ASSERT_TRUE(
      Check(decision_, app, "grant-idn", &by_u_label, absl::Seconds(20), app.redirect_uri).ok());
  ExpectAllowed(by_u_label);
  // The same host spelled in A-labels is the same redirect domain.
  CheckRefreshResponse by_a_label;
  ASSERT_TRUE(Check(decision_, app, "grant-idn", &by_a_label, absl::Seconds(20),
                    absl::StrCat("https://", a_label_host, ":", app.server->port(), "/callback"))
                  .ok());
  ExpectAllowed(by_a_label);
}

TEST_F(DecisionE2eTest, BadRequestsNameTheField) {
  auto stub = Stub(decision_);
  struct Case {
    v1::CheckRefreshRequest request;
    std::string field;
  };
  std::vector<Case> cases(4);
  cases[0].request.set_client_id("c");
  cases[0].request.set_grant_id("g");
  cases[0].field = "tenant_id";
  cases[1].request.set_tenant_id("t");
  cases[1].request.set_client_id("c");
  cases[1].field = "grant_id";
  cases[2].request.set_tenant_id("t");
  cases[2].request.set_grant_id("g");
  cases[2].request.set_client_id(std::string(300, 'x'));
  cases[2].field = "client_id";
  cases[3].request.set_tenant_id("t");
  cases[3].request.set_grant_id("g");
  cases[3].request.set_client_id("c");
  cases[3].request.set_redirect_uri("https://user:pw@app.example.test/");
  cases[3].field = "redirect_uri";
  for (const Case& c : cases) {
    grpc::ClientContext context;
    CheckRefreshResponse response;
    const grpc::Status status = stub->CheckRefresh(&context, c.request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(status.error_message(), StartsWith(c.field + ": "));
    // Named exactly once (it used to read "redirect_uri: redirect_uri: ...").
    EXPECT_EQ(status.error_message().find(c.field, c.field.size()), std::string::npos)
        << status.error_message();
  }
  v1::EnrollRequest enroll;
  enroll.set_tenant_id("t");
  enroll.set_client_id("c");
  enroll.set_grant_id("g");
  enroll.set_redirect_uri("ftp://app.example.test/");
  grpc::ClientContext context;
  v1::EnrollResponse response;
  const grpc::Status status = stub->Enroll(&context, enroll, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("redirect_uri: "));
  EXPECT_EQ(status.error_message().find("redirect_uri", 1), std::string::npos)
      << status.error_message();
}

// Bytes that are not an EnrollRequest: gRPC parses before our code runs, and
// answered UNIMPLEMENTED (callback service) with an empty message.
TEST_F(DecisionE2eTest, UnparsableRequestBytesAreInvalidArgument) {
  const std::string garbage("\xff\xff\xff\xff\x0f garbage", 13);
  v1::EnrollRequest not_utf8;
  not_utf8.set_tenant_id("t");
  std::string not_utf8_bytes = not_utf8.SerializeAsString();
  not_utf8_bytes.back() = '\xff';  // the tenant id "t" becomes a lone 0xFF byte
  for (const std::string& bytes : {garbage, not_utf8_bytes}) {
    for (const char* method :
         {"/apptrust.v1.DecisionService/Enroll", "/apptrust.v1.DecisionService/CheckRefresh",
          "/apptrust.v1.DecisionService/Inspect"}) {
      const grpc::Status status = RawUnaryCall(decision_->channel, method, bytes);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << method << ": " << status.error_code() << " " << status.error_message();
      EXPECT_THAT(status.error_message(), StartsWith("request: ")) << method;
      EXPECT_THAT(status.error_message(), HasSubstr(method));
    }
  }
  // A message that parses reaches the service, whose own answer is kept.
  const grpc::Status empty =
      RawUnaryCall(decision_->channel, "/apptrust.v1.DecisionService/CheckRefresh", "");
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), StartsWith("tenant_id: "));
}

TEST_F(DecisionE2eTest, UnknownGrantIsNotFound) {
  TestApp* app = NewApp("unknown");
  ASSERT_NE(app, nullptr);
  CheckRefreshResponse response;
  const grpc::Status status = Check(decision_, *app, "grant-never-enrolled", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

// apptrustctl against the real services: what a person and a script see.
TEST_F(DecisionE2eTest, ApptrustctlInspectsEnrollsChecksAndReadsGrants) {
  TestApp* app = NewApp("ctl");
  ASSERT_NE(app, nullptr);
  auto run = [&](std::vector<std::string> args) -> std::pair<int, std::string> {
    std::vector<std::string> argv = {CtlBinary(), "--target=" + decision_->grpc_address,
                                     "--store=" + world_->store().grpc_address};
    argv.insert(argv.end(), args.begin(), args.end());
    auto process = Subprocess::Start(argv);
    EXPECT_TRUE(process.ok());
    if (!process.ok()) return {-1, ""};
    auto code = (*process)->Wait(absl::Seconds(30));
    EXPECT_TRUE(code.ok());
    return {code.ok() ? *code : -1, (*process)->stdout_text() + (*process)->stderr_text()};
  };
  auto [inspect_code, inspect] =
      run({"inspect", app->redirect_uri, "--client_id=" + app->client_id});
  EXPECT_EQ(inspect_code, 0) << inspect;
  EXPECT_THAT(inspect, HasSubstr("Identified"));
  EXPECT_THAT(inspect, HasSubstr("ctl.test"));
  EXPECT_THAT(inspect, HasSubstr("Example Health, Inc."));

  auto [enroll_code, enroll] =
      run({"enroll", "--tenant=tenant-a", "--client_id=" + app->client_id, "--grant=grant-ctl",
           "--redirect_uri=" + app->redirect_uri, "--application_name=Ctl App"});
  EXPECT_EQ(enroll_code, 0) << enroll;
  EXPECT_THAT(enroll, HasSubstr("Enrolled grant grant-ctl"));

  LeafOptions expired = ExampleHealthOv();
  expired.not_before = absl::Now() - absl::Hours(48);
  expired.not_after = absl::Now() - absl::Hours(2);
  ASSERT_TRUE(world_->ServeCertificate(*app, expired).ok());
  auto [check_code, check] =
      run({"check", "--tenant=tenant-a", "--client_id=" + app->client_id, "--grant=grant-ctl"});
  EXPECT_EQ(check_code, 0) << check;
  EXPECT_THAT(check, HasSubstr("Verdict: SUSPEND"));
  EXPECT_THAT(check, HasSubstr("error_uri:"));

  auto [json_code, json] =
      run({"--json", "grant", "get", "--tenant=tenant-a", "--grant=grant-ctl"});
  EXPECT_EQ(json_code, 0) << json;
  EXPECT_THAT(json, HasSubstr("\"state\": \"GRANT_STATE_SUSPENDED\""));

  auto [list_code, list] =
      run({"grant", "list", "--tenant=tenant-a", "--client_id=" + app->client_id});
  EXPECT_EQ(list_code, 0) << list;
  EXPECT_THAT(list, HasSubstr("1 grant(s)."));

  // The store's audit trail of that grant (issue 13): the enrollment, then the
  // suspension with its reason, both made by the decision service (over
  // plaintext: its address, marked unauthenticated).
  auto [audit_code, audit] = run({"audit", "--tenant=tenant-a", "--grant=grant-ctl"});
  EXPECT_EQ(audit_code, 0) << audit;
  const size_t enrolled = audit.find("ENROLLED");
  const size_t suspended = audit.find("SUSPENDED");
  ASSERT_NE(enrolled, std::string::npos) << audit;
  ASSERT_NE(suspended, std::string::npos) << audit;
  EXPECT_LT(enrolled, suspended) << audit;
  EXPECT_THAT(audit, HasSubstr("TLS_CERT_EXPIRED"));
  EXPECT_THAT(audit, HasSubstr("1->2"));
  EXPECT_THAT(audit, HasSubstr("unauthenticated peer "));
  EXPECT_THAT(audit, HasSubstr("2 entries."));
  auto [audit_json_code, audit_json] =
      run({"--json", "audit", "--tenant=tenant-a", "--grant=grant-ctl"});
  EXPECT_EQ(audit_json_code, 0) << audit_json;
  EXPECT_THAT(audit_json, HasSubstr("\"action\": \"AUDIT_ACTION_SUSPENDED\""));
  auto [audit_usage_code, audit_usage] = run({"audit"});
  EXPECT_EQ(audit_usage_code, 2) << audit_usage;
  EXPECT_THAT(audit_usage, HasSubstr("--tenant is required"));

  auto [missing_code, missing] = run({"grant", "get", "--tenant=tenant-a", "--grant=nope"});
  EXPECT_EQ(missing_code, 1) << missing;
  EXPECT_THAT(missing, HasSubstr("NOT_FOUND"));
  auto [usage_code, usage] = run({"enroll", "--tenant=tenant-a"});
  EXPECT_EQ(usage_code, 2) << usage;
  EXPECT_THAT(usage, HasSubstr("--client_id is required"));
}

// Stops its store: a suite of its own, with a world of its own (the suite
// set-up and tear-down are per suite), so no other case depends on running
// before it.
class DecisionStoreDownE2eTest : public DecisionE2eTest {};

TEST_F(DecisionStoreDownE2eTest, StoreDownIsUnavailableNeverAllowAndRecovers) {
  TestApp* app = NewApp("storedown");
  ASSERT_NE(app, nullptr);
  EnrollOk(*app, "grant-storedown");
  const std::string store_address = world_->store().grpc_address;
  world_->store().process->Signal(SIGKILL);
  ASSERT_TRUE(world_->store().process->Wait(absl::Seconds(10)).ok());

  CheckRefreshResponse response;
  const grpc::Status status = Check(decision_, *app, "grant-storedown", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("store"));

  // The store comes back on the same address and file: refreshes recover.
  auto restarted = StartStore(world_->dir() + "/var/apptrust.db", {"--listen=" + store_address});
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  world_->store() = std::move(*restarted);
  bool recovered = false;
  for (int attempt = 0; attempt < 100 && !recovered; ++attempt) {
    CheckRefreshResponse again;
    recovered = Check(decision_, *app, "grant-storedown", &again).ok() &&
                again.verdict() == v1::VERDICT_ALLOW;
    if (!recovered) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(recovered);
}

}  // namespace
}  // namespace apptrust::testing
