#include "common/server/grpc_server.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging/json_log.h"
#include "common/net/host_port.h"
#include "common/server/unparsable_request_interceptor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace apptrust::server {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

std::atomic<int64_t>& OpenFileLimitValue() {
  static std::atomic<int64_t> value{0};
  return value;
}

// Every descriptor the hard limit allows: idle peers on three listeners must
// not leave the probe without a socket. Best effort: a process whose hard
// limit is its soft one keeps it.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  OpenFileLimitValue().store(limit.rlim_cur == RLIM_INFINITY
                                 ? std::numeric_limits<int64_t>::max()
                                 : static_cast<int64_t>(limit.rlim_cur));
}

}  // namespace

void PrepareServiceProcess() {
  const sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A peer that goes away mid-write must not kill the process.
  signal(SIGPIPE, SIG_IGN);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  RaiseOpenFileLimit();
}

int64_t OpenFileLimit() { return OpenFileLimitValue().load(); }

namespace {
// Kubernetes' liveness probe (deploy/k8s) asks for this service: SERVING
// while the process answers at all, whatever the readiness ("") says.
constexpr char kLivenessService[] = "liveness";
}  // namespace

namespace {

int Millis(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT32_MAX));
}

// Server reflection on exactly the builders that ask for it. Linking gRPC's
// reflection library registers its plugin for every server of the process
// (a static initializer), so without this option reflection would always be
// on, the health-only listener included.
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    const std::string name = grpc::reflection::ProtoServerReflectionPlugin().name();
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [&name](const auto& plugin) { return plugin->name() == name; }),
                   plugins->end());
    if (enabled_) {
      plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
    }
  }

 private:
  const bool enabled_;
};

void ApplyLimits(const GrpcListenerLimits& limits, grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             Millis(limits.handshake_timeout));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, Millis(limits.max_idle));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, Millis(limits.max_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, Millis(limits.max_age_grace));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, Millis(limits.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(limits.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Keep pinging a connection whose calls are quiet (a long stream): the
  // default stops after two pings without data.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             Millis(limits.min_client_ping_interval));
  grpc::ResourceQuota quota("apptrust-grpc-listener");
  quota.Resize(static_cast<size_t>(limits.memory_bytes));
  quota.SetMaxThreads(limits.max_threads);
  builder.SetResourceQuota(quota);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const std::string& listen,
                                                              std::vector<grpc::Service*> services,
                                                              const GrpcListenerLimits& limits,
                                                              const GrpcServerSecurity& security) {
  auto host_port = net::ParseHostPort(listen);
  if (!host_port.ok()) return host_port.status();

  std::optional<net::HostPort> health_host_port;
  if (!security.health_listen.empty()) {
    auto parsed = net::ParseHostPort(security.health_listen);
    if (!parsed.ok()) return parsed.status();
    health_host_port = *parsed;
  }

  if (security.authorization != nullptr && security.credentials == nullptr) {
    return absl::InvalidArgumentError(
        "an authorization policy needs TLS credentials: a plaintext caller has no identity");
  }

  grpc::EnableDefaultHealthCheckService(true);

  std::unique_ptr<GrpcServer> out(new GrpcServer());
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials =
      security.credentials != nullptr ? security.credentials : grpc::InsecureServerCredentials();
  if (security.authorization != nullptr) {
    credentials->SetAuthMetadataProcessor(security.authorization);
  }
  builder.AddListeningPort(host_port->ToString(), credentials, &out->port_);
  builder.SetOption(std::make_unique<ReflectionOption>(security.reflection));
  ApplyLimits(limits, builder);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<UnparsableRequestInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  out->server_ = builder.BuildAndStart();
  if (out->server_ == nullptr || out->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", host_port->ToString(),
                                               " (address in use or not available)"));
  }
  if (auto* health = out->server_->GetHealthCheckService(); health != nullptr) {
    health->SetServingStatus(kLivenessService, true);
  }
  net::HostPort bound = *host_port;
  bound.port = static_cast<uint16_t>(out->port_);
  out->address_ = bound.ToString();

  if (health_host_port.has_value()) {
    // Only the default health service (gRPC adds it to every builder while
    // EnableDefaultHealthCheckService is on), plaintext, with the same
    // limits: it answers kubelet, which probes without TLS.
    grpc::ServerBuilder health_builder;
    int health_port = 0;
    health_builder.AddListeningPort(health_host_port->ToString(), grpc::InsecureServerCredentials(),
                                    &health_port);
    health_builder.SetOption(std::make_unique<ReflectionOption>(false));
    ApplyLimits(limits, health_builder);
    out->health_cq_ = health_builder.AddCompletionQueue(/*is_frequently_polled=*/true);
    out->health_server_ = health_builder.BuildAndStart();
    out->health_cq_thread_ = std::thread([cq = out->health_cq_.get()] {
      void* tag = nullptr;
      bool ok = false;
      while (cq->Next(&tag, &ok)) {
      }
    });
    if (out->health_server_ == nullptr || health_port == 0) {
      out->Shutdown(absl::ZeroDuration());
      return absl::UnavailableError(absl::StrCat("cannot listen on ", health_host_port->ToString(),
                                                 " (address in use or not available)"));
    }
    if (auto* health = out->health_server_->GetHealthCheckService(); health != nullptr) {
      health->SetServingStatus(kLivenessService, true);
    }
    net::HostPort health_bound = *health_host_port;
    health_bound.port = static_cast<uint16_t>(health_port);
    out->health_address_ = health_bound.ToString();
  }
  return out;
}

GrpcServer::~GrpcServer() {
  if (!shut_down_) Shutdown(absl::ZeroDuration());
}

void GrpcServer::SetServing(bool serving) {
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server != nullptr && server->GetHealthCheckService() != nullptr) {
      server->GetHealthCheckService()->SetServingStatus(serving);
      server->GetHealthCheckService()->SetServingStatus(kLivenessService, true);
    }
  }
}

int GrpcServer::WaitForTermination() {
  const sigset_t set = TerminationSignals();
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  SetServing(false);
  // A server that failed to build has nothing to stop.
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    server_->Wait();
  }
  if (health_server_ != nullptr) {
    health_server_->Shutdown(absl::ToChronoTime(absl::Now()));
    health_server_->Wait();
  }
  if (health_cq_ != nullptr) {
    health_cq_->Shutdown();
    if (health_cq_thread_.joinable()) health_cq_thread_.join();
  }
}

}  // namespace apptrust::server
