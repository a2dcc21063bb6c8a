// Unit tests of the sweep's logic: the classification table, and the
// sweeper's lease discipline over a fake store (the real store and real
// probes are exercised by tests/e2e/sweep_e2e_test.cc).
#include "services/decision/sweeper.h"

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/cache/observation_cache.h"
#include "common/config/effective_policy.h"
#include "common/policy/testing/example_app.h"
#include "common/probe/testing/fake_prober.h"
#include "common/time/proto_time.h"
#include "gtest/gtest.h"
#include "services/decision/sweep_classifier.h"
#include "services/decision/webhook_sweep_notifier.h"

namespace apptrust::decision {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

v1::Fingerprint Baseline(absl::Time now) {
  v1::Fingerprint fp;
  fp.set_scheme("https");
  fp.set_host("app.example.com");
  fp.set_port(443);
  fp.set_domain("example.com");
  *fp.mutable_tls() = testing::ExampleHealthOvTls(now);
  v1::DnsFingerprint& dns = *fp.mutable_dns();
  dns.set_address_outcome(v1::PROBE_OUTCOME_OK);
  dns.add_addresses("127.0.0.1");
  dns.set_txt_outcome(v1::PROBE_OUTCOME_OK);
  dns.set_client_id_txt_present(true);
  dns.add_txt_values("cerner-client-id=app-1");
  *fp.mutable_captured_at() = timeconv::ToProto(now - absl::Hours(24));
  return fp;
}

v1::ActiveApp App(const std::string& tenant, const std::string& client, int grants) {
  v1::ActiveApp app;
  app.set_tenant_id(tenant);
  app.set_client_id(client);
  app.set_active_grants(grants);
  v1::Grant& grant = *app.mutable_representative();
  grant.set_tenant_id(tenant);
  grant.set_grant_id(client + "-g1");
  grant.set_client_id(client);
  grant.set_redirect_uri("https://app.example.com/callback");
  grant.set_persona(v1::PERSONA_PATIENT);
  *grant.mutable_fingerprint() = Baseline(kNow);
  return app;
}

TEST(ClassifyAppTest, SortsWhatARefreshWouldDoIntoTheDevelopersView) {
  const config::EffectivePolicy policy;  // defaults: expiring_soon 14 days
  struct Case {
    const char* name;
    std::function<void(v1::Fingerprint&)> change;
    v1::SweepStatus status;
    v1::Reason reason;
  };
  const std::vector<Case> cases = {
      {"unchanged", [](v1::Fingerprint&) {}, v1::SWEEP_STATUS_HEALTHY, v1::REASON_UNSPECIFIED},
      {"expires in 3 days",
       [](v1::Fingerprint& fp) {
         *fp.mutable_tls()->mutable_not_after() = timeconv::ToProto(kNow + absl::Hours(72));
       },
       v1::SWEEP_STATUS_WILL_SUSPEND_SOON, v1::REASON_CERT_EXPIRING_SOON},
      {"expired",
       [](v1::Fingerprint& fp) {
         *fp.mutable_tls()->mutable_not_after() = timeconv::ToProto(kNow - absl::Hours(1));
       },
       v1::SWEEP_STATUS_WOULD_SUSPEND, v1::REASON_TLS_CERT_EXPIRED},
      {"TXT removed",
       [](v1::Fingerprint& fp) {
         fp.mutable_dns()->set_client_id_txt_present(false);
         fp.mutable_dns()->clear_txt_values();
       },
       v1::SWEEP_STATUS_WOULD_SUSPEND, v1::REASON_DNS_TXT_MISSING},
      {"revoked",
       [](v1::Fingerprint& fp) { fp.mutable_tls()->set_revocation(v1::REVOCATION_REVOKED); },
       v1::SWEEP_STATUS_WOULD_SUSPEND, v1::REASON_TLS_CERT_REVOKED},
  };
  for (const Case& c : cases) {
    v1::Fingerprint observed = Baseline(kNow);
    *observed.mutable_captured_at() = timeconv::ToProto(kNow);
    c.change(observed);
    const v1::SweepResult result = ClassifyApp(App("t", "app-1", 7), observed, kNow, policy);
    EXPECT_EQ(result.status(), c.status) << c.name;
    EXPECT_EQ(result.reason(), c.reason) << c.name;
    EXPECT_EQ(result.active_grants(), 7) << c.name;
    EXPECT_EQ(result.host(), "app.example.com") << c.name;
    EXPECT_EQ(result.representative_grant_id(), "app-1-g1") << c.name;
  }
}

TEST(SweepEventBodyTest, CarriesTheResultAndEventIdButNoPatientGrantOrReplicaName) {
  v1::SweepResult result = ClassifyApp(App("t", "app-1", 7), Baseline(kNow),
                                       kNow + absl::Hours(24 * 400), config::EffectivePolicy());
  result.set_swept_by("decision-7:1234:abcd");
  const std::string body = SweepEventBody(result, "sweep-1-ff");
  EXPECT_NE(body.find(R"("type":"apptrust.app_at_risk")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("event_id":"sweep-1-ff")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("client_id":"app-1")"), std::string::npos) << body;
  EXPECT_NE(body.find("REASON_TLS_CERT_EXPIRED"), std::string::npos) << body;
  EXPECT_EQ(body.find("app-1-g1"), std::string::npos) << body;
  EXPECT_EQ(body.find("decision-7"), std::string::npos) << body;
}

// A store with one lease and a list of apps, recording what was written.
class FakeSweepStore : public SweepStore {
 public:
  std::vector<v1::ActiveApp> apps;
  bool grant_lease = true;
  // PutSweepResults answers FAILED_PRECONDITION (the lease was taken over).
  bool lease_taken_over = false;
  std::vector<v1::PutSweepResultsRequest> writes;

  absl::StatusOr<v1::AcquireLeaseResponse> AcquireLease(const v1::AcquireLeaseRequest& request,
                                                        absl::Duration) override {
    v1::AcquireLeaseResponse response;
    response.set_granted(grant_lease);
    response.set_holder(grant_lease ? request.holder() : "someone-else");
    response.set_epoch(3);
    return response;
  }
  absl::StatusOr<v1::ListActiveAppsResponse> ListActiveApps(
      const v1::ListActiveAppsRequest& request, absl::Duration) override {
    ++lists;
    v1::ListActiveAppsResponse response;
    // Pages of one, to exercise paging.
    const size_t index = request.page_token().empty() ? 0 : std::stoul(request.page_token());
    if (index < apps.size()) *response.add_apps() = apps[index];
    if (index + 1 < apps.size()) response.set_next_page_token(std::to_string(index + 1));
    return response;
  }
  absl::StatusOr<v1::PutSweepResultsResponse> PutSweepResults(
      const v1::PutSweepResultsRequest& request, absl::Duration) override {
    if (lease_taken_over) return absl::FailedPreconditionError("lease not held");
    writes.push_back(request);
    return v1::PutSweepResultsResponse();
  }
  int lists = 0;
};

class RecordingNotifier : public SweepNotifier {
 public:
  void Notify(const v1::SweepResult& result, const std::string& event_id) override {
    absl::MutexLock lock(&mu);
    notified.emplace_back(result.client_id(), event_id);
  }
  absl::Mutex mu;
  std::vector<std::pair<std::string, std::string>> notified;
};

class SweeperTest : public ::testing::Test {
 protected:
  SweeperTest() : cache_(prober_) {
    // Every probe answers at once: the app as enrolled, except that its
    // certificate expired an hour ago (so every app swept is at risk).
    probe::EndpointObservation endpoint;
    endpoint.address_outcome = v1::PROBE_OUTCOME_OK;
    endpoint.addresses = {"127.0.0.1"};
    endpoint.tls = testing::ExampleHealthOvTls(absl::Now());
    *endpoint.tls.mutable_not_after() = timeconv::ToProto(absl::Now() - absl::Hours(1));
    endpoint.observed_at = absl::Now();
    prober_.AnswerEndpointsWith(endpoint);
    probe::TxtObservation txt;
    txt.outcome = v1::PROBE_OUTCOME_OK;
    txt.entries = {"cerner-client-id=app-1", "cerner-client-id=app-2"};
    txt.observed_at = absl::Now();
    prober_.AnswerTxtWith(txt);
    store_.apps = {App("t", "app-1", 2), App("t", "app-2", 5)};
  }

  Sweeper MakeSweeper() {
    SweeperOptions options;
    options.holder = "me";
    options.probes_per_second = 1000;
    return Sweeper(options, store_, cache_, nullptr, &notifier_);
  }

  testing::FakeProber prober_;
  cache::ObservationCache cache_;
  FakeSweepStore store_;
  RecordingNotifier notifier_;
};

TEST_F(SweeperTest, WithoutTheLeaseNothingIsSweptOrWritten) {
  store_.grant_lease = false;
  Sweeper sweeper = MakeSweeper();
  ASSERT_TRUE(sweeper.RunOnce().ok());
  EXPECT_EQ(store_.lists, 0);
  EXPECT_TRUE(store_.writes.empty());
  EXPECT_EQ(prober_.endpoint_calls(), 0);
  EXPECT_TRUE(notifier_.notified.empty());
}

TEST_F(SweeperTest, APassWritesEveryPageUnderTheLeaseAndNotifiesEachAppAtRiskOnce) {
  Sweeper sweeper = MakeSweeper();
  ASSERT_TRUE(sweeper.RunOnce().ok());
  EXPECT_EQ(sweeper.passes_completed(), 1);
  ASSERT_EQ(store_.writes.size(), 2u);
  EXPECT_FALSE(store_.writes[0].pass_complete());
  EXPECT_TRUE(store_.writes[1].pass_complete());
  for (const auto& write : store_.writes) {
    EXPECT_EQ(write.holder(), "me");
    EXPECT_EQ(write.epoch(), 3);
    EXPECT_EQ(write.pass_started_at().seconds(), store_.writes[0].pass_started_at().seconds());
    ASSERT_EQ(write.results_size(), 1);
    EXPECT_EQ(write.results(0).status(), v1::SWEEP_STATUS_WOULD_SUSPEND);
    EXPECT_EQ(write.results(0).reason(), v1::REASON_TLS_CERT_EXPIRED);
  }
  EXPECT_EQ(store_.writes[1].results(0).active_grants(), 5);
  ASSERT_EQ(notifier_.notified.size(), 2u);
  EXPECT_EQ(notifier_.notified[0].first, "app-1");
  EXPECT_EQ(notifier_.notified[1].first, "app-2");
  EXPECT_NE(notifier_.notified[0].second, notifier_.notified[1].second);

  // The next pass: new event ids (a new pass), the same apps.
  absl::SleepFor(absl::Milliseconds(2));
  ASSERT_TRUE(sweeper.RunOnce().ok());
  ASSERT_EQ(notifier_.notified.size(), 4u);
  EXPECT_EQ(notifier_.notified[2].first, "app-1");
  EXPECT_NE(notifier_.notified[2].second, notifier_.notified[0].second);
}

TEST_F(SweeperTest, ALeaseTakenOverStopsThePassWithoutNotifying) {
  store_.lease_taken_over = true;
  Sweeper sweeper = MakeSweeper();
  const absl::Status status = sweeper.RunOnce();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sweeper.passes_completed(), 0);
  EXPECT_EQ(store_.lists, 1);  // no second page after the refused write
  EXPECT_TRUE(notifier_.notified.empty());
}

}  // namespace
}  // namespace apptrust::decision
