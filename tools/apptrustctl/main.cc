// apptrustctl: the command line for AppTrust's services.
//   apptrustctl health [--target=host:port]
// More commands (inspect, enroll, check, grant) arrive with the decision
// service.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "Service address host:port");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("apptrustctl health [--target=host:port]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2 || std::string(args[1]) != "health") {
    std::fprintf(stderr, "usage: apptrustctl health [--target=host:port]\n");
    return 2;
  }
  auto channel =
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    std::fprintf(stderr, "apptrustctl: health check of %s failed: %s\n",
                 absl::GetFlag(FLAGS_target).c_str(), status.error_message().c_str());
    return 1;
  }
  std::printf("%s\n", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
                          .c_str());
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}
