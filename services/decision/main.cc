// apptrust-decision: the DecisionService the token gateway calls on approval
// and on every refresh.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "common/config/policy_config.h"
#include "common/logging/json_log.h"
#include "common/metrics/metrics_server.h"
#include "common/server/flag_checks.h"
#include "common/server/grpc_server.h"
#include "grpcpp/create_channel.h"
#include "services/decision/flags.h"
#include "services/decision/web/explanation_server.h"
#include "services/decision/web/store_suspension_lookup.h"
#include "services/decision/web/tenant_contacts.h"

namespace {
constexpr char kProgram[] = "apptrust-decision";
}  // namespace

int main(int argc, char** argv) {
  using namespace apptrust;
  server::BlockTerminationSignals();
  server::ConfigureUsage(kProgram,
                         "decides at every refresh whether an app is still what the "
                         "patient approved",
                         "services/decision/");
  absl::ParseCommandLine(argc, argv);

  const std::string listen = absl::GetFlag(FLAGS_listen);
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  const std::string store = absl::GetFlag(FLAGS_store);
  const std::string log_level = absl::GetFlag(FLAGS_log_level);
  server::CheckAddressFlag(kProgram, "listen", listen);
  server::CheckAddressFlag(kProgram, "metrics_listen", metrics_listen);
  server::CheckAddressFlag(kProgram, "web_listen", absl::GetFlag(FLAGS_web_listen));
  server::CheckAddressFlag(kProgram, "store", store);
  const std::string dns_servers = absl::GetFlag(FLAGS_dns_servers);
  for (absl::string_view server_address :
       absl::StrSplit(dns_servers, ',', absl::SkipWhitespace())) {
    server::CheckAddressFlag(kProgram, "dns_servers", std::string(server_address));
  }
  auto level = logging::ParseLevel(log_level);
  server::ExitIfBadFlag(kProgram, "log_level", log_level, level.status());
  logging::SetMinLevel(*level);

  // Every RPC answers UNIMPLEMENTED until the decision logic is built.
  apptrust::v1::DecisionService::Service decision_service;

  auto metrics = metrics::MetricsServer::Start(metrics_listen, kProgram);
  server::ExitIfBadFlag(kProgram, "metrics_listen", metrics_listen, metrics.status());
  // The page behind every error_uri: suspensions from the store, each
  // tenant's support contact and manage URL from the policy.
  const std::string policy_path = absl::GetFlag(FLAGS_policy);
  auto policy = config::LoadPolicyConfig(policy_path);
  server::ExitIfBadFlag(kProgram, "policy", policy_path, policy.status());
  const std::string web_listen = absl::GetFlag(FLAGS_web_listen);
  auto web_server =
      web::ExplanationServer::Start(web_listen,
                                    web::MakeStoreSuspensionLookup(grpc::CreateChannel(
                                        store, grpc::InsecureChannelCredentials())),
                                    web::TenantContactsFromPolicy(*policy));
  server::ExitIfBadFlag(kProgram, "web_listen", web_listen, web_server.status());

  auto grpc_server = server::GrpcServer::Start(listen, {&decision_service});
  server::ExitIfBadFlag(kProgram, "listen", listen, grpc_server.status());
  (*grpc_server)->SetServing(true);

  server::AnnounceListener(kProgram, "grpc", (*grpc_server)->address());
  server::AnnounceListener(kProgram, "metrics", (*metrics)->address());
  server::AnnounceListener(kProgram, "web", (*web_server)->address());
  logging::Info("started")
      .Field("service", kProgram)
      .Field("grpc", (*grpc_server)->address())
      .Field("metrics", (*metrics)->address())
      .Field("store", store);

  const int signal_number = server::GrpcServer::WaitForTermination();
  logging::Info("stopping").Field("signal", signal_number);
  (*grpc_server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  logging::Info("stopped");
  return 0;
}
