// Starts the real service binaries for multi-process tests, each on
// ephemeral ports, and gives typed stubs to talk to them over loopback.
#ifndef APPTRUST_TESTS_SUPPORT_SERVICES_H_
#define APPTRUST_TESTS_SUPPORT_SERVICES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "tests/support/subprocess.h"

namespace apptrust::testing {

// Paths of the binaries under test (set by CMake).
std::string StoreBinary();
std::string DecisionBinary();
std::string CtlBinary();

struct RunningService {
  std::unique_ptr<Subprocess> process;
  std::string grpc_address;
  std::string metrics_address;
  std::shared_ptr<grpc::Channel> channel;
};

// apptrust-store on `db_path`, listening on 127.0.0.1:0 for gRPC and metrics.
absl::StatusOr<RunningService> StartStore(const std::string& db_path,
                                          std::vector<std::string> extra_flags = {});
// apptrust-decision talking to `store_address`, all listeners ephemeral.
absl::StatusOr<RunningService> StartDecision(const std::string& store_address,
                                             std::vector<std::string> extra_flags = {});

// True when grpc.health.v1.Health/Check answers SERVING within `timeout`.
bool WaitServing(const std::shared_ptr<grpc::Channel>& channel,
                 absl::Duration timeout = absl::Seconds(10));

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_SUPPORT_SERVICES_H_
