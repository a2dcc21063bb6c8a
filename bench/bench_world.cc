// apptrust-bench-world: sets up the world bench/run measures and takes the
// measurements that need to be inside it. In one process: a test PKI, one
// real TLS server (wildcard certificate *.bench.test) on loopback, a real
// dnsmasq serving every bench name, and the real apptrust-store and
// apptrust-decision binaries. It then
//   - enrolls one hot grant and --many_grants grants on distinct hosts;
//   - (4) sends --cold_calls concurrent CheckRefresh for the hot grant to a
//     second, freshly started decision service (cold cache) and counts the
//     TLS handshakes the server completed meanwhile;
//   - (2) probes --probe_hosts distinct host names through the ProbeEngine;
//   - (3) looks up TXT --txt_lookups times through the ProbeEngine;
//   - (6) has the decision service Inspect --rss_hosts distinct hosts and
//     reads its VmRSS before and after;
// then starts a second decision replica with --grant_watch_max_lag=0s on the same
// store (its observation cache is warmed by the load generator's warm-up).
// With --postgres it also runs a second store on a throw-away PostgreSQL 15
// (tests/support/postgres_cluster.h: production durability, the `postgres`
// user when run as root) with a decision service of its own on it, enrolled
// with the same grants, so CheckRefresh can be measured on both backends side
// by side. --figures=false skips (2), (3), (4) and (6) (just the services).
// Finally it prints each figure as "figure <name> <value>", writes
// KEY=VALUE lines to --out (addresses and grant files for apptrust-loadgen,
// openssl s_time and dnsperf), and serves until SIGTERM or SIGINT.
//
// A program that prints figures, not a test: nothing asserts on time.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "bench/world_process.h"
#include "common/net/address_policy.h"
#include "common/probe/probe_engine.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/services.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_pki.h"
#include "tests/support/tls_test_server.h"

ABSL_FLAG(std::string, out, "", "File to write KEY=VALUE lines to once the world is ready");
ABSL_FLAG(int, many_grants, 200, "Grants enrolled on distinct hosts (the 'many apps' key set)");
ABSL_FLAG(int, cold_calls, 1000, "Concurrent CheckRefresh for one grant, cold cache");
ABSL_FLAG(int, probe_hosts, 2000, "Distinct host names probed through the ProbeEngine");
ABSL_FLAG(int, txt_lookups, 20000, "TXT lookups through the ProbeEngine");
ABSL_FLAG(int, txt_domains, 100, "Distinct TXT domains the lookups cycle over");
ABSL_FLAG(int, probe_concurrency, 64, "Probes in flight for the ProbeEngine figures");
ABSL_FLAG(int, rss_hosts, 10000, "Distinct hosts the decision service inspects (and caches)");
ABSL_FLAG(bool, postgres, false,
          "Also a store on PostgreSQL with a decision service of its own (DECISION_PG)");
ABSL_FLAG(bool, figures, true, "Take the in-process figures (2), (3), (4) and (6)");

namespace {

using namespace apptrust::testing;  // NOLINT: fixtures only
namespace v1 = apptrust::v1;
namespace probe = apptrust::probe;

constexpr char kTenant[] = "bench";
constexpr char kTxtKey[] = "cerner-client-id";

[[noreturn]] void Fail(const absl::Status& status) {
  apptrust::bench::ExitWithError("apptrust-bench-world", status);
}

std::string ManyHost(int i) { return absl::StrCat("m", i, ".bench.test"); }
std::string ProbeHost(int i) { return absl::StrCat("p", i, ".bench.test"); }
std::string RssHost(int i) { return absl::StrCat("r", i, ".bench.test"); }
std::string TxtDomain(int i) { return absl::StrCat("txt", i, ".test"); }

long VmRssKb(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return -1;
}

// Runs `count` unary calls with at most `in_flight` outstanding. `start(i,
// context, cq, tag)` begins call i; returns how many finished OK.
template <typename Response, typename StartFn>
int RunAsync(int count, int in_flight, StartFn start) {
  struct Slot {
    std::unique_ptr<grpc::ClientContext> context;
    Response response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;
  };
  grpc::CompletionQueue cq;
  std::vector<Slot> slots(static_cast<size_t>(std::min(count, in_flight)));
  int next = 0, ok_count = 0, outstanding = 0;
  auto launch = [&](Slot& slot) {
    slot.context = std::make_unique<grpc::ClientContext>();
    slot.context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    slot.reader = start(next++, slot.context.get(), &cq);
    slot.reader->StartCall();
    slot.reader->Finish(&slot.response, &slot.status, &slot);
    ++outstanding;
  };
  for (auto& slot : slots) {
    launch(slot);
  }
  void* tag = nullptr;
  bool ok = false;
  int errors_shown = 0;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    --outstanding;
    Slot& slot = *static_cast<Slot*>(tag);
    if (slot.status.ok()) {
      ++ok_count;
    } else if (errors_shown++ < 3) {
      std::fprintf(stderr, "apptrust-bench-world: call failed: %s\n",
                   slot.status.error_message().c_str());
    }
    if (next < count) {
      launch(slot);
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return ok_count;
}

// Runs `count` probes through `start(i, done)` with at most `in_flight`
// outstanding; returns the elapsed time. `done(ok)` may be called on any thread.
template <typename StartFn>
absl::Duration RunProbes(int count, int in_flight, std::atomic<int>& ok_count, StartFn start) {
  absl::Mutex mutex;
  int launched = 0, finished = 0;
  const absl::Time began = absl::Now();
  std::function<void(bool)> done;
  done = [&](bool ok) {
    if (ok) {
      ok_count.fetch_add(1);
    }
    int mine = -1;
    {
      absl::MutexLock lock(&mutex);
      ++finished;
      if (launched < count) {
        mine = launched++;
      }
    }
    if (mine >= 0) {
      start(mine, done);
    }
  };
  std::vector<int> first;
  {
    absl::MutexLock lock(&mutex);
    while (launched < std::min(count, in_flight)) {
      first.push_back(launched++);
    }
  }
  for (int i : first) {
    start(i, done);
  }
  struct AllDone {
    const int* finished;
    int count;
    bool Done() const { return *finished >= count; }
  } all_done{&finished, count};
  absl::MutexLock lock(&mutex);
  mutex.Await(absl::Condition(&all_done, &AllDone::Done));
  return absl::Now() - began;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  apptrust::bench::StopSignals stop_signals;  // before any thread starts

  const int many = absl::GetFlag(FLAGS_many_grants);
  const int probe_hosts = absl::GetFlag(FLAGS_probe_hosts);
  const int rss_hosts = absl::GetFlag(FLAGS_rss_hosts);
  const int txt_domains = std::max(1, absl::GetFlag(FLAGS_txt_domains));
  const int concurrency = absl::GetFlag(FLAGS_probe_concurrency);

  TempDir dir;
  auto pki = TestPki::Create();
  if (!pki.ok()) {
    Fail(pki.status());
  }
  LeafOptions leaf = ExampleHealthOv({"*.bench.test", "app.hot.test"});
  auto cert = (*pki)->Issue(leaf);
  if (!cert.ok()) {
    Fail(cert.status());
  }
  auto server = TlsTestServer::Start(*cert);
  if (!server.ok()) {
    Fail(server.status());
  }
  const int port = (*server)->port();

  DnsRecords records;
  records.AddHost("app.hot.test", {"127.0.0.1"});
  records.AddTxt("hot.test", {absl::StrCat(kTxtKey, "=client-hot")});
  records.AddTxt("bench.test", {absl::StrCat(kTxtKey, "=client-many")});
  for (int i = 0; i < many; ++i) {
    records.AddHost(ManyHost(i), {"127.0.0.1"});
  }
  for (int i = 0; i < probe_hosts; ++i) {
    records.AddHost(ProbeHost(i), {"127.0.0.1"});
  }
  for (int i = 0; i < txt_domains; ++i) {
    records.AddTxt(TxtDomain(i), {absl::StrCat(kTxtKey, "=client-txt", i)});
  }
  // The RSS hosts are served only during that phase: dnsmasq answers far
  // slower with 100,000 host records, which would distort the DNS figures.
  DnsRecords with_rss_hosts = records;
  for (int i = 0; i < rss_hosts; ++i) {
    with_rss_hosts.AddHost(RssHost(i), {"127.0.0.1"});
  }
  auto dns = Dnsmasq::Start(records);
  if (!dns.ok()) {
    Fail(dns.status());
  }

  probe::ProbeEngineOptions options;
  options.dns_servers = {(*dns)->server()};
  options.trust_store_path = (*pki)->root_pem_path();
  auto cidrs = apptrust::net::ParseCidrList("127.0.0.0/8,::1/128");
  if (!cidrs.ok()) {
    Fail(cidrs.status());
  }
  options.allow_cidrs = *cidrs;
  auto engine = probe::ProbeEngine::Create(options);
  if (!engine.ok()) {
    Fail(engine.status());
  }
  // dnsmasq reads its records after it starts listening: wait until it answers.
  auto wait_dns = [&] {
    const absl::Time give_up = absl::Now() + absl::Seconds(300);
    while (absl::Now() < give_up) {
      absl::Notification answered;
      bool ok = false;
      (*engine)->ObserveTxt("hot.test", kTxtKey, absl::Now() + absl::Seconds(2),
                            [&](const probe::TxtObservation& seen) {
                              ok = seen.outcome == v1::PROBE_OUTCOME_OK;
                              answered.Notify();
                            });
      answered.WaitForNotification();
      if (ok) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    Fail(absl::UnavailableError("dnsmasq does not answer"));
  };
  wait_dns();

  auto store = StartStore(dir.File("apptrust.db"), {"--log_level=warning"});
  if (!store.ok()) {
    Fail(store.status());
  }
  if (!WaitServing(store->channel)) {
    Fail(absl::UnavailableError("store not serving"));
  }
  const std::vector<std::string> decision_flags = {
      absl::StrCat("--dns_servers=", (*dns)->server()),
      absl::StrCat("--trust_store=", (*pki)->root_pem_path()),
      "--probe_allow_cidrs=127.0.0.0/8,::1/128",
      "--cache_ttl=1h",
      absl::StrCat("--cache_max_entries=", rss_hosts + many + 1000),
      "--probe_timeout=10s",
      "--log_level=warning",
  };
  auto decision = StartDecision(store->grpc_address, decision_flags);
  if (!decision.ok()) {
    Fail(decision.status());
  }
  if (!WaitServing(decision->channel)) {
    Fail(absl::UnavailableError("decision not serving"));
  }
  auto stub = v1::DecisionService::NewStub(decision->channel);

  // With --postgres: the same store and decision service on PostgreSQL.
  std::unique_ptr<PostgresCluster> postgres;
  RunningService pg_store, pg_decision;
  std::unique_ptr<v1::DecisionService::Stub> pg_stub;
  if (absl::GetFlag(FLAGS_postgres)) {
    auto cluster = PostgresCluster::StartPrimary();  // fsync, synchronous_commit: on
    if (!cluster.ok()) {
      Fail(cluster.status());
    }
    postgres = std::move(*cluster);
    const std::string password_file = dir.File("db-password");
    std::ofstream(password_file) << postgres->password() << "\n";
    auto started_store =
        StartStore(postgres->uri(), {"--db_password_file=" + password_file, "--log_level=warning"});
    if (!started_store.ok()) {
      Fail(started_store.status());
    }
    pg_store = std::move(*started_store);
    if (!WaitServing(pg_store.channel)) {
      Fail(absl::UnavailableError("store (PostgreSQL) not serving"));
    }
    auto started_decision = StartDecision(pg_store.grpc_address, decision_flags);
    if (!started_decision.ok()) {
      Fail(started_decision.status());
    }
    pg_decision = std::move(*started_decision);
    if (!WaitServing(pg_decision.channel)) {
      Fail(absl::UnavailableError("decision (PostgreSQL store) not serving"));
    }
    pg_stub = v1::DecisionService::NewStub(pg_decision.channel);
  }

  // Enroll: the hot grant, then the many (each a probe and a durable write).
  auto enroll_request = [&](const std::string& client, const std::string& grant,
                            const std::string& host) {
    v1::EnrollRequest request;
    request.set_tenant_id(kTenant);
    request.set_client_id(client);
    request.set_grant_id(grant);
    request.set_redirect_uri(absl::StrCat("https://", host, ":", port, "/callback"));
    request.set_application_name("Bench");
    request.set_persona(v1::PERSONA_PATIENT);
    return request;
  };
  std::ofstream hot_file(dir.File("grants_hot.txt"));
  hot_file << kTenant << " client-hot grant-hot\n";
  hot_file.close();
  // Enrolls the hot grant and the many through `decision_stub`; prints the
  // figures with `suffix`.
  auto enroll_all = [&](v1::DecisionService::Stub& decision_stub, const std::string& suffix) {
    int enrolled = RunAsync<v1::EnrollResponse>(
        1, 1, [&](int, grpc::ClientContext* context, grpc::CompletionQueue* cq) {
          return decision_stub.PrepareAsyncEnroll(
              context, enroll_request("client-hot", "grant-hot", "app.hot.test"), cq);
        });
    const absl::Time many_began = absl::Now();
    enrolled += RunAsync<v1::EnrollResponse>(
        many, 16, [&](int i, grpc::ClientContext* context, grpc::CompletionQueue* cq) {
          return decision_stub.PrepareAsyncEnroll(
              context, enroll_request("client-many", absl::StrCat("grant-m", i), ManyHost(i)), cq);
        });
    apptrust::bench::PrintFigure("enroll_many_seconds" + suffix,
                                 absl::StrCat(absl::ToDoubleSeconds(absl::Now() - many_began)));
    apptrust::bench::PrintFigure("enrolled_ok" + suffix, absl::StrCat(enrolled, "/", many + 1));
  };
  enroll_all(*stub, "");
  if (pg_stub != nullptr) {
    enroll_all(*pg_stub, "_postgres");
  }
  std::ofstream many_file(dir.File("grants_many.txt"));
  for (int i = 0; i < many; ++i) {
    many_file << kTenant << " client-many grant-m" << i << "\n";
  }
  many_file.close();

  const bool figures = absl::GetFlag(FLAGS_figures);
  // (4) Cold cache, many concurrent refreshes of one app: one handshake.
  if (figures) {
    auto cold = StartDecision(store->grpc_address, decision_flags);
    if (!cold.ok()) {
      Fail(cold.status());
    }
    if (!WaitServing(cold->channel)) {
      Fail(absl::UnavailableError("cold decision not serving"));
    }
    auto cold_stub = v1::DecisionService::NewStub(cold->channel);
    const int calls = absl::GetFlag(FLAGS_cold_calls);
    // Open the HTTP/2 connection first so the calls leave together.
    cold->channel->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    const int before = (*server)->completed_handshakes();
    const int accepted_before = (*server)->accepted_connections();
    const int ok = RunAsync<v1::CheckRefreshResponse>(
        calls, calls, [&](int, grpc::ClientContext* context, grpc::CompletionQueue* cq) {
          v1::CheckRefreshRequest request;
          request.set_tenant_id(kTenant);
          request.set_client_id("client-hot");
          request.set_grant_id("grant-hot");
          request.set_persona(v1::PERSONA_PATIENT);
          return cold_stub->PrepareAsyncCheckRefresh(context, request, cq);
        });
    absl::SleepFor(absl::Milliseconds(500));  // the server side finishes a moment later
    apptrust::bench::PrintFigure("cold_calls_ok", absl::StrCat(ok, "/", calls));
    apptrust::bench::PrintFigure("cold_tls_handshakes",
                                 absl::StrCat((*server)->completed_handshakes() - before));
    apptrust::bench::PrintFigure("cold_tcp_connections",
                                 absl::StrCat((*server)->accepted_connections() - accepted_before));
  }

  // (2) and (3): the probe engine alone, in this process.
  if (figures) {
    const int handshakes_before = (*server)->completed_handshakes();
    std::atomic<int> probes_ok{0};
    const absl::Duration probe_time =
        RunProbes(probe_hosts, concurrency, probes_ok, [&](int i, std::function<void(bool)>& done) {
          apptrust::net::Target target;
          target.scheme = "https";
          target.host = ProbeHost(i);
          target.port = static_cast<uint16_t>(port);
          target.domain = "bench.test";
          (*engine)->ObserveEndpoint(target, absl::Now() + absl::Seconds(30),
                                     [&done](const probe::EndpointObservation& seen) {
                                       done(seen.tls.outcome() == v1::PROBE_OUTCOME_OK);
                                     });
        });
    absl::SleepFor(absl::Milliseconds(300));
    apptrust::bench::PrintFigure("engine_probes",
                                 absl::StrCat(probes_ok.load(), "/", probe_hosts, " ok"));
    apptrust::bench::PrintFigure(
        "engine_probe_handshakes",
        absl::StrCat((*server)->completed_handshakes() - handshakes_before));
    apptrust::bench::PrintFigure("engine_probe_seconds",
                                 absl::StrCat(absl::ToDoubleSeconds(probe_time)));
    apptrust::bench::PrintFigure("engine_probes_per_second",
                                 absl::StrCat(probe_hosts / absl::ToDoubleSeconds(probe_time)));

    const int lookups = absl::GetFlag(FLAGS_txt_lookups);
    std::atomic<int> txt_ok{0};
    const absl::Duration txt_time =
        RunProbes(lookups, concurrency, txt_ok, [&](int i, std::function<void(bool)>& done) {
          (*engine)->ObserveTxt(
              TxtDomain(i % txt_domains), kTxtKey, absl::Now() + absl::Seconds(30),
              [&done](const probe::TxtObservation& seen) {
                done(seen.outcome == v1::PROBE_OUTCOME_OK && seen.entries.size() == 1);
              });
        });
    apptrust::bench::PrintFigure("engine_txt", absl::StrCat(txt_ok.load(), "/", lookups, " ok"));
    apptrust::bench::PrintFigure("engine_txt_seconds",
                                 absl::StrCat(absl::ToDoubleSeconds(txt_time)));
    apptrust::bench::PrintFigure("engine_txt_per_second",
                                 absl::StrCat(lookups / absl::ToDoubleSeconds(txt_time)));
  }
  std::ofstream queries(dir.File("dnsperf_queries.txt"));
  for (int i = 0; i < txt_domains; ++i) {
    queries << TxtDomain(i) << " TXT\n";
  }
  queries.close();

  // (6) RSS of the decision service with many cached hosts.
  if (figures) {
    const absl::Time load_began = absl::Now();
    if (absl::Status s = (*dns)->Restart(with_rss_hosts); !s.ok()) {
      Fail(s);
    }
    wait_dns();
    apptrust::bench::PrintFigure("rss_dnsmasq_load_seconds",
                                 absl::StrCat(absl::ToDoubleSeconds(absl::Now() - load_began)));
    const long before_kb = VmRssKb(decision->process->pid());
    const absl::Time began = absl::Now();
    // The fixture TLS server keeps a thread per connection until it is
    // destroyed, so each batch of hosts gets a fresh server (and port).
    constexpr int kBatch = 5000;
    int ok = 0;
    for (int first = 0; first < rss_hosts; first += kBatch) {
      auto batch_server = TlsTestServer::Start(*cert);
      if (!batch_server.ok()) {
        Fail(batch_server.status());
      }
      const int batch_port = (*batch_server)->port();
      ok += RunAsync<v1::InspectResponse>(
          std::min(kBatch, rss_hosts - first), concurrency,
          [&](int i, grpc::ClientContext* context, grpc::CompletionQueue* cq) {
            v1::InspectRequest request;
            request.set_redirect_uri(
                absl::StrCat("https://", RssHost(first + i), ":", batch_port, "/callback"));
            request.set_client_id("client-many");
            request.set_application_name("Bench");
            return stub->PrepareAsyncInspect(context, request, cq);
          });
    }
    apptrust::bench::PrintFigure("rss_inspect_ok", absl::StrCat(ok, "/", rss_hosts));
    apptrust::bench::PrintFigure("rss_inspect_seconds",
                                 absl::StrCat(absl::ToDoubleSeconds(absl::Now() - began)));
    apptrust::bench::PrintFigure("decision_rss_kb_before", absl::StrCat(before_kb));
    apptrust::bench::PrintFigure("decision_rss_kb_after",
                                 absl::StrCat(VmRssKb(decision->process->pid())));
    if (absl::Status s = (*dns)->Restart(records); !s.ok()) {
      Fail(s);
    }
    wait_dns();
  }

  // A second replica on the same store with the grant cache off (every
  // refresh reads the store, batched), so (1) measures the default (the
  // coherent grant cache) against the store read on the warm path.
  std::vector<std::string> reads_store_flags = decision_flags;
  reads_store_flags.push_back("--grant_watch_max_lag=0s");
  auto reads_store_decision = StartDecision(store->grpc_address, reads_store_flags);
  if (!reads_store_decision.ok()) {
    Fail(reads_store_decision.status());
  }
  if (!WaitServing(reads_store_decision->channel)) {
    Fail(absl::UnavailableError("decision (grant cache off) not serving"));
  }

  std::ostringstream out;
  out << "DECISION=" << decision->grpc_address << "\n"
      << "DECISION_PID=" << decision->process->pid() << "\n"
      << "DECISION_READS_STORE=" << reads_store_decision->grpc_address << "\n"
      << "STORE=" << store->grpc_address << "\n"
      << "DNS=" << (*dns)->server() << "\n"
      << "DNS_PORT=" << (*dns)->port() << "\n"
      << "TLS_PORT=" << port << "\n"
      << "GRANTS_HOT=" << dir.File("grants_hot.txt") << "\n"
      << "GRANTS_MANY=" << dir.File("grants_many.txt") << "\n"
      << "DNSPERF_QUERIES=" << dir.File("dnsperf_queries.txt") << "\n"
      << "TRUST_STORE=" << (*pki)->root_pem_path() << "\n";
  if (pg_stub != nullptr) {
    out << "DECISION_PG=" << pg_decision.grpc_address << "\n"
        << "DECISION_PG_PID=" << pg_decision.process->pid() << "\n"
        << "STORE_PG=" << pg_store.grpc_address << "\n";
  }
  apptrust::bench::WriteReadyFile(absl::GetFlag(FLAGS_out), out.str());
  std::printf("apptrust-bench-world: ready\n");
  std::fflush(stdout);
  stop_signals.Wait();
  return 0;
}
