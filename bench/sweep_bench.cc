// apptrust-sweep-bench: one sweep pass over --hosts apps on loopback,
// measured. A real dnsmasq answers app.d<i>.test (A 127.0.0.1) and the TXT
// entry "cerner-client-id=c<i>" at d<i>.test for every app; one real TLS
// server on 127.0.0.1 serves every app (its certificate names none of them,
// so every app is judged TLS_HOSTNAME_MISMATCH, i.e. at risk: the pass
// writes and counts every app, the most expensive case). --grants grants
// (the apps in turn) are bulk-loaded into a SQLite store; then a real
// apptrust-decision with the sweep on takes the lease and sweeps once.
//
// Figures go to stdout as "figure <name> <value>": the pass duration (the
// decision's own gauge), the apps observed per second against the flag,
// the decision process's peak RSS, and the store's rows. A program that
// prints figures, not a test: nothing asserts on time.
#include <sqlite3.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_grants.h"
#include "common/time/proto_time.h"
#include "services/store/sqlite_backend.h"
#include "tests/store/metrics_scrape.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/services.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_pki.h"
#include "tests/support/tls_test_server.h"

ABSL_FLAG(int, hosts, 10000, "Apps (one host and one TXT domain each)");
ABSL_FLAG(int, grants, 100000, "ACTIVE grants, spread over the apps");
ABSL_FLAG(double, probes_per_second, 500, "--sweep_probes_per_second of the decision");
ABSL_FLAG(absl::Duration, max_wait, absl::Minutes(30), "Give up after this long");

namespace {

namespace v1 = apptrust::v1;
using apptrust::testing::Dnsmasq;
using apptrust::testing::DnsRecords;

std::string Host(int i) { return absl::StrCat("app.d", i, ".test"); }

long ProcKb(pid_t pid, const char* field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::strtol(line.c_str() + strlen(field), nullptr, 10);
  }
  return -1;
}

long long CountRows(const std::string& path, const char* table) {
  sqlite3* db = nullptr;
  long long rows = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, absl::StrCat("SELECT COUNT(*) FROM ", table).c_str(), -1, &stmt,
                           nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      rows = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return rows;
}

int Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "apptrust-sweep-bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int hosts = absl::GetFlag(FLAGS_hosts);
  const int grants = absl::GetFlag(FLAGS_grants);
  const double pps = absl::GetFlag(FLAGS_probes_per_second);
  apptrust::testing::TempDir dir;

  auto pki = apptrust::testing::TestPki::Create();
  if (!pki.ok()) return Fail("test PKI", pki.status());
  auto leaf = (*pki)->Issue(apptrust::testing::ExampleHealthOv({"not-an-app.bench.test"}));
  if (!leaf.ok()) return Fail("leaf", leaf.status());
  auto tls = apptrust::testing::TlsTestServer::Start(*leaf);
  if (!tls.ok()) return Fail("TLS server", tls.status());
  const int port = (*tls)->port();

  DnsRecords records;
  for (int i = 0; i < hosts; ++i) {
    records.AddHost(Host(i), {"127.0.0.1"});
    records.AddTxt(absl::StrCat("d", i, ".test"), {absl::StrCat("cerner-client-id=c", i)});
  }
  auto dns = Dnsmasq::Start(records);
  if (!dns.ok()) return Fail("dnsmasq", dns.status());

  // The schema first (the store's own migrations), then the grants.
  const std::string db_path = dir.File("store.db");
  {
    auto backend = apptrust::store::SqliteBackend::Open(db_path);
    if (!backend.ok()) return Fail("store schema", backend.status());
  }
  const absl::Time load_start = absl::Now();
  const absl::Status loaded =
      apptrust::bench::BulkLoadSqlite(db_path, grants, [&](int i, absl::Time now) {
        const int app = i % hosts;
        v1::Grant grant;
        grant.set_tenant_id(apptrust::bench::kBenchTenant);
        grant.set_grant_id(apptrust::bench::BenchGrantId(i));
        grant.set_client_id(absl::StrCat("c", app));
        grant.set_redirect_uri(absl::StrCat("https://", Host(app), ":", port, "/callback"));
        grant.set_persona(v1::PERSONA_PATIENT);
        grant.set_state(v1::GRANT_STATE_ACTIVE);
        grant.set_version(1);
        v1::Fingerprint& fp = *grant.mutable_fingerprint();
        fp.set_scheme("https");
        fp.set_host(Host(app));
        fp.set_port(port);
        fp.set_domain(absl::StrCat("d", app, ".test"));
        fp.mutable_dns()->set_client_id_txt_present(true);
        *grant.mutable_created_at() = apptrust::timeconv::ToProto(now);
        *grant.mutable_updated_at() = apptrust::timeconv::ToProto(now);
        return grant;
      });
  if (!loaded.ok()) return Fail("bulk load", loaded);
  std::printf("figure grants_loaded %d\nfigure load_seconds %.1f\n", grants,
              absl::ToDoubleSeconds(absl::Now() - load_start));

  auto store = apptrust::testing::StartStore(db_path);
  if (!store.ok()) return Fail("store", store.status());
  auto decision = apptrust::testing::StartDecision(
      store->grpc_address,
      {absl::StrCat("--dns_servers=", (*dns)->server()),
       absl::StrCat("--trust_store=", (*pki)->root_pem_path()), "--probe_allow_cidrs=127.0.0.0/8",
       "--probe_timeout=5s", "--cache_ttl=5m", "--sweep_interval=24h",
       absl::StrCat("--sweep_probes_per_second=", pps), "--sweep_jitter=0.2",
       "--sweep_lease_ttl=30s", "--log_level=warning"});
  if (!decision.ok()) return Fail("decision", decision.status());
  const pid_t pid = decision->process->pid();

  const absl::Time give_up = absl::Now() + absl::GetFlag(FLAGS_max_wait);
  long peak_rss_sampled = 0;
  double pass_seconds = -1;
  while (absl::Now() < give_up) {
    peak_rss_sampled = std::max(peak_rss_sampled, ProcKb(pid, "VmRSS:"));
    auto text = apptrust::testing::ScrapeMetrics(decision->metrics_address);
    if (text.ok() && apptrust::testing::SeriesValue(
                         *text, "apptrust_sweep_last_pass_completed_timestamp_seconds")
                             .value_or(0) > 0) {
      pass_seconds = apptrust::testing::SeriesValue(*text, "apptrust_sweep_pass_duration_seconds")
                         .value_or(-1);
      std::printf("figure apps_at_risk %.0f\n",
                  apptrust::testing::SeriesValue(
                      *text, "apptrust_sweep_apps_at_risk{reason=\"tls-hostname-mismatch\"}")
                      .value_or(-1));
      std::printf("figure grants_at_risk %.0f\n",
                  apptrust::testing::SeriesValue(
                      *text, "apptrust_sweep_grants_at_risk{reason=\"tls-hostname-mismatch\"}")
                      .value_or(-1));
      std::printf(
          "figure apps_observed %.0f\n",
          apptrust::testing::SeriesValue(*text, "apptrust_sweep_probes_total").value_or(-1));
      break;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  if (pass_seconds < 0) return Fail("sweep", absl::DeadlineExceededError("no pass completed"));
  std::printf("figure hosts %d\n", hosts);
  std::printf("figure pass_seconds %.1f\n", pass_seconds);
  std::printf("figure probes_per_second_flag %.0f\n", pps);
  std::printf("figure probes_per_second_achieved %.1f\n", hosts / pass_seconds);
  std::printf("figure decision_peak_rss_kb %ld\n", ProcKb(pid, "VmHWM:"));
  std::printf("figure decision_rss_sampled_max_kb %ld\n", peak_rss_sampled);
  std::printf("figure store_sweep_result_rows %lld\n", CountRows(db_path, "sweep_results"));
  std::printf("figure store_lease_rows %lld\n", CountRows(db_path, "leases"));
  std::printf("figure store_rss_kb %ld\n", ProcKb(store->process->pid(), "VmHWM:"));
  // Where the store's share of the pass went.
  if (auto text = apptrust::testing::ScrapeMetrics(store->metrics_address); text.ok()) {
    for (const char* method : {"ListActiveApps", "PutSweepResults", "AcquireLease"}) {
      const std::string labels = absl::StrCat("{method=\"", method, "\"}");
      const double sum = apptrust::testing::SeriesValue(
                             *text, absl::StrCat("apptrust_store_rpc_duration_seconds_sum", labels))
                             .value_or(-1);
      const double count =
          apptrust::testing::SeriesValue(
              *text, absl::StrCat("apptrust_store_rpc_duration_seconds_count", labels))
              .value_or(-1);
      std::printf("figure store_%s_calls %.0f\nfigure store_%s_seconds_total %.2f\n", method, count,
                  method, sum);
    }
  }
  return 0;
}
