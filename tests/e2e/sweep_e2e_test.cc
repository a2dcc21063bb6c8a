// The sweep end to end: real store (SQLite or PostgreSQL), two real decision
// replicas with the sweep on, real TLS servers and dnsmasq. Four apps are
// enrolled (a certificate expiring in 3 days, one that then expires, one
// whose TXT entry is then removed, a healthy one); after one pass the
// report (apptrustctl report, the real binary) lists exactly the first three
// with the right reasons and patient counts, the lease holder's gauges say
// the same, no grant was suspended, and when the holder is SIGKILLed the
// other replica takes the lease over and sweeps.
#include <signal.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "openssl/hmac.h"
#include "tests/e2e/e2e_world.h"
#include "tests/store/metrics_scrape.h"
#include "tests/support/subprocess.h"
#include "tests/support/webhook_receiver.h"

namespace apptrust::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTenant[] = "tenant-a";
constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-sweep-test";

// "v1=" and the lower-case hex HMAC-SHA256 of "<timestamp>.<body>", computed
// here with OpenSSL rather than with the sender's own code.
std::string ExpectedSignature(const std::string& timestamp, const std::string& body) {
  const std::string message = timestamp + "." + body;
  unsigned char mac[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kSecret, static_cast<int>(strlen(kSecret)),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return "v1=" +
         absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), length));
}

double Gauge(const RunningService& service, const std::string& series) {
  auto text = ScrapeMetrics(service.metrics_address);
  if (!text.ok()) return -1;
  return SeriesValue(*text, series).value_or(-1);
}

// Polls `condition` every 100 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return condition();
}

// The flags of a sweeping replica. Replicas with the same flags would be
// one process (E2eWorld starts one per flag set), so each gets its own
// --sweep_jitter.
std::vector<std::string> SweepFlags(const std::string& policy, const std::string& jitter) {
  return {"--sweep_interval=1h",  "--sweep_probes_per_second=50",
          "--sweep_lease_ttl=2s", "--sweep_jitter=" + jitter,
          "--policy=" + policy,   "--webhook_initial_backoff=1s"};
}

std::pair<int, std::string> RunCtl(E2eWorld& world, std::vector<std::string> args) {
  std::vector<std::string> argv = {CtlBinary(), "--store=" + world.store().grpc_address};
  argv.insert(argv.end(), args.begin(), args.end());
  auto process = Subprocess::Start(argv);
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return {-1, ""};
  auto code = (*process)->Wait(absl::Seconds(30));
  EXPECT_TRUE(code.ok()) << code.status();
  return {code.ok() ? *code : -1, (*process)->stdout_text()};
}

v1::ListSweepResultsResponse Report(E2eWorld& world) {
  auto [code, json] = RunCtl(world, {"report", "--json", std::string("--tenant=") + kTenant});
  EXPECT_EQ(code, 0) << json;
  v1::ListSweepResultsResponse report;
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &report);
  EXPECT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << json;
  return report;
}

class SweepE2eTest : public ::testing::TestWithParam<StoreSetup> {};

TEST_P(SweepE2eTest, OnePassReportsTheAppsAtRiskAndASecondReplicaTakesOverFromADeadOne) {
  auto created = E2eWorld::Create(GetParam());
  ASSERT_TRUE(created.ok()) << created.status();
  E2eWorld& world = **created;

  LeafOptions soon_leaf = ExampleHealthOv();
  soon_leaf.not_after = absl::Now() + absl::Hours(72);
  auto soon = world.AddApp("soon", soon_leaf);
  auto expired = world.AddApp("expired", ExampleHealthOv());
  auto txtgone = world.AddApp("txtgone", ExampleHealthOv());
  auto healthy = world.AddApp("healthy", ExampleHealthOv());
  ASSERT_TRUE(soon.ok() && expired.ok() && txtgone.ok() && healthy.ok());

  // Patients approve the apps (through a replica that does not sweep).
  auto enroller = world.Decision();
  ASSERT_TRUE(enroller.ok()) << enroller.status();
  auto stub = v1::DecisionService::NewStub((*enroller)->channel);
  const std::map<TestApp*, int> patients = {
      {*soon, 2}, {*expired, 3}, {*txtgone, 1}, {*healthy, 2}};
  std::vector<std::string> grant_ids;
  for (const auto& [app, count] : patients) {
    for (int i = 0; i < count; ++i) {
      v1::EnrollRequest request;
      request.set_tenant_id(kTenant);
      request.set_client_id(app->client_id);
      request.set_grant_id(absl::StrCat("grant-", app->name, "-", i));
      request.set_redirect_uri(app->redirect_uri);
      request.set_application_name("Sweep App");
      request.set_persona(v1::PERSONA_PATIENT);
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
      v1::EnrollResponse response;
      const grpc::Status status = stub->Enroll(&context, request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      grant_ids.push_back(request.grant_id());
    }
  }

  // Then the world changes: one certificate expires, one TXT entry goes.
  LeafOptions expired_leaf = ExampleHealthOv();
  expired_leaf.not_before = absl::Now() - absl::Hours(24 * 100);
  expired_leaf.not_after = absl::Now() - absl::Hours(24);
  ASSERT_TRUE(world.ServeCertificate(**expired, expired_leaf).ok());
  auto& txt = world.records().txt;
  txt.erase(std::remove_if(txt.begin(), txt.end(),
                           [&](const DnsRecords::Txt& t) { return t.name == (*txtgone)->domain; }),
            txt.end());
  ASSERT_TRUE(world.PublishDns().ok());

  // The tenant's developers listen on a loopback HTTPS receiver; it answers
  // the first delivery 500 (retried), the rest 204.
  LeafOptions hook_leaf;
  hook_leaf.dns_names = {"hooks.sweep.test"};
  hook_leaf.ip_addresses = {"127.0.0.1"};
  auto hook_cert = world.pki().Issue(hook_leaf);
  ASSERT_TRUE(hook_cert.ok()) << hook_cert.status();
  auto receiver = WebhookReceiver::Start(*hook_cert);
  ASSERT_TRUE(receiver.ok()) << receiver.status();
  (*receiver)->AnswerNext(1, ReceiverAnswer::Status(500));
  const std::string secret_file = world.WriteFile("hook.secret", kSecret);
  const std::string policy =
      world.WriteFile("policy.textproto", absl::StrCat("tenants { key: \"", kTenant,
                                                       "\" value { webhooks { id: "
                                                       "\"developers\" url: \"",
                                                       (*receiver)->Url(), "\" secret_file: \"",
                                                       secret_file, "\" } } }\n"));

  // Two sweeping replicas: exactly one holds the lease and sweeps.
  auto first = world.Decision(SweepFlags(policy, "0.2"));
  auto second = world.Decision(SweepFlags(policy, "0.1"));
  ASSERT_TRUE(first.ok() && second.ok());
  RunningService* replicas[] = {*first, *second};
  int holder = -1;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (int i = 0; i < 2; ++i) {
          if (Gauge(*replicas[i], "apptrust_sweep_last_pass_completed_timestamp_seconds") > 0) {
            holder = i;
            return true;
          }
        }
        return false;
      },
      absl::Seconds(60)));
  RunningService& sweeper = *replicas[holder];
  RunningService& standby = *replicas[1 - holder];
  EXPECT_EQ(Gauge(sweeper, "apptrust_sweep_lease_held"), 1);
  EXPECT_EQ(Gauge(standby, "apptrust_sweep_lease_held"), 0);
  EXPECT_EQ(Gauge(standby, "apptrust_sweep_last_pass_completed_timestamp_seconds"), 0);

  // The report lists exactly the three apps at risk.
  const v1::ListSweepResultsResponse report = Report(world);
  std::map<std::string, v1::SweepResult> by_client;
  for (const v1::SweepResult& r : report.results()) by_client[r.client_id()] = r;
  ASSERT_EQ(report.results_size(), 3) << report.DebugString();
  ASSERT_EQ(by_client.size(), 3u);
  const v1::SweepResult& r_soon = by_client[(*soon)->client_id];
  EXPECT_EQ(r_soon.status(), v1::SWEEP_STATUS_WILL_SUSPEND_SOON);
  EXPECT_EQ(r_soon.reason(), v1::REASON_CERT_EXPIRING_SOON);
  EXPECT_EQ(r_soon.active_grants(), 2);
  EXPECT_EQ(r_soon.host(), (*soon)->host);
  const v1::SweepResult& r_expired = by_client[(*expired)->client_id];
  EXPECT_EQ(r_expired.status(), v1::SWEEP_STATUS_WOULD_SUSPEND);
  EXPECT_EQ(r_expired.reason(), v1::REASON_TLS_CERT_EXPIRED);
  EXPECT_EQ(r_expired.active_grants(), 3);
  const v1::SweepResult& r_txt = by_client[(*txtgone)->client_id];
  EXPECT_EQ(r_txt.status(), v1::SWEEP_STATUS_WOULD_SUSPEND);
  EXPECT_EQ(r_txt.reason(), v1::REASON_DNS_TXT_MISSING);
  EXPECT_EQ(r_txt.active_grants(), 1);
  const std::string first_holder = r_soon.swept_by();
  EXPECT_FALSE(first_holder.empty());

  // The healthy app was swept too (--all), and is not at risk.
  auto [all_code, all_csv] =
      RunCtl(world, {"report", "--all", "--csv", std::string("--tenant=") + kTenant});
  EXPECT_EQ(all_code, 0);
  const std::vector<std::string> lines = absl::StrSplit(all_csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u) << all_csv;
  EXPECT_THAT(lines[0], HasSubstr("tenant_id,client_id,host,status,reason,active_grants"));
  EXPECT_THAT(all_csv, HasSubstr(absl::StrCat(kTenant, ",", (*healthy)->client_id)));
  auto [table_code, table] = RunCtl(world, {"report"});
  EXPECT_EQ(table_code, 0);
  EXPECT_THAT(table, HasSubstr("3 apps, 6 active grants."));

  // The lease holder's gauges agree with the report.
  const std::string apps = "apptrust_sweep_apps_at_risk{reason=\"";
  const std::string grants = "apptrust_sweep_grants_at_risk{reason=\"";
  EXPECT_EQ(Gauge(sweeper, apps + "tls-cert-expired\"}"), 1);
  EXPECT_EQ(Gauge(sweeper, grants + "tls-cert-expired\"}"), 3);
  EXPECT_EQ(Gauge(sweeper, apps + "dns-txt-missing\"}"), 1);
  EXPECT_EQ(Gauge(sweeper, grants + "dns-txt-missing\"}"), 1);
  EXPECT_EQ(Gauge(sweeper, apps + "cert-expiring-soon\"}"), 1);
  EXPECT_EQ(Gauge(sweeper, grants + "cert-expiring-soon\"}"), 2);

  // The sweep suspended nobody: every grant is ACTIVE at its first version
  // and the audit trail holds enrollments only.
  auto store = v1::FingerprintStore::NewStub(world.store().channel);
  for (const std::string& grant_id : grant_ids) {
    grpc::ClientContext context;
    v1::GetGrantRequest request;
    request.set_tenant_id(kTenant);
    request.set_grant_id(grant_id);
    v1::Grant grant;
    ASSERT_TRUE(store->GetGrant(&context, request, &grant).ok());
    EXPECT_EQ(grant.state(), v1::GRANT_STATE_ACTIVE) << grant_id;
    EXPECT_EQ(grant.version(), 1) << grant_id;
  }
  {
    grpc::ClientContext context;
    v1::ListAuditEntriesRequest request;
    request.set_tenant_id(kTenant);
    request.set_page_size(1000);
    v1::ListAuditEntriesResponse audit;
    ASSERT_TRUE(store->ListAuditEntries(&context, request, &audit).ok());
    EXPECT_EQ(audit.entries_size(), static_cast<int>(grant_ids.size()));
    for (const v1::AuditEntry& entry : audit.entries()) {
      EXPECT_EQ(entry.action(), v1::AUDIT_ACTION_ENROLLED);
    }
  }

  // One signed delivery per app at risk, and one retry of the delivery the
  // receiver answered 500: four requests, three event ids.
  ASSERT_TRUE((*receiver)->WaitForRequests(4, absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(500));  // a fifth would be a duplicate
  const std::vector<ReceivedRequest> hooks = (*receiver)->Requests();
  ASSERT_EQ(hooks.size(), 4u);
  EXPECT_EQ(hooks[0].answered_status, 500);
  std::map<std::string, std::string> event_of_client;
  std::map<std::string, int> deliveries_of_event;
  for (const ReceivedRequest& hook : hooks) {
    EXPECT_EQ(hook.method, "POST");
    const std::string timestamp = hook.headers.at("apptrust-timestamp");
    EXPECT_EQ(hook.headers.at("apptrust-signature"), ExpectedSignature(timestamp, hook.body));
    EXPECT_LE(std::abs(std::stoll(timestamp) - absl::ToUnixSeconds(absl::Now())), 300);
    const std::string event_id = hook.headers.at("apptrust-event-id");
    ++deliveries_of_event[event_id];
    EXPECT_THAT(hook.body, HasSubstr(absl::StrCat("\"event_id\":\"", event_id, "\"")));
    EXPECT_THAT(hook.body, Not(HasSubstr("grant-")));  // no patient's grant id
    for (TestApp* app : {*soon, *expired, *txtgone, *healthy}) {
      if (absl::StrContains(hook.body, absl::StrCat("\"client_id\":\"", app->client_id, "\""))) {
        event_of_client[app->client_id] = event_id;
      }
    }
  }
  EXPECT_EQ(deliveries_of_event.size(), 3u);
  EXPECT_EQ(deliveries_of_event[hooks[0].headers.at("apptrust-event-id")], 2);
  EXPECT_EQ(event_of_client.size(), 3u);
  EXPECT_FALSE(event_of_client.contains((*healthy)->client_id));
  EXPECT_THAT(hooks.back().body, HasSubstr("\"type\":\"apptrust.app_at_risk\""));

  // The holder dies without a word: the standby takes the lease once it
  // expires (2 s) and sweeps; the report is then its work.
  sweeper.process->Signal(SIGKILL);
  ASSERT_TRUE(WaitFor(
      [&] {
        return Gauge(standby, "apptrust_sweep_lease_held") == 1 &&
               Gauge(standby, "apptrust_sweep_last_pass_completed_timestamp_seconds") > 0;
      },
      absl::Seconds(30)));
  const v1::ListSweepResultsResponse after = Report(world);
  ASSERT_EQ(after.results_size(), 3);
  for (const v1::SweepResult& r : after.results()) {
    EXPECT_NE(r.swept_by(), first_holder);
    EXPECT_FALSE(r.swept_by().empty());
  }
  EXPECT_EQ(Gauge(standby, grants + "tls-cert-expired\"}"), 3);
  // The new pass tells the developers again, under new event ids.
  ASSERT_TRUE((*receiver)->WaitForRequests(7, absl::Seconds(30)));
  const std::vector<ReceivedRequest> later = (*receiver)->Requests();
  for (size_t i = 4; i < later.size(); ++i) {
    EXPECT_FALSE(deliveries_of_event.contains(later[i].headers.at("apptrust-event-id")));
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, SweepE2eTest,
                         ::testing::Values(StoreSetup::kSqlite, StoreSetup::kPostgres),
                         StoreSetupName);

}  // namespace
}  // namespace apptrust::testing
