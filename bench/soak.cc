// apptrust-soak: mixed load over a long run, with the store restarted twice
// and one decision replica killed and restarted, sampling what leaks would
// show (RSS, open descriptors, threads) and every error by code. bench/soak
// drives it and plots the samples; BENCHMARKS.md records a run.
//
// The world, all on loopback: a test PKI; --apps TLS servers, one per app,
// whose certificates the soak swaps for one naming another organization
// (the patient's approval then no longer holds: the grants must be
// suspended); a dnsmasq serving every app's name and TXT record; the real
// apptrust-store and two apptrust-decision replicas on it.
//
// The load, each loop bounded in rate: refreshes of random grants on either
// replica; new enrollments; every --swap_interval one app's certificate
// swapped, and --reapprove_after later all its grants approved again
// (Enroll); the explanation page behind suspended grants' error_uri; the
// /metrics of every service.
//
// The soak keeps a model of what each grant must be, and counts against it:
// a refresh answered SUSPEND for a grant approved after its app's last swap
// (more than --cache_ttl after it: an Enroll may use a cached observation of
// the old certificate until then) (wrongly suspended); ALLOW for a grant whose app swapped more
// than
// --cache_ttl + 10 s before the refresh began and that was not approved
// again (missed); at the end, every grant it enrolled read back from the
// store (lost when missing, wrongly suspended when SUSPENDED without cause).
// Errors are expected only in the windows around a restart (from the stop
// to 10 s after the service answers again) and ABORTED always (the contract:
// the grant changed while the refresh was decided; the gateway retries).
//
// Writes --out/samples.csv (one row per --sample_interval), events.txt and
// summary.txt. A program that prints figures, not a test.
#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/http_client.h"
#include "tests/support/services.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_pki.h"
#include "tests/support/tls_test_server.h"

ABSL_FLAG(absl::Duration, duration, absl::Minutes(30), "Length of the load");
ABSL_FLAG(absl::Duration, sample_interval, absl::Seconds(10), "Time between samples");
ABSL_FLAG(int, apps, 8, "Apps, each with its own TLS server and certificate");
ABSL_FLAG(int, grants_per_app, 25, "Grants enrolled per app before the load starts");
ABSL_FLAG(absl::Duration, refresh_pause, absl::Milliseconds(20),
          "Pause between two refreshes of one refresh loop (two loops run)");
ABSL_FLAG(absl::Duration, enroll_pause, absl::Seconds(2), "Pause between two new enrollments");
ABSL_FLAG(absl::Duration, swap_interval, absl::Seconds(90), "Time between certificate swaps");
ABSL_FLAG(absl::Duration, reapprove_after, absl::Seconds(30),
          "Time from a swap to the re-approval of the app's grants");
ABSL_FLAG(absl::Duration, cache_ttl, absl::Seconds(10), "The decision replicas' --cache_ttl");
ABSL_FLAG(std::string, out, "soak-results", "Directory for samples.csv, events.txt, summary.txt");

namespace {

using namespace apptrust::testing;  // NOLINT: fixtures only
namespace v1 = apptrust::v1;

constexpr char kTenant[] = "soak";
constexpr char kTxtKey[] = "cerner-client-id";
constexpr absl::Duration kRecoveryGrace = absl::Seconds(10);

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "apptrust-soak: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> value, const std::string& what) {
  if (!value.ok()) Fail(absl::StrCat(what, ": ", value.status().ToString()));
  return *std::move(value);
}

std::string AppHost(int app) { return absl::StrCat("app", app, ".soak.test"); }
std::string AppDomain() { return "soak.test"; }
std::string AppClient(int app) { return absl::StrCat("client-", app); }

// What /proc says about one process.
struct ProcessSample {
  long rss_kb = -1;
  int fds = -1;
  int threads = -1;
};

ProcessSample SampleProcess(pid_t pid) {
  ProcessSample sample;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) sample.rss_kb = std::strtol(line.c_str() + 6, nullptr, 10);
    if (line.rfind("Threads:", 0) == 0) {
      sample.threads = static_cast<int>(std::strtol(line.c_str() + 8, nullptr, 10));
    }
  }
  std::error_code error;
  int fds = 0;
  for (auto it = std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++fds;
  }
  if (!error) sample.fds = fds;
  return sample;
}

// One grant as the soak expects it to be.
struct GrantModel {
  int app = 0;
  std::string grant_id;
  // When the last successful Enroll of this grant began and ended.
  absl::Time enroll_began = absl::InfinitePast();
  absl::Time enrolled_at = absl::InfinitePast();
};

// True when the grant was approved on its app's current certificate for
// sure: an Enroll may use an observation up to --cache_ttl old, so one that
// began less than that after a swap may have recorded the old identity (and
// the next refresh then rightly suspends).
bool ApprovedCurrent(const GrantModel& grant, absl::Time swapped_at) {
  return swapped_at + absl::GetFlag(FLAGS_cache_ttl) + absl::Seconds(2) < grant.enroll_began;
}

// The gateway's call at a refresh of `grant`.
grpc::Status CheckRefresh(v1::DecisionService::Stub& stub, const GrantModel& grant,
                          v1::CheckRefreshResponse* response) {
  v1::CheckRefreshRequest request;
  request.set_tenant_id(kTenant);
  request.set_client_id(AppClient(grant.app));
  request.set_grant_id(grant.grant_id);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return stub.CheckRefresh(&context, request, response);
}

// A service process the soak may restart; `stub` users hold `mutex`.
struct Replica {
  std::string name;
  absl::Mutex mutex;
  RunningService service ABSL_GUARDED_BY(mutex);
  std::string web_address ABSL_GUARDED_BY(mutex);
};

class Soak {
 public:
  Soak(std::string out) : out_(std::move(out)) {}

  void Run();

 private:
  // Errors and the windows in which they are expected.
  void RecordCall(const std::string& what, const std::string& replica, grpc::StatusCode code,
                  absl::Time began);
  bool InWindow(const std::string& replica, absl::Time at) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Event(const std::string& text);

  void StartWorld();
  void EnrollGrant(int app, const std::string& grant_id, int replica);
  void RefreshLoop(int seed);
  void EnrollLoop();
  void SwapLoop();
  void PageAndMetricsLoop();
  void SampleLoop();
  void RestartStore();
  void KillAndRestartDecision(int replica);
  void FinalCheck();

  std::shared_ptr<grpc::Channel> Channel(int replica, std::string* web = nullptr) {
    Replica& r = *decisions_[replica];
    absl::MutexLock lock(&r.mutex);
    if (web != nullptr) *web = r.web_address;
    return r.service.channel;
  }

  std::vector<std::string> DecisionFlags() const;

  const std::string out_;
  absl::Time start_;
  std::atomic<bool> stop_{false};

  TempDir dir_;
  std::unique_ptr<TestPki> pki_;
  std::vector<std::unique_ptr<TlsTestServer>> servers_;
  std::unique_ptr<Dnsmasq> dns_;
  std::string store_listen_, store_metrics_listen_;
  Replica store_;
  std::vector<std::unique_ptr<Replica>> decisions_;

  absl::Mutex mutex_;
  std::vector<GrantModel> grants_ ABSL_GUARDED_BY(mutex_);
  // Per app: when its certificate last changed (InfinitePast: never), and
  // its current organization generation.
  std::vector<absl::Time> swapped_at_ ABSL_GUARDED_BY(mutex_);
  std::vector<int> generation_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> error_uris_ ABSL_GUARDED_BY(mutex_);
  // Per replica name ("store", "decision-0", ...): [from, to) windows.
  std::map<std::string, std::vector<std::pair<absl::Time, absl::Time>>> windows_
      ABSL_GUARDED_BY(mutex_);
  // Counts since the last sample, and in total.
  std::map<std::string, int64_t> interval_errors_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, int64_t> total_errors_ ABSL_GUARDED_BY(mutex_);
  int64_t interval_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t interval_unexpected_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t total_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t total_unexpected_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t wrongly_suspended_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t missed_suspensions_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t suspensions_seen_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t page_views_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t scrapes_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t enrollments_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::string> unexpected_examples_ ABSL_GUARDED_BY(mutex_);
  std::ofstream events_;
};

void Soak::Event(const std::string& text) {
  const std::string line =
      absl::StrFormat("%8.1f %s", absl::ToDoubleSeconds(absl::Now() - start_), text);
  absl::MutexLock lock(&mutex_);
  events_ << line << "\n";
  events_.flush();
  std::fprintf(stderr, "apptrust-soak: %s\n", line.c_str());
}

bool Soak::InWindow(const std::string& replica, absl::Time at) {
  for (const auto& name : {replica, std::string("store")}) {
    for (const auto& [from, to] : windows_[name]) {
      if (at >= from && at < to) return true;
    }
  }
  return false;
}

void Soak::RecordCall(const std::string& what, const std::string& replica, grpc::StatusCode code,
                      absl::Time began) {
  absl::MutexLock lock(&mutex_);
  ++interval_calls_;
  ++total_calls_;
  if (code == grpc::StatusCode::OK) return;
  const std::string key = absl::StrCat("grpc_", static_cast<int>(code));
  ++interval_errors_[key];
  ++total_errors_[key];
  const bool expected = code == grpc::StatusCode::ABORTED || InWindow(replica, began) ||
                        InWindow(replica, absl::Now());
  if (!expected) {
    ++interval_unexpected_;
    ++total_unexpected_;
    if (unexpected_examples_.size() < 20) {
      unexpected_examples_.push_back(absl::StrCat(absl::FormatDuration(began - start_), " ", what,
                                                  " on ", replica, ": code ",
                                                  static_cast<int>(code)));
    }
  }
}

std::vector<std::string> Soak::DecisionFlags() const {
  return {
      absl::StrCat("--dns_servers=", dns_->server()),
      absl::StrCat("--trust_store=", pki_->root_pem_path()),
      "--probe_allow_cidrs=127.0.0.0/8,::1/128",
      absl::StrCat("--cache_ttl=", absl::FormatDuration(absl::GetFlag(FLAGS_cache_ttl))),
      "--probe_timeout=5s",
      "--log_level=warning",
  };
}

void Soak::StartWorld() {
  pki_ = Must(TestPki::Create(), "test PKI");
  DnsRecords records;
  std::vector<std::string> txt;
  for (int app = 0; app < absl::GetFlag(FLAGS_apps); ++app) {
    LeafOptions leaf = ExampleHealthOv({AppHost(app)});
    leaf.organization = "Example Health 0";
    servers_.push_back(Must(TlsTestServer::Start(Must(pki_->Issue(leaf), "issue")), "TLS server"));
    records.AddHost(AppHost(app), {"127.0.0.1"});
    txt.push_back(absl::StrCat(kTxtKey, "=", AppClient(app)));
    absl::MutexLock lock(&mutex_);
    swapped_at_.push_back(absl::InfinitePast());
    generation_.push_back(0);
  }
  records.AddTxt(AppDomain(), txt);
  dns_ = Must(Dnsmasq::Start(records), "dnsmasq");

  // The store keeps its ports across restarts, so the replicas find it again.
  RunningService store =
      Must(StartStore(dir_.File("apptrust.db"), {"--log_level=warning"}), "store");
  store_listen_ = store.grpc_address;
  store_metrics_listen_ = store.metrics_address;
  if (!WaitServing(store.channel)) Fail("store not serving");
  {
    absl::MutexLock lock(&store_.mutex);
    store_.name = "store";
    store_.service = std::move(store);
  }
  for (int i = 0; i < 2; ++i) {
    auto replica = std::make_unique<Replica>();
    replica->name = absl::StrCat("decision-", i);
    RunningService decision = Must(StartDecision(store_listen_, DecisionFlags()), "decision");
    std::string web = Must(decision.process->WaitForListener("web"), "web listener");
    if (!WaitServing(decision.channel, absl::Seconds(30))) Fail("decision not serving");
    absl::MutexLock lock(&replica->mutex);
    replica->service = std::move(decision);
    replica->web_address = web;
    decisions_.push_back(std::move(replica));
  }
}

void Soak::EnrollGrant(int app, const std::string& grant_id, int replica) {
  auto stub = v1::DecisionService::NewStub(Channel(replica));
  v1::EnrollRequest request;
  request.set_tenant_id(kTenant);
  request.set_client_id(AppClient(app));
  request.set_grant_id(grant_id);
  request.set_redirect_uri(
      absl::StrCat("https://", AppHost(app), ":", servers_[app]->port(), "/callback"));
  request.set_application_name(absl::StrCat("Soak app ", app));
  request.set_persona(v1::PERSONA_PATIENT);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  v1::EnrollResponse response;
  const absl::Time began = absl::Now();
  const grpc::Status status = stub->Enroll(&context, request, &response);
  RecordCall("Enroll", decisions_[replica]->name, status.error_code(), began);
  if (!status.ok()) return;
  absl::MutexLock lock(&mutex_);
  ++enrollments_;
  for (GrantModel& grant : grants_) {
    if (grant.grant_id == grant_id) {
      grant.enroll_began = began;
      grant.enrolled_at = absl::Now();
      return;
    }
  }
  grants_.push_back({app, grant_id, began, absl::Now()});
}

void Soak::RefreshLoop(int seed) {
  std::mt19937 random(seed);
  const absl::Duration pause = absl::GetFlag(FLAGS_refresh_pause);
  const absl::Duration settle = absl::GetFlag(FLAGS_cache_ttl) + absl::Seconds(10);
  while (!stop_) {
    GrantModel grant;
    absl::Time swapped_at;
    {
      absl::MutexLock lock(&mutex_);
      grant = grants_[random() % grants_.size()];
      swapped_at = swapped_at_[grant.app];
    }
    const int replica = static_cast<int>(random() % 2);
    auto stub = v1::DecisionService::NewStub(Channel(replica));
    v1::CheckRefreshResponse response;
    const absl::Time began = absl::Now();
    const grpc::Status status = CheckRefresh(*stub, grant, &response);
    RecordCall("CheckRefresh", decisions_[replica]->name, status.error_code(), began);
    if (status.ok()) {
      absl::MutexLock lock(&mutex_);
      // The model as of when the call began; a re-approval or swap that
      // overlapped the call makes either answer acceptable.
      const GrantModel* now_grant = nullptr;
      for (const GrantModel& g : grants_) {
        if (g.grant_id == grant.grant_id) now_grant = &g;
      }
      const bool reapproved_during =
          now_grant != nullptr && now_grant->enroll_began != grant.enroll_began;
      const bool swapped_during = swapped_at_[grant.app] != swapped_at;
      if (response.verdict() == v1::VERDICT_SUSPEND) {
        ++suspensions_seen_;
        if (error_uris_.size() < 1000) error_uris_.push_back(response.error_uri());
        if (!reapproved_during && !swapped_during && ApprovedCurrent(grant, swapped_at)) {
          ++wrongly_suspended_;
          if (unexpected_examples_.size() < 20) {
            unexpected_examples_.push_back(absl::StrCat(absl::FormatDuration(began - start_),
                                                        " wrongly suspended ", grant.grant_id, ": ",
                                                        response.error_description()));
          }
        }
      } else if (!reapproved_during && !swapped_during && swapped_at > grant.enrolled_at &&
                 began > swapped_at + settle) {
        ++missed_suspensions_;
        if (unexpected_examples_.size() < 20) {
          unexpected_examples_.push_back(absl::StrCat(absl::FormatDuration(began - start_),
                                                      " missed suspension ", grant.grant_id));
        }
      }
    }
    absl::SleepFor(pause);
  }
}

void Soak::EnrollLoop() {
  int next = 0;
  std::mt19937 random(7);
  while (!stop_) {
    absl::SleepFor(absl::GetFlag(FLAGS_enroll_pause));
    const int app = static_cast<int>(random() % servers_.size());
    EnrollGrant(app, absl::StrCat("grant-new-", next++), static_cast<int>(random() % 2));
  }
}

void Soak::SwapLoop() {
  int app = 0;
  while (!stop_) {
    absl::SleepFor(absl::GetFlag(FLAGS_swap_interval));
    if (stop_) break;
    int generation;
    {
      absl::MutexLock lock(&mutex_);
      generation = ++generation_[app];
    }
    LeafOptions leaf = ExampleHealthOv({AppHost(app)});
    leaf.organization = absl::StrCat("Example Health ", generation);
    const absl::Status swapped = servers_[app]->SetCertificate(Must(pki_->Issue(leaf), "issue"));
    if (!swapped.ok()) Fail(swapped.ToString());
    {
      absl::MutexLock lock(&mutex_);
      swapped_at_[app] = absl::Now();
    }
    Event(absl::StrCat("swapped the certificate of ", AppHost(app), " (organization '",
                       leaf.organization, "')"));
    absl::SleepFor(absl::GetFlag(FLAGS_reapprove_after));
    std::vector<std::string> ids;
    {
      absl::MutexLock lock(&mutex_);
      for (const GrantModel& grant : grants_) {
        if (grant.app == app) ids.push_back(grant.grant_id);
      }
    }
    for (size_t i = 0; i < ids.size() && !stop_; ++i) {
      EnrollGrant(app, ids[i], static_cast<int>(i % 2));
    }
    Event(absl::StrCat("re-approved ", ids.size(), " grants of ", AppHost(app)));
    app = (app + 1) % static_cast<int>(servers_.size());
  }
}

void Soak::PageAndMetricsLoop() {
  std::mt19937 random(11);
  int turn = 0;
  while (!stop_) {
    absl::SleepFor(absl::Milliseconds(500));
    const int replica = static_cast<int>(random() % 2);
    std::string web;
    Channel(replica, &web);
    std::string uri;
    {
      absl::MutexLock lock(&mutex_);
      if (!error_uris_.empty()) uri = error_uris_[random() % error_uris_.size()];
    }
    const absl::Time began = absl::Now();
    if (!uri.empty()) {
      auto parts = SplitHttpUrl(uri);
      if (parts.ok()) {
        auto page = HttpRequest(web, "GET", parts->second, {}, absl::Seconds(10));
        absl::MutexLock lock(&mutex_);
        ++page_views_;
        const int code = page.ok() ? page->status : 0;
        if (code != 200) {
          const std::string key = absl::StrCat("http_page_", code);
          ++interval_errors_[key];
          ++total_errors_[key];
          if (!InWindow(decisions_[replica]->name, began) &&
              !InWindow(decisions_[replica]->name, absl::Now())) {
            ++interval_unexpected_;
            ++total_unexpected_;
            if (unexpected_examples_.size() < 20) {
              unexpected_examples_.push_back(
                  absl::StrCat(absl::FormatDuration(began - start_), " page ", code, " for ", uri));
            }
          }
        }
      }
    }
    // Metrics: each service in turn.
    std::string metrics;
    std::string name;
    if (turn++ % 3 == 2) {
      absl::MutexLock lock(&store_.mutex);
      metrics = store_.service.metrics_address;
      name = "store";
    } else {
      Replica& r = *decisions_[turn % 2];
      absl::MutexLock lock(&r.mutex);
      metrics = r.service.metrics_address;
      name = r.name;
    }
    auto scraped = HttpRequest(metrics, "GET", "/metrics", {}, absl::Seconds(10));
    absl::MutexLock lock(&mutex_);
    ++scrapes_;
    if (!scraped.ok() || scraped->status != 200) {
      const std::string key = absl::StrCat("http_metrics_", scraped.ok() ? scraped->status : 0);
      ++interval_errors_[key];
      ++total_errors_[key];
      if (!InWindow(name, began) && !InWindow(name, absl::Now())) {
        ++interval_unexpected_;
        ++total_unexpected_;
      }
    }
  }
}

void Soak::RestartStore() {
  const absl::Time from = absl::Now();
  {
    absl::MutexLock lock(&mutex_);
    windows_["store"].push_back({from, absl::InfiniteFuture()});
  }
  Event("stopping the store (SIGTERM)");
  {
    absl::MutexLock lock(&store_.mutex);
    store_.service.process->Signal(SIGTERM);
    auto code = store_.service.process->Wait(absl::Seconds(30));
    Event(
        absl::StrCat("store exited: ", code.ok() ? absl::StrCat(*code) : code.status().ToString()));
    store_.service = Must(
        StartStore(dir_.File("apptrust.db"), {"--log_level=warning", "--listen=" + store_listen_,
                                              "--metrics_listen=" + store_metrics_listen_}),
        "store restart");
    if (!WaitServing(store_.service.channel, absl::Seconds(30))) Fail("store not serving again");
  }
  Event("store serving again");
  absl::MutexLock lock(&mutex_);
  windows_["store"].back().second = absl::Now() + kRecoveryGrace;
}

void Soak::KillAndRestartDecision(int index) {
  Replica& r = *decisions_[index];
  {
    absl::MutexLock lock(&mutex_);
    windows_[r.name].push_back({absl::Now(), absl::InfiniteFuture()});
  }
  Event(absl::StrCat("killing ", r.name, " (SIGKILL)"));
  RunningService fresh;
  {
    absl::MutexLock lock(&r.mutex);
    r.service.process->Signal(SIGKILL);
    r.service.process->Wait(absl::Seconds(30)).status().IgnoreError();
  }
  fresh = Must(StartDecision(store_listen_, DecisionFlags()), "decision restart");
  std::string web = Must(fresh.process->WaitForListener("web"), "web listener");
  if (!WaitServing(fresh.channel, absl::Seconds(30))) Fail("decision not serving again");
  {
    absl::MutexLock lock(&r.mutex);
    r.service = std::move(fresh);
    r.web_address = web;
  }
  Event(absl::StrCat(r.name, " serving again"));
  absl::MutexLock lock(&mutex_);
  windows_[r.name].back().second = absl::Now() + kRecoveryGrace;
}

void Soak::SampleLoop() {
  std::ofstream csv(absl::StrCat(out_, "/samples.csv"));
  csv << "seconds,store_rss_kb,store_fds,store_threads,decision0_rss_kb,decision0_fds,"
         "decision0_threads,decision1_rss_kb,decision1_fds,decision1_threads,calls,errors,"
         "unexpected,errors_by_code\n";
  const absl::Duration interval = absl::GetFlag(FLAGS_sample_interval);
  absl::Time next = start_;
  while (!stop_) {
    next += interval;
    absl::SleepFor(next - absl::Now());
    std::vector<ProcessSample> samples;
    for (Replica* r : {&store_, decisions_[0].get(), decisions_[1].get()}) {
      absl::MutexLock lock(&r->mutex);
      samples.push_back(SampleProcess(r->service.process->pid()));
    }
    absl::MutexLock lock(&mutex_);
    int64_t errors = 0;
    std::vector<std::string> by_code;
    for (const auto& [code, count] : interval_errors_) {
      errors += count;
      by_code.push_back(absl::StrCat(code, "=", count));
    }
    csv << absl::StrFormat("%.0f", absl::ToDoubleSeconds(absl::Now() - start_));
    for (const ProcessSample& s : samples) {
      csv << "," << s.rss_kb << "," << s.fds << "," << s.threads;
    }
    csv << "," << interval_calls_ << "," << errors << "," << interval_unexpected_ << ","
        << absl::StrJoin(by_code, " ") << "\n";
    csv.flush();
    interval_errors_.clear();
    interval_calls_ = 0;
    interval_unexpected_ = 0;
  }
}

void Soak::FinalCheck() {
  // Let every cache expire, so each grant's app is seen as it is now.
  absl::SleepFor(absl::GetFlag(FLAGS_cache_ttl) + absl::Seconds(5));
  std::vector<GrantModel> grants;
  std::vector<absl::Time> swapped_at;
  {
    absl::MutexLock lock(&mutex_);
    grants = grants_;
    swapped_at = swapped_at_;
  }
  std::shared_ptr<grpc::Channel> store_channel;
  {
    absl::MutexLock lock(&store_.mutex);
    store_channel = store_.service.channel;
  }
  auto store = v1::FingerprintStore::NewStub(store_channel);
  auto decision = v1::DecisionService::NewStub(Channel(0));
  int lost = 0, wrongly_suspended = 0, missed = 0, checked = 0, either = 0;
  std::vector<std::string> examples;
  for (const GrantModel& grant : grants) {
    ++checked;
    const bool app_changed = swapped_at[grant.app] > grant.enroll_began;
    v1::GetGrantRequest get;
    get.set_tenant_id(kTenant);
    get.set_grant_id(grant.grant_id);
    v1::Grant stored;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    const grpc::Status status = store->GetGrant(&context, get, &stored);
    if (!status.ok()) {
      ++lost;
      examples.push_back(absl::StrCat("lost ", grant.grant_id, ": ", status.error_message()));
      continue;
    }
    if (!app_changed && !ApprovedCurrent(grant, swapped_at[grant.app])) {
      ++either;  // approved within --cache_ttl of a swap: either state is right
      continue;
    }
    if (!app_changed && stored.state() != v1::GRANT_STATE_ACTIVE) {
      ++wrongly_suspended;
      examples.push_back(absl::StrCat("suspended without cause: ", grant.grant_id));
    }
    if (app_changed) {
      v1::CheckRefreshResponse response;
      const grpc::Status refreshed = CheckRefresh(*decision, grant, &response);
      if (!refreshed.ok() || response.verdict() != v1::VERDICT_SUSPEND) {
        ++missed;
        examples.push_back(absl::StrCat("not suspended after its app changed: ", grant.grant_id));
      }
    }
  }
  absl::MutexLock lock(&mutex_);
  std::ofstream summary(absl::StrCat(out_, "/summary.txt"));
  summary << "duration_seconds " << absl::ToInt64Seconds(absl::GetFlag(FLAGS_duration)) << "\n"
          << "calls " << total_calls_ << "\n"
          << "enrollments " << enrollments_ << "\n"
          << "suspensions_seen " << suspensions_seen_ << "\n"
          << "page_views " << page_views_ << "\n"
          << "metric_scrapes " << scrapes_ << "\n"
          << "unexpected_errors " << total_unexpected_ << "\n"
          << "wrongly_suspended_refreshes " << wrongly_suspended_ << "\n"
          << "missed_suspension_refreshes " << missed_suspensions_ << "\n"
          << "final_grants_checked " << checked << "\n"
          << "final_grants_either_state " << either << "\n"
          << "final_grants_lost " << lost << "\n"
          << "final_wrongly_suspended " << wrongly_suspended << "\n"
          << "final_missed_suspensions " << missed << "\n";
  for (const auto& [code, count] : total_errors_)
    summary << "errors " << code << " " << count << "\n";
  for (const std::string& example : unexpected_examples_) summary << "example " << example << "\n";
  for (const std::string& example : examples) summary << "final " << example << "\n";
  summary.close();
  std::ifstream again(absl::StrCat(out_, "/summary.txt"));
  std::string line;
  while (std::getline(again, line)) std::printf("%s\n", line.c_str());
}

void Soak::Run() {
  std::filesystem::create_directories(out_);
  events_.open(absl::StrCat(out_, "/events.txt"));
  start_ = absl::Now();
  StartWorld();
  Event("world started");
  for (int app = 0; app < static_cast<int>(servers_.size()); ++app) {
    for (int i = 0; i < absl::GetFlag(FLAGS_grants_per_app); ++i) {
      EnrollGrant(app, absl::StrCat("grant-", app, "-", i), i % 2);
    }
  }
  {
    absl::MutexLock lock(&mutex_);
    total_calls_ = 0;
  }
  Event(absl::StrCat("enrolled the initial grants; load starts"));
  start_ = absl::Now();
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  std::vector<std::thread> threads;
  threads.emplace_back([this] { SampleLoop(); });
  threads.emplace_back([this] { RefreshLoop(1); });
  threads.emplace_back([this] { RefreshLoop(2); });
  threads.emplace_back([this] { EnrollLoop(); });
  threads.emplace_back([this] { SwapLoop(); });
  threads.emplace_back([this] { PageAndMetricsLoop(); });

  // The disruptions, at fixed fractions of the run: the store twice, one
  // decision replica once, each far enough from the end for the last
  // process of each to be sampled over a long stretch.
  const std::vector<std::pair<double, std::function<void()>>> plan = {
      {0.2, [this] { RestartStore(); }},
      {0.35, [this] { KillAndRestartDecision(1); }},
      {0.5, [this] { RestartStore(); }},
  };
  for (const auto& [fraction, action] : plan) {
    absl::SleepFor(start_ + duration * fraction - absl::Now());
    action();
  }
  absl::SleepFor(start_ + duration - absl::Now());
  stop_ = true;
  for (std::thread& thread : threads) thread.join();
  Event("load stopped; final check");
  FinalCheck();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  Soak soak(absl::GetFlag(FLAGS_out));
  soak.Run();
  return 0;
}
