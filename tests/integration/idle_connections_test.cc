// Hostile peers against the real service processes (issue 13 items 4 and 5):
// idle TCP sockets held open on every listener (the page, both /metrics, both
// gRPC ports) must not keep a real request from being answered, and running
// out of file descriptors must not let an app be judged on an old
// observation. Every socket goes to loopback.
//
// No timing assertions: a request "is not delayed" when it completes while
// the idle sockets are still open, with a generous client timeout (5 s, where
// civetweb's old limits delayed the page ~10 s and /metrics ~30 s) as the
// failure condition; the latency is printed for the record.
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "common/net/host_port.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_world.h"
#include "tests/support/http_client.h"

namespace apptrust::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kIdleSockets = 200;
constexpr absl::Duration kClientTimeout = absl::Seconds(5);

// TCP sockets connected to `address` that never send a byte; closed when
// destroyed.
class IdleSockets {
 public:
  IdleSockets(const std::string& address, int count) {
    auto host_port = net::ParseHostPort(address);
    EXPECT_TRUE(host_port.ok()) << host_port.status();
    if (!host_port.ok()) return;
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(host_port->port);
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < count; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        ADD_FAILURE() << "socket: " << std::strerror(errno);
        return;
      }
      if (connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)) != 0) {
        ADD_FAILURE() << "connect " << address << ": " << std::strerror(errno);
        close(fd);
        return;
      }
      fds_.push_back(fd);
    }
  }
  ~IdleSockets() {
    for (int fd : fds_) close(fd);
  }
  int size() const { return static_cast<int>(fds_.size()); }
  int fd(int i) const { return fds_.at(i); }

 private:
  std::vector<int> fds_;
};

// Lowers this process's soft RLIMIT_NOFILE to 1,024 (the usual default)
// while alive, so that a service started meanwhile inherits it: the service
// must raise it itself.
class DefaultSoftFileLimit {
 public:
  DefaultSoftFileLimit() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit low = saved_;
    low.rlim_cur = std::min<rlim_t>(saved_.rlim_max, 1024);
    setrlimit(RLIMIT_NOFILE, &low);
  }
  ~DefaultSoftFileLimit() { setrlimit(RLIMIT_NOFILE, &saved_); }
  rlim_t hard() const { return saved_.rlim_max; }

 private:
  rlimit saved_{};
};

// "Max open files  <soft>  <hard>  files" from /proc/<pid>/limits.
std::pair<std::string, std::string> OpenFileLimits(pid_t pid) {
  std::ifstream limits(absl::StrCat("/proc/", pid, "/limits"));
  std::string line;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::vector<std::string> fields =
        absl::StrSplit(line.substr(sizeof("Max open files") - 1), ' ', absl::SkipEmpty());
    if (fields.size() >= 2) return {fields[0], fields[1]};
  }
  return {"", ""};
}

int OpenDescriptors(pid_t pid) {
  int count = 0;
  std::unique_ptr<FILE, int (*)(FILE*)> ls(
      popen(absl::StrCat("ls /proc/", pid, "/fd").c_str(), "r"), pclose);
  char buffer[256];
  while (ls != nullptr && std::fgets(buffer, sizeof(buffer), ls.get()) != nullptr) ++count;
  return count;
}

LeafOptions Expired() {
  LeafOptions expired = ExampleHealthOv();
  expired.not_before = absl::Now() - absl::Hours(48);
  expired.not_after = absl::Now() - absl::Hours(1);
  return expired;
}

grpc::Status HealthCheckOnANewConnection(const std::string& address) {
  // Distinct channel arguments: a connection of its own, not a shared one.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kClientTimeout));
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&context, {}, &response);
}

class IdleConnectionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // This process holds up to 1,100 sockets itself: use the hard limit, as
    // the services do (a CI job's soft limit may be 1,024).
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    auto world = E2eWorld::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = world->release();
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }

  static grpc::Status Enroll(RunningService& decision, const TestApp& app,
                             const std::string& grant_id) {
    v1::EnrollRequest request;
    request.set_tenant_id("tenant-a");
    request.set_client_id(app.client_id);
    request.set_grant_id(grant_id);
    request.set_redirect_uri(app.redirect_uri);
    request.set_application_name("Example Health App");
    request.set_persona(v1::PERSONA_PATIENT);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    v1::EnrollResponse response;
    return v1::DecisionService::NewStub(decision.channel)->Enroll(&context, request, &response);
  }

  static grpc::Status Check(RunningService& decision, const TestApp& app,
                            const std::string& grant_id, v1::CheckRefreshResponse* response) {
    v1::CheckRefreshRequest request;
    request.set_tenant_id("tenant-a");
    request.set_client_id(app.client_id);
    request.set_grant_id(grant_id);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return v1::DecisionService::NewStub(decision.channel)
        ->CheckRefresh(&context, request, response);
  }

  static inline E2eWorld* world_ = nullptr;
};

TEST_F(IdleConnectionsTest, IdleSocketsOnEveryListenerDelayNoRealRequest) {
  auto decision = world_->Decision();
  ASSERT_TRUE(decision.ok()) << decision.status();
  auto web = (*decision)->process->WaitForListener("web");
  ASSERT_TRUE(web.ok()) << web.status();
  RunningService& store = world_->store();

  struct Listener {
    std::string name;
    std::string address;
    bool http;
  };
  const std::vector<Listener> listeners = {
      {"decision page", *web, true},
      {"decision /metrics", (*decision)->metrics_address, true},
      {"store /metrics", store.metrics_address, true},
      {"decision gRPC", (*decision)->grpc_address, false},
      {"store gRPC", store.grpc_address, false},
  };
  for (const Listener& listener : listeners) {
    SCOPED_TRACE(listener.name);
    IdleSockets idle(listener.address, kIdleSockets);
    ASSERT_EQ(idle.size(), kIdleSockets);
    // Let the server accept them and hand them to its workers first.
    absl::SleepFor(absl::Milliseconds(300));
    const absl::Time start = absl::Now();
    absl::Status answered;
    if (listener.http) {
      const std::string target =
          absl::StrContains(listener.name, "page") ? "/errors/x/instances/y" : "/metrics";
      answered = HttpRequest(listener.address, "GET", target, {}, kClientTimeout).status();
    } else {
      const grpc::Status status = HealthCheckOnANewConnection(listener.address);
      if (!status.ok()) answered = absl::UnavailableError(status.error_message());
    }
    EXPECT_TRUE(answered.ok()) << answered;
    std::printf("%s: %s after %s with %d idle sockets open\n", listener.name.c_str(),
                answered.ok() ? "answered" : "no answer",
                absl::FormatDuration(absl::Now() - start).c_str(), idle.size());
  }
}

// A gRPC connection that never sends the HTTP/2 preface holds a descriptor
// only for the handshake timeout (10 s; gRPC's default was 120 s): the server
// closes it. 30 s is the generous failure bound.
TEST_F(IdleConnectionsTest, GrpcClosesConnectionsThatNeverHandshake) {
  IdleSockets idle(world_->store().grpc_address, 1);
  ASSERT_EQ(idle.size(), 1);
  const absl::Time start = absl::Now();
  // The server speaks first (its HTTP/2 SETTINGS); read until it hangs up.
  bool closed = false;
  while (!closed && absl::Now() - start < absl::Seconds(30)) {
    pollfd watch{idle.fd(0), POLLIN, 0};
    if (poll(&watch, 1, 1000) != 1) continue;
    char buffer[256];
    closed = read(idle.fd(0), buffer, sizeof(buffer)) <= 0;
  }
  EXPECT_TRUE(closed) << "still open after 30 s";
  std::printf("store gRPC closed an idle connection after %s\n",
              absl::FormatDuration(absl::Now() - start).c_str());
}

// Both services raise the soft descriptor limit they inherit (here 1,024)
// to the hard limit, and a decision service flooded with 1,100 idle
// connections (what exhausted 1,024 descriptors before) still probes: an app
// whose certificate expired meanwhile is suspended, not judged on its last
// good observation.
TEST_F(IdleConnectionsTest, ServicesRaiseTheDescriptorLimitAndStillProbeUnderAFlood) {
  RunningService* decision = nullptr;
  absl::StatusOr<RunningService> store;
  rlim_t hard = 0;
  TempDir dir;
  {
    DefaultSoftFileLimit inherited;
    hard = inherited.hard();
    if (hard <= 2048) GTEST_SKIP() << "hard descriptor limit " << hard << " is too low";
    auto started = world_->Decision({"--cache_max_entries=1100"});
    ASSERT_TRUE(started.ok()) << started.status();
    decision = *started;
    store = StartStore(dir.File("limits.db"));
    ASSERT_TRUE(store.ok()) << store.status();
  }
  for (pid_t pid : {decision->process->pid(), store->process->pid()}) {
    const auto [soft, hard_seen] = OpenFileLimits(pid);
    EXPECT_EQ(soft, absl::StrCat(hard)) << "pid " << pid;
    EXPECT_EQ(hard_seen, absl::StrCat(hard)) << "pid " << pid;
  }

  auto app = world_->AddApp("flooded", ExampleHealthOv());
  ASSERT_TRUE(app.ok()) << app.status();
  const grpc::Status enrolled = Enroll(*decision, **app, "grant-flooded");
  ASSERT_TRUE(enrolled.ok()) << enrolled.error_message();
  ASSERT_TRUE(world_->ServeCertificate(**app, Expired()).ok());

  IdleSockets flood(decision->grpc_address, 1100);
  ASSERT_EQ(flood.size(), 1100);
  absl::SleepFor(absl::Milliseconds(500));
  std::printf("decision holds %d descriptors under the flood\n",
              OpenDescriptors(decision->process->pid()));
  v1::CheckRefreshResponse response;
  const grpc::Status status = Check(*decision, **app, "grant-flooded", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.verdict(), v1::VERDICT_SUSPEND);
  ASSERT_GT(response.findings_size(), 0);
  EXPECT_EQ(response.findings(0).reason(), v1::REASON_TLS_CERT_EXPIRED);
}

// When the decision service does run out of descriptors (its limit lowered
// under it, then filled with idle connections), the refresh of a hijacked
// app is UNAVAILABLE, to be retried: never ALLOW from the last good
// observation (on_probe_failure STALE_OK is the default), and the failure is
// not cached: with descriptors back, the next refresh probes and suspends.
TEST_F(IdleConnectionsTest, OutOfDescriptorsIsUnavailableNeverAStaleAllow) {
  auto decision = world_->Decision({"--cache_max_entries=1200"});
  ASSERT_TRUE(decision.ok()) << decision.status();
  auto app = world_->AddApp("starved", ExampleHealthOv());
  ASSERT_TRUE(app.ok()) << app.status();
  const grpc::Status enrolled = Enroll(**decision, **app, "grant-starved");
  ASSERT_TRUE(enrolled.ok()) << enrolled.error_message();
  // The hijack: the site now serves an expired certificate.
  ASSERT_TRUE(world_->ServeCertificate(**app, Expired()).ok());

  const pid_t pid = (*decision)->process->pid();
  rlimit saved{};
  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, nullptr, &saved), 0) << std::strerror(errno);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(OpenDescriptors(pid) + 32);
  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, &low, nullptr), 0) << std::strerror(errno);
  {
    IdleSockets flood((*decision)->grpc_address, 128);
    for (int i = 0; i < 50 && OpenDescriptors(pid) < static_cast<int>(low.rlim_cur); ++i) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    std::printf("decision holds %d of %d descriptors\n", OpenDescriptors(pid),
                static_cast<int>(low.rlim_cur));
    v1::CheckRefreshResponse response;
    const grpc::Status status = Check(**decision, **app, "grant-starved", &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << "verdict " << v1::Verdict_Name(response.verdict()) << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("local resource"));
  }
  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, &saved, nullptr), 0);
  v1::CheckRefreshResponse response;
  const grpc::Status status = Check(**decision, **app, "grant-starved", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.verdict(), v1::VERDICT_SUSPEND);
}

}  // namespace
}  // namespace apptrust::testing
