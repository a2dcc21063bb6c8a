// A real Prometheus (Debian's package) on loopback scrapes the real
// apptrust-store and apptrust-decision every second, with the alert rules of
// deploy/prometheus loaded; the test drives enrollments and refreshes,
// including one that suspends, and reads the expected series back through
// Prometheus's HTTP API. Every metric of common/metrics/metric_names.h must
// then have a series: what the dashboard and the alerts query is really
// exported.
//
// Skips only when the prometheus binary is missing (scripts/bootstrap
// installs it).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "common/metrics/metric_names.h"
#include "gtest/gtest.h"
#include "tests/operability/prometheus_fixture.h"
#include "tests/support/services.h"

namespace apptrust::testing {
namespace {

std::string Describe(const std::vector<Sample>& samples) {
  std::vector<std::string> lines;
  for (const auto& sample : samples) {
    std::vector<std::string> labels;
    for (const auto& [name, value] : sample.labels) labels.push_back(name + "=" + value);
    lines.push_back(absl::StrCat("{", absl::StrJoin(labels, ","), "} ", sample.value));
  }
  return lines.empty() ? "(no series)" : absl::StrJoin(lines, "\n");
}

bool HasSeries(const std::vector<Sample>& samples) { return !samples.empty(); }

// The sum over all returned series is at least `minimum`.
auto SumAtLeast(double minimum) {
  return [minimum](const std::vector<Sample>& samples) {
    double sum = 0;
    for (const auto& sample : samples) sum += sample.value;
    return !samples.empty() && sum >= minimum;
  };
}

double Sum(const std::vector<Sample>& samples) {
  double sum = 0;
  for (const auto& sample : samples) sum += sample.value;
  return sum;
}

class PrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prometheus_binary_ = FindPrometheusBinary();
    if (prometheus_binary_.empty()) {
      GTEST_SKIP() << "prometheus is not installed (package prometheus; scripts/bootstrap)";
    }
    auto store = StartStore(dir_.File("apptrust.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Starts apptrust-decision against the store, trusting `trust_store`.
  void StartDecisionService(const std::string& trust_store) {
    auto decision = StartDecision(
        store_.grpc_address, {"--probe_allow_cidrs=127.0.0.0/8", "--trust_store=" + trust_store,
                              "--cache_ttl=0s", "--probe_timeout=5s"});
    ASSERT_TRUE(decision.ok()) << decision.status();
    decision_ = std::move(*decision);
    ASSERT_TRUE(WaitServing(decision_.channel, absl::Seconds(20)))
        << "apptrust-decision never reported SERVING (is the store reachable?)";
  }

  void StartPrometheus() {
    std::vector<PrometheusServer::Job> jobs = {{"apptrust-store", {store_.metrics_address}}};
    if (decision_.process) jobs.push_back({"apptrust-decision", {decision_.metrics_address}});
    auto prometheus = PrometheusServer::Start(
        prometheus_binary_, dir_.path(), jobs,
        {std::string(APPTRUST_SOURCE_DIR) + "/deploy/prometheus/apptrust.rules.yml"});
    ASSERT_TRUE(prometheus.ok()) << prometheus.status();
    prometheus_ = std::move(*prometheus);
  }

  static grpc::ClientContext* WithDeadline(grpc::ClientContext* context) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return context;
  }

  TempDir dir_;
  std::string prometheus_binary_;
  RunningService store_;
  RunningService decision_;
  std::unique_ptr<PrometheusServer> prometheus_;
};

TEST_F(PrometheusTest, ScrapesBothServicesWithTheAlertRulesLoaded) {
  StartDecisionService("/etc/ssl/certs/ca-certificates.crt");
  StartPrometheus();

  auto up = prometheus_->QueryUntil(R"(up{job=~"apptrust-decision|apptrust-store"} == 1)",
                                    [](const auto& s) { return s.size() == 2; });
  EXPECT_EQ(up.size(), 2u) << Describe(up);

  auto build_info =
      prometheus_->QueryUntil("apptrust_build_info", [](const auto& s) { return s.size() == 2; });
  ASSERT_EQ(build_info.size(), 2u) << Describe(build_info);
  std::vector<std::string> services;
  for (const auto& sample : build_info) {
    services.push_back(sample.labels.at("service"));
    EXPECT_EQ(sample.value, 1);
    EXPECT_FALSE(sample.labels.at("version").empty());
  }
  std::sort(services.begin(), services.end());
  EXPECT_EQ(services, (std::vector<std::string>{"apptrust-decision", "apptrust-store"}));

  auto grants = prometheus_->QueryUntil(metrics::kGrants, HasSeries);
  EXPECT_FALSE(grants.empty()) << "the store exports no apptrust_grants";

  // The rule files loaded and every rule evaluates without error.
  auto rules = prometheus_->Rules();
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_NE(rules->find("ApptrustSuspensionRateSpike"), std::string::npos) << *rules;
  EXPECT_EQ(rules->find(R"("health":"err")"), std::string::npos) << *rules;
}

TEST_F(PrometheusTest, EnrollmentsRefreshesAndASuspensionArriveInPrometheus) {
  // An app on a loopback TLS server with a certificate from the CA the
  // decision service trusts; swapping in one from another CA makes the chain
  // untrusted: a suspension.
  for (const auto& [ca, leaf] :
       {std::pair<std::string, std::string>{"trusted-ca", "app"}, {"other-ca", "app-other-ca"}}) {
    auto status = MakeTestCa(dir_.path(), ca);
    ASSERT_TRUE(status.ok()) << status;
    status = IssueLoopbackCert(dir_.path(), ca, leaf);
    ASSERT_TRUE(status.ok()) << status;
  }
  auto app = LoopbackTlsServer::Start(dir_.File("app.crt"), dir_.File("app.key"));
  ASSERT_TRUE(app.ok()) << app.status();
  StartDecisionService(dir_.File("trusted-ca.crt"));
  StartPrometheus();

  auto stub = apptrust::v1::DecisionService::NewStub(decision_.channel);
  const std::string redirect_uri = absl::StrCat("https://127.0.0.1:", (*app)->port(), "/callback");

  apptrust::v1::EnrollRequest enroll;
  enroll.set_tenant_id("tenant-ops");
  enroll.set_client_id("client-ops");
  enroll.set_grant_id("grant-ops-1");
  enroll.set_redirect_uri(redirect_uri);
  enroll.set_application_name("Operability Test App");
  enroll.set_persona(apptrust::v1::PERSONA_PATIENT);
  apptrust::v1::EnrollResponse enrolled;
  {
    grpc::ClientContext context;
    const grpc::Status status = stub->Enroll(WithDeadline(&context), enroll, &enrolled);
    ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  }

  apptrust::v1::CheckRefreshRequest refresh;
  refresh.set_tenant_id("tenant-ops");
  refresh.set_client_id("client-ops");
  refresh.set_grant_id("grant-ops-1");
  refresh.set_persona(apptrust::v1::PERSONA_PATIENT);
  {
    grpc::ClientContext context;
    apptrust::v1::CheckRefreshResponse response;
    const grpc::Status status = stub->CheckRefresh(WithDeadline(&context), refresh, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.verdict(), apptrust::v1::VERDICT_ALLOW) << response.DebugString();
  }
  {
    // An unknown grant: NOT_FOUND from the store, counted as a store-client
    // error and a decision error.
    apptrust::v1::CheckRefreshRequest unknown = refresh;
    unknown.set_grant_id("grant-ops-unknown");
    grpc::ClientContext context;
    apptrust::v1::CheckRefreshResponse response;
    EXPECT_EQ(stub->CheckRefresh(WithDeadline(&context), unknown, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    apptrust::v1::InspectRequest inspect;
    inspect.set_redirect_uri(redirect_uri);
    inspect.set_client_id("client-ops");
    grpc::ClientContext context;
    apptrust::v1::InspectResponse response;
    const grpc::Status status = stub->Inspect(WithDeadline(&context), inspect, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  ASSERT_TRUE(
      (*app)->SetCertificate(dir_.File("app-other-ca.crt"), dir_.File("app-other-ca.key")).ok());
  {
    grpc::ClientContext context;
    apptrust::v1::CheckRefreshResponse response;
    const grpc::Status status = stub->CheckRefresh(WithDeadline(&context), refresh, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.verdict(), apptrust::v1::VERDICT_SUSPEND) << response.DebugString();
  }

  // What the dashboard's panels and the alerts read.
  auto suspended = prometheus_->QueryUntil(
      R"(apptrust_decisions_total{rpc="CheckRefresh",verdict="suspend",reason="tls-chain-untrusted"})",
      SumAtLeast(1));
  EXPECT_EQ(Sum(suspended), 1) << Describe(suspended);
  auto allowed = prometheus_->QueryUntil(
      R"(apptrust_decisions_total{rpc="CheckRefresh",verdict="allow"})", SumAtLeast(1));
  EXPECT_GE(Sum(allowed), 1) << Describe(allowed);
  auto enrollments =
      prometheus_->QueryUntil(R"(apptrust_enrollments_total{label="unknown_app"})", SumAtLeast(1));
  EXPECT_EQ(Sum(enrollments), 1) << Describe(enrollments);
  auto suspensions = prometheus_->QueryUntil(
      R"(apptrust_suspensions_total{reason="tls-chain-untrusted"})", SumAtLeast(1));
  EXPECT_EQ(Sum(suspensions), 1) << Describe(suspensions);
  auto grants_suspended =
      prometheus_->QueryUntil(R"(apptrust_grants{state="suspended"})", SumAtLeast(1));
  EXPECT_EQ(Sum(grants_suspended), 1) << Describe(grants_suspended);
  auto latency = prometheus_->QueryUntil(
      R"(apptrust_decision_duration_seconds_count{rpc="CheckRefresh"})", SumAtLeast(3));
  EXPECT_GE(Sum(latency), 3) << Describe(latency);
  // Every endpoint probe completed a handshake (trusted or not): outcome ok.
  auto probes = prometheus_->QueryUntil(R"(apptrust_probe_duration_seconds_count{kind="endpoint"})",
                                        SumAtLeast(3));
  ASSERT_FALSE(probes.empty());
  for (const auto& sample : probes) {
    EXPECT_EQ(sample.labels.at("outcome"), "ok") << Describe(probes);
  }
  auto store_suspend = prometheus_->QueryUntil(
      R"(apptrust_store_rpcs_total{method="SuspendGrant",code="OK"})", SumAtLeast(1));
  EXPECT_GE(Sum(store_suspend), 1) << Describe(store_suspend);
  auto not_found = prometheus_->QueryUntil(
      R"(apptrust_store_client_errors_total{method="GetGrant",code="NOT_FOUND"})", SumAtLeast(1));
  EXPECT_GE(Sum(not_found), 1) << Describe(not_found);

  // Every metric of the one list now has a series in Prometheus, except
  // those only a sweeping replica has: the webhook families (the sender is
  // started with the sweep when a tenant has webhooks; tests/webhook checks
  // them) and the at-risk gauges (a series per reason once a pass found an
  // app at risk; tests/e2e/sweep_e2e_test checks them). This decision
  // service does not sweep. Nor did its change stream from the store end
  // (a series per status code once one does; decision_metrics_test checks it).
  const std::set<std::string> not_yet_exported = {
      metrics::kWebhookDeliveriesTotal, metrics::kWebhookQueueDepth,
      metrics::kWebhookDeliverySeconds, metrics::kSweepAppsAtRisk,
      metrics::kSweepGrantsAtRisk,      metrics::kGrantWatchStreamEndsTotal};
  for (const auto& metric : metrics::kAllMetrics) {
    if (not_yet_exported.count(metric.name)) continue;
    const std::string series = metric.type == metrics::MetricType::kHistogram
                                   ? absl::StrCat(metric.name, "_count")
                                   : std::string(metric.name);
    auto samples = prometheus_->QueryUntil(series, HasSeries, absl::Seconds(10));
    EXPECT_FALSE(samples.empty()) << metric.name << " (" << metric.service
                                  << ") has no series in Prometheus";
    // ... with the labels the list documents.
    for (absl::string_view label : absl::StrSplit(metric.labels, ',', absl::SkipEmpty())) {
      for (const auto& sample : samples) {
        EXPECT_TRUE(sample.labels.contains(std::string(label)))
            << metric.name << " lacks the label " << label << ": " << Describe({sample});
      }
    }
  }
}

}  // namespace
}  // namespace apptrust::testing
