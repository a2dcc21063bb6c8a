#include "tests/support/services.h"

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace apptrust::testing {

std::string StoreBinary() { return APPTRUST_STORE_BIN; }
std::string DecisionBinary() { return APPTRUST_DECISION_BIN; }
std::string CtlBinary() { return APPTRUST_CTL_BIN; }

namespace {

absl::StatusOr<RunningService> StartService(std::vector<std::string> argv) {
  RunningService service;
  auto process = Subprocess::Start(std::move(argv));
  if (!process.ok()) return process.status();
  service.process = std::move(*process);
  auto grpc_address = service.process->WaitForListener("grpc");
  if (!grpc_address.ok()) return grpc_address.status();
  service.grpc_address = *grpc_address;
  auto metrics_address = service.process->WaitForListener("metrics");
  if (!metrics_address.ok()) return metrics_address.status();
  service.metrics_address = *metrics_address;
  service.channel = grpc::CreateChannel(service.grpc_address, grpc::InsecureChannelCredentials());
  return service;
}

}  // namespace

absl::StatusOr<RunningService> StartStore(const std::string& db_path,
                                          std::vector<std::string> extra_flags) {
  std::vector<std::string> argv = {StoreBinary(), "--listen=127.0.0.1:0",
                                   "--metrics_listen=127.0.0.1:0", "--db=" + db_path};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  return StartService(std::move(argv));
}

absl::StatusOr<RunningService> StartDecision(const std::string& store_address,
                                             std::vector<std::string> extra_flags) {
  std::vector<std::string> argv = {DecisionBinary(), "--listen=127.0.0.1:0",
                                   "--metrics_listen=127.0.0.1:0", "--web_listen=127.0.0.1:0",
                                   "--store=" + store_address};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  return StartService(std::move(argv));
}

bool WaitServing(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    grpc::health::v1::HealthCheckResponse response;
    if (stub->Check(&context, {}, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

}  // namespace apptrust::testing
